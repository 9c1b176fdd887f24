/* fuzz_selector.c - libFuzzer target for lib/selector: label and field
 * selector parsing on arbitrary text, matching what parses against a small
 * label set, and the metav1.LabelSelector JSON form when the input is JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

static const char *getter(const char *field, void *ctx) {
  (void)ctx;
  return strcmp(field, "metadata.name") ? NULL : "x";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = 0;
  char err[512];
  json_t *labels = json_pack("{ssssss}", "app", "web", "tier", "", "a.b/c", "1");
  label_selector *ls = label_selector_parse(s, err, sizeof err);
  if (ls) {
    label_selector_matches(ls, labels);
    label_selector_matches(ls, NULL);
    label_selector_is_empty(ls);
    label_selector_free(ls);
  }
  field_selector *fs = field_selector_parse(s, err, sizeof err);
  if (fs) {
    for (size_t i = 0; i < field_selector_count(fs); i++)
      if (!field_selector_field(fs, i)) abort();
    field_selector_equals(fs, "metadata.name");
    field_selector_matches(fs, getter, NULL);
    field_selector_free(fs);
  }
  json_t *j = json_loadb(s, size, JSON_DECODE_ANY, NULL);
  if (j) {
    label_selector *js = label_selector_from_json(j, err, sizeof err);
    if (js) {
      label_selector_matches(js, labels);
      label_selector_free(js);
    }
    json_decref(j);
  }
  json_decref(labels);
  free(s);
  return 0;
}
