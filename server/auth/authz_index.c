/* authz_index.c - see authz_index.h. A snapshot is immutable once built
 * and shared by reference; a decision collects the grants under each of the
 * user's keys for the cluster and for the request's namespace, orders them
 * as RBAC's visitor meets them (ClusterRoleBindings by name, then the
 * namespace's RoleBindings by name; within a binding its first subject that
 * names the user) and matches their roles' rules. */
#include "authz_index.h"
#include "registry.h"
#include "strmap.h"
#include "watch_cache.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RBAC_GROUP "rbac.authorization.k8s.io"

typedef struct {
  long binding; /* visiting order of the binding */
  int subject;  /* index of the subject in it */
  char *source; /* "ClusterRoleBinding \"x\" of ClusterRole \"y\" to Group \"z\"" */
  cobj *role;   /* NULL: the role was not found */
  char *error;  /* its "not found" text then */
} grant;

typedef struct {
  grant **items;
  size_t n, cap;
} grant_list;

typedef struct {
  atomic_int refs;
  strmap *by_key; /* "<ns>\x1f<identity key>" -> grant_list */
  grant **all;    /* every grant, for freeing */
  size_t n, cap;
} snapshot;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static snapshot *current;
static atomic_bool stale = true;
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

static void mark_stale(void) { atomic_store(&stale, true); }

static cache_bucket *bucket(const char *plural) {
  const resource *r = registry_find(RBAC_GROUP, "v1", plural);
  return r ? registry_storage_resource(r)->bucket : NULL;
}

static void install_hooks(void) {
  static const char *const plurals[] = {"roles", "clusterroles", "rolebindings", "clusterrolebindings"};
  for (size_t i = 0; i < 4; i++) {
    cache_bucket *b = bucket(plurals[i]);
    if (b) cache_bucket_on_write(b, mark_stale);
  }
}

static void snapshot_put(snapshot *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  strmap_iter it = {0};
  while (strmap_next(s->by_key, &it)) {
    grant_list *l = it.value;
    free(l->items);
    free(l);
  }
  strmap_free(s->by_key, NULL);
  for (size_t i = 0; i < s->n; i++) {
    free(s->all[i]->source);
    free(s->all[i]->error);
    cobj_unref(s->all[i]->role);
    free(s->all[i]);
  }
  free(s->all);
  free(s);
}

static void add_grant(snapshot *s, const char *ns, const char *key, grant *g) {
  char k[1200];
  snprintf(k, sizeof k, "%s\x1f%s", ns, key);
  grant_list *l = strmap_get(s->by_key, k);
  if (!l) strmap_put(s->by_key, k, l = calloc(1, sizeof *l));
  if (l->n == l->cap) l->items = realloc(l->items, (l->cap = l->cap ? 2 * l->cap : 4) * sizeof *l->items);
  l->items[l->n++] = g;
  if (s->n == s->cap) s->all = realloc(s->all, (s->cap = s->cap ? 2 * s->cap : 64) * sizeof *s->all);
  s->all[s->n++] = g;
}

/* The identity key a subject names ("U:name", "G:name"), or false for other kinds. */
static bool subject_key(const json_t *subject, const char *binding_ns, char *key, size_t len) {
  const char *kind = json_string_value(json_object_get(subject, "kind"));
  const char *name = json_string_value(json_object_get(subject, "name"));
  if (!kind || !name) return false;
  if (!strcmp(kind, "User")) snprintf(key, len, "U:%s", name);
  else if (!strcmp(kind, "Group")) snprintf(key, len, "G:%s", name);
  else if (!strcmp(kind, "ServiceAccount")) {
    const char *ns = json_string_value(json_object_get(subject, "namespace"));
    snprintf(key, len, "U:system:serviceaccount:%s:%s", ns && *ns ? ns : binding_ns, name);
  } else return false;
  return true;
}

static void index_bindings(cache *c, snapshot *s, const char *plural, long *order) {
  cache_bucket *b = bucket(plural);
  if (!b) return;
  bool cluster = !strcmp(plural, "clusterrolebindings");
  cobj_vec v = {0};
  cache_list(c, b, "", NULL, 0, &v);
  for (size_t i = 0; i < v.n; i++, (*order)++) {
    const json_t *binding = v.items[i]->obj;
    const json_t *md = json_object_get(binding, "metadata"), *ref = json_object_get(binding, "roleRef");
    const char *ns = cluster ? "" : json_string_value(json_object_get(md, "namespace"));
    const char *bname = json_string_value(json_object_get(md, "name"));
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *rname = json_string_value(json_object_get(ref, "name"));
    if (!ns || !bname || !kind || !rname) continue;
    bool cluster_role = !strcmp(kind, "ClusterRole");
    if (!cluster_role && strcmp(kind, "Role")) continue;
    cache_bucket *rb = bucket(cluster_role ? "clusterroles" : "roles");
    size_t k;
    const json_t *subject;
    json_array_foreach(json_object_get(binding, "subjects"), k, subject) {
      char key[1100], who[700], source[1600];
      if (!subject_key(subject, ns, key, sizeof key)) continue;
      rbac_describe_subject(subject, ns, who, sizeof who);
      if (cluster)
        snprintf(source, sizeof source, "ClusterRoleBinding \"%s\" of %s \"%s\" to %s", bname, kind, rname, who);
      else
        snprintf(source, sizeof source, "RoleBinding \"%s/%s\" of %s \"%s\" to %s", bname, ns, kind, rname, who);
      grant *g = calloc(1, sizeof *g);
      g->binding = *order;
      g->subject = (int)k;
      g->source = strdup(source);
      g->role = rb ? cache_get(c, rb, cluster_role ? "" : ns, rname) : NULL;
      if (!g->role) {
        char err[600];
        snprintf(err, sizeof err, "%s.rbac.authorization.k8s.io \"%s\" not found", cluster_role ? "clusterrole" : "role",
                 rname);
        g->error = strdup(err);
      }
      add_grant(s, ns, key, g);
    }
  }
  cobj_vec_clear(&v);
}

static snapshot *build(cache *c) {
  snapshot *s = calloc(1, sizeof *s);
  atomic_init(&s->refs, 1);
  s->by_key = strmap_new();
  long order = 0;
  index_bindings(c, s, "clusterrolebindings", &order);
  index_bindings(c, s, "rolebindings", &order);
  return s;
}

/* The current snapshot (a reference), rebuilt when a write made it stale. */
static snapshot *snapshot_get(cache *c) {
  pthread_once(&hook_once, install_hooks);
  pthread_mutex_lock(&mu);
  if (atomic_exchange(&stale, false) || !current) {
    snapshot *fresh = build(c);
    snapshot_put(current);
    current = fresh;
  }
  snapshot *s = current;
  atomic_fetch_add(&s->refs, 1);
  pthread_mutex_unlock(&mu);
  return s;
}

typedef struct {
  grant **items;
  size_t n, cap;
} found;

static void collect(const snapshot *s, const char *ns, const char *key, found *f) {
  char k[1200];
  snprintf(k, sizeof k, "%s\x1f%s", ns, key);
  grant_list *l = strmap_get(s->by_key, k);
  for (size_t i = 0; l && i < l->n; i++) {
    if (f->n == f->cap) f->items = realloc(f->items, (f->cap = f->cap ? 2 * f->cap : 16) * sizeof *f->items);
    f->items[f->n++] = l->items[i];
  }
}

static int by_order(const void *x, const void *y) {
  const grant *a = *(grant *const *)x, *b = *(grant *const *)y;
  if (a->binding != b->binding) return a->binding < b->binding ? -1 : 1;
  return a->subject - b->subject;
}

bool authz_index_allowed(cache *c, const authz_attrs *a, char *reason, size_t len) {
  snapshot *s = snapshot_get(c);
  found f = {0};
  char key[1100];
  const char *scopes[2] = {"", a->ns};
  for (int sc = 0; sc < (a->ns[0] ? 2 : 1); sc++) {
    snprintf(key, sizeof key, "U:%s", a->user ? a->user : "");
    collect(s, scopes[sc], key, &f);
    size_t i;
    const json_t *g;
    json_array_foreach(a->groups, i, g) {
      if (!json_is_string(g)) continue;
      snprintf(key, sizeof key, "G:%s", json_string_value(g));
      collect(s, scopes[sc], key, &f);
    }
  }
  if (f.n > 1) qsort(f.items, f.n, sizeof *f.items, by_order);
  bool allowed = false;
  char errors[2048] = "";
  size_t elen = 0, nerr = 0;
  reason[0] = 0;
  for (size_t i = 0; i < f.n && !allowed; i++) {
    const grant *g = f.items[i];
    if (i && f.items[i - 1]->binding == g->binding) continue; /* the binding's first matching subject speaks */
    if (!g->role) {
      if (elen < sizeof errors)
        elen += (size_t)snprintf(errors + elen, sizeof errors - elen, "%s%s", nerr++ ? ", " : "", g->error);
      continue;
    }
    size_t k;
    const json_t *rule;
    json_array_foreach(json_object_get(g->role->obj, "rules"), k, rule) if (rbac_rule_allows(rule, a)) {
      allowed = true;
      snprintf(reason, len, "RBAC: allowed by %s", g->source);
      break;
    }
  }
  if (!allowed && nerr) snprintf(reason, len, nerr > 1 ? "RBAC: [%s]" : "RBAC: %s", errors);
  free(f.items);
  snapshot_put(s);
  return allowed;
}
