/* test_simulate_status.c - the simulated kubelet's steps for one pod:
 * start (Running, Ready, IPs, container IDs), exit after the annotated
 * seconds with the annotated code (Succeeded, Failed, restart under
 * OnFailure), NotReady by annotation, adoption of a started pod, delete. */
#include "test.h"
#include "simulate_status.h"
#include <stdlib.h>

static json_t *pod(const char *policy, const char *run, const char *code, const char *ready) {
  json_t *p = json_pack("{s:{s:s,s:s,s:s,s:{}},s:{s:s,s:s,s:[{s:s,s:s}]},s:{s:s}}", "metadata", "name", "p",
                        "namespace", "ns", "uid", "u-1", "annotations", "spec", "restartPolicy", policy, "nodeName",
                        "n-0", "containers", "name", "main", "image", "nginx:1.19", "status", "phase", "Pending");
  json_t *ann = json_object_get(json_object_get(p, "metadata"), "annotations");
  if (run) json_object_set_new(ann, "ckube.io/simulate-run-seconds", json_string(run));
  if (code) json_object_set_new(ann, "ckube.io/simulate-exit-code", json_string(code));
  if (ready) json_object_set_new(ann, "ckube.io/simulate-ready", json_string(ready));
  return p;
}

static const char *cond(const json_t *status, const char *type, const char *field) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(status, "conditions"), i, c)
    if (!strcmp(json_string_value(json_object_get(c, "type")), type))
      return json_string_value(json_object_get(c, field));
  return NULL;
}

static const json_t *container(const json_t *status) {
  return json_array_get(json_object_get(status, "containerStatuses"), 0);
}

#define T0 1700000000000LL

static void test_start_always(void) {
  json_t *p = pod("Always", NULL, NULL, NULL), *st = NULL;
  sim_pod_state s = {0};
  long recheck;
  CHECK(sim_pod_step(p, &s, "127.1.0.1", "127.2.0.5", T0, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK(recheck == 0);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Running");
  CHECK_STR(json_string_value(json_object_get(st, "hostIP")), "127.1.0.1");
  CHECK_STR(json_string_value(json_object_get(st, "podIP")), "127.2.0.5");
  CHECK_STR(json_string_value(json_object_get(st, "startTime")), "2023-11-14T22:13:20Z");
  CHECK_STR(cond(st, "Ready", "status"), "True");
  CHECK_STR(cond(st, "ContainersReady", "status"), "True");
  CHECK_STR(cond(st, "Initialized", "status"), "True");
  CHECK_STR(cond(st, "PodScheduled", "status"), "True");
  const json_t *c = container(st);
  CHECK(json_is_true(json_object_get(c, "ready")));
  CHECK(json_is_true(json_object_get(c, "started")));
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(c, "state"), "running"), "startedAt")),
            "2023-11-14T22:13:20Z");
  CHECK(!strncmp(json_string_value(json_object_get(c, "containerID")), "containerd://", 13));
  CHECK(strlen(json_string_value(json_object_get(c, "containerID"))) == 13 + 64);
  CHECK(!strncmp(json_string_value(json_object_get(c, "imageID")), "docker.io/library/nginx@sha256:", 31));
  CHECK_STR(json_string_value(json_object_get(c, "image")), "nginx:1.19");
  json_decref(st);
  /* once started, an Always pod needs nothing more */
  CHECK(sim_pod_step(p, &s, "127.1.0.1", "127.2.0.5", T0 + 60000, &st, &recheck) == SIM_NOTHING);
  CHECK(st == NULL);
  json_decref(p);
}

static void test_not_ready(void) {
  json_t *p = pod("Always", NULL, NULL, "false"), *st = NULL;
  sim_pod_state s = {0};
  long recheck;
  sim_pod_step(p, &s, "h", "i", T0, &st, &recheck);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Running");
  CHECK_STR(cond(st, "Ready", "status"), "False");
  CHECK_STR(cond(st, "Ready", "reason"), "ContainersNotReady");
  CHECK_STR(cond(st, "Ready", "message"), "containers with unready status: [main]");
  CHECK(json_is_false(json_object_get(container(st), "ready")));
  json_decref(st);
  json_decref(p);
}

/* A readiness probe's initialDelaySeconds holds Ready back (kubelet probes
 * no earlier); then the simulated probe succeeds and Ready turns True. */
static void test_readiness_initial_delay(void) {
  json_t *p = pod("Always", NULL, NULL, NULL), *st = NULL;
  json_object_set_new(json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0), "readinessProbe",
                      json_pack("{s:i}", "initialDelaySeconds", 20));
  sim_pod_state s = {0};
  long recheck;
  CHECK(sim_pod_step(p, &s, "h", "i", T0, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK(recheck == 20000);
  CHECK_STR(cond(st, "Ready", "status"), "False");
  CHECK(json_is_false(json_object_get(container(st), "ready")));
  json_object_set(p, "status", st);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 5000, &st, &recheck) == SIM_NOTHING);
  CHECK(recheck == 15000);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 20000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(cond(st, "Ready", "status"), "True");
  CHECK_STR(cond(st, "Ready", "lastTransitionTime"), "2023-11-14T22:13:40Z");
  CHECK(json_is_true(json_object_get(container(st), "ready")));
  CHECK(json_integer_value(json_object_get(container(st), "restartCount")) == 0);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 60000, &st, &recheck) == SIM_NOTHING);
  json_decref(p);
}

/* activeDeadlineSeconds: kubelet fails the pod once it has been active
 * that long (counted from startTime), whatever its restart policy. */
static void test_active_deadline(void) {
  json_t *p = pod("Always", NULL, NULL, NULL), *st = NULL;
  sim_pod_state s = {0};
  long recheck;
  CHECK(sim_pod_step(p, &s, "h", "i", T0, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK(recheck == 0);
  json_decref(st);
  /* the deadline arrives by an update of the running pod */
  json_object_set_new(json_object_get(p, "spec"), "activeDeadlineSeconds", json_integer(5));
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 2000, &st, &recheck) == SIM_NOTHING);
  CHECK(recheck == 3000);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 5000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Failed");
  CHECK_STR(json_string_value(json_object_get(st, "reason")), "DeadlineExceeded");
  CHECK_STR(json_string_value(json_object_get(st, "message")),
            "Pod was active on the node longer than the specified deadline");
  CHECK(json_integer_value(json_object_get(json_object_get(json_object_get(container(st), "state"), "terminated"),
                                           "exitCode")) == 137);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 9000, &st, &recheck) == SIM_NOTHING);
  json_decref(p);
}

static json_t *with_command(json_t *p, const char *json_cmd) {
  json_object_set_new(json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0), "command",
                      json_loads(json_cmd, 0, NULL));
  return p;
}

/* The few commands whose outcome is known without running them. */
static void test_known_commands(void) {
  json_t *st = NULL;
  long recheck;
  sim_pod_state s = {0};
  json_t *p = with_command(pod("Never", NULL, NULL, NULL), "[\"sleep\", \"5\"]");
  sim_pod_step(p, &s, "h", "i", T0, &st, &recheck);
  CHECK(recheck == 5000);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 5000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Succeeded");
  json_decref(st);
  json_decref(p);

  sim_pod_state s2 = {0};
  p = with_command(pod("Never", NULL, NULL, NULL), "[\"/bin/sh\", \"-c\", \"exit 3\"]");
  sim_pod_step(p, &s2, "h", "i", T0, &st, &recheck);
  json_decref(st);
  CHECK(sim_pod_step(p, &s2, "h", "i", T0 + 10, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Failed");
  CHECK(json_integer_value(json_object_get(json_object_get(json_object_get(container(st), "state"), "terminated"),
                                           "exitCode")) == 3);
  json_decref(st);
  json_decref(p);

  sim_pod_state s3 = {0};
  p = with_command(pod("Never", NULL, NULL, NULL), "[\"tail\", \"-f\", \"/dev/null\"]");
  sim_pod_step(p, &s3, "h", "i", T0, &st, &recheck);
  CHECK(recheck == 0);
  json_decref(st);
  CHECK(sim_pod_step(p, &s3, "h", "i", T0 + 3600000, &st, &recheck) == SIM_NOTHING);
  json_decref(p);

  /* the annotation wins over the command */
  sim_pod_state s4 = {0};
  p = with_command(pod("Never", "2", NULL, NULL), "[\"sleep\", \"infinity\"]");
  sim_pod_step(p, &s4, "h", "i", T0, &st, &recheck);
  CHECK(recheck == 2000);
  json_decref(st);
  json_decref(p);
}

static void test_exit_zero_succeeds(void) {
  json_t *p = pod("Never", "2", NULL, NULL), *st = NULL;
  sim_pod_state s = {0};
  long recheck;
  CHECK(sim_pod_step(p, &s, "h", "i", T0, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK(recheck == 2000);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 500, &st, &recheck) == SIM_NOTHING);
  CHECK(recheck == 1500);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 2000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Succeeded");
  CHECK_STR(cond(st, "Ready", "reason"), "PodCompleted");
  const json_t *t = json_object_get(json_object_get(container(st), "state"), "terminated");
  CHECK(json_integer_value(json_object_get(t, "exitCode")) == 0);
  CHECK_STR(json_string_value(json_object_get(t, "reason")), "Completed");
  CHECK_STR(json_string_value(json_object_get(t, "finishedAt")), "2023-11-14T22:13:22Z");
  CHECK(json_is_false(json_object_get(container(st), "started")));
  json_decref(st);
  CHECK(s.finished);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 9000, &st, &recheck) == SIM_NOTHING);
  json_decref(p);
}

static void test_exit_nonzero(void) {
  json_t *p = pod("Never", "1", "3", NULL), *st = NULL;
  sim_pod_state s = {0};
  long recheck;
  sim_pod_step(p, &s, "h", "i", T0, &st, &recheck);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 1000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Failed");
  const json_t *t = json_object_get(json_object_get(container(st), "state"), "terminated");
  CHECK(json_integer_value(json_object_get(t, "exitCode")) == 3);
  CHECK_STR(json_string_value(json_object_get(t, "reason")), "Error");
  json_decref(st);
  json_decref(p);

  p = pod("OnFailure", "1", "1", NULL);
  s = (sim_pod_state){0};
  sim_pod_step(p, &s, "h", "i", T0, &st, &recheck);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 1000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Running");
  CHECK(json_integer_value(json_object_get(container(st), "restartCount")) == 1);
  t = json_object_get(json_object_get(container(st), "lastState"), "terminated");
  CHECK(json_integer_value(json_object_get(t, "exitCode")) == 1);
  CHECK(recheck == 1000);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "h", "i", T0 + 2000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK(json_integer_value(json_object_get(container(st), "restartCount")) == 2);
  json_decref(st);
  json_decref(p);
}

static void test_adopt_and_delete(void) {
  json_t *p = pod("OnFailure", "5", "1", NULL), *st = NULL;
  sim_pod_state s = {0};
  long recheck;
  sim_pod_step(p, &s, "h", "i", T0, &st, &recheck);
  json_object_set_new(p, "status", st); /* as the server stored it */
  sim_pod_state fresh = {0};             /* a restarted simulation */
  CHECK(sim_pod_step(p, &fresh, "h", "other", T0 + 1000, &st, &recheck) == SIM_NOTHING);
  CHECK(fresh.started && recheck == 4000);
  json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp", json_string("2023-11-14T22:14:00Z"));
  CHECK(sim_pod_step(p, &fresh, "h", "i", T0 + 2000, &st, &recheck) == SIM_DELETE);
  json_decref(p);
}

static void test_unpullable_image(void) {
  CHECK(sim_set_unpullable_images("(^|/)foo:non-existent$|:404$") == 0);
  json_t *p = pod("Always", NULL, NULL, NULL), *st = NULL;
  json_t *c = json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0);
  json_object_set_new(c, "image", json_string("webserver:404"));
  sim_pod_state s = {0};
  long recheck;
  CHECK(sim_pod_step(p, &s, "127.1.0.1", "127.2.0.5", T0, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Pending");
  CHECK_STR(cond(st, "Ready", "status"), "False");
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(container(st), "state"), "waiting"),
                                              "reason")),
            "ErrImagePull");
  CHECK(recheck > 0);
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "127.1.0.1", "127.2.0.5", T0 + 10000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(container(st), "state"), "waiting"),
                                              "reason")),
            "ImagePullBackOff");
  json_decref(st);
  CHECK(sim_pod_step(p, &s, "127.1.0.1", "127.2.0.5", T0 + 20000, &st, &recheck) == SIM_NOTHING);
  /* the image is fixed: the pod starts */
  json_object_set_new(c, "image", json_string("webserver:2.4"));
  CHECK(sim_pod_step(p, &s, "127.1.0.1", "127.2.0.5", T0 + 21000, &st, &recheck) == SIM_WRITE_STATUS);
  CHECK_STR(json_string_value(json_object_get(st, "phase")), "Running");
  json_decref(st);
  CHECK(sim_set_unpullable_images("(") == -1);
  CHECK(sim_set_unpullable_images(NULL) == 0);
  json_decref(p);
}

TEST_MAIN(TEST(test_start_always), TEST(test_unpullable_image), TEST(test_not_ready), TEST(test_readiness_initial_delay), TEST(test_active_deadline), TEST(test_known_commands),
          TEST(test_exit_zero_succeeds), TEST(test_exit_nonzero),
          TEST(test_adopt_and_delete))
