/* ingress_tls.c - see ingress_tls.h. Only TLS 1.2 and 1.3 with the
 * OpenSSL defaults' modern suites (ECDHE + AEAD for 1.2), ALPN http/1.1.
 * The SNI callback runs on a data-plane worker: it takes a reference to
 * the current route table only for the lookup and switches the connection
 * to the Secret's SSL_CTX (OpenSSL keeps that context alive while the
 * connection uses it). */
#include "ingress_tls.h"
#include "route.h"
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static SSL_CTX *listener;     /* created once under once_lock */
static char default_fp[100];
static pthread_mutex_t once_lock = PTHREAD_MUTEX_INITIALIZER;

static void openssl_error(char *err, size_t errlen, const char *what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
  ERR_clear_error();
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
  static const unsigned char h11[] = "\x08http/1.1";
  unsigned char *sel;
  if (SSL_select_next_proto(&sel, outlen, h11, sizeof h11 - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *new_ctx(void) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return NULL;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_read_ahead(ctx, 1); /* one read() per burst of records, not two per record (header, body) */
  return ctx;
}

void *ingress_tls_ctx_from_pem(const char *crt, size_t crt_len, const char *key, size_t key_len, char *err,
                               size_t errlen) {
  SSL_CTX *ctx = new_ctx();
  BIO *cb = BIO_new_mem_buf(crt, (int)crt_len), *kb = BIO_new_mem_buf(key, (int)key_len);
  X509 *leaf = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
  EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
  bool ok = ctx && leaf && pk;
  if (!ok) openssl_error(err, errlen, !leaf ? "tls.crt holds no PEM certificate" : "tls.key holds no PEM private key");
  if (ok && (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, pk) != 1 ||
             SSL_CTX_check_private_key(ctx) != 1)) {
    openssl_error(err, errlen, "private key does not match public key");
    ok = false;
  }
  X509 *chain;
  while (ok && (chain = PEM_read_bio_X509(cb, NULL, NULL, NULL)))
    if (SSL_CTX_add_extra_chain_cert(ctx, chain) != 1) X509_free(chain), ok = false;
  ERR_clear_error(); /* the end of the chain reads as an error */
  X509_free(leaf);
  EVP_PKEY_free(pk);
  BIO_free(cb);
  BIO_free(kb);
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

bool ingress_tls_cert_covers(const char *crt, size_t crt_len, const char *host) {
  BIO *b = BIO_new_mem_buf(crt, (int)crt_len);
  X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
  bool ok = x && X509_check_host(x, host, 0, 0, NULL) == 1;
  X509_free(x);
  BIO_free(b);
  ERR_clear_error();
  return ok;
}

static int sni_callback(SSL *ssl, int *alert, void *arg) {
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;
  route_table *t = route_current();
  const route_cert *c = route_find_cert(t, name);
  if (c && c->ssl_ctx) SSL_set_SSL_CTX(ssl, c->ssl_ctx);
  route_unref(t);
  return SSL_TLSEXT_ERR_OK;
}

/* The ingress-nginx style fake certificate: RSA-2048 (ECDSA would do, but
 * some old clients of the tutorials expect RSA), CN "Kubernetes Ingress
 * Controller Fake Certificate", SAN ingress.local, valid a year. */
static bool add_default_cert(SSL_CTX *ctx, char *err, size_t errlen) {
  EVP_PKEY *pk = EVP_RSA_gen(2048);
  X509 *x = X509_new();
  bool ok = pk && x;
  if (ok) {
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
    X509_set_version(x, 2);
    X509_set_pubkey(x, pk);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Acme Co", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)"Kubernetes Ingress Controller Fake Certificate", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:ingress.local");
    if (san) X509_add_ext(x, san, -1), X509_EXTENSION_free(san);
    ok = X509_sign(x, pk, EVP_sha256()) > 0 && SSL_CTX_use_certificate(ctx, x) == 1 &&
         SSL_CTX_use_PrivateKey(ctx, pk) == 1;
  }
  if (ok) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(x, EVP_sha256(), md, &n);
    for (unsigned i = 0; i < n; i++) sprintf(default_fp + 3 * i, i + 1 < n ? "%02X:" : "%02X", md[i]);
  } else {
    openssl_error(err, errlen, "cannot make the default certificate");
  }
  X509_free(x);
  EVP_PKEY_free(pk);
  return ok;
}

void *ingress_tls_listener_ctx(char *err, size_t errlen) {
  pthread_mutex_lock(&once_lock);
  if (!listener) {
    SSL_CTX *ctx = new_ctx();
    if (ctx && add_default_cert(ctx, err, errlen)) {
      SSL_CTX_set_tlsext_servername_callback(ctx, sni_callback);
      listener = ctx;
    } else {
      SSL_CTX_free(ctx);
    }
  }
  pthread_mutex_unlock(&once_lock);
  return listener;
}

const char *ingress_tls_default_fingerprint(void) { return default_fp; }

void ingress_tls_shutdown(void) {
  pthread_mutex_lock(&once_lock);
  SSL_CTX_free(listener);
  listener = NULL;
  pthread_mutex_unlock(&once_lock);
}
