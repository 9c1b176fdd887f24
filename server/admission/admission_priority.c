/* admission_priority.c - kube-apiserver 1.20's Priority admission plugin:
 * a pod being created gets spec.priority (and preemptionPolicy) from the
 * PriorityClass its priorityClassName names, or from the globalDefault class
 * when it names none (priority 0 without one); an unknown class, or a
 * priority/preemptionPolicy in the pod that differs from the class, is
 * Forbidden. A PriorityClass may only be globalDefault when no other is. */
#include "admission.h"
#include "status.h"
#include <stdio.h>
#include <string.h>

static const char *name_of(const json_t *o) {
  return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}

/* The globalDefault PriorityClass other than skip (a new reference), or NULL. */
static cobj *global_default(cache *c, const resource *pcr, const char *skip) {
  cobj_vec all = {0};
  cache_list(c, pcr->bucket, "", NULL, 0, &all);
  cobj *found = NULL;
  for (size_t i = 0; i < all.n && !found; i++) {
    const json_t *pc = all.items[i]->obj;
    if (!json_is_true(json_object_get(pc, "globalDefault"))) continue;
    if (skip && name_of(pc) && !strcmp(name_of(pc), skip)) continue;
    found = all.items[i];
    cobj_ref(found);
  }
  cobj_vec_clear(&all);
  return found;
}

static json_t *admit_pod(cache *c, const resource *r, const resource *pcr, const char *name, json_t *pod) {
  json_t *spec = json_object_get(pod, "spec");
  const char *pcname = json_string_value(json_object_get(spec, "priorityClassName"));
  cobj *pc = NULL;
  if (pcname && *pcname) {
    pc = cache_get(c, pcr->bucket, "", pcname);
    if (!pc) {
      char why[400];
      snprintf(why, sizeof why, "no PriorityClass with name %s was found", pcname);
      return status_forbidden(r, name, why);
    }
  } else {
    pc = global_default(c, pcr, NULL);
  }
  json_int_t value = pc ? json_integer_value(json_object_get(pc->obj, "value")) : 0;
  const char *policy = pc ? json_string_value(json_object_get(pc->obj, "preemptionPolicy")) : NULL;
  if (!policy) policy = "PreemptLowerPriority";
  const json_t *given = json_object_get(spec, "priority");
  const char *given_policy = json_string_value(json_object_get(spec, "preemptionPolicy"));
  char why[400] = "";
  if (json_is_integer(given) && json_integer_value(given) != value)
    snprintf(why, sizeof why,
             "the integer value of priority (%lld) must not be provided in pod spec; priority admission controller "
             "computed %lld from the given PriorityClass name",
             (long long)json_integer_value(given), (long long)value);
  else if (given_policy && strcmp(given_policy, policy))
    snprintf(why, sizeof why,
             "the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission "
             "controller computed %s from the given PriorityClass name",
             given_policy, policy);
  if (*why) {
    cobj_unref(pc);
    return status_forbidden(r, name, why);
  }
  if (pc && (!pcname || !*pcname)) json_object_set_new(spec, "priorityClassName", json_string(name_of(pc->obj)));
  json_object_set_new(spec, "priority", json_integer(value));
  json_object_set_new(spec, "preemptionPolicy", json_string(policy));
  cobj_unref(pc);
  return NULL;
}

json_t *admit_priority(cache *c, const resource *r, const char *name, json_t *obj, const json_t *old) {
  const resource *pcr = registry_find("scheduling.k8s.io", "v1", "priorityclasses");
  if (!pcr) return NULL;
  if (!r->ref.group[0] && !strcmp(r->ref.plural, "pods")) return old ? NULL : admit_pod(c, r, pcr, name, obj);
  if (strcmp(r->ref.group, "scheduling.k8s.io") || strcmp(r->ref.plural, "priorityclasses")) return NULL;
  if (!json_is_true(json_object_get(obj, "globalDefault"))) return NULL;
  cobj *other = global_default(c, pcr, name_of(obj));
  if (!other) return NULL;
  char why[600];
  snprintf(why, sizeof why, "PriorityClass %s is already marked as default. Only one default can exist",
           name_of(other->obj));
  cobj_unref(other);
  return status_forbidden(r, name, why);
}
