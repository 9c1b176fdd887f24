/* proxy_io.c - reads and writes on one non-blocking socket of the data
 * plane, plain or through its TLS session, for client sessions and upstream
 * connections alike. Results: > 0 bytes, 0 end of stream, -1 would block
 * (and the side's readable/writable flag is cleared until epoll says
 * otherwise), -2 error. A read that gets less than it asked for also
 * clears the readable flag (read_hint in proxy_internal.h). */
#include "proxy_internal.h"
#include <errno.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t proxy_tls_result(SSL *ssl, int r, bool *readable, bool *writable) {
  switch (SSL_get_error(ssl, r)) {
  case SSL_ERROR_WANT_READ: *readable = false; return -1;
  case SSL_ERROR_WANT_WRITE: *writable = false; return -1;
  case SSL_ERROR_ZERO_RETURN: return 0;
  default: ERR_clear_error(); return -2;
  }
}

static ssize_t would_block(bool *flag) {
  if (errno == EAGAIN || errno == EWOULDBLOCK) *flag = false;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
}

/* The socket BIO's read results: drained when it got less than asked. */
static long track_read(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret, size_t *processed) {
  (void)argp, (void)argi, (void)argl;
  if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
    read_hint *rh = (read_hint *)BIO_get_callback_arg(b);
    rh->drained = ret <= 0 || !processed || *processed < len;
  }
  return ret;
}

void proxy_tls_track(SSL *ssl, read_hint *rh) {
  BIO *b = SSL_get_rbio(ssl);
  if (!b) return;
  BIO_set_callback_arg(b, (char *)rh);
  BIO_set_callback_ex(b, track_read);
}

ssize_t proxy_read(int fd, SSL *ssl, bool *readable, bool *writable, read_hint *rh, char *p, size_t n) {
  if (ssl) {
    rh->drained = false;
    int r = SSL_read(ssl, p, (int)n);
    if (r <= 0) return proxy_tls_result(ssl, r, readable, writable);
    if (rh->drained && !rh->hup && !SSL_has_pending(ssl)) *readable = false;
    return r;
  }
  ssize_t r = read(fd, p, n);
  if (r < 0) return would_block(readable);
  if (r > 0 && (size_t)r < n && !rh->hup) *readable = false;
  return r;
}

ssize_t proxy_write(int fd, SSL *ssl, bool *readable, bool *writable, const char *p, size_t n) {
  if (ssl) {
    int r = SSL_write(ssl, p, (int)n);
    return r > 0 ? r : proxy_tls_result(ssl, r, readable, writable);
  }
  ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
  return r >= 0 ? r : would_block(writable);
}
