/* expectations.c - see expectations.h. A short list per controller: one
 * entry per owner with outstanding work, searched linearly (entries only
 * live while a sync's writes are in flight). */
#include "expectations.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPECTATIONS_TTL 300

typedef struct entry {
  char *key;
  int adds;
  char **uids; /* deletions still expected */
  int nuids;
  time_t set_at;
  struct entry *next;
} entry;

struct expectations {
  pthread_mutex_t mu; /* protects head and every entry */
  entry *head;
};

expectations *expectations_new(void) {
  expectations *e = calloc(1, sizeof *e);
  pthread_mutex_init(&e->mu, NULL);
  return e;
}

static void entry_free(entry *en) {
  for (int i = 0; i < en->nuids; i++) free(en->uids[i]);
  free(en->uids);
  free(en->key);
  free(en);
}

void expectations_free(expectations *e) {
  if (!e) return;
  for (entry *en = e->head, *next; en; en = next) next = en->next, entry_free(en);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

static entry **find(expectations *e, const char *key) {
  entry **p = &e->head;
  while (*p && strcmp((*p)->key, key)) p = &(*p)->next;
  return p;
}

static entry *get_or_add(expectations *e, const char *key) {
  entry **p = find(e, key);
  if (!*p) {
    *p = calloc(1, sizeof **p);
    (*p)->key = strdup(key);
  }
  return *p;
}

static void drop_if_done(entry **p) {
  if (*p && (*p)->adds <= 0 && (*p)->nuids == 0) {
    entry *en = *p;
    *p = en->next;
    entry_free(en);
  }
}

bool expectations_satisfied(expectations *e, const char *key) {
  pthread_mutex_lock(&e->mu);
  entry **p = find(e, key);
  bool ok = !*p || ((*p)->adds <= 0 && (*p)->nuids == 0) || time(NULL) - (*p)->set_at > EXPECTATIONS_TTL;
  if (*p && ok) {
    entry *en = *p;
    *p = en->next;
    entry_free(en);
  }
  pthread_mutex_unlock(&e->mu);
  return ok;
}

void expect_creations(expectations *e, const char *key, int n) {
  pthread_mutex_lock(&e->mu);
  entry *en = get_or_add(e, key);
  en->adds = n;
  en->set_at = time(NULL);
  pthread_mutex_unlock(&e->mu);
}

void expect_deletions(expectations *e, const char *key, const char *const *uids, int n) {
  pthread_mutex_lock(&e->mu);
  entry *en = get_or_add(e, key);
  for (int i = 0; i < en->nuids; i++) free(en->uids[i]);
  free(en->uids);
  en->uids = calloc((size_t)n + 1, sizeof *en->uids);
  for (int i = 0; i < n; i++) en->uids[i] = strdup(uids[i]);
  en->nuids = n;
  en->set_at = time(NULL);
  pthread_mutex_unlock(&e->mu);
}

void creation_observed(expectations *e, const char *key) {
  pthread_mutex_lock(&e->mu);
  entry **p = find(e, key);
  if (*p) {
    (*p)->adds--;
    drop_if_done(p);
  }
  pthread_mutex_unlock(&e->mu);
}

void deletion_observed(expectations *e, const char *key, const char *uid) {
  pthread_mutex_lock(&e->mu);
  entry **p = find(e, key);
  if (*p && uid) {
    entry *en = *p;
    for (int i = 0; i < en->nuids; i++)
      if (!strcmp(en->uids[i], uid)) {
        free(en->uids[i]);
        en->uids[i] = en->uids[--en->nuids];
        break;
      }
    drop_if_done(p);
  }
  pthread_mutex_unlock(&e->mu);
}

void expectations_delete(expectations *e, const char *key) {
  pthread_mutex_lock(&e->mu);
  entry **p = find(e, key);
  if (*p) {
    entry *en = *p;
    *p = en->next;
    entry_free(en);
  }
  pthread_mutex_unlock(&e->mu);
}
