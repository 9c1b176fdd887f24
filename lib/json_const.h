/* json_const.h - reference counting for read-only jansson values.
 *
 * Published objects (the watch cache's versions) are `const json_t *`: no
 * path may change them, a change copies what it touches (json_deep_copy).
 * Their reference count is bookkeeping outside the value, so sharing or
 * releasing a const value goes through these two helpers instead of a cast
 * at every call site. */
#ifndef CKUBE_JSON_CONST_H
#define CKUBE_JSON_CONST_H
#include <jansson.h>

/* A new shared reference to v (NULL stays NULL); the value stays read-only. */
static inline const json_t *json_incref_const(const json_t *v) { return json_incref((json_t *)v); }

/* Releases a reference taken with json_incref_const (or any owned one). */
static inline void json_decref_const(const json_t *v) { json_decref((json_t *)v); }

/* Appends v to arr, stealing the caller's reference: arr must be a response
 * document that is only serialized and released, never changed (a list's
 * items shared with the watch cache). */
static inline int json_array_append_new_const(json_t *arr, const json_t *v) {
  return json_array_append_new(arr, (json_t *)v);
}

#endif
