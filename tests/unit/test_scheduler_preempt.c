/* test_scheduler_preempt.c - DefaultPreemption's pure parts
 * (scheduler_preempt.c): the minimal victim set on a node (reprieve most
 * important first, PDB-protected pods before the others), PDB accounting,
 * and the order in which candidate nodes win. */
#include "test.h"
#include "scheduler.h"
#include <stdint.h>
#include <stdlib.h>

static json_t *load(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j) fprintf(stderr, "bad test JSON: %s\n", e.text);
  return j;
}

/* A node with 1000 example.com/fakecpu and nothing else counted. */
static sched_node *fake_node(void) {
  sched_node *n = calloc(1, sizeof *n);
  json_t *obj = load("{\"metadata\":{\"name\":\"n1\"},\"spec\":{},\"status\":{\"allocatable\":"
                     "{\"cpu\":\"8\",\"memory\":\"32Gi\",\"pods\":\"110\",\"example.com/fakecpu\":\"1000\"}}}");
  n->name = strdup("n1");
  sched_node_set(n, obj);
  json_decref(obj);
  return n;
}

static json_t *fake_pod(int amount) {
  char text[256];
  snprintf(text, sizeof text,
           "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"example.com/fakecpu\":\"%d\"}}}]}}",
           amount);
  return load(text);
}

typedef struct {
  json_t *obj;
  sched_pod info;
} fixture_pod;

static void fixture(fixture_pod *f, int amount) {
  f->obj = fake_pod(amount);
  sched_pod_parse(f->obj, &f->info);
}

/* The ReplicaSets of PreemptionExecutionPath: 200 (p1), 300 (p2), 450 (p3) of
 * 1000; a 500 preemptor of priority 4 keeps p3 and evicts p2 and p1. */
static void test_minimal_victims(void) {
  fixture_pod f[4];
  int amounts[] = {200, 300, 450, 500};
  for (int i = 0; i < 4; i++) fixture(&f[i], amounts[i]);
  sched_node *n = fake_node();
  sched_victim pods[3] = {{"ns/p1", &f[0].info, 1, 100, NULL, false},
                          {"ns/p2", &f[1].info, 2, 100, NULL, false},
                          {"ns/p3", &f[2].info, 3, 100, NULL, false}};
  for (int i = 0; i < 3; i++) sched_node_add_pod(n, &f[i].info);
  sched_reasons why;
  CHECK(!sched_filter(&f[3].info, n, &why) && why.resolvable);
  sched_node *scratch = sched_node_clone(n);
  sched_candidate c;
  CHECK(sched_select_victims(&f[3].info, 4, scratch, pods, 3, NULL, &c));
  CHECK(c.nvictims == 2 && c.pdb_violations == 0);
  if (c.nvictims == 2) {
    CHECK_STR(c.victims[0].key, "ns/p2"); /* more important first */
    CHECK_STR(c.victims[1].key, "ns/p1");
  }
  sched_candidate_clear(&c);
  sched_node_free(scratch);

  /* priority 2 may only evict p1, and that is not enough */
  scratch = sched_node_clone(n);
  CHECK(!sched_select_victims(&f[3].info, 2, scratch, pods, 3, NULL, &c));
  CHECK(c.nvictims == 0 && !c.victims);
  sched_node_free(scratch);

  /* nothing of lower priority at all */
  scratch = sched_node_clone(n);
  CHECK(!sched_select_victims(&f[3].info, 1, scratch, pods, 3, NULL, &c));
  sched_node_free(scratch);

  /* equal priority: the one that started later goes, the earlier one is reprieved first */
  sched_victim twins[2] = {{"ns/late", &f[1].info, 1, 200, NULL, false}, {"ns/early", &f[1].info, 1, 100, NULL, false}};
  sched_node *m = fake_node();
  sched_node_add_pod(m, &f[1].info);
  sched_node_add_pod(m, &f[1].info);
  sched_node_add_pod(m, &f[2].info); /* 1050 > 1000 is impossible in life, fine for the arithmetic */
  CHECK(sched_select_victims(&f[0].info, 5, m, twins, 2, NULL, &c));
  CHECK(c.nvictims == 1 && !strcmp(c.victims[0].key, "ns/late"));
  sched_candidate_clear(&c);
  sched_node_free(m);

  sched_node_free(n);
  for (int i = 0; i < 4; i++) json_decref(f[i].obj);
}

/* A PDB-protected pod is reprieved before any other, and counted when it
 * has to go anyway. */
static void test_pdb_victims(void) {
  fixture_pod small, big, huge;
  fixture(&small, 400);
  fixture(&big, 500);
  fixture(&huge, 1000);
  json_t *labels_app = load("{\"app\":\"db\"}"), *labels_other = load("{\"app\":\"web\"}");
  json_t *pdbs = load("[{\"metadata\":{\"namespace\":\"ns\",\"name\":\"db\"},\"spec\":{\"selector\":{\"matchLabels\":"
                      "{\"app\":\"db\"}}},\"status\":{\"disruptionsAllowed\":0}}]");
  /* a (400, prio 2, web) would be reprieved first without budgets; b (400, prio 1, db) is protected */
  sched_victim pods[2] = {{"ns/a", &small.info, 2, 100, labels_other, false},
                          {"ns/b", &small.info, 1, 100, labels_app, false}};
  sched_node *n = fake_node();
  sched_node_add_pod(n, &small.info);
  sched_node_add_pod(n, &small.info);
  sched_candidate c;
  CHECK(sched_select_victims(&big.info, 10, n, pods, 2, pdbs, &c));
  CHECK(c.nvictims == 1 && c.pdb_violations == 0);
  if (c.nvictims == 1) CHECK_STR(c.victims[0].key, "ns/a");
  sched_candidate_clear(&c);
  sched_node_free(n);

  n = fake_node();
  sched_node_add_pod(n, &small.info);
  sched_node_add_pod(n, &small.info);
  CHECK(sched_select_victims(&huge.info, 10, n, pods, 2, pdbs, &c));
  CHECK(c.nvictims == 2 && c.pdb_violations == 1);
  if (c.nvictims == 2) CHECK_STR(c.victims[0].key, "ns/b"); /* the violating group first */
  sched_candidate_clear(&c);
  sched_node_free(n);

  json_decref(labels_app);
  json_decref(labels_other);
  json_decref(pdbs);
  json_decref(small.obj);
  json_decref(big.obj);
  json_decref(huge.obj);
}

static void test_pdb_accounting(void) {
  json_t *db = load("{\"app\":\"db\"}");
  json_t *pdbs = load("[{\"metadata\":{\"namespace\":\"ns\",\"name\":\"db\"},\"spec\":{\"selector\":{\"matchLabels\":"
                      "{\"app\":\"db\"}}},\"status\":{\"disruptionsAllowed\":1,\"disruptedPods\":{\"gone\":\"x\"}}},"
                      "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"empty\"},\"spec\":{\"selector\":{}},"
                      "\"status\":{\"disruptionsAllowed\":0}}]");
  sched_victim pods[5] = {{"ns/a", NULL, 0, 0, db, false},
                          {"ns/gone", NULL, 0, 0, db, false}, /* already in disruptedPods: not counted */
                          {"ns/b", NULL, 0, 0, db, false},    /* second disruption: budget exceeded */
                          {"other/c", NULL, 0, 0, db, false}, /* another namespace */
                          {"ns/d", NULL, 0, 0, NULL, false}}; /* no labels */
  sched_mark_pdb_violations(pods, 5, pdbs);
  CHECK(!pods[0].pdb_violating);
  CHECK(!pods[1].pdb_violating);
  CHECK(pods[2].pdb_violating);
  CHECK(!pods[3].pdb_violating);
  CHECK(!pods[4].pdb_violating);
  sched_mark_pdb_violations(pods, 5, NULL);
  CHECK(!pods[2].pdb_violating);
  json_decref(db);
  json_decref(pdbs);
}

static void test_more_important(void) {
  sched_victim hi = {"a", NULL, 10, 500, NULL, false}, lo = {"b", NULL, 1, 100, NULL, false},
               lo_late = {"c", NULL, 1, 200, NULL, false};
  CHECK(sched_victim_more_important(&hi, &lo));
  CHECK(!sched_victim_more_important(&lo, &hi));
  CHECK(sched_victim_more_important(&lo, &lo_late));
  CHECK(!sched_victim_more_important(&lo_late, &lo));
}

/* Candidates built from (priority, start) victim lists. */
static sched_candidate cand(int node, int pdb, int n, const int32_t *prio, const long long *start) {
  sched_candidate c = {node, n, pdb, calloc((size_t)(n ? n : 1), sizeof(sched_victim))};
  for (int i = 0; i < n; i++) c.victims[i] = (sched_victim){"x", NULL, prio[i], start[i], NULL, false};
  return c;
}

static void test_pick_candidate(void) {
  long long t[] = {100, 100, 100};
  /* fewest PDB violations beats everything else */
  int32_t low[] = {1}, high[] = {100};
  sched_candidate c[4] = {cand(0, 1, 1, low, t), cand(1, 0, 1, high, t)};
  CHECK(sched_pick_candidate(c, 2) == 1);
  sched_candidate_clear(&c[0]);
  sched_candidate_clear(&c[1]);

  /* then the lowest priority of the (first) victim: basic preemption picks the low pod's node */
  c[0] = cand(0, 0, 1, high, t);
  c[1] = cand(1, 0, 1, low, t);
  CHECK(sched_pick_candidate(c, 2) == 1);
  sched_candidate_clear(&c[0]);
  sched_candidate_clear(&c[1]);

  /* then the smallest sum of priorities (shifted: negative priorities don't make more victims cheaper) */
  int32_t two[] = {5, 5}, one[] = {5};
  c[0] = cand(0, 0, 2, two, t);
  c[1] = cand(1, 0, 1, one, t);
  CHECK(sched_pick_candidate(c, 2) == 1);
  sched_candidate_clear(&c[0]);
  sched_candidate_clear(&c[1]);
  int32_t neg2[] = {-5, -5}, neg1[] = {-5};
  c[0] = cand(0, 0, 2, neg2, t);
  c[1] = cand(1, 0, 1, neg1, t);
  CHECK(sched_pick_candidate(c, 2) == 1);
  sched_candidate_clear(&c[0]);
  sched_candidate_clear(&c[1]);

  /* then fewest victims (equal shifted sums need extreme priorities) */
  int32_t a[] = {INT32_MAX}, b[] = {INT32_MAX, INT32_MIN};
  c[0] = cand(0, 0, 2, b, t);
  c[1] = cand(1, 0, 1, a, t);
  CHECK(sched_pick_candidate(c, 2) == 1);
  sched_candidate_clear(&c[0]);
  sched_candidate_clear(&c[1]);

  /* then the latest earliest start among the highest-priority victims; a full tie keeps the first */
  long long early[] = {50, 400}, late[] = {300, 10};
  int32_t p[] = {5, 1};
  c[0] = cand(0, 0, 2, p, early);
  c[1] = cand(1, 0, 2, p, late);
  c[2] = cand(2, 0, 2, p, early);
  CHECK(sched_pick_candidate(c, 3) == 1);
  CHECK(sched_pick_candidate(c, 1) == 0);
  c[3] = cand(3, 0, 2, p, late);
  CHECK(sched_pick_candidate(c + 1, 3) == 0); /* 1 and 3 tie: the first stays */
  for (int i = 0; i < 4; i++) sched_candidate_clear(&c[i]);
}

/* The plan over two nodes: the one whose victim has the lower priority. */
static void test_plan(void) {
  fixture_pod f;
  fixture(&f, 600);
  sched_node *n0 = fake_node(), *n1 = fake_node();
  sched_node_add_pod(n0, &f.info);
  sched_node_add_pod(n1, &f.info);
  sched_victim on0[1] = {{"ns/medium", &f.info, 100, 10, NULL, false}};
  sched_victim on1[1] = {{"ns/low", &f.info, 1, 10, NULL, false}};
  sched_node *views[2] = {n0, n1};
  sched_victim *pods[2] = {on0, on1};
  int npods[2] = {1, 1};
  unsigned seed = 7;
  sched_candidate best;
  CHECK(sched_preempt_plan(&f.info, 1000, views, pods, npods, 2, NULL, &seed, &best));
  CHECK(best.node == 1 && best.nvictims == 1 && !strcmp(best.victims[0].key, "ns/low"));
  sched_candidate_clear(&best);
  CHECK(!sched_preempt_plan(&f.info, 1000, views, pods, npods, 0, NULL, &seed, &best));
  sched_node_free(n0);
  sched_node_free(n1);
  json_decref(f.obj);
}

TEST_MAIN(TEST(test_minimal_victims), TEST(test_pdb_victims), TEST(test_pdb_accounting), TEST(test_more_important),
          TEST(test_pick_candidate), TEST(test_plan))
