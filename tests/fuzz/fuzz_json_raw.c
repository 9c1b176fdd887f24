/* fuzz_json_raw.c - libFuzzer target for lib/json_raw: any text, any key;
 * a member found lies inside the text, and when the text is JSON that
 * jansson reads as an object, the member found is jansson's own (the same
 * value, compared after parsing the slice) and a member jansson has is found. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_raw.h"

static void check(const char *text, size_t len, const char *key, const json_t *doc) {
  size_t vlen = 0;
  const char *v = json_raw_member(text, len, key, &vlen);
  if (v && (v < text || vlen > len || v + vlen > text + len)) abort();
  if (!doc) return;
  const json_t *want = json_object_get(doc, key);
  if (!want != !v) abort(); /* plain keys: found exactly when jansson has them */
  if (!v) return;
  json_t *got = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
  if (!got || !json_equal(got, want)) abort();
  json_decref(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  json_t *doc = json_loadb(text, size, JSON_DECODE_ANY, NULL);
  if (doc && !json_is_object(doc)) {
    json_decref(doc);
    doc = NULL;
  }
  /* compared with jansson only where each key is written once, plainly:
   * "key" exactly once in the text (no escapes in it, no duplicates, which
   * jansson resolves to the last and the scanner to the first) */
  if (doc) {
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
      size_t klen = strlen(k), n = 0;
      char *quoted = malloc(klen + 3);
      quoted[0] = '"';
      memcpy(quoted + 1, k, klen);
      memcpy(quoted + 1 + klen, "\"", 2);
      for (const char *p = text; p < text + size && (p = memmem(p, size - (size_t)(p - text), quoted, klen + 2)); p++)
        n++;
      free(quoted);
      if (n != 1 || memchr(k, 0, klen) || strpbrk(k, "\\\"")) {
        json_decref(doc);
        doc = NULL;
        break;
      }
    }
  }
  static const char *const keys[] = {"metadata", "a", "kind", "spec"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) check(text, size, keys[i], doc);
  if (doc) {
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) check(text, size, k, doc);
  }
  json_decref(doc);
  return 0;
}
