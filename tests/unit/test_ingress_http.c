/* test_ingress_http.c - the Ingress proxy's HTTP layer without sockets:
 * request/response head parsing (controllers/ingress/http_parse.c) with
 * its smuggling refusals, the chunked tracker fed byte by byte, and the
 * heads the proxy writes (proxy_headers.c): hop-by-hop headers gone,
 * forwarded headers set. */
#include "proxy_internal.h"
#include "test.h"
#include <stdlib.h>

static int req(const char *s, http_head *h) { return http_parse_request(s, strlen(s), h); }

static void test_request_heads(void) {
  http_head h;
  const char *ok = "GET /a?b=1 HTTP/1.1\r\nHost: x.example.com\r\nX-A:  v  \r\n\r\nBODY";
  CHECK(req(ok, &h) == (int)strlen(ok) - 4);
  CHECK(h.n_headers == 2 && h.keep_alive && h.minor == 1 && h.content_length == -1 && !h.chunked);
  size_t n;
  const char *v = http_header_get(&h, "x-a", &n);
  CHECK(v && n == 1 && *v == 'v');
  CHECK(req("GET / HTTP/1.1\r\nHost: x\r\n", &h) == 0); /* incomplete */
  CHECK(req("GET / HTTP/1.0\r\n\r\n", &h) > 0 && !h.keep_alive);
  CHECK(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h) > 0 && h.keep_alive);
  CHECK(req("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &h) > 0 && !h.keep_alive);
  CHECK(req("GET / HTTP/1.1\nHost: x\n\n", &h) > 0); /* bare LF lines */
  CHECK(req("GET / HTTP/2.0\r\n\r\n", &h) == -505);
  CHECK(req("GET  / HTTP/1.1\r\n\r\n", &h) == -400);
  CHECK(req("G@T / HTTP/1.1\r\n\r\n", &h) == -400);
  CHECK(req("GET http://x/ HTTP/1.1\r\n\r\n", &h) == -400); /* absolute-form: not a forward proxy */
  CHECK(req("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", &h) == -400); /* obs-fold */
  CHECK(req("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", &h) == -400);   /* bare CR */
  CHECK(req("GET / HTTP/1.1\r\nBad Name: b\r\n\r\n", &h) == -400);
  static const char nul_name[] = "GET / HTTP/1.1\r\nA\0B: c\r\n\r\n"; /* a NUL is no token character */
  CHECK(http_parse_request(nul_name, sizeof nul_name - 1, &h) == -400);
  CHECK(req("GET / HTTP/1.1\r\nX~a!b#c$d%e&f'g*h+i-j.k^l_m`n|o: v\r\n\r\n", &h) > 0); /* every other tchar */
  CHECK(req("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", &h) == -400);
  CHECK(req("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", &h) == -400);
  CHECK(req("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", &h) == -501);
  CHECK(req("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &h) == -400);
  CHECK(req("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", &h) > 0 && h.content_length == 3);
  CHECK(req("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", &h) > 0 && h.upgrade);
  char big[8192] = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; i++) strcat(big, "A: b\r\n");
  strcat(big, "\r\n");
  CHECK(req(big, &h) == -431);
}

static void test_response_heads(void) {
  http_head h;
  const char *r = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  CHECK(http_parse_response(r, strlen(r), &h) == (int)strlen(r));
  CHECK(h.status == 404 && h.reason_len == 9 && !memcmp(h.reason, "Not Found", 9) && h.content_length == 0);
  CHECK(http_parse_response("HTTP/1.1 20 OK\r\n\r\n", 18, &h) == -502);
  CHECK(http_parse_response("HTTP/1.1 204\r\n\r\n", 16, &h) > 0 && h.status == 204);
}

static void test_chunked(void) {
  const char *body = "5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  size_t len = strlen(body);
  http_chunked c = {0};
  size_t used = 0;
  for (size_t i = 0; i < len && !c.done; i++) { /* byte by byte */
    ssize_t n = http_chunked_feed(&c, body + i, 1);
    CHECK(n >= 0);
    used += (size_t)n;
  }
  CHECK(c.done && used == len - 4);
  http_chunked d = {0};
  CHECK(http_chunked_feed(&d, body, len) == (ssize_t)(len - 4) && d.done);
  http_chunked e = {0};
  CHECK(http_chunked_feed(&e, "zz\r\n", 4) == -1);
  http_chunked f = {0};
  CHECK(http_chunked_feed(&f, "3\r\nabcX", 7) == -1); /* data not followed by CRLF */
}

static void test_upstream_head(void) {
  http_head h;
  const char *r = "GET /x HTTP/1.1\r\nHost: shop\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\n"
                  "TE: trailers\r\nX-Forwarded-For: 1.2.3.4\r\nX-Real-IP: spoof\r\nAccept: */*\r\n\r\n";
  CHECK(req(r, &h) > 0);
  pbuf out;
  pbuf_init(&out);
  forward_info fi = {"127.0.0.1", "https", "abc", 8443, "/rewritten"};
  CHECK(build_upstream_head(&h, &fi, &out));
  out.d[out.end] = 0;
  const char *s = out.d;
  CHECK(!strncmp(s, "GET /rewritten HTTP/1.1\r\n", 25));
  CHECK(strstr(s, "Host: shop\r\n") && strstr(s, "Accept: */*\r\n"));
  CHECK(!strstr(s, "X-Secret") && !strstr(s, "Keep-Alive") && !strstr(s, "TE:") && !strstr(s, "Connection"));
  CHECK(strstr(s, "X-Forwarded-For: 1.2.3.4, 127.0.0.1\r\n") && strstr(s, "X-Real-IP: 127.0.0.1\r\n"));
  CHECK(!strstr(s, "spoof") && strstr(s, "X-Request-ID: abc\r\n") && strstr(s, "X-Forwarded-Proto: https\r\n"));
  CHECK(strstr(s, "X-Forwarded-Host: shop\r\n") && strstr(s, "X-Forwarded-Port: 8443\r\n"));
  const char *resp = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\n";
  CHECK(http_parse_response(resp, strlen(resp), &h) > 0);
  out.start = out.end = 0;
  CHECK(build_client_head(&h, true, NULL, &out));
  out.d[out.end] = 0;
  CHECK(!strcmp(out.d, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"));
  out.start = out.end = 0;
  CHECK(build_local_response(308, "https://x/", false, &out));
  out.d[out.end] = 0;
  CHECK(!strncmp(out.d, "HTTP/1.1 308 Permanent Redirect\r\n", 33) && strstr(out.d, "Location: https://x/\r\n"));
  pbuf_free(&out);
}

TEST_MAIN(TEST(test_request_heads), TEST(test_response_heads), TEST(test_chunked), TEST(test_upstream_head))
