/* store_etcd_http.h - the etcd store's HTTP/1.1-over-TLS client (OpenSSL)
 * for etcd's JSON gateway: a pool of keep-alive connections over a list of
 * member endpoints, failing over to the next member when one does not
 * answer; and single streaming requests (the /v3/watch stream) read as
 * newline-separated messages. Thread-safe: any thread may post. */
#ifndef CKUBE_STORE_ETCD_HTTP_H
#define CKUBE_STORE_ETCD_HTTP_H
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct etcd_http etcd_http;

/* endpoints: "https://127.0.0.1:2379,https://..." (https only, IP or name).
 * ca verifies the members; cert/key (both or neither) is the client
 * certificate. NULL + err when an argument is unusable. */
etcd_http *etcd_http_new(const char *endpoints, const char *ca, const char *cert, const char *key, char *err,
                         size_t errlen);
void etcd_http_free(etcd_http *h);

/* POSTs the JSON body to path; returns the HTTP status with the answer in
 * *resp (malloc'd, NUL-terminated, *resp_len bytes), or -1 + err when no
 * member answered within timeout_ms. A request is re-sent to another member
 * only if the first could not have received it (connect or send failed). */
int etcd_http_post(etcd_http *h, const char *path, const char *body, int timeout_ms, char **resp, size_t *resp_len,
                   char *err, size_t errlen);

typedef struct etcd_stream etcd_stream;

/* Opens a streaming POST on the first member that answers 200; NULL + err. */
etcd_stream *etcd_stream_open(etcd_http *h, const char *path, const char *body, char *err, size_t errlen);
/* The next message (one line without its newline) into *line (the stream's
 * buffer, valid until the next call): its length, 0 when timeout_ms passed
 * without one (or *stop became true), -1 when the stream ended or failed. */
ssize_t etcd_stream_next(etcd_stream *s, const char **line, int timeout_ms, const atomic_bool *stop);
void etcd_stream_close(etcd_stream *s);

#endif
