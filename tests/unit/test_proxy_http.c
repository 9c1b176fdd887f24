/* test_proxy_http.c - the pure half of the pods/services proxy: the
 * "[scheme:]name[:port]" split as Kubernetes makes it, and the backend's
 * HTTP/1.x answer (status, headers, body, chunked coding undone). */
#include "test.h"
#include "proxy_http.h"
#include <string.h>

static void test_split(void) {
  char s[16], n[64], p[16];
  CHECK(proxy_split_target("web", s, sizeof s, n, sizeof n, p, sizeof p));
  CHECK_STR(s, "");
  CHECK_STR(n, "web");
  CHECK_STR(p, "");
  CHECK(proxy_split_target("web:8080", s, sizeof s, n, sizeof n, p, sizeof p));
  CHECK_STR(n, "web");
  CHECK_STR(p, "8080");
  CHECK(proxy_split_target("https:web:tls", s, sizeof s, n, sizeof n, p, sizeof p));
  CHECK_STR(s, "https");
  CHECK_STR(n, "web");
  CHECK_STR(p, "tls");
  CHECK(proxy_split_target("http:web:", s, sizeof s, n, sizeof n, p, sizeof p));
  CHECK_STR(p, "");
  CHECK(!proxy_split_target("ftp:web:21", s, sizeof s, n, sizeof n, p, sizeof p));
  CHECK(!proxy_split_target(":80", s, sizeof s, n, sizeof n, p, sizeof p));
  CHECK(!proxy_split_target("a:b:c:d", s, sizeof s, n, sizeof n, p, sizeof p));
}

static void test_response(void) {
  char plain[] = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nX-A: 1\r\n\r\nno such file\n";
  proxy_response r;
  CHECK(proxy_parse_response(plain, strlen(plain), &r));
  CHECK(r.code == 404);
  CHECK(r.headers_len == strlen("Content-Type: text/plain\r\nX-A: 1\r\n"));
  CHECK(!strncmp(r.headers, "Content-Type: text/plain\r\n", 26));
  CHECK(r.body_len == 13 && !memcmp(r.body, "no such file\n", 13));
  char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n world!\r\n0\r\n\r\n";
  CHECK(proxy_parse_response(chunked, strlen(chunked), &r));
  CHECK(r.code == 200 && r.body_len == 12 && !memcmp(r.body, "hello world!", 12));
  char bare[] = "HTTP/1.0 204 No Content\r\n\r\n";
  CHECK(proxy_parse_response(bare, strlen(bare), &r));
  CHECK(r.code == 204 && r.headers_len == 0 && r.body_len == 0);
  char lf[] = "HTTP/1.0 200 OK\nA: b\n\nbody";
  CHECK(proxy_parse_response(lf, strlen(lf), &r));
  CHECK(r.headers_len == 5 && r.body_len == 4);
  char cut[] = "HTTP/1.0 200 OK\r\nA: b\r\n";
  CHECK(!proxy_parse_response(cut, strlen(cut), &r)); /* no end of the headers */
  char junk[] = "SSH-2.0-OpenSSH\r\n\r\n";
  CHECK(!proxy_parse_response(junk, strlen(junk), &r));
  CHECK(proxy_hop_header("connection", 10) && proxy_hop_header("Content-Length", 14));
  CHECK(!proxy_hop_header("Content-Type", 12));
}

TEST_MAIN(TEST(test_split), TEST(test_response))
