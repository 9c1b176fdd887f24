/* fuzz_strategic_merge.c - libFuzzer target: the input is a document and a patch
 * separated by the first NUL byte; applying the patch must never crash,
 * leak or loop. */
#include "json_patch.h"
#include "strategic_merge.h"
#include <stdint.h>
#include <string.h>

static json_t *defs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!defs) defs = json_loads("{\"T\":{\"properties\":{\"items\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/T\"},"
                               "\"x-kubernetes-patch-strategy\":\"merge\",\"x-kubernetes-patch-merge-key\":\"name\"},"
                               "\"list\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"x-kubernetes-patch-strategy\":\"merge\"}}}}",
                               0, NULL);
  const uint8_t *nul = memchr(data, 0, size);
  size_t n1 = nul ? (size_t)(nul - data) : size;
  json_t *doc = json_loadb((const char *)data, n1, JSON_DECODE_ANY, NULL);
  json_t *patch = nul ? json_loadb((const char *)nul + 1, size - n1 - 1, JSON_DECODE_ANY, NULL) : NULL;
  char err[256];
  json_t *out = NULL;
  if (doc && patch) {
    out = strategic_merge_patch(doc, patch, defs, "T", err, sizeof err);
  }
  json_decref(out);
  json_decref(doc);
  json_decref(patch);
  return 0;
}
