/* fuzz_yaml.c - libFuzzer target for lib/yaml_json: any input must parse or
 * fail cleanly (no crash, leak or unbounded growth), and whatever parses
 * must survive json_to_yaml and read back as the same JSON value. */
#include <stdint.h>
#include <stdlib.h>

#include "yaml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  json_t *j = yaml_to_json((const char *)data, size, err, sizeof err);
  if (j) {
    size_t n;
    char *y = json_to_yaml(j, &n);
    if (!y) abort();
    json_t *back = yaml_to_json(y, n, err, sizeof err);
    /* Reals can lose nothing here: both sides use the same shortest form. */
    if (!back || !json_equal(j, back)) abort();
    json_decref(back);
    free(y);
    char *ys = json_to_yaml_sorted(j, NULL);
    free(ys);
    json_decref(j);
  }
  json_t *a = yaml_stream_to_json((const char *)data, size, err, sizeof err);
  json_decref(a);
  return 0;
}
