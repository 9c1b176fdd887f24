/* finalizers.h - metadata.finalizers, read and changed in one place for the
 * API core (deletion, admission, CRD cleanup) and the controllers that hold
 * or release deletion (garbage collector, volume protection, CRDs). A
 * finalizer is a string; entries that are not strings are kept as they are
 * and never match. */
#ifndef CKUBE_FINALIZERS_H
#define CKUBE_FINALIZERS_H
#include <stdbool.h>
#include <jansson.h>

/* True when metadata.finalizers lists f. */
bool finalizers_has(const json_t *obj, const char *f);

/* True when metadata.finalizers lists anything. */
bool finalizers_any(const json_t *obj);

/* Adds f to metadata.finalizers unless listed (creating metadata and the
 * list when missing); obj must be an object the caller owns. */
void finalizers_add(json_t *obj, const char *f);

/* Removes every f from metadata.finalizers of an object the caller owns;
 * true when one was removed. */
bool finalizers_remove(json_t *obj, const char *f);

/* A new array: metadata.finalizers without f (for a patch). */
json_t *finalizers_without(const json_t *obj, const char *f);

#endif
