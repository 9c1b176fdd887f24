/* simulate_config.c - see simulate_config.h. Follows kubelet 1.20's
 * makeEnvironmentVariables (envFrom first, then env in order; optional
 * references may be missing; $(VAR) expands from the variables so far) and
 * makeMounts' subPathExpr handling (ExpandContainerVolumeMounts, then the
 * absolute-path and ValidatePathNoBacksteps checks). Service link variables
 * are left out: they never make a configuration fail. */
#include "simulate_config.h"
#include "json_path.h"
#include "https_client.h"
#include "quantity.h"
#include "strmap.h"
#include <math.h>
#include <mbedtls/base64.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const json_t *pod;
  const char *ns, *host_ip, *pod_ip;
  sim_get_fn get;
  void *ctx;
  strmap *objs;  /* "configmaps/name" -> object, or the json null for "not found" */
  strmap *env;   /* the container's variables: name -> malloc'd value */
} cfg;

/* The object, fetched once per pod; NULL when it does not exist. */
static const json_t *lookup(cfg *c, const char *plural, const char *name) {
  char key[512];
  snprintf(key, sizeof key, "%s/%s", plural, name);
  json_t *o = strmap_get(c->objs, key);
  if (!o) {
    o = c->get(c->ctx, plural, c->ns, name);
    strmap_put(c->objs, key, o ? o : json_null());
  }
  return json_is_null(o) ? NULL : o;
}

static void set_env(cfg *c, const char *name, const char *value) {
  free(strmap_put(c->env, name, strdup(value)));
}

/* A Secret's value, decoded from base64. Caller frees. */
static char *secret_value(const char *b64) {
  size_t n = 0, len = strlen(b64);
  char *out = malloc(len + 1);
  if (mbedtls_base64_decode((unsigned char *)out, len, &n, (const unsigned char *)b64, len)) n = 0;
  out[n] = 0;
  return out;
}

/* expansion.Expand: $(VAR) from the variables (kept as written when unknown,
 * or recorded in missing when strict), $$ -> $. Caller frees. */
static char *expand(cfg *c, const char *in, char *missing, size_t mlen) {
  size_t cap = strlen(in) * 2 + 64, n = 0;
  char *out = malloc(cap);
  for (const char *p = in; *p;) {
    const char *val = NULL;
    size_t adv = 1, vlen = 0;
    if (p[0] == '$' && p[1] == '$') {
      val = "$", vlen = 1, adv = 2;
    } else if (p[0] == '$' && p[1] == '(' && strchr(p + 2, ')')) {
      const char *end = strchr(p + 2, ')');
      char name[256];
      snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
      const char *v = strmap_get(c->env, name);
      if (missing && (!v || !*v)) {
        size_t ml = strlen(missing);
        if (!strstr(missing, name)) snprintf(missing + ml, mlen - ml, "%s%s", ml ? ", " : "", name);
        v = "";
      }
      if (v) val = v, vlen = strlen(v), adv = (size_t)(end - p) + 1;
      else val = p, vlen = (size_t)(end - p) + 1, adv = vlen;
    } else {
      val = p, vlen = 1;
    }
    if (n + vlen + 1 > cap) out = realloc(out, cap = (n + vlen) * 2 + 64);
    memcpy(out + n, val, vlen);
    n += vlen;
    p += adv;
  }
  out[n] = 0;
  return out;
}

/* podFieldSelectorRuntimeValue for the downward API paths kubelet knows. */
static void field_value(cfg *c, const char *path, char *out, size_t len) {
  const json_t *md = json_object_get(c->pod, "metadata"), *spec = json_object_get(c->pod, "spec");
  char key[256];
  out[0] = 0;
  if (!strcmp(path, "metadata.name")) snprintf(out, len, "%s", json_str(md, "name") ?: "");
  else if (!strcmp(path, "metadata.namespace")) snprintf(out, len, "%s", c->ns);
  else if (!strcmp(path, "metadata.uid")) snprintf(out, len, "%s", json_str(md, "uid") ?: "");
  else if (!strcmp(path, "spec.nodeName")) snprintf(out, len, "%s", json_str(spec, "nodeName") ?: "");
  else if (!strcmp(path, "spec.serviceAccountName")) snprintf(out, len, "%s", json_str(spec, "serviceAccountName") ?: "");
  else if (!strcmp(path, "status.hostIP")) snprintf(out, len, "%s", c->host_ip);
  else if (!strcmp(path, "status.podIP") || !strcmp(path, "status.podIPs")) snprintf(out, len, "%s", c->pod_ip);
  else if (sscanf(path, "metadata.labels['%255[^']']", key) == 1)
    snprintf(out, len, "%s", json_str(json_object_get(md, "labels"), key) ?: "");
  else if (sscanf(path, "metadata.annotations['%255[^']']", key) == 1)
    snprintf(out, len, "%s", json_str(json_object_get(md, "annotations"), key) ?: "");
}

static char node_cpu[64] = "1", node_memory[64] = "1Gi";

void sim_config_set_node_allocatable(const char *cpu, const char *memory) {
  snprintf(node_cpu, sizeof node_cpu, "%s", cpu);
  snprintf(node_memory, sizeof node_memory, "%s", memory);
}

/* ExtractResourceValueByContainerName: limits.* default to the node's
 * allocatable; cpu rounds up to whole divisors, others too (divisor 1). */
static void resource_value(cfg *c, const json_t *ctr, const json_t *ref, char *out, size_t len) {
  const char *cname = json_str(ref, "containerName"), *res = json_str(ref, "resource") ?: "";
  if (cname && *cname) {
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(json_object_get(c->pod, "spec"), "containers"), i, x)
      if (!strcmp(json_str(x, "name") ?: "", cname)) ctr = x;
  }
  bool limit = strlen(res) > 7 && !memcmp(res, "limits.", 7);
  const char *kind = strchr(res, '.') ? strchr(res, '.') + 1 : res;
  const char *have = json_str(json_object_get(json_object_get(ctr, "resources"), limit ? "limits" : "requests"), kind);
  if (!have && limit) have = !strcmp(kind, "cpu") ? node_cpu : !strcmp(kind, "memory") ? node_memory : NULL;
  quantity q = {0}, d = {0};
  if (!have || quantity_parse(have, &q)) have = "0", quantity_parse("0", &q);
  if (quantity_parse(json_str(ref, "divisor") ?: "1", &d) || quantity_milli(&d) <= 0) quantity_parse("1", &d);
  double v = !strcmp(kind, "cpu") ? ceil((double)quantity_milli(&q) / (double)quantity_milli(&d))
                                  : ceil((double)quantity_value(&q) / (double)quantity_value(&d));
  snprintf(out, len, "%.0f", v);
}

static bool optional(const json_t *ref) { return json_is_true(json_object_get(ref, "optional")); }

/* envFrom then env; -1 with why on the first failure. */
static int environment(cfg *c, const json_t *ctr, char *why, size_t wlen) {
  size_t i;
  json_t *from;
  json_array_foreach(json_object_get(ctr, "envFrom"), i, from) {
    const json_t *ref = json_object_get(from, "configMapRef");
    bool secret = !ref;
    if (secret) ref = json_object_get(from, "secretRef");
    if (!ref) continue;
    const char *name = json_str(ref, "name") ?: "";
    const json_t *obj = lookup(c, secret ? "secrets" : "configmaps", name);
    if (!obj) {
      if (optional(ref)) continue;
      snprintf(why, wlen, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
      return -1;
    }
    const char *prefix = json_str(from, "prefix") ?: "", *k;
    json_t *v;
    json_object_foreach(json_object_get(obj, "data"), k, v) {
      char name2[512];
      snprintf(name2, sizeof name2, "%s%s", prefix, k);
      char *val = secret ? secret_value(json_string_value(v) ?: "") : strdup(json_string_value(v) ?: "");
      set_env(c, name2, val);
      free(val);
    }
  }
  json_t *e;
  json_array_foreach(json_object_get(ctr, "env"), i, e) {
    const char *name = json_str(e, "name") ?: "", *value = json_str(e, "value");
    const json_t *from2 = json_object_get(e, "valueFrom");
    char buf[1024] = "";
    char *val = NULL;
    if (value && *value) {
      val = expand(c, value, NULL, 0);
    } else if (json_object_get(from2, "fieldRef")) {
      field_value(c, json_str(json_object_get(from2, "fieldRef"), "fieldPath") ?: "", buf, sizeof buf);
    } else if (json_object_get(from2, "resourceFieldRef")) {
      resource_value(c, ctr, json_object_get(from2, "resourceFieldRef"), buf, sizeof buf);
    } else if (json_object_get(from2, "configMapKeyRef") || json_object_get(from2, "secretKeyRef")) {
      bool secret = !json_object_get(from2, "configMapKeyRef");
      const json_t *ref = json_object_get(from2, secret ? "secretKeyRef" : "configMapKeyRef");
      const char *ref_name = json_str(ref, "name") ?: "", *key = json_str(ref, "key") ?: "";
      const json_t *obj = lookup(c, secret ? "secrets" : "configmaps", ref_name);
      if (!obj) {
        if (optional(ref)) continue;
        snprintf(why, wlen, "%s \"%s\" not found", secret ? "secret" : "configmap", ref_name);
        return -1;
      }
      const char *raw = json_str(json_object_get(obj, "data"), key);
      if (!raw) {
        if (optional(ref)) continue;
        snprintf(why, wlen, "couldn't find key %s in %s %s/%s", key, secret ? "Secret" : "ConfigMap", c->ns, ref_name);
        return -1;
      }
      val = secret ? secret_value(raw) : strdup(raw);
    }
    set_env(c, name, val ? val : buf);
    free(val);
  }
  return 0;
}

/* makeMounts' subPathExpr checks; -1 with why. */
static int mounts(cfg *c, const json_t *ctr, char *why, size_t wlen) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(ctr, "volumeMounts"), i, m) {
    const char *expr = json_str(m, "subPathExpr");
    if (!expr || !*expr) continue;
    char missing[512] = "";
    char *sub = expand(c, expr, missing, sizeof missing);
    int rc = 0;
    if (missing[0]) {
      snprintf(why, wlen, "missing value for %s", missing);
      rc = -1;
    } else if (sub[0] == '/') {
      snprintf(why, wlen, "error SubPath `%s` must not be an absolute path", sub);
      rc = -1;
    } else {
      for (char *part = sub, *end; part && !rc; part = end ? end + 1 : NULL) {
        end = strchr(part, '/');
        if ((end ? (size_t)(end - part) : strlen(part)) == 2 && !strncmp(part, "..", 2)) {
          snprintf(why, wlen, "unable to provision SubPath `%s`: must not contain '..'", sub);
          rc = -1;
        }
      }
    }
    free(sub);
    if (rc) return rc;
  }
  return 0;
}

int sim_config_needs_lookups(const json_t *pod) {
  static const char *const lists[] = {"initContainers", "containers", NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i, j;
    json_t *ctr, *e;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, ctr) {
      if (json_array_size(json_object_get(ctr, "envFrom"))) return 1;
      json_array_foreach(json_object_get(ctr, "env"), j, e) {
        const json_t *from = json_object_get(e, "valueFrom");
        if (json_object_get(from, "configMapKeyRef") || json_object_get(from, "secretKeyRef")) return 1;
      }
    }
  }
  return 0;
}

int sim_config_check(const json_t *pod, const char *host_ip, const char *pod_ip, sim_get_fn get, void *ctx,
                     char *container, size_t clen, char *why, size_t wlen) {
  cfg c = {.pod = pod, .host_ip = host_ip, .pod_ip = pod_ip, .get = get, .ctx = ctx, .objs = strmap_new()};
  c.ns = json_str(json_object_get(pod, "metadata"), "namespace") ?: "default";
  int rc = 0;
  static const char *const lists[] = {"initContainers", "containers", NULL};
  for (int l = 0; lists[l] && !rc; l++) {
    size_t i;
    json_t *ctr;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, ctr) {
      c.env = strmap_new();
      rc = environment(&c, ctr, why, wlen);
      if (!rc) rc = mounts(&c, ctr, why, wlen);
      strmap_free(c.env, free);
      if (rc) {
        snprintf(container, clen, "%s", json_str(ctr, "name") ?: "");
        break;
      }
    }
  }
  strmap_free(c.objs, (void (*)(void *))json_decref);
  return rc;
}

/* Expands every string of the array under key of ctr in place. */
static void expand_list(cfg *c, json_t *ctr, const char *key) {
  json_t *a = json_object_get(ctr, key);
  size_t i;
  json_t *w;
  json_array_foreach(a, i, w) {
    char *x = expand(c, json_string_value(w) ?: "", NULL, 0);
    json_array_set_new(a, i, json_string(x));
    free(x);
  }
}

/* kubelet's ExpandContainerVolumeMounts: a mount's subPathExpr becomes its subPath (checked by mounts()). */
static void expand_subpaths(cfg *c, json_t *ctr) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(ctr, "volumeMounts"), i, m) {
    const char *expr = json_str(m, "subPathExpr");
    if (!expr || !*expr) continue;
    char *x = expand(c, expr, NULL, 0);
    json_object_set_new(m, "subPath", json_string(x));
    json_object_del(m, "subPathExpr");
    free(x);
  }
}

char **sim_config_env(const json_t *pod, const json_t *ctr, const char *host_ip, const char *pod_ip, sim_get_fn get,
                      void *ctx, char *const *base, json_t **expanded, char *why, size_t wlen) {
  cfg c = {.pod = pod, .host_ip = host_ip, .pod_ip = pod_ip, .get = get, .ctx = ctx, .objs = strmap_new(),
           .env = strmap_new()};
  for (char *const *b = base; b && *b; b++) { /* service links first: the container's own env wins */
    const char *eq = strchr(*b, '=');
    if (!eq) continue;
    char name[512];
    snprintf(name, sizeof name, "%.*s", (int)(eq - *b), *b);
    set_env(&c, name, eq + 1);
  }
  c.ns = json_str(json_object_get(pod, "metadata"), "namespace") ?: "default";
  char **list = NULL;
  if (!environment(&c, ctr, why, wlen) && !mounts(&c, ctr, why, wlen)) {
    size_t n = 0;
    strmap_iter it = {0};
    while (strmap_next(c.env, &it)) {
      list = realloc(list, (n + 2) * sizeof *list);
      size_t l = strlen(it.key) + strlen(it.value) + 2;
      list[n] = malloc(l);
      snprintf(list[n++], l, "%s=%s", it.key, (const char *)it.value);
    }
    if (!list) list = calloc(1, sizeof *list);
    list[n] = NULL;
    *expanded = json_deep_copy(ctr);
    expand_list(&c, *expanded, "command");
    expand_list(&c, *expanded, "args");
    expand_subpaths(&c, *expanded);
  }
  strmap_free(c.env, free);
  strmap_free(c.objs, (void (*)(void *))json_decref);
  return list;
}

void sim_config_downward(const json_t *pod, const json_t *ctr, const json_t *item, const char *host_ip,
                         const char *pod_ip, char *out, size_t len) {
  cfg c = {.pod = pod, .host_ip = host_ip, .pod_ip = pod_ip};
  c.ns = json_str(json_object_get(pod, "metadata"), "namespace") ?: "default";
  out[0] = 0;
  const json_t *field = json_object_get(item, "fieldRef"), *res = json_object_get(item, "resourceFieldRef");
  const char *path = json_str(field, "fieldPath") ?: "";
  if (field && (!strcmp(path, "metadata.labels") || !strcmp(path, "metadata.annotations"))) {
    /* every pair as key="value", one a line, sorted (fieldpath.FormatMap) */
    const json_t *m = json_object_get(json_object_get(pod, "metadata"), path + 9);
    const char **keys = calloc(json_object_size(m) + 1, sizeof *keys);
    size_t n = 0, used = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v) keys[n++] = k;
    for (size_t i = 1; i < n; i++)
      for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
        const char *t = keys[j];
        keys[j] = keys[j - 1];
        keys[j - 1] = t;
      }
    for (size_t i = 0; i < n && used < len; i++)
      used += (size_t)snprintf(out + used, len - used, "%s%s=\"%s\"", i ? "\n" : "", keys[i],
                               json_string_value(json_object_get(m, keys[i])) ?: "");
    free(keys);
  } else if (field) {
    field_value(&c, path, out, len);
  } else if (res) {
    resource_value(&c, ctr, res, out, len);
  }
}

json_t *sim_get_object(void *ctx, const char *plural, const char *ns, const char *name) {
  char path[800];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/%s/%s", ns, plural, name);
  json_t *out = NULL;
  if (https_call(ctx, "GET", path, NULL, NULL, &out) == 200) return out;
  json_decref(out);
  return NULL;
}
