/* list_watch.c - see list_watch.h. */
#include "list_watch.h"
#include "log.h"
#include "object_meta.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WATCH_IDLE_MS 30000 /* the server sends a newline every 5 s on idle watches */
#define MIN_BACKOFF_MS 200
#define MAX_BACKOFF_MS 10000
#define PAGE "500"

static void sleep_ms(const list_watch *lw, long ms) {
  for (long t = 0; t < ms && !atomic_load(lw->stop); t += 50) usleep(50000);
}

static long next_backoff(long b) { return b * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : b * 2; }

/* Lists page by page; the list's resourceVersion (malloc'd) or NULL. */
static char *relist(https_client *c, const list_watch *lw) {
  char path[4096], *cont = NULL, *rv = NULL;
  const char *sep = strchr(lw->path, '?') ? "&" : "?";
  lw->list_begin(lw->ctx);
  for (;;) {
    snprintf(path, sizeof path, "%s%slimit=" PAGE "%s%s", lw->path, sep, cont ? "&continue=" : "", cont ? cont : "");
    json_t *list = NULL;
    int st = https_call(c, "GET", path, NULL, NULL, &list);
    free(cont);
    cont = NULL;
    if (st != 200) {
      json_decref(list);
      free(rv);
      return NULL;
    }
    size_t i;
    json_t *obj;
    json_array_foreach(json_object_get(list, "items"), i, obj) lw->object(lw->ctx, obj, false);
    const json_t *md = json_object_get(list, "metadata");
    if (!rv) rv = strdup(json_string_value(json_object_get(md, "resourceVersion")) ?: "0");
    const char *next = json_string_value(json_object_get(md, "continue"));
    if (next && *next) cont = strdup(next);
    json_decref(list);
    if (!cont) break;
  }
  lw->list_end(lw->ctx);
  return rv;
}

/* Follows an open watch until it ends; false when a new list is needed. */
static bool follow(https_client *c, const list_watch *lw, char **rv, bool *progressed) {
  json_t *ev;
  while (!atomic_load(lw->stop) && https_stream_next(c, &ev)) {
    *progressed = true;
    const char *type = json_string_value(json_object_get(ev, "type")) ?: "";
    const json_t *obj = json_object_get(ev, "object");
    if (!strcmp(type, "ERROR")) {
      json_decref(ev);
      return false;
    }
    if (meta_str(obj, "resourceVersion")) {
      free(*rv);
      *rv = strdup(meta_str(obj, "resourceVersion"));
    }
    if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) lw->object(lw->ctx, obj, false);
    else if (!strcmp(type, "DELETED")) lw->object(lw->ctx, obj, true);
    json_decref(ev);
  }
  return true;
}

void list_watch_run(https_client *c, const list_watch *lw) {
  char *rv = NULL, path[4096];
  long backoff = MIN_BACKOFF_MS;
  const char *sep = strchr(lw->path, '?') ? "&" : "?";
  while (!atomic_load(lw->stop)) {
    if (!rv && !(rv = relist(c, lw))) {
      LOGW("listing %s failed; retrying in %ld ms", lw->path, backoff);
      sleep_ms(lw, backoff);
      backoff = next_backoff(backoff);
      continue;
    }
    snprintf(path, sizeof path, "%s%swatch=true&allowWatchBookmarks=true&timeoutSeconds=600&resourceVersion=%s",
             lw->path, sep, rv);
    json_t *err = NULL;
    int st = https_stream_open(c, path, WATCH_IDLE_MS, &err);
    json_decref(err);
    bool progressed = false, keep_rv = st == 200 && follow(c, lw, &rv, &progressed);
    if (st == 410 || (st == 200 && !keep_rv)) { /* too old, or an error event: list again */
      free(rv);
      rv = NULL;
    }
    if (progressed) backoff = MIN_BACKOFF_MS;
    else if (st != 200) {
      sleep_ms(lw, backoff);
      backoff = next_backoff(backoff);
    }
  }
  free(rv);
}
