/* proxy_io.c - reads and writes on one non-blocking socket of the data
 * plane, plain or through its TLS session, for client sessions and upstream
 * connections alike. Results: > 0 bytes, 0 end of stream, -1 would block
 * (and the side's readable/writable flag is cleared until epoll says
 * otherwise), -2 error. */
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

ssize_t proxy_read(int fd, SSL *ssl, bool *readable, bool *writable, char *p, size_t n) {
  if (ssl) {
    int r = SSL_read(ssl, p, (int)n);
    return r > 0 ? r : proxy_tls_result(ssl, r, readable, writable);
  }
  ssize_t r = read(fd, p, n);
  return r >= 0 ? r : would_block(readable);
}

ssize_t proxy_write(int fd, SSL *ssl, bool *readable, bool *writable, const char *p, size_t n) {
  if (ssl) {
    int r = SSL_write(ssl, p, (int)n);
    return r > 0 ? r : proxy_tls_result(ssl, r, readable, writable);
  }
  ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
  return r >= 0 ? r : would_block(writable);
}
