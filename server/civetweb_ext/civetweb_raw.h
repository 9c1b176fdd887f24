/* civetweb_raw.h - the raw byte stream of a CivetWeb connection after the
 * handler answered "101 Switching Protocols" itself (SPDY/3.1, which
 * CivetWeb does not know). The handler keeps the worker thread for the
 * stream's life, as CivetWeb's own WebSocket handlers do, and returns when
 * done; CivetWeb then closes the connection (never reads a next request
 * from it) and counts the worker free again. */
#ifndef CKUBE_CIVETWEB_RAW_H
#define CKUBE_CIVETWEB_RAW_H
#include <stddef.h>

struct mg_connection;

/* Marks conn as taken over: closed when the handler returns, logged with
 * status (101, or the error the handler wrote itself where CivetWeb would
 * not, as in a WebSocket connect handler). */
void mg_raw_take_over(struct mg_connection *conn, int status);
/* The connection's socket, to poll together with other descriptors. */
int mg_raw_socket(const struct mg_connection *conn);
/* Bytes readable without touching the socket (read ahead with the request
 * head, or decrypted and buffered by TLS). */
int mg_raw_pending(const struct mg_connection *conn);
/* Reads what is there, waiting up to timeout_ms: > 0 bytes, 0 nothing yet,
 * < 0 the connection is closed or broken. */
int mg_raw_read(struct mg_connection *conn, void *buf, size_t len, int timeout_ms);
/* Takes the connection's socket (returned) and TLS session (*ssl, an
 * OpenSSL SSL *, NULL on plain HTTP) away from CivetWeb: when the handler
 * returns, CivetWeb closes neither and serves its next connection; the
 * caller owns both from now on. */
int mg_raw_detach(struct mg_connection *conn, void **ssl);

#endif
