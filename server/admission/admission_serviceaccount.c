/* admission_serviceaccount.c - see admission_serviceaccount.h; follows
 * plugin/pkg/admission/serviceaccount (1.20, legacy token Secrets). The
 * plugin's live lookup retries for the default account become waits on the
 * cache here: up to 2 s for the account and its token, which the in-process
 * controllers create right after a namespace appears. */
#include "admission_serviceaccount.h"
#include "object_meta.h"
#include "status.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MOUNT_PATH "/var/run/secrets/kubernetes.io/serviceaccount"
#define TOKEN_TYPE "kubernetes.io/service-account-token"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Name of a token Secret the account references that exists (borrowed from
 * the returned cobj's lifetime: copied into out), or "". */
static void referenced_token(cache *c, const char *ns, const json_t *sa, char *out, size_t len) {
  const resource *sr = registry_find("", "v1", "secrets");
  out[0] = 0;
  size_t i;
  const json_t *ref;
  json_array_foreach(json_object_get(sa, "secrets"), i, ref) {
    const char *name = json_string_value(json_object_get(ref, "name"));
    cobj *s = name ? cache_get(c, sr->bucket, ns, name) : NULL;
    const char *type = s ? json_string_value(json_object_get(s->obj, "type")) : NULL;
    bool ok = type && !strcmp(type, TOKEN_TYPE);
    cobj_unref(s);
    if (ok) {
      snprintf(out, len, "%s", name);
      return;
    }
  }
}

static bool automount(const json_t *sa, const json_t *spec) {
  const json_t *p = json_object_get(spec, "automountServiceAccountToken");
  if (json_is_boolean(p)) return json_is_true(p);
  const json_t *a = json_object_get(sa, "automountServiceAccountToken");
  return !json_is_boolean(a) || json_is_true(a);
}

/* Adds the mount to every container of list lacking one at MOUNT_PATH; true if any was added. */
static bool add_mounts(json_t *list, const char *volume) {
  bool added = false;
  size_t i, j;
  json_t *c, *m;
  json_array_foreach(list, i, c) {
    bool has = false;
    json_array_foreach(json_object_get(c, "volumeMounts"), j, m) {
      const char *p = json_string_value(json_object_get(m, "mountPath"));
      if (p && !strcmp(p, MOUNT_PATH)) has = true;
    }
    if (has) continue;
    json_t *mounts = json_object_get(c, "volumeMounts");
    if (!json_is_array(mounts)) json_object_set_new(c, "volumeMounts", mounts = json_array());
    json_array_append_new(mounts, json_pack("{s:s,s:b,s:s}", "name", volume, "readOnly", 1, "mountPath", MOUNT_PATH));
    added = true;
  }
  return added;
}

static void mount_token(json_t *spec, const char *secret) {
  json_t *vols = json_object_get(spec, "volumes");
  char vname[300];
  snprintf(vname, sizeof vname, "%s", secret);
  for (char *p = vname; *p; p++)
    if (*p == '.') *p = '-';
  bool has_volume = false, name_taken = false;
  size_t i;
  json_t *v;
  json_array_foreach(vols, i, v) {
    const char *sn = json_string_value(json_object_get(json_object_get(v, "secret"), "secretName"));
    const char *n = json_string_value(json_object_get(v, "name"));
    if (sn && !strcmp(sn, secret)) {
      has_volume = true;
      snprintf(vname, sizeof vname, "%s", n ? n : secret);
      break;
    }
    if (n && !strcmp(n, vname)) name_taken = true;
  }
  if (!has_volume && name_taken) {
    char suffix[8];
    meta_random_suffix(suffix, 5);
    size_t l = strlen(vname);
    snprintf(vname + l, sizeof vname - l, "-%s", suffix);
  }
  bool need = add_mounts(json_object_get(spec, "initContainers"), vname);
  need = add_mounts(json_object_get(spec, "containers"), vname) || need;
  if (!has_volume && need) {
    if (!json_is_array(vols)) json_object_set_new(spec, "volumes", vols = json_array());
    json_array_append_new(vols, json_pack("{s:s,s:{s:s}}", "name", vname, "secret", "secretName", secret));
  }
}

json_t *admission_serviceaccount(cache *c, const resource *r, const char *ns, json_t *pod) {
  if (strcmp(r->ref.plural, "pods") || *r->ref.group) return NULL;
  json_t *md = json_object_get(pod, "metadata"), *spec = json_object_get(pod, "spec");
  if (!json_is_object(spec)) return NULL; /* validation reports it */
  const char *podname = json_string_value(json_object_get(md, "name"));
  if (json_object_get(json_object_get(md, "annotations"), "kubernetes.io/config.mirror")) {
    if (json_string_length(json_object_get(spec, "serviceAccountName")))
      return status_forbidden(r, podname, "a mirror pod may not reference service accounts");
    return NULL;
  }
  const char *san = json_string_value(json_object_get(spec, "serviceAccountName"));
  if (!san || !*san) json_object_set_new(spec, "serviceAccountName", json_string(san = "default"));
  char sa_name[256];
  snprintf(sa_name, sizeof sa_name, "%s", san);
  const resource *sar = registry_find("", "v1", "serviceaccounts");
  bool is_default = !strcmp(sa_name, "default");
  cobj *sa = NULL;
  char token[300] = "";
  for (int attempt = 0; attempt < 20; attempt++) {
    cobj_unref(sa);
    sa = cache_get(c, sar->bucket, ns, sa_name);
    if (sa) referenced_token(c, ns, sa->obj, token, sizeof token);
    if ((sa && (token[0] || !automount(sa->obj, spec))) || (!sa && !is_default) || (sa && attempt >= 10)) break;
    sleep_ms(100);
  }
  if (!sa) {
    char why[700];
    snprintf(why, sizeof why, "error looking up service account %s/%s: serviceaccount \"%s\" not found", ns,
             sa_name, sa_name);
    return status_forbidden(r, podname, why);
  }
  json_t *st = NULL;
  if (automount(sa->obj, spec)) {
    if (!token[0]) {
      char msg[600];
      snprintf(msg, sizeof msg,
               "No API token found for service account \"%s\", retry after the token is automatically created and "
               "added to the service account",
               sa_name);
      st = status_failure(500, "ServerTimeout", msg,
                          json_pack("{s:s,s:s,s:i}", "name", "create pod", "kind", "serviceaccounts",
                                    "retryAfterSeconds", 1));
    } else {
      mount_token(spec, token);
    }
  }
  if (!st && !json_array_size(json_object_get(spec, "imagePullSecrets")) &&
      json_array_size(json_object_get(sa->obj, "imagePullSecrets"))) {
    json_t *ips = json_array();
    size_t i;
    const json_t *ref;
    json_array_foreach(json_object_get(sa->obj, "imagePullSecrets"), i, ref)
        json_array_append_new(ips, json_pack("{s:O}", "name", json_object_get(ref, "name")));
    json_object_set_new(spec, "imagePullSecrets", ips);
  }
  cobj_unref(sa);
  return st;
}
