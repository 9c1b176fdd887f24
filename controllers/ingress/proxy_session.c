/* proxy_session.c - one client connection of the data plane, as a state
 * machine driven by its socket's and its upstream's readiness:
 *   S_HEAD    reading a request head (TLS handshake first on HTTPS)
 *   S_CONNECT waiting for a non-blocking connect to an endpoint
 *   S_PROXY   request body up, response head and body down, streamed
 *             through fixed 16 KiB buffers with back-pressure both ways
 *   S_TUNNEL  an Upgrade (WebSocket) relayed byte for byte
 *   S_LOCAL   sending the proxy's own response, then S_HEAD or close
 *   S_LINGER  after an early answer (413, 400) to a request whose body is
 *             still coming: our side shut, the rest read and dropped for up
 *             to 5 s, so closing does not reset the connection under the
 *             client before it has read the answer (nginx's lingering close).
 * A request is routed with the route table current when its head arrived
 * and keeps a reference to it until its response ends, so table swaps
 * never touch requests in flight. A connect failure is retried once on
 * another endpoint for idempotent methods; a pooled connection the
 * upstream closed meanwhile is replaced transparently. */
#include "ingress_metrics.h"
#include "proxy_internal.h"
#include "timestamp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* ---- I/O (proxy_io.c) ---- */

static ssize_t ssl_result(session *s, int r) { return proxy_tls_result(s->ssl, r, &s->readable, &s->writable); }
static ssize_t c_read(session *s, char *p, size_t n) {
  return proxy_read(s->fd, s->ssl, &s->readable, &s->writable, &s->rh, p, n);
}
static ssize_t c_write(session *s, const char *p, size_t n) {
  return proxy_write(s->fd, s->ssl, &s->readable, &s->writable, p, n);
}

/* ---- life cycle ---- */

void session_accept(worker *w, const listener *l, int fd, const struct sockaddr_storage *peer) {
  session *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return;
  }
  s->kind = P_SESSION, s->fd = fd, s->l = l, s->w = w, s->peer = *peer;
  if (peer->ss_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, s->peer_ip, sizeof s->peer_ip);
  else
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, s->peer_ip, sizeof s->peer_ip);
  pbuf_init(&s->in), pbuf_init(&s->out), pbuf_init(&s->up_out);
  s->readable = s->writable = true;
  s->state = S_HEAD;
  s->deadline = w->now + HEADER_TIMEOUT_MS;
  if (l->https) {
    s->ssl = SSL_new(w->ssl_ctx);
    if (!s->ssl) {
      close(fd);
      pbuf_free(&s->in), pbuf_free(&s->out), pbuf_free(&s->up_out);
      free(s);
      return;
    }
    SSL_set_fd(s->ssl, fd);
    proxy_tls_track(s->ssl, &s->rh);
    SSL_set_accept_state(s->ssl);
    s->handshaking = true;
  }
  s->next = w->sessions;
  if (s->next) s->next->prev = s;
  w->sessions = s;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = s};
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    session_close(s);
    return;
  }
  session_run(s);
}

/* The balancer's pairing of route_endpoint_begin: rtt_us -1 means no sample. */
static void balance_end(session *s, long long rtt_us) {
  if (s->lb_ep) route_endpoint_end(s->route.backend, s->lb_ep, rtt_us);
  s->lb_ep = NULL;
}

static void end_request(session *s) {
  balance_end(s, -1);
  free(s->log_head);
  s->log_head = NULL;
  route_unref(s->rt);
  s->rt = NULL;
  route_unref(s->retry_rt);
  s->retry_rt = NULL;
  free(s->retry_head);
  s->retry_head = NULL;
}

void session_close(session *s) {
  if (s->dead) return;
  worker *w = s->w;
  if (s->up) upstream_close(s->up);
  s->up = NULL;
  end_request(s);
  if (s->ssl) SSL_free(s->ssl);
  s->ssl = NULL;
  epoll_ctl(w->ep, EPOLL_CTL_DEL, s->fd, NULL); /* a forked child's copy would keep it in the set */
  close(s->fd);
  if (s->prev) s->prev->next = s->next;
  else w->sessions = s->next;
  if (s->next) s->next->prev = s->prev;
  s->dead = true;
  s->state = S_CLOSED;
  s->next = w->dead_sessions;
  w->dead_sessions = s;
}

static ingress_series *series_of(const session *s) {
  if (!s->route.path) return NULL;
  return s->route.canary && s->route.path->canary ? s->route.path->canary->stats : s->route.path->stats;
}

static void log_request(session *s, int status) {
  const char *req = s->log_head, *referer = req + strlen(req) + 1, *ua = referer + strlen(referer) + 1;
  const route_backend *b = s->route.backend;
  const route_canary *cn = s->route.path ? s->route.path->canary : NULL;
  access_log_entry e = {
      .remote_addr = s->peer_ip, .request = req, .referer = *referer ? referer : NULL, .user_agent = *ua ? ua : NULL,
      .status = status, .body_bytes_sent = s->log_body_bytes, .request_length = s->log_req_bytes,
      .request_time = (double)(s->w->now - s->started_at) / 1000.0,
      .upstream_name = b ? b->name : NULL,
      .alternative_upstream_name = cn && cn->backend && cn->backend != b ? cn->backend->name : NULL,
      .upstream_addr = s->tried ? s->tried->text : NULL,
      .upstream_response_length = s->log_body_bytes,
      .upstream_response_time = s->lb_ep ? (double)(mono_us() - s->lb_since_us) / 1e6 : 0,
      .upstream_status = s->resp_head_done ? s->status : 0,
      .request_id = s->request_id};
  access_log_add(s->w->log, &e);
}

static void observe(session *s, int status) {
  ingress_metrics_observe(series_of(s), status, (double)(s->w->now - s->started_at) / 1000.0);
  if (s->log_head) log_request(s, status);
}

/* The proxy's own response; the connection closes after it when the
 * request still has an unread body or close is asked for. */
static void local_response(session *s, int status, const char *location, bool close) {
  if (s->up) upstream_close(s->up);
  s->up = NULL;
  s->close_after |= close || !s->client_keep_alive || !s->req_done;
  s->out.start = s->out.end = 0;
  build_local_response(status, location, s->close_after, &s->out);
  observe(s, status);
  end_request(s);
  s->state = S_LOCAL;
  s->deadline = s->w->now + HEADER_TIMEOUT_MS;
}

/* ---- request start ---- */

static const char *copy_value(const char *v, size_t n) {
  static __thread char buf[1024];
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, v, n);
  buf[n] = 0;
  return buf;
}

static const char *head_header(void *ctx, const char *name) {
  size_t n;
  const char *v = http_header_get(ctx, name, &n);
  return v ? copy_value(v, n) : NULL;
}

static const char *head_cookie(void *ctx, const char *name) {
  size_t n, nl = strlen(name);
  const char *v = http_header_get(ctx, "cookie", &n);
  for (size_t i = 0; v && i < n;) {
    while (i < n && (v[i] == ' ' || v[i] == ';')) i++;
    size_t start = i;
    while (i < n && v[i] != ';') i++;
    if (i - start > nl && !memcmp(v + start, name, nl) && v[start + nl] == '=')
      return copy_value(v + start + nl + 1, i - start - nl - 1);
  }
  return NULL;
}

static bool method_is(const http_head *h, const char *m) {
  return h->method_len == strlen(m) && !memcmp(h->method, m, h->method_len);
}

static void request_id(worker *w, char out[33]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; i += 16) {
    uint64_t x = w->rand_state;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    w->rand_state = x;
    for (int j = 0; j < 16; j++) out[i + j] = hex[(x >> (4 * j)) & 15];
  }
  out[32] = 0;
}

static void connect_to(session *s, const route_endpoint *ep) {
  bool reused;
  const route_opts *o = s->route.opts;
  upstream *u = upstream_acquire(s->w, ep, o && o->backend_https, &reused);
  if (!u) {
    local_response(s, 502, NULL, false);
    return;
  }
  u->s = s;
  s->up = u;
  s->tried = ep;
  balance_end(s, -1);
  route_endpoint_begin(s->route.backend, ep);
  s->lb_ep = ep;
  s->lb_since_us = mono_us();
  if (u->connecting || u->handshaking) {
    s->state = S_CONNECT;
    s->deadline = s->w->now + 1000LL * (o ? o->connect_timeout : 5);
  } else {
    s->state = S_PROXY;
    s->deadline = s->w->now + 1000LL * (o ? o->read_timeout : 60);
  }
}

static void refresh_table(worker *w) {
  unsigned long g = route_generation();
  if (w->rt && g == w->gen) return;
  route_unref(w->rt);
  w->rt = route_current();
  w->gen = w->rt->generation;
}

/* Copies what the access log prints of the head before the head's bytes go. */
static void remember_for_log(session *s, const http_head *h) {
  size_t rl, ul;
  const char *r = http_header_get(h, "referer", &rl), *u = http_header_get(h, "user-agent", &ul);
  if (!r) rl = 0;
  if (!u) ul = 0;
  size_t n = h->method_len + h->target_len + 12 + rl + ul + 2;
  free(s->log_head);
  if (!(s->log_head = malloc(n))) return;
  int k = snprintf(s->log_head, n, "%.*s %.*s HTTP/1.%d", (int)h->method_len, h->method, (int)h->target_len, h->target,
                   h->minor);
  char *p = s->log_head + k + 1;
  memcpy(p, r ? r : "", rl), p[rl] = 0, p += rl + 1;
  memcpy(p, u ? u : "", ul), p[ul] = 0;
  s->log_req_bytes = (long long)h->head_len;
  s->log_body_bytes = 0;
}

static void start_request(session *s, const http_head *h) {
  worker *w = s->w;
  s->started_at = w->now;
  s->client_keep_alive = h->keep_alive;
  s->head_method = method_is(h, "HEAD");
  s->idempotent = s->head_method || method_is(h, "GET") || method_is(h, "OPTIONS") || method_is(h, "PUT") ||
                  method_is(h, "DELETE") || method_is(h, "TRACE");
  s->upgrade = h->upgrade;
  s->req_left = h->chunked ? -1 : h->content_length > 0 ? h->content_length : 0;
  s->req_done = s->req_left == 0;
  memset(&s->req_chunks, 0, sizeof s->req_chunks);
  s->resp_head_done = s->resp_done = s->resp_until_close = false;
  s->attempts = s->stale_retries = 0;
  memset(&s->route, 0, sizeof s->route);
  s->tried = NULL;
  request_id(w, s->request_id);
  if (w->log) remember_for_log(s, h);
  refresh_table(w);
  s->rt = route_ref(w->rt);
  size_t hl;
  const char *hv = http_header_get(h, "host", &hl);
  char host[256];
  if (hv && hl < sizeof host) memcpy(host, hv, hl), host[hl] = 0;
  if ((!hv && h->minor == 1) || (hv && hl >= sizeof host)) {
    s->in.start += h->head_len;
    local_response(s, 400, NULL, true);
    return;
  }
  route_request rq = {.host = hv ? host : NULL, .path = h->target, .path_len = h->target_len, .https = s->l->https,
                      .https_port = w->https_port, .client = (const struct sockaddr *)&s->peer,
                      .header = head_header, .cookie = head_cookie, .ctx = (void *)h};
  route_match(s->rt, &rq, &s->route);
  s->in.start += h->head_len;
  const route_opts *o = s->route.opts;
  switch (s->route.action) {
  case ROUTE_NOT_FOUND: local_response(s, 404, NULL, false); return;
  case ROUTE_UNAVAILABLE: local_response(s, 503, NULL, false); return;
  case ROUTE_FORBIDDEN: local_response(s, 403, NULL, false); return;
  case ROUTE_REDIRECT: local_response(s, s->route.status, s->route.location, false); return;
  case ROUTE_PROXY: break;
  }
  if (o && o->body_limit && h->content_length > o->body_limit) {
    local_response(s, 413, NULL, true);
    return;
  }
  forward_info fi = {s->peer_ip, s->l->https ? "https" : "http", s->request_id, s->l->port, s->route.rewritten};
  s->up_out.start = s->up_out.end = 0;
  if (!build_upstream_head(h, &fi, &s->up_out)) {
    local_response(s, 431, NULL, true);
    return;
  }
  if (s->req_done && (s->retry_head = malloc(pbuf_len(&s->up_out)))) {
    s->retry_len = pbuf_len(&s->up_out);
    memcpy(s->retry_head, s->up_out.d + s->up_out.start, s->retry_len);
  }
  connect_to(s, s->route.endpoint);
}

/* ---- failures on the upstream side ---- */

static void restart_upstream(session *s, const route_endpoint *ep) {
  upstream_close(s->up);
  s->up = NULL;
  s->up_out.start = s->up_out.end = 0;
  pbuf_append(&s->up_out, s->retry_head, s->retry_len);
  connect_to(s, ep);
}

#define FAILED_ENDPOINT_SKIP_MS 10000

static bool same_addr(const route_endpoint *a, const route_endpoint *b) {
  return a && b && a->len == b->len && !memcmp(&a->addr, &b->addr, a->len);
}

/* A retry goes by the newest route table: when the table changed since the
 * request was routed, the same backend (by name) with the endpoints it has
 * now, so a retry never goes to an endpoint that left meanwhile (a pod
 * being removed, whose address may no longer answer at all). Returns the
 * tried endpoint's entry in the backend the retry uses, NULL when it left. */
static const route_endpoint *follow_table(session *s) {
  worker *w = s->w;
  refresh_table(w);
  if (w->rt != s->rt && w->rt != s->retry_rt) {
    const route_backend *b = route_find_backend(w->rt, s->route.backend->name);
    if (b) {
      balance_end(s, -1); /* paired with the backend it began on */
      route_unref(s->retry_rt);
      s->retry_rt = route_ref(w->rt);
      s->route.backend = b;
    }
  }
  const route_backend *b = s->route.backend;
  for (size_t i = 0; i < b->n_eps; i++)
    if (same_addr(&b->eps[i], s->tried)) return &b->eps[i];
  return NULL;
}

static void connect_failed(session *s, int status) {
  s->attempts++;
  const route_endpoint *tried = follow_table(s);
  if (tried) route_mark_down(s->route.backend, tried, FAILED_ENDPOINT_SKIP_MS);
  const route_endpoint *next = route_next_endpoint(s->route.backend, tried);
  if (s->attempts < 2 && s->idempotent && s->retry_head && next && !same_addr(next, s->tried)) {
    restart_upstream(s, next);
    return;
  }
  local_response(s, status, NULL, false);
}

/* The upstream failed before its response began: a pooled connection it
 * had closed is replaced (the request was not processed); otherwise, as
 * nginx's proxy_next_upstream error, an idempotent request is tried once
 * on another endpoint; else 502. A cut response closes the client. */
static void upstream_failed(session *s) {
  if (s->resp_head_done) {
    session_close(s);
    return;
  }
  if (s->up && s->up->reused && s->retry_head && s->stale_retries++ < 3) {
    const route_endpoint *tried = follow_table(s);
    if (tried) {
      restart_upstream(s, tried);
      return;
    } /* its endpoint left the table: retried elsewhere as after a failed connect */
  }
  connect_failed(s, 502);
}

/* ---- the proxy states ---- */

static bool flush_client(session *s) {
  bool progress = false;
  while (pbuf_len(&s->out) && s->writable) {
    ssize_t n = c_write(s, s->out.d + s->out.start, pbuf_len(&s->out));
    if (n == -1) break;
    if (n <= 0) {
      session_close(s);
      return false;
    }
    s->out.start += (size_t)n;
    progress = true;
  }
  if (!pbuf_len(&s->out)) s->out.start = s->out.end = 0;
  return progress;
}

/* Reads from the client into in; false when nothing came. Closes on EOF/error. */
static bool read_client(session *s) {
  size_t room = pbuf_room(&s->in);
  if (!room || !s->readable) return false;
  ssize_t n = c_read(s, s->in.d + s->in.end, room);
  if (n == -1) return false;
  if (n <= 0) {
    session_close(s);
    return false;
  }
  s->in.end += (size_t)n;
  return true;
}

static bool step_head(session *s) {
  bool progress = false;
  for (;;) {
    if (pbuf_len(&s->in)) {
      http_head h;
      int r = http_parse_request(s->in.d + s->in.start, pbuf_len(&s->in), &h);
      if (r < 0) {
        s->req_done = false; /* unknown framing: close after the answer */
        local_response(s, -r, NULL, true);
        return true;
      }
      if (r > 0) {
        start_request(s, &h);
        return true;
      }
      if (pbuf_len(&s->in) >= PBUF_SIZE) {
        s->req_done = false;
        local_response(s, 431, NULL, true);
        return true;
      }
    }
    if (!read_client(s)) return progress;
    progress = true;
  }
}

/* Moves request body bytes from the client to the upstream buffer. */
static bool pump_request(session *s) {
  bool progress = false;
  while (!s->req_done && s->state == S_PROXY) {
    size_t room = pbuf_room(&s->up_out);
    if (!room) break;
    if (!pbuf_len(&s->in)) {
      if (!read_client(s)) break;
      progress = true;
    }
    size_t n = pbuf_len(&s->in) < room ? pbuf_len(&s->in) : room;
    if (s->req_left >= 0) {
      if ((long long)n > s->req_left) n = (size_t)s->req_left;
      s->req_left -= (long long)n;
      s->req_done = s->req_left == 0;
    } else {
      ssize_t used = http_chunked_feed(&s->req_chunks, s->in.d + s->in.start, n);
      if (used < 0) {
        session_close(s);
        return false;
      }
      n = (size_t)used;
      s->req_done = s->req_chunks.done;
    }
    pbuf_append(&s->up_out, s->in.d + s->in.start, n);
    s->in.start += n;
    s->log_req_bytes += (long long)n;
    progress = true;
  }
  return progress;
}

static bool flush_upstream(session *s) {
  upstream *u = s->up;
  bool progress = false;
  while (u && pbuf_len(&s->up_out) && u->writable) {
    ssize_t n = upstream_write(u, s->up_out.d + s->up_out.start, pbuf_len(&s->up_out));
    if (n == -1) break;
    if (n <= 0) {
      upstream_failed(s);
      return true;
    }
    s->up_out.start += (size_t)n;
    progress = true;
  }
  if (!pbuf_len(&s->up_out)) s->up_out.start = s->up_out.end = 0;
  return progress;
}

static void finish_response(session *s) {
  observe(s, s->status);
  balance_end(s, mono_us() - s->lb_since_us);
  bool keep = s->resp_keep_alive && s->req_done && !pbuf_len(&s->up_out);
  if (s->up) upstream_release(s->up, keep);
  s->up = NULL;
  end_request(s);
  s->close_after |= !s->req_done;
  s->state = s->close_after ? S_LOCAL : S_HEAD;
  s->deadline = s->w->now + KEEPALIVE_TIMEOUT_MS;
}

/* The response head arrived: write ours, decide framing. */
static bool response_head(session *s) {
  upstream *u = s->up;
  http_head h;
  int r = http_parse_response(u->in.d + u->in.start, pbuf_len(&u->in), &h);
  if (r < 0 || (r == 0 && pbuf_len(&u->in) >= PBUF_SIZE)) {
    local_response(s, 502, NULL, false);
    return true;
  }
  if (r == 0) return false;
  if (h.status >= 100 && h.status < 200 && h.status != 101) { /* 100 Continue: relay, wait for the final head */
    if (pbuf_room(&s->out) < (size_t)r + 64) return false;
    build_client_head(&h, false, NULL, &s->out);
    u->in.start += (size_t)r;
    return true;
  }
  bool tunnel = h.status == 101 && s->upgrade;
  bool no_body = s->head_method || h.status == 204 || h.status == 304 || tunnel;
  s->resp_until_close = !no_body && !h.chunked && h.content_length < 0;
  s->resp_left = h.content_length;
  memset(&s->resp_chunks, 0, sizeof s->resp_chunks);
  s->resp_keep_alive = h.keep_alive && !s->resp_until_close && !tunnel;
  s->close_after |= !s->client_keep_alive || s->resp_until_close;
  s->status = h.status;
  if (!build_client_head(&h, s->close_after && !tunnel, s->route.set_cookie, &s->out)) {
    if (pbuf_len(&s->out)) return false; /* wait for room */
    local_response(s, 502, NULL, false);
    return true;
  }
  u->in.start += (size_t)r;
  free(s->retry_head);
  s->retry_head = NULL;
  s->resp_head_done = true;
  if (tunnel) {
    s->state = S_TUNNEL;
    s->req_done = true;
  } else if (no_body || (!h.chunked && s->resp_left == 0)) {
    s->resp_done = true;
  }
  return true;
}

/* Moves response body bytes from the upstream to the client buffer. */
static bool pump_body(session *s) {
  upstream *u = s->up;
  size_t room = pbuf_room(&s->out), n = pbuf_len(&u->in);
  if (!n || !room) return false;
  if (n > room) n = room;
  if (s->resp_until_close) {
  } else if (s->resp_left >= 0) {
    if ((long long)n > s->resp_left) n = (size_t)s->resp_left;
    s->resp_left -= (long long)n;
    s->resp_done = s->resp_left == 0;
  } else {
    ssize_t used = http_chunked_feed(&s->resp_chunks, u->in.d + u->in.start, n);
    if (used < 0) {
      session_close(s);
      return false;
    }
    n = (size_t)used;
    s->resp_done = s->resp_chunks.done;
  }
  pbuf_append(&s->out, u->in.d + u->in.start, n);
  u->in.start += n;
  s->log_body_bytes += (long long)n;
  if (!pbuf_len(&u->in)) u->in.start = u->in.end = 0;
  return true;
}

static bool pump_response(session *s) {
  bool progress = false;
  while (s->state == S_PROXY && s->up) {
    upstream *u = s->up;
    bool moved = false;
    if (!s->resp_head_done) moved = response_head(s);
    else moved = pump_body(s);
    if (s->state != S_PROXY) return true;
    if (s->resp_head_done && s->resp_done) {
      finish_response(s);
      return true;
    }
    if (moved) {
      progress = true;
      continue;
    }
    size_t room = pbuf_room(&u->in);
    if (!room || !u->readable) break;
    ssize_t n = upstream_read(u, u->in.d + u->in.end, room);
    if (n == -1) break;
    if (n > 0) {
      u->in.end += (size_t)n;
      s->deadline = s->w->now + 1000LL * (s->route.opts ? s->route.opts->read_timeout : 60);
      progress = true;
      continue;
    }
    if (n == 0 && s->resp_head_done && s->resp_until_close) {
      s->resp_done = true;
      s->resp_keep_alive = false;
      finish_response(s);
      return true;
    }
    upstream_failed(s);
    return true;
  }
  return progress;
}

static bool step_connect(session *s) {
  upstream *u = s->up;
  if (u->connecting) {
    if (!u->writable) return false;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      connect_failed(s, 502);
      return true;
    }
    u->connecting = false;
  }
  if (u->handshaking) {
    int r = upstream_handshake(u);
    if (r < 0) connect_failed(s, 502);
    return r != 0;
  }
  s->state = S_PROXY;
  s->deadline = s->w->now + 1000LL * (s->route.opts ? s->route.opts->read_timeout : 60);
  return true;
}

static bool step_tunnel(session *s) {
  upstream *u = s->up;
  bool progress = false;
  if (pbuf_len(&u->in) && pbuf_room(&s->out)) {
    size_t n = pbuf_len(&u->in) < pbuf_room(&s->out) ? pbuf_len(&u->in) : pbuf_room(&s->out);
    pbuf_append(&s->out, u->in.d + u->in.start, n);
    u->in.start += n;
    if (!pbuf_len(&u->in)) u->in.start = u->in.end = 0;
    progress = true;
  }
  if (pbuf_len(&s->in) && pbuf_room(&s->up_out)) {
    size_t n = pbuf_len(&s->in) < pbuf_room(&s->up_out) ? pbuf_len(&s->in) : pbuf_room(&s->up_out);
    pbuf_append(&s->up_out, s->in.d + s->in.start, n);
    s->in.start += n;
    progress = true;
  }
  if (!pbuf_len(&s->in) && read_client(s)) progress = true;
  if (s->state != S_TUNNEL) return false;
  if (u->readable && pbuf_room(&u->in)) {
    ssize_t n = upstream_read(u, u->in.d + u->in.end, pbuf_room(&u->in));
    if (n == 0 || n == -2) {
      session_close(s);
      return false;
    }
    if (n > 0) u->in.end += (size_t)n, progress = true;
  }
  progress |= flush_upstream(s);
  s->deadline = s->w->now + 3600 * 1000LL;
  return progress;
}

static bool step(session *s) {
  if (s->handshaking) {
    int r = SSL_do_handshake(s->ssl);
    if (r == 1) {
      s->handshaking = false;
      return true;
    }
    if (ssl_result(s, r) == -2 || SSL_get_error(s->ssl, r) == SSL_ERROR_ZERO_RETURN) session_close(s);
    return false;
  }
  bool progress = flush_client(s);
  switch (s->state) {
  case S_HEAD: progress |= step_head(s); break;
  case S_CONNECT: progress |= step_connect(s); break;
  case S_PROXY:
    progress |= pump_request(s);
    if (s->state == S_PROXY) progress |= flush_upstream(s);
    if (s->state == S_PROXY) progress |= pump_response(s);
    break;
  case S_TUNNEL: progress |= step_tunnel(s); break;
  case S_LOCAL:
    if (!pbuf_len(&s->out)) {
      if (s->close_after && !s->req_done && !s->ssl && shutdown(s->fd, SHUT_WR) == 0) {
        s->state = S_LINGER;
        s->deadline = s->w->now + 5000;
        return true;
      }
      if (s->close_after) {
        session_close(s);
        return false;
      }
      s->state = S_HEAD;
      progress = true;
    }
    break;
  case S_LINGER:
    s->in.start = s->in.end = 0;
    while (s->state == S_LINGER && read_client(s)) s->in.start = s->in.end = 0; /* read_client closes on EOF */
    return false;
  case S_CLOSED: return false;
  }
  if (s->state != S_CLOSED) progress |= flush_client(s);
  return progress && s->state != S_CLOSED;
}

void session_run(session *s) {
  if (s->dead) return;
  for (int guard = 0; guard < 10000 && step(s); guard++) {
  }
}

void session_expire(session *s) {
  switch (s->state) {
  case S_CONNECT: connect_failed(s, 504); break;
  case S_PROXY:
    if (!s->resp_head_done) local_response(s, 504, NULL, true);
    else session_close(s);
    break;
  default: session_close(s); return;
  }
  session_run(s);
}
