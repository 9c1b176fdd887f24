/* events.c - the event recorder (see events.h). Repeats of one event are
 * found in a small in-memory table keyed by object uid, reason and message,
 * and turn into a merge patch of count and lastTimestamp, as client-go's
 * EventCorrelator does; the table forgets entries after ten minutes. */
#include "events.h"
#include "api.h"
#include "log.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEEN_MAX 4096
#define SEEN_TTL 600

typedef struct {
  char *key;  /* uid \x1f type \x1f reason \x1f message */
  char *ns;   /* event namespace */
  char *name; /* event name */
  long count;
  time_t last;
} seen_event;

/* The table: entries by key, and a ring of keys in insertion order so the
 * oldest goes first when SEEN_MAX are held. Guarded by mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static strmap *seen;
static char *order[SEEN_MAX];
static size_t first, nseen;

static void seen_free(seen_event *s) {
  if (!s) return;
  free(s->key);
  free(s->ns);
  free(s->name);
  free(s);
}

/* The entry for key, or NULL (a stale one is dropped). */
static seen_event *seen_find(const char *key, time_t now) {
  seen_event *s = seen ? strmap_get(seen, key) : NULL;
  if (s && now - s->last > SEEN_TTL) {
    seen_free(strmap_remove(seen, key));
    s = NULL;
  }
  return s;
}

static void seen_drop(const char *key) { seen_free(strmap_remove(seen, key)); }

static void seen_add(const char *key, const char *ns, const char *name, time_t now) {
  if (!seen) seen = strmap_new();
  if (nseen == SEEN_MAX) { /* forget the oldest (gone already, or re-added since: then it is forgotten early) */
    seen_drop(order[first]);
    free(order[first]);
    first = (first + 1) % SEEN_MAX;
    nseen--;
  }
  seen_event *s = malloc(sizeof *s);
  *s = (seen_event){strdup(key), strdup(ns), strdup(name), 1, now};
  seen_free(strmap_put(seen, key, s));
  order[(first + nseen++) % SEEN_MAX] = strdup(key);
}

/* Bumps count and lastTimestamp of an earlier event; false when it is gone. */
static bool bump(const resource *er, const char *ns, const char *name, long count, const char *ts) {
  char patch[160];
  int n = snprintf(patch, sizeof patch, "{\"count\":%ld,\"lastTimestamp\":\"%s\"}", count, ts);
  api_opts o = {0};
  api_result res = api_patch(er, ns, name, "", "application/merge-patch+json", patch, (size_t)n, &o);
  bool ok = res.code < 300;
  api_result_clear(&res);
  return ok;
}

void event_record(const json_t *involved, const char *component, const char *type, const char *reason,
                  const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);

  const json_t *md = json_object_get(involved, "metadata");
  const char *name = json_string_value(json_object_get(md, "name"));
  const char *ns = json_string_value(json_object_get(md, "namespace"));
  const char *uid = json_string_value(json_object_get(md, "uid"));
  if (!name) return;
  if (!ns || !*ns) ns = "default"; /* events about cluster-scoped objects live in default */
  const resource *er = registry_find("", "v1", "events");
  if (!er) return;

  char ts[40];
  rfc3339_now(ts, sizeof ts);
  time_t now = time(NULL);
  size_t klen = strlen(uid ? uid : name) + strlen(type) + strlen(reason) + strlen(msg) + 4;
  char *key = malloc(klen);
  snprintf(key, klen, "%s\x1f%s\x1f%s\x1f%s", uid ? uid : name, type, reason, msg);

  pthread_mutex_lock(&mu);
  seen_event *s = seen_find(key, now);
  if (s) {
    s->count++;
    s->last = now;
    char *ens = strdup(s->ns), *ename = strdup(s->name);
    long count = s->count;
    pthread_mutex_unlock(&mu);
    bool ok = bump(er, ens, ename, count, ts);
    free(ens);
    free(ename);
    if (ok) {
      free(key);
      return;
    }
    pthread_mutex_lock(&mu);
    if (seen_find(key, now)) seen_drop(key);
  }
  pthread_mutex_unlock(&mu);

  struct timespec tp;
  clock_gettime(CLOCK_REALTIME, &tp);
  char ename[300];
  snprintf(ename, sizeof ename, "%.240s.%llx", name,
           (unsigned long long)tp.tv_sec * 1000000000ULL + (unsigned long long)tp.tv_nsec);
  json_t *inv = json_object();
  const char *av = json_string_value(json_object_get(involved, "apiVersion"));
  const char *kind = json_string_value(json_object_get(involved, "kind"));
  const char *rv = json_string_value(json_object_get(md, "resourceVersion"));
  if (kind) json_object_set_new(inv, "kind", json_string(kind));
  const char *ins = json_string_value(json_object_get(md, "namespace"));
  if (ins && *ins) json_object_set_new(inv, "namespace", json_string(ins));
  json_object_set_new(inv, "name", json_string(name));
  if (uid) json_object_set_new(inv, "uid", json_string(uid));
  if (av) json_object_set_new(inv, "apiVersion", json_string(av));
  if (rv) json_object_set_new(inv, "resourceVersion", json_string(rv));
  json_t *ev = json_pack("{s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s,s:n,s:s,s:s}", "apiVersion",
                         "v1", "kind", "Event", "metadata", "name", ename, "namespace", ns, "involvedObject", inv,
                         "reason", reason, "message", msg, "source", "component", component, "firstTimestamp", ts,
                         "lastTimestamp", ts, "count", 1, "type", type, "eventTime", "reportingComponent", "",
                         "reportingInstance", "");
  api_opts o = {0};
  api_result res = api_create(er, ns, ev, &o);
  if (res.code >= 300) {
    LOGD("event %s/%s not recorded: code %d", ns, reason, res.code);
  } else {
    pthread_mutex_lock(&mu);
    if (!seen_find(key, now)) seen_add(key, ns, ename, now);
    pthread_mutex_unlock(&mu);
  }
  api_result_clear(&res);
  free(key);
}

void events_shutdown(void) {
  pthread_mutex_lock(&mu);
  if (seen) strmap_free(seen, (void (*)(void *))seen_free);
  seen = NULL;
  for (size_t i = 0; i < nseen; i++) free(order[(first + i) % SEEN_MAX]);
  first = nseen = 0;
  pthread_mutex_unlock(&mu);
}
