/* watch_loop.c - the watch streams' event loop (see watch_loop.h): one
 * thread, one epoll set. The eventfd wakes it for a published commit or an
 * adopted stream; each socket for input (a close, TLS records to discard)
 * and, while unsent bytes wait, for output. Every stream's bytes this round
 * are framed as one HTTP chunk, so a commit costs each concerned stream one
 * TLS write, and streams of other buckets nothing. A bucket's streams are
 * indexed by the namespace they watch, so an event is offered only to the
 * streams of its namespace and to those watching every namespace: with
 * thousands of watches, a write costs what its own watchers cost. */
#include "watch_loop.h"
#include "civetweb_raw.h"
#include "log.h"
#include "strmap.h"
#include "timestamp.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define IDLE_MS 5000
#define MAX_UNSENT (32u << 20) /* a stream this far behind is dropped */
#define BATCH 256

typedef struct stream {
  SSL *ssl; /* NULL on a plain connection */
  int fd;
  cache_bucket *b;
  char *ns;       /* the namespace watched; "" for all */
  int64_t cursor; /* the newest event handed to ops->render */
  /* cursor when the current batch of events began (batch = its number):
   * the events of one revision (several when a store transaction wrote
   * several keys) come in one batch, and those after `done` are new */
  int64_t done;
  unsigned batch;
  long long deadline_ms, last_write_ms;
  const watch_ops *ops;
  void *target;
  watch_buf body; /* this round's bytes, not yet framed */
  watch_buf out;  /* framed bytes waiting for the socket, from off */
  size_t off;
  bool want_out, closing, dead, touched;
  struct stream *bnext, *bprev; /* the streams of the bucket and namespace */
  struct stream *next, *prev;   /* all streams */
  struct stream *tnext;         /* touched this round / dead / adopted */
} stream;

typedef struct {
  stream *head;
} stream_list;

typedef struct {
  cache_bucket *b;
  stream_list all_ns; /* streams watching every namespace */
  strmap *by_ns;      /* namespace -> stream_list */
} bucket_streams;

static struct {
  cache *c;
  int ep, wake;
  pthread_t thread;
  atomic_bool running, stopping;
  pthread_mutex_t mu; /* the adopted queue */
  stream *adopted;
  stream *all;
  bucket_streams *buckets;
  size_t nbuckets;
  int64_t cursor; /* events up to here were dispatched */
  unsigned batch; /* numbers each batch of events taken from the cache */
  bool reap_due;  /* a stream died since the last reap */
  atomic_size_t count;
} L = {.ep = -1, .wake = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

void watch_buf_add(watch_buf *b, const void *data, size_t len) {
  if (b->len + len > b->cap) {
    b->cap = (b->len + len) * 2 + 256;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->len, data, len);
  b->len += len;
}

static void wake(void) {
  uint64_t one = 1;
  if (L.wake >= 0 && write(L.wake, &one, sizeof one) < 0) { /* already signalled: the counter is non-zero */
  }
}

static void on_publish(void *arg) { wake(); }

static void set_dead(stream *s) {
  s->dead = true;
  L.reap_due = true;
}

static bucket_streams *bucket_of(cache_bucket *b, bool add) {
  for (size_t i = 0; i < L.nbuckets; i++)
    if (L.buckets[i].b == b) return &L.buckets[i];
  if (!add) return NULL;
  L.buckets = realloc(L.buckets, (L.nbuckets + 1) * sizeof *L.buckets);
  L.buckets[L.nbuckets] = (bucket_streams){b, {NULL}, strmap_new()};
  return &L.buckets[L.nbuckets++];
}

/* The list a stream of namespace ns belongs to in bs (made when add). */
static stream_list *list_of(bucket_streams *bs, const char *ns, bool add) {
  if (!*ns) return &bs->all_ns;
  stream_list *l = strmap_get(bs->by_ns, ns);
  if (!l && add) {
    l = calloc(1, sizeof *l);
    strmap_put(bs->by_ns, ns, l);
  }
  return l;
}

static void set_events(stream *s, bool out) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0), .data.ptr = s};
  epoll_ctl(L.ep, EPOLL_CTL_MOD, s->fd, &ev);
  s->want_out = out;
}

/* Writes what the socket takes now. */
static void flush(stream *s) {
  while (!s->dead && s->off < s->out.len) {
    size_t n = s->out.len - s->off;
    int k = s->ssl ? SSL_write(s->ssl, s->out.p + s->off, n > 1u << 30 ? 1 << 30 : (int)n)
                   : (int)write(s->fd, s->out.p + s->off, n);
    if (k > 0) {
      s->off += (size_t)k;
      continue;
    }
    int err = s->ssl ? SSL_get_error(s->ssl, k) : 0;
    bool again = s->ssl ? err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ
                        : k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    if (!again) {
      set_dead(s);
      return;
    }
    if (!s->want_out) set_events(s, true);
    if (s->out.len - s->off > MAX_UNSENT) set_dead(s);
    return;
  }
  s->out.len = s->off = 0;
  if (s->want_out) set_events(s, false);
  if (s->closing) set_dead(s);
}

/* Frames this round's bytes as one chunk and sends it. */
static void send_body(stream *s, long long now) {
  if (!s->body.len) return;
  char head[24];
  int h = snprintf(head, sizeof head, "%zx\r\n", s->body.len);
  watch_buf_add(&s->out, head, (size_t)h);
  watch_buf_add(&s->out, s->body.p, s->body.len);
  watch_buf_add(&s->out, "\r\n", 2);
  s->body.len = 0;
  s->last_write_ms = now;
  flush(s);
}

static void finish(stream *s) {
  s->closing = true;
  watch_buf_add(&s->out, "0\r\n\r\n", 5);
  flush(s);
}

/* Renders e unless the stream had it already (a catch-up can run ahead of
 * the loop's cursor). Revisions are not unique, so "had it" compares with
 * the cursor before this batch, not with this batch's previous event. */
static void render(stream *s, cache_event *e) {
  if (s->batch != L.batch) {
    s->batch = L.batch;
    s->done = s->cursor;
  }
  if (e->rev <= s->done) return;
  s->ops->render(s->target, e, &s->body);
  s->cursor = e->rev;
}

static void destroy(stream *s) {
  epoll_ctl(L.ep, EPOLL_CTL_DEL, s->fd, NULL);
  if (s->ssl) {
    SSL_shutdown(s->ssl);
    SSL_free(s->ssl);
  }
  close(s->fd);
  s->ops->release(s->target);
  free(s->ns);
  free(s->body.p);
  free(s->out.p);
  free(s);
  atomic_fetch_sub(&L.count, 1);
}

static void unlink_stream(stream *s) {
  bucket_streams *bs = bucket_of(s->b, false);
  stream_list *l = bs ? list_of(bs, s->ns, false) : NULL;
  if (s->bprev) s->bprev->bnext = s->bnext;
  else if (l) l->head = s->bnext;
  if (s->bnext) s->bnext->bprev = s->bprev;
  if (l && !l->head && l != &bs->all_ns) free(strmap_remove(bs->by_ns, s->ns));
  if (s->prev) s->prev->next = s->next;
  else L.all = s->next;
  if (s->next) s->next->prev = s->prev;
}

static void reap(void) {
  if (!L.reap_due) return;
  L.reap_due = false;
  for (stream *s = L.all, *next; s; s = next) {
    next = s->next;
    if (!s->dead) continue;
    unlink_stream(s);
    destroy(s);
  }
}

/* Events since a stream's cursor that the loop dispatched before it came. */
static void catch_up(stream *s, long long now) {
  cache_event evs[BATCH];
  int64_t cur = s->cursor;
  while (cur < L.cursor) {
    int n = cache_wait(L.c, s->b, &cur, evs, BATCH, 0, NULL);
    if (n < 0) set_dead(s);
    if (n <= 0) break;
    L.batch++;
    for (int i = 0; i < n; i++) {
      render(s, &evs[i]);
      cache_event_release(&evs[i]);
    }
  }
  send_body(s, now);
}

static void adopt_queued(long long now) {
  pthread_mutex_lock(&L.mu);
  stream *q = L.adopted;
  L.adopted = NULL;
  pthread_mutex_unlock(&L.mu);
  for (stream *s = q, *next; s; s = next) {
    next = s->tnext;
    s->tnext = NULL;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = s};
    if (epoll_ctl(L.ep, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
      LOGW("watch loop: cannot poll a stream: %s", strerror(errno));
      set_dead(s);
    }
    stream_list *l = list_of(bucket_of(s->b, true), s->ns, true);
    s->bnext = l->head;
    if (l->head) l->head->bprev = s;
    l->head = s;
    s->next = L.all;
    if (L.all) L.all->prev = s;
    L.all = s;
    if (!s->dead) catch_up(s, now);
  }
}

/* Offers event e to the streams of list l; a stream given bytes joins *touched. */
static void offer(stream_list *l, cache_event *e, stream **touched) {
  for (stream *s = l ? l->head : NULL; s; s = s->bnext) {
    if (s->dead || s->closing) continue;
    size_t before = s->body.len;
    render(s, e);
    if (s->body.len > before && !s->touched) {
      s->touched = true;
      s->tnext = *touched;
      *touched = s;
    }
  }
}

/* New events, each to the streams of its bucket and namespace; one chunk per
 * touched stream. */
static void dispatch(long long now) {
  cache_event evs[BATCH];
  stream *touched = NULL;
  for (;;) {
    int n = cache_wait(L.c, NULL, &L.cursor, evs, BATCH, 0, NULL);
    if (n < 0) { /* the loop fell behind the event window: its streams cannot go on */
      LOGW("watch loop: events expired before delivery; ending %zu watches", atomic_load(&L.count));
      for (stream *s = L.all; s; s = s->next) finish(s);
      L.cursor = cache_rev(L.c);
      break;
    }
    if (n == 0) break;
    L.batch++;
    for (int i = 0; i < n; i++) {
      bucket_streams *bs = bucket_of(evs[i].bucket, false);
      if (bs) {
        offer(&bs->all_ns, &evs[i], &touched);
        char ns[256];
        const char *sub = evs[i].obj->subkey, *slash = strchr(sub, '/');
        size_t len = slash ? (size_t)(slash - sub) : 0;
        if (len && len < sizeof ns && strmap_count(bs->by_ns)) {
          memcpy(ns, sub, len);
          ns[len] = 0;
          offer(strmap_get(bs->by_ns, ns), &evs[i], &touched);
        }
      }
      cache_event_release(&evs[i]);
    }
  }
  for (stream *s = touched; s; s = s->tnext) {
    s->touched = false;
    send_body(s, now);
  }
}

/* Discards what the client sends; notices its close. */
static void drain_input(stream *s) {
  char buf[4096];
  for (;;) {
    int k = s->ssl ? SSL_read(s->ssl, buf, sizeof buf) : (int)read(s->fd, buf, sizeof buf);
    if (k > 0) continue;
    if (s->ssl) {
      int err = SSL_get_error(s->ssl, k);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) set_dead(s);
    } else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      set_dead(s);
    }
    return;
  }
}

static void tick(long long now) {
  for (stream *s = L.all; s; s = s->next) {
    if (s->dead || s->closing) continue;
    if (now >= s->deadline_ms) {
      send_body(s, now);
      finish(s);
    } else if (now - s->last_write_ms >= IDLE_MS && !s->out.len) {
      s->ops->idle(s->target, s->cursor > L.cursor ? s->cursor : L.cursor, &s->body);
      send_body(s, now);
    }
  }
}

static void *loop_main(void *arg) {
  struct epoll_event evs[256];
  long long last_tick = mono_ms();
  while (!atomic_load(&L.stopping)) {
    int n = epoll_wait(L.ep, evs, 256, 1000);
    long long now = mono_ms();
    bool woke = false;
    for (int i = 0; i < n; i++) {
      stream *s = evs[i].data.ptr;
      if (!s) {
        uint64_t v;
        if (read(L.wake, &v, sizeof v) < 0) { /* spurious: nothing to take */
        }
        woke = true;
        continue;
      }
      if (s->dead) continue;
      if (evs[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        set_dead(s);
        continue;
      }
      if (evs[i].events & EPOLLIN) drain_input(s);
      if (evs[i].events & EPOLLOUT) flush(s);
    }
    if (woke) {
      adopt_queued(now);
      dispatch(now);
    }
    if (now - last_tick >= 1000) {
      tick(now);
      last_tick = now;
    }
    reap();
  }
  return NULL;
}

int watch_loop_start(cache *c) {
  L.c = c;
  L.cursor = cache_rev(c);
  L.ep = epoll_create1(EPOLL_CLOEXEC);
  L.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (L.ep < 0 || L.wake < 0 || epoll_ctl(L.ep, EPOLL_CTL_ADD, L.wake, &ev) != 0) return -1;
  cache_on_publish(c, on_publish, NULL);
  if (pthread_create(&L.thread, NULL, loop_main, NULL) != 0) return -1;
  atomic_store(&L.running, true);
  return 0;
}

void watch_loop_stop(void) {
  if (!atomic_exchange(&L.running, false)) return;
  atomic_store(&L.stopping, true);
  wake();
  pthread_join(L.thread, NULL);
  adopt_queued(mono_ms());
  for (stream *s = L.all; s; s = s->next)
    if (!s->dead) finish(s); /* best effort: one non-blocking write */
  for (stream *s = L.all; s; s = s->next) set_dead(s);
  reap();
}

bool watch_loop_adopt(struct mg_connection *conn, cache_bucket *b, const char *ns, int64_t cursor,
                      long timeout_ms, const watch_ops *ops, void *target) {
  if (!atomic_load(&L.running) || atomic_load(&L.stopping)) return false;
  stream *s = calloc(1, sizeof *s);
  void *ssl = NULL;
  s->fd = mg_raw_detach(conn, &ssl);
  s->ssl = ssl;
  if (s->ssl) SSL_set_mode(s->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                       SSL_MODE_RELEASE_BUFFERS);
  fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
  s->b = b;
  s->ns = strdup(ns ? ns : "");
  s->cursor = s->done = cursor;
  long long now = mono_ms();
  s->deadline_ms = now + timeout_ms;
  s->last_write_ms = now;
  s->ops = ops;
  s->target = target;
  atomic_fetch_add(&L.count, 1);
  pthread_mutex_lock(&L.mu);
  s->tnext = L.adopted;
  L.adopted = s;
  pthread_mutex_unlock(&L.mu);
  wake();
  return true;
}

size_t watch_loop_count(void) { return atomic_load(&L.count); }
