/* store_etcd.c - the etcd store (store.h): ckube's objects in an etcd 3.4
 * cluster, spoken to through a transport (store_etcd_transport.h): etcd's
 * gRPC API (store_etcd_grpc.c, the default) or its v3 JSON gateway
 * (store_etcd_json.c); docs/ETCD.md has the measurement that chose gRPC.
 *
 * Revisions are etcd's: load ranges the key space at one revision (in pages),
 * put_batch is one transaction comparing each key's mod revision (the
 * answer comes after the cluster committed it; its writes share one
 * revision), and one watch thread streams
 * every change after the loaded revision to the cache, reconnecting to the
 * next member from the last delivered revision when a stream breaks. A
 * compactor thread compacts history older than compaction_seconds, at the
 * revision it saw one period earlier, as kube-apiserver does. */
#include "store.h"
#include "log.h"
#include "store_etcd_transport.h"
#include "timestamp.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LOAD_PAGE = 500 };

typedef struct {
  store base;
  etcd_transport *tr;
  char prefix[128], from[130], to[130]; /* the key range "<prefix>/" .. "<prefix>0" */
  char ranges[140];                     /* "<prefix>/ranges/": bookkeeping keys, not objects */
  int compaction_seconds;
  atomic_bool stop;
  pthread_mutex_t mu;
  pthread_cond_t cond; /* wakes the compactor at close */
  pthread_t watcher, compactor;
  bool watching, compacting;
  store_watch_fn fn;
  store_reload_fn reload;
  void *fn_ctx;
  _Atomic int64_t delivered; /* last revision handed to fn */
  _Atomic int64_t latest;    /* newest header revision seen */
} etcd_store;

static _Thread_local char last_error[320];

static const char *es_error(store *st) {
  (void)st;
  return last_error;
}

static bool is_bookkeeping(const etcd_store *s, const char *key) {
  return !strncmp(key, s->ranges, strlen(s->ranges));
}

static int es_load(store *st, store_load_fn fn, void *ctx, int64_t *rev) {
  etcd_store *s = (etcd_store *)st;
  *rev = 0;
  char *next = strdup(s->from);
  size_t next_len = strlen(next);
  int64_t at = 0;
  for (;;) {
    etcd_range_result r;
    char err[256];
    if (s->tr->range(s->tr, next, next_len, s->to, LOAD_PAGE, at, &r, err, sizeof err) != 0) {
      snprintf(last_error, sizeof last_error, "load: %s", err);
      break;
    }
    if (!at) at = r.rev;
    for (size_t i = 0; i < r.n; i++) {
      if (is_bookkeeping(s, r.kvs[i].key)) continue;
      char *ck = etcd_cache_key(s->prefix, r.kvs[i].key, r.kvs[i].key_len);
      if (ck) fn(ctx, ck, r.kvs[i].mod_rev, (const char *)r.kvs[i].value, r.kvs[i].value_len);
      else LOGW("etcd: skipping key %s (not <prefix>/<group>/<resource>/[<namespace>/]<name>)", r.kvs[i].key);
      free(ck);
    }
    if (r.more && r.n) {
      /* the next page starts just after the last key: key + "\0" */
      const etcd_kv *last = &r.kvs[r.n - 1];
      free(next);
      next = malloc(last->key_len + 1);
      memcpy(next, last->key, last->key_len);
      next[last->key_len] = 0;
      next_len = last->key_len + 1;
    }
    bool more = r.more && r.n;
    etcd_kvs_free(r.kvs, r.n);
    if (!more) {
      free(next);
      *rev = at;
      atomic_store(&s->latest, at);
      return 0;
    }
  }
  free(next);
  return -1;
}

static int es_commit(store *st, const store_op *ops, size_t n) {
  (void)st, (void)ops, (void)n;
  snprintf(last_error, sizeof last_error, "the etcd store writes through put_batch only");
  return -1;
}

static void saw_revision(etcd_store *s, int64_t rev) {
  int64_t seen = atomic_load(&s->latest);
  while (rev > seen && !atomic_compare_exchange_weak(&s->latest, &seen, rev)) {
  }
}

static int es_put_batch(store *st, const store_op *ops, const int64_t *expect_rev, size_t n, int64_t *rev,
                        int64_t *current) {
  etcd_store *s = (etcd_store *)st;
  etcd_txn_op *tx = calloc(n ? n : 1, sizeof *tx);
  char **keys = calloc(n ? n : 1, sizeof *keys);
  for (size_t i = 0; i < n; i++) {
    keys[i] = etcd_key_of(s->prefix, ops[i].key);
    tx[i] = (etcd_txn_op){keys[i], (const unsigned char *)ops[i].value, ops[i].value ? ops[i].len : 0, expect_rev[i]};
  }
  etcd_txn_result r;
  char err[256];
  int rc = s->tr->txn(s->tr, tx, n, &r, current, err, sizeof err);
  for (size_t i = 0; i < n; i++) free(keys[i]);
  free(keys);
  free(tx);
  if (rc != 0) {
    snprintf(last_error, sizeof last_error, "%s", err);
    return -1;
  }
  *rev = r.rev;
  if (!r.succeeded) return 1;
  saw_revision(s, r.rev);
  return 0;
}

static int es_get_raw(store *st, const char *name, char **value, size_t *vlen, int64_t *rev) {
  etcd_store *s = (etcd_store *)st;
  char key[300];
  snprintf(key, sizeof key, "%s%s", s->ranges, name);
  etcd_range_result r;
  char err[256];
  if (s->tr->range(s->tr, key, strlen(key), NULL, 1, 0, &r, err, sizeof err) != 0) {
    snprintf(last_error, sizeof last_error, "%s", err);
    return -1;
  }
  *value = NULL;
  *vlen = 0;
  *rev = 0;
  if (r.n) {
    *value = malloc(r.kvs[0].value_len + 1);
    memcpy(*value, r.kvs[0].value, r.kvs[0].value_len);
    (*value)[r.kvs[0].value_len] = 0;
    *vlen = r.kvs[0].value_len;
    *rev = r.kvs[0].mod_rev;
  }
  etcd_kvs_free(r.kvs, r.n);
  return 0;
}

static int es_put_raw_if(store *st, const char *name, const char *value, size_t vlen, int64_t expect_rev) {
  etcd_store *s = (etcd_store *)st;
  char key[300];
  snprintf(key, sizeof key, "%s%s", s->ranges, name);
  etcd_txn_op op = {key, (const unsigned char *)value, vlen, expect_rev};
  etcd_txn_result r;
  int64_t current;
  char err[256];
  if (s->tr->txn(s->tr, &op, 1, &r, &current, err, sizeof err) != 0) {
    snprintf(last_error, sizeof last_error, "%s", err);
    return -1;
  }
  return r.succeeded ? 0 : 1;
}

/* Sleeps up to ms unless the store is closing; false when it is. */
static bool nap(etcd_store *s, int ms) {
  struct timespec t = deadline_in_ms(CLOCK_MONOTONIC, ms);
  pthread_mutex_lock(&s->mu);
  while (!atomic_load(&s->stop) && pthread_cond_timedwait(&s->cond, &s->mu, &t) == 0) {
  }
  pthread_mutex_unlock(&s->mu);
  return !atomic_load(&s->stop);
}

/* Hands one watch message's events to the cache. */
static void deliver(etcd_store *s, const etcd_watch_msg *m) {
  store_event *evs = calloc(m->n ? m->n : 1, sizeof *evs);
  char **keys = calloc(m->n ? m->n : 1, sizeof *keys);
  size_t n = 0;
  /* the writes of one transaction share a revision: compare with what
   * earlier messages delivered, not with this message's previous event */
  int64_t before = atomic_load(&s->delivered), last = before;
  for (size_t i = 0; i < m->n; i++) {
    const etcd_kv *e = &m->evs[i];
    if (e->mod_rev <= before) continue; /* already delivered before a reconnect */
    if (is_bookkeeping(s, e->key)) {
      last = e->mod_rev;
      continue;
    }
    keys[n] = etcd_cache_key(s->prefix, e->key, e->key_len);
    if (!keys[n]) {
      LOGW("etcd: ignoring a change of key %s (not <prefix>/<group>/<resource>/[<namespace>/]<name>)", e->key);
      continue;
    }
    evs[n] = (store_event){keys[n], e->del ? NULL : (const char *)e->value, e->value_len, e->mod_rev};
    last = e->mod_rev;
    n++;
  }
  if (n) s->fn(s->fn_ctx, evs, n);
  atomic_store(&s->delivered, last);
  for (size_t i = 0; i < n; i++) free(keys[i]);
  free(keys);
  free(evs);
}

/* One watch message: false when the stream is done with (canceled, or
 * compacted past from, the cache then reloaded). */
static bool on_message(etcd_store *s, const etcd_watch_msg *m, int64_t from) {
  saw_revision(s, m->rev);
  if (!m->canceled) {
    deliver(s, m);
    return true;
  }
  if (m->compact_rev > 0) {
    /* changes between from and the compaction are gone: the cache loads everything again */
    LOGW("etcd watch: revision %lld was compacted (at %lld); reloading", (long long)from, (long long)m->compact_rev);
    int64_t rev = s->reload(s->fn_ctx);
    if (rev > 0) atomic_store(&s->delivered, rev);
    else nap(s, 1000);
  } else LOGW("etcd watch canceled: %s", m->reason);
  return false;
}

static void *watch_main(void *arg) {
  etcd_store *s = arg;
  while (!atomic_load(&s->stop)) {
    char err[256] = "";
    int64_t from = atomic_load(&s->delivered) + 1;
    etcd_watch *w = s->tr->watch_open(s->tr, s->from, s->to, from, err, sizeof err);
    if (!w) {
      LOGW("etcd watch: %s; retrying", err);
      nap(s, 500);
      continue;
    }
    for (;;) {
      etcd_watch_msg m;
      int got = s->tr->watch_next(w, &m, 1000, &s->stop, err, sizeof err);
      if (got < 0) {
        if (!atomic_load(&s->stop)) LOGW("etcd watch: %s", err);
        break;
      }
      bool more = got == 0 || (!atomic_load(&s->stop) && on_message(s, &m, from));
      if (got > 0) etcd_kvs_free(m.evs, m.n);
      if (!more || atomic_load(&s->stop)) break;
    }
    s->tr->watch_close(w);
    if (!atomic_load(&s->stop)) {
      LOGW("etcd watch stream ended after revision %lld; reconnecting", (long long)atomic_load(&s->delivered));
      nap(s, 100);
    }
  }
  return NULL;
}

static int es_watch(store *st, int64_t after, store_watch_fn fn, store_reload_fn reload, void *ctx) {
  etcd_store *s = (etcd_store *)st;
  s->fn = fn;
  s->reload = reload;
  s->fn_ctx = ctx;
  atomic_store(&s->delivered, after);
  if (pthread_create(&s->watcher, NULL, watch_main, s) != 0) {
    snprintf(last_error, sizeof last_error, "cannot start the etcd watch thread");
    return -1;
  }
  s->watching = true;
  return 0;
}

static void *compact_main(void *arg) {
  etcd_store *s = arg;
  int64_t previous = 0;
  while (nap(s, s->compaction_seconds * 1000)) {
    /* compact to what was current one period ago: history younger than the
     * period stays for watches to resume from */
    int64_t now = atomic_load(&s->latest);
    if (previous > 0) {
      char err[256];
      if (s->tr->compact(s->tr, previous, err, sizeof err) == 0)
        LOGI("etcd: compacted history before revision %lld", (long long)previous);
      else LOGW("etcd compaction at %lld: %s", (long long)previous, err);
    }
    previous = now;
  }
  return NULL;
}

static void es_close(store *st) {
  etcd_store *s = (etcd_store *)st;
  pthread_mutex_lock(&s->mu);
  atomic_store(&s->stop, true);
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
  if (s->watching) pthread_join(s->watcher, NULL);
  if (s->compacting) pthread_join(s->compactor, NULL);
  s->tr->free(s->tr);
  pthread_cond_destroy(&s->cond);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

store *store_etcd_open(const store_etcd_config *cfg, char *err, size_t errlen) {
  const char *prefix = cfg->prefix && *cfg->prefix ? cfg->prefix : "/registry";
  if (prefix[0] != '/' || strlen(prefix) > 100 || prefix[strlen(prefix) - 1] == '/') {
    snprintf(err, errlen, "--etcd-prefix must start with / and not end with one, got %s", prefix);
    return NULL;
  }
  const char *via = cfg->transport && *cfg->transport ? cfg->transport : "grpc";
  if (strcmp(via, "grpc") && strcmp(via, "json")) {
    snprintf(err, errlen, "--etcd-transport: want grpc or json, got %s", via);
    return NULL;
  }
  etcd_transport *tr = !strcmp(via, "grpc") ? etcd_transport_grpc(cfg, err, errlen) : etcd_transport_json(cfg, err, errlen);
  if (!tr) return NULL;
  etcd_store *s = calloc(1, sizeof *s);
  s->base = (store){.load = es_load, .commit = es_commit, .close = es_close, .error = es_error, .put_batch = es_put_batch,
                    .watch = es_watch, .get_raw = es_get_raw, .put_raw_if = es_put_raw_if};
  s->tr = tr;
  snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
  snprintf(s->from, sizeof s->from, "%s/", prefix);
  snprintf(s->to, sizeof s->to, "%s0", prefix);
  snprintf(s->ranges, sizeof s->ranges, "%s/ranges/", prefix);
  s->compaction_seconds = cfg->compaction_seconds;
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cond, &ca);
  pthread_condattr_destroy(&ca);
  /* one read proves the members, certificates and the transport */
  etcd_range_result probe;
  char why[256];
  if (tr->range(tr, s->from, strlen(s->from), NULL, 1, 0, &probe, why, sizeof why) != 0) {
    snprintf(err, errlen, "etcd %s (%s): %s", cfg->servers, tr->name, why);
    es_close(&s->base);
    return NULL;
  }
  etcd_kvs_free(probe.kvs, probe.n);
  LOGI("etcd: %s over %s", cfg->servers, tr->name);
  if (s->compaction_seconds > 0) {
    if (pthread_create(&s->compactor, NULL, compact_main, s) == 0) s->compacting = true;
    else LOGW("etcd: cannot start the compactor thread");
  }
  return &s->base;
}
