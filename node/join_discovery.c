/* join_discovery.c - see join_discovery.h. The unverified fetch is one
 * HTTP/1.1 GET over mbedTLS with VERIFY_NONE and "Connection: close"; the
 * body (Content-Length, chunked or up to close, at most 1 MiB) is only used
 * after the checks. Messages follow kubeadm's discovery errors. */
#include "join_discovery.h"
#include "bootstrap_token.h"
#include "yaml_json.h"
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#define MAX_RESPONSE (1u << 20)
#define CLUSTER_INFO "/api/v1/namespaces/kube-public/configmaps/cluster-info"

int split_https_url(const char *url, char *host, size_t hlen, char *port, size_t plen) {
  if (!url || strncmp(url, "https://", 8)) return -1;
  const char *hp = url + 8;
  if (*hp == '[') {
    const char *end = strchr(hp, ']');
    if (!end) return -1;
    snprintf(host, hlen, "%.*s", (int)(end - hp - 1), hp + 1);
    hp = end + 1;
  } else {
    size_t n = strcspn(hp, ":/");
    snprintf(host, hlen, "%.*s", (int)n, hp);
    hp += n;
  }
  snprintf(port, plen, "%s", *hp == ':' ? hp + 1 : "443");
  port[strcspn(port, "/")] = 0;
  return *host && *port ? 0 : -1;
}

/* Decodes a chunked body in place; returns its length. */
static size_t dechunk(char *b, size_t n) {
  size_t in = 0, out = 0;
  while (in < n) {
    char *end;
    unsigned long len = strtoul(b + in, &end, 16);
    char *crlf = strstr(end, "\r\n");
    if (!crlf || len == 0) break;
    in = (size_t)(crlf + 2 - b);
    if (in + len > n) len = n - in;
    memmove(b + out, b + in, len);
    out += len;
    in += len + 2;
  }
  return out;
}

/* GET path without verifying the server; *code gets the HTTP status. The body (malloc'd) or NULL. */
static char *insecure_get(const char *host, const char *port, const char *path, int *code) {
  mbedtls_net_context net;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_net_init(&net);
  mbedtls_ssl_init(&ssl);
  mbedtls_ssl_config_init(&conf);
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  char *buf = NULL, *body = NULL;
  size_t n = 0;
  *code = 0;
  if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)"join", 4) ||
      mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT))
    goto done;
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
  mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
  mbedtls_ssl_conf_read_timeout(&conf, 15000);
  if (mbedtls_net_connect(&net, host, port, MBEDTLS_NET_PROTO_TCP) || mbedtls_ssl_setup(&ssl, &conf)) goto done;
  mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
  int r;
  while ((r = mbedtls_ssl_handshake(&ssl)) != 0)
    if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) goto done;
  char req[600];
  int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
                     path, host, port);
  for (int off = 0; off < len;) {
    int w = mbedtls_ssl_write(&ssl, (const unsigned char *)req + off, (size_t)(len - off));
    if (w == MBEDTLS_ERR_SSL_WANT_WRITE || w == MBEDTLS_ERR_SSL_WANT_READ) continue;
    if (w <= 0) goto done;
    off += w;
  }
  buf = malloc(MAX_RESPONSE + 1);
  for (;;) {
    r = mbedtls_ssl_read(&ssl, (unsigned char *)buf + n, MAX_RESPONSE - n);
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n == MAX_RESPONSE) break;
    buf[n] = 0;
    /* stop once a Content-Length body is complete (the server may keep the connection) */
    char *head_end = strstr(buf, "\r\n\r\n");
    char *cl = head_end ? strcasestr(buf, "\r\nContent-Length:") : NULL;
    if (cl && cl < head_end && n >= (size_t)(head_end + 4 - buf) + strtoul(cl + 17, NULL, 10)) break;
  }
  buf[n] = 0;
  char *head_end = strstr(buf, "\r\n\r\n");
  if (!head_end || sscanf(buf, "HTTP/1.%*d %d", code) != 1) goto done;
  *head_end = 0;
  char *start = head_end + 4;
  size_t blen = n - (size_t)(start - buf);
  char *te = strcasestr(buf, "\r\nTransfer-Encoding:");
  if (te && strcasestr(te, "chunked")) blen = dechunk(start, blen);
  body = malloc(blen + 1);
  memcpy(body, start, blen);
  body[blen] = 0;
done:
  free(buf);
  mbedtls_ssl_close_notify(&ssl);
  mbedtls_ssl_free(&ssl);
  mbedtls_net_free(&net);
  mbedtls_ssl_config_free(&conf);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  return body;
}

/* The PEM in the kubeconfig's first cluster's certificate-authority-data (malloc'd) or NULL. */
static char *kubeconfig_ca(const char *kubeconfig) {
  char err[200];
  json_t *kc = yaml_to_json(kubeconfig, strlen(kubeconfig), err, sizeof err);
  const char *data = json_string_value(json_object_get(
      json_object_get(json_array_get(json_object_get(kc, "clusters"), 0), "cluster"), "certificate-authority-data"));
  char *pem = NULL;
  if (data) {
    size_t n = strlen(data);
    pem = malloc(n + 1);
    int m = EVP_DecodeBlock((unsigned char *)pem, (const unsigned char *)data, (int)n);
    if (m < 0) {
      free(pem);
      pem = NULL;
    } else {
      while (m > 0 && n > 0 && data[n - 1] == '=') m--, n--;
      pem[m] = 0;
    }
  }
  json_decref(kc);
  return pem;
}

#define JWS_WAIT_SECONDS 10

char *discover_cluster_ca(const char *url, const char *token, const char *pin, char *err, size_t errlen) {
  char id[BT_ID_LEN + 1], secret[BT_SECRET_LEN + 1], host[256], port[16];
  if (!bt_parse(token, id, secret)) {
    snprintf(err, errlen, "the bootstrap token \"%s\" was not of the form \"[a-z0-9]{6}.[a-z0-9]{16}\"", token);
    return NULL;
  }
  if (split_https_url(url, host, sizeof host, port, sizeof port) != 0) {
    snprintf(err, errlen, "the API server address must be an https:// URL, got \"%s\"", url);
    return NULL;
  }
  /* The bootstrap signer adds the token's signature to cluster-info shortly after the token is made: like
   * kubeadm's discovery, wait for it (JWS_WAIT_SECONDS here, not kubeadm's 5 minutes, so that an unknown
   * or expired token is still refused promptly). */
  json_t *cm = NULL;
  const char *kubeconfig = NULL, *jws = NULL;
  char key[64];
  snprintf(key, sizeof key, BT_JWS_PREFIX "%s", id);
  for (int attempt = 0;; attempt++) {
    int code;
    char *body = insecure_get(host, port, CLUSTER_INFO, &code);
    if (!body || code != 200) {
      if (code) snprintf(err, errlen, "failed to request the cluster-info ConfigMap from %s: HTTP %d", url, code);
      else snprintf(err, errlen, "failed to request the cluster-info ConfigMap: cannot reach %s", url);
      free(body);
      json_decref(cm);
      return NULL;
    }
    json_decref(cm);
    cm = json_loads(body, 0, NULL);
    free(body);
    const json_t *data = json_object_get(cm, "data");
    kubeconfig = json_string_value(json_object_get(data, "kubeconfig"));
    jws = json_string_value(json_object_get(data, key));
    if (!kubeconfig || jws || attempt >= JWS_WAIT_SECONDS * 4) break;
    usleep(250 * 1000);
  }
  char *ca = NULL;
  if (!kubeconfig) {
    snprintf(err, errlen, "there is no kubeconfig key in the cluster-info ConfigMap");
  } else if (!jws) {
    snprintf(err, errlen,
             "token id \"%s\" is invalid for this cluster or it has expired. Use \"ckube-server token create\" on "
             "the control-plane node to create a new valid token",
             id);
  } else if (!bt_jws_verify(kubeconfig, jws, id, secret)) {
    snprintf(err, errlen, "failed to verify JWS signature of received cluster info object, can't trust this API Server");
  } else if (!(ca = kubeconfig_ca(kubeconfig))) {
    snprintf(err, errlen, "the cluster-info kubeconfig holds no certificate authority");
  } else {
    char hash[80];
    if (bt_ca_hash(ca, strlen(ca), hash, sizeof hash) != 0 || strcasecmp(hash, pin)) {
      snprintf(err, errlen, "cluster CA found in cluster-info ConfigMap is invalid: none of the public keys \"%s\" are pinned",
               bt_ca_hash(ca, strlen(ca), hash, sizeof hash) == 0 ? hash : "(unreadable)");
      free(ca);
      ca = NULL;
    }
  }
  json_decref(cm);
  return ca;
}
