/* discovery.c - discovery documents built from the registry (see
 * discovery.h). The aggregated documents only change when the registry does
 * (custom resources come and go), so they are cached and rebuilt when the
 * registry generation moved. */
#include "discovery.h"
#include "apiservice_table.h"
#include "registry.h"
#include "status.h"
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t agg_lock = PTHREAD_MUTEX_INITIALIZER; /* guards agg_apis, agg_core, agg_generation */
static json_t *agg_apis, *agg_core;
static unsigned long agg_generation;

/* APIResourceLists of the group-versions served outside the registry
 * (discovery_add_external): written before serving, read-only after. */
#define MAX_EXTERNAL 4
static json_t *external[MAX_EXTERNAL];
static size_t nexternal;

void discovery_add_external(json_t *list) {
  if (nexternal < MAX_EXTERNAL) external[nexternal++] = list;
  else json_decref(list);
}

/* The registered list of group/version, or NULL. */
static const json_t *external_list(const char *group, const char *version) {
  char gv[200];
  snprintf(gv, sizeof gv, "%s/%s", group, version);
  for (size_t i = 0; i < nexternal; i++)
    if (!strcmp(json_string_value(json_object_get(external[i], "groupVersion")), gv)) return external[i];
  return NULL;
}

/* The registry's groups, the remote APIServices' ones (with c) and the external ones, in registry_groups'
 * shape ({name, versions, preferredVersion}): a new reference. */
static json_t *all_groups(cache *c) {
  json_t *all = registry_groups();
  if (c) { /* the remote APIServices' groups after the registry's, as kube-aggregator orders them */
    json_t *remote = apiservice_remote_groups(c);
    json_array_extend(all, remote);
    json_decref(remote);
  }
  for (size_t i = 0; i < nexternal; i++) {
    char group[128], version[64];
    if (sscanf(json_string_value(json_object_get(external[i], "groupVersion")), "%127[^/]/%63s", group, version) == 2)
      json_array_append_new(all, json_pack("{s:s,s:[s],s:s}", "name", group, "versions", version, "preferredVersion",
                                           version));
  }
  return all;
}

#ifndef CKUBE_GIT_COMMIT
#define CKUBE_GIT_COMMIT "0000000000000000000000000000000000000000"
#define CKUBE_GIT_DATE "1970-01-01T00:00:00Z"
#endif

/* /version: the Kubernetes version ckube speaks, with ckube's own commit. */
static json_t *version_info(void) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1", "minor", "20", "gitVersion", "v1.20.2",
                   "gitCommit", CKUBE_GIT_COMMIT, "gitTreeState", "clean", "buildDate", CKUBE_GIT_DATE, "goVersion",
                   "go1.15.7", "compiler", "gc", "platform", "linux/amd64");
}

/* storageVersionHash: the first 8 bytes of sha256("group/version/kind") of
 * the storage version, base64; the version is 1.20's when it stores the
 * resource in another one than ckube (the row's hashVersion). */
static json_t *storage_hash(const resource *r) {
  const resource *s = registry_storage_resource(r);
  const char *v = json_string_value(json_object_get(s->entry, "hashVersion"));
  char in[300];
  snprintf(in, sizeof in, "%s/%s/%s", s->ref.group, v ? v : s->ref.version, s->ref.kind);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256((unsigned char *)in, strlen(in), md);
  char out[16];
  EVP_EncodeBlock((unsigned char *)out, md, 8);
  return json_string(out);
}

/* Create-only resources (reviews, bindings) are computed, not stored: no
 * storage version to show. */
static bool create_only(const resource *r) {
  const json_t *verbs = json_object_get(r->entry, "verbs");
  return json_array_size(verbs) == 1 && !strcmp(json_string_value(json_array_get(verbs, 0)), "create");
}

static json_t *copy_or_empty(const json_t *entry, const char *key) {
  json_t *v = json_object_get(entry, key);
  return v ? json_deep_copy(v) : NULL;
}

static json_t *resource_list(const char *group, const char *version) {
  json_t *list = json_array();
  for (size_t i = 0; i < registry_count(); i++) {
    const resource *r = registry_at(i);
    if (strcmp(r->ref.group, group) || strcmp(r->ref.version, version) || !registry_served(r)) continue;
    json_t *e = json_pack("{s:s,s:s,s:b,s:s,s:O}", "name", r->ref.plural, "singularName", r->ref.crd ? r->singular : "", "namespaced",
                          r->ref.namespaced, "kind", r->ref.kind, "verbs", json_object_get(r->entry, "verbs"));
    json_t *sn = copy_or_empty(r->entry, "shortNames"), *cat = copy_or_empty(r->entry, "categories");
    if (json_array_size(sn)) json_object_set_new(e, "shortNames", sn);
    else json_decref(sn);
    if (json_array_size(cat)) json_object_set_new(e, "categories", cat);
    else json_decref(cat);
    if (!create_only(r)) json_object_set_new(e, "storageVersionHash", storage_hash(r));
    json_array_append_new(list, e);
    size_t k;
    json_t *sub;
    json_array_foreach(json_object_get(r->entry, "subresources"), k, sub) {
      char name[200];
      snprintf(name, sizeof name, "%s/%s", r->ref.plural, json_string_value(json_object_get(sub, "name")));
      json_t *se = json_pack("{s:s,s:s,s:b}", "name", name, "singularName", "", "namespaced", r->ref.namespaced);
      const char *sg = json_string_value(json_object_get(sub, "group"));
      const char *sv = json_string_value(json_object_get(sub, "version"));
      if (sg && strcmp(sg, r->ref.group)) json_object_set_new(se, "group", json_string(sg));
      if (sv && (strcmp(sv, r->ref.version) || (sg && strcmp(sg, r->ref.group))))
        json_object_set_new(se, "version", json_string(sv));
      json_object_set(se, "kind", json_object_get(sub, "kind"));
      json_object_set(se, "verbs", json_object_get(sub, "verbs"));
      json_array_append_new(list, se);
    }
  }
  const char *gv_sep = *group ? "/" : "";
  char gv[200];
  snprintf(gv, sizeof gv, "%s%s%s", group, gv_sep, version);
  return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1", "groupVersion", gv,
                   "resources", list);
}

static json_t *group_doc(const json_t *g) {
  const char *name = json_string_value(json_object_get(g, "name"));
  json_t *versions = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(g, "versions"), i, v) {
    char gv[200];
    snprintf(gv, sizeof gv, "%s/%s", name, json_string_value(v));
    json_array_append_new(versions, json_pack("{s:s,s:s}", "groupVersion", gv, "version", json_string_value(v)));
  }
  char pgv[200];
  const char *pv = json_string_value(json_object_get(g, "preferredVersion"));
  snprintf(pgv, sizeof pgv, "%s/%s", name, pv);
  return json_pack("{s:s,s:o,s:{s:s,s:s}}", "name", name, "versions", versions, "preferredVersion", "groupVersion",
                   pgv, "version", pv);
}

/* The group named name in groups (borrowed from groups), or NULL. */
static const json_t *find_group(const json_t *groups, const char *name) {
  size_t i;
  json_t *g;
  json_array_foreach(groups, i, g) {
    if (!strcmp(json_string_value(json_object_get(g, "name")), name)) return g;
  }
  return NULL;
}

/* One apidiscovery APIGroupDiscovery item for a group. */
static json_t *agg_group(const json_t *g) {
  const char *name = json_string_value(json_object_get(g, "name"));
  json_t *versions = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(g, "versions"), i, v) {
    const char *ver = json_string_value(v);
    json_t *res = json_array();
    const json_t *ext = external_list(name, ver);
    size_t x;
    json_t *e;
    json_array_foreach(json_object_get(ext, "resources"), x, e) {
      json_array_append_new(res, json_pack("{s:O,s:{s:s,s:s,s:O},s:s,s:s,s:O}", "resource", json_object_get(e, "name"),
                                           "responseKind", "group", "", "version", "", "kind", json_object_get(e, "kind"),
                                           "scope", json_is_true(json_object_get(e, "namespaced")) ? "Namespaced" : "Cluster",
                                           "singularResource", "", "verbs", json_object_get(e, "verbs")));
    }
    for (size_t k = 0; k < registry_count(); k++) {
      const resource *r = registry_at(k);
      if (strcmp(r->ref.group, name) || strcmp(r->ref.version, ver) || !registry_served(r)) continue;
      json_t *e = json_pack("{s:s,s:{s:s,s:s,s:s},s:s,s:s,s:O}", "resource", r->ref.plural, "responseKind", "group",
                            "", "version", "", "kind", r->ref.kind, "scope",
                            r->ref.namespaced ? "Namespaced" : "Cluster", "singularResource", r->singular, "verbs",
                            json_object_get(r->entry, "verbs"));
      json_t *sn = json_object_get(r->entry, "shortNames"), *cat = json_object_get(r->entry, "categories");
      if (json_array_size(sn)) json_object_set(e, "shortNames", sn);
      if (json_array_size(cat)) json_object_set(e, "categories", cat);
      json_t *subs = json_array();
      size_t j;
      json_t *sub;
      json_array_foreach(json_object_get(r->entry, "subresources"), j, sub) {
        json_array_append_new(
            subs, json_pack("{s:O,s:{s:O,s:O,s:O},s:O}", "subresource", json_object_get(sub, "name"), "responseKind",
                            "group", json_object_get(sub, "group"), "version", json_object_get(sub, "version"), "kind",
                            json_object_get(sub, "kind"), "verbs", json_object_get(sub, "verbs")));
      }
      if (json_array_size(subs)) json_object_set_new(e, "subresources", subs);
      else json_decref(subs);
      json_array_append_new(res, e);
    }
    json_array_append_new(versions, json_pack("{s:s,s:o,s:s}", "version", ver, "resources", res, "freshness", "Current"));
  }
  json_t *md = json_pack("{s:n}", "creationTimestamp");
  if (*name) json_object_set_new(md, "name", json_string(name));
  return json_pack("{s:o,s:o}", "metadata", md, "versions", versions);
}

/* The aggregated documents of the current registry (new references). */
static void aggregated(json_t **apis, json_t **core) {
  pthread_mutex_lock(&agg_lock);
  unsigned long gen = registry_generation();
  if (!agg_apis || agg_generation != gen) {
    json_decref(agg_apis);
    json_decref(agg_core);
    agg_apis = json_array();
    agg_core = json_array();
    json_t *groups = all_groups(NULL); /* only served while no remote APIService exists */
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
      const char *name = json_string_value(json_object_get(g, "name"));
      json_array_append_new(*name ? agg_apis : agg_core, agg_group(g));
    }
    json_decref(groups);
    agg_generation = gen;
  }
  *apis = json_incref(agg_apis);
  *core = json_incref(agg_core);
  pthread_mutex_unlock(&agg_lock);
}

/* The aggregated form the client asked for ("v2", "v2beta1") or NULL. */
static const char *wants_aggregated(const char *accept) {
  if (!accept || !strstr(accept, "as=APIGroupDiscoveryList")) return NULL;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", accept);
  char *save = NULL;
  for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
    if (!strstr(part, "g=apidiscovery.k8s.io") || !strstr(part, "as=APIGroupDiscoveryList")) continue;
    if (strstr(part, "v=v2beta1")) return "v2beta1";
    if (strstr(part, "v=v2")) return "v2";
  }
  return NULL;
}

static void send_aggregated(http_req *rq, const char *ver, json_t *items) {
  json_t *doc = json_pack("{s:s,s:s,s:{},s:O}", "kind", "APIGroupDiscoveryList", "apiVersion", "", "metadata",
                          "items", items);
  char av[64], ct[160];
  snprintf(av, sizeof av, "apidiscovery.k8s.io/%s", ver);
  json_object_set_new(doc, "apiVersion", json_string(av));
  snprintf(ct, sizeof ct, "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList", ver);
  char *s = json_dumps(doc, JSON_COMPACT);
  http_send(rq, 200, ct, s, strlen(s));
  free(s);
  json_decref(doc);
}

bool discovery_handle(http_req *rq) {
  const char *p = rq->path;
  if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) return false;
  json_t *doc = NULL;
  if (!strcmp(p, "/version") || !strcmp(p, "/version/")) {
    doc = version_info();
  } else if (!strcmp(p, "/api") || !strcmp(p, "/api/")) {
    const char *agg = wants_aggregated(rq->accept);
    if (agg) {
      json_t *apis, *core;
      aggregated(&apis, &core);
      send_aggregated(rq, agg, core);
      json_decref(apis);
      json_decref(core);
      return true;
    }
    doc = json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions", "v1",
                    "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress", "127.0.0.1:6443");
  } else if (!strcmp(p, "/apis") || !strcmp(p, "/apis/")) {
    /* remote APIServices have no aggregated document here: clients fall back to the APIGroupList */
    const char *agg = apiservice_any_remote(rq->srv->cache) ? NULL : wants_aggregated(rq->accept);
    if (agg) {
      json_t *apis, *core;
      aggregated(&apis, &core);
      send_aggregated(rq, agg, apis);
      json_decref(apis);
      json_decref(core);
      return true;
    }
    json_t *groups = json_array(), *all = all_groups(rq->srv->cache);
    size_t i;
    json_t *g;
    json_array_foreach(all, i, g) {
      if (*json_string_value(json_object_get(g, "name"))) json_array_append_new(groups, group_doc(g));
    }
    json_decref(all);
    doc = json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", groups);
  } else if (!strcmp(p, "/api/v1") || !strcmp(p, "/api/v1/")) {
    doc = resource_list("", "v1");
  } else if (!strncmp(p, "/apis/", 6)) {
    char group[128] = "", version[64] = "", extra[8] = "";
    int n = sscanf(p + 6, "%127[^/]/%63[^/]/%7s", group, version, extra);
    if (n == 3 && extra[0]) return false;
    if (n == 1 || (n == 2 && !version[0])) {
      json_t *all = all_groups(rq->srv->cache);
      const json_t *g = find_group(all, group);
      if (!g) { /* an unknown group is no API path at all: the mux's plain answer */
        json_decref(all);
        http_send(rq, 404, "text/plain; charset=utf-8", "404 page not found\n", 19);
        return true;
      }
      doc = group_doc(g);
      json_decref(all);
      json_object_set_new(doc, "kind", json_string("APIGroup"));
      json_object_set_new(doc, "apiVersion", json_string("v1"));
    } else if (n == 2) {
      const json_t *ext = external_list(group, version);
      if (ext) doc = json_deep_copy(ext);
      else if (!registry_has_group_version(group, version)) return false;
      else doc = resource_list(group, version);
    } else {
      return false;
    }
  } else {
    return false;
  }
  out_form f = rq->form;
  if (f != OUT_YAML) rq->form = OUT_JSON;
  http_send_json(rq, 200, doc);
  rq->form = f;
  json_decref(doc);
  return true;
}
