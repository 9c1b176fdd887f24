/* events.c - the event recorder (see events.h). Recording is asynchronous,
 * as client-go's broadcaster is: event_record builds the Event and queues
 * it; sender threads write it, each owning the events of the objects whose
 * uid hashes to it, so one object's events keep their order and a controller
 * never waits for an Event's durable write (a binder binds, the ReplicaSet
 * controller creates, while the Events follow). Repeats of one event are
 * found in a small in-memory table keyed by object uid, reason and message,
 * and turn into a merge patch of count and lastTimestamp, as client-go's
 * EventCorrelator does; the table forgets entries after ten minutes. A full
 * queue drops the event (client-go's DropIfChannelFull), counted in a log. */
#include "events.h"
#include "api.h"
#include "log.h"
#include "object_meta.h"
#include "strmap.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEEN_MAX 4096
#define SEEN_TTL 600
#define SENDERS 16           /* threads writing Events (each a writer the group commit can batch) */
#define QUEUE_MAX 100000     /* queued Events at most, over all senders */

/* One recorded event on its way to the API. */
typedef struct pending_event {
  api_server *srv;           /* the server the Event is written through (the recorder's caller's) */
  char *key;                 /* the repeat table's key */
  char *ns, *name;           /* where a new Event goes, its name */
  char ts[40];
  time_t now;
  json_t *ev;                /* the new Event */
  struct pending_event *next;
} pending_event;

/* A sender's FIFO. */
typedef struct {
  pthread_mutex_t mu;        /* guards head, tail */
  pthread_cond_t cond;
  pending_event *head, *tail;
  pthread_t thread;
} sender;

static pthread_mutex_t senders_mu = PTHREAD_MUTEX_INITIALIZER; /* guards started, stopping, queued, dropped */
static sender senders[SENDERS];
static bool started, stopping;
static size_t queued, dropped;

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
static bool bump(api_server *srv, const resource *er, const char *ns, const char *name, long count, const char *ts) {
  char patch[160];
  int n = snprintf(patch, sizeof patch, "{\"count\":%ld,\"lastTimestamp\":\"%s\"}", count, ts);
  api_opts o = {0};
  api_result res = api_patch(srv, er, ns, name, "", "application/merge-patch+json", patch, (size_t)n, &o);
  bool ok = res.code < 300;
  api_result_clear(&res);
  return ok;
}

/* Writes one queued event: a bump of its earlier Event when the table
 * knows one, else a new Event (sender thread). */
static void send_one(pending_event *pe) {
  const resource *er = registry_find("", "v1", "events");
  if (!er) return;
  pthread_mutex_lock(&mu);
  seen_event *s = seen_find(pe->key, pe->now);
  if (s) {
    s->count++;
    s->last = pe->now;
    char *ens = strdup(s->ns), *ename = strdup(s->name);
    long count = s->count;
    pthread_mutex_unlock(&mu);
    bool ok = bump(pe->srv, er, ens, ename, count, pe->ts);
    free(ens);
    free(ename);
    if (ok) return;
    pthread_mutex_lock(&mu);
    if (seen_find(pe->key, pe->now)) seen_drop(pe->key);
  }
  pthread_mutex_unlock(&mu);
  api_opts o = {0};
  api_result res = api_create(pe->srv, er, pe->ns, json_incref(pe->ev), &o);
  if (res.code >= 300) {
    LOGD("event %s/%s not recorded: code %d", pe->ns, pe->name, res.code);
  } else {
    pthread_mutex_lock(&mu);
    if (!seen_find(pe->key, pe->now)) seen_add(pe->key, pe->ns, pe->name, pe->now);
    pthread_mutex_unlock(&mu);
  }
  api_result_clear(&res);
}

static void pending_free(pending_event *pe) {
  free(pe->key);
  free(pe->ns);
  free(pe->name);
  json_decref(pe->ev);
  free(pe);
}

static void *sender_main(void *arg) {
  sender *sd = arg;
  for (;;) {
    pthread_mutex_lock(&sd->mu);
    while (!sd->head && !stopping) pthread_cond_wait(&sd->cond, &sd->mu);
    pending_event *pe = stopping ? NULL : sd->head;
    if (pe) {
      sd->head = pe->next;
      if (!sd->head) sd->tail = NULL;
    }
    pthread_mutex_unlock(&sd->mu);
    if (!pe) return NULL;
    send_one(pe);
    pending_free(pe);
    pthread_mutex_lock(&senders_mu);
    queued--;
    pthread_mutex_unlock(&senders_mu);
  }
}

/* Hands pe to the sender owning its object (FNV-1a of the uid); false when
 * the queue is full or the recorder is stopping. */
static bool enqueue(const char *uid, pending_event *pe) {
  pthread_mutex_lock(&senders_mu);
  if (stopping || queued >= QUEUE_MAX) {
    bool log = !stopping && (dropped++ % 1000) == 0;
    pthread_mutex_unlock(&senders_mu);
    if (log) LOGW("event queue full (%d): %zu events dropped so far", QUEUE_MAX, dropped);
    return false;
  }
  if (!started) {
    for (int i = 0; i < SENDERS; i++) {
      pthread_mutex_init(&senders[i].mu, NULL);
      pthread_cond_init(&senders[i].cond, NULL);
      senders[i].head = senders[i].tail = NULL;
      pthread_create(&senders[i].thread, NULL, sender_main, &senders[i]);
    }
    started = true;
  }
  queued++;
  pthread_mutex_unlock(&senders_mu);
  uint32_t h = 2166136261u;
  for (const char *c = uid; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
  sender *sd = &senders[h % SENDERS];
  pthread_mutex_lock(&sd->mu);
  if (sd->tail) sd->tail->next = pe;
  else sd->head = pe;
  sd->tail = pe;
  pthread_cond_signal(&sd->cond);
  pthread_mutex_unlock(&sd->mu);
  return true;
}

void event_record(const ctrl_context *cctx, const json_t *involved, const char *component, const char *type,
                  const char *reason, const char *fmt, ...) {
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

  pending_event *pe = calloc(1, sizeof *pe);
  pe->srv = cctx->srv;
  rfc3339_now(pe->ts, sizeof pe->ts);
  pe->now = time(NULL);
  size_t klen = strlen(uid ? uid : name) + strlen(type) + strlen(reason) + strlen(msg) + 4;
  pe->key = malloc(klen);
  snprintf(pe->key, klen, "%s\x1f%s\x1f%s\x1f%s", uid ? uid : name, type, reason, msg);

  char ename[300];
  meta_event_name(name, ename, sizeof ename);
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
  pe->ev = json_pack("{s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s,s:n,s:s,s:s}", "apiVersion", "v1",
                     "kind", "Event", "metadata", "name", ename, "namespace", ns, "involvedObject", inv, "reason",
                     reason, "message", msg, "source", "component", component, "firstTimestamp", pe->ts,
                     "lastTimestamp", pe->ts, "count", 1, "type", type, "eventTime", "reportingComponent", "",
                     "reportingInstance", "");
  pe->ns = strdup(ns);
  pe->name = strdup(ename);
  if (!enqueue(uid ? uid : name, pe)) pending_free(pe);
}

void events_shutdown(void) {
  /* queued events are dropped, as a process exit drops client-go's */
  pthread_mutex_lock(&senders_mu);
  bool were_started = started;
  stopping = true;
  pthread_mutex_unlock(&senders_mu);
  for (int i = 0; were_started && i < SENDERS; i++) {
    pthread_mutex_lock(&senders[i].mu);
    pthread_cond_broadcast(&senders[i].cond);
    pthread_mutex_unlock(&senders[i].mu);
  }
  for (int i = 0; were_started && i < SENDERS; i++) {
    pthread_join(senders[i].thread, NULL);
    for (pending_event *pe = senders[i].head, *next; pe; pe = next) {
      next = pe->next;
      pending_free(pe);
    }
    senders[i].head = senders[i].tail = NULL;
  }
  pthread_mutex_lock(&senders_mu);
  started = stopping = false;
  queued = 0;
  pthread_mutex_unlock(&senders_mu);
  pthread_mutex_lock(&mu);
  if (seen) strmap_free(seen, (void (*)(void *))seen_free);
  seen = NULL;
  for (size_t i = 0; i < nseen; i++) free(order[(first + i) % SEEN_MAX]);
  first = nseen = 0;
  pthread_mutex_unlock(&mu);
}
