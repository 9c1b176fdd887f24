/* test_strategic_merge.c - strategic merge patch against Kubernetes' own
 * definitions (swagger.json from the build cache): containers merge by name,
 * ports by containerPort, env deletions, $setElementOrder, $retainKeys,
 * $patch: replace, and lists without a merge strategy replaced. */
#include "test.h"
#include "strategic_merge.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static json_t *defs;

static json_t *J(const char *s) {
  json_error_t e;
  json_t *v = json_loads(s, 0, &e);
  if (!v) fprintf(stderr, "bad test json: %s: %s\n", e.text, s);
  return v;
}

static void check(const char *type, const char *orig, const char *patch, const char *want) {
  char err[256] = "";
  json_t *o = J(orig), *p = J(patch), *w = J(want);
  json_t *got = strategic_merge_patch(o, p, defs, type, err, sizeof err);
  bool ok = got && json_equal(got, w);
  CHECK(ok);
  if (!ok) {
    char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
    fprintf(stderr, "  got %s (%s)\n", g ? g : "NULL", err);
    free(g);
  }
  json_decref(o), json_decref(p), json_decref(w), json_decref(got);
}

#define DEP "io.k8s.api.apps.v1.Deployment"

static void test_containers_by_name(void) {
  check(DEP,
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"a:1\"},{\"name\":\"b\",\"image\":\"b:1\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"b:2\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"a:1\"},{\"name\":\"b\",\"image\":\"b:2\"}]}}}}");
  check(DEP,
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80},{\"containerPort\":81}]}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":81,\"name\":\"x\"},{\"containerPort\":82}]}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80},{\"containerPort\":81,\"name\":\"x\"},{\"containerPort\":82}]}]}}}}");
  check(DEP,
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"2\"}]}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"$patch\":\"delete\"}]}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Y\",\"value\":\"2\"}]}]}}}}");
}

static void test_directives(void) {
  check(DEP, "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}", "{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"}}}",
        "{\"metadata\":{\"labels\":{\"b\":\"2\",\"c\":\"3\"}}}");
  check(DEP,
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],\"containers\":[{\"name\":\"b\",\"image\":\"x\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"x\"},{\"name\":\"a\"}]}}}}");
  check(DEP,
        "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
        "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
        "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
  check(DEP,
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"$patch\":\"replace\"}]}}}}",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}}}");
  check("io.k8s.api.core.v1.Pod", "{\"metadata\":{\"finalizers\":[\"a\"]}}",
        "{\"metadata\":{\"finalizers\":[\"b\"]}}", "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}");
  check("io.k8s.api.core.v1.Pod", "{\"spec\":{\"tolerations\":[{\"key\":\"a\"}]}}",
        "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}]}}", "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}]}}");
  check("io.k8s.api.core.v1.Service", "{\"spec\":{\"ports\":[{\"port\":80,\"name\":\"a\"}]}}",
        "{\"spec\":{\"ports\":[{\"port\":443,\"name\":\"b\"}]}}",
        "{\"spec\":{\"ports\":[{\"port\":80,\"name\":\"a\"},{\"port\":443,\"name\":\"b\"}]}}");
  check(NULL, "{\"a\":[1,2],\"b\":{\"c\":1}}", "{\"a\":[3],\"b\":{\"d\":2}}", "{\"a\":[3],\"b\":{\"c\":1,\"d\":2}}");
  char err[256];
  json_t *o = J("{}"), *p = J("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}}}");
  json_t *r = strategic_merge_patch(o, p, defs, DEP, err, sizeof err);
  CHECK(r == NULL);
  json_decref(r), json_decref(o), json_decref(p);
}

int main(void) {
  const char *cache = getenv("CKUBE_CACHE");
  char path[512];
  if (cache) snprintf(path, sizeof path, "%s/k8s-api/swagger.json", cache);
  else snprintf(path, sizeof path, "%s/.cache/ckube/k8s-api/swagger.json", getenv("HOME"));
  json_t *sw = json_load_file(path, 0, NULL);
  if (!sw) {
    fprintf(stderr, "cannot read %s (run scripts/deps.sh)\n", path);
    return 1;
  }
  defs = json_object_get(sw, "definitions");
  struct test_case cases[] = {TEST(test_containers_by_name), TEST(test_directives)};
  int passed = 0, failed = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int before = test_failures;
    cases[i].fn();
    if (test_failures == before) passed++;
    else failed++, fprintf(stderr, "FAIL %s\n", cases[i].name);
  }
  printf("%d passed, %d failed\n", passed, failed);
  json_decref(sw);
  return failed ? 1 : 0;
}
