/* go_errors.h - the checks of Go standard library parsers whose error texts
 * Kubernetes passes on to clients: time.Parse with RFC3339 (metav1.Time) and
 * RFC3339 with microseconds (metav1.MicroTime), and base64.StdEncoding
 * ([]byte fields such as Secret data). Each check returns 0 when Go accepts
 * the input, else -1 with Go's message in err; the base64 encoder that
 * writes those fields sits with its decoder. */
#ifndef CKUBE_GO_ERRORS_H
#define CKUBE_GO_ERRORS_H
#include <stddef.h>

/* time.Parse(time.RFC3339, s) (micro: time.RFC3339Micro as MicroTime
 * uses): `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x"
 * as "2006"`, `parsing time "...": month out of range`, ... */
int go_time_parse(const char *s, size_t len, int micro, char *err, size_t errlen);

/* base64.StdEncoding.DecodeString(s): `illegal base64 data at input byte N`. */
int go_base64_check(const char *s, size_t len, char *err, size_t errlen);

/* The bytes base64.StdEncoding.DecodeString(s) gives (newlines skipped), in
 * a malloc'd buffer of *outlen bytes (plus a NUL) the caller frees; NULL
 * when go_base64_check refuses s. */
unsigned char *go_base64_decode(const char *s, size_t len, size_t *outlen);

/* base64.StdEncoding.EncodeToString(data): padded, no newlines, in a
 * malloc'd NUL-terminated string the caller frees. */
char *go_base64_encode(const void *data, size_t len);

/* base64.RawURLEncoding.EncodeToString(data) (JWS segments: "-" and "_",
 * no padding), malloc'd and NUL-terminated; the caller frees. */
char *go_base64url_encode(const void *data, size_t len);

#endif
