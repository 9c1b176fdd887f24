/* webhook_admission.c - the dispatchers of kube-apiserver 1.20's
 * MutatingAdmissionWebhook and ValidatingAdmissionWebhook
 * (k8s.io/apiserver/pkg/admission/plugin/webhook/{mutating,validating}).
 * Mutating webhooks run one after the other, configurations in name order
 * and webhooks in their order; each JSON patch is applied to the object at
 * once, so the next webhook sees it; when a webhook changed the object, the
 * earlier webhooks with reinvocationPolicy IfNeeded are called once more.
 * Validating webhooks that match are called side by side, one thread each.
 * A webhook that cannot be called (connection, timeout, bad answer) fails
 * the request with 500 unless its failurePolicy is Ignore; a denial is
 * answered with the webhook's status; a webhook with side effects is never
 * called for a dry run (400). */
#include "object_convert.h"
#include "webhook_internal.h"
#include "json_patch.h"
#include "log.h"
#include "status.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WH_GROUP "admissionregistration.k8s.io"

bool webhook_exempt(const resource *r, const char *sub) {
  (void)sub;
  return !strcmp(r->ref.group, WH_GROUP) &&
         (!strcmp(r->ref.kind, "ValidatingWebhookConfiguration") || !strcmp(r->ref.kind, "MutatingWebhookConfiguration"));
}

bool webhook_configured(cache *c, bool mutating) {
  const resource *r =
      registry_find(WH_GROUP, "v1", mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations");
  return r && cache_count(c, r->bucket) > 0;
}

/* The stored configurations of one kind, in name order (their cache keys). */
static void list_configs(cache *c, const char *plural, cobj_vec *out) {
  const resource *r = registry_find(WH_GROUP, "v1", plural);
  if (r) cache_list(c, r->bucket, "", NULL, 0, out);
}

/* ctx: the cache the namespace is read from. */
static json_t *namespace_labels(const char *ns, void *ctx) {
  const resource *nsr = registry_find("", "v1", "namespaces");
  cobj *n = nsr ? cache_get(ctx, nsr->bucket, "", ns) : NULL;
  if (!n) return NULL;
  json_t *labels = json_object_get(json_object_get(n->obj, "metadata"), "labels");
  json_t *copy = labels ? json_deep_copy(labels) : json_object();
  cobj_unref(n);
  return copy;
}

static const char *hook_name(const json_t *hook) {
  const char *n = json_string_value(json_object_get(hook, "name"));
  return n ? n : "";
}

static bool fails_open(const json_t *hook, bool defaults_v1) {
  const char *fp = json_string_value(json_object_get(hook, "failurePolicy"));
  return fp ? !strcmp(fp, "Ignore") : !defaults_v1;
}

static int timeout_of(const json_t *hook) {
  json_t *t = json_object_get(hook, "timeoutSeconds");
  return json_is_integer(t) && json_integer_value(t) > 0 ? (int)json_integer_value(t) : 10;
}

/* The outcome of one call. */
typedef enum { WH_OK, WH_CALL_FAILED, WH_REJECTED } wh_outcome;

typedef struct {
  wh_outcome outcome;
  char why[2048];   /* WH_CALL_FAILED: the reason */
  json_t *status;   /* WH_REJECTED: the Status (denial, dry-run refusal, internal error) */
  wh_response resp; /* the verified answer */
} wh_result;

/* The dry-run rule: 0 go on, else *res is set. */
static int dry_run_check(const json_t *hook, const wh_attrs *a, wh_result *res) {
  if (!a->dry_run) return 0;
  const char *se = json_string_value(json_object_get(hook, "sideEffects"));
  if (!se) {
    res->outcome = WH_CALL_FAILED;
    snprintf(res->why, sizeof res->why, "Webhook SideEffects is nil");
    return -1;
  }
  if (strcmp(se, "None") != 0 && strcmp(se, "NoneOnDryRun") != 0) {
    res->outcome = WH_REJECTED;
    res->status = status_bad_request("admission webhook \"%s\" does not support dry run", hook_name(hook));
    return -1;
  }
  return 0;
}

/* The request body for hook, or NULL with *res set. */
static char *review_body(const json_t *hook, const wh_attrs *a, const wh_invocation *inv, const json_t *obj,
                         const json_t *old, json_t **review, wh_result *res) {
  const char *version;
  *review = wh_review_request(hook, a, inv, obj, old, &version, res->why, sizeof res->why);
  if (!*review) {
    res->outcome = WH_CALL_FAILED;
    return NULL;
  }
  return json_dumps(*review, JSON_COMPACT);
}

/* Posts body and verifies the answer into res. */
static void post(cache *c, const json_t *hook, const json_t *review, const char *body, bool mutating, wh_result *res) {
  char *resp = NULL;
  size_t rlen = 0;
  bool bad_patch = false;
  res->outcome = WH_CALL_FAILED;
  if (wh_call(c, json_object_get(hook, "clientConfig"), body, strlen(body), timeout_of(hook), &resp, &rlen, res->why,
              sizeof res->why) != 0)
    return;
  int rc = wh_review_response(resp, rlen, review, mutating, &res->resp, &bad_patch, res->why, sizeof res->why);
  free(resp);
  if (rc != 0) {
    if (bad_patch) {
      res->outcome = WH_REJECTED;
      res->status = wh_internal_error(res->why);
    }
    return;
  }
  if (!res->resp.allowed) {
    res->outcome = WH_REJECTED;
    res->status = wh_denied_status(hook_name(hook), res->resp.result);
    return;
  }
  res->outcome = WH_OK;
}

static void add_warnings(const wh_attrs *a, const wh_response *resp) {
  if (a->warnings && resp->warnings) json_array_extend(a->warnings, resp->warnings);
}

/* What the failure of a call becomes: NULL to go on (failurePolicy Ignore)
 * or the Status to answer. */
static json_t *settle(const json_t *hook, wh_result *res) {
  if (res->outcome == WH_OK) return NULL;
  if (res->outcome == WH_REJECTED) {
    json_t *st = res->status;
    res->status = NULL;
    return st;
  }
  char msg[2600];
  snprintf(msg, sizeof msg, "failed calling webhook \"%s\": %s", hook_name(hook), res->why);
  if (fails_open(hook, true)) {
    LOGW("Failed calling webhook, failing open %s: %s", hook_name(hook), msg);
    return NULL;
  }
  LOGW("Failed calling webhook, failing closed %s: %s", hook_name(hook), msg);
  return wh_internal_error(msg);
}

/* obj in the invocation's version: a new reference (obj itself when no
 * conversion is needed), NULL for NULL. */
static json_t *versioned(const wh_attrs *a, const wh_invocation *inv, const json_t *obj) {
  if (!obj) return NULL;
  if (inv->r == a->r) return json_incref((json_t *)obj);
  json_t *copy = json_deep_copy(obj);
  object_convert(a->cache, a->r, inv->r, copy);
  return copy;
}

/* ---- mutating ---- */

/* Webhook identities ("configuration/webhook/index") of reinvocationPolicy bookkeeping. */
typedef struct {
  char **items;
  size_t n;
} name_set;

static bool set_has(const name_set *s, const char *v) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->items[i], v)) return true;
  return false;
}

static void set_add(name_set *s, const char *v) {
  if (set_has(s, v)) return;
  s->items = realloc(s->items, (s->n + 1) * sizeof *s->items);
  s->items[s->n++] = strdup(v);
}

static void set_clear(name_set *s) {
  for (size_t i = 0; i < s->n; i++) free(s->items[i]);
  free(s->items);
  s->items = NULL;
  s->n = 0;
}

typedef struct {
  name_set invoked;  /* reinvocable webhooks called since the object last changed */
  name_set reinvoke; /* the ones to call again */
  bool again;
} reinvocation;

/* Calls one mutating webhook and applies its patch to a->obj; *changed
 * tells whether the object is different now. */
static void call_mutating(const json_t *hook, const wh_attrs *a, const wh_invocation *inv, bool *changed,
                          wh_result *res) {
  *changed = false;
  if (dry_run_check(hook, a, res)) return;
  json_t *obj = versioned(a, inv, a->obj), *old = versioned(a, inv, a->old), *review = NULL;
  char *body = review_body(hook, a, inv, obj, old, &review, res);
  if (body) post(a->cache, hook, review, body, true, res);
  free(body);
  json_decref(review);
  json_decref(old);
  if (res->outcome == WH_OK) add_warnings(a, &res->resp);
  json_t *patch = res->resp.patch;
  if (res->outcome != WH_OK || !json_array_size(patch)) {
    json_decref(obj);
    return;
  }
  char err[1024];
  json_t *patched = NULL;
  if (!obj) {
    snprintf(err, sizeof err,
             "admission webhook \"%s\" attempted to modify the object, which is not supported for this operation",
             hook_name(hook));
  } else {
    patched = json_patch_apply(obj, patch, err, sizeof err);
  }
  if (!patched || !json_is_object(patched)) {
    res->outcome = WH_REJECTED;
    res->status = wh_internal_error(patched ? "the patched object is not a JSON object" : err);
    json_decref(patched);
    json_decref(obj);
    return;
  }
  if (!a->kind) kinds_default(&inv->r->ref, patched); /* CONNECT's options are not the resource's kind */
  *changed = !json_equal(obj, patched);
  json_decref(obj);
  if (inv->r != a->r) object_convert(a->cache, inv->r, a->r, patched);
  json_object_clear(a->obj);
  json_object_update(a->obj, patched);
  json_decref(patched);
}

static json_t *mutate_round(const wh_attrs *a, const cobj_vec *cfgs, int round, reinvocation *ri) {
  for (size_t c = 0; c < cfgs->n; c++) {
    const json_t *cfg = cfgs->items[c]->obj;
    const char *cfg_name = json_string_value(json_object_get(json_object_get(cfg, "metadata"), "name"));
    size_t i;
    json_t *hook;
    json_array_foreach(json_object_get(cfg, "webhooks"), i, hook) {
      wh_invocation inv;
      json_t *st = NULL;
      int m = wh_should_call(hook, a, namespace_labels, a->cache, &inv, &st);
      if (m < 0) return st;
      if (m == 0) continue;
      char uid[600];
      snprintf(uid, sizeof uid, "%s/%s/%zu", cfg_name ? cfg_name : "", hook_name(hook), i);
      if (round > 0 && !set_has(&ri->reinvoke, uid)) continue;
      wh_result res;
      memset(&res, 0, sizeof res);
      bool changed;
      call_mutating(hook, a, &inv, &changed, &res);
      if (changed) {
        for (size_t k = 0; k < ri->invoked.n; k++) set_add(&ri->reinvoke, ri->invoked.items[k]);
        set_clear(&ri->invoked);
        ri->again = true;
      }
      const char *rp = json_string_value(json_object_get(hook, "reinvocationPolicy"));
      if (rp && !strcmp(rp, "IfNeeded")) set_add(&ri->invoked, uid);
      st = settle(hook, &res);
      wh_response_clear(&res.resp);
      json_decref(res.status);
      if (st) return st;
    }
  }
  return NULL;
}

json_t *webhook_mutate(const wh_attrs *a) {
  if (webhook_exempt(a->r, a->sub)) return NULL;
  cobj_vec cfgs = {0};
  list_configs(a->cache, "mutatingwebhookconfigurations", &cfgs);
  if (!cfgs.n) return NULL;
  reinvocation ri;
  memset(&ri, 0, sizeof ri);
  json_t *st = mutate_round(a, &cfgs, 0, &ri);
  if (!st && ri.again && ri.reinvoke.n) st = mutate_round(a, &cfgs, 1, &ri);
  set_clear(&ri.invoked);
  set_clear(&ri.reinvoke);
  cobj_vec_clear(&cfgs);
  return st;
}

/* ---- validating ---- */

typedef struct {
  const json_t *hook;
  cache *cache;
  json_t *review;
  char *body;
  wh_result res;
  pthread_t thread;
  bool started;
} validation;

static void *validate_one(void *arg) {
  validation *v = arg;
  post(v->cache, v->hook, v->review, v->body, false, &v->res);
  return NULL;
}

json_t *webhook_validate(const wh_attrs *a) {
  if (webhook_exempt(a->r, a->sub)) return NULL;
  cobj_vec cfgs = {0};
  list_configs(a->cache, "validatingwebhookconfigurations", &cfgs);
  if (!cfgs.n) return NULL;
  validation *vs = NULL;
  size_t n = 0;
  json_t *st = NULL;
  /* what to call, and the bodies (serialized here: jansson objects are not
   * to be read by several threads at once) */
  for (size_t c = 0; c < cfgs.n && !st; c++) {
    size_t i;
    json_t *hook;
    json_array_foreach(json_object_get(cfgs.items[c]->obj, "webhooks"), i, hook) {
      wh_invocation inv;
      int m = wh_should_call(hook, a, namespace_labels, a->cache, &inv, &st);
      if (m < 0) break;
      if (m == 0) continue;
      vs = realloc(vs, (n + 1) * sizeof *vs);
      validation *v = &vs[n++];
      memset(v, 0, sizeof *v);
      v->hook = hook;
      v->cache = a->cache;
      if (dry_run_check(hook, a, &v->res)) continue;
      json_t *obj = versioned(a, &inv, a->obj), *old = versioned(a, &inv, a->old);
      v->body = review_body(hook, a, &inv, obj, old, &v->review, &v->res);
      json_decref(obj);
      json_decref(old);
    }
  }
  for (size_t i = 0; i < n && !st; i++) {
    if (!vs[i].body) continue;
    if (n == 1) validate_one(&vs[i]);
    else vs[i].started = pthread_create(&vs[i].thread, NULL, validate_one, &vs[i]) == 0;
    if (n > 1 && !vs[i].started) validate_one(&vs[i]);
  }
  for (size_t i = 0; i < n; i++)
    if (vs[i].started) pthread_join(vs[i].thread, NULL);
  for (size_t i = 0; i < n; i++) {
    if (vs[i].res.outcome == WH_OK) add_warnings(a, &vs[i].res.resp);
    if (!st && (vs[i].body || vs[i].res.outcome != WH_OK)) {
      st = settle(vs[i].hook, &vs[i].res);
      if (st) LOGW("rejected by webhook \"%s\": %s", hook_name(vs[i].hook),
                   json_string_value(json_object_get(st, "message")));
    }
    wh_response_clear(&vs[i].res.resp);
    json_decref(vs[i].res.status);
    json_decref(vs[i].review);
    free(vs[i].body);
  }
  free(vs);
  cobj_vec_clear(&cfgs);
  return st;
}
