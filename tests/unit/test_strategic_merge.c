/* test_strategic_merge.c - unit tests for the strategic merge patch
 * (lib/strategic_merge.c, strategic_diff.c, strategic_order.c) against the
 * real Kubernetes swagger definitions from
 * $CKUBE_CACHE/k8s-api/swagger.json (default ~/.cache/ckube/...): the cases
 * kubectl depends on (containers by name, ports, env deletes, volumes with
 * retainKeys, tolerations replaced, Service ports, finalizers, labels,
 * $setElementOrder), malformed patches, and diff/three-way round trips. */
#include <stdlib.h>

#include "strategic_merge.h"
#include "test.h"

static json_t *defs; /* swagger "definitions", loaded once by main's first test */

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
    if (!v)
        fprintf(stderr, "bad test JSON %s: %s\n", s, e.text);
    return v;
}

static int same(json_t *v, const char *want)
{
    json_t *w = J(want);
    int ok = v && w && json_equal(v, w);
    if (!ok) {
        char *got = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        fprintf(stderr, "  got  %s\n  want %s\n", got ? got : "(null)", want);
        free(got);
    }
    json_decref(v);
    json_decref(w);
    return ok;
}

#define DEPLOY "io.k8s.api.apps.v1.Deployment"
#define POD "io.k8s.api.core.v1.Pod"
#define SVC "io.k8s.api.core.v1.Service"

/* Applies patch to orig and compares with want, or expects an error whose
 * text starts with want_err when want is NULL. */
static int smp(const char *type, const char *orig, const char *patch, const char *want,
               const char *want_err)
{
    json_t *o = J(orig), *p = J(patch);
    char err[1024] = "";
    json_t *r = strategic_merge_patch(o, p, defs, type, err, sizeof err);
    int ok;
    if (want) {
        if (!r)
            fprintf(stderr, "  unexpected error: %s\n", err);
        ok = same(r, want);
    } else {
        ok = !r && (!want_err || strncmp(err, want_err, strlen(want_err)) == 0);
        if (!ok)
            fprintf(stderr, "  err \"%s\" want \"%s\"\n", err, want_err ? want_err : "(any)");
        json_decref(r);
    }
    json_t *o2 = J(orig), *p2 = J(patch);
    ok = ok && json_equal(o, o2) && json_equal(p, p2); /* inputs untouched */
    json_decref(o);
    json_decref(p);
    json_decref(o2);
    json_decref(p2);
    return ok;
}

static int have_defs(void)
{
    if (!defs)
        fprintf(stderr, "  (swagger.json not available: schema test skipped)\n");
    return defs != NULL;
}

#define POD_SPEC(x) "{\"spec\":{\"template\":{\"spec\":" x "}}}"

static void test_containers_by_name(void)
{
    if (!have_defs())
        return;
    CHECK(smp(DEPLOY,
              POD_SPEC("{\"containers\":[{\"name\":\"a\",\"image\":\"a:1\"},{\"name\":\"b\",\"image\":\"b:1\"}]}"),
              POD_SPEC("{\"containers\":[{\"name\":\"b\",\"image\":\"b:2\"}]}"),
              POD_SPEC("{\"containers\":[{\"name\":\"a\",\"image\":\"a:1\"},{\"name\":\"b\",\"image\":\"b:2\"}]}"), NULL));
    /* a new container is appended after the existing ones */
    CHECK(smp(DEPLOY, POD_SPEC("{\"containers\":[{\"name\":\"a\",\"image\":\"a:1\"}]}"),
              POD_SPEC("{\"containers\":[{\"name\":\"c\",\"image\":\"c:1\"}]}"),
              POD_SPEC("{\"containers\":[{\"name\":\"c\",\"image\":\"c:1\"},{\"name\":\"a\",\"image\":\"a:1\"}]}"), NULL));
    /* without a schema the list is replaced */
    CHECK(smp(NULL, "{\"c\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "{\"c\":[{\"name\":\"b\",\"x\":1}]}",
              "{\"c\":[{\"name\":\"b\",\"x\":1}]}", NULL));
    /* a merging list item without its merge key is rejected */
    CHECK(smp(DEPLOY, POD_SPEC("{\"containers\":[{\"name\":\"a\"}]}"),
              POD_SPEC("{\"containers\":[{\"image\":\"x\"}]}"), NULL,
              "map: map[image:x] does not contain declared merge key: name"));
}

static void test_ports_env_volumes(void)
{
    if (!have_defs())
        return;
    CHECK(smp(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}]}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"},{\"containerPort\":443}]}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"name\":\"http\",\"protocol\":\"TCP\"},{\"containerPort\":443}]}]}}",
              NULL));
    CHECK(smp(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"2\"}]}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"$patch\":\"delete\"},{\"name\":\"Z\",\"value\":\"3\"}]}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Z\",\"value\":\"3\"},{\"name\":\"Y\",\"value\":\"2\"}]}]}}",
              NULL));
    /* $patch: replace in an element replaces the whole list */
    CHECK(smp(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\"},{\"name\":\"Y\"}]}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"$patch\":\"replace\"},{\"name\":\"Q\",\"value\":\"1\"}]}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Q\",\"value\":\"1\"}]}]}}", NULL));
    /* volumes: merge by name, $retainKeys clears the old volume source */
    CHECK(smp(POD, "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}},{\"name\":\"w\",\"emptyDir\":{}}]}}",
              "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"$retainKeys\":[\"configMap\",\"name\"],\"configMap\":{\"name\":\"cm\"}}]}}",
              "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"cm\"}},{\"name\":\"w\",\"emptyDir\":{}}]}}", NULL));
    CHECK(smp(POD, "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}",
              "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"$retainKeys\":[\"name\"],\"configMap\":{\"name\":\"cm\"}}]}}",
              NULL, "invalid patch format of retainKeys"));
}

static void test_tolerations_replaced(void)
{
    if (!have_defs())
        return;
    CHECK(smp(POD, "{\"spec\":{\"tolerations\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}}",
              "{\"spec\":{\"tolerations\":[{\"key\":\"b\",\"operator\":\"Exists\"}]}}",
              "{\"spec\":{\"tolerations\":[{\"key\":\"b\",\"operator\":\"Exists\"}]}}", NULL));
}

static void test_service_ports_and_finalizers(void)
{
    if (!have_defs())
        return;
    CHECK(smp(SVC, "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080},{\"port\":443}]}}",
              "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090}]}}",
              "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090},{\"port\":443}]}}", NULL));
    /* finalizers: merge strategy on primitives = union, deletions by
     * parallel list */
    CHECK(smp(POD, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}", "{\"metadata\":{\"finalizers\":[\"c\",\"a\"]}}",
              "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"]}}", NULL));
    CHECK(smp(POD, "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
              "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}",
              "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}", NULL));
    CHECK(smp(POD, "{\"metadata\":{}}", "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}",
              "{\"metadata\":{}}", NULL));
}

static void test_labels_and_maps(void)
{
    if (!have_defs())
        return;
    CHECK(smp(POD, "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
              "{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\",\"zz\":null}}}",
              "{\"metadata\":{\"name\":\"p\",\"labels\":{\"b\":\"2\",\"c\":\"3\"}}}", NULL));
    /* $patch: replace / delete on maps */
    CHECK(smp(POD, "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}",
              "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"b\":\"2\"}}}",
              "{\"metadata\":{\"labels\":{\"b\":\"2\"}}}", NULL));
    CHECK(smp(POD, "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}", "{\"metadata\":{\"labels\":{\"$patch\":\"delete\"}}}",
              "{\"metadata\":{\"labels\":{}}}", NULL));
    CHECK(smp(POD, "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}", "{\"metadata\":{\"labels\":{\"$patch\":\"merge\"}}}",
              NULL, "unknown patch type: merge in map: map[$patch:merge]"));
    CHECK(smp(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"merge\"}]}}",
              NULL, "merging lists cannot yet be specified in the patch"));
    /* directives never leak into new subtrees */
    CHECK(smp(POD, "{}", "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}],\"$retainKeys\":[\"containers\"]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", NULL));
    CHECK(smp(NULL, "[1]", "{}", NULL, "invalid JSON document"));
}

static void test_retain_keys_strategy(void)
{
    if (!have_defs())
        return;
    CHECK(smp(DEPLOY,
              "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
              "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
              "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}", NULL));
}

static void test_set_element_order(void)
{
    if (!have_defs())
        return;
    /* kubectl apply reordering containers and changing one */
    CHECK(smp(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\",\"image\":\"1\"},{\"name\":\"s\"}]}}",
              "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],"
              "\"containers\":[{\"name\":\"a\",\"image\":\"2\"}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"1\"},{\"name\":\"a\",\"image\":\"2\"},{\"name\":\"s\"}]}}",
              NULL));
    CHECK(smp(POD, "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
              "{\"metadata\":{\"$setElementOrder/finalizers\":[\"c\",\"a\"],\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}",
              "{\"metadata\":{\"finalizers\":[\"c\",\"a\"]}}", NULL));
    CHECK(smp(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
              "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"containers\":[{\"name\":\"b\"}]}}",
              NULL, "The order in patch list:"));
}

/* two-way diff then apply must reproduce modified */
static int roundtrip(const char *type, const char *a, const char *b, const char *want_patch)
{
    json_t *ja = J(a), *jb = J(b);
    json_t *d = strategic_merge_diff(ja, jb, defs, type);
    int ok = d != NULL;
    if (ok && want_patch)
        ok = same(json_incref(d), want_patch);
    char err[512] = "";
    json_t *r = d ? strategic_merge_patch(ja, d, defs, type, err, sizeof err) : NULL;
    if (!r || !json_equal(r, jb)) {
        char *s1 = r ? json_dumps(r, JSON_COMPACT) : NULL, *s2 = d ? json_dumps(d, JSON_COMPACT) : NULL;
        fprintf(stderr, "  roundtrip: patch %s gave %s (%s)\n", s2 ? s2 : "-", s1 ? s1 : "-", err);
        free(s1);
        free(s2);
        ok = 0;
    }
    json_decref(r);
    json_decref(d);
    json_decref(ja);
    json_decref(jb);
    return ok;
}

static void test_two_way_diff(void)
{
    if (!have_defs())
        return;
    CHECK(roundtrip(POD, "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}", "{\"metadata\":{\"labels\":{\"b\":\"1\"}}}",
                    "{\"metadata\":{\"labels\":{\"a\":null,\"b\":\"1\"}}}"));
    CHECK(roundtrip(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\"}]}}",
                    "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"2\"}]}}",
                    "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"}],"
                    "\"containers\":[{\"name\":\"a\",\"image\":\"2\"},{\"name\":\"b\",\"$patch\":\"delete\"}]}}"));
    CHECK(roundtrip(POD, "{\"metadata\":{\"finalizers\":[\"x\",\"y\"]}}", "{\"metadata\":{\"finalizers\":[\"y\",\"z\"]}}",
                    "{\"metadata\":{\"$setElementOrder/finalizers\":[\"y\",\"z\"],\"finalizers\":[\"z\"],"
                    "\"$deleteFromPrimitiveList/finalizers\":[\"x\"]}}"));
    CHECK(roundtrip(POD, "{\"spec\":{\"tolerations\":[{\"key\":\"a\"}]}}", "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}]}}",
                    "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}]}}"));
    CHECK(roundtrip(POD, "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}",
                    "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\"}}]}}",
                    "{\"spec\":{\"$setElementOrder/volumes\":[{\"name\":\"v\"}],\"volumes\":[{\"$retainKeys\":[\"configMap\",\"name\"],"
                    "\"name\":\"v\",\"configMap\":{\"name\":\"c\"},\"emptyDir\":null}]}}"));
    CHECK(roundtrip(DEPLOY, "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
                    "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
                    "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\",\"rollingUpdate\":null}}}"));
    CHECK(roundtrip(POD, "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\"}],"
                    "\"ports\":[{\"containerPort\":80},{\"containerPort\":81}]}]}}",
                    "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Y\"},{\"name\":\"Z\"}],"
                    "\"ports\":[{\"containerPort\":81},{\"containerPort\":80,\"name\":\"h\"}]}]}}", NULL));
    CHECK(roundtrip(POD, "{\"a\":1}", "{\"a\":1}", "{}"));
}

static void test_three_way(void)
{
    if (!have_defs())
        return;
    /* kubectl apply: last-applied had containers a,b and label x; the new
     * config drops b and x, changes a's image; the live object also has a
     * server-added container s, label y and a defaulted field. */
    json_t *last = J(POD_SPEC("{\"containers\":[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\",\"image\":\"1\"}]}"));
    json_t *mod = J(POD_SPEC("{\"containers\":[{\"name\":\"a\",\"image\":\"2\"}]}"));
    json_t *live = J(POD_SPEC("{\"containers\":[{\"name\":\"a\",\"image\":\"1\",\"imagePullPolicy\":\"IfNotPresent\"},"
                              "{\"name\":\"b\",\"image\":\"1\"},{\"name\":\"s\",\"image\":\"x\"}],\"dnsPolicy\":\"ClusterFirst\"}"));
    char err[512] = "";
    json_t *p = three_way_merge_patch(last, mod, live, defs, DEPLOY, err, sizeof err);
    CHECK(p != NULL);
    CHECK(same(json_incref(p), POD_SPEC("{\"$setElementOrder/containers\":[{\"name\":\"a\"}],"
                                        "\"containers\":[{\"name\":\"a\",\"image\":\"2\"},{\"name\":\"b\",\"$patch\":\"delete\"}]}")));
    json_t *r = p ? strategic_merge_patch(live, p, defs, DEPLOY, err, sizeof err) : NULL;
    CHECK(same(r, POD_SPEC("{\"containers\":[{\"name\":\"a\",\"image\":\"2\",\"imagePullPolicy\":\"IfNotPresent\"},"
                           "{\"name\":\"s\",\"image\":\"x\"}],\"dnsPolicy\":\"ClusterFirst\"}")));
    json_decref(p);
    json_decref(last);
    json_decref(mod);
    json_decref(live);

    /* labels: removed from config -> null; server-set label kept */
    last = J("{\"metadata\":{\"labels\":{\"app\":\"x\",\"old\":\"1\"}}}");
    mod = J("{\"metadata\":{\"labels\":{\"app\":\"y\"}}}");
    live = J("{\"metadata\":{\"labels\":{\"app\":\"x\",\"old\":\"1\",\"srv\":\"1\"}}}");
    p = three_way_merge_patch(last, mod, live, defs, POD, err, sizeof err);
    CHECK(same(json_incref(p), "{\"metadata\":{\"labels\":{\"app\":\"y\",\"old\":null}}}"));
    r = p ? strategic_merge_patch(live, p, defs, POD, err, sizeof err) : NULL;
    CHECK(same(r, "{\"metadata\":{\"labels\":{\"app\":\"y\",\"srv\":\"1\"}}}"));
    json_decref(p);
    /* no last-applied: nothing is deleted */
    p = three_way_merge_patch(NULL, mod, live, defs, POD, err, sizeof err);
    CHECK(same(p, "{\"metadata\":{\"labels\":{\"app\":\"y\"}}}"));
    json_decref(last);
    json_decref(mod);
    json_decref(live);
}

static void load_defs(void)
{
    const char *cache = getenv("CKUBE_CACHE");
    const char *home = getenv("HOME");
    char path[1024];
    if (cache && *cache)
        snprintf(path, sizeof path, "%s/k8s-api/swagger.json", cache);
    else
        snprintf(path, sizeof path, "%s/.cache/ckube/k8s-api/swagger.json", home ? home : ".");
    json_t *sw = json_load_file(path, 0, NULL);
    defs = json_incref(json_object_get(sw, "definitions"));
    json_decref(sw);
    if (!defs)
        fprintf(stderr, "cannot load %s: schema tests skipped\n", path);
}

static void test_go_formatting_in_errors(void)
{
    if (!have_defs())
        return;
    CHECK(smp(SVC, "{\"spec\":{\"ports\":[{\"port\":80}]}}", "{\"spec\":{\"ports\":[{\"name\":\"x\",\"nodePort\":1000000}]}}",
              NULL, "map: map[name:x nodePort:1e+06] does not contain declared merge key: port"));
    CHECK(smp(SVC, "{\"spec\":{\"ports\":[{\"port\":80}]}}", "{\"spec\":{\"ports\":[1]}}",
              NULL, "list element types are not identical: [[map[port:80]] [1]]"));
}

static void unload_defs(void)
{
    json_decref(defs);
    defs = NULL;
}

TEST_MAIN(TEST(load_defs), TEST(test_containers_by_name), TEST(test_ports_env_volumes),
          TEST(test_tolerations_replaced), TEST(test_service_ports_and_finalizers),
          TEST(test_labels_and_maps), TEST(test_retain_keys_strategy), TEST(test_set_element_order),
          TEST(test_two_way_diff), TEST(test_three_way), TEST(test_go_formatting_in_errors),
          TEST(unload_defs))
