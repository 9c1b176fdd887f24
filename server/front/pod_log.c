/* pod_log.c - GET pods/NAME/log, as kube-apiserver 1.20 answers it: the
 * PodLogOptions query (tailLines, limitBytes, sinceSeconds, sinceTime checked
 * as ValidatePodLogOptions does, 422 PodLogOptions), the container chosen as
 * LogLocation does (the only one, or a BadRequest naming the choices), a pod
 * not bound to a node answers an empty log. Bound pods: the container must
 * have a log to show, checked as kubelet's validateContainerLogStatus does
 * against the pod's status ("container "c" in pod "p" is waiting to start:
 * ContainerCreating", BadRequest). A simulated container runs no process, so
 * its log is empty; a real node's log comes from the node through its
 * call-home tunnel (node_tunnel.c), and a real node without one answers as
 * kube-apiserver does when it cannot reach the kubelet (500). */
#include "pod_log.h"
#include "table_output.h"
#include "api.h"
#include "field_errors.h"
#include "json_path.h"
#include "node_tunnel.h"
#include "status.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An integer query parameter: 0 absent, 1 present (*out set), -1 malformed. */
static int query_int(http_req *rq, const char *name, long long *out) {
  char buf[64];
  const char *s = http_query(rq, name, buf, sizeof buf);
  if (!s) return 0;
  char *end;
  errno = 0;
  *out = strtoll(s, &end, 10);
  return (!*s || *end || errno) ? -1 : 1;
}

/* ValidatePodLogOptions; NULL or a Status. */
static json_t *check_options(http_req *rq, const char *name) {
  static const char *const ints[] = {"tailLines", "limitBytes", "sinceSeconds", NULL};
  long long v[3];
  int have[3];
  char buf[64];
  for (int i = 0; ints[i]; i++) {
    have[i] = query_int(rq, ints[i], &v[i]);
    if (have[i] < 0)
      return status_bad_request("strconv.ParseInt: parsing \"%s\": invalid syntax",
                                http_query(rq, ints[i], buf, sizeof buf));
  }
  bool since_time = http_query(rq, "sinceTime", buf, sizeof buf) != NULL;
  field_errors *fe = field_errors_new();
  if (have[0] && v[0] < 0) fe_invalid_int(fe, "tailLines", v[0], "must be greater than or equal to 0");
  if (have[1] && v[1] < 1) fe_invalid_int(fe, "limitBytes", v[1], "must be greater than 0");
  if (have[2] && since_time) fe_forbidden(fe, "", "at most one of `sinceTime` or `sinceSeconds` may be specified");
  else if (have[2] && v[2] < 1) fe_invalid_int(fe, "sinceSeconds", v[2], "must be greater than 0");
  json_t *st = fe_count(fe) ? fe_to_status(fe, "", "PodLogOptions", name) : NULL;
  field_errors_free(fe);
  return st;
}

static bool has_container(const json_t *spec, const char *list, const char *name) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, list), i, c) {
    const char *n = json_string_value(json_object_get(c, "name"));
    if (n && !strcmp(n, name)) return true;
  }
  return false;
}

/* validateContainer: the container to show, or NULL and *st. */
static const char *choose_container(const json_t *pod, const char *name, const char *asked, json_t **st) {
  const json_t *spec = json_object_get(pod, "spec");
  if (asked && *asked) {
    if (has_container(spec, "initContainers", asked) || has_container(spec, "containers", asked) ||
        has_container(spec, "ephemeralContainers", asked))
      return asked;
    *st = status_bad_request("container %s is not valid for pod %s", asked, name);
    return NULL;
  }
  const json_t *cs = json_object_get(spec, "containers");
  if (json_array_size(cs) == 1) return json_string_value(json_object_get(json_array_get(cs, 0), "name"));
  if (!json_array_size(cs)) {
    *st = status_bad_request("a container name must be specified for pod %s", name);
    return NULL;
  }
  /* Go prints the []string as [a b c]: init containers, containers, ephemeral ones */
  char names[2048] = "";
  size_t n = 0;
  static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers", NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, lists[l]), i, c) if (n < sizeof names) n +=
        (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? " " : "", json_string_value(json_object_get(c, "name")) ?: "");
  }
  *st = status_bad_request("a container name must be specified for pod %s, choose one of: [%s]", name, names);
  return NULL;
}

static const json_t *container_status(const json_t *status, const char *container) {
  static const char *const lists[] = {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses",
                                      NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(status, lists[l]), i, c) {
      const char *n = json_string_value(json_object_get(c, "name"));
      if (n && !strcmp(n, container)) return c;
    }
  }
  return NULL;
}

static bool has_id(const json_t *terminated) {
  const char *id = json_string_value(json_object_get(terminated, "containerID"));
  return id && *id;
}

/* kubelet's validateContainerLogStatus: NULL when there is a log, else the
 * BadRequest it answers. */
static json_t *check_log_status(const json_t *pod, const char *name, const char *c, bool previous) {
  const json_t *cs = container_status(json_object_get(pod, "status"), c);
  if (!cs) return status_bad_request("container \"%s\" in pod \"%s\" is not available", c, name);
  const json_t *last = json_path(cs, "lastState.terminated");
  const json_t *state = json_object_get(cs, "state");
  const json_t *waiting = json_object_get(state, "waiting"), *terminated = json_object_get(state, "terminated");
  if (previous) {
    if (!has_id(last)) return status_bad_request("previous terminated container \"%s\" in pod \"%s\" not found", c, name);
    return NULL;
  }
  if (json_object_get(state, "running")) return NULL;
  if (terminated || last) {
    if ((terminated && has_id(terminated)) || has_id(last)) return NULL;
    return status_bad_request("container \"%s\" in pod \"%s\" is terminated", c, name);
  }
  if (waiting) {
    const char *reason = json_string_value(json_object_get(waiting, "reason")) ?: "";
    if (!strcmp(reason, "ErrImagePull"))
      return status_bad_request("container \"%s\" in pod \"%s\" is waiting to start: image can't be pulled", c, name);
    if (!strcmp(reason, "ImagePullBackOff"))
      return status_bad_request("container \"%s\" in pod \"%s\" is waiting to start: trying and failing to pull image",
                                c, name);
    return status_bad_request("container \"%s\" in pod \"%s\" is waiting to start: %s", c, name, reason);
  }
  return status_bad_request("container \"%s\" in pod \"%s\" is waiting to start - no logs yet", c, name);
}

/* A node that exists and is not simulated (label type=ckube-simulated). */
static bool real_node(cache *c, const char *name) {
  const resource *r = registry_find("", "v1", "nodes");
  cobj *n = r ? cache_get(c, r->bucket, "", name) : NULL;
  const char *type = n ? json_path_str(n->obj, "metadata.labels.type") : NULL;
  bool real = n && !(type && !strcmp(type, "ckube-simulated"));
  cobj_unref(n);
  return real;
}

void pod_log_get(http_req *rq) {
  json_t *st = check_options(rq, rq->name);
  if (st) {
    http_send_status(rq, st);
    return;
  }
  api_result res = api_get(rq->srv, rq->res, rq->ns, rq->name);
  if (res.code != 200) {
    http_send_result(rq, &res);
    return;
  }
  json_t *pod = api_result_json(&res);
  api_result_clear(&res);
  char buf[256];
  const char *c = choose_container(pod, rq->name, http_query(rq, "container", buf, sizeof buf), &st);
  const char *node = json_path_str(pod, "spec.nodeName");
  if (c && node && *node) st = check_log_status(pod, rq->name, c, http_query_bool(rq, "previous"));
  if (st) http_send_status(rq, st);
  else if (!node || !*node || !node_tunnel_pod_log(rq, node, pod, c)) {
    if (node && *node && real_node(rq->srv->cache, node))
      http_send_status(rq, status_internal("Get \"https://%s/containerLogs/%s/%s/%s\": node %s has no call-home "
                                           "connection", node, rq->ns, rq->name, c, node));
    else
      http_send(rq, 200, "text/plain", "", 0);
  }
  json_decref(pod);
}
