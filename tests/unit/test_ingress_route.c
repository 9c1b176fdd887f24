/* test_ingress_route.c - the Ingress routing core (controllers/ingress/
 * route_compile.c, route_match.c) on hand-made objects: classes, exact and
 * wildcard hosts, the Kubernetes docs' path table, precedence, default
 * backends, 404/503, ready-only endpoints, round-robin, canary rules and
 * weights, redirects, rewrite-target, whitelist, load-balance algorithms. */
#include "route_compile.h"
#include "test.h"
#include <arpa/inet.h>
#include <stdlib.h>

static json_t *J(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j) fprintf(stderr, "bad fixture: %s: %s\n", e.text, text);
  return j;
}

static json_t *svc(const char *name, const char *portname, int port) {
  char buf[512];
  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\"},\"spec\":{\"ports\":[{\"name\":\"%s\",\"port\":%d}]}}",
           name, portname, port);
  return J(buf);
}

/* A slice of svc with port p and addresses ip (ready) and ip_unready. */
static json_t *slice(const char *svcname, const char *portname, int p, const char *ips, const char *unready) {
  char buf[1024];
  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"namespace\":\"default\",\"name\":\"%s-x\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
           "\"ports\":[{\"name\":\"%s\",\"port\":%d}],\"endpoints\":[{\"addresses\":[%s]},"
           "{\"addresses\":[%s],\"conditions\":{\"ready\":false}}]}",
           svcname, svcname, portname, p, ips, unready);
  return J(buf);
}

static json_t *our_class(bool dflt) {
  return J(dflt ? "{\"metadata\":{\"name\":\"ckube\",\"annotations\":{\"ingressclass.kubernetes.io/is-default-class\":\"true\"}},"
                  "\"spec\":{\"controller\":\"" ROUTE_CONTROLLER_NAME "\"}}"
                : "{\"metadata\":{\"name\":\"ckube\"},\"spec\":{\"controller\":\"" ROUTE_CONTROLLER_NAME "\"}}");
}

typedef struct {
  json_t *ings, *classes, *svcs, *slices, *secrets;
  route_table *t;
  int warnings;
  char last_reason[64];
} world;

static void on_warn(void *ctx, const json_t *ing, const char *reason, const char *msg) {
  world *w = ctx;
  w->warnings++;
  snprintf(w->last_reason, sizeof w->last_reason, "%s", reason);
}

static void world_init(world *w) {
  memset(w, 0, sizeof *w);
  w->ings = json_array(), w->classes = json_array(), w->svcs = json_array(), w->slices = json_array();
  w->secrets = json_array();
  json_array_append_new(w->classes, our_class(true));
  json_array_append_new(w->svcs, svc("a", "http", 80));
  json_array_append_new(w->svcs, svc("b", "web", 8080));
  json_array_append_new(w->svcs, svc("empty", "http", 80));
  json_array_append_new(w->slices, slice("a", "http", 9001, "\"127.0.0.2\",\"127.0.0.3\"", "\"127.0.0.9\""));
  json_array_append_new(w->slices, slice("b", "web", 9002, "\"127.0.0.4\"", "\"127.0.0.8\""));
}

static void world_compile(world *w) {
  route_inputs in = {w->ings, w->classes, w->svcs, w->slices, w->secrets};
  route_unref(w->t);
  w->t = route_compile(&in, on_warn, w);
}

static void world_free(world *w) {
  route_unref(w->t);
  json_decref(w->ings), json_decref(w->classes), json_decref(w->svcs), json_decref(w->slices);
  json_decref(w->secrets);
}

/* An Ingress with one rule host (or none: NULL) and paths "type path svc[:port]" separated by ';'. */
static void add_ing(world *w, const char *name, const char *created, const char *annotations, const char *host,
                    const char *paths) {
  json_t *ps = json_array();
  char *copy = strdup(paths), *save = NULL;
  for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    char type[32], path[256], service[64];
    sscanf(tok, "%31s %255s %63s", type, path, service);
    const char *port = strcmp(service, "b") ? "{\"number\":80}" : "{\"name\":\"web\"}";
    char buf[700];
    snprintf(buf, sizeof buf,
             "{\"path\":\"%s\",\"pathType\":\"%s\",\"backend\":{\"service\":{\"name\":\"%s\",\"port\":%s}}}", path, type,
             service, port);
    json_array_append_new(ps, J(buf));
  }
  free(copy);
  char buf[1024];
  snprintf(buf, sizeof buf, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\",\"creationTimestamp\":\"%s\",\"annotations\":%s},\"spec\":{}}",
           name, created, annotations ? annotations : "{}");
  json_t *ing = J(buf), *rule = json_object();
  if (host) json_object_set_new(rule, "host", json_string(host));
  json_object_set_new(rule, "http", json_pack("{s:o}", "paths", ps));
  json_object_set_new(json_object_get(ing, "spec"), "rules", json_pack("[o]", rule));
  json_array_append_new(w->ings, ing);
}

static route_result R(world *w, const char *host, const char *path) {
  route_request rq = {.host = host, .path = path, .path_len = strlen(path)};
  route_result r;
  route_match(w->t, &rq, &r);
  return r;
}

static const char *backend_of(world *w, const char *host, const char *path) {
  route_result r = R(w, host, path);
  if (r.action == ROUTE_NOT_FOUND) return "404";
  if (r.action == ROUTE_UNAVAILABLE) return "503";
  return r.backend ? r.backend->name : "?";
}

static void test_paths_from_the_docs(void) {
  world w;
  world_init(&w);
  add_ing(&w, "i1", "2020-01-01T00:00:00Z", NULL, "foo.example.com",
          "Exact /foo a;Prefix /aaa/bbb b;Prefix /aaa a;Prefix /pre/ b");
  world_compile(&w);
  CHECK_STR(backend_of(&w, "foo.example.com", "/foo"), "default-a-80");
  CHECK_STR(backend_of(&w, "foo.example.com", "/foo/"), "404");
  CHECK_STR(backend_of(&w, "foo.example.com", "/bar"), "404");
  CHECK_STR(backend_of(&w, "foo.example.com", "/aaa/bbb"), "default-b-web");
  CHECK_STR(backend_of(&w, "foo.example.com", "/aaa/bbb/"), "default-b-web");
  CHECK_STR(backend_of(&w, "foo.example.com", "/aaa/bbb/ccc"), "default-b-web");
  CHECK_STR(backend_of(&w, "foo.example.com", "/aaa/bbbxyz"), "default-a-80");
  CHECK_STR(backend_of(&w, "foo.example.com", "/aaa/ccc"), "default-a-80");
  CHECK_STR(backend_of(&w, "foo.example.com", "/aaa?x=1"), "default-a-80");
  CHECK_STR(backend_of(&w, "foo.example.com", "/pre"), "default-b-web");
  CHECK_STR(backend_of(&w, "foo.example.com", "/pre/x"), "default-b-web");
  CHECK_STR(backend_of(&w, "foo.example.com", "/prex"), "404");
  CHECK_STR(backend_of(&w, "FOO.Example.com:8080", "/foo"), "default-a-80");
  CHECK_STR(backend_of(&w, "other.example.com", "/foo"), "404");
  world_free(&w);
}

static void test_exact_beats_prefix_and_implementation_specific(void) {
  world w;
  world_init(&w);
  add_ing(&w, "i1", "2020-01-01T00:00:00Z", NULL, "h", "Prefix /foo a;Exact /foo b;ImplementationSpecific /im a;Prefix / b");
  world_compile(&w);
  CHECK_STR(backend_of(&w, "h", "/foo"), "default-b-web");
  CHECK_STR(backend_of(&w, "h", "/foo/x"), "default-a-80");
  CHECK_STR(backend_of(&w, "h", "/imx"), "default-a-80"); /* a string prefix, as ingress-nginx renders it */
  CHECK_STR(backend_of(&w, "h", "/zzz"), "default-b-web");
  world_free(&w);
}

static void test_hosts_wildcards_and_catch_all(void) {
  world w;
  world_init(&w);
  add_ing(&w, "i1", "2020-01-01T00:00:00Z", NULL, "*.foo.com", "Prefix / a");
  add_ing(&w, "i2", "2020-01-01T00:00:01Z", NULL, "bar.foo.com", "Prefix / b");
  add_ing(&w, "i3", "2020-01-01T00:00:02Z", NULL, NULL, "Prefix /any b");
  json_object_set_new(json_object_get(json_array_get(w.ings, 2), "spec"), "tls", J("[{\"hosts\":[\"tlsonly.com\"]}]"));
  world_compile(&w);
  CHECK_STR(backend_of(&w, "tlsonly.com", "/any"), "default-b-web"); /* a spec.tls host makes no server */
  CHECK_STR(backend_of(&w, "bar.foo.com", "/"), "default-b-web"); /* exact before wildcard */
  CHECK_STR(backend_of(&w, "baz.foo.com", "/"), "default-a-80");
  CHECK_STR(backend_of(&w, "baz.bar.foo.com", "/"), "404"); /* one label only */
  CHECK_STR(backend_of(&w, "foo.com", "/"), "404");
  CHECK_STR(backend_of(&w, "foo.com", "/any/thing"), "default-b-web"); /* the catch-all server */
  CHECK_STR(backend_of(&w, NULL, "/any"), "default-b-web");
  CHECK_STR(backend_of(&w, "[::1]:80", "/any"), "default-b-web");
  world_free(&w);
}

static void test_oldest_ingress_keeps_a_path(void) {
  world w;
  world_init(&w);
  add_ing(&w, "new", "2021-01-01T00:00:00Z", NULL, "h", "Prefix /x b;Prefix /y b");
  add_ing(&w, "old", "2020-01-01T00:00:00Z", NULL, "h", "Prefix /x a");
  world_compile(&w);
  CHECK_STR(backend_of(&w, "h", "/x"), "default-a-80");
  CHECK_STR(backend_of(&w, "h", "/y"), "default-b-web"); /* rules merged across Ingresses */
  world_free(&w);
}

static void test_classes(void) {
  world w;
  world_init(&w);
  add_ing(&w, "i1", "2020-01-01T00:00:00Z", NULL, "h", "Prefix / a");
  json_t *other = J("{\"metadata\":{\"namespace\":\"default\",\"name\":\"o\",\"creationTimestamp\":\"2019-01-01T00:00:00Z\"},"
                    "\"spec\":{\"ingressClassName\":\"nginx\",\"rules\":[{\"host\":\"h\",\"http\":{\"paths\":[{\"path\":\"/\","
                    "\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"b\",\"port\":{\"name\":\"web\"}}}}]}}]}}");
  CHECK(!route_ingress_served(other, w.classes));
  json_array_append_new(w.ings, other);
  world_compile(&w);
  CHECK_STR(backend_of(&w, "h", "/"), "default-a-80"); /* served by default, the nginx one is not ours */
  json_array_clear(w.classes);
  json_array_append_new(w.classes, our_class(false));
  world_compile(&w);
  CHECK_STR(backend_of(&w, "h", "/"), "404"); /* not the default class any more */
  json_object_set_new(json_object_get(json_array_get(w.ings, 0), "spec"), "ingressClassName", json_string("ckube"));
  world_compile(&w);
  CHECK_STR(backend_of(&w, "h", "/"), "default-a-80");
  world_free(&w);
}

static void test_backends_endpoints_and_failures(void) {
  world w;
  world_init(&w);
  add_ing(&w, "i1", "2020-01-01T00:00:00Z", NULL, "h", "Prefix /a a;Prefix /e empty;Prefix /m missing");
  world_compile(&w);
  CHECK(w.warnings == 1);
  CHECK_STR(w.last_reason, "ServiceNotFound");
  CHECK_STR(backend_of(&w, "h", "/e"), "503");
  CHECK_STR(backend_of(&w, "h", "/m"), "503");
  /* ready endpoints only, in turn */
  int seen2 = 0, seen3 = 0, seen9 = 0;
  for (int i = 0; i < 10; i++) {
    route_result r = R(&w, "h", "/a");
    CHECK(r.action == ROUTE_PROXY);
    if (!r.endpoint) continue;
    seen2 += !strcmp(r.endpoint->text, "127.0.0.2:9001");
    seen3 += !strcmp(r.endpoint->text, "127.0.0.3:9001");
    seen9 += !!strstr(r.endpoint->text, "127.0.0.9");
  }
  CHECK(seen2 == 5 && seen3 == 5 && seen9 == 0);
  route_result r = R(&w, "h", "/a");
  CHECK(route_next_endpoint(r.backend, r.endpoint) != r.endpoint); /* a retry goes elsewhere */
  route_mark_down(r.backend, &r.backend->eps[0], 60000); /* passive health: skipped while down */
  for (int i = 0; i < 6; i++) CHECK(route_next_endpoint(r.backend, NULL) == &r.backend->eps[1]);
  route_mark_down(r.backend, &r.backend->eps[1], 60000); /* all down: still tried */
  CHECK(route_next_endpoint(r.backend, NULL) != NULL);
  route_mark_down(r.backend, &r.backend->eps[0], -1);
  CHECK(route_next_endpoint(r.backend, NULL) == &r.backend->eps[0]);
  world_free(&w);
}

static void test_default_backend(void) {
  world w;
  world_init(&w);
  add_ing(&w, "i1", "2020-01-01T00:00:00Z", NULL, "h", "Exact /x a");
  json_object_set_new(json_object_get(json_array_get(w.ings, 0), "spec"), "defaultBackend",
                      J("{\"service\":{\"name\":\"b\",\"port\":{\"number\":8080}}}"));
  world_compile(&w);
  CHECK_STR(backend_of(&w, "h", "/x"), "default-a-80");
  CHECK_STR(backend_of(&w, "h", "/other"), "default-b-8080");
  CHECK_STR(backend_of(&w, "unknown", "/other"), "default-b-8080");
  world_free(&w);
}

static const char *hdr_value;
static const char *cookie_value;
static const char *hdr(void *ctx, const char *name) { return strcmp(name, "X-Canary") ? NULL : hdr_value; }
static const char *cookie(void *ctx, const char *name) { return strcmp(name, "canary") ? NULL : cookie_value; }

static int canary_share(world *w, int n) {
  int hits = 0;
  for (int i = 0; i < n; i++) {
    route_request rq = {.host = "shop", .path = "/", .path_len = 1, .header = hdr, .cookie = cookie};
    route_result r;
    route_match(w->t, &rq, &r);
    hits += r.canary;
  }
  return hits;
}

static void test_canary(void) {
  world w;
  world_init(&w);
  add_ing(&w, "main", "2020-01-01T00:00:00Z", NULL, "shop", "Prefix / a");
  add_ing(&w, "canary", "2020-01-01T00:00:01Z",
          "{\"nginx.ingress.kubernetes.io/canary\":\"true\",\"nginx.ingress.kubernetes.io/canary-weight\":\"10\","
          "\"nginx.ingress.kubernetes.io/canary-by-header\":\"X-Canary\","
          "\"nginx.ingress.kubernetes.io/canary-by-cookie\":\"canary\"}",
          "shop", "Prefix / b");
  add_ing(&w, "lost", "2020-01-01T00:00:02Z", "{\"nginx.ingress.kubernetes.io/canary\":\"true\"}", "shop", "Prefix /nomain b");
  world_compile(&w);
  CHECK_STR(w.last_reason, "CanaryWithoutMain");
  hdr_value = cookie_value = NULL;
  CHECK(canary_share(&w, 10000) == 1000);
  hdr_value = "always";
  CHECK(canary_share(&w, 100) == 100);
  hdr_value = "never", cookie_value = "always";
  CHECK(canary_share(&w, 100) == 0); /* header before cookie */
  hdr_value = "other";
  CHECK(canary_share(&w, 100) == 100); /* falls through to the cookie */
  cookie_value = "never";
  CHECK(canary_share(&w, 100) == 0);
  hdr_value = cookie_value = NULL;
  CHECK_STR(backend_of(&w, "shop", "/nomain"), "default-a-80"); /* the canary made no path of its own */
  /* header-value: only that value routes; weight-total */
  json_t *anns = json_object_get(json_object_get(json_array_get(w.ings, 1), "metadata"), "annotations");
  json_object_set_new(anns, "nginx.ingress.kubernetes.io/canary-by-header-value", json_string("yes"));
  json_object_set_new(anns, "nginx.ingress.kubernetes.io/canary-weight", json_string("1"));
  json_object_set_new(anns, "nginx.ingress.kubernetes.io/canary-weight-total", json_string("1000"));
  world_compile(&w);
  hdr_value = "yes";
  CHECK(canary_share(&w, 50) == 50);
  hdr_value = "always";
  CHECK(canary_share(&w, 10000) == 10);
  world_free(&w);
}

static void test_redirects_rewrite_whitelist(void) {
  world w;
  world_init(&w);
  add_ing(&w, "tls", "2020-01-01T00:00:00Z", NULL, "secure", "Prefix / a");
  json_object_set_new(json_object_get(json_array_get(w.ings, 0), "spec"), "tls", J("[{\"hosts\":[\"secure\"]}]"));
  add_ing(&w, "rw", "2020-01-01T00:00:01Z",
          "{\"nginx.ingress.kubernetes.io/rewrite-target\":\"/$2\",\"nginx.ingress.kubernetes.io/use-regex\":\"true\","
          "\"nginx.ingress.kubernetes.io/whitelist-source-range\":\"10.0.0.0/8, 127.0.0.1\"}",
          "rw", "ImplementationSpecific /something(/|$)(.*) a");
  add_ing(&w, "root", "2020-01-01T00:00:02Z", "{\"nginx.ingress.kubernetes.io/app-root\":\"/app\"}", "root", "Prefix / a");
  world_compile(&w);
  route_request rq = {.host = "secure:8080", .path = "/x?y=1", .path_len = 6, .https_port = 8443};
  route_result r;
  route_match(w.t, &rq, &r);
  CHECK(r.action == ROUTE_REDIRECT && r.status == 308);
  CHECK_STR(r.location, "https://secure:8443/x?y=1");
  rq.https = true;
  route_match(w.t, &rq, &r);
  CHECK(r.action == ROUTE_PROXY);
  struct sockaddr_in ok = {.sin_family = AF_INET}, bad = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &ok.sin_addr);
  inet_pton(AF_INET, "127.0.0.2", &bad.sin_addr);
  route_request rw = {.host = "rw", .path = "/SOMETHING/new/x?q=1", .path_len = 20, .client = (struct sockaddr *)&ok};
  route_match(w.t, &rw, &r);
  CHECK(r.action == ROUTE_PROXY);
  CHECK_STR(r.rewritten, "/new/x?q=1");
  rw.path = "/something", rw.path_len = 10;
  route_match(w.t, &rw, &r);
  CHECK_STR(r.rewritten, "/");
  rw.client = (struct sockaddr *)&bad;
  route_match(w.t, &rw, &r);
  CHECK(r.action == ROUTE_FORBIDDEN);
  r = R(&w, "root", "/");
  CHECK(r.action == ROUTE_REDIRECT && r.status == 302);
  CHECK_STR(r.location, "/app");
  CHECK(R(&w, "root", "/app").action == ROUTE_PROXY);
  world_free(&w);
}

static const char *sticky_value;
static const char *sticky_cookie(void *ctx, const char *name) { return strcmp(name, "route") ? NULL : sticky_value; }

static void test_affinity_cookie(void) {
  world w;
  world_init(&w);
  add_ing(&w, "s", "2020-01-01T00:00:00Z",
          "{\"nginx.ingress.kubernetes.io/affinity\":\"cookie\",\"nginx.ingress.kubernetes.io/session-cookie-name\":\"route\"}",
          "h", "Prefix / a");
  world_compile(&w);
  route_request rq = {.host = "h", .path = "/", .path_len = 1, .cookie = sticky_cookie};
  route_result r;
  sticky_value = NULL;
  route_match(w.t, &rq, &r);
  CHECK(r.action == ROUTE_PROXY && !strncmp(r.set_cookie, "route=", 6));
  char value[17];
  route_affinity_value(r.endpoint, value);
  const route_endpoint *first = r.endpoint;
  sticky_value = value;
  for (int i = 0; i < 6; i++) {
    route_match(w.t, &rq, &r);
    CHECK(r.endpoint == first && !r.set_cookie[0]); /* the cookie pins the endpoint */
  }
  sticky_value = "0000000000000000"; /* an endpoint that is gone: a new one, a new cookie */
  route_match(w.t, &rq, &r);
  CHECK(r.endpoint && r.set_cookie[0]);
  world_free(&w);
}

/* load-balance: least_conn takes the endpoint with fewer requests in
 * flight; ewma the one answering faster; an unknown value warns and keeps
 * round_robin; backend-protocol HTTPS reaches the options. */
static void test_load_balance(void) {
  world w;
  world_init(&w);
  add_ing(&w, "lc", "2020-01-01T00:00:00Z", "{\"nginx.ingress.kubernetes.io/load-balance\":\"least_conn\"}", "lc",
          "Prefix / a");
  world_compile(&w);
  CHECK(w.warnings == 0);
  route_result r = R(&w, "lc", "/");
  const route_backend *b = r.backend;
  CHECK(b && b->lb == LB_LEAST_CONN && b->n_eps == 2);
  route_endpoint_begin(b, &b->eps[0]);
  route_endpoint_begin(b, &b->eps[0]);
  for (int i = 0; i < 4; i++) CHECK(route_next_endpoint(b, NULL) == &b->eps[1]);
  route_endpoint_begin(b, &b->eps[1]);
  route_endpoint_begin(b, &b->eps[1]);
  route_endpoint_begin(b, &b->eps[1]);
  CHECK(route_next_endpoint(b, NULL) == &b->eps[0]);
  route_endpoint_end(b, &b->eps[1], -1);
  int seen0 = 0; /* 2 in flight each: ties go round */
  for (int i = 0; i < 10; i++) seen0 += route_next_endpoint(b, NULL) == &b->eps[0];
  CHECK(seen0 == 5);
  world_free(&w);

  world_init(&w);
  add_ing(&w, "ew", "2020-01-01T00:00:00Z", "{\"nginx.ingress.kubernetes.io/load-balance\":\"ewma\"}", "ew",
          "Prefix / a");
  world_compile(&w);
  b = R(&w, "ew", "/").backend;
  CHECK(b && b->lb == LB_EWMA);
  for (int i = 0; i < 5; i++) { /* eps[0] answers in 50 ms, eps[1] in 1 ms */
    route_endpoint_begin(b, &b->eps[0]);
    route_endpoint_end(b, &b->eps[0], 50000);
    route_endpoint_begin(b, &b->eps[1]);
    route_endpoint_end(b, &b->eps[1], 1000);
  }
  int fast = 0;
  for (int i = 0; i < 100; i++) fast += route_next_endpoint(b, NULL) == &b->eps[1];
  CHECK(fast == 100); /* two choices of two endpoints: the faster always wins */
  route_mark_down(b, &b->eps[1], 60000); /* passive health still applies */
  CHECK(route_next_endpoint(b, NULL) == &b->eps[0]);
  world_free(&w);

  world_init(&w);
  add_ing(&w, "bad", "2020-01-01T00:00:00Z",
          "{\"nginx.ingress.kubernetes.io/load-balance\":\"random\",\"nginx.ingress.kubernetes.io/backend-protocol\":\"HTTPS\"}",
          "bad", "Prefix / a");
  world_compile(&w);
  CHECK(w.warnings == 1);
  CHECK_STR(w.last_reason, "InvalidAnnotation");
  r = R(&w, "bad", "/");
  CHECK(r.backend && r.backend->lb == LB_ROUND_ROBIN);
  CHECK(r.opts && r.opts->backend_https);
  world_free(&w);
}

static void test_sizes(void) {
  CHECK(route_parse_size("1m") == 1 << 20);
  CHECK(route_parse_size("8K") == 8192);
  CHECK(route_parse_size("0") == 0);
  CHECK(route_parse_size("12") == 12);
  CHECK(route_parse_size("1x") == -1);
  CHECK(route_parse_size("m") == -1);
}

TEST_MAIN(TEST(test_paths_from_the_docs), TEST(test_exact_beats_prefix_and_implementation_specific),
          TEST(test_hosts_wildcards_and_catch_all), TEST(test_oldest_ingress_keeps_a_path), TEST(test_classes),
          TEST(test_backends_endpoints_and_failures), TEST(test_default_backend), TEST(test_canary),
          TEST(test_redirects_rewrite_whitelist), TEST(test_affinity_cookie), TEST(test_load_balance),
          TEST(test_sizes))
