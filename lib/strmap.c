/* strmap.c - see strmap.h. */
#include "strmap.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  struct entry *next;
  uint64_t hash;
  void *value;
  char key[];
} entry;

struct strmap {
  entry **buckets;
  size_t nbuckets, count;
};

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

strmap *strmap_new(void) {
  strmap *m = calloc(1, sizeof *m);
  m->nbuckets = 16;
  m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
  return m;
}

void strmap_free(strmap *m, void (*free_value)(void *)) {
  if (!m) return;
  for (size_t b = 0; b < m->nbuckets; b++)
    for (entry *e = m->buckets[b], *next; e; e = next) {
      next = e->next;
      if (free_value) free_value(e->value);
      free(e);
    }
  free(m->buckets);
  free(m);
}

static entry **slot(const strmap *m, const char *key, uint64_t h) {
  entry **p = &m->buckets[h & (m->nbuckets - 1)];
  while (*p && ((*p)->hash != h || strcmp((*p)->key, key) != 0)) p = &(*p)->next;
  return p;
}

void *strmap_get(const strmap *m, const char *key) {
  entry *e = *slot(m, key, fnv1a(key));
  return e ? e->value : NULL;
}

static void grow(strmap *m) {
  size_t n = m->nbuckets * 2;
  entry **nb = calloc(n, sizeof *nb);
  for (size_t b = 0; b < m->nbuckets; b++)
    for (entry *e = m->buckets[b], *next; e; e = next) {
      next = e->next;
      e->next = nb[e->hash & (n - 1)];
      nb[e->hash & (n - 1)] = e;
    }
  free(m->buckets);
  m->buckets = nb;
  m->nbuckets = n;
}

void *strmap_put(strmap *m, const char *key, void *value) {
  uint64_t h = fnv1a(key);
  entry **p = slot(m, key, h);
  if (*p) {
    void *old = (*p)->value;
    (*p)->value = value;
    return old;
  }
  size_t len = strlen(key);
  entry *e = malloc(sizeof *e + len + 1);
  memcpy(e->key, key, len + 1);
  e->hash = h;
  e->value = value;
  e->next = NULL;
  *p = e;
  if (++m->count > m->nbuckets) grow(m);
  return NULL;
}

void *strmap_remove(strmap *m, const char *key) {
  entry **p = slot(m, key, fnv1a(key));
  entry *e = *p;
  if (!e) return NULL;
  void *v = e->value;
  *p = e->next;
  free(e);
  m->count--;
  return v;
}

size_t strmap_count(const strmap *m) { return m->count; }

bool strmap_next(const strmap *m, strmap_iter *it) {
  entry *e = it->entry ? ((entry *)it->entry)->next : NULL;
  for (size_t b = it->entry ? it->bucket + 1 : 0; !e && b < m->nbuckets; b++)
    if ((e = m->buckets[b])) it->bucket = b;
  if (!e) return false;
  it->entry = e;
  it->key = e->key;
  it->value = e->value;
  return true;
}
