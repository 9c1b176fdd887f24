/* object_meta.h - small helpers on any Kubernetes object's metadata, for
 * every layer: a new uid (a random version 4 UUID, as types.UID), the
 * random suffix of generateName, and metadata field access. */
#ifndef CKUBE_OBJECT_META_H
#define CKUBE_OBJECT_META_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* A random version 4 UUID ("8-4-4-4-12" lower-case hex) into buf (37 bytes). */
void meta_new_uid(char *buf, size_t len);
/* n random characters of Kubernetes' name-suffix alphabet (utilrand.String),
 * NUL-terminated: buf holds n + 1. */
void meta_random_suffix(char *buf, size_t n);

/* An Event's name for an event about the object named involved, as
 * client-go makes it: "<involved>.<current time in nanoseconds, hex>". */
void meta_event_name(const char *involved, char *buf, size_t len);

json_t *meta_of(json_t *obj); /* obj's metadata (borrowed), created when missing */
const char *meta_str(const json_t *obj, const char *field); /* a metadata string field, or NULL */
int64_t meta_rv(const json_t *obj);                         /* resourceVersion: 0 unset, -1 malformed */

#endif
