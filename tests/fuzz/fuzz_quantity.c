/* fuzz_quantity.c - libFuzzer target for lib/quantity: parse arbitrary
 * text; anything accepted must format, re-parse to an equal value, and
 * survive comparison, arithmetic and Value/MilliValue. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = 0;
  quantity q;
  if (quantity_parse(s, &q) == 0) {
    char buf[128], canon[128];
    quantity_format_str(&q, buf, sizeof buf);
    quantity r;
    /* The canonical form of a value must parse back to the same value,
     * except where upstream prints no suffix for exponents beyond E. */
    if (quantity_parse(buf, &r) == 0 && (q.format != QTY_DECIMAL_SI || q.exp10 <= 20) && quantity_cmp(&q, &r) != 0) abort();
    if (quantity_canonicalize(s, canon, sizeof canon) != 0) abort();
    quantity sum = quantity_add(&q, &q), diff = quantity_sub(&sum, &q);
    (void)diff;
    quantity_cmp(&sum, &q);
    quantity_milli(&q);
    quantity_value(&q);
    quantity_format_str(&sum, buf, sizeof buf);
  }
  free(s);
  return 0;
}
