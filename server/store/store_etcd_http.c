/* store_etcd_http.c - HTTP/1.1 over TLS to etcd's members (contract in
 * store_etcd_http.h). Sockets are non-blocking; every wait is a poll()
 * bounded by the request's deadline, so a dead or hung member costs at most
 * the timeout before the next member is tried. Answers are read with
 * Content-Length or chunked framing (the gateway uses both). */
#include "store_etcd_http.h"
#include "store_etcd_wire.h"
#include "log.h"
#include "timestamp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* MAX_IDLE: kept-alive connections; a busy server has as many writes in
 * flight as HTTP threads, and a new TLS connection costs a handshake */
enum { MAX_ENDPOINTS = 16, MAX_IDLE = 256 };

typedef struct conn {
  int fd, ep;
  SSL *ssl;
  char buf[16384];
  size_t start, end;
  size_t received;     /* bytes read since the request was sent */
  bool timed_out;      /* the last wait ran into the deadline */
  int64_t deadline_ms; /* monotonic */
} conn;

struct etcd_http {
  SSL_CTX *ctx;
  etcd_endpoint eps[MAX_ENDPOINTS];
  int neps;
  pthread_mutex_t mu;
  conn *idle[MAX_IDLE];
  int nidle;
  atomic_int preferred; /* the member tried first (moves on after a failure) */
};

struct etcd_stream {
  conn *c;
  bool chunked;
  size_t chunk_left; /* bytes left in the current chunk; SIZE_MAX: read a size line */
  char *line;
  size_t len, cap, scan; /* message bytes gathered; scan: where to look for '\n' next */
};

/* Waits for fd; false when the deadline passed. */
static bool wait_fd(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t ms = deadline - mono_ms();
    if (ms <= 0) return false;
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, ms > 1000 ? 1000 : (int)ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

static void conn_free(conn *c) {
  if (!c) return;
  if (c->ssl) SSL_free(c->ssl);
  if (c->fd >= 0) close(c->fd);
  free(c);
}

/* Runs an SSL call until it completes; its result, or <= 0 on failure. */
static int ssl_io(conn *c, int (*fn)(SSL *, void *, int), void *buf, int len) {
  for (;;) {
    ERR_clear_error();
    int r = fn(c->ssl, buf, len);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return -1;
    if (!wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, c->deadline_ms)) {
      c->timed_out = true;
      return 0;
    }
  }
}

static int do_read(SSL *s, void *b, int n) { return SSL_read(s, b, n); }
static int do_write(SSL *s, void *b, int n) { return SSL_write(s, b, n); }
static int do_connect(SSL *s, void *b, int n) {
  (void)b, (void)n;
  return SSL_connect(s);
}

static conn *conn_dial(etcd_http *h, int ep, int64_t deadline, char *err, size_t errlen) {
  conn *c = calloc(1, sizeof *c);
  c->ep = ep;
  c->deadline_ms = deadline;
  const etcd_endpoint *e = &h->eps[ep];
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)e->port)};
  if (inet_pton(AF_INET, e->host, &sa.sin_addr) != 1) {
    snprintf(err, errlen, "etcd endpoint %s: only IPv4 addresses are supported", e->host);
    free(c);
    return NULL;
  }
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = connect(c->fd, (struct sockaddr *)&sa, sizeof sa);
  if (rc != 0 && errno == EINPROGRESS && wait_fd(c->fd, POLLOUT, deadline)) {
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    rc = soerr ? -1 : 0;
    errno = soerr ? soerr : errno;
  }
  if (rc != 0) {
    snprintf(err, errlen, "etcd %s:%d: connect: %s", e->host, e->port, strerror(errno));
    conn_free(c);
    return NULL;
  }
  c->ssl = SSL_new(h->ctx);
  SSL_set_fd(c->ssl, c->fd);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), e->host);
  if (ssl_io(c, do_connect, NULL, 0) <= 0) {
    long v = SSL_get_verify_result(c->ssl);
    snprintf(err, errlen, "etcd %s:%d: TLS handshake failed%s%s", e->host, e->port, v != X509_V_OK ? ": " : "",
             v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
    conn_free(c);
    return NULL;
  }
  return c;
}

/* Sends a POST; false when it could not be sent whole. */
static bool send_post(conn *c, etcd_http *h, const char *path, const char *body) {
  size_t blen = strlen(body);
  char head[512];
  int n = snprintf(head, sizeof head,
                   "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                   path, h->eps[c->ep].host, h->eps[c->ep].port, blen);
  return ssl_io(c, do_write, head, n) == n && (blen == 0 || ssl_io(c, do_write, (void *)body, (int)blen) == (int)blen);
}

/* Makes at least one byte available in c->buf; false on EOF/error/timeout. */
static bool fill(conn *c) {
  if (c->start < c->end) return true;
  c->start = c->end = 0;
  int r = ssl_io(c, do_read, c->buf, (int)sizeof c->buf);
  if (r <= 0) return false;
  c->end = (size_t)r;
  c->received += (size_t)r;
  return true;
}

/* One CRLF-terminated line (without CRLF) into out; false on failure. */
static bool read_line(conn *c, char *out, size_t cap) {
  size_t n = 0;
  for (;;) {
    if (!fill(c)) return false;
    char ch = c->buf[c->start++];
    if (ch == '\n') {
      if (n && out[n - 1] == '\r') n--;
      out[n] = 0;
      return true;
    }
    if (n + 1 >= cap) return false;
    out[n++] = ch;
  }
}

/* Reads exactly len bytes into out. */
static bool read_exact(conn *c, char *out, size_t len) {
  while (len) {
    if (!fill(c)) return false;
    size_t k = c->end - c->start < len ? c->end - c->start : len;
    memcpy(out, c->buf + c->start, k);
    c->start += k, out += k, len -= k;
  }
  return true;
}

/* Status line and headers: the status, or -1. */
static int read_head(conn *c, bool *chunked, long long *clen, bool *closes) {
  char line[1024];
  *chunked = *closes = false;
  *clen = -1;
  if (!read_line(c, line, sizeof line)) return -1;
  int status;
  if (sscanf(line, "HTTP/1.%*d %d", &status) != 1) return -1;
  for (;;) {
    if (!read_line(c, line, sizeof line)) return -1;
    if (!line[0]) return status;
    if (!strncasecmp(line, "Content-Length:", 15)) *clen = atoll(line + 15);
    else if (!strncasecmp(line, "Transfer-Encoding:", 18) && strcasestr(line + 18, "chunked")) *chunked = true;
    else if (!strncasecmp(line, "Connection:", 11) && strcasestr(line + 11, "close")) *closes = true;
  }
}

/* A whole answer body into a malloc'd buffer; false on failure. */
static bool read_body(conn *c, bool chunked, long long clen, char **out, size_t *len) {
  size_t cap = chunked ? 4096 : (size_t)(clen > 0 ? clen : 0) + 1, n = 0;
  if (!chunked && (clen < 0 || clen > (64 << 20))) return false;
  char *b = malloc(cap);
  if (!chunked) {
    if (!read_exact(c, b, (size_t)clen)) goto fail;
    n = (size_t)clen;
  } else {
    for (;;) {
      char line[64];
      if (!read_line(c, line, sizeof line)) goto fail;
      char *end;
      unsigned long sz = strtoul(line, &end, 16);
      if (end == line || sz > (64u << 20) || n + sz > (64u << 20)) goto fail;
      if (sz == 0) {
        if (!read_line(c, line, sizeof line)) goto fail; /* no trailers expected */
        break;
      }
      if (n + sz + 1 > cap) b = realloc(b, cap = (n + sz + 1) * 2);
      if (!read_exact(c, b + n, sz) || !read_line(c, line, sizeof line)) goto fail;
      n += sz;
    }
  }
  b[n] = 0;
  *out = b;
  *len = n;
  return true;
fail:
  free(b);
  return false;
}

static conn *pool_take(etcd_http *h) {
  pthread_mutex_lock(&h->mu);
  conn *c = h->nidle ? h->idle[--h->nidle] : NULL;
  pthread_mutex_unlock(&h->mu);
  return c;
}

static void pool_give(etcd_http *h, conn *c) {
  pthread_mutex_lock(&h->mu);
  if (h->nidle < MAX_IDLE) h->idle[h->nidle++] = c, c = NULL;
  pthread_mutex_unlock(&h->mu);
  conn_free(c);
}

/* A connection to the preferred member or, failing that, the next ones. */
static conn *dial_any(etcd_http *h, int64_t deadline, char *err, size_t errlen) {
  int first = atomic_load(&h->preferred);
  for (int i = 0; i < h->neps; i++) {
    int ep = (first + i) % h->neps;
    conn *c = conn_dial(h, ep, deadline, err, errlen);
    if (c) {
      if (i) atomic_store(&h->preferred, ep);
      return c;
    }
    LOGW("%s", err);
  }
  return NULL;
}

int etcd_http_post(etcd_http *h, const char *path, const char *body, int timeout_ms, char **resp, size_t *resp_len,
                   char *err, size_t errlen) {
  int64_t deadline = mono_ms() + timeout_ms;
  *resp = NULL;
  *resp_len = 0;
  for (int attempt = 0; attempt < h->neps + 2 && mono_ms() < deadline; attempt++) {
    conn *c = pool_take(h);
    bool reused = c != NULL;
    if (!c && !(c = dial_any(h, deadline, err, errlen))) return -1;
    c->deadline_ms = deadline;
    c->start = c->end = c->received = 0;
    c->timed_out = false;
    if (!send_post(c, h, path, body)) {
      snprintf(err, errlen, "etcd %s:%d: request not sent", h->eps[c->ep].host, h->eps[c->ep].port);
      if (!reused) atomic_store(&h->preferred, (c->ep + 1) % h->neps);
      conn_free(c);
      continue;
    }
    bool chunked, closes;
    long long clen;
    int status = read_head(c, &chunked, &clen, &closes);
    if (status < 0 && reused && c->received == 0 && !c->timed_out) {
      /* a kept-alive connection the member had closed (EOF or reset before
       * any answer): the request never arrived, it may go again */
      conn_free(c);
      continue;
    }
    if (status < 0 || !read_body(c, chunked, clen, resp, resp_len)) {
      snprintf(err, errlen, "etcd %s:%d: no answer", h->eps[c->ep].host, h->eps[c->ep].port);
      atomic_store(&h->preferred, (c->ep + 1) % h->neps);
      conn_free(c);
      return -1;
    }
    if (closes) conn_free(c);
    else pool_give(h, c);
    return status;
  }
  if (!err[0]) snprintf(err, errlen, "etcd: no member answered");
  return -1;
}

etcd_stream *etcd_stream_open(etcd_http *h, const char *path, const char *body, char *err, size_t errlen) {
  int first = atomic_load(&h->preferred);
  for (int i = 0; i < h->neps; i++) {
    int64_t deadline = mono_ms() + 5000;
    conn *c = conn_dial(h, (first + i) % h->neps, deadline, err, errlen);
    if (!c) continue;
    bool chunked, closes;
    long long clen;
    int status = send_post(c, h, path, body) ? read_head(c, &chunked, &clen, &closes) : -1;
    if (status != 200) {
      snprintf(err, errlen, "etcd %s:%d: watch answered %d", h->eps[c->ep].host, h->eps[c->ep].port, status);
      conn_free(c);
      continue;
    }
    etcd_stream *s = calloc(1, sizeof *s);
    s->c = c;
    s->chunked = chunked;
    s->chunk_left = chunked ? SIZE_MAX : (clen >= 0 ? (size_t)clen : SIZE_MAX - 1);
    return s;
  }
  return NULL;
}

/* Takes buffered bytes: a whole chunk-size line, or data of the current
 * chunk appended to the message buffer. -1 on a framing error or the end of
 * the stream, 0 when more bytes must be read first, else 1. */
static int stream_take(etcd_stream *s) {
  conn *c = s->c;
  if (c->start == c->end) return 0;
  if (s->chunked && s->chunk_left == SIZE_MAX) {
    /* a size line (after the previous chunk's CRLF), taken only when whole:
     * the member may send the rest of it much later */
    char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
    if (!nl) return c->end - c->start > 64 ? -1 : 0;
    char *line = c->buf + c->start;
    c->start = (size_t)(nl - c->buf) + 1;
    if (line[0] == '\r' || line[0] == '\n') return 1; /* the CRLF ending a chunk */
    char *end;
    unsigned long sz = strtoul(line, &end, 16);
    if (end == line || sz == 0 || sz > (64u << 20)) return -1;
    s->chunk_left = sz;
    return 1;
  }
  size_t k = c->end - c->start;
  if (k > s->chunk_left) k = s->chunk_left;
  if (s->len + k + 1 > s->cap) s->line = realloc(s->line, s->cap = (s->len + k + 1) * 2);
  memcpy(s->line + s->len, c->buf + c->start, k);
  c->start += k;
  s->len += k;
  if (s->chunked) s->chunk_left -= k;
  if (s->chunked && s->chunk_left == 0) s->chunk_left = SIZE_MAX;
  return 1;
}

ssize_t etcd_stream_next(etcd_stream *s, const char **line, int timeout_ms, const atomic_bool *stop) {
  /* drop the message handed out last time */
  if (s->scan && s->scan <= s->len) {
    memmove(s->line, s->line + s->scan, s->len - s->scan);
    s->len -= s->scan;
    s->scan = 0;
  }
  int64_t deadline = mono_ms() + timeout_ms;
  size_t from = 0;
  for (;;) {
    char *nl = s->len > from ? memchr(s->line + from, '\n', s->len - from) : NULL;
    if (nl) {
      *nl = 0;
      *line = s->line;
      s->scan = (size_t)(nl - s->line) + 1;
      return (ssize_t)(nl - s->line);
    }
    from = s->len;
    if (stop && atomic_load(stop)) return 0;
    int r = stream_take(s);
    if (r < 0) return -1;
    if (r > 0) continue;
    int64_t left = deadline - mono_ms();
    if (left <= 0) return 0;
    /* bytes may wait inside OpenSSL's record buffer as well as the socket */
    if (!SSL_pending(s->c->ssl)) {
      struct pollfd p = {s->c->fd, POLLIN, 0};
      int n = poll(&p, 1, left > 200 ? 200 : (int)left);
      if (n == 0) continue;
      if (n < 0 && errno != EINTR) return -1;
    }
    /* keep a partial size line: move it to the front, read after it */
    conn *c = s->c;
    memmove(c->buf, c->buf + c->start, c->end - c->start);
    c->end -= c->start;
    c->start = 0;
    ERR_clear_error();
    int got = SSL_read(c->ssl, c->buf + c->end, (int)(sizeof c->buf - c->end));
    if (got > 0) {
      c->end += (size_t)got;
      continue;
    }
    int e = SSL_get_error(s->c->ssl, got);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return -1;
  }
}

void etcd_stream_close(etcd_stream *s) {
  if (!s) return;
  conn_free(s->c);
  free(s->line);
  free(s);
}

etcd_http *etcd_http_new(const char *endpoints, const char *ca, const char *cert, const char *key, char *err,
                         size_t errlen) {
  etcd_http *h = calloc(1, sizeof *h);
  pthread_mutex_init(&h->mu, NULL);
  if (!endpoints || (h->neps = etcd_parse_endpoints(endpoints, h->eps, MAX_ENDPOINTS, err, errlen)) < 0) goto fail;
  h->ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION);
  static const unsigned char alpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(h->ctx, alpn, sizeof alpn - 1);
  SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);
  if (!ca || SSL_CTX_load_verify_locations(h->ctx, ca, NULL) != 1) {
    snprintf(err, errlen, "--etcd-cafile: cannot load %s", ca ? ca : "(none given)");
    goto fail;
  }
  if (!cert != !key) {
    snprintf(err, errlen, "--etcd-certfile and --etcd-keyfile go together");
    goto fail;
  }
  if (cert && (SSL_CTX_use_certificate_chain_file(h->ctx, cert) != 1 ||
               SSL_CTX_use_PrivateKey_file(h->ctx, key, SSL_FILETYPE_PEM) != 1)) {
    snprintf(err, errlen, "cannot load the etcd client certificate %s / key %s", cert, key);
    goto fail;
  }
  return h;
fail:
  etcd_http_free(h);
  return NULL;
}

void etcd_http_free(etcd_http *h) {
  if (!h) return;
  for (int i = 0; i < h->nidle; i++) conn_free(h->idle[i]);
  if (h->ctx) SSL_CTX_free(h->ctx);
  pthread_mutex_destroy(&h->mu);
  free(h);
}
