/* https_client.c - see https_client.h. Minimal HTTP/1.1 over mbedTLS:
 * requests with Content-Length, responses with Content-Length or chunked
 * bodies (bounded to 64 MiB), and chunked streams read line by line
 * (watches). Every read has a timeout, so a vanished server is noticed.
 * The kubeconfig is looked at again (its mtime, at most every few seconds)
 * before each request: when the certificate manager wrote a renewed one,
 * its credentials replace the old ones and the connection is remade with
 * them. The kubeconfig's server may name several API servers of one
 * cluster, comma-separated ("https://a:6443,https://b:6443"): a connection
 * goes to the one that answered last, and when it refuses or fails the TLS
 * handshake the client moves on to the next, so a node agent follows the
 * cluster when one of its servers dies (docs/ETCD.md). */
#include "https_client.h"
#include "csr.h"
#include "log.h"
#include "timestamp.h"
#include <arpa/inet.h>
#include <mbedtls/error.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_BODY (64u << 20)
#define CALL_TIMEOUT_MS 60000
#define RELOAD_CHECK_MS 5000 /* how often the kubeconfig's mtime is looked at */
#define MAX_SERVERS 8

typedef struct {
  char buf[16384];
  size_t pos, len;
  int err; /* the last failed read's mbedtls_ssl_read result (0: the peer closed) */
} reader;

struct https_client {
  char host[256], port[16], token[256]; /* host and port: the server in use */
  char hosts[MAX_SERVERS][256], ports[MAX_SERVERS][16];
  int n_servers, current; /* the kubeconfig's servers; the index of the one in use */
  mbedtls_net_context net;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca, cert;
  mbedtls_pk_context key;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  bool connected, have_cert;
  reader rd;
  unsigned long chunk_left; /* bytes left in the current chunk of a stream */
  char *line;               /* a stream's current line */
  size_t line_cap;
  char *kubeconfig;         /* where the credentials came from */
  struct timespec loaded_mtime;
  long long checked_ms;
};

static bool mtime_of(const char *path, struct timespec *out) {
  struct stat st;
  if (stat(path, &st)) return false;
  *out = st.st_mtim;
  return true;
}

/* https://host[:port][/...] (host may be a bracketed IPv6 address) into
 * host (256 bytes) and port (16; "443" by default). 0 or -1. */
static int parse_server(const char *url, char *host, char *port) {
  if (strncmp(url, "https://", 8)) return -1;
  const char *hp = url + 8;
  if (*hp == '[') {
    const char *end = strchr(hp, ']');
    if (!end) return -1;
    snprintf(host, 256, "%.*s", (int)(end - hp - 1), hp + 1);
    hp = end + 1;
  } else {
    size_t hl = strcspn(hp, ":/");
    snprintf(host, 256, "%.*s", (int)hl, hp);
    hp += hl;
  }
  if (!*host) return -1;
  snprintf(port, 16, "%s", *hp == ':' ? hp + 1 : "443");
  port[strcspn(port, "/")] = 0;
  return 0;
}

static void use_server(https_client *c, int idx) {
  memcpy(c->host, c->hosts[idx], sizeof c->host);
  memcpy(c->port, c->ports[idx], sizeof c->port);
}

/* The credentials of the kubeconfig's current context (csr.h reads it) into c. */
static int load_config(https_client *c, const char *path, char *err, size_t errlen) {
  kubeconfig_creds k;
  if (read_kubeconfig(path, &k, err, errlen)) return -1;
  int rc = -1;
  c->n_servers = 0;
  for (const char *url = k.server; *url && c->n_servers < MAX_SERVERS;) {
    size_t len = strcspn(url, ",");
    char one[512];
    snprintf(one, sizeof one, "%.*s", (int)len, url);
    if (parse_server(one, c->hosts[c->n_servers], c->ports[c->n_servers]) != 0) {
      snprintf(err, errlen, "%s: cannot parse server %s", path, one);
      goto done;
    }
    c->n_servers++;
    url += len + (url[len] == ',');
  }
  if (!c->n_servers) {
    snprintf(err, errlen, "%s: no server", path);
    goto done;
  }
  if (c->current >= c->n_servers) c->current = 0;
  use_server(c, c->current);
  if (mbedtls_x509_crt_parse(&c->ca, (const unsigned char *)k.ca_pem, strlen(k.ca_pem) + 1) != 0) {
    snprintf(err, errlen, "%s: no usable certificate-authority-data", path);
    goto done;
  }
  if (k.cert_pem && k.key_pem) {
    if (mbedtls_x509_crt_parse(&c->cert, (const unsigned char *)k.cert_pem, strlen(k.cert_pem) + 1) != 0 ||
        mbedtls_pk_parse_key(&c->key, (const unsigned char *)k.key_pem, strlen(k.key_pem) + 1, NULL, 0) != 0) {
      snprintf(err, errlen, "%s: unusable client certificate or key", path);
      goto done;
    }
    c->have_cert = true;
  }
  snprintf(c->token, sizeof c->token, "%s", k.token ? k.token : "");
  rc = 0;
done:
  kubeconfig_creds_free(&k);
  return rc;
}

static void disconnect(https_client *c) {
  if (!c->connected) return;
  mbedtls_ssl_close_notify(&c->ssl);
  mbedtls_ssl_free(&c->ssl);
  mbedtls_net_free(&c->net);
  c->connected = false;
}

/* mbedTLS 2 matches host names only; for an address, the certificate must
 * carry it as an iPAddress subjectAltName, checked here after the chain. */
static bool ip_literal(const char *host, unsigned char *addr, size_t *len) {
  if (inet_pton(AF_INET, host, addr) == 1) return *len = 4, true;
  if (inet_pton(AF_INET6, host, addr) == 1) return *len = 16, true;
  return false;
}

static bool cert_has_ip(const mbedtls_x509_crt *crt, const unsigned char *addr, size_t len) {
  for (const mbedtls_x509_sequence *san = &crt->subject_alt_names; san && san->buf.p; san = san->next)
    if ((san->buf.tag & 0x1F) == 7 && san->buf.len == len && !memcmp(san->buf.p, addr, len)) return true;
  return false;
}

static int connect_one(https_client *c) {
  unsigned char addr[16];
  size_t alen = 0;
  bool is_ip = ip_literal(c->host, addr, &alen);
  mbedtls_net_init(&c->net);
  mbedtls_ssl_init(&c->ssl);
  if (mbedtls_net_connect(&c->net, c->host, c->port, MBEDTLS_NET_PROTO_TCP) != 0 ||
      mbedtls_ssl_setup(&c->ssl, &c->conf) != 0 ||
      mbedtls_ssl_set_hostname(&c->ssl, is_ip ? NULL : c->host) != 0) {
    mbedtls_ssl_free(&c->ssl);
    mbedtls_net_free(&c->net);
    return -1;
  }
  int one = 1; /* a request's head and body are separate writes: without this, Nagle holds the body for the server's delayed ACK (40 ms) */
  setsockopt(c->net.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
  int r;
  while ((r = mbedtls_ssl_handshake(&c->ssl)) != 0) {
    if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
      char why[200];
      mbedtls_strerror(r, why, sizeof why);
      LOGW("TLS handshake with %s:%s failed: %s", c->host, c->port, why);
      mbedtls_ssl_free(&c->ssl);
      mbedtls_net_free(&c->net);
      return -1;
    }
  }
  const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c->ssl);
  if (is_ip && (!peer || !cert_has_ip(peer, addr, alen))) {
    LOGW("the server certificate of %s:%s is not valid for that address", c->host, c->port);
    mbedtls_ssl_free(&c->ssl);
    mbedtls_net_free(&c->net);
    return -1;
  }
  c->connected = true;
  return 0;
}

/* Connects to the server in use, else to the next that answers. */
static int connect_tls(https_client *c) {
  for (int i = 0; i < c->n_servers; i++) {
    int idx = (c->current + i) % c->n_servers;
    use_server(c, idx);
    if (connect_one(c) == 0) {
      if (idx != c->current)
        LOGW("API server %s:%s did not answer; using %s:%s", c->hosts[c->current], c->ports[c->current], c->host,
             c->port);
      c->current = idx;
      return 0;
    }
  }
  use_server(c, c->current);
  return -1;
}

https_client *https_client_open(const char *kubeconfig, char *err, size_t errlen) {
  https_client *c = calloc(1, sizeof *c);
  mbedtls_x509_crt_init(&c->ca);
  mbedtls_x509_crt_init(&c->cert);
  mbedtls_pk_init(&c->key);
  mbedtls_entropy_init(&c->entropy);
  mbedtls_ctr_drbg_init(&c->drbg);
  mbedtls_ssl_config_init(&c->conf);
  c->kubeconfig = strdup(kubeconfig);
  mtime_of(kubeconfig, &c->loaded_mtime);
  c->checked_ms = mono_ms();
  if (load_config(c, kubeconfig, err, errlen) != 0 ||
      mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy, (const unsigned char *)"ckube-node", 10) ||
      mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT)) {
    if (!*err) snprintf(err, errlen, "TLS setup failed");
    https_client_close(c);
    return NULL;
  }
  mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
  mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
  if (c->have_cert) mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key);
  if (connect_tls(c) != 0) {
    snprintf(err, errlen, "cannot connect to https://%s:%s", c->host, c->port);
    https_client_close(c);
    return NULL;
  }
  return c;
}

void https_client_close(https_client *c) {
  if (!c) return;
  disconnect(c);
  mbedtls_ssl_config_free(&c->conf);
  mbedtls_x509_crt_free(&c->ca);
  mbedtls_x509_crt_free(&c->cert);
  mbedtls_pk_free(&c->key);
  mbedtls_ctr_drbg_free(&c->drbg);
  mbedtls_entropy_free(&c->entropy);
  free(c->line);
  free(c->kubeconfig);
  free(c);
}

/* Swaps two values of type T (the credentials of two clients). */
#define SWAP(T, a, b) do { T swap_tmp_ = (a); (a) = (b); (b) = swap_tmp_; } while (0)

/* A kubeconfig changed since it was loaded (a renewed certificate): its
 * credentials replace c's and the connection is dropped, so the next
 * request connects with them. A file that does not load leaves c as it was. */
static void reload_if_changed(https_client *c) {
  long long now = mono_ms();
  struct timespec m;
  if (now - c->checked_ms < RELOAD_CHECK_MS) return;
  c->checked_ms = now;
  if (!mtime_of(c->kubeconfig, &m) ||
      (m.tv_sec == c->loaded_mtime.tv_sec && m.tv_nsec == c->loaded_mtime.tv_nsec))
    return;
  https_client *n = calloc(1, sizeof *n);
  mbedtls_x509_crt_init(&n->ca);
  mbedtls_x509_crt_init(&n->cert);
  mbedtls_pk_init(&n->key);
  char err[300] = "";
  n->current = c->current;
  if (load_config(n, c->kubeconfig, err, sizeof err) == 0) {
    disconnect(c);
    memcpy(c->hosts, n->hosts, sizeof c->hosts);
    memcpy(c->ports, n->ports, sizeof c->ports);
    c->n_servers = n->n_servers;
    c->current = n->current;
    bool had_cert = c->have_cert;
    SWAP(mbedtls_x509_crt, c->ca, n->ca); /* the config keeps pointing at c's (now new) ones */
    SWAP(mbedtls_x509_crt, c->cert, n->cert);
    SWAP(mbedtls_pk_context, c->key, n->key);
    memcpy(c->token, n->token, sizeof c->token);
    c->have_cert = n->have_cert;
    if (c->have_cert && !had_cert) mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key);
    c->loaded_mtime = m;
    LOGI("%s changed: its credentials are used from now on", c->kubeconfig);
  } else {
    LOGW("%s changed but does not load (%s): the old credentials stay", c->kubeconfig, err);
  }
  mbedtls_x509_crt_free(&n->ca);
  mbedtls_x509_crt_free(&n->cert);
  mbedtls_pk_free(&n->key);
  free(n);
}

void https_client_interrupt(https_client *c) {
  if (c && c->connected) shutdown(c->net.fd, SHUT_RDWR);
}

static int write_all(https_client *c, const char *p, size_t n) {
  while (n) {
    int w = mbedtls_ssl_write(&c->ssl, (const unsigned char *)p, n);
    if (w == MBEDTLS_ERR_SSL_WANT_WRITE || w == MBEDTLS_ERR_SSL_WANT_READ) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Buffered reading of the response (the reader lives in the client so a
 * stream can be read across calls). A read that waits longer than the
 * client's timeout fails. */
static int rd_byte(https_client *c) {
  reader *r = &c->rd;
  if (r->pos == r->len) {
    int n;
    do n = mbedtls_ssl_read(&c->ssl, (unsigned char *)r->buf, sizeof r->buf);
    while (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (n <= 0) {
      r->err = n;
      return -1;
    }
    r->pos = 0;
    r->len = (size_t)n;
  }
  return (unsigned char)r->buf[r->pos++];
}

static int rd_line(https_client *c, char *line, size_t cap) {
  size_t n = 0;
  int ch;
  while ((ch = rd_byte(c)) >= 0) {
    if (ch == '\n') break;
    if (ch != '\r' && n + 1 < cap) line[n++] = (char)ch;
  }
  line[n] = 0;
  return ch < 0 && !n ? -1 : 0;
}

static int rd_n(https_client *c, char *dst, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int ch = rd_byte(c);
    if (ch < 0) return -1;
    dst[i] = (char)ch;
  }
  return 0;
}

/* Sends the request line, headers and body; 0 or -1 (disconnected). */
static int send_request(https_client *c, const char *method, const char *path, const json_t *body,
                        const char *ctype) {
  reload_if_changed(c);
  if (!c->connected && connect_tls(c) != 0) return -1;
  c->rd.pos = c->rd.len = 0;
  c->chunk_left = 0;
  char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
  size_t plen = payload ? strlen(payload) : 0;
  char head[2048];
  int hn = snprintf(head, sizeof head,
                    "%s %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: ckube-node/v1.20.2\r\nAccept: application/json\r\n"
                    "Content-Type: %s\r\nContent-Length: %zu\r\n%s%s%s\r\n",
                    method, path, c->host, c->port, ctype ? ctype : "application/json", plen,
                    c->token[0] ? "Authorization: Bearer " : "", c->token, c->token[0] ? "\r\n" : "");
  int rc = write_all(c, head, (size_t)hn) != 0 || (plen && write_all(c, payload, plen) != 0) ? -1 : 0;
  free(payload);
  if (rc) disconnect(c);
  return rc;
}

typedef struct {
  int status;
  long long clen;
  bool chunked, close_after;
} response_head;

static int read_head(https_client *c, response_head *h) {
  char line[4096];
  *h = (response_head){0, -1, false, false};
  if (rd_line(c, line, sizeof line) != 0 || sscanf(line, "HTTP/1.%*d %d", &h->status) != 1) return -1;
  while (rd_line(c, line, sizeof line) == 0 && line[0]) {
    if (!strncasecmp(line, "Content-Length:", 15)) h->clen = atoll(line + 15);
    else if (!strncasecmp(line, "Transfer-Encoding:", 18) && strstr(line, "chunked")) h->chunked = true;
    else if (!strncasecmp(line, "Connection:", 11) && strstr(line, "close")) h->close_after = true;
  }
  return 0;
}

/* Reads a whole body (chunked or Content-Length) into a malloc'd buffer. */
static int read_body(https_client *c, const response_head *h, char **out, size_t *outlen) {
  char line[256];
  size_t blen = 0;
  char *b = NULL;
  if (h->chunked) {
    for (;;) {
      if (rd_line(c, line, sizeof line) != 0) goto fail;
      unsigned long sz = strtoul(line, NULL, 16);
      if (sz == 0) {
        rd_line(c, line, sizeof line);
        break;
      }
      if (blen + sz > MAX_BODY) goto fail;
      b = realloc(b, blen + sz + 1);
      if (rd_n(c, b + blen, sz) != 0) goto fail;
      blen += sz;
      rd_line(c, line, sizeof line);
    }
  } else if (h->clen > 0) {
    if ((unsigned long long)h->clen > MAX_BODY) goto fail;
    b = malloc((size_t)h->clen + 1);
    if (rd_n(c, b, (size_t)h->clen) != 0) goto fail;
    blen = (size_t)h->clen;
  }
  *out = b;
  *outlen = blen;
  return 0;
fail:
  free(b);
  return -1;
}

int https_call(https_client *c, const char *method, const char *path, const json_t *body, const char *ctype,
               json_t **out) {
  if (out) *out = NULL;
  mbedtls_ssl_conf_read_timeout(&c->conf, CALL_TIMEOUT_MS);
  response_head h;
  /* A kept-alive connection the server closed while idle fails before any
   * byte of an answer: the request never reached a handler, so it goes
   * again once on a new connection (Go's transport retries the same way). */
  for (int attempt = 0;; attempt++) {
    bool reused = c->connected;
    if (send_request(c, method, path, body, ctype) != 0) {
      if (reused && attempt == 0) continue;
      return 0;
    }
    if (read_head(c, &h) == 0) break;
    /* closed or reset before any byte; a timeout may mean a slow handler, not a lost request */
    bool closed = c->rd.len == 0 && c->rd.err != MBEDTLS_ERR_SSL_TIMEOUT;
    disconnect(c);
    if (!(reused && closed && attempt == 0)) return 0;
  }
  char *b = NULL;
  size_t blen = 0;
  if (read_body(c, &h, &b, &blen) != 0) {
    disconnect(c);
    return 0;
  }
  if (out && blen) *out = json_loadb(b, blen, 0, NULL);
  free(b);
  if (h.close_after) disconnect(c);
  return h.status;
}

int https_stream_open(https_client *c, const char *path, int idle_timeout_ms, json_t **error_body) {
  if (error_body) *error_body = NULL;
  mbedtls_ssl_conf_read_timeout(&c->conf, (uint32_t)idle_timeout_ms);
  if (send_request(c, "GET", path, NULL, NULL) != 0) return 0;
  response_head h;
  if (read_head(c, &h) != 0) {
    disconnect(c);
    return 0;
  }
  if (h.status == 200 && h.chunked) return 200;
  char *b = NULL;
  size_t blen = 0;
  if (read_body(c, &h, &b, &blen) == 0 && error_body && blen) *error_body = json_loadb(b, blen, 0, NULL);
  free(b);
  disconnect(c);
  return h.status == 200 ? 0 : h.status;
}

/* One byte of the chunked stream body; -1 at its end or on failure. */
static int stream_byte(https_client *c) {
  char line[256];
  if (c->chunk_left == 0) {
    if (rd_line(c, line, sizeof line) != 0) return -1;
    if (!line[0] && rd_line(c, line, sizeof line) != 0) return -1; /* CRLF after the previous chunk */
    c->chunk_left = strtoul(line, NULL, 16);
    if (c->chunk_left == 0) return -1;
  }
  int ch = rd_byte(c);
  if (ch >= 0) c->chunk_left--;
  return ch;
}

int https_stream_next(https_client *c, json_t **out) {
  *out = NULL;
  if (!c->connected) return 0;
  for (;;) {
    size_t n = 0;
    int ch;
    while ((ch = stream_byte(c)) >= 0 && ch != '\n') {
      if (n + 1 >= c->line_cap) {
        if (c->line_cap >= MAX_BODY) break;
        c->line_cap = c->line_cap ? c->line_cap * 2 : 65536;
        c->line = realloc(c->line, c->line_cap);
      }
      c->line[n++] = (char)ch;
    }
    if (ch < 0) {
      disconnect(c);
      return 0;
    }
    if (n == 0) continue; /* keep-alive newline */
    *out = json_loadb(c->line, n, 0, NULL);
    if (*out) return 1;
  }
}
