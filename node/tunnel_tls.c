/* tunnel_tls.c - a port-forward request that asks for TLS ("tls": true: the
 * pods/services proxy to an https:NAME:PORT target): the node speaks TLS to
 * the pod itself, without verifying its certificate, as kube-apiserver's
 * proxy transport does (InsecureSkipVerify), and relays plain bytes with
 * the server. The proxy sends one whole request and closes its input, so
 * the request is read to its end, written, and the answer relayed until
 * the pod closes the TLS connection. mbedTLS, as the agent's own client. */
#include "tunnel_internal.h"
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define TLS_IO_SECONDS 30 /* a handshake, a write or a read that stalls longer ends the request */
#define MAX_REQUEST (16 << 20)

typedef struct {
  char *data;
  size_t len;
  atomic_bool closed;
} request_buf;

static void on_data(void *ctx, int channel, const char *data, size_t len) {
  request_buf *r = ctx;
  if (channel != 0 || r->len + len > MAX_REQUEST) return;
  r->data = realloc(r->data, r->len + len);
  memcpy(r->data + r->len, data, len);
  r->len += len;
}

static void on_closed(void *ctx) { atomic_store(&((request_buf *)ctx)->closed, true); }

typedef struct {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  mbedtls_net_context net;
} tls_conn;

static void fail(answer *a, const char *what, int err) {
  char msg[600], why[256] = "";
  if (err) mbedtls_strerror(err, why, sizeof why);
  snprintf(msg, sizeof msg, "%s with pod %s port %lld%s%s", what, jstr(a->req, "pod"),
           (long long)json_integer_value(json_object_get(a->req, "port")), *why ? ": " : "", why);
  tunnel_post(a, 502, msg, NULL, 0, true);
}

/* The client side set up over fd and its handshake done: 0, or mbedTLS's error. */
static int handshake(tls_conn *t, int fd) {
  int r = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, (const unsigned char *)"ckube-proxy", 11);
  if (!r) r = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
  if (r) return r;
  mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE); /* as the apiserver's proxy: not verified */
  mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
  mbedtls_ssl_conf_read_timeout(&t->conf, TLS_IO_SECONDS * 1000);
  if ((r = mbedtls_ssl_setup(&t->ssl, &t->conf))) return r;
  t->net.fd = fd;
  mbedtls_ssl_set_bio(&t->ssl, &t->net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
  while ((r = mbedtls_ssl_handshake(&t->ssl)) == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {}
  return r;
}

/* Writes all of data; false when the connection failed. */
static bool write_all(mbedtls_ssl_context *ssl, const char *data, size_t len) {
  while (len > 0) {
    int n = mbedtls_ssl_write(ssl, (const unsigned char *)data, len);
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    if (n <= 0) return false;
    data += n, len -= (size_t)n;
  }
  return true;
}

void tunnel_forward_tls(answer *a, int fd) {
  struct timeval tv = {TLS_IO_SECONDS, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  tls_conn *t = calloc(1, sizeof *t);
  mbedtls_entropy_init(&t->entropy);
  mbedtls_ctr_drbg_init(&t->drbg);
  mbedtls_ssl_config_init(&t->conf);
  mbedtls_ssl_init(&t->ssl);
  int r = handshake(t, fd);
  if (r) {
    fail(a, "TLS handshake failed", r);
  } else {
    tunnel_post(a, 200, NULL, NULL, 0, false);
    request_buf req = {NULL, 0, false};
    bool left = tunnel_fetch_input(a, &req.closed, on_data, on_closed, &req);
    if (!left && write_all(&t->ssl, req.data, req.len)) {
      unsigned char buf[16384];
      int n;
      while (!a->gone && ((n = mbedtls_ssl_read(&t->ssl, buf, sizeof buf)) > 0 || n == MBEDTLS_ERR_SSL_WANT_READ)) {
        if (n <= 0) continue;
        a->channel = 1;
        tunnel_post(a, 200, NULL, (const char *)buf, (size_t)n, false);
      }
      mbedtls_ssl_close_notify(&t->ssl);
    }
    free(req.data);
    if (!a->gone) tunnel_post(a, 200, NULL, NULL, 0, true);
  }
  mbedtls_ssl_free(&t->ssl);
  mbedtls_ssl_config_free(&t->conf);
  mbedtls_ctr_drbg_free(&t->drbg);
  mbedtls_entropy_free(&t->entropy);
  free(t);
}
