/* test_webhook_convert.c - the webhooks' newer callers: CONNECT options
 * objects decoded from queries (webhook_connect.c) and CRD conversion
 * through a ConversionReview (webhook_conversion.c) against a local HTTP
 * webhook that converts, fails, renames or miscounts, plus wh_http (any
 * method, headers and status) and wh_http_stream (chunked answers split
 * anywhere) that the aggregator's proxy uses. */
#include "test.h"
#include "registry.h"
#include "webhook_internal.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static json_t *J(const char *s) {
  json_error_t e;
  json_t *v = json_loads(s, 0, &e);
  if (!v) fprintf(stderr, "bad JSON in test: %s: %s\n", e.text, s);
  return v;
}

static bool same(json_t *got, const char *want) {
  json_t *w = J(want);
  bool eq = got && w && json_equal(got, w);
  if (!eq) {
    char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
    fprintf(stderr, "got %s\nwant %s\n", g ? g : "(null)", want);
    free(g);
  }
  json_decref(w);
  json_decref(got);
  return eq;
}

static void test_connect_options(void) {
  CHECK(same(webhook_connect_options("pods", "attach", "container=c1&stdin=true&stdout=1&stderr=t&tty=false", NULL),
             "{\"kind\":\"PodAttachOptions\",\"apiVersion\":\"v1\",\"stdin\":true,\"stdout\":true,\"stderr\":true,"
             "\"container\":\"c1\"}"));
  CHECK(same(webhook_connect_options("pods", "exec", "command=ls&command=-l&stdout=true", NULL),
             "{\"kind\":\"PodExecOptions\",\"apiVersion\":\"v1\",\"stdout\":true,\"command\":[\"ls\",\"-l\"]}"));
  CHECK(same(webhook_connect_options("pods", "exec", "", NULL),
             "{\"kind\":\"PodExecOptions\",\"apiVersion\":\"v1\",\"command\":null}"));
  CHECK(same(webhook_connect_options("pods", "portforward", "ports=80&ports=8080", NULL),
             "{\"kind\":\"PodPortForwardOptions\",\"apiVersion\":\"v1\",\"ports\":[80,8080]}"));
  CHECK(same(webhook_connect_options("pods", "proxy", "path=/ignored", "/a/b"),
             "{\"kind\":\"PodProxyOptions\",\"apiVersion\":\"v1\",\"path\":\"/a/b\"}"));
  CHECK(same(webhook_connect_options("services", "proxy", NULL, ""),
             "{\"kind\":\"ServiceProxyOptions\",\"apiVersion\":\"v1\"}"));
  CHECK(same(webhook_connect_options("nodes", "proxy", "path=/stats", NULL),
             "{\"kind\":\"NodeProxyOptions\",\"apiVersion\":\"v1\",\"path\":\"/stats\"}"));
  CHECK(webhook_connect_options("pods", "log", "", NULL) == NULL);
}

/* ---- a conversion webhook on 127.0.0.1 ---- */

typedef enum { CONVERT, FAIL, RENAME, MISCOUNT, WRONG_UID } behaviour;

typedef struct {
  int fd;
  behaviour how;
  json_t *review; /* the last review received */
} hook;

static int listener(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  listen(fd, 4);
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  return fd;
}

/* The answer to one review: the objects with apiVersion desired and spec.converted, or a failure. */
static char *answer(hook *h, json_t *review) {
  json_t *rq = json_object_get(review, "request"), *out = json_array();
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(rq, "objects"), i, o) {
    json_t *c = json_deep_copy(o);
    json_object_set(c, "apiVersion", json_object_get(rq, "desiredAPIVersion"));
    json_object_set_new(c, "converted", json_true());
    json_object_set_new(json_object_get(c, "metadata"), "labels", json_pack("{s:s}", "by", "hook"));
    json_object_set_new(json_object_get(c, "metadata"), "generation", json_integer(42));
    if (h->how == RENAME) json_object_set_new(json_object_get(c, "metadata"), "name", json_string("other"));
    json_array_append_new(out, c);
  }
  if (h->how == MISCOUNT) json_array_append_new(out, json_object());
  json_t *resp = json_pack("{s:O,s:{s:s},s:o}", "uid", json_object_get(rq, "uid"), "result", "status", "Success",
                           "convertedObjects", out);
  if (h->how == FAIL) json_object_set_new(resp, "result", json_pack("{s:s,s:s}", "status", "Failure", "message", "no way"));
  if (h->how == WRONG_UID) json_object_set_new(resp, "uid", json_string("x"));
  json_t *doc = json_pack("{s:O,s:s,s:o}", "apiVersion", json_object_get(review, "apiVersion"), "kind",
                          "ConversionReview", "response", resp);
  char *body = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return body;
}

static void *serve_once(void *arg) {
  hook *h = arg;
  int s = accept(h->fd, NULL, NULL);
  if (s < 0) return NULL;
  char req[65536];
  size_t n = 0;
  char *end = NULL;
  for (;;) {
    ssize_t r = recv(s, req + n, sizeof req - 1 - n, 0);
    if (r <= 0) break;
    n += (size_t)r;
    req[n] = 0;
    end = strstr(req, "\r\n\r\n");
    char *cl = strstr(req, "Content-Length: ");
    if (end && cl && n >= (size_t)(end + 4 - req) + (size_t)atol(cl + 16)) break;
  }
  h->review = end ? J(end + 4) : NULL;
  char *body = h->review ? answer(h, h->review) : strdup("{}");
  char head[256];
  int hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                    strlen(body));
  ssize_t w = send(s, head, (size_t)hn, MSG_NOSIGNAL);
  w = send(s, body, strlen(body), MSG_NOSIGNAL);
  (void)w;
  free(body);
  close(s);
  return NULL;
}

/* Converts objs through a webhook behaving as how; the Status (or NULL) and the review sent. */
static json_t *convert(behaviour how, const char *versions, json_t **objs, size_t n, json_t **review) {
  int port;
  hook h = {listener(&port), how, NULL};
  pthread_t t;
  pthread_create(&t, NULL, serve_once, &h);
  char cfg[256];
  snprintf(cfg, sizeof cfg, "{\"clientConfig\":{\"url\":\"http://127.0.0.1:%d/convert\"},\"conversionReviewVersions\":%s}",
           port, versions);
  json_t *wh = J(cfg);
  json_t *st = webhook_convert(NULL, wh, objs, n, "g.example.com/v2");
  json_decref(wh);
  shutdown(h.fd, SHUT_RDWR);
  pthread_join(t, NULL);
  close(h.fd);
  *review = h.review;
  return st;
}

static json_t *cr(const char *name, const char *version) {
  json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:i}}", "apiVersion", version, "kind", "Widget", "metadata", "name",
                        name, "namespace", "ns", "uid", name, "generation", 1);
  return o;
}

static const char *message(const json_t *st) { return json_string_value(json_object_get(st, "message")); }

static void test_conversion(void) {
  json_t *objs[3] = {cr("a", "g.example.com/v1"), cr("b", "g.example.com/v2"), cr("c", "g.example.com/v1")}, *review;
  json_t *st = convert(CONVERT, "[\"v1\",\"v1beta1\"]", objs, 3, &review);
  CHECK(st == NULL);
  json_t *rq = json_object_get(review, "request");
  CHECK_STR(json_string_value(json_object_get(review, "apiVersion")), "apiextensions.k8s.io/v1");
  CHECK_STR(json_string_value(json_object_get(rq, "desiredAPIVersion")), "g.example.com/v2");
  CHECK(json_array_size(json_object_get(rq, "objects")) == 2); /* b is in v2 already */
  CHECK(strlen(json_string_value(json_object_get(rq, "uid"))) == 36);
  CHECK_STR(json_string_value(json_object_get(objs[0], "apiVersion")), "g.example.com/v2");
  CHECK(json_is_true(json_object_get(objs[0], "converted")) && json_is_true(json_object_get(objs[2], "converted")));
  CHECK(!json_object_get(objs[1], "converted"));
  json_t *md = json_object_get(objs[0], "metadata");
  CHECK(json_integer_value(json_object_get(md, "generation")) == 1); /* metadata kept but labels */
  CHECK_STR(json_string_value(json_object_get(json_object_get(md, "labels"), "by")), "hook");
  json_decref(review);
  for (int i = 0; i < 3; i++) json_decref(objs[i]);

  objs[0] = cr("a", "g.example.com/v1");
  st = convert(CONVERT, "[\"v1beta1\"]", objs, 1, &review);
  CHECK(st == NULL);
  CHECK_STR(json_string_value(json_object_get(review, "apiVersion")), "apiextensions.k8s.io/v1beta1");
  json_decref(review);
  json_decref(objs[0]);

  static const struct {
    behaviour how;
    const char *msg;
  } bad[] = {
      {FAIL, "Internal error occurred: conversion webhook for g.example.com/v1, Kind=Widget failed: no way"},
      {RENAME, "Internal error occurred: conversion webhook for g.example.com/v1, Kind=Widget returned invalid "
               "converted object at index 0: must have the same name: a != other"},
      {MISCOUNT, "Internal error occurred: conversion webhook for g.example.com/v1, Kind=Widget returned 2 objects, "
                 "expected 1"},
      {WRONG_UID, NULL},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    objs[0] = cr("a", "g.example.com/v1");
    st = convert(bad[i].how, "[\"v1\"]", objs, 1, &review);
    CHECK(st && json_integer_value(json_object_get(st, "code")) == 500);
    if (bad[i].msg) CHECK_STR(message(st), bad[i].msg);
    else CHECK(message(st) && strstr(message(st), "expected response.uid="));
    CHECK_STR(json_string_value(json_object_get(objs[0], "apiVersion")), "g.example.com/v1"); /* left as it was */
    json_decref(st);
    json_decref(review);
    json_decref(objs[0]);
  }

  /* nothing to convert: no call at all */
  objs[0] = cr("a", "g.example.com/v2");
  json_t *wh = J("{\"clientConfig\":{\"url\":\"http://127.0.0.1:1/x\"},\"conversionReviewVersions\":[\"v1\"]}");
  CHECK(webhook_convert(NULL, wh, objs, 1, "g.example.com/v2") == NULL);
  objs[1] = cr("b", "g.example.com/v1");
  st = webhook_convert(NULL, wh, objs, 2, "g.example.com/v2");
  CHECK(st && strstr(message(st), "failed: Post \"http://127.0.0.1:1/x?timeout=30s\": dial tcp 127.0.0.1:1: connect: "
                                  "connection refused"));
  json_decref(st);
  json_decref(wh);
  json_decref(objs[0]);
  json_decref(objs[1]);
}

/* ---- wh_http and wh_http_stream against a server that answers in small pieces ---- */

typedef struct {
  int fd;
  const char *reply;
  size_t piece; /* bytes per send, with a pause between */
  char request[4096];
} trickle;

static void *trickle_once(void *arg) {
  trickle *t = arg;
  int s = accept(t->fd, NULL, NULL);
  if (s < 0) return NULL;
  size_t n = 0;
  while (n < sizeof t->request - 1) {
    ssize_t r = recv(s, t->request + n, sizeof t->request - 1 - n, 0);
    if (r <= 0) break;
    n += (size_t)r;
    t->request[n] = 0;
    if (strstr(t->request, "\r\n\r\n")) break;
  }
  for (size_t off = 0, len = strlen(t->reply); off < len; off += t->piece) {
    ssize_t w = send(s, t->reply + off, len - off < t->piece ? len - off : t->piece, MSG_NOSIGNAL);
    (void)w;
    usleep(2000);
  }
  close(s);
  return NULL;
}

typedef struct {
  int code;
  char headers[512], body[512];
} collected;

static bool on_head(int code, const char *headers, void *ctx) {
  collected *c = ctx;
  c->code = code;
  snprintf(c->headers, sizeof c->headers, "%s", headers);
  return true;
}

static bool on_body(const char *data, size_t len, void *ctx) {
  collected *c = ctx;
  size_t have = strlen(c->body);
  snprintf(c->body + have, sizeof c->body - have, "%.*s", (int)len, data);
  return true;
}

static void test_http_stream(void) {
  static const char *const replies[] = {
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\n{\"a\":1\r\n2\r\n}\n\r\n9\r\n{\"b\":22}\n\r\n0\r\n\r\n",
      "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello trailing bytes ignored",
  };
  static const char *const bodies[] = {"{\"a\":1}\n{\"b\":22}\n", "hello"};
  for (size_t i = 0; i < 2; i++) {
    for (size_t piece = 1; piece <= 64; piece *= 8) { /* every split of the chunk framing */
      int port;
      trickle t = {0};
      t.fd = listener(&port);
      t.reply = replies[i];
      t.piece = piece;
      pthread_t th;
      pthread_create(&th, NULL, trickle_once, &t);
      char cfg[128];
      snprintf(cfg, sizeof cfg, "{\"url\":\"http://127.0.0.1:%d/\"}", port);
      json_t *cc = J(cfg);
      wh_http_request rq = {.method = "GET", .path = "/apis/g/v1/things?watch=1", .headers = "X-Remote-User: u\r\n",
                            .timeout_s = 10};
      collected got = {0};
      char err[256] = "";
      CHECK(wh_http_stream(NULL, cc, &rq, on_head, on_body, &got, err, sizeof err) == 0);
      CHECK(got.code == (i ? 201 : 200));
      CHECK_STR(got.body, bodies[i]);
      CHECK(strstr(got.headers, "Content-Type: ") != NULL);
      pthread_join(th, NULL);
      CHECK(strstr(t.request, "GET /apis/g/v1/things?watch=1 HTTP/1.1\r\n") == t.request);
      CHECK(strstr(t.request, "\r\nX-Remote-User: u\r\n") != NULL);
      json_decref(cc);
      close(t.fd);
    }
  }
  /* the whole-answer form, any status */
  int port;
  trickle t = {0};
  t.fd = listener(&port);
  t.reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}";
  t.piece = 1000;
  pthread_t th;
  pthread_create(&th, NULL, trickle_once, &t);
  char cfg[128];
  snprintf(cfg, sizeof cfg, "{\"url\":\"http://127.0.0.1:%d/\"}", port);
  json_t *cc = J(cfg);
  wh_http_request rq = {.method = "DELETE", .path = "/x", .timeout_s = 5};
  wh_http_response resp;
  char err[256];
  CHECK(wh_http(NULL, cc, &rq, &resp, err, sizeof err) == 0);
  CHECK(resp.code == 404 && resp.len == 2 && !strcmp(resp.body, "{}"));
  wh_http_response_free(&resp);
  pthread_join(th, NULL);
  close(t.fd);
  json_decref(cc);
  /* refused before any head */
  cc = J("{\"url\":\"http://127.0.0.1:1/\"}");
  collected got = {0};
  CHECK(wh_http_stream(NULL, cc, &rq, on_head, on_body, &got, err, sizeof err) == -1);
  CHECK_STR(err, "dial tcp 127.0.0.1:1: connect: connection refused");
  json_decref(cc);
}

static void setup(void) {
  char err[256];
  if (registry_load(err, sizeof err) != 0) fprintf(stderr, "registry: %s\n", err);
}

TEST_MAIN(TEST(setup), TEST(test_connect_options), TEST(test_conversion), TEST(test_http_stream))
