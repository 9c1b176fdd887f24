/* pod_util.c - see pod_util.h. */
#include "pod_util.h"
#include "conditions.h"
#include "events.h"
#include <stdio.h>
#include <string.h>

bool pod_ready(const json_t *pod) { return cond_true(json_object_get(pod, "status"), "Ready"); }

const char *pod_phase(const json_t *pod) {
  const char *p = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
  return p ? p : "";
}

bool pod_in_endpoints(const json_t *pod, bool include_terminating) {
  const json_t *st = json_object_get(pod, "status");
  const char *ip = json_string_value(json_object_get(st, "podIP"));
  if ((!ip || !*ip) && !json_array_size(json_object_get(st, "podIPs"))) return false;
  if (!include_terminating && obj_deleting(pod)) return false;
  const char *policy = json_string_value(json_object_get(json_object_get(pod, "spec"), "restartPolicy"));
  const char *phase = pod_phase(pod);
  if (policy && !strcmp(policy, "Never")) return strcmp(phase, "Failed") && strcmp(phase, "Succeeded");
  if (policy && !strcmp(policy, "OnFailure")) return strcmp(phase, "Succeeded") != 0;
  return true;
}

long pod_find_port(const json_t *pod, const json_t *service_port) {
  const json_t *target = json_object_get(service_port, "targetPort");
  if (json_is_integer(target)) return (long)json_integer_value(target);
  const char *name = json_string_value(target);
  if (!name) return (long)json_integer_value(json_object_get(service_port, "port"));
  const char *proto = json_string_value(json_object_get(service_port, "protocol"));
  size_t i, j;
  json_t *c, *p;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
    json_array_foreach(json_object_get(c, "ports"), j, p) {
      const char *pn = json_string_value(json_object_get(p, "name"));
      const char *pp = json_string_value(json_object_get(p, "protocol"));
      if (pn && !strcmp(pn, name) && !strcmp(pp ? pp : "TCP", proto ? proto : "TCP"))
        return (long)json_integer_value(json_object_get(p, "containerPort"));
    }
  }
  return -1;
}

bool pod_sets_hostname(const json_t *pod, const json_t *svc) {
  const json_t *spec = json_object_get(pod, "spec");
  const char *host = json_string_value(json_object_get(spec, "hostname"));
  const char *sub = json_string_value(json_object_get(spec, "subdomain"));
  return host && *host && sub && !strcmp(sub, obj_name(svc)) && !strcmp(obj_ns(pod), obj_ns(svc));
}

bool service_selects(const json_t *svc, const json_t *labels) {
  const json_t *sel = json_object_get(json_object_get(svc, "spec"), "selector");
  if (!json_is_object(sel)) return false;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)sel, k, v) {
    const char *have = json_string_value(json_object_get(labels, k));
    if (!have || !json_is_string(v) || strcmp(have, json_string_value(v))) return false;
  }
  return true;
}

static const json_t *labels_of(const json_t *o) {
  return json_object_get(json_object_get(o, "metadata"), "labels");
}

void service_pods(const ctrl_context *cctx, const json_t *svc, cobj_vec *out) {
  cobj_vec pods = {0};
  ctrl_list(cctx, "", "v1", "pods", obj_ns(svc), &pods);
  for (size_t i = 0; i < pods.n; i++)
    if (service_selects(svc, labels_of(pods.items[i]->obj))) cobj_vec_push(out, cobj_ref(pods.items[i]));
  cobj_vec_clear(&pods);
}

void enqueue_services_of_pod(void *ctx, cache_event_type type, const cobj *obj, const cobj *prev) {
  cobj_vec svcs = {0};
  ctrl_list(ctrl_context_of(ctx), "", "v1", "services", obj_ns(obj->obj), &svcs);
  for (size_t i = 0; i < svcs.n; i++) {
    const json_t *svc = svcs.items[i]->obj;
    if (service_selects(svc, labels_of(obj->obj)) || (prev && service_selects(svc, labels_of(prev->obj))))
      ctrl_add(ctx, informer_key(svcs.items[i]));
  }
  cobj_vec_clear(&svcs);
}

int pod_create_for(const ctrl_context *cctx, const json_t *owner, const json_t *tmpl, const char *component) {
  const resource *r = registry_find("", "v1", "pods");
  const json_t *tmd = json_object_get(tmpl, "metadata");
  char gen[256];
  snprintf(gen, sizeof gen, "%s-", obj_name(owner));
  json_t *md = json_pack("{s:s,s:s,s:[o]}", "generateName", gen, "namespace", obj_ns(owner), "ownerReferences",
                         controller_ref(owner));
  static const char *const copied[] = {"labels", "annotations", "finalizers", NULL};
  for (int i = 0; copied[i]; i++)
    if (json_object_get(tmd, copied[i])) json_object_set_new(md, copied[i], json_deep_copy(json_object_get(tmd, copied[i])));
  /* a copy: admission and defaulting change the pod, tmpl belongs to a published owner */
  const json_t *spec = json_object_get(tmpl, "spec");
  json_t *pod = json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", md, "spec",
                          spec ? json_deep_copy(spec) : json_object());
  api_opts o = {0};
  api_result res = api_create(cctx->srv, r, obj_ns(owner), pod, &o);
  json_t *got = api_result_json(&res);
  if (res.code < 300)
    event_record(cctx, owner, component, "Normal", "SuccessfulCreate", "Created pod: %s", obj_name(got));
  else
    event_record(cctx, owner, component, "Warning", "FailedCreate", "Error creating: %s",
                 json_string_value(json_object_get(got, "message")));
  json_decref(got);
  int code = res.code;
  api_result_clear(&res);
  return code;
}

int pod_delete_for(const ctrl_context *cctx, const json_t *owner, const json_t *pod, const char *component) {
  int code = ctrl_delete(cctx, "", "v1", "pods", obj_ns(pod), obj_name(pod), NULL);
  if (code < 300)
    event_record(cctx, owner, component, "Normal", "SuccessfulDelete", "Deleted pod: %s", obj_name(pod));
  else if (code != 404)
    event_record(cctx, owner, component, "Warning", "FailedDelete", "Error deleting: pod %s: error %d", obj_name(pod),
                 code);
  return code;
}
