/* proxy_http.h - the pure half of the pods/services proxy subresources
 * (pod_proxy.c): the "[scheme:]name[:port]" name of a proxy path as
 * Kubernetes splits it, and the HTTP/1.x answer of the backend, read whole
 * (status, header block, body with chunked coding undone). */
#ifndef CKUBE_PROXY_HTTP_H
#define CKUBE_PROXY_HTTP_H
#include <stdbool.h>
#include <stddef.h>

/* "https:web:8443" -> https, web, 8443; "web:80" -> "", web, 80; "web" -> "", web, "" (as
 * net.SplitSchemeNamePort): false for an empty name, a scheme other than http/https or too many parts. */
bool proxy_split_target(const char *id, char *scheme, size_t scheme_len, char *name, size_t name_len, char *port,
                        size_t port_len);

typedef struct {
  int code;            /* the backend's status code */
  const char *headers; /* the header lines after the status line, each ending in \r\n (or \n) */
  size_t headers_len;
  char *body; /* inside the parsed buffer (chunked coding decoded in place) */
  size_t body_len;
} proxy_response;

/* Parses a complete response in buf[0..len) (the backend closed after it): false when it has no
 * status line and header block. */
bool proxy_parse_response(char *buf, size_t len, proxy_response *out);

/* true for headers a proxy must not pass on (hop-by-hop, and the length it sets itself). */
bool proxy_hop_header(const char *name, size_t len);

#endif
