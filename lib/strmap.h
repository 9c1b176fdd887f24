/* strmap.h - a hash map from strings to pointers (FNV-1a, chained, grows
 * to keep about one entry per bucket). Keys are copied; values belong to
 * the caller. Not thread-safe: the owner locks around it. */
#ifndef CKUBE_STRMAP_H
#define CKUBE_STRMAP_H
#include <stdbool.h>
#include <stddef.h>

typedef struct strmap strmap;

strmap *strmap_new(void);
/* Frees the map and, when free_value is non-NULL, every value. */
void strmap_free(strmap *m, void (*free_value)(void *));

/* The value of key, or NULL. */
void *strmap_get(const strmap *m, const char *key);
/* Sets key to value; returns the value it replaces (NULL if none). */
void *strmap_put(strmap *m, const char *key, void *value);
/* Removes key; returns its value (NULL if absent). */
void *strmap_remove(strmap *m, const char *key);
size_t strmap_count(const strmap *m);

/* Iteration in no particular order; the map must not change meanwhile:
 *   strmap_iter it = {0};
 *   while (strmap_next(m, &it)) use(it.key, it.value); */
typedef struct {
  const char *key;
  void *value;
  size_t bucket;
  void *entry;
} strmap_iter;
bool strmap_next(const strmap *m, strmap_iter *it);

#endif
