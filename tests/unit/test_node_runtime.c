/* test_node_runtime.c - the pure parts of the real node agent: kubelet's
 * restart back-off, the image table (parsing, repository names, argv from
 * ENTRYPOINT/CMD and command/args), the environment with $(VAR) expansion
 * and valueFrom, the pod status and phase kubelet 1.20 reports, and the
 * node's pod range. */
#include "test.h"
#include "image_table.h"
#include "pod_cgroup.h"
#include "pod_volumes.h"
#include "real_metrics.h"
#include "runtime_proc.h"
#include "runtime_hooks.h"
#include "runtime_security.h"
#include "runtime_termination.h"
#include "runtime_ips.h"
#include "simulate_status.h"
#include <fcntl.h>
#include <sys/stat.h>
#include "service_env.h"
#include <unistd.h>
#include "real_node.h"
#include "runtime_backoff.h"
#include "runtime_status.h"
#include "simulate_config.h"
#include <stdlib.h>

static void test_backoff(void) {
  rt_backoff b = {0};
  long long wait, delay;
  CHECK(rt_backoff_try(&b, 1000, 1000, &wait, &delay)); /* first restart at once */
  CHECK(!rt_backoff_try(&b, 2000, 2000, &wait, &delay));
  CHECK(wait == 10000 && delay == 10000);
  CHECK(rt_backoff_try(&b, 2000, 12000, &wait, &delay)); /* 10 s after it finished */
  CHECK(!rt_backoff_try(&b, 13000, 20000, &wait, &delay));
  CHECK(delay == 20000 && wait == 13000);
  for (int i = 0; i < 10; i++) rt_backoff_try(&b, 0, 1000000000LL, &wait, &delay);
  CHECK(b.delay_ms == BACKOFF_MAX_MS); /* capped at 5 minutes */
  /* ran for more than 10 minutes since the last restart: forgotten, restarts at once */
  CHECK(rt_backoff_try(&b, b.last_update_ms + 11 * 60000, b.last_update_ms + 11 * 60000, &wait, &delay));
  CHECK(b.delay_ms == BACKOFF_INITIAL_MS);
}

static void test_image_repository(void) {
  char r[256];
  image_repository("busybox", r, sizeof r);
  CHECK_STR(r, "busybox");
  image_repository("docker.io/library/busybox:1.28", r, sizeof r);
  CHECK_STR(r, "busybox");
  image_repository("k8s.gcr.io/e2e-test-images/agnhost:2.21@sha256:abc", r, sizeof r);
  CHECK_STR(r, "e2e-test-images/agnhost");
  image_repository("sysnet4admin/echo-hname", r, sizeof r);
  CHECK_STR(r, "sysnet4admin/echo-hname");
  image_repository("localhost:5000/web:v2", r, sizeof r);
  CHECK_STR(r, "web");
}

static const char *TABLE = "# comment\n"
                           "busybox  -  applets:/bin/busybox  sh\n"
                           "agnhost  /agnhost,/agnhost-2  /opt/agnhost  pause\n"
                           "sysnet4admin/echo-hname - builtin:echo-hname\n";

static json_t *ctr(const char *image, const char *cmd, const char *args) {
  json_error_t e;
  json_t *c = json_pack("{s:s}", "image", image);
  if (cmd) json_object_set_new(c, "command", json_loads(cmd, 0, &e));
  if (args) json_object_set_new(c, "args", json_loads(args, 0, &e));
  return c;
}

static char *joined(image_argv *a) {
  static char buf[512];
  buf[0] = 0;
  for (char **p = a->argv; p && *p; p++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", p == a->argv ? "" : " ", *p);
  return buf;
}

static void test_image_argv(void) {
  char err[256] = "";
  image_table *t = image_table_parse(TABLE, "t", err, sizeof err);
  CHECK(t != NULL);
  image_argv a;
  json_t *c = ctr("busybox:1.29", NULL, NULL);
  CHECK(image_table_argv(t, c, "/self", &a) == 0);
  CHECK_STR(joined(&a), "sh");
  CHECK_STR(a.applets, "/bin/busybox");
  image_argv_free(&a);
  json_decref(c);
  c = ctr("k8s.gcr.io/e2e-test-images/agnhost:2.21", NULL, "[\"netexec\",\"--http-port=8080\"]");
  CHECK(image_table_argv(t, c, "/self", &a) == 0);
  CHECK_STR(joined(&a), "/agnhost netexec --http-port=8080"); /* args replace CMD, ENTRYPOINT stays */
  image_argv_free(&a);
  json_decref(c);
  c = ctr("agnhost", "[\"/agnhost\",\"serve-hostname\"]", NULL);
  CHECK(image_table_argv(t, c, "/self", &a) == 0);
  CHECK_STR(joined(&a), "/agnhost serve-hostname"); /* the image's path stays argv[0] (os.Args as in the image) */
  CHECK_STR(a.program, "/opt/agnhost");
  CHECK(a.image_paths && !strcmp(a.image_paths[0], "/agnhost") && !strcmp(a.image_paths[1], "/agnhost-2") &&
        !a.image_paths[2]);
  image_argv_on_host(&a); /* without a root of its own: the host's program */
  CHECK_STR(joined(&a), "/opt/agnhost serve-hostname");
  image_argv_free(&a);
  json_decref(c);
  c = ctr("agnhost", "[\"/agnhost-2\"]", "[\"entrypoint-tester\"]"); /* the image's link to its entrypoint */
  CHECK(image_table_argv(t, c, "/self", &a) == 0);
  CHECK_STR(joined(&a), "/agnhost-2 entrypoint-tester");
  image_argv_on_host(&a);
  CHECK_STR(joined(&a), "/opt/agnhost entrypoint-tester");
  image_argv_free(&a);
  json_decref(c);
  c = ctr("agnhost", "[\"sh\"]", NULL); /* another command of the image: left as it is */
  CHECK(image_table_argv(t, c, "/self", &a) == 0);
  image_argv_on_host(&a);
  CHECK_STR(joined(&a), "sh");
  image_argv_free(&a);
  json_decref(c);
  c = ctr("sysnet4admin/echo-hname:latest", NULL, NULL);
  CHECK(image_table_argv(t, c, "/self", &a) == 0);
  CHECK_STR(joined(&a), "/self --builtin echo-hname");
  image_argv_free(&a);
  json_decref(c);
  c = ctr("example.com/unknown:1", NULL, NULL); /* unknown, no command: the pull fails */
  CHECK(image_table_argv(t, c, "/self", &a) == -1);
  json_decref(c);
  c = ctr("example.com/unknown:1", "[\"sleep\"]", "[\"5\"]"); /* with a command: it runs */
  CHECK(image_table_argv(t, c, "/self", &a) == 0);
  CHECK_STR(joined(&a), "sleep 5");
  image_argv_free(&a);
  json_decref(c);
  image_table_free(t);
  CHECK(image_table_parse("busybox -\n", "bad.conf", err, sizeof err) == NULL);
  CHECK(strstr(err, "bad.conf:1:") != NULL);
  CHECK(image_table_parse("x - relative/path\n", "bad.conf", err, sizeof err) == NULL);
}

static json_t *objects(void *ctx, const char *plural, const char *ns, const char *name) {
  (void)ctx;
  (void)ns;
  if (!strcmp(plural, "configmaps") && !strcmp(name, "cfg")) return json_pack("{s:{s:s,s:s}}", "data", "color", "blue", "size", "XL");
  if (!strcmp(plural, "secrets") && !strcmp(name, "sec")) return json_pack("{s:{s:s}}", "data", "pass", "c2VjcmV0"); /* "secret" */
  return NULL;
}

static const char *envget(char **env, const char *name) {
  size_t n = strlen(name);
  for (char **e = env; e && *e; e++)
    if (!strncmp(*e, name, n) && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}

static void test_env(void) {
  json_error_t e;
  json_t *pod = json_loads("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u1\",\"labels\":{\"app\":\"web\"}},"
                           "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
                           "\"resources\":{\"limits\":{\"memory\":\"64Mi\"}},"
                           "\"command\":[\"echo\",\"$(GREETING) $(COLOR)\",\"$$(COLOR)\",\"$(NOPE)\"],"
                           "\"envFrom\":[{\"configMapRef\":{\"name\":\"cfg\"},\"prefix\":\"CM_\"}],"
                           "\"env\":[{\"name\":\"COLOR\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"cfg\",\"key\":\"color\"}}},"
                           "{\"name\":\"GREETING\",\"value\":\"hi $(COLOR)\"},"
                           "{\"name\":\"PASS\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"sec\",\"key\":\"pass\"}}},"
                           "{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}},"
                           "{\"name\":\"APP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.labels['app']\"}}},"
                           "{\"name\":\"IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}},"
                           "{\"name\":\"MEM\",\"valueFrom\":{\"resourceFieldRef\":{\"resource\":\"limits.memory\",\"divisor\":\"1Mi\"}}},"
                           "{\"name\":\"CPU\",\"valueFrom\":{\"resourceFieldRef\":{\"resource\":\"limits.cpu\"}}},"
                           "{\"name\":\"OPT\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"gone\",\"key\":\"k\",\"optional\":true}}}]}]}}",
                           0, &e);
  sim_config_set_node_allocatable("4", "8Gi");
  const json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
  json_t *x = NULL;
  char why[256] = "";
  char **env = sim_config_env(pod, c, "127.9.0.1", "127.9.0.2", objects, NULL, NULL, &x, why, sizeof why);
  CHECK(env != NULL);
  CHECK_STR(envget(env, "CM_color"), "blue");
  CHECK_STR(envget(env, "CM_size"), "XL");
  CHECK_STR(envget(env, "COLOR"), "blue");
  CHECK_STR(envget(env, "GREETING"), "hi blue");
  CHECK_STR(envget(env, "PASS"), "secret");
  CHECK_STR(envget(env, "POD"), "p");
  CHECK_STR(envget(env, "APP"), "web");
  CHECK_STR(envget(env, "IP"), "127.9.0.2");
  CHECK_STR(envget(env, "MEM"), "64");
  CHECK_STR(envget(env, "CPU"), "4"); /* no limit: the node's allocatable */
  CHECK(envget(env, "OPT") == NULL);
  const json_t *cmd = json_object_get(x, "command");
  CHECK_STR(json_string_value(json_array_get(cmd, 1)), "hi blue blue");
  CHECK_STR(json_string_value(json_array_get(cmd, 2)), "$(COLOR)");
  CHECK_STR(json_string_value(json_array_get(cmd, 3)), "$(NOPE)");
  for (char **p = env; *p; p++) free(*p);
  free(env);
  json_decref(x);
  /* a missing ConfigMap: kubelet's CreateContainerConfigError message */
  json_t *bad = json_pack("{s:s,s:[{s:s,s:{s:{s:s,s:s}}}]}", "name", "c", "env", "name", "X", "valueFrom",
                          "configMapKeyRef", "name", "missing", "key", "k");
  x = NULL;
  CHECK(sim_config_env(pod, bad, "", "", objects, NULL, NULL, &x, why, sizeof why) == NULL);
  CHECK_STR(why, "configmap \"missing\" not found");
  CHECK(x == NULL);
  json_decref(bad);
  /* subPathExpr: expanded from the environment into the mount's subPath */
  json_t *sub = json_pack("{s:s,s:[{s:s,s:s}],s:[{s:s,s:s,s:s}]}", "name", "c", "env", "name", "D", "value", "foo",
                          "volumeMounts", "name", "w", "mountPath", "/m", "subPathExpr", "$(D)/$(D)x");
  env = sim_config_env(pod, sub, "", "", objects, NULL, NULL, &x, why, sizeof why);
  CHECK(env != NULL);
  const json_t *vm = json_array_get(json_object_get(x, "volumeMounts"), 0);
  CHECK_STR(json_string_value(json_object_get(vm, "subPath")), "foo/foox");
  CHECK(json_object_get(vm, "subPathExpr") == NULL);
  for (char **p = env; *p; p++) free(*p);
  free(env);
  json_decref(x);
  json_decref(sub);
  json_decref(pod);
}

static const json_t *cond(const json_t *status, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(status, "conditions"), i, c)
    if (!strcmp(json_string_value(json_object_get(c, "type")), type)) return c;
  return NULL;
}

#define T0 1700000000000LL

static void test_status(void) {
  json_t *pod = json_pack("{s:{s:s,s:s},s:{s:s,s:[{s:s,s:s}],s:[{s:s,s:s}]}}", "metadata", "name", "p", "uid", "u",
                          "spec", "restartPolicy", "OnFailure", "initContainers", "name", "init", "image", "busybox",
                          "containers", "name", "main", "image", "busybox");
  rt_ctr ctrs[2] = {{.init = true}, {.init = false}};
  snprintf(ctrs[0].name, sizeof ctrs[0].name, "init");
  snprintf(ctrs[1].name, sizeof ctrs[1].name, "main");
  snprintf(ctrs[0].reason, sizeof ctrs[0].reason, "PodInitializing");
  snprintf(ctrs[1].reason, sizeof ctrs[1].reason, "PodInitializing");
  rt_pod_state st = {"127.9.0.2", "127.9.0.1", T0, ctrs, 2, 1, false, false};
  CHECK_STR(rt_pod_phase(pod, &st), "Pending");
  json_t *s = rt_pod_status(pod, &st, T0);
  CHECK_STR(json_string_value(json_object_get(cond(s, "Initialized"), "reason")), "ContainersNotInitialized");
  CHECK_STR(json_string_value(json_object_get(cond(s, "Initialized"), "message")), "containers with incomplete status: [init]");
  CHECK_STR(json_string_value(json_object_get(cond(s, "Ready"), "message")), "containers with unready status: [main]");
  CHECK_STR(json_string_value(json_object_get(s, "podIP")), "127.9.0.2");
  CHECK_STR(json_string_value(json_object_get(s, "hostIP")), "127.9.0.1");
  CHECK_STR(json_string_value(json_object_get(s, "startTime")), "2023-11-14T22:13:20Z");
  const json_t *cs = json_array_get(json_object_get(s, "containerStatuses"), 0);
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(cs, "state"), "waiting"), "reason")), "PodInitializing");
  CHECK(json_object_get(cs, "containerID") == NULL);
  json_decref(s);
  /* init done, main running */
  ctrs[0].state = CTR_TERMINATED;
  ctrs[0].term = (rt_run){T0, T0 + 1000, 0, 0, "Completed", "containerd://a", ""};
  ctrs[1].state = CTR_RUNNING;
  ctrs[1].started_ms = T0 + 2000;
  snprintf(ctrs[1].container_id, sizeof ctrs[1].container_id, "containerd://b");
  ctrs[1].ever_started = true;
  CHECK_STR(rt_pod_phase(pod, &st), "Running");
  s = rt_pod_status(pod, &st, T0 + 2000);
  CHECK_STR(json_string_value(json_object_get(cond(s, "Ready"), "status")), "True");
  CHECK_STR(json_string_value(json_object_get(cond(s, "Initialized"), "status")), "True");
  cs = json_array_get(json_object_get(s, "containerStatuses"), 0);
  CHECK(json_is_true(json_object_get(cs, "ready")) && json_is_true(json_object_get(cs, "started")));
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(cs, "state"), "running"), "startedAt")), "2023-11-14T22:13:22Z");
  json_decref(s);
  /* its postStart handler still runs: kubelet has not reported it Running yet */
  ctrs[1].hook_pid = 4242;
  CHECK_STR(rt_pod_phase(pod, &st), "Pending");
  s = rt_pod_status(pod, &st, T0 + 2000);
  cs = json_array_get(json_object_get(s, "containerStatuses"), 0);
  CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(cs, "state"), "waiting"), "reason")), "ContainerCreating");
  CHECK(json_is_false(json_object_get(cs, "ready")) && json_is_false(json_object_get(cs, "started")));
  json_decref(s);
  ctrs[1].hook_pid = 0;
  /* past activeDeadlineSeconds: Failed with kubelet's reason and message, whatever runs */
  st.deadline_exceeded = true;
  CHECK_STR(rt_pod_phase(pod, &st), "Failed");
  s = rt_pod_status(pod, &st, T0 + 2000);
  CHECK_STR(json_string_value(json_object_get(s, "reason")), "DeadlineExceeded");
  CHECK_STR(json_string_value(json_object_get(s, "message")), "Pod was active on the node longer than the specified deadline");
  json_decref(s);
  st.deadline_exceeded = false;
  /* main crashed and waits in back-off: lastState, still Running under OnFailure */
  ctrs[1].state = CTR_WAITING;
  ctrs[1].has_last = true;
  ctrs[1].last = (rt_run){T0 + 2000, T0 + 3000, 2, 0, "Error", "containerd://b", ""};
  ctrs[1].restarts = 1;
  snprintf(ctrs[1].reason, sizeof ctrs[1].reason, "CrashLoopBackOff");
  CHECK_STR(rt_pod_phase(pod, &st), "Running");
  s = rt_pod_status(pod, &st, T0 + 3000);
  cs = json_array_get(json_object_get(s, "containerStatuses"), 0);
  CHECK(json_integer_value(json_object_get(cs, "restartCount")) == 1);
  CHECK(json_integer_value(json_object_get(json_object_get(json_object_get(cs, "lastState"), "terminated"), "exitCode")) == 2);
  json_decref(s);
  /* main exits 0: Succeeded, Ready False with PodCompleted */
  ctrs[1].state = CTR_TERMINATED;
  ctrs[1].term = (rt_run){T0 + 4000, T0 + 5000, 0, 0, "Completed", "containerd://c", ""};
  CHECK_STR(rt_pod_phase(pod, &st), "Succeeded");
  s = rt_pod_status(pod, &st, T0 + 5000);
  CHECK_STR(json_string_value(json_object_get(cond(s, "Ready"), "reason")), "PodCompleted");
  json_decref(s);
  /* Never: a failed init container fails the pod */
  json_object_set_new(json_object_get(pod, "spec"), "restartPolicy", json_string("Never"));
  ctrs[0].term.exit_code = 1;
  ctrs[1].state = CTR_WAITING;
  ctrs[1].has_last = false;
  CHECK_STR(rt_pod_phase(pod, &st), "Failed");
  json_decref(pod);
}

/* The activeDeadlineSeconds rule both kubelets use: from status.startTime, an update counts at once. */
static void test_active_deadline(void) {
  json_t *pod = json_pack("{s:{s:i}}", "spec", "activeDeadlineSeconds", 30);
  long long due;
  CHECK(!sim_past_active_deadline(pod, T0, T0 + 29999, &due) && due == T0 + 30000);
  CHECK(sim_past_active_deadline(pod, T0, T0 + 30000, NULL));
  CHECK(!sim_past_active_deadline(pod, 0, T0, &due) && due == -1); /* not started */
  json_object_set_new(json_object_get(pod, "spec"), "activeDeadlineSeconds", json_integer(5));
  CHECK(sim_past_active_deadline(pod, T0, T0 + 5000, NULL));
  json_object_del(json_object_get(pod, "spec"), "activeDeadlineSeconds");
  CHECK(!sim_past_active_deadline(pod, T0, T0 + 1000000, &due) && due == -1);
  json_decref(pod);
}

/* kubelet's lifecycle handler failure messages. */
static void test_hook_messages(void) {
  char out[] = "/tmp/ckube-test-hook-XXXXXX", msg[4096];
  int fd = mkstemp(out);
  CHECK(fd >= 0 && write(fd, "no \"way\"\n", 10) == 10);
  close(fd);
  json_t *exec = json_pack("{s:{s:[s,s,s]}}", "exec", "command", "sh", "-c", "exit 3");
  rt_hook_failure(exec, "c", "p_ns(u)", 3 << 8, NULL, out, msg, sizeof msg);
  CHECK_STR(msg, "Exec lifecycle hook ([sh -c exit 3]) for Container \"c\" in Pod \"p_ns(u)\" failed - error: command "
                 "'sh -c exit 3' exited with 3: no \"way\"\n, message: \"no \\\"way\\\"\\n\"");
  CHECK(!rt_hook_succeeded(3 << 8) && rt_hook_succeeded(0) && !rt_hook_succeeded(-1));
  json_t *get = json_pack("{s:{s:s,s:i}}", "httpGet", "path", "/x", "port", 8080);
  CHECK(rt_hook_present(get) && rt_hook_present(exec) && !rt_hook_present(NULL));
  fd = open(out, O_WRONLY | O_TRUNC);
  CHECK(fd >= 0 && write(fd, "curl: (7) refused\n", 18) == 18);
  close(fd);
  rt_hook_failure(get, "c", "p_ns(u)", 7 << 8, NULL, out, msg, sizeof msg);
  CHECK_STR(msg, "Http lifecycle hook (/x) for Container \"c\" in Pod \"p_ns(u)\" failed - error: curl: (7) refused, "
                 "message: \"\"");
  unlink(out);
  json_decref(exec);
  json_decref(get);
}

/* securityContext as kubelet resolves it and containerd's capability rules. */
static void test_identity(void) {
  json_t *pod = json_pack("{s:{s:s,s:s,s:s},s:{s:{s:i,s:i,s:[i,i]}}}", "metadata", "name", "p", "namespace", "ns",
                          "uid", "u", "spec", "securityContext", "runAsUser", 2222, "fsGroup", 2000,
                          "supplementalGroups", 4000, 4001);
  json_t *ctr = json_pack("{s:s,s:{s:i,s:i,s:b}}", "name", "c", "securityContext", "runAsUser", 1000, "runAsGroup",
                          3000, "allowPrivilegeEscalation", 0);
  rt_identity id;
  char err[512] = "";
  CHECK(rt_identity_resolve(pod, ctr, &id, err, sizeof err) == 0);
  CHECK(id.uid == 1000 && id.gid == 3000 && id.no_new_privs); /* the container's over the pod's */
  CHECK(id.ngroups == 3 && id.groups[0] == 2000 && id.groups[1] == 4000 && id.groups[2] == 4001);
  CHECK(id.caps == 0xa80425fbULL); /* containerd's default set */
  json_t *sc = json_object_get(ctr, "securityContext");
  json_object_set_new(sc, "capabilities", json_pack("{s:[s],s:[s,s]}", "add", "NET_ADMIN", "drop", "MKNOD", "CAP_KILL"));
  CHECK(rt_identity_resolve(pod, ctr, &id, err, sizeof err) == 0 && id.caps == 0xa00435dbULL);
  json_object_set_new(sc, "capabilities", json_pack("{s:[s],s:[s]}", "add", "CHOWN", "drop", "ALL"));
  CHECK(rt_identity_resolve(pod, ctr, &id, err, sizeof err) == 0 && id.caps == 1); /* ALL first, then the names */
  json_object_set_new(sc, "capabilities", json_pack("{s:[s]}", "add", "NO_SUCH"));
  CHECK(rt_identity_resolve(pod, ctr, &id, err, sizeof err) == -1);
  CHECK_STR(err, "unknown capability \"CAP_NO_SUCH\"");
  json_object_del(sc, "capabilities");
  json_object_set_new(sc, "privileged", json_true());
  CHECK(rt_identity_resolve(pod, ctr, &id, err, sizeof err) == 0 && id.caps == (1ULL << 41) - 1);
  /* runAsNonRoot: kubelet's refusals */
  json_t *bare = json_pack("{s:s,s:{s:b}}", "name", "c", "securityContext", "runAsNonRoot", 1);
  json_object_del(json_object_get(json_object_get(pod, "spec"), "securityContext"), "runAsUser");
  CHECK(rt_identity_resolve(pod, bare, &id, err, sizeof err) == -1);
  CHECK_STR(err, "container has runAsNonRoot and image will run as root (pod: \"p_ns(u)\", container: c)");
  json_object_set_new(json_object_get(bare, "securityContext"), "runAsUser", json_integer(0));
  CHECK(rt_identity_resolve(pod, bare, &id, err, sizeof err) == -1);
  CHECK_STR(err, "container's runAsUser breaks non-root policy (pod: \"p_ns(u)\", container: c)");
  json_object_set_new(json_object_get(bare, "securityContext"), "runAsUser", json_integer(65534));
  CHECK(rt_identity_resolve(pod, bare, &id, err, sizeof err) == 0 && id.uid == 65534 && id.caps == 0xa80425fbULL);
  CHECK(rt_capability("net_admin") == 12 && rt_capability("CAP_SYS_ADMIN") == 21 && rt_capability("X") == -1);
  json_decref(bare);
  json_decref(ctr);
  json_decref(pod);
}

/* setuid-builtin images: the program at the image's path, ckube-node's builtin behind it. */
static void test_image_setuid(void) {
  char err[256];
  image_table *t = image_table_parse("nonewprivs /usr/local/bin/nnp setuid-builtin:nonewprivs\n", "t", err, sizeof err);
  CHECK(t != NULL);
  json_t *c = json_pack("{s:s}", "image", "gcr.io/kubernetes-e2e-test-images/nonewprivs:1.0");
  image_argv av;
  CHECK(image_table_argv(t, c, "/opt/ckube-node", &av) == 0 && av.setuid);
  CHECK_STR(av.argv[0], "/usr/local/bin/nnp");
  CHECK_STR(av.argv[1], "--builtin");
  CHECK_STR(av.argv[2], "nonewprivs");
  CHECK(av.argv[3] == NULL);
  CHECK_STR(av.program, "/opt/ckube-node");
  CHECK_STR(av.image_paths[0], "/usr/local/bin/nnp");
  image_argv_free(&av);
  json_object_set_new(c, "command", json_pack("[s]", "id"));
  CHECK(image_table_argv(t, c, "/opt/ckube-node", &av) == 0 && !av.setuid); /* a command of its own runs as given */
  CHECK_STR(av.argv[0], "id");
  image_argv_free(&av);
  json_decref(c);
  image_table_free(t);
  CHECK(image_table_parse("x - setuid-builtin:nonewprivs\n", "t", err, sizeof err) == NULL); /* needs a path */
}

/* kubelet's termination message: the file, else (FallbackToLogsOnError, a failure) the log's tail. */
static void test_termination_message(void) {
  char dir[] = "/tmp/ckube-term-XXXXXX", msg_file[100], log_file[100], out[4096];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(msg_file, sizeof msg_file, "%s/termination-log", dir);
  snprintf(log_file, sizeof log_file, "%s/0.log", dir);
  FILE *f = fopen(log_file, "w");
  fprintf(f, "2024-01-01T00:00:00.000000000Z stdout F line1\n2024-01-01T00:00:00.000000000Z stderr P DONE\n");
  fclose(f);
  rt_termination_message(msg_file, log_file, 2, 1, out, sizeof out);
  CHECK_STR(out, "line1\nDONE"); /* a partial record adds no newline */
  rt_termination_message(msg_file, log_file, 0, 1, out, sizeof out);
  CHECK_STR(out, ""); /* succeeded: no fallback */
  rt_termination_message(msg_file, log_file, 2, 0, out, sizeof out);
  CHECK_STR(out, ""); /* policy File */
  f = fopen(msg_file, "w");
  fprintf(f, "from file");
  fclose(f);
  rt_termination_message(msg_file, log_file, 2, 1, out, sizeof out);
  CHECK_STR(out, "from file");
  unlink(msg_file);
  f = fopen(log_file, "w"); /* 100 lines of 40 bytes: the last 80 lines, of those the last 2048 bytes */
  char want[4096] = "";
  for (int i = 1; i <= 100; i++) {
    fprintf(f, "2024-01-01T00:00:00.000000000Z stdout F %039d\n", i);
    if (i > 20) snprintf(want + strlen(want), sizeof want - strlen(want), "%039d\n", i);
  }
  fclose(f);
  rt_termination_message(msg_file, log_file, 1, 1, out, sizeof out);
  CHECK(strlen(out) == RT_LOG_TAIL_BYTES);
  CHECK_STR(out, want + strlen(want) - RT_LOG_TAIL_BYTES);
  rt_remove_tree(dir);
}

/* Pod addresses: lowest free first, an old address kept when free, released ones reused. */
static void test_pod_ips(void) {
  rt_ips t;
  char ip[16];
  rt_ips_init(&t, 9);
  rt_ips_take(&t, NULL, ip, sizeof ip);
  CHECK_STR(ip, "127.9.0.2"); /* 127.9.0.1 is the node */
  rt_ips_take(&t, "127.9.3.7", ip, sizeof ip);
  CHECK_STR(ip, "127.9.3.7"); /* kept across an agent restart */
  rt_ips_take(&t, "127.9.3.7", ip, sizeof ip);
  CHECK_STR(ip, "127.9.0.3"); /* taken already */
  rt_ips_take(&t, "127.8.0.9", ip, sizeof ip);
  CHECK_STR(ip, "127.9.0.4"); /* another node's */
  rt_ips_release(&t, "127.9.0.2");
  rt_ips_take(&t, NULL, ip, sizeof ip);
  CHECK_STR(ip, "127.9.0.2");
  rt_ips_destroy(&t);
}

static void test_cidr(void) {
  CHECK(real_node_parse_cidr("127.42.0.0/16") == 42);
  CHECK(real_node_parse_cidr("127.42.1.0/16") == -1);
  CHECK(real_node_parse_cidr("10.0.0.0/16") == -1);
  CHECK(real_node_parse_cidr("127.300.0.0/16") == -1);
  CHECK(real_node_parse_cidr("127.5.0.0/24") == -1);
  int n = real_node_default_net("node-a");
  CHECK(n >= 200 && n <= 254 && n == real_node_default_net("node-a"));
}

static char *slurp(const char *path) {
  static char buf[256];
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static void test_atomic_writer(void) {
  char dir[] = "/tmp/ckube-atomic-XXXXXX", err[256] = "", path[512], link1[512], link2[512];
  CHECK(mkdtemp(dir) != NULL);
  vol_file v1[] = {{"color", "blue", 4, 0644}, {"sub/size", "XL", 2, 0400}};
  CHECK(vol_atomic_write(dir, v1, 2, err, sizeof err) == 0);
  snprintf(path, sizeof path, "%s/color", dir);
  CHECK_STR(slurp(path), "blue");
  snprintf(path, sizeof path, "%s/sub/size", dir);
  CHECK_STR(slurp(path), "XL");
  snprintf(path, sizeof path, "%s/..data", dir);
  ssize_t n1 = readlink(path, link1, sizeof link1 - 1);
  CHECK(n1 > 2 && link1[0] == '.' && link1[1] == '.');
  link1[n1 > 0 ? n1 : 0] = 0;
  CHECK(vol_atomic_write(dir, v1, 2, err, sizeof err) == 0); /* same content: no new directory */
  ssize_t n2 = readlink(path, link2, sizeof link2 - 1);
  link2[n2 > 0 ? n2 : 0] = 0;
  CHECK_STR(link2, link1);
  vol_file v2[] = {{"color", "red", 3, 0644}};
  CHECK(vol_atomic_write(dir, v2, 1, err, sizeof err) == 0);
  snprintf(path, sizeof path, "%s/color", dir);
  CHECK_STR(slurp(path), "red");
  snprintf(path, sizeof path, "%s/sub", dir);
  CHECK(access(path, F_OK) != 0); /* the key that went away is gone */
  snprintf(path, sizeof path, "%s/%s", dir, link1);
  CHECK(access(path, F_OK) != 0); /* and the old timestamped directory */
  rt_remove_tree(dir);
}

/* The refresh of an optional ConfigMap volume: its object's data, nothing once it surely is gone (404), the
 * last files while it cannot be read; fsGroup makes the files group-readable and the group's. */
static json_t *refresh_object;
static int refresh_absent;
static json_t *refresh_get(void *ctx, const char *plural, const char *ns, const char *name) {
  (void)ctx, (void)plural, (void)ns, (void)name;
  return refresh_object ? json_incref(refresh_object) : NULL;
}
static int refresh_gone(void *ctx, const char *plural, const char *ns, const char *name) {
  (void)ctx, (void)plural, (void)ns, (void)name;
  return refresh_absent;
}

static void test_optional_refresh(void) {
  char dir[] = "/tmp/ckube-refresh-XXXXXX", vdir[600], path[700];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(vdir, sizeof vdir, "%s/volumes/cfg", dir);
  CHECK(rt_mkdirs(vdir, 0755) == 0);
  json_t *pod = json_pack("{s:{s:s},s:{s:{s:i},s:[{s:s,s:{s:s,s:b,s:i}}]}}", "metadata", "namespace", "ns", "spec",
                          "securityContext", "fsGroup", (int)getgid() + 1, "volumes", "name", "cfg", "configMap",
                          "name", "c", "optional", 1, "defaultMode", 0400);
  vol_ctx v = {.pod = pod, .pod_dir = dir, .get = refresh_get, .absent = refresh_gone};
  refresh_object = json_pack("{s:{s:s}}", "data", "k", "v1");
  vol_refresh(&v);
  snprintf(path, sizeof path, "%s/k", vdir);
  CHECK_STR(slurp(path), "v1");
  struct stat st;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0440 && st.st_gid == getgid() + 1);
  json_decref(refresh_object);
  refresh_object = NULL;
  refresh_absent = 0; /* an error reading it: the files stay */
  vol_refresh(&v);
  CHECK(access(path, F_OK) == 0);
  refresh_absent = 1; /* gone: the volume is emptied */
  vol_refresh(&v);
  CHECK(access(path, F_OK) != 0);
  refresh_object = json_pack("{s:{s:s}}", "data", "k", "v2"); /* created again */
  vol_refresh(&v);
  CHECK_STR(slurp(path), "v2");
  json_decref(refresh_object);
  json_decref(pod);
  rt_remove_tree(dir);
}

static void test_service_env(void) {
  json_error_t e;
  json_t *svcs = json_loads("[{\"metadata\":{\"name\":\"redis-master\"},\"spec\":{\"clusterIP\":\"10.0.0.11\","
                            "\"ports\":[{\"name\":\"db-port\",\"port\":6379,\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}]}},"
                            "{\"metadata\":{\"name\":\"headless\"},\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}}]", 0, &e);
  json_t *master = json_loads("{\"metadata\":{\"name\":\"kubernetes\"},\"spec\":{\"clusterIP\":\"10.0.0.1\","
                              "\"ports\":[{\"name\":\"https\",\"port\":443,\"protocol\":\"TCP\"}]}}", 0, &e);
  char **env = service_env(svcs, master, "ns", true);
  CHECK_STR(envget(env, "REDIS_MASTER_SERVICE_HOST"), "10.0.0.11");
  CHECK_STR(envget(env, "REDIS_MASTER_SERVICE_PORT"), "6379");
  CHECK_STR(envget(env, "REDIS_MASTER_SERVICE_PORT_DB_PORT"), "6379");
  CHECK_STR(envget(env, "REDIS_MASTER_PORT"), "tcp://10.0.0.11:6379");
  CHECK_STR(envget(env, "REDIS_MASTER_PORT_53_UDP"), "udp://10.0.0.11:53");
  CHECK_STR(envget(env, "REDIS_MASTER_PORT_53_UDP_PROTO"), "udp");
  CHECK_STR(envget(env, "REDIS_MASTER_PORT_6379_TCP_ADDR"), "10.0.0.11");
  CHECK(envget(env, "HEADLESS_SERVICE_HOST") == NULL);
  CHECK_STR(envget(env, "KUBERNETES_SERVICE_HOST"), "10.0.0.1");
  CHECK_STR(envget(env, "KUBERNETES_SERVICE_PORT_HTTPS"), "443");
  for (char **p = env; *p; p++) free(*p);
  free(env);
  env = service_env(svcs, master, "ns", false); /* enableServiceLinks: false keeps the master's */
  CHECK(envget(env, "REDIS_MASTER_SERVICE_HOST") == NULL && envget(env, "KUBERNETES_SERVICE_HOST") != NULL);
  for (char **p = env; *p; p++) free(*p);
  free(env);
  json_decref(svcs);
  json_decref(master);
}

static void test_nanocores(void) {
  CHECK(rm_nanocores(100, 150, 1000, 100) == 500000000); /* 50 ticks of 10 ms in 1 s: half a core */
  CHECK(rm_nanocores(100, 100, 5000, 100) == 0);
  CHECK(rm_nanocores(200, 100, 5000, 100) == 0); /* a new process group: no negative usage */
}

/* kubelet's cgroup values: CFS quota = millicores * period / 1000, at least 1 ms; limits as plain numbers. */
static void test_cgroup_limits(void) {
  CHECK(cg_cpu_quota_us(200, 100000) == 20000);
  CHECK(cg_cpu_quota_us(1500, 100000) == 150000);
  CHECK(cg_cpu_quota_us(1, 100000) == 1000); /* 1m would be 100 us: kubelet's minimum */
  CHECK(cg_cpu_quota_us(-1, 100000) == -1);
  json_t *r = json_pack("{s:{s:s,s:s},s:{s:s}}", "limits", "memory", "64Mi", "cpu", "0.5", "requests", "cpu", "100m");
  CHECK(cg_memory_limit(r) == 64LL * 1024 * 1024);
  CHECK(cg_cpu_millicores(r) == 500);
  json_object_set_new(json_object_get(r, "limits"), "memory", json_string("1G"));
  CHECK(cg_memory_limit(r) == 1000000000LL);
  CHECK(cg_memory_limit(json_object_get(r, "requests")) == -1);
  CHECK(cg_cpu_millicores(NULL) == -1);
  json_decref(r);
}

TEST_MAIN(TEST(test_backoff), TEST(test_cgroup_limits), TEST(test_atomic_writer), TEST(test_nanocores), TEST(test_service_env), TEST(test_image_repository), TEST(test_image_argv), TEST(test_env), TEST(test_status),
          TEST(test_cidr), TEST(test_active_deadline), TEST(test_hook_messages),
          TEST(test_identity), TEST(test_image_setuid), TEST(test_optional_refresh),
          TEST(test_termination_message), TEST(test_pod_ips))
