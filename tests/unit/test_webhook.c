/* test_webhook.c - dynamic admission's pieces (server/webhook_*.c): rule
 * matching (operations, groups, versions, resources/subresources with
 * wildcards, scope), namespace and object selectors, matchPolicy
 * Equivalent, the AdmissionReview request, the response checks and patch
 * decoding, the denial and failure Statuses, URL parsing, and the HTTP
 * client against a canned local server (plain and chunked answers,
 * connection refused, timeout). */
#include "test.h"
#include "json_patch.h"
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

static bool rule(const char *rule_json, const char *op, const char *g, const char *v, const char *res,
                 const char *sub, const char *ns) {
  json_t *r = J(rule_json);
  wh_coords c = {op, g, v, res, sub, ns};
  bool m = wh_rule_matches(r, &c);
  json_decref(r);
  return m;
}

static void test_rules(void) {
  const char *cm = "{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"configmaps\"]}";
  CHECK(rule(cm, "CREATE", "", "v1", "configmaps", "", "ns"));
  CHECK(!rule(cm, "UPDATE", "", "v1", "configmaps", "", "ns"));
  CHECK(!rule(cm, "CREATE", "apps", "v1", "configmaps", "", "ns"));
  CHECK(!rule(cm, "CREATE", "", "v1beta1", "configmaps", "", "ns"));
  CHECK(!rule(cm, "CREATE", "", "v1", "secrets", "", "ns"));
  /* a plain resource does not match its subresources */
  CHECK(!rule(cm, "CREATE", "", "v1", "configmaps", "status", "ns"));
  const char *all = "{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*\"]}";
  CHECK(rule(all, "DELETE", "apps", "v1", "deployments", "", "ns"));
  CHECK(!rule(all, "UPDATE", "apps", "v1", "deployments", "scale", "ns"));
  const char *all_sub = "{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*/*\"]}";
  CHECK(rule(all_sub, "UPDATE", "apps", "v1", "deployments", "scale", "ns"));
  CHECK(rule(all_sub, "UPDATE", "", "v1", "pods", "", "ns"));
  const char *status = "{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods/status\"]}";
  CHECK(rule(status, "UPDATE", "", "v1", "pods", "status", "ns"));
  CHECK(!rule(status, "UPDATE", "", "v1", "pods", "", "ns"));
  CHECK(!rule(status, "UPDATE", "", "v1", "pods", "binding", "ns"));
  const char *any_scale = "{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*/scale\"]}";
  CHECK(rule(any_scale, "UPDATE", "apps", "v1", "replicasets", "scale", "ns"));
  CHECK(!rule(any_scale, "UPDATE", "apps", "v1", "replicasets", "status", "ns"));
  const char *pods_any = "{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods/*\"]}";
  CHECK(rule(pods_any, "CREATE", "", "v1", "pods", "eviction", "ns"));
  CHECK(rule(pods_any, "CREATE", "", "v1", "pods", "", "ns")); /* as rules.go: "*" matches no subresource too */
  /* scope: Namespaced excludes cluster-scoped objects and Namespaces themselves */
  const char *nsd = "{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*\"],\"scope\":\"Namespaced\"}";
  CHECK(rule(nsd, "CREATE", "", "v1", "configmaps", "", "ns"));
  CHECK(!rule(nsd, "CREATE", "", "v1", "nodes", "", ""));
  CHECK(!rule(nsd, "UPDATE", "", "v1", "namespaces", "", "ns"));
  const char *cl = "{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*\"],\"scope\":\"Cluster\"}";
  CHECK(rule(cl, "CREATE", "", "v1", "nodes", "", ""));
  CHECK(rule(cl, "UPDATE", "", "v1", "namespaces", "", "ns"));
  CHECK(!rule(cl, "CREATE", "", "v1", "configmaps", "", "ns"));
  const char *star = "{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*\"],\"scope\":\"*\"}";
  CHECK(rule(star, "CREATE", "", "v1", "nodes", "", "") && rule(star, "CREATE", "", "v1", "pods", "", "x"));
  /* an empty list matches nothing */
  CHECK(!rule("{\"operations\":[],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*\"]}", "CREATE", "",
              "v1", "pods", "", "x"));
}

static void test_selectors(void) {
  char err[256];
  json_t *labels = J("{\"env\":\"prod\",\"tier\":\"web\"}");
  json_t *sel = J("{\"matchLabels\":{\"env\":\"prod\"}}");
  CHECK(wh_selector_matches(sel, labels, err, sizeof err) == 1);
  CHECK(wh_selector_matches(sel, NULL, err, sizeof err) == 0);
  CHECK(wh_selector_matches(NULL, NULL, err, sizeof err) == 1);
  json_t *empty = J("{}");
  CHECK(wh_selector_matches(empty, NULL, err, sizeof err) == 1);
  json_t *expr = J("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"db\"]}]}");
  CHECK(wh_selector_matches(expr, labels, err, sizeof err) == 1);
  json_t *bad = J("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"Near\",\"values\":[\"db\"]}]}");
  CHECK(wh_selector_matches(bad, labels, err, sizeof err) == -1);
  json_decref(labels);
  json_decref(sel);
  json_decref(empty);
  json_decref(expr);
  json_decref(bad);
}

static int ns_lookups;
static json_t *fake_ns(const char *ns, void *ctx) {
  (void)ctx;
  ns_lookups++;
  if (!strcmp(ns, "prod")) return J("{\"env\":\"prod\"}");
  if (!strcmp(ns, "dev")) return json_object();
  return NULL;
}

static int should(const char *hook_json, wh_attrs *a, wh_invocation *inv, json_t **st) {
  json_t *h = J(hook_json);
  *st = NULL;
  int m = wh_should_call(h, a, fake_ns, NULL, inv, st);
  json_decref(h);
  return m;
}

static void test_should_call(void) {
  const resource *cms = registry_find("", "v1", "configmaps");
  const resource *nss = registry_find("", "v1", "namespaces");
  const resource *nodes = registry_find("", "v1", "nodes");
  CHECK(cms && nss && nodes);
  json_t *obj = J("{\"metadata\":{\"name\":\"a\",\"labels\":{\"app\":\"x\"}}}");
  json_t *old = J("{\"metadata\":{\"name\":\"a\",\"labels\":{\"app\":\"y\"}}}");
  wh_attrs a = {"CREATE", cms, "", "prod", "a", obj, NULL, NULL, false, NULL, NULL, NULL, NULL};
  wh_invocation inv;
  json_t *st;
  const char *base = "{\"name\":\"h\",\"rules\":[{\"operations\":[\"*\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
                     "\"resources\":[\"*\"]}]";
  char h[1024];
  snprintf(h, sizeof h, "%s}", base);
  ns_lookups = 0;
  CHECK(should(h, &a, &inv, &st) == 1 && inv.r == cms && !strcmp(inv.kind, "ConfigMap") && !strcmp(inv.version, "v1"));
  CHECK(ns_lookups == 0); /* an empty selector needs no namespace */
  snprintf(h, sizeof h, "%s,\"namespaceSelector\":{\"matchLabels\":{\"env\":\"prod\"}}}", base);
  CHECK(should(h, &a, &inv, &st) == 1 && ns_lookups == 1);
  a.ns = "dev";
  CHECK(should(h, &a, &inv, &st) == 0);
  /* a missing namespace is a NotFound error, but only for a webhook whose rules match */
  a.ns = "gone";
  CHECK(should(h, &a, &inv, &st) == -1 && st && json_integer_value(json_object_get(st, "code")) == 404);
  json_decref(st);
  /* cluster-scoped objects pass any namespaceSelector */
  wh_attrs n = {"CREATE", nodes, "", "", "n1", obj, NULL, NULL, false, NULL, NULL, NULL, NULL};
  CHECK(should(h, &n, &inv, &st) == 1);
  /* a Namespace is matched by its own labels on create and update */
  json_t *nsobj = J("{\"metadata\":{\"name\":\"new\",\"labels\":{\"env\":\"prod\"}}}");
  wh_attrs nc = {"CREATE", nss, "", "", "new", nsobj, NULL, NULL, false, NULL, NULL, NULL, NULL};
  ns_lookups = 0;
  CHECK(should(h, &nc, &inv, &st) == 1 && ns_lookups == 0);
  json_decref(nsobj);
  /* objectSelector: the new or the old object */
  a.ns = "prod";
  snprintf(h, sizeof h, "%s,\"objectSelector\":{\"matchLabels\":{\"app\":\"y\"}}}", base);
  CHECK(should(h, &a, &inv, &st) == 0);
  a.operation = "UPDATE";
  a.old = old;
  CHECK(should(h, &a, &inv, &st) == 1);
  a.operation = "DELETE";
  a.obj = NULL;
  CHECK(should(h, &a, &inv, &st) == 1);
  snprintf(h, sizeof h, "%s,\"objectSelector\":{\"matchLabels\":{\"app\":\"x\"}}}", base);
  CHECK(should(h, &a, &inv, &st) == 0);
  /* a broken selector is an internal error when the rules match */
  snprintf(h, sizeof h, "%s,\"objectSelector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Bad\"}]}}", base);
  CHECK(should(h, &a, &inv, &st) == -1 && json_integer_value(json_object_get(st, "code")) == 500);
  json_decref(st);
  /* subresources: status of pods is a Pod */
  const resource *pods = registry_find("", "v1", "pods");
  wh_attrs ps = {"UPDATE", pods, "status", "prod", "p", obj, old, NULL, false, NULL, NULL, NULL, NULL};
  CHECK(should("{\"rules\":[{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
               "\"resources\":[\"pods/status\"]}]}", &ps, &inv, &st) == 1 && !strcmp(inv.kind, "Pod"));
  CHECK(should("{\"rules\":[{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
               "\"resources\":[\"pods\"]}]}", &ps, &inv, &st) == 0);
  json_decref(obj);
  json_decref(old);
}

static void test_equivalent(void) {
  /* HorizontalPodAutoscalers are stored once and served as autoscaling v1, v2beta1, v2beta2 */
  const resource *v1 = registry_find("autoscaling", "v1", "horizontalpodautoscalers");
  const resource *v2 = registry_find("autoscaling", "v2beta2", "horizontalpodautoscalers");
  CHECK(v1 && v2);
  if (!v1 || !v2) return;
  json_t *obj = J("{\"metadata\":{\"name\":\"h\"}}");
  wh_attrs a = {"CREATE", v1, "", "ns", "h", obj, NULL, NULL, false, NULL, NULL, NULL, NULL};
  wh_invocation inv;
  json_t *st;
  const char *rules = "\"rules\":[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"autoscaling\"],\"apiVersions\":[\"v2beta2\"],"
                      "\"resources\":[\"horizontalpodautoscalers\"]}]";
  char h[1024];
  snprintf(h, sizeof h, "{%s}", rules); /* matchPolicy defaults to Equivalent */
  CHECK(should(h, &a, &inv, &st) == 1 && inv.r == v2 && !strcmp(inv.version, "v2beta2") &&
        !strcmp(inv.kind, "HorizontalPodAutoscaler"));
  snprintf(h, sizeof h, "{%s,\"matchPolicy\":\"Exact\"}", rules);
  CHECK(should(h, &a, &inv, &st) == 0);
  snprintf(h, sizeof h, "{%s,\"matchPolicy\":\"Equivalent\"}", rules);
  CHECK(should(h, &a, &inv, &st) == 1 && inv.r == v2);
  json_decref(obj);
}

static void test_review_request(void) {
  const resource *pods = registry_find("", "v1", "pods");
  json_t *obj = J("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}");
  json_t *old = J("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"5\"}}");
  json_t *opts = J("{\"kind\":\"UpdateOptions\",\"apiVersion\":\"meta.k8s.io/v1\"}");
  json_t *user = J("{\"username\":\"alice\",\"uid\":\"\",\"groups\":[\"devs\",\"system:authenticated\"]}");
  wh_attrs a = {"UPDATE", pods, "status", "ns1", "p", obj, old, opts, true, user, NULL, NULL, NULL};
  wh_invocation inv = {pods, "", "v1", "Pod"};
  json_t *hook = J("{\"name\":\"h\",\"admissionReviewVersions\":[\"v2\",\"v1beta1\",\"v1\"]}");
  const char *version = NULL;
  char err[256];
  json_t *rv = wh_review_request(hook, &a, &inv, obj, old, &version, err, sizeof err);
  CHECK(rv != NULL);
  CHECK_STR(version, "v1beta1"); /* the first one the server speaks */
  CHECK_STR(json_string_value(json_object_get(rv, "apiVersion")), "admission.k8s.io/v1beta1");
  CHECK_STR(json_string_value(json_object_get(rv, "kind")), "AdmissionReview");
  json_t *rq = json_object_get(rv, "request");
  CHECK(strlen(json_string_value(json_object_get(rq, "uid"))) == 36);
  json_t *want = J("{\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
                   "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},\"subResource\":\"status\","
                   "\"requestKind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
                   "\"requestResource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
                   "\"requestSubResource\":\"status\",\"name\":\"p\",\"namespace\":\"ns1\",\"operation\":\"UPDATE\","
                   "\"userInfo\":{\"username\":\"alice\",\"groups\":[\"devs\",\"system:authenticated\"]},"
                   "\"dryRun\":true,\"options\":{\"kind\":\"UpdateOptions\",\"apiVersion\":\"meta.k8s.io/v1\"}}");
  json_object_set(want, "uid", json_object_get(rq, "uid"));
  json_object_set(want, "object", obj);
  json_object_set(want, "oldObject", old);
  CHECK(json_equal(rq, want));
  json_decref(want);
  json_decref(rv);
  /* create: no oldObject (null), no name when generated, the server's own identity */
  wh_attrs c = {"CREATE", pods, "", "ns1", "", obj, NULL, NULL, false, NULL, NULL, NULL, NULL};
  json_t *hook1 = J("{\"admissionReviewVersions\":[\"v1\"]}");
  rv = wh_review_request(hook1, &c, &inv, obj, NULL, &version, err, sizeof err);
  rq = json_object_get(rv, "request");
  CHECK_STR(version, "v1");
  CHECK(json_is_null(json_object_get(rq, "oldObject")) && json_is_null(json_object_get(rq, "options")));
  CHECK(!json_object_get(rq, "name") && !json_object_get(rq, "subResource"));
  CHECK_STR(json_string_value(json_object_get(json_object_get(rq, "userInfo"), "username")), "system:apiserver");
  json_decref(rv);
  json_t *hook2 = J("{\"admissionReviewVersions\":[\"v2\"]}");
  CHECK(wh_review_request(hook2, &c, &inv, obj, NULL, &version, err, sizeof err) == NULL);
  CHECK_STR(err, "webhook does not accept known AdmissionReview versions (v1, v1beta1)");
  json_decref(hook);
  json_decref(hook1);
  json_decref(hook2);
  json_decref(obj);
  json_decref(old);
  json_decref(opts);
  json_decref(user);
}

/* Checks one answer to a v1 (or v1beta1) request with uid "u1". */
static int answer(const char *av, bool mutating, const char *response_json, wh_response *out, bool *bad, char *err) {
  char req[128];
  snprintf(req, sizeof req, "{\"apiVersion\":\"%s\",\"request\":{\"uid\":\"u1\"}}", av);
  json_t *rq = J(req);
  int rc = wh_review_response(response_json, strlen(response_json), rq, mutating, out, bad, err, 512);
  json_decref(rq);
  return rc;
}

static void test_review_response(void) {
  wh_response r;
  bool bad;
  char err[512];
  const char *v1 = "admission.k8s.io/v1";
  /* [{"op":"add","path":"/metadata/labels","value":{"a":"b"}}] */
  const char *patch_b64 = "W3sib3AiOiJhZGQiLCJwYXRoIjoiL21ldGFkYXRhL2xhYmVscyIsInZhbHVlIjp7ImEiOiJiIn19XQ==";
  char ok[512];
  snprintf(ok, sizeof ok, "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u1\",\"allowed\":true,"
           "\"patchType\":\"JSONPatch\",\"patch\":\"%s\",\"warnings\":[\"w1\"]}}", v1, patch_b64);
  CHECK(answer(v1, true, ok, &r, &bad, err) == 0 && r.allowed && json_array_size(r.warnings) == 1);
  json_t *obj = J("{\"metadata\":{\"name\":\"x\"}}");
  json_t *patched = json_patch_apply(obj, r.patch, err, sizeof err);
  CHECK(patched && !strcmp(json_string_value(json_object_get(json_object_get(json_object_get(patched, "metadata"),
                                                                             "labels"), "a")), "b"));
  json_decref(patched);
  json_decref(obj);
  wh_response_clear(&r);
  /* the same answer to a validating webhook is refused */
  CHECK(answer(v1, false, ok, &r, &bad, err) == -1);
  CHECK_STR(err, "validating webhook may not return response.patch");
  CHECK(answer(v1, true, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u2\","
                         "\"allowed\":true}}", &r, &bad, err) == -1);
  CHECK_STR(err, "expected response.uid=\"u1\", got \"u2\"");
  CHECK(answer(v1, true, "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u1\","
                         "\"allowed\":true}}", &r, &bad, err) == -1);
  CHECK_STR(err, "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, "
                 "Kind=AdmissionReview");
  CHECK(answer(v1, true, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", &r, &bad, err) == -1);
  CHECK_STR(err, "webhook response was absent");
  snprintf(ok, sizeof ok, "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u1\",\"allowed\":true,"
           "\"patch\":\"%s\"}}", v1, patch_b64);
  CHECK(answer(v1, true, ok, &r, &bad, err) == -1);
  CHECK_STR(err, "webhook returned response.patch but not response.patchType");
  CHECK(answer(v1, true, "not json", &r, &bad, err) == -1 && !strncmp(err, "couldn't get version/kind; json parse error", 43));
  /* v1beta1: no uid or kind checks, a patch implies JSONPatch */
  snprintf(ok, sizeof ok, "{\"response\":{\"allowed\":true,\"patch\":\"%s\"}}", patch_b64);
  CHECK(answer("admission.k8s.io/v1beta1", true, ok, &r, &bad, err) == 0 && json_array_size(r.patch) == 1);
  wh_response_clear(&r);
  /* a patch that is no JSON patch is an internal error whatever the policy */
  CHECK(answer("admission.k8s.io/v1beta1", true, "{\"response\":{\"allowed\":true,\"patch\":\"e30=\"}}", &r, &bad, err) == -1);
  CHECK(bad);
  CHECK_STR(err, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  /* a denial keeps its status */
  CHECK(answer(v1, false, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u1\","
                          "\"allowed\":false,\"status\":{\"code\":422,\"message\":\"no\"}}}", &r, &bad, err) == 0);
  CHECK(!r.allowed && json_integer_value(json_object_get(r.result, "code")) == 422);
  json_t *st = wh_denied_status("deny.example.com", r.result);
  CHECK_STR(json_string_value(json_object_get(st, "message")), "admission webhook \"deny.example.com\" denied the request: no");
  CHECK(json_integer_value(json_object_get(st, "code")) == 422);
  CHECK_STR(json_string_value(json_object_get(st, "status")), "Failure");
  json_decref(st);
  wh_response_clear(&r);
}

static void test_statuses(void) {
  json_t *st = wh_denied_status("h", NULL);
  CHECK_STR(json_string_value(json_object_get(st, "message")), "admission webhook \"h\" denied the request without explanation");
  CHECK(json_integer_value(json_object_get(st, "code")) == 400);
  json_decref(st);
  json_t *res = J("{\"status\":\"Success\",\"code\":200,\"reason\":\"Forbidden\"}");
  st = wh_denied_status("h", res);
  CHECK_STR(json_string_value(json_object_get(st, "message")), "admission webhook \"h\" denied the request: Forbidden");
  CHECK_STR(json_string_value(json_object_get(st, "status")), "Failure");
  CHECK_STR(json_string_value(json_object_get(st, "reason")), "Forbidden");
  CHECK(json_integer_value(json_object_get(st, "code")) == 400);
  json_decref(st);
  json_decref(res);
  st = wh_internal_error("failed calling webhook \"h\": boom");
  CHECK_STR(json_string_value(json_object_get(st, "message")), "Internal error occurred: failed calling webhook \"h\": boom");
  CHECK_STR(json_string_value(json_object_get(st, "reason")), "InternalError");
  CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(st, "details"), "causes"), 0),
                                              "message")), "failed calling webhook \"h\": boom");
  CHECK(json_integer_value(json_object_get(st, "code")) == 500);
  json_decref(st);
}

static void test_parse_url(void) {
  char scheme[16], host[256], path[512];
  int port;
  CHECK(wh_parse_url("https://example.com/validate?x=1", scheme, sizeof scheme, host, sizeof host, &port, path,
                     sizeof path) == 0);
  CHECK_STR(scheme, "https");
  CHECK_STR(host, "example.com");
  CHECK(port == 443);
  CHECK_STR(path, "/validate?x=1");
  CHECK(wh_parse_url("http://[::1]:8080", scheme, sizeof scheme, host, sizeof host, &port, path, sizeof path) == 0);
  CHECK_STR(host, "::1");
  CHECK(port == 8080);
  CHECK_STR(path, "/");
  CHECK(wh_parse_url("ftp://x/", scheme, sizeof scheme, host, sizeof host, &port, path, sizeof path) == -1);
  CHECK(wh_parse_url("https://x:99999/", scheme, sizeof scheme, host, sizeof host, &port, path, sizeof path) == -1);
}

/* ---- the client against a canned server ---- */

typedef struct {
  int fd;
  const char *reply;
  int delay_ms;
  char request[4096];
} canned;

static void *serve_once(void *arg) {
  canned *c = arg;
  int s = accept(c->fd, NULL, NULL);
  if (s < 0) return NULL;
  size_t n = 0;
  for (;;) { /* headers, then Content-Length bytes */
    ssize_t r = recv(s, c->request + n, sizeof c->request - 1 - n, 0);
    if (r <= 0) break;
    n += (size_t)r;
    c->request[n] = 0;
    char *end = strstr(c->request, "\r\n\r\n");
    char *cl = strstr(c->request, "Content-Length: ");
    if (end && cl && n >= (size_t)(end + 4 - c->request) + (size_t)atol(cl + 16)) break;
  }
  if (c->delay_ms) usleep((useconds_t)c->delay_ms * 1000);
  ssize_t w = send(s, c->reply, strlen(c->reply), MSG_NOSIGNAL);
  (void)w;
  close(s);
  return NULL;
}

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

static int call(canned *c, int port, int timeout, char **resp, char *err) {
  pthread_t t;
  pthread_create(&t, NULL, serve_once, c);
  char url[128];
  snprintf(url, sizeof url, "{\"url\":\"http://127.0.0.1:%d/hook\"}", port);
  json_t *cc = J(url);
  size_t len;
  int rc = wh_call(NULL, cc, "{}", 2, timeout, resp, &len, err, 512);
  json_decref(cc);
  shutdown(c->fd, SHUT_RDWR);
  pthread_join(t, NULL);
  return rc;
}

static void test_call(void) {
  int port;
  char err[512], *resp = NULL;
  canned c = {listener(&port), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
              0, ""};
  CHECK(call(&c, port, 5, &resp, err) == 0);
  CHECK_STR(resp, "{\"ok\":true}");
  CHECK(!strncmp(c.request, "POST /hook?timeout=5s HTTP/1.1\r\n", 32));
  CHECK(strstr(c.request, "Content-Type: application/json\r\n") && strstr(c.request, "\r\n\r\n{}"));
  free(resp);
  close(c.fd);

  canned ch = {listener(&port), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
               0, ""};
  CHECK(call(&ch, port, 5, &resp, err) == 0);
  CHECK_STR(resp, "{\"a\":1}");
  free(resp);
  close(ch.fd);

  canned st = {listener(&port), "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops", 0, ""};
  CHECK(call(&st, port, 5, &resp, err) == -1);
  char want[256];
  snprintf(want, sizeof want, "Post \"http://127.0.0.1:%d/hook?timeout=5s\": an error on the server (\"oops\") has "
           "prevented the request from succeeding", port);
  CHECK_STR(err, want);
  close(st.fd);

  canned slow = {listener(&port), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 2500, ""};
  CHECK(call(&slow, port, 1, &resp, err) == -1);
  snprintf(want, sizeof want, "Post \"http://127.0.0.1:%d/hook?timeout=1s\": context deadline exceeded", port);
  CHECK_STR(err, want);
  close(slow.fd);

  int fd = listener(&port);
  close(fd); /* nobody listens there now */
  char url[128];
  snprintf(url, sizeof url, "{\"url\":\"https://127.0.0.1:%d/v\"}", port);
  json_t *cc = J(url);
  size_t len;
  CHECK(wh_call(NULL, cc, "{}", 2, 10, &resp, &len, err, sizeof err) == -1);
  snprintf(want, sizeof want, "Post \"https://127.0.0.1:%d/v?timeout=10s\": dial tcp 127.0.0.1:%d: connect: connection refused",
           port, port);
  CHECK_STR(err, want);
  json_decref(cc);
  cc = J("{}");
  CHECK(wh_call(NULL, cc, "{}", 2, 10, &resp, &len, err, sizeof err) == -1);
  CHECK_STR(err, "webhook configuration must have either service or URL");
  json_decref(cc);
}

static void setup(void) {
  char err[256];
  if (registry_load(err, sizeof err) != 0) fprintf(stderr, "registry: %s\n", err);
}

TEST_MAIN(TEST(setup), TEST(test_rules), TEST(test_selectors), TEST(test_should_call), TEST(test_equivalent),
          TEST(test_review_request), TEST(test_review_response), TEST(test_statuses), TEST(test_parse_url),
          TEST(test_call))
