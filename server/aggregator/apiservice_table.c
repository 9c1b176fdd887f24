/* apiservice_table.c - see apiservice_table.h. An APIService's name is
 * "<version>.<group>" (validated on write), so a group/version is found by
 * its key without a scan; the group list sorts the remote APIServices as
 * kube-aggregator's apiServicesToGroups does. */
#include "apiservice_table.h"
#include "crd_version_order.h"
#include "json_path.h"
#include "registry.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const resource *apiservices(void) { return registry_find("apiregistration.k8s.io", "v1", "apiservices"); }

static bool is_remote(const json_t *obj) {
  return json_is_object(json_object_get(json_object_get(obj, "spec"), "service"));
}

cobj *apiservice_remote(cache *c, const char *group, const char *version) {
  const resource *r = apiservices();
  if (!r || !*group) return NULL;
  char name[512];
  snprintf(name, sizeof name, "%s.%s", version, group);
  cobj *o = cache_get(c, r->bucket, "", name);
  if (o && !is_remote(o->obj)) {
    cobj_unref(o);
    return NULL;
  }
  return o;
}

bool apiservice_any_remote(cache *c) {
  const resource *r = apiservices();
  if (!r || !cache_count(c, r->bucket)) return false;
  cobj_vec all = {0};
  cache_list(c, r->bucket, "", NULL, 0, &all);
  bool any = false;
  for (size_t i = 0; i < all.n && !any; i++) any = is_remote(all.items[i]->obj);
  cobj_vec_clear(&all);
  return any;
}

static long long spec_int(const json_t *o, const char *key) {
  return json_integer_value(json_object_get(json_object_get(o, "spec"), key));
}

static const char *spec_str(const json_t *o, const char *key) {
  return json_string_value(json_object_get(json_object_get(o, "spec"), key)) ?: "";
}

/* Group priority (highest first) then group name, then version priority
 * (highest first) then Kubernetes' version order. */
static int by_priority(const void *pa, const void *pb) {
  const json_t *a = (*(cobj *const *)pa)->obj, *b = (*(cobj *const *)pb)->obj;
  int c = strcmp(spec_str(a, "group"), spec_str(b, "group"));
  if (c) {
    long long ga = spec_int(a, "groupPriorityMinimum"), gb = spec_int(b, "groupPriorityMinimum");
    return ga != gb ? (ga > gb ? -1 : 1) : c;
  }
  long long va = spec_int(a, "versionPriority"), vb = spec_int(b, "versionPriority");
  if (va != vb) return va > vb ? -1 : 1;
  return crd_version_compare(spec_str(a, "version"), spec_str(b, "version"));
}

json_t *apiservice_remote_groups(cache *c) {
  json_t *groups = json_array();
  const resource *r = apiservices();
  if (!r || !cache_count(c, r->bucket)) return groups;
  cobj_vec all = {0};
  cache_list(c, r->bucket, "", NULL, 0, &all);
  size_t n = 0;
  for (size_t i = 0; i < all.n; i++) { /* keep the remote ones of groups the registry does not serve */
    const json_t *o = all.items[i]->obj;
    if (is_remote(o) && !registry_has_group_version(spec_str(o, "group"), spec_str(o, "version")))
      all.items[n++] = all.items[i];
    else cobj_unref(all.items[i]);
  }
  all.n = n;
  qsort(all.items, all.n, sizeof *all.items, by_priority);
  json_t *cur = NULL;
  for (size_t i = 0; i < all.n; i++) {
    const json_t *o = all.items[i]->obj;
    const char *group = spec_str(o, "group"), *version = spec_str(o, "version");
    if (!cur || strcmp(json_path_str0(cur, "name"), group) != 0) {
      cur = json_pack("{s:s,s:[],s:s}", "name", group, "versions", "preferredVersion", version);
      json_array_append_new(groups, cur);
    }
    json_array_append_new(json_object_get(cur, "versions"), json_string(version));
  }
  cobj_vec_clear(&all);
  return groups;
}
