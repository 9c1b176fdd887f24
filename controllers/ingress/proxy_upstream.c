/* proxy_upstream.c - connections to upstream endpoints: non-blocking
 * connects and each worker's pool of idle keep-alive connections, found by
 * hashing the endpoint address into buckets of most-recently-used lists
 * (the warmest connection first). The pool has no size cap below the
 * number of sessions: an idle pool smaller than the concurrency costs
 * nginx a third of its throughput (docs/BENCHMARKS.md), so every
 * connection a finished request leaves is kept until it idles 60 s or the
 * upstream closes it. HTTPS backends (backend-protocol) get a TLS client
 * session on the same socket, handshaken before the request is written, and
 * are pooled apart from plain connections to the same endpoint. */
#include "proxy_internal.h"
#include <errno.h>
#include <openssl/err.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static unsigned bucket_of(const route_endpoint *ep) {
  const unsigned char *p = (const unsigned char *)&ep->addr;
  unsigned h = 2166136261u;
  for (socklen_t i = 0; i < ep->len; i++) h = (h ^ p[i]) * 16777619u;
  return h % POOL_BUCKETS;
}

static SSL_CTX *client_ctx;

bool upstream_tls_init(void) {
  if (client_ctx) return true;
  SSL_CTX *c = SSL_CTX_new(TLS_client_method());
  if (!c) return false;
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(c, 1);
  client_ctx = c;
  return true;
}

static bool same_endpoint(const upstream *u, const route_endpoint *ep, bool tls) {
  return (u->ssl != NULL) == tls && u->ep.len == ep->len && !memcmp(&u->ep.addr, &ep->addr, ep->len);
}

ssize_t upstream_read(upstream *u, char *p, size_t n) {
  return proxy_read(u->fd, u->ssl, &u->readable, &u->writable, &u->rh, p, n);
}

ssize_t upstream_write(upstream *u, const char *p, size_t n) {
  return proxy_write(u->fd, u->ssl, &u->readable, &u->writable, p, n);
}

int upstream_handshake(upstream *u) {
  int r = SSL_do_handshake(u->ssl);
  if (r == 1) {
    u->handshaking = false;
    return 1;
  }
  return proxy_tls_result(u->ssl, r, &u->readable, &u->writable) == -1 ? 0 : -1;
}

static void unlink_idle(upstream *u) {
  unsigned b = bucket_of(&u->ep);
  if (u->prev) u->prev->next = u->next;
  else u->w->idle[b] = u->next;
  if (u->next) u->next->prev = u->prev;
  u->prev = u->next = NULL;
}

static upstream *connect_new(worker *w, const route_endpoint *ep, bool tls) {
  int fd = socket(ep->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return NULL;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  upstream *u = calloc(1, sizeof *u);
  if (!u) {
    close(fd);
    return NULL;
  }
  u->kind = P_UPSTREAM, u->fd = fd, u->w = w, u->ep = *ep;
  if (tls) {
    if (!client_ctx || !(u->ssl = SSL_new(client_ctx))) {
      close(fd);
      free(u);
      return NULL;
    }
    SSL_set_fd(u->ssl, fd);
    proxy_tls_track(u->ssl, &u->rh);
    SSL_set_connect_state(u->ssl);
    u->handshaking = true;
  }
  pbuf_init(&u->in);
  int rc = connect(fd, (const struct sockaddr *)&ep->addr, ep->len);
  u->connecting = rc != 0;
  u->writable = rc == 0;
  if (rc != 0 && errno != EINPROGRESS) {
    u->connecting = false; /* refused at once: the caller sees the error on first use */
    u->readable = u->writable = true;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = u};
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    if (u->ssl) SSL_free(u->ssl);
    close(fd);
    pbuf_free(&u->in);
    free(u);
    return NULL;
  }
  return u;
}

upstream *upstream_acquire(worker *w, const route_endpoint *ep, bool tls, bool *reused) {
  for (upstream *u = w->idle[bucket_of(ep)]; u; u = u->next) {
    if (!same_endpoint(u, ep, tls)) continue;
    unlink_idle(u);
    *reused = true;
    u->reused = true;
    return u;
  }
  *reused = false;
  return connect_new(w, ep, tls);
}

void upstream_close(upstream *u) {
  if (!u || u->dead) return;
  if (u->ssl) SSL_free(u->ssl); /* no close_notify: the socket goes at once */
  u->ssl = NULL;
  epoll_ctl(u->w->ep, EPOLL_CTL_DEL, u->fd, NULL); /* a forked child's copy would keep it in the set */
  close(u->fd);
  u->dead = true;
  u->next = u->w->dead_upstreams;
  u->w->dead_upstreams = u;
}

void upstream_release(upstream *u, bool keep) {
  u->s = NULL;
  if (!keep || pbuf_len(&u->in)) { /* unread bytes: the stream is out of step */
    upstream_close(u);
    return;
  }
  u->in.start = u->in.end = 0;
  u->idle_since = u->w->now;
  unsigned b = bucket_of(&u->ep);
  u->prev = NULL;
  u->next = u->w->idle[b];
  if (u->next) u->next->prev = u;
  u->w->idle[b] = u;
}

/* An idle connection spoke: the upstream closed it (or broke protocol). */
static void idle_event(upstream *u) {
  unlink_idle(u);
  upstream_close(u);
}

void upstream_event(upstream *u, uint32_t events) {
  if (u->dead) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) u->readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) u->rh.hup = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) u->writable = true;
  if (!u->s) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) idle_event(u);
    return;
  }
  session_run(u->s);
}

void upstream_sweep(worker *w) {
  for (unsigned b = 0; b < POOL_BUCKETS; b++) {
    upstream *u = w->idle[b];
    while (u) {
      upstream *next = u->next;
      if (w->now - u->idle_since > UPSTREAM_IDLE_MS) idle_event(u);
      u = next;
    }
  }
}

void upstream_close_all(worker *w) {
  for (unsigned b = 0; b < POOL_BUCKETS; b++)
    while (w->idle[b]) idle_event(w->idle[b]);
}
