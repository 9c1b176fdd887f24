/* quantity.h - Kubernetes resource quantities ("100Mi", "250m", "1.5", "2e3",
 * "1Ki"): parsing with the exact grammar of k8s.io/apimachinery's
 * resource.Quantity, comparison, arithmetic and canonical formatting (the
 * form the API server writes back, e.g. "1000m" -> "1", "1024Ki" -> "1Mi"). */
#ifndef CKUBE_QUANTITY_H
#define CKUBE_QUANTITY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { QTY_DECIMAL_SI, QTY_BINARY_SI, QTY_DECIMAL_EXPONENT } quantity_format;

/* value = mantissa * 10^exp10 exactly, in the format it was written in. */
typedef struct {
  __int128 mantissa;
  int32_t exp10;
  quantity_format format;
} quantity;

/* Parses s (rounded up to nano units; binary values capped at 2^63-1).
 * Inputs needing more than 38 significant digits or exponents beyond 1e9
 * are refused although Kubernetes takes them. Returns 0, or -1 for a string
 * Kubernetes would refuse with
 * "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'". */
int quantity_parse(const char *s, quantity *out);

/* -1, 0, 1 */
int quantity_cmp(const quantity *a, const quantity *b);

quantity quantity_add(const quantity *a, const quantity *b);
quantity quantity_sub(const quantity *a, const quantity *b);

/* Value in milli-units, rounded up (Kubernetes' MilliValue); saturates. */
int64_t quantity_milli(const quantity *q);
/* Value in units, rounded up (Kubernetes' Value); saturates. */
int64_t quantity_value(const quantity *q);

/* Value in nano-units, rounded up (ScaledValue(resource.Nano): CPU in
 * nanocores, as kubelets report it); saturates. */
int64_t quantity_nano(const quantity *q);

/* Canonical string (as Quantity.String()) into buf; returns buf. 64 bytes suffice. */
char *quantity_format_str(const quantity *q, char *buf, size_t len);

/* The text the API server writes back for s into buf; returns -1 if s does
 * not parse. Like upstream this is s itself when its fast path deems the
 * input canonical ("+1", "007", "1e3", "100.035k" are echoed), otherwise
 * quantity_format_str of the parsed value. */
int quantity_canonicalize(const char *s, char *buf, size_t len);

#endif
