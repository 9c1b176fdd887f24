/* k8s_protobuf_text.h - how Go's encoding/json spells the values the
 * protobuf decoder (k8s_protobuf.c) finds: strings with invalid UTF-8 bytes
 * replaced by U+FFFD, []byte as standard base64, metav1.Time / MicroTime
 * as RFC 3339 in UTC, time.Duration as its String() form. Pure functions. */
#ifndef CKUBE_K8S_PROTOBUF_TEXT_H
#define CKUBE_K8S_PROTOBUF_TEXT_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* New JSON string from len bytes, each invalid UTF-8 byte replaced by
 * U+FFFD as Go's json encoder does. NULL only when out of memory. */
json_t *pbtext_string(const unsigned char *s, size_t len);

/* New JSON string holding base64 (standard alphabet, padded) of s. */
json_t *pbtext_base64(const unsigned char *s, size_t len);

/* Writes the UTC RFC 3339 form of the instant sec + nsec/1e9 into buf
 * (64 bytes suffice): "2006-01-02T15:04:05Z", or with micro != 0
 * "2006-01-02T15:04:05.000000Z" (fraction truncated, as Go's Format).
 * nsec may lie outside [0, 1e9); it is normalized like time.Unix. */
char *pbtext_time(int64_t sec, int64_t nsec, int micro, char *buf, size_t len);

/* True if sec + nsec/1e9 is Go's zero time.Time (0001-01-01T00:00:00Z). */
int pbtext_time_is_zero(int64_t sec, int64_t nsec);

/* Writes Go's time.Duration(ns).String() into buf (40 bytes suffice),
 * e.g. "1h2m3.5s", "250ms", "1µs", "0s". */
char *pbtext_duration(int64_t ns, char *buf, size_t len);

#endif
