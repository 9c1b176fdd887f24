/* crd_registry.c - turns a CRD into registry rows: one resource per served
 * version, named by the CRD's accepted names, stored under "<group>/<plural>"
 * in the storage version. A row is created once per group/version/plural and
 * then updated in place (kind, names, rules) or retired and revived, so the
 * registry never holds two rows for one path and pointers held by watches
 * stay valid. Only the CRD controller thread calls in here (and the start-up
 * sync before it runs); rows_lock still guards the row list. */
#include "crd_registry.h"
#include "crd_schema.h"
#include "kinds_util.h"
#include "log.h"
#include "registry.h"
#include "json_path.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 4096

static pthread_mutex_t rows_lock = PTHREAD_MUTEX_INITIALIZER; /* guards rows, nrows */
static resource *rows[MAX_ROWS];
static size_t nrows;

/* Values a row no longer points to: readers that loaded the old pointer may
 * still use it, so replaced strings, rules and entries are kept here (and
 * stay reachable) for the life of the process. Only changed values are
 * replaced, so this grows with CRD edits, not with status updates. */
static void **buried;
static size_t nburied, capburied;

static void bury(const void *p) {
  if (!p) return;
  if (nburied == capburied) {
    size_t cap = capburied ? capburied * 2 : 64;
    void **b = realloc(buried, cap * sizeof *b);
    if (!b) return; /* leaked for good; harmless */
    buried = b;
    capburied = cap;
  }
  buried[nburied++] = (void *)p;
}

/* Sets *slot to a process-lifetime copy of s unless it already holds s. */
static void keep(const char **slot, const char *s) {
  if (*slot && !strcmp(*slot, s)) return;
  bury(*slot);
  *slot = strdup(s);
}

static json_t *subresources_of(const json_t *subs, const char *group, const char *version, const char *kind) {
  json_t *out = json_array();
  if (json_object_get(subs, "status"))
    json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:[sss]}", "name", "status", "group", group, "version",
                                         version, "kind", kind, "verbs", "get", "patch", "update"));
  if (json_object_get(subs, "scale"))
    json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:[sss]}", "name", "scale", "group", "autoscaling",
                                         "version", "v1", "kind", "Scale", "verbs", "get", "patch", "update"));
  return out;
}

/* The registry.json-like row of one version (verbs, names, subresources). */
static json_t *entry_of(const json_t *names, const json_t *ver, const char *group) {
  json_t *e = json_pack("{s:[ssssssss]}", "verbs", "delete", "deletecollection", "get", "list", "patch", "create",
                        "update", "watch");
  json_t *sn = json_object_get(names, "shortNames"), *cat = json_object_get(names, "categories");
  json_object_set_new(e, "shortNames", sn ? json_deep_copy(sn) : json_array());
  json_object_set_new(e, "categories", cat ? json_deep_copy(cat) : json_array());
  json_object_set_new(e, "subresources",
                      subresources_of(json_object_get(ver, "subresources"), group, json_path_str0(ver, "name"),
                                      json_path_str0(names, "kind")));
  return e;
}

/* Whether any node of schema s has a default. */
static bool has_defaults(const json_t *s, int depth) {
  if (!json_is_object(s) || depth > 64) return false;
  if (json_object_get(s, "default")) return true;
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(s, "properties"), k, v) {
    if (has_defaults(v, depth + 1)) return true;
  }
  return has_defaults(json_object_get(s, "items"), depth + 1) ||
         has_defaults(json_object_get(s, "additionalProperties"), depth + 1);
}

static crd_version *rules_of(const json_t *crd, const json_t *ver, const char *crd_name) {
  crd_version *cv = calloc(1, sizeof *cv);
  const json_t *schema = json_object_get(json_object_get(ver, "schema"), "openAPIV3Schema");
  cv->schema = schema ? json_deep_copy(schema) : NULL;
  cv->preserve_unknown = json_is_true(json_object_get(json_object_get(crd, "spec"), "preserveUnknownFields"));
  cv->structural = crd_schema_structural(schema);
  cv->defaults = cv->structural && has_defaults(schema, 0);
  const json_t *cols = json_object_get(ver, "additionalPrinterColumns");
  cv->columns = json_array_size(cols) ? json_deep_copy(cols) : NULL;
  const json_t *subs = json_object_get(ver, "subresources");
  cv->status = json_object_get(subs, "status") != NULL;
  const json_t *scale = json_object_get(subs, "scale");
  cv->scale = scale ? json_deep_copy(scale) : NULL;
  const json_t *conv = json_object_get(json_object_get(crd, "spec"), "conversion");
  const json_t *webhook = json_object_get(conv, "webhook");
  if (!strcmp(json_path_str0(conv, "strategy"), "Webhook") && json_is_object(webhook))
    cv->conversion = json_deep_copy(webhook);
  cv->crd_name = strdup(crd_name);
  return cv;
}

static void free_rules(crd_version *cv) {
  json_decref(cv->schema);
  json_decref(cv->columns);
  json_decref(cv->scale);
  json_decref(cv->conversion);
  free((char *)cv->crd_name);
  free(cv);
}

static bool json_same(const json_t *a, const json_t *b) {
  return a == b || (a && b && json_equal((json_t *)a, (json_t *)b));
}

/* Whether rules a (published, may be NULL) and b say the same. A terminating
 * flag set on a stays, so a revived CRD gets fresh rules. */
static bool same_rules(const crd_version *a, const crd_version *b) {
  return a && !atomic_load(&a->terminating) && json_same(a->schema, b->schema) &&
         json_same(a->columns, b->columns) && json_same(a->scale, b->scale) &&
         json_same(a->conversion, b->conversion) && a->status == b->status &&
         a->defaults == b->defaults && a->preserve_unknown == b->preserve_unknown && a->structural == b->structural &&
         !strcmp(a->crd_name, b->crd_name);
}

static resource *find_row(const char *group, const char *version, const char *plural) {
  for (size_t i = 0; i < nrows; i++)
    if (!strcmp(rows[i]->ref.group, group) && !strcmp(rows[i]->ref.version, version) &&
        !strcmp(rows[i]->ref.plural, plural))
      return rows[i];
  return NULL;
}

static bool version_served(const json_t *crd, const char *version) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(json_object_get(crd, "spec"), "versions"), i, v) {
    if (!strcmp(json_path_str0(v, "name"), version)) return json_is_true(json_object_get(v, "served"));
  }
  return false;
}

/* Fills r (new or reused) from the CRD's names and version. */
static void fill_row(resource *r, const json_t *crd, const json_t *names, const json_t *ver, const char *storage_gv) {
  const json_t *spec = json_object_get(crd, "spec");
  const char *group = json_path_str0(spec, "group");
  char buf[512];
  keep(&r->ref.group, group);
  keep(&r->ref.version, json_path_str0(ver, "name"));
  keep(&r->ref.plural, json_path_str0(names, "plural"));
  const char *kind = r->ref.kind;
  keep(&kind, json_path_str0(names, "kind"));
  __atomic_store_n(&r->ref.kind, kind, __ATOMIC_RELEASE);
  r->ref.namespaced = !strcmp(json_path_str0(spec, "scope"), "Namespaced");
  crd_version *cv = rules_of(crd, ver, json_path_str0(json_object_get(crd, "metadata"), "name"));
  if (same_rules(r->ref.crd, cv)) {
    free_rules(cv);
  } else {
    bury(r->ref.crd);
    __atomic_store_n(&r->ref.crd, cv, __ATOMIC_RELEASE);
  }
  keep(&r->list_kind, json_path_str0(names, "listKind"));
  keep(&r->singular, json_path_str0(names, "singular"));
  r->definition = "";
  snprintf(buf, sizeof buf, "%s/%s", group, json_path_str0(names, "plural"));
  keep(&r->storage, buf);
  keep(&r->storage_version, storage_gv);
  snprintf(buf, sizeof buf, "%s/%s", group, json_path_str0(ver, "name"));
  keep(&r->group_version, buf);
  r->verbs = VERB_GET | VERB_LIST | VERB_WATCH | VERB_CREATE | VERB_UPDATE | VERB_PATCH | VERB_DELETE |
             VERB_DELETECOLLECTION;
  json_t *entry = entry_of(names, ver, group);
  if (r->entry && json_equal((json_t *)r->entry, entry)) {
    json_decref(entry);
  } else {
    bury(r->entry);
    __atomic_store_n(&r->entry, entry, __ATOMIC_RELEASE);
  }
}

static const char *storage_version_of(const json_t *spec) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(spec, "versions"), i, v) {
    if (json_is_true(json_object_get(v, "storage"))) return json_path_str0(v, "name");
  }
  return "";
}

static void retire_others(const char *crd_name, const json_t *crd, bool established) {
  for (size_t i = 0; i < nrows; i++) {
    resource *r = rows[i];
    if (!registry_served(r) || strcmp(r->ref.crd->crd_name, crd_name)) continue;
    if (!established || !crd || !version_served(crd, r->ref.version)) registry_retire(r);
  }
}

void crd_registry_sync(const json_t *crd, bool established) {
  const json_t *spec = json_object_get(crd, "spec");
  const json_t *names = json_object_get(json_object_get(crd, "status"), "acceptedNames");
  const char *crd_name = json_path_str0(json_object_get(crd, "metadata"), "name");
  pthread_mutex_lock(&rows_lock);
  if (established && *json_path_str0(names, "plural") && *json_path_str0(names, "kind")) {
    char storage_gv[512];
    snprintf(storage_gv, sizeof storage_gv, "%s/%s", json_path_str0(spec, "group"), storage_version_of(spec));
    size_t i;
    json_t *ver;
    json_array_foreach(json_object_get(spec, "versions"), i, ver) {
      if (!json_is_true(json_object_get(ver, "served"))) continue;
      resource *r = find_row(json_path_str0(spec, "group"), json_path_str0(ver, "name"), json_path_str0(names, "plural"));
      if (r) {
        fill_row(r, crd, names, ver, storage_gv);
        if (!registry_served(r)) registry_revive(r);
        else registry_touch();
        continue;
      }
      if (nrows >= MAX_ROWS) {
        LOGE("too many custom resource versions; %s/%s not served", json_path_str0(spec, "group"), json_path_str0(ver, "name"));
        continue;
      }
      r = calloc(1, sizeof *r);
      fill_row(r, crd, names, ver, storage_gv);
      if (registry_add(r) == 0) rows[nrows++] = r;
    }
  }
  retire_others(crd_name, crd, established);
  pthread_mutex_unlock(&rows_lock);
}

void crd_registry_terminating(const char *crd_name) {
  pthread_mutex_lock(&rows_lock);
  for (size_t i = 0; i < nrows; i++) {
    crd_version *cv = (crd_version *)rows[i]->ref.crd; /* allocated here by rules_of */
    if (!strcmp(cv->crd_name, crd_name)) atomic_store(&cv->terminating, true);
  }
  pthread_mutex_unlock(&rows_lock);
}

void crd_registry_drop(const char *group, const char *plural) {
  char name[512];
  snprintf(name, sizeof name, "%s.%s", plural, group);
  pthread_mutex_lock(&rows_lock);
  retire_others(name, NULL, false);
  pthread_mutex_unlock(&rows_lock);
}
