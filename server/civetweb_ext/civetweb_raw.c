/* civetweb_raw.c - CivetWeb itself (Debian's source, from the build's
 * cache) plus the few functions of civetweb_raw.h, which need its private
 * connection state: this file is the one translation unit of the civetweb
 * library, so the additions sit beside the code they extend and nothing of
 * CivetWeb is copied. */
#include "civetweb.c"
#include "civetweb_raw.h"

void mg_raw_take_over(struct mg_connection *conn, int status) {
  conn->must_close = 1;
  conn->status_code = status;
}

int mg_raw_socket(const struct mg_connection *conn) { return (int)conn->client.sock; }

static int64_t read_ahead(const struct mg_connection *conn) {
  return (int64_t)conn->data_len - (int64_t)conn->request_len - conn->consumed_content;
}

int mg_raw_pending(const struct mg_connection *conn) {
  int64_t n = read_ahead(conn);
  if (n > 0) return (int)n;
#if !defined(NO_SSL)
  if (conn->ssl) return SSL_pending(conn->ssl);
#endif
  return 0;
}

int mg_raw_read(struct mg_connection *conn, void *buf, size_t len, int timeout_ms) {
  int64_t ahead = read_ahead(conn);
  if (ahead > 0) {
    size_t n = (size_t)ahead < len ? (size_t)ahead : len;
    memcpy(buf, conn->buf + conn->request_len + conn->consumed_content, n);
    conn->consumed_content += (int64_t)n;
    return (int)n;
  }
  int n = pull_inner(NULL, conn, (char *)buf, (int)(len > INT_MAX ? INT_MAX : len), timeout_ms / 1000.0);
  return n < 0 ? -1 : n;
}

int mg_raw_detach(struct mg_connection *conn, void **ssl) {
  int fd = (int)conn->client.sock;
#if !defined(NO_SSL)
  *ssl = conn->ssl;
  conn->ssl = NULL;
#else
  *ssl = NULL;
#endif
  conn->client.sock = INVALID_SOCKET;
  conn->must_close = 1;
  return fd;
}
