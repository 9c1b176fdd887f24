/* proxy_rewrite.h - what kube-apiserver's proxy transport does to a
 * backend's answer on the pods/services proxy subresources, as pure
 * functions: a Location header and the URL-valued attributes of a text/html
 * body (a href, img src, form action, ...) that point at the backend itself
 * get the proxy path in front (/rewriteme ->
 * /api/v1/namespaces/NS/pods/NAME:PORT/proxy/rewriteme), so links keep
 * working through the API server; gzip and deflate bodies are unpacked and
 * packed again. */
#ifndef CKUBE_PROXY_REWRITE_H
#define CKUBE_PROXY_REWRITE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct {
  const char *prepend;      /* the request's path up to ".../proxy" */
  const char *backend_host; /* "IP:PORT" the request went to */
  const char *request_host; /* the Host header the client sent the API server */
  const char *path;         /* the request's path after the prefix, as the backend gets it */
} proxy_origin;

/* Go's path.Join(prefix, path) with path's trailing slash kept (malloc'd): the X-Forwarded-Uri of a
 * proxied request and the path of a rewritten URL. */
char *proxy_join_path(const char *prefix, const char *path);

/* url as the client should see it (malloc'd): an absolute path, or a URL naming the backend or the
 * request's host, gets the prefix; a relative or other host's URL stays as it is. */
char *proxy_rewrite_url(const char *url, const proxy_origin *o);

/* The HTML document html[0..len) with its URL-valued attributes rewritten (malloc'd, *out_len set);
 * every other byte as it was. */
char *proxy_rewrite_html(const char *html, size_t len, const proxy_origin *o, size_t *out_len);

/* The same for a body in Content-Encoding encoding ("" or "identity", "gzip", "deflate"): NULL
 * when the encoding is another or the body does not unpack (it is then passed on as it is). */
char *proxy_rewrite_html_encoded(const char *body, size_t len, const char *encoding, const proxy_origin *o,
                                 size_t *out_len);

#endif
