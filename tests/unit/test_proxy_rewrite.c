/* test_proxy_rewrite.c - links in proxied answers lead back through the
 * proxy as apimachinery's proxy Transport makes them (its transport_test.go
 * cases, restated): absolute paths and same-host URLs get the prefix,
 * relative and other hosts' URLs stay, HTML outside the rewritten
 * attribute values is copied byte for byte, gzip bodies are unpacked and
 * packed again. */
#include "test.h"
#include "proxy_rewrite.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const proxy_origin O = {"/api/v1/namespaces/ns/pods/http:web:1080/proxy", "10.1.0.5:1080", "127.0.0.1:6443", "/"};
#define P "/api/v1/namespaces/ns/pods/http:web:1080/proxy"

static void url_is(const char *in, const char *want) {
  char *got = proxy_rewrite_url(in, &O);
  CHECK_STR(got, want);
  free(got);
}

static void test_urls(void) {
  url_is("/rewriteme", P "/rewriteme");
  url_is("/", P "/");
  url_is("/a/../b/./c//d/", P "/b/c/d/");
  url_is("/x?q=1#top", P "/x?q=1#top");
  url_is("http://10.1.0.5:1080/x", P "/x");            /* the backend itself: scheme and host dropped */
  url_is("http://127.0.0.1:6443/x", "http://127.0.0.1:6443" P "/x"); /* the request's host: kept */
  url_is("http://example.com/x", "http://example.com/x");
  url_is("relative/path", "relative/path");
  url_is("#frag", "#frag");
  url_is("", "");
  url_is("mailto:someone@example.com", "mailto:someone@example.com");
  url_is(P "/already", P "/already");
  url_is("//10.1.0.5:1080/y", P "/y");
  char *j = proxy_join_path("/p", "/a/b/");
  CHECK_STR(j, "/p/a/b/");
  free(j);
}

static void html_is(const char *in, const char *want) {
  size_t n;
  char *got = proxy_rewrite_html(in, strlen(in), &O, &n);
  CHECK(n == strlen(got));
  CHECK_STR(got, want);
  free(got);
}

static void test_html(void) {
  html_is("<a href=\"/rewriteme\">test</a>", "<a href=\"" P "/rewriteme\">test</a>");
  html_is("<A HREF='/x' class=y>t</A>", "<A HREF=\"" P "/x\" class=y>t</A>");
  html_is("<img src=/i.png alt=\"/not\"><link href=\"rel.css\">",
          "<img src=\"" P "/i.png\" alt=\"/not\"><link href=\"rel.css\">");
  html_is("<form action=\"/post?a=1&amp;b=2\">", "<form action=\"" P "/post?a=1&amp;b=2\">");
  html_is("<!-- <a href=\"/c\"> --><p title=\"/t\">x</p>", "<!-- <a href=\"/c\"> --><p title=\"/t\">x</p>");
  html_is("<script>var s = '<a href=\"/s\">';</script><a href=/z>", "<script>var s = '<a href=\"/s\">';</script><a href=\"" P "/z\">");
  html_is("<!DOCTYPE html><html><body>1 < 2 <br/> </body></html>", "<!DOCTYPE html><html><body>1 < 2 <br/> </body></html>");
  html_is("<a href=\"/unterminated", "<a href=\"" P "/unterminated\"");
  html_is("<a href", "<a href");
  html_is("<video poster=\"/p.jpg\" src=\"http://example.com/v\"/>",
          "<video poster=\"" P "/p.jpg\" src=\"http://example.com/v\"/>");
}

static void test_gzip(void) {
  const char *page = "<html><a href=\"/rewriteme\">test</a></html>";
  uLongf cap = 1024;
  unsigned char packed[1024];
  z_stream z = {0};
  CHECK(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  z.next_in = (Bytef *)page;
  z.avail_in = (uInt)strlen(page);
  z.next_out = packed;
  z.avail_out = (uInt)cap;
  CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  size_t plen = cap - z.avail_out, n;
  deflateEnd(&z);
  char *out = proxy_rewrite_html_encoded((char *)packed, plen, "gzip", &O, &n);
  CHECK(out != NULL);
  char plain[1024];
  z_stream u = {0};
  CHECK(inflateInit2(&u, 31) == Z_OK);
  u.next_in = (Bytef *)out;
  u.avail_in = (uInt)n;
  u.next_out = (Bytef *)plain;
  u.avail_out = sizeof plain - 1;
  CHECK(inflate(&u, Z_FINISH) == Z_STREAM_END);
  plain[sizeof plain - 1 - u.avail_out] = 0;
  inflateEnd(&u);
  CHECK_STR(plain, "<html><a href=\"" P "/rewriteme\">test</a></html>");
  free(out);
  CHECK(proxy_rewrite_html_encoded("junk", 4, "gzip", &O, &n) == NULL);
  CHECK(proxy_rewrite_html_encoded("x", 1, "br", &O, &n) == NULL);
}

TEST_MAIN(TEST(test_urls), TEST(test_html), TEST(test_gzip))
