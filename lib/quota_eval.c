/* quota_eval.c - see quota_eval.h. */
#include "quota_eval.h"
#include "quantity.h"
#include "strutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static quantity parse_or_zero(const char *s) {
  quantity q;
  if (!s || quantity_parse(s, &q)) quantity_parse("0", &q);
  return q;
}

void quota_add(const char *a, const char *b, char *out, size_t len) {
  quantity x = parse_or_zero(a), y = parse_or_zero(b), z = quantity_add(&x, &y);
  quantity_format_str(&z, out, len);
}

void quota_sub(const char *a, const char *b, char *out, size_t len) {
  quantity x = parse_or_zero(a), y = parse_or_zero(b), z = quantity_sub(&x, &y);
  quantity_format_str(&z, out, len);
}

int quota_cmp(const char *a, const char *b) {
  quantity x = parse_or_zero(a), y = parse_or_zero(b);
  return quantity_cmp(&x, &y);
}

static void add_to(json_t *usage, const char *name, const char *value) {
  char sum[64];
  quota_add(json_string_value(json_object_get(usage, name)), value, sum, sizeof sum);
  json_object_set_new(usage, name, json_string(sum));
}

/* max(a, b) into usage[name] */
static void max_to(json_t *usage, const char *name, const char *value) {
  const char *cur = json_string_value(json_object_get(usage, name));
  if (!cur || quota_cmp(value, cur) > 0) json_object_set_new(usage, name, json_string(value));
}

json_t *quota_pod_resources(const json_t *spec, const char *field) {
  json_t *sum = json_object();
  size_t i;
  json_t *c;
  const char *k;
  json_t *v;
  json_array_foreach(json_object_get(spec, "containers"), i, c) {
    json_object_foreach(json_object_get(json_object_get(c, "resources"), field), k, v)
        add_to(sum, k, json_string_value(v));
  }
  json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
    json_object_foreach(json_object_get(json_object_get(c, "resources"), field), k, v)
        max_to(sum, k, json_string_value(v));
  }
  return sum;
}

static void pod_usage(const json_t *pod, json_t *u) {
  const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
  if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) return;
  json_object_set_new(u, "pods", json_string("1"));
  const json_t *spec = json_object_get(pod, "spec");
  static const char *const compute[] = {"cpu", "memory", "ephemeral-storage", NULL};
  json_t *req = quota_pod_resources(spec, "requests"), *lim = quota_pod_resources(spec, "limits");
  for (int i = 0; compute[i]; i++) {
    const char *r = json_string_value(json_object_get(req, compute[i]));
    const char *l = json_string_value(json_object_get(lim, compute[i]));
    char name[64];
    if (r) {
      json_object_set_new(u, compute[i], json_string(r));
      snprintf(name, sizeof name, "requests.%s", compute[i]);
      json_object_set_new(u, name, json_string(r));
    }
    if (l) {
      snprintf(name, sizeof name, "limits.%s", compute[i]);
      json_object_set_new(u, name, json_string(l));
    }
  }
  /* hugepages-* and extended resources (example.com/dongle) count as
   * requests.<name>, hugepages also under their own name */
  const char *k;
  json_t *v;
  json_object_foreach(req, k, v) {
    char name[300];
    bool huge = !strncmp(k, "hugepages-", 10);
    bool extended = strchr(k, '/') && strncmp(k, "kubernetes.io/", 14) && !strstr(k, ".kubernetes.io/") &&
                    strncmp(k, "requests.", 9);
    if (huge) json_object_set_new(u, k, json_copy(v));
    if (huge || extended) {
      snprintf(name, sizeof name, "requests.%s", k);
      json_object_set_new(u, name, json_copy(v));
    }
  }
  json_decref(req);
  json_decref(lim);
}

/* BestEffort QoS: no container asks for or limits cpu or memory. */
static bool best_effort(const json_t *spec) {
  static const char *const lists[] = {"containers", "initContainers", NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, lists[l]), i, c) {
      const json_t *res = json_object_get(c, "resources");
      static const char *const fields[] = {"requests", "limits", NULL};
      for (int f = 0; fields[f]; f++) {
        const json_t *rl = json_object_get(res, fields[f]);
        static const char *const names[] = {"cpu", "memory", NULL};
        for (int n = 0; names[n]; n++) {
          const char *q = json_string_value(json_object_get(rl, names[n]));
          if (q && quota_cmp(q, "0") != 0) return false;
        }
      }
    }
  }
  return true;
}

/* One scope selector requirement against a pod (podMatchesScopeFunc). */
static bool pod_matches_scope(const json_t *pod, const char *scope, const char *op, const json_t *values) {
  const json_t *spec = json_object_get(pod, "spec");
  const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
  bool terminating = json_is_integer(ads) && json_integer_value(ads) >= 0;
  bool matched;
  if (!strcmp(scope, "Terminating")) matched = terminating;
  else if (!strcmp(scope, "NotTerminating")) matched = !terminating;
  else if (!strcmp(scope, "BestEffort")) matched = best_effort(spec);
  else if (!strcmp(scope, "NotBestEffort")) matched = !best_effort(spec);
  else if (!strcmp(scope, "PriorityClass")) {
    /* a label selector over {PriorityClass: spec.priorityClassName} */
    const char *pc = json_string_value(json_object_get(spec, "priorityClassName"));
    if (!pc) pc = "";
    bool in = false;
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) in = in || (json_is_string(v) && !strcmp(json_string_value(v), pc));
    if (!strcmp(op, "In")) return in;
    if (!strcmp(op, "NotIn")) return !in;
    return !strcmp(op, "Exists");
  } else return false;
  /* the other scopes only take Exists (validation); DoesNotExist negates */
  return strcmp(op, "DoesNotExist") ? matched : !matched;
}

bool quota_matches_scopes(const json_t *quota_spec, const char *group, const char *plural, const json_t *obj) {
  const json_t *scopes = json_object_get(quota_spec, "scopes");
  const json_t *exprs = json_object_get(json_object_get(quota_spec, "scopeSelector"), "matchExpressions");
  if (!json_array_size(scopes) && !json_array_size(exprs)) return true;
  if ((group && *group) || strcmp(plural, "pods")) return false; /* only pods have scopes */
  size_t i;
  json_t *v;
  json_array_foreach(scopes, i, v) {
    if (!json_is_string(v) || !pod_matches_scope(obj, json_string_value(v), "Exists", NULL)) return false;
  }
  json_array_foreach(exprs, i, v) {
    const char *scope = json_string_value(json_object_get(v, "scopeName"));
    const char *op = json_string_value(json_object_get(v, "operator"));
    if (!scope || !op || !pod_matches_scope(obj, scope, op, json_object_get(v, "values"))) return false;
  }
  return true;
}

static void pvc_usage(const json_t *pvc, json_t *u) {
  const json_t *spec = json_object_get(pvc, "spec");
  const char *cls = json_string_value(json_object_get(spec, "storageClassName"));
  const char *storage =
      json_string_value(json_object_get(json_object_get(json_object_get(spec, "resources"), "requests"), "storage"));
  json_object_set_new(u, "persistentvolumeclaims", json_string("1"));
  if (storage) json_object_set_new(u, "requests.storage", json_string(storage));
  if (cls && *cls) {
    char name[300];
    snprintf(name, sizeof name, "%s.storageclass.storage.k8s.io/persistentvolumeclaims", cls);
    json_object_set_new(u, name, json_string("1"));
    if (storage) {
      snprintf(name, sizeof name, "%s.storageclass.storage.k8s.io/requests.storage", cls);
      json_object_set_new(u, name, json_string(storage));
    }
  }
}

static void service_usage(const json_t *svc, json_t *u) {
  const json_t *spec = json_object_get(svc, "spec");
  const char *type = json_string_value(json_object_get(spec, "type"));
  json_object_set_new(u, "services", json_string("1"));
  bool lb = type && !strcmp(type, "LoadBalancer"), np = type && !strcmp(type, "NodePort");
  char n[32];
  snprintf(n, sizeof n, "%d", lb ? 1 : 0);
  json_object_set_new(u, "services.loadbalancers", json_string(n));
  snprintf(n, sizeof n, "%zu", lb || np ? json_array_size(json_object_get(spec, "ports")) : 0);
  json_object_set_new(u, "services.nodeports", json_string(n));
}

json_t *quota_usage(const char *group, const char *plural, const json_t *obj) {
  json_t *u = json_object();
  bool core = !group || !*group;
  if (core && !strcmp(plural, "pods")) {
    pod_usage(obj, u);
    if (!json_object_get(u, "pods")) return u; /* a finished pod counts for nothing */
  } else if (core && !strcmp(plural, "persistentvolumeclaims")) {
    pvc_usage(obj, u);
  } else if (core && !strcmp(plural, "services")) {
    service_usage(obj, u);
  } else if (core && (!strcmp(plural, "configmaps") || !strcmp(plural, "secrets") ||
                      !strcmp(plural, "replicationcontrollers") || !strcmp(plural, "resourcequotas"))) {
    json_object_set_new(u, plural, json_string("1"));
  }
  char name[300];
  snprintf(name, sizeof name, "count/%s%s%s", plural, core ? "" : ".", core ? "" : group);
  json_object_set_new(u, name, json_string("1"));
  return u;
}

bool quota_name_kind(const char *name, char *group, size_t glen, char *plural, size_t plen) {
  const char *g = "", *p = NULL;
  if (!strncmp(name, "count/", 6)) {
    const char *rest = name + 6, *dot = strchr(rest, '.');
    snprintf(plural, plen, "%.*s", dot ? (int)(dot - rest) : (int)strlen(rest), rest);
    snprintf(group, glen, "%s", dot ? dot + 1 : "");
    return *plural != 0;
  }
  if (!strcmp(name, "persistentvolumeclaims") || !strcmp(name, "requests.storage") ||
      strstr(name, ".storageclass.storage.k8s.io/"))
    p = "persistentvolumeclaims";
  else if (!strcmp(name, "pods") || !strcmp(name, "cpu") || !strcmp(name, "memory") ||
           !strcmp(name, "ephemeral-storage") || !strncmp(name, "requests.", 9) || !strncmp(name, "limits.", 7))
    p = "pods";
  else if (!strncmp(name, "services", 8))
    p = "services";
  else if (!strcmp(name, "configmaps") || !strcmp(name, "secrets") || !strcmp(name, "replicationcontrollers") ||
           !strcmp(name, "resourcequotas"))
    p = name;
  if (!p) return false;
  snprintf(group, glen, "%s", g);
  snprintf(plural, plen, "%s", p);
  return true;
}

char *quota_pretty(const json_t *usage, const json_t *names) {
  size_t n = json_object_size(names), k = 0, len = 1;
  const char **keys = calloc(n + 1, sizeof *keys);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)names, key, v) keys[k++] = key;
  qsort(keys, k, sizeof *keys, strp_cmp);
  for (size_t i = 0; i < k; i++) {
    const char *val = json_string_value(json_object_get(usage, keys[i]));
    len += strlen(keys[i]) + strlen(val ? val : "0") + 2;
  }
  char *out = calloc(1, len);
  for (size_t i = 0; i < k; i++) {
    const char *val = json_string_value(json_object_get(usage, keys[i]));
    if (i) strcat(out, ",");
    strcat(out, keys[i]);
    strcat(out, "=");
    strcat(out, val ? val : "0");
  }
  free(keys);
  return out;
}
