/* json_raw.h - a member of compact JSON object text found by scanning the
 * text, without parsing it into values: a Table row of a LIST copies the
 * object's metadata from the bytes the watch cache holds instead of
 * serializing it again. */
#ifndef CKUBE_JSON_RAW_H
#define CKUBE_JSON_RAW_H
#include <stddef.h>

/* The text of the value of the top-level member key of the JSON object
 * text in[0..len): a pointer into in and its length in *vlen, or NULL when
 * in is not an object or has no such member (a key written with escapes
 * never matches). Malformed text gives NULL or some slice of in; nothing
 * outside in[0..len) is read. */
const char *json_raw_member(const char *in, size_t len, const char *key, size_t *vlen);

#endif
