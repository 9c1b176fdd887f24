/* yaml_resolve.h - internal helpers shared by the YAML reader and writer:
 * the YAML 1.1 plain-scalar resolution of go-yaml v2 (which decides both
 * what a plain scalar means on input and whether a string must be quoted on
 * output) and Go's shortest float formatting (strconv.FormatFloat 'g', -1). */
#ifndef CKUBE_YAML_RESOLVE_H
#define CKUBE_YAML_RESOLVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* YR_TIMESTAMP: a plain scalar go-yaml v2 reads as a time; decoded into
 * interface{} it stays the string, but the encoder must quote such strings. */
typedef enum { YR_STR, YR_NULL, YR_BOOL, YR_INT, YR_UINT, YR_FLOAT, YR_MERGE, YR_TIMESTAMP } yr_kind;

typedef struct {
  yr_kind kind;
  bool b;
  int64_t i;
  uint64_t u;
  double f; /* may be NaN or +-Inf (".nan", ".inf") */
} yr_value;

/* Resolves the plain (unquoted, untagged) scalar s[0..n) like go-yaml v2's
 * resolve("", s). Never fails: anything unrecognized is YR_STR. */
yr_kind yaml_resolve_plain(const char *s, size_t n, yr_value *out);

/* go-yaml v2's isBase60Float: strings like "1:20" that old parsers read as
 * numbers, which the encoder therefore quotes. */
bool yaml_is_base60_float(const char *s, size_t n);

/* strconv.FormatFloat(v, 'g', -1, bits) with bits 32 or 64, except that
 * infinities and NaN give ".inf", "-.inf", ".nan" (go-yaml's spelling).
 * buf should hold at least 32 bytes. */
void yaml_go_format_float(double v, int bits, char *buf, size_t len);

#endif
