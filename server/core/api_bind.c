/* api_bind.c - pods/binding in the API core (see api_bind in api.h): sets
 * spec.nodeName of an unbound pod once, with the PodScheduled condition,
 * refusing pods already bound or being deleted with kube-apiserver's
 * messages. The REST subresource and the in-process scheduler share it. */
#include "api_internal.h"
#include "timestamp.h"
#include <stdio.h>
#include <string.h>

static api_result failure(json_t *status) {
  return (api_result){(int)json_integer_value(json_object_get(status, "code")), status, NULL};
}

static void set_scheduled_condition(json_t *pod) {
  json_t *status = json_object_get(pod, "status");
  if (!json_is_object(status)) json_object_set_new(pod, "status", status = json_object());
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
  char now[32];
  rfc3339_now(now, sizeof now);
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    const char *t = json_string_value(json_object_get(c, "type"));
    if (t && !strcmp(t, "PodScheduled")) {
      json_array_remove(conds, i);
      break;
    }
  }
  json_array_append_new(conds, json_pack("{s:s,s:s,s:n,s:s}", "type", "PodScheduled", "status", "True",
                                         "lastProbeTime", "lastTransitionTime", now));
}

api_result api_bind(api_server *srv, const char *ns, const char *pod, const char *node, bool dry_run) {
  const resource *pods = registry_find("", "v1", "pods");
  if (!node || !*node)
    return failure(status_failure(500, NULL, "target.name: Required value", NULL)); /* a plain error in 1.20 */
  for (int attempt = 0; attempt < 16; attempt++) {
    cobj *cur = cache_get_latest(srv->cache, pods->bucket, ns, pod);
    if (!cur) return failure(status_not_found(pods, pod));
    const char *have = json_string_value(json_object_get(json_object_get(cur->obj, "spec"), "nodeName"));
    if (have && *have) {
      char why[512];
      snprintf(why, sizeof why, "pod %s is already assigned to node \"%s\"", pod, have);
      cobj_unref(cur);
      return failure(status_conflict(pods, pod, why));
    }
    if (meta_str(cur->obj, "deletionTimestamp")) {
      cobj_unref(cur);
      return failure(status_conflict(pods, pod, "pod is being deleted, cannot be assigned to a host"));
    }
    if (dry_run) {
      cobj_unref(cur);
      return (api_result){201, NULL, NULL};
    }
    json_t *obj = json_deep_copy(cur->obj);
    json_object_set_new(json_object_get(obj, "spec"), "nodeName", json_string(node));
    set_scheduled_condition(obj);
    api_result res = api_store_unchecked(srv, pods, ns, pod, obj, cur);
    cobj_unref(cur);
    if (res.code == 200) res.code = 201;
    if (res.code != 0) return res;
  }
  return failure(status_conflict(pods, pod, "the object has been modified; please apply your changes to the latest "
                                           "version and try again"));
}
