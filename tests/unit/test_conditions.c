/* test_conditions.c - lib/conditions.c: the first condition of a type is
 * found, "True" is the only true status, cond_set keeps lastTransitionTime
 * while the status holds and leaves an unchanged condition alone,
 * cond_remove drops every condition of the type and an emptied list. */
#include "test.h"
#include "conditions.h"

static void test_get_and_true(void) {
  json_t *st = json_loads("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\"},"
                          "{\"status\":\"True\"},{\"type\":\"Available\",\"status\":\"True\"}]}",
                          0, NULL);
  CHECK(cond_get(st, "Ready") == json_array_get(json_object_get(st, "conditions"), 0));
  CHECK(!cond_true(st, "Ready"));
  CHECK(cond_true(st, "Available"));
  CHECK(!cond_get(st, "Missing") && !cond_true(st, "Missing"));
  CHECK(!cond_get(NULL, "Ready") && !cond_true(NULL, "Ready"));
  json_decref(st);
}

static void test_set_and_remove(void) {
  json_t *st = json_object();
  cond_set(st, "Progressing", "True", "NewReplicaSetCreated", "created", true);
  json_t *c = cond_get(st, "Progressing");
  CHECK(c && cond_true(st, "Progressing") && json_object_get(c, "lastUpdateTime"));
  json_object_set_new(c, "lastTransitionTime", json_string("2021-01-01T00:00:00Z"));
  cond_set(st, "Progressing", "True", "NewReplicaSetCreated", "other message", true);
  CHECK(cond_get(st, "Progressing") == c); /* same status and reason: untouched */
  cond_set(st, "Progressing", "True", "ReplicaSetUpdated", "updated", false);
  c = cond_get(st, "Progressing");
  CHECK_STR(json_string_value(json_object_get(c, "lastTransitionTime")), "2021-01-01T00:00:00Z");
  CHECK(!json_object_get(c, "lastUpdateTime"));
  cond_set(st, "Progressing", "False", "ProgressDeadlineExceeded", "late", false);
  c = cond_get(st, "Progressing");
  CHECK(strcmp(json_string_value(json_object_get(c, "lastTransitionTime")), "2021-01-01T00:00:00Z") != 0);
  cond_set(st, "Available", "True", "MinimumReplicasAvailable", "ok", false);
  CHECK(json_array_size(json_object_get(st, "conditions")) == 2);
  cond_remove(st, "Progressing");
  CHECK(!cond_get(st, "Progressing") && cond_get(st, "Available"));
  cond_remove(st, "Available");
  CHECK(!json_object_get(st, "conditions"));
  json_decref(st);
}

TEST_MAIN(TEST(test_get_and_true), TEST(test_set_and_remove))
