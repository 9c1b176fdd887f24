/* obj_watch.c - see obj_watch.h. Objects are kept by "namespace/name"; a
 * new list replaces the whole set. */
#include "obj_watch.h"
#include "https_client.h"
#include "log.h"
#include "strmap.h"
#include "object_meta.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WATCH_IDLE_MS 30000 /* the server sends a newline every 5 s on idle watches */
#define MAX_BACKOFF_MS 10000

struct obj_watch {
  char *path;
  int notify_fd;
  https_client *c;
  pthread_mutex_t mu;
  strmap *objs; /* "ns/name" -> json_t */
  strmap *seen; /* "ns/name" -> (uintptr_t) the order in which it appeared (obj_watch_seq) */
  uintptr_t seq;
  atomic_bool stop, listed;
  pthread_t thread;
};

static void release(void *v) { json_decref(v); }

static void notify(obj_watch *w) {
  uint64_t one = 1;
  (void)!write(w->notify_fd, &one, sizeof one);
}

static void object_key(const json_t *o, char *key, size_t len) {
  snprintf(key, len, "%s/%s", meta_str(o, "namespace") ?: "", meta_str(o, "name") ?: "");
}

static void apply(obj_watch *w, const json_t *o, bool deleted) {
  char key[600];
  object_key(o, key, sizeof key);
  pthread_mutex_lock(&w->mu);
  json_t *old = deleted ? strmap_remove(w->objs, key) : strmap_put(w->objs, key, json_incref((json_t *)o));
  json_decref(old);
  if (deleted) strmap_remove(w->seen, key);
  else if (!strmap_get(w->seen, key)) strmap_put(w->seen, key, (void *)++w->seq);
  pthread_mutex_unlock(&w->mu);
}

/* Lists the collection; its resourceVersion (malloc'd) or NULL. */
static char *relist(obj_watch *w) {
  json_t *list = NULL;
  if (https_call(w->c, "GET", w->path, NULL, NULL, &list) != 200) {
    json_decref(list);
    return NULL;
  }
  strmap *fresh = strmap_new();
  size_t i;
  json_t *o;
  char key[600];
  json_array_foreach(json_object_get(list, "items"), i, o) {
    object_key(o, key, sizeof key);
    json_decref(strmap_put(fresh, key, json_incref(o)));
  }
  char *rv = strdup(json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion")) ?: "0");
  pthread_mutex_lock(&w->mu);
  strmap *old = w->objs, *seen = strmap_new();
  json_array_foreach(json_object_get(list, "items"), i, o) { /* the list's order for the ones not seen before */
    object_key(o, key, sizeof key);
    uintptr_t n = (uintptr_t)strmap_get(w->seen, key);
    strmap_put(seen, key, (void *)(n ? n : ++w->seq));
  }
  strmap_free(w->seen, NULL);
  w->seen = seen;
  w->objs = fresh;
  pthread_mutex_unlock(&w->mu);
  json_decref(list);
  strmap_free(old, release);
  atomic_store(&w->listed, true);
  notify(w);
  return rv;
}

static void sleep_ms(obj_watch *w, long ms) {
  for (long t = 0; t < ms && !atomic_load(&w->stop); t += 50) usleep(50000);
}

static void *watch_main(void *arg) {
  obj_watch *w = arg;
  char *rv = NULL, path[1024];
  long backoff = 200;
  while (!atomic_load(&w->stop)) {
    if (!rv && !(rv = relist(w))) {
      sleep_ms(w, backoff);
      backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
      continue;
    }
    char sep = strchr(w->path, '?') ? '&' : '?'; /* the path may carry a query (a field selector) */
    snprintf(path, sizeof path, "%s%cwatch=true&allowWatchBookmarks=true&timeoutSeconds=600&resourceVersion=%s", w->path,
             sep, rv);
    json_t *err = NULL, *ev;
    int st = https_stream_open(w->c, path, WATCH_IDLE_MS, &err);
    json_decref(err);
    bool progressed = false, relist_needed = st == 410;
    while (st == 200 && !atomic_load(&w->stop) && https_stream_next(w->c, &ev)) {
      progressed = true;
      const char *type = json_string_value(json_object_get(ev, "type")) ?: "";
      const json_t *obj = json_object_get(ev, "object");
      if (!strcmp(type, "ERROR")) {
        relist_needed = true;
        json_decref(ev);
        break;
      }
      if (meta_str(obj, "resourceVersion")) {
        free(rv);
        rv = strdup(meta_str(obj, "resourceVersion"));
      }
      if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED") || !strcmp(type, "DELETED")) {
        apply(w, obj, !strcmp(type, "DELETED"));
        notify(w);
      }
      json_decref(ev);
    }
    if (relist_needed) {
      free(rv);
      rv = NULL;
    }
    if (progressed) backoff = 200;
    else if (st != 200) {
      sleep_ms(w, backoff);
      backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
    }
  }
  free(rv);
  return NULL;
}

obj_watch *obj_watch_start(const char *kubeconfig, const char *path, int notify_fd) {
  char err[512] = "";
  https_client *c = https_client_open(kubeconfig, err, sizeof err);
  if (!c) {
    LOGE("%s", err);
    return NULL;
  }
  obj_watch *w = calloc(1, sizeof *w);
  w->path = strdup(path);
  w->notify_fd = notify_fd;
  w->c = c;
  w->objs = strmap_new();
  w->seen = strmap_new();
  pthread_mutex_init(&w->mu, NULL);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 << 10);
  pthread_create(&w->thread, &attr, watch_main, w);
  pthread_attr_destroy(&attr);
  return w;
}

json_t *obj_watch_snapshot(obj_watch *w) {
  json_t *out = json_array();
  pthread_mutex_lock(&w->mu);
  strmap_iter it = {0};
  while (strmap_next(w->objs, &it)) json_array_append(out, it.value);
  pthread_mutex_unlock(&w->mu);
  return out;
}

bool obj_watch_listed(obj_watch *w) { return atomic_load(&w->listed); }

unsigned long obj_watch_seq(obj_watch *w, const json_t *o) {
  char key[600];
  object_key(o, key, sizeof key);
  pthread_mutex_lock(&w->mu);
  uintptr_t n = (uintptr_t)strmap_get(w->seen, key);
  pthread_mutex_unlock(&w->mu);
  return (unsigned long)n;
}

void obj_watch_stop(obj_watch *w) {
  if (!w) return;
  atomic_store(&w->stop, true);
  https_client_interrupt(w->c);
  pthread_join(w->thread, NULL);
  https_client_close(w->c);
  strmap_free(w->objs, release);
  strmap_free(w->seen, NULL);
  pthread_mutex_destroy(&w->mu);
  free(w->path);
  free(w);
}
