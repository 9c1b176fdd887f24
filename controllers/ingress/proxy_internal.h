/* proxy_internal.h - what the data plane's files share: one worker per
 * core, each with its own epoll loop, SO_REUSEPORT listeners, sessions
 * (client connections) and idle upstream pool, so workers share nothing
 * but the route table. Sockets are registered once, edge-triggered, and
 * each side remembers whether it may still read/write (readable/writable)
 * until a call says EAGAIN: no epoll_ctl per request. */
#ifndef CKUBE_INGRESS_PROXY_INTERNAL_H
#define CKUBE_INGRESS_PROXY_INTERNAL_H
#include "access_log.h"
#include "http_parse.h"
#include "proxy_nice.h"
#include "route.h"
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PBUF_SIZE 16384
#define POOL_BUCKETS 256
#define HEADER_TIMEOUT_MS 60000
#define KEEPALIVE_TIMEOUT_MS 75000
#define UPSTREAM_IDLE_MS 60000

typedef struct {
  char *d; /* PBUF_SIZE bytes */
  size_t start, end;
} pbuf;

enum { P_LISTENER, P_SESSION, P_UPSTREAM, P_WAKE };

/* What a read learnt about its socket: hup when epoll reported the peer's
 * end of stream (or an error), drained when the last read from the socket
 * itself (for TLS: OpenSSL's, seen through a BIO callback) returned less
 * than it asked for. A drained socket needs no further read until epoll's
 * next edge, which any new byte brings: that saves the read that would
 * only say EAGAIN, one per request and side (nginx does the same). */
typedef struct {
  bool hup, drained;
} read_hint;

typedef struct worker worker;
typedef struct session session;

typedef struct upstream {
  int kind; /* P_UPSTREAM */
  int fd;
  bool readable, writable, connecting, reused, dead;
  SSL *ssl;         /* backend-protocol HTTPS */
  bool handshaking; /* TLS handshake still to finish after the connect */
  read_hint rh;
  route_endpoint ep;
  session *s;      /* the session using it, NULL while idle */
  worker *w;
  pbuf in;
  struct upstream *prev, *next; /* idle list of its bucket; next: graveyard when dead */
  long long idle_since;
} upstream;

typedef struct {
  int kind; /* P_LISTENER */
  int fd;
  bool https;
  int port;
} listener;

typedef enum { S_HEAD, S_CONNECT, S_PROXY, S_TUNNEL, S_LOCAL, S_LINGER, S_CLOSED } session_state;

struct session {
  int kind; /* P_SESSION */
  int fd;
  SSL *ssl;
  bool handshaking, readable, writable, dead;
  read_hint rh;
  const listener *l;
  worker *w;
  struct sockaddr_storage peer;
  char peer_ip[64];
  pbuf in, out, up_out;
  session_state state;
  long long deadline, started_at;
  /* the request being served */
  route_table *retry_rt; /* a newer table a retry went by (follow_table), or NULL */
  route_table *rt;
  route_result route;
  const route_endpoint *tried;
  const route_endpoint *lb_ep; /* the endpoint the balancer counts this request on */
  long long lb_since_us;
  /* the access log's view of the request (log_head NULL when the log is off):
   * "request line\0referer\0user agent\0" */
  char *log_head;
  long long log_req_bytes, log_body_bytes;
  char request_id[33];
  int attempts, stale_retries;
  bool idempotent, head_method, client_keep_alive, close_after, upgrade;
  long long req_left;      /* body bytes still to forward, -1 chunked */
  http_chunked req_chunks;
  bool req_done;
  char *retry_head;        /* the upstream head, kept until response bytes arrive */
  size_t retry_len;
  upstream *up;
  bool resp_head_done, resp_done, resp_until_close, resp_keep_alive;
  long long resp_left;
  http_chunked resp_chunks;
  int status;
  session *prev, *next;    /* the worker's sessions; next: graveyard when dead */
};

struct worker {
  int id, ep, wake_fd;
  pthread_t thread;
  listener listeners[2];
  int n_listeners;
  route_table *rt;
  unsigned long gen;
  session *sessions;
  session *dead_sessions;  /* closed during this epoll batch, freed after it */
  upstream *dead_upstreams;
  void *ssl_ctx;           /* the HTTPS listener's context */
  int https_port;
  upstream *idle[POOL_BUCKETS];
  long long now, next_sweep;
  proxy_nice nice;         /* its CPU weight against the API's (proxy_nice.h) */
  uint64_t rand_state;
  access_log_buf *log;     /* NULL when the access log is off */
  volatile bool stop;
};

/* Buffers */
void pbuf_init(pbuf *b);
void pbuf_free(pbuf *b);
static inline size_t pbuf_len(const pbuf *b) { return b->end - b->start; }
/* Room at the end, after moving the data to the front when that helps. */
size_t pbuf_room(pbuf *b);
bool pbuf_append(pbuf *b, const void *p, size_t n);

/* Socket I/O, plain or TLS (proxy_io.c): > 0 bytes, 0 end of stream, -1
 * would block (the flag of that side cleared), -2 error. */
ssize_t proxy_tls_result(SSL *ssl, int r, bool *readable, bool *writable);
/* A short read clears *readable (unless rh->hup: the end of stream is
 * still to be read), so the caller waits for epoll instead of reading
 * again for EAGAIN. */
ssize_t proxy_read(int fd, SSL *ssl, bool *readable, bool *writable, read_hint *rh, char *p, size_t n);
/* Lets the TLS connection ssl (its socket BIO set) report drained reads into rh. */
void proxy_tls_track(SSL *ssl, read_hint *rh);
ssize_t proxy_write(int fd, SSL *ssl, bool *readable, bool *writable, const char *p, size_t n);

/* Sessions (proxy_session.c) */
void session_accept(worker *w, const listener *l, int fd, const struct sockaddr_storage *peer);
void session_run(session *s);
void session_expire(session *s);
void session_close(session *s);
/* An upstream connection became readable/writable/closed. */
void upstream_event(upstream *u, uint32_t events);

/* Upstreams (proxy_upstream.c) */
/* An idle pooled connection to ep (over TLS when tls), or a new
 * non-blocking connect; NULL when the socket cannot even be created.
 * *reused says which. */
upstream *upstream_acquire(worker *w, const route_endpoint *ep, bool tls, bool *reused);
/* Reads/writes the upstream (through TLS when it has it): >0 bytes, 0 end
 * of stream, -1 would block (its readable/writable flag cleared), -2 error. */
ssize_t upstream_read(upstream *u, char *p, size_t n);
ssize_t upstream_write(upstream *u, const char *p, size_t n);
/* Drives the TLS handshake: 1 done, 0 waiting for the socket, -1 failed. */
int upstream_handshake(upstream *u);
/* The client context for HTTPS backends (made once; no verification, as
 * nginx's proxy_ssl_verify off); false when OpenSSL cannot make it. */
bool upstream_tls_init(void);
/* Back to the idle pool (keep alive) or closed. */
void upstream_release(upstream *u, bool keep);
/* Closes at once; the memory goes after the current epoll batch. */
void upstream_close(upstream *u);
void proxy_bury(worker *w);
void upstream_sweep(worker *w);
void upstream_close_all(worker *w);

/* Heads (proxy_headers.c) */
typedef struct {
  const char *client_ip, *scheme, *request_id;
  int port;
  const char *rewritten; /* "" or the rewritten target */
} forward_info;
/* Writes the upstream request head for h into out; false when it does not fit. */
bool build_upstream_head(const http_head *h, const forward_info *fi, pbuf *out);
/* Writes the client response head for upstream head h (plus a Set-Cookie
 * when set_cookie is not empty); false when it does not fit. */
bool build_client_head(const http_head *h, bool close, const char *set_cookie, pbuf *out);
/* A complete local response (status, reason, optional Location) into out. */
bool build_local_response(int status, const char *location, bool close, pbuf *out);

#endif
