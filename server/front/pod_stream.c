/* pod_stream.c - see pod_stream.h. The pod is read from the watch cache;
 * a pod with one container needs no container parameter. */
#include "pod_stream.h"
#include "api.h"
#include "webhook.h"
#include <civetweb.h>
#include <stdio.h>
#include <string.h>

bool pod_stream_path(const char *uri, char *ns, char *pod, char *kind) {
  return sscanf(uri, "/api/v1/namespaces/%255[^/]/pods/%255[^/]/%15s", ns, pod, kind) == 3 &&
         (!strcmp(kind, "exec") || !strcmp(kind, "attach") || !strcmp(kind, "portforward"));
}

json_t *pod_stream_failure(const char *reason, int code, const char *message) {
  return json_pack("{s:{},s:s,s:s,s:s,s:i}", "metadata", "status", "Failure", "message", message, "reason", reason,
                   "code", code);
}

json_t *pod_stream_exit_status(const json_t *line, int code) {
  if (code == 0) return json_pack("{s:{},s:s}", "metadata", "status", "Success");
  char cmd[600] = "", msg[800], num[16];
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(line, "command"), i, a)
    snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", i ? " " : "", json_string_value(a));
  snprintf(msg, sizeof msg, "command terminated with non-zero exit code: error executing command [%s], exit code %d",
           cmd, code);
  snprintf(num, sizeof num, "%d", code);
  return json_pack("{s:{},s:s,s:s,s:s,s:{s:[{s:s,s:s}]}}", "metadata", "status", "Failure", "message", msg, "reason",
                   "NonZeroExitCode", "details", "causes", "reason", "ExitCode", "message", num);
}

json_t *pod_stream_node_failure(int status, const char *message) {
  bool refused = status == 400 || status == 404;
  return pod_stream_failure(refused ? "BadRequest" : "InternalError", refused ? 400 : 500,
                            message ? message : "the node did not answer");
}

/* A query flag as kubelet reads it: "true" or "1". */
static bool query_flag(const char *q, const char *name) {
  char buf[16];
  return mg_get_var(q, strlen(q), name, buf, sizeof buf) >= 0 && (!strcmp(buf, "true") || !strcmp(buf, "1"));
}

json_t *pod_stream_request(cache *c, const char *ns, const char *pod, const char *kind, const char *query, char *node,
                           size_t node_len, json_t **status) {
  const char *q = query ? query : "";
  char msg[700];
  const resource *r = registry_find("", "v1", "pods");
  cobj *o = r ? cache_get(c, r->bucket, ns, pod) : NULL;
  if (!o) {
    snprintf(msg, sizeof msg, "pods \"%s\" not found", pod);
    *status = pod_stream_failure("NotFound", 404, msg);
    return NULL;
  }
  const json_t *spec = json_object_get(o->obj, "spec"), *md = json_object_get(o->obj, "metadata");
  const char *nodename = json_string_value(json_object_get(spec, "nodeName"));
  json_t *containers = json_object_get(spec, "containers");
  char buf[4096], container[256] = "";
  if (mg_get_var(q, strlen(q), "container", buf, sizeof buf) > 0) snprintf(container, sizeof container, "%s", buf);
  if (!*container && json_array_size(containers) == 1)
    snprintf(container, sizeof container, "%s",
             json_string_value(json_object_get(json_array_get(containers, 0), "name")) ?: "");
  *status = NULL;
  if (!*container && strcmp(kind, "portforward")) {
    snprintf(msg, sizeof msg, "a container name must be specified for pod %s", pod);
    *status = pod_stream_failure("BadRequest", 400, msg);
  } else if (!nodename || !*nodename) {
    snprintf(msg, sizeof msg, "pod %s does not have a host assigned", pod);
    *status = pod_stream_failure("BadRequest", 400, msg);
  }
  json_t *line = NULL;
  if (!*status) {
    snprintf(node, node_len, "%s", nodename);
    const char *ip = json_string_value(json_object_get(json_object_get(o->obj, "status"), "podIP"));
    line = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", kind, "namespace", ns, "pod", pod, "podUID",
                     json_string_value(json_object_get(md, "uid")) ?: "", "podIP", ip ? ip : "", "container",
                     container);
    json_t *command = json_array();
    for (int i = 0; mg_get_var2(q, strlen(q), "command", buf, sizeof buf, (size_t)i) >= 0; i++)
      json_array_append_new(command, json_string(buf));
    json_object_set_new(line, "command", command);
    static const char *const flags[] = {"stdin", "stdout", "stderr", "tty"};
    for (int i = 0; i < 4; i++) json_object_set_new(line, flags[i], json_boolean(query_flag(q, flags[i])));
  }
  cobj_unref(o);
  return line;
}

json_t *pod_stream_admit(cache *c, const json_t *user, const char *ns, const char *pod, const char *kind,
                         const char *query) {
  json_t *options = webhook_connect_options("pods", kind, query, NULL);
  json_t *st = webhook_connect(c, user, "pods", kind, ns, pod, options);
  json_decref(options);
  return st;
}

json_t *pod_stream_no_tunnel(const char *node) {
  char msg[400];
  snprintf(msg, sizeof msg, "error dialing backend: node %s has no call-home connection", node);
  return pod_stream_failure("InternalError", 500, msg);
}
