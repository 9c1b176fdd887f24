/* test_simulate_config.c - kubelet's container configuration checks in the
 * simulated kubelet: subPathExpr expansion (missing values, absolute paths,
 * ".."), ConfigMap/Secret references (missing objects and keys, optional
 * ones), downward API fields and $(VAR) expansion, with kubelet 1.20's
 * messages. */
#include "simulate_config.h"
#include "test.h"
#include <stdlib.h>

/* One ConfigMap "cfg" {a: x} and one Secret "sec" {k: base64("v")}. */
static json_t *get(void *ctx, const char *plural, const char *ns, const char *name) {
  (void)ctx;
  (void)ns;
  if (!strcmp(plural, "configmaps") && !strcmp(name, "cfg")) return json_pack("{s:{s:s}}", "data", "a", "x");
  if (!strcmp(plural, "secrets") && !strcmp(name, "sec")) return json_pack("{s:{s:s}}", "data", "k", "dg==");
  return NULL;
}

static const char *check(const char *container_json) {
  static char why[512];
  char name[64];
  json_error_t e;
  json_t *ctr = json_loads(container_json, 0, &e);
  if (!ctr) {
    fprintf(stderr, "bad fixture: %s\n", e.text);
    return "(fixture)";
  }
  json_t *pod = json_pack("{s:{s:s,s:s,s:{s:s}},s:{s:s,s:[o]}}", "metadata", "name", "p1", "namespace", "ns",
                          "annotations", "note", "n1", "spec", "nodeName", "sim-0", "containers", ctr);
  int rc = sim_config_check(pod, "127.1.0.1", "127.2.0.9", get, NULL, name, sizeof name, why, sizeof why);
  json_decref(pod);
  return rc ? why : "";
}

static void test_subpath(void) {
  CHECK_STR(check("{\"name\":\"c\",\"env\":[{\"name\":\"P\",\"value\":\"..\"}],"
                  "\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"/l\",\"subPathExpr\":\"$(P)\"}]}"),
            "unable to provision SubPath `..`: must not contain '..'");
  CHECK_STR(check("{\"name\":\"c\",\"env\":[{\"name\":\"P\",\"value\":\"/tmp\"}],"
                  "\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"/l\",\"subPathExpr\":\"$(P)\"}]}"),
            "error SubPath `/tmp` must not be an absolute path");
  CHECK_STR(check("{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
                  "\"metadata.annotations['missing']\"}}}],"
                  "\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"/l\",\"subPathExpr\":\"$(A)/$(B)\"}]}"),
            "missing value for A, B");
  CHECK_STR(check("{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
                  "\"metadata.annotations['note']\"}}},{\"name\":\"N\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
                  "\"metadata.name\"}}},{\"name\":\"C\",\"value\":\"$(A)-$(N)-$$(A)\"}],"
                  "\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"/l\",\"subPathExpr\":\"$(C)/x..y\"}]}"),
            "");
}

static void test_references(void) {
  CHECK_STR(check("{\"name\":\"c\",\"envFrom\":[{\"configMapRef\":{\"name\":\"nope\"}}]}"),
            "configmap \"nope\" not found");
  CHECK_STR(check("{\"name\":\"c\",\"envFrom\":[{\"secretRef\":{\"name\":\"nope\",\"optional\":true}}]}"), "");
  CHECK_STR(check("{\"name\":\"c\",\"env\":[{\"name\":\"X\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"nope\","
                  "\"key\":\"k\"}}}]}"),
            "secret \"nope\" not found");
  CHECK_STR(check("{\"name\":\"c\",\"env\":[{\"name\":\"X\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"cfg\","
                  "\"key\":\"zz\"}}}]}"),
            "couldn't find key zz in ConfigMap ns/cfg");
  CHECK_STR(check("{\"name\":\"c\",\"env\":[{\"name\":\"X\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"sec\","
                  "\"key\":\"zz\",\"optional\":true}}}]}"),
            "");
  /* values from both reach subPathExpr: a=x, k=v */
  CHECK_STR(check("{\"name\":\"c\",\"envFrom\":[{\"configMapRef\":{\"name\":\"cfg\"},\"prefix\":\"P_\"}],"
                  "\"env\":[{\"name\":\"S\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"sec\",\"key\":\"k\"}}}],"
                  "\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"/l\",\"subPathExpr\":\"/$(P_a)$(S)\"}]}"),
            "error SubPath `/xv` must not be an absolute path");
}

TEST_MAIN(TEST(test_subpath), TEST(test_references))
