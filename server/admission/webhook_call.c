/* webhook_call.c - the HTTP(S) client admission webhooks are called with:
 * one POST per call on a fresh connection (OpenSSL for https), a deadline
 * for the whole exchange (connect, handshake, write, read), the caBundle of
 * the configuration as the only trust anchors when given (else the system
 * roots), the host name or IP of the URL - or <service>.<namespace>.svc for
 * a service reference - verified against the certificate's SANs (never the
 * Common Name, as Go 1.15 does). ckube has no kube-proxy, so a service is
 * resolved through its Endpoints to a ready address, as kube-apiserver does
 * with --enable-aggregator-routing. Failures are worded as Go's net/http
 * and client-go word them, because kube-apiserver shows them to clients. */
#include "webhook_internal.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESPONSE (16 * 1024 * 1024)

int wh_parse_url(const char *url, char *scheme, size_t sl, char *host, size_t hl, int *port, char *path,
                 size_t pl) {
  const char *p = strstr(url, "://");
  if (!p || (size_t)(p - url) >= sl) return -1;
  snprintf(scheme, sl, "%.*s", (int)(p - url), url);
  if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) return -1;
  p += 3;
  size_t auth_len = strcspn(p, "/?#");
  char auth[512];
  if (!auth_len || auth_len >= sizeof auth) return -1;
  memcpy(auth, p, auth_len);
  auth[auth_len] = 0;
  const char *rest = p + auth_len;
  *port = !strcmp(scheme, "https") ? 443 : 80;
  char *colon;
  if (auth[0] == '[') {
    char *close = strchr(auth, ']');
    if (!close) return -1;
    *close = 0;
    snprintf(host, hl, "%s", auth + 1);
    colon = close[1] == ':' ? close + 1 : NULL;
  } else {
    colon = strrchr(auth, ':');
    if (colon) *colon = 0;
    snprintf(host, hl, "%s", auth);
  }
  if (colon) {
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end || v <= 0 || v > 65535) return -1;
    *port = (int)v;
  }
  size_t frag = strcspn(rest, "#");
  if (!frag) snprintf(path, pl, "/");
  else if (rest[0] == '?') snprintf(path, pl, "/%.*s", (int)frag, rest);
  else snprintf(path, pl, "%.*s", (int)frag, rest);
  return host[0] ? 0 : -1;
}

/* One call's connection and where it goes. */
typedef struct {
  char url[1200];    /* as shown in errors, with ?timeout= */
  char host[256];    /* name verified in the certificate (and Host header) */
  char addr[256];    /* where to connect */
  int port;          /* port to connect to */
  int host_port;     /* port in the Host header */
  char path[1024];
  bool tls;
  struct timespec deadline;
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
} conn;

static long remaining_ms(const conn *c) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (c->deadline.tv_sec - now.tv_sec) * 1000 + (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
  return ms > 0 ? ms : 0;
}

/* Waits for fd to become ready; false when the deadline passed. */
static bool wait_fd(conn *c, short events) {
  for (;;) {
    long ms = remaining_ms(c);
    if (ms <= 0) return false;
    struct pollfd p = {c->fd, events, 0};
    int n = poll(&p, 1, (int)ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

static const char *timeout_text = "context deadline exceeded";

/* "service \"x\" not found" and the other answers of ResolveEndpoint. */
static int resolve_service(cache *cc, const json_t *svc_ref, int port, conn *c, char *err, size_t errlen) {
  const char *ns = json_string_value(json_object_get(svc_ref, "namespace"));
  const char *name = json_string_value(json_object_get(svc_ref, "name"));
  if (!ns || !name) {
    snprintf(err, errlen, "webhook configuration must have either service or URL");
    return -1;
  }
  const resource *sr = registry_find("", "v1", "services"), *er = registry_find("", "v1", "endpoints");
  cobj *svc = sr ? cache_get(cc, sr->bucket, ns, name) : NULL;
  if (!svc) {
    snprintf(err, errlen, "service \"%s\" not found", name);
    return -1;
  }
  const json_t *spec = json_object_get(svc->obj, "spec");
  const char *port_name = NULL;
  bool found = false;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    if (json_integer_value(json_object_get(p, "port")) == port) {
      port_name = json_string_value(json_object_get(p, "name"));
      found = true;
      break;
    }
  }
  const char *type = json_string_value(json_object_get(spec, "type"));
  int rc = -1;
  cobj *eps = NULL;
  if (!found) {
    snprintf(err, errlen, "no service port %d found for service \"%s\"", port, name);
  } else if (type && strcmp(type, "ClusterIP") && strcmp(type, "NodePort") && strcmp(type, "LoadBalancer")) {
    snprintf(err, errlen, "unsupported service type \"%s\"", type);
  } else if (!(eps = er ? cache_get(cc, er->bucket, ns, name) : NULL)) {
    snprintf(err, errlen, "endpoints \"%s\" not found", name);
  } else {
    /* the first subset with ready addresses and the service port's name */
    json_t *ss;
    json_array_foreach(json_object_get(eps->obj, "subsets"), i, ss) {
      json_t *addrs = json_object_get(ss, "addresses");
      if (!json_array_size(addrs)) continue;
      size_t k;
      json_t *ep;
      json_array_foreach(json_object_get(ss, "ports"), k, ep) {
        const char *en = json_string_value(json_object_get(ep, "name"));
        if (strcmp(en ? en : "", port_name ? port_name : "") != 0) continue;
        size_t pick = (size_t)rand() % json_array_size(addrs);
        snprintf(c->addr, sizeof c->addr, "%s", json_string_value(json_object_get(json_array_get(addrs, pick), "ip")));
        c->port = (int)json_integer_value(json_object_get(ep, "port"));
        rc = 0;
        break;
      }
      if (rc == 0) break;
    }
    if (rc != 0) snprintf(err, errlen, "no endpoints available for service \"%s\"", name);
  }
  if (eps) cobj_unref(eps);
  cobj_unref(svc);
  return rc;
}

static int tcp_connect(conn *c, char *err, size_t errlen) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  char port[16];
  snprintf(port, sizeof port, "%d", c->port);
  int g = getaddrinfo(c->addr, port, &hints, &res);
  if (g != 0) {
    snprintf(err, errlen, "dial tcp: lookup %s: no such host", c->addr);
    return -1;
  }
  char shown[300];
  bool v6 = strchr(c->addr, ':') != NULL;
  snprintf(shown, sizeof shown, v6 ? "[%s]:%d" : "%s:%d", c->addr, c->port);
  int last = ECONNREFUSED;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd = fd;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS) {
      if (!wait_fd(c, POLLOUT)) {
        freeaddrinfo(res);
        snprintf(err, errlen, "%s", timeout_text);
        return -1;
      }
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
      if (soerr == 0) break;
      last = soerr;
    } else {
      last = errno;
    }
    close(fd);
    c->fd = -1;
  }
  freeaddrinfo(res);
  if (c->fd < 0) {
    char why[128];
    snprintf(why, sizeof why, "%s", last == ECONNREFUSED ? "connection refused" : strerror(last));
    if (why[0] >= 'A' && why[0] <= 'Z') why[0] = (char)(why[0] - 'A' + 'a'); /* Go's syscall wording */
    snprintf(err, errlen, "dial tcp %s: connect: %s", shown, why);
    return -1;
  }
  return 0;
}

/* Trust anchors from a caBundle (PEM, base64 in the JSON object). */
static bool load_ca_bundle(SSL_CTX *ctx, const char *b64) {
  BIO *b64bio = BIO_new(BIO_f_base64());
  BIO *mem = BIO_new_mem_buf(b64, -1);
  BIO_set_flags(b64bio, BIO_FLAGS_BASE64_NO_NL);
  BIO_push(b64bio, mem);
  size_t cap = strlen(b64), n = 0;
  char *pem = malloc(cap + 1);
  int r;
  while ((r = BIO_read(b64bio, pem + n, (int)(cap - n))) > 0) n += (size_t)r;
  BIO_free_all(b64bio);
  pem[n] = 0;
  BIO *pb = BIO_new_mem_buf(pem, (int)n);
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  X509 *x;
  while ((x = PEM_read_bio_X509(pb, NULL, NULL, NULL))) {
    if (X509_STORE_add_cert(store, x) == 1) added++;
    X509_free(x);
  }
  ERR_clear_error();
  BIO_free(pb);
  free(pem);
  return added > 0;
}

/* Go's crypto/x509 wording of a verification failure. */
static void verify_error(long v, const conn *c, char *err, size_t errlen) {
  switch (v) {
  case X509_V_ERR_HOSTNAME_MISMATCH:
  case X509_V_ERR_IP_ADDRESS_MISMATCH:
    snprintf(err, errlen, "x509: certificate is not valid for %s", c->host);
    break;
  case X509_V_ERR_CERT_HAS_EXPIRED:
  case X509_V_ERR_CERT_NOT_YET_VALID:
    snprintf(err, errlen, "x509: certificate has expired or is not yet valid");
    break;
  default:
    snprintf(err, errlen, "x509: certificate signed by unknown authority");
  }
}

/* The TLS session over c->fd: the server verified against ca_b64 (else the
 * system roots) unless insecure; a client certificate when cert and key
 * (PEM files) are given. */
static int tls_start(conn *c, const char *ca_b64, const wh_http_request *rq, char *err, size_t errlen) {
  c->ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
  if (!ca_b64 || !*ca_b64 || !load_ca_bundle(c->ctx, ca_b64)) SSL_CTX_set_default_verify_paths(c->ctx);
  SSL_CTX_set_verify(c->ctx, rq && rq->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
  if (rq && rq->client_cert && rq->client_key &&
      (SSL_CTX_use_certificate_chain_file(c->ctx, rq->client_cert) != 1 ||
       SSL_CTX_use_PrivateKey_file(c->ctx, rq->client_key, SSL_FILETYPE_PEM) != 1)) {
    ERR_clear_error();
    snprintf(err, errlen, "tls: failed to load the client certificate %s", rq->client_cert);
    return -1;
  }
  static const unsigned char alpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(c->ctx, alpn, sizeof alpn - 1);
  c->ssl = SSL_new(c->ctx);
  SSL_set_fd(c->ssl, c->fd);
  X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
  X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  unsigned char ipbuf[16];
  if (inet_pton(AF_INET, c->host, ipbuf) == 1 || inet_pton(AF_INET6, c->host, ipbuf) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(vp, c->host);
  } else {
    X509_VERIFY_PARAM_set1_host(vp, c->host, 0);
    SSL_set_tlsext_host_name(c->ssl, c->host);
  }
  for (;;) {
    int r = SSL_connect(c->ssl);
    if (r == 1) return 0;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
        snprintf(err, errlen, "%s", timeout_text);
        return -1;
      }
      continue;
    }
    long v = SSL_get_verify_result(c->ssl);
    if (v != X509_V_OK) verify_error(v, c, err, errlen);
    else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) snprintf(err, errlen, "EOF");
    else {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      snprintf(err, errlen, "remote error: tls: %s", buf);
    }
    ERR_clear_error();
    return -1;
  }
}

/* Writes all of buf; false with err set on failure. */
static bool send_all(conn *c, const char *buf, size_t len, char *err, size_t errlen) {
  size_t off = 0;
  while (off < len) {
    ssize_t w;
    if (c->ssl) {
      int r = SSL_write(c->ssl, buf + off, (int)(len - off));
      if (r > 0) {
        off += (size_t)r;
        continue;
      }
      int e = SSL_get_error(c->ssl, r);
      if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
          wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT))
        continue;
      snprintf(err, errlen, "%s", remaining_ms(c) ? "write: broken pipe" : timeout_text);
      return false;
    }
    w = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
    if (w > 0) {
      off += (size_t)w;
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EINTR) && wait_fd(c, POLLOUT)) continue;
    snprintf(err, errlen, "%s", remaining_ms(c) ? "write: broken pipe" : timeout_text);
    return false;
  }
  return true;
}

/* Reads some bytes: >0, 0 at EOF, -1 on error or deadline (err set). */
static ssize_t recv_some(conn *c, char *buf, size_t len, char *err, size_t errlen) {
  for (;;) {
    if (c->ssl) {
      int r = SSL_read(c->ssl, buf, (int)len);
      if (r > 0) return r;
      int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_ZERO_RETURN) return 0;
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) continue;
        snprintf(err, errlen, "%s", timeout_text);
        return -1;
      }
      ERR_clear_error();
      return 0; /* an unclean close ends the body like EOF */
    }
    ssize_t r = recv(c->fd, buf, len, 0);
    if (r >= 0) return r;
    if ((errno == EAGAIN || errno == EINTR) && wait_fd(c, POLLIN)) continue;
    snprintf(err, errlen, "%s", errno == EAGAIN ? timeout_text : strerror(errno));
    return -1;
  }
}

/* Decodes a chunked body in place; returns its length or -1. */
static long dechunk(char *b, size_t len) {
  size_t in = 0, out = 0;
  for (;;) {
    char *end;
    unsigned long n = strtoul(b + in, &end, 16);
    char *crlf = strstr(b + in, "\r\n");
    if (!crlf || end == b + in) return -1;
    in = (size_t)(crlf - b) + 2;
    if (n == 0) return (long)out;
    if (in + n > len) return -1;
    memmove(b + out, b + in, n);
    out += n;
    in += n + 2;
    if (in > len) return -1;
  }
}

/* client-go's error for a non-2xx answer: a Status' message, else its generic text. */
static void status_error(int code, const char *body, size_t len, char *err, size_t errlen) {
  json_t *st = json_loadb(body, len, 0, NULL);
  const char *kind = json_string_value(json_object_get(st, "kind"));
  const char *msg = json_string_value(json_object_get(st, "message"));
  if (kind && !strcmp(kind, "Status") && msg && *msg) snprintf(err, errlen, "%s", msg);
  else if (code == 404) snprintf(err, errlen, "the server could not find the requested resource");
  else if (code == 401) snprintf(err, errlen, "Unauthorized");
  else if (code == 403) snprintf(err, errlen, "forbidden");
  else if (code >= 500 && len)
    snprintf(err, errlen, "an error on the server (\"%.*s\") has prevented the request from succeeding",
             (int)(len > 200 ? 200 : len), body);
  else snprintf(err, errlen, "the server responded with the status code %d but did not return more information",
                code);
  json_decref(st);
}

/* Sends head and body, reads the whole answer (Content-Length, chunked or
 * until EOF): its status code, header block (malloc'd, the lines after the
 * status line, NUL-terminated) and body (malloc'd, dechunked). 0 or -1. */
static int roundtrip(conn *c, const char *head, size_t hn, const char *body, size_t len, int *code_out, char **hdrs,
                     char **resp, size_t *resp_len, char *err, size_t errlen) {
  if (!send_all(c, head, hn, err, errlen) || (len && !send_all(c, body, len, err, errlen))) return -1;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  char *hdr_end = NULL;
  long want = -1;
  bool chunked = false;
  for (;;) {
    if (n + 1 >= cap) {
      if (cap >= MAX_RESPONSE) break;
      cap *= 2;
      buf = realloc(buf, cap);
    }
    ssize_t r = recv_some(c, buf + n, cap - n - 1, err, errlen);
    if (r < 0) {
      free(buf);
      return -1;
    }
    if (r == 0) break;
    n += (size_t)r;
    buf[n] = 0;
    if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
      for (char *line = strstr(buf, "\r\n") + 2; line < hdr_end; line = strstr(line, "\r\n") + 2) {
        if (!strncasecmp(line, "Content-Length:", 15)) want = atol(line + 15);
        if (!strncasecmp(line, "Transfer-Encoding:", 18)) {
          char *eol = strstr(line, "\r\n"), *ch = strstr(line, "chunked");
          if (ch && ch < eol) chunked = true;
        }
      }
    }
    if (hdr_end && want >= 0 && (long)(n - (size_t)(hdr_end + 4 - buf)) >= want) break;
    if (hdr_end && chunked && strstr(hdr_end + 4, "\r\n0\r\n\r\n")) break;
    if (hdr_end && chunked && !strncmp(hdr_end + 4, "0\r\n\r\n", 5)) break;
  }
  buf[n] = 0;
  int code = 0;
  if (!hdr_end || sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1) {
    free(buf);
    snprintf(err, errlen, n ? "malformed HTTP response" : "EOF");
    return -1;
  }
  char *b = hdr_end + 4;
  size_t blen = n - (size_t)(b - buf);
  if (chunked) {
    long d = dechunk(b, blen);
    if (d < 0) {
      free(buf);
      snprintf(err, errlen, "unexpected EOF");
      return -1;
    }
    blen = (size_t)d;
  } else if (want >= 0 && (size_t)want < blen) {
    blen = (size_t)want;
  }
  char *first_eol = strstr(buf, "\r\n");
  *hdrs = strndup(first_eol + 2, (size_t)(hdr_end + 2 - (first_eol + 2)));
  char *out = malloc(blen + 1);
  memcpy(out, b, blen);
  out[blen] = 0;
  free(buf);
  *code_out = code;
  *resp = out;
  *resp_len = blen;
  return 0;
}

/* Fills c's address, names and URL from the clientConfig. */
static int target(const json_t *cc, int timeout_s, conn *c, char *err, size_t errlen) {
  const char *url = json_string_value(json_object_get(cc, "url"));
  const json_t *svc = json_object_get(cc, "service");
  char scheme[16];
  if (json_is_object(svc)) {
    const char *ns = json_string_value(json_object_get(svc, "namespace"));
    const char *name = json_string_value(json_object_get(svc, "name"));
    const char *path = json_string_value(json_object_get(svc, "path"));
    json_t *port = json_object_get(svc, "port");
    c->host_port = json_is_integer(port) && json_integer_value(port) ? (int)json_integer_value(port) : 443;
    snprintf(c->host, sizeof c->host, "%s.%s.svc", name ? name : "", ns ? ns : "");
    snprintf(c->path, sizeof c->path, "%s", path && *path ? path : "/");
    c->tls = true;
  } else if (url && *url) {
    if (wh_parse_url(url, scheme, sizeof scheme, c->host, sizeof c->host, &c->host_port, c->path,
                     sizeof c->path) != 0) {
      snprintf(err, errlen, "Unparsable URL: parse \"%s\": invalid URL", url);
      return -1;
    }
    c->tls = !strcmp(scheme, "https");
    snprintf(c->addr, sizeof c->addr, "%s", c->host);
    c->port = c->host_port;
  } else {
    snprintf(err, errlen, "webhook configuration must have either service or URL");
    return -1;
  }
  bool v6 = strchr(c->host, ':') != NULL;
  size_t l = strlen(c->path);
  snprintf(c->path + l, sizeof c->path - l, "%stimeout=%ds", strchr(c->path, '?') ? "&" : "?", timeout_s);
  snprintf(c->url, sizeof c->url, "%s://%s%s%s:%d%s", c->tls ? "https" : "http", v6 ? "[" : "", c->host,
           v6 ? "]" : "", c->host_port, c->path);
  if (url && !json_is_object(svc)) /* Go prints the URL as given (no default port added) */
    snprintf(c->url, sizeof c->url, "%.*s%stimeout=%ds", (int)strcspn(url, "#"), url, strchr(url, '?') ? "&" : "?",
             timeout_s);
  return 0;
}

/* Connects to cc's target for rq and sends rq's head and body: 0, or -1
 * with the reason in why (c->url empty when cc itself is unusable). A
 * request without a path goes to the clientConfig's, with ?timeout= as
 * client-go announces it. */
static int open_request(cache *cache, const json_t *cc, const wh_http_request *rq, conn *c, char *why, size_t wl) {
  memset(c, 0, sizeof *c);
  c->fd = -1;
  clock_gettime(CLOCK_MONOTONIC, &c->deadline);
  c->deadline.tv_sec += rq->timeout_s > 0 ? rq->timeout_s : 30;
  if (target(cc, rq->timeout_s, c, why, wl) != 0) {
    c->url[0] = 0;
    return -1;
  }
  bool v6 = strchr(c->host, ':') != NULL;
  if (rq->path) {
    snprintf(c->path, sizeof c->path, "%s", rq->path);
    snprintf(c->url, sizeof c->url, "%s://%s%s%s:%d%s", c->tls ? "https" : "http", v6 ? "[" : "", c->host,
             v6 ? "]" : "", c->host_port, c->path);
  }
  const json_t *svc = json_object_get(cc, "service");
  if (json_is_object(svc) && resolve_service(cache, svc, c->host_port, c, why, wl) != 0) return -1;
  if (tcp_connect(c, why, wl) != 0) return -1;
  if (c->tls && tls_start(c, json_string_value(json_object_get(cc, "caBundle")), rq, why, wl) != 0) return -1;
  size_t hcap = strlen(c->path) + (rq->headers ? strlen(rq->headers) : 0) + 512;
  char *head = malloc(hcap);
  int hn = snprintf(head, hcap, "%s %s HTTP/1.1\r\nHost: %s%s%s:%d\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
                    rq->method, c->path, v6 ? "[" : "", c->host, v6 ? "]" : "", c->host_port,
                    rq->headers ? rq->headers : "", rq->len);
  bool ok = send_all(c, head, (size_t)hn, why, wl) && (!rq->len || send_all(c, rq->body, rq->len, why, wl));
  free(head);
  return ok ? 0 : -1;
}

static void close_conn(conn *c) {
  if (c->ssl) SSL_free(c->ssl);
  if (c->ctx) SSL_CTX_free(c->ctx);
  if (c->fd >= 0) close(c->fd);
}

int wh_call(cache *cache, const json_t *cc, const char *body, size_t len, int timeout_s, char **resp, size_t *resp_len,
            char *err, size_t errlen) {
  *resp = NULL;
  *resp_len = 0;
  wh_http_request rq = {.method = "POST",
                        .headers = "User-Agent: kube-apiserver-admission\r\nContent-Type: application/json\r\n"
                                   "Accept: application/json, */*\r\n",
                        .body = body,
                        .len = len,
                        .timeout_s = timeout_s > 0 ? timeout_s : 10};
  conn c;
  char why[512] = "", *hdrs = NULL;
  int code = 0;
  int rc = open_request(cache, cc, &rq, &c, why, sizeof why);
  if (rc == 0) rc = roundtrip(&c, "", 0, NULL, 0, &code, &hdrs, resp, resp_len, why, sizeof why);
  free(hdrs);
  if (rc == 0 && (code < 200 || code > 299)) {
    status_error(code, *resp, *resp_len, why, sizeof why);
    free(*resp);
    *resp = NULL;
    *resp_len = 0;
    rc = -1;
  }
  if (rc != 0 && c.url[0]) snprintf(err, errlen, "Post \"%s\": %s", c.url, why);
  else if (rc != 0) snprintf(err, errlen, "%s", why); /* the clientConfig itself is unusable */
  close_conn(&c);
  return rc;
}

int wh_http(cache *cache, const json_t *cc, const wh_http_request *rq, wh_http_response *out, char *err,
            size_t errlen) {
  conn c;
  memset(out, 0, sizeof *out);
  char why[512] = "";
  int rc = open_request(cache, cc, rq, &c, why, sizeof why);
  if (rc == 0)
    rc = roundtrip(&c, "", 0, NULL, 0, &out->code, &out->headers, &out->body, &out->len, why, sizeof why);
  if (rc != 0) snprintf(err, errlen, "%s", why);
  close_conn(&c);
  return rc;
}

/* An incremental chunked-coding decoder: feeds the data of each chunk to a
 * callback as it arrives. */
typedef struct {
  enum { SIZE_LINE, DATA, DATA_CRLF, DONE } state;
  char line[32];
  size_t line_len;
  unsigned long left;
} dechunker;

/* false when the callback asked to stop or the coding is broken (or ended). */
static bool dechunk_feed(dechunker *d, const char *p, size_t n, wh_body_fn on_body, void *ctx) {
  while (n && d->state != DONE) {
    if (d->state == SIZE_LINE) {
      char ch = *p++;
      n--;
      if (ch != '\n') {
        if (d->line_len + 1 < sizeof d->line) d->line[d->line_len++] = ch;
        continue;
      }
      d->line[d->line_len] = 0;
      d->line_len = 0;
      char *end;
      d->left = strtoul(d->line, &end, 16);
      if (end == d->line) return false;
      d->state = d->left ? DATA : DONE;
    } else if (d->state == DATA) {
      size_t take = n < d->left ? n : d->left;
      if (!on_body(p, take, ctx)) return false;
      p += take, n -= take, d->left -= take;
      if (!d->left) d->state = DATA_CRLF;
    } else { /* the CRLF after a chunk's data */
      if (*p++ == '\n') d->state = SIZE_LINE;
      n--;
    }
  }
  return d->state != DONE;
}

int wh_http_stream(cache *cache, const json_t *cc, const wh_http_request *rq, wh_head_fn on_head, wh_body_fn on_body,
                   void *ctx, char *err, size_t errlen) {
  conn c;
  char why[512] = "";
  if (open_request(cache, cc, rq, &c, why, sizeof why) != 0) {
    snprintf(err, errlen, "%s", why);
    close_conn(&c);
    return -1;
  }
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap), *hdr_end = NULL;
  int rc = -1;
  while (!hdr_end) { /* the head */
    ssize_t r = n + 1 < cap ? recv_some(&c, buf + n, cap - n - 1, why, sizeof why) : -1;
    if (r <= 0) {
      if (r == 0 || !*why) snprintf(why, sizeof why, n ? "malformed HTTP response" : "EOF");
      goto out;
    }
    n += (size_t)r;
    buf[n] = 0;
    hdr_end = strstr(buf, "\r\n\r\n");
  }
  int code = 0;
  if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1) {
    snprintf(why, sizeof why, "malformed HTTP response");
    goto out;
  }
  long want = -1;
  bool chunked = false;
  for (char *line = strstr(buf, "\r\n") + 2; line < hdr_end; line = strstr(line, "\r\n") + 2) {
    if (!strncasecmp(line, "Content-Length:", 15)) want = atol(line + 15);
    char *eol = strstr(line, "\r\n"), *ch = strcasestr(line, "chunked");
    if (!strncasecmp(line, "Transfer-Encoding:", 18) && ch && ch < eol) chunked = true;
  }
  hdr_end[2] = 0;
  char *first_eol = strstr(buf, "\r\n");
  rc = 0;
  if (!on_head(code, first_eol + 2, ctx)) goto out;
  dechunker d = {SIZE_LINE, "", 0, 0};
  char *body = hdr_end + 4;
  size_t have = n - (size_t)(body - buf);
  for (;;) {
    if (want >= 0 && (long)have > want) have = (size_t)want;
    bool more = chunked ? dechunk_feed(&d, body, have, on_body, ctx) : (!have || on_body(body, have, ctx));
    if (want >= 0) want -= (long)have;
    if (!more || want == 0) break;
    ssize_t r = recv_some(&c, buf, cap, why, sizeof why);
    if (r <= 0) break;
    body = buf;
    have = (size_t)r;
  }
out:
  if (rc != 0) snprintf(err, errlen, "%s", why);
  free(buf);
  close_conn(&c);
  return rc;
}

void wh_http_response_free(wh_http_response *r) {
  free(r->headers);
  free(r->body);
  memset(r, 0, sizeof *r);
}
