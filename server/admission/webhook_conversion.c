/* webhook_conversion.c - custom resources converted by their CRD's
 * conversion webhook (spec.conversion.strategy Webhook), as the
 * apiextensions-apiserver 1.20 webhook converter does: one ConversionReview
 * (apiextensions.k8s.io/v1 or v1beta1, the first of the CRD's
 * conversionReviewVersions this server speaks) carries every object that is
 * not yet in the desired version; the answer must name the request's uid,
 * report Success and return as many objects, each in the desired
 * group/version and kind, with the same name, namespace and uid; the
 * objects' metadata is then put back but for the labels and annotations the
 * webhook may change. The call is webhook_call.c's (url or service,
 * caBundle), the same client admission webhooks use. */
#include "object_meta.h"
#include "json_path.h"
#include "webhook_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONVERSION_TIMEOUT_S 30 /* the webhook client's timeout in kube-apiserver */

static const char *review_version(const json_t *webhook) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(webhook, "conversionReviewVersions"), i, v) {
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "v1") || !strcmp(s, "v1beta1"))) return s;
  }
  return NULL;
}

/* 500 "Internal error occurred: ...", as a failed conversion reaches clients. */
static json_t *failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *failure(const char *fmt, ...) {
  char msg[3072];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return wh_internal_error(msg);
}

/* The converted objects of a verified response (borrowed from doc), or NULL with err set. */
static json_t *converted_objects(const json_t *doc, const char *version, const char *uid, char *err, size_t errlen) {
  if (!strcmp(version, "v1") && (strcmp(json_str0(doc, "apiVersion"), "apiextensions.k8s.io/v1") != 0 ||
                                 strcmp(json_str0(doc, "kind"), "ConversionReview") != 0)) {
    snprintf(err, errlen, "expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got %s, Kind=%s",
             json_str0(doc, "apiVersion"), json_str0(doc, "kind"));
    return NULL;
  }
  const json_t *resp = json_object_get(doc, "response");
  if (!json_is_object(resp)) {
    snprintf(err, errlen, "no response provided");
    return NULL;
  }
  if (strcmp(json_str0(resp, "uid"), uid) != 0) {
    snprintf(err, errlen, "expected response.uid=\"%s\", got \"%s\"", uid, json_str0(resp, "uid"));
    return NULL;
  }
  const json_t *result = json_object_get(resp, "result");
  if (strcmp(json_str0(result, "status"), "Success") != 0) {
    if (*json_str0(result, "message")) snprintf(err, errlen, "%s", json_str0(result, "message"));
    else snprintf(err, errlen, "response.result.status was '%s', not 'Success'", json_str0(result, "status"));
    return NULL;
  }
  json_t *objs = json_object_get(resp, "convertedObjects");
  if (!json_is_array(objs)) snprintf(err, errlen, "no objects returned");
  return json_is_array(objs) ? objs : NULL;
}

/* validateConvertedObject: kind, name, namespace and uid kept. */
static int same_identity(const json_t *in, const json_t *out, char *err, size_t errlen) {
  const json_t *im = json_object_get(in, "metadata"), *om = json_object_get(out, "metadata");
  static const char *const keys[] = {"name", "namespace", "uid", NULL};
  if (strcmp(json_str0(in, "kind"), json_str0(out, "kind")) != 0) {
    snprintf(err, errlen, "must have the same kind: %s != %s", json_str0(in, "kind"), json_str0(out, "kind"));
    return -1;
  }
  for (int i = 0; keys[i]; i++) {
    if (strcmp(json_str0(im, keys[i]), json_str0(om, keys[i])) != 0) {
      snprintf(err, errlen, "must have the same %s: %s != %s", !strcmp(keys[i], "uid") ? "UID" : keys[i],
               json_str0(im, keys[i]), json_str0(om, keys[i]));
      return -1;
    }
  }
  return 0;
}

/* restoreObjectMeta: the original metadata with the converted labels and annotations. */
static int restore_meta(const json_t *in, json_t *out, char *err, size_t errlen) {
  json_t *rm = json_object_get(out, "metadata");
  if (!json_is_object(rm)) {
    snprintf(err, errlen, rm ? "invalid metadata in converted object" : "missing metadata in converted object");
    return -1;
  }
  json_t *md = json_deep_copy(json_object_get(in, "metadata"));
  if (!md) md = json_object();
  static const char *const keep[] = {"labels", "annotations", NULL};
  for (int i = 0; keep[i]; i++) {
    json_t *v = json_object_get(rm, keep[i]);
    if (!v || json_is_null(v)) {
      json_object_del(md, keep[i]);
      continue;
    }
    const char *k;
    json_t *s;
    bool ok = json_is_object(v);
    json_object_foreach(v, k, s) ok = ok && json_is_string(s);
    if (!ok) {
      snprintf(err, errlen, "invalid metadata.%s in converted object", keep[i]);
      json_decref(md);
      return -1;
    }
    json_object_set(md, keep[i], v);
  }
  json_object_set_new(out, "metadata", md);
  return 0;
}

/* Checks converted object i against the original in and the desired version;
 * 0, or -1 with the reason in err. */
static int check_converted(const json_t *in, json_t *out, const char *desired, char *err, size_t errlen) {
  char why[512];
  if (!json_is_object(out)) {
    snprintf(err, errlen, "invalid type, expected=Unstructured");
    return -1;
  }
  if (strcmp(json_str0(out, "apiVersion"), desired) != 0) {
    snprintf(err, errlen, "invalid groupVersion (expected %s, received %s)", desired, json_str0(out, "apiVersion"));
    return -1;
  }
  if (strcmp(json_str0(out, "kind"), json_str0(in, "kind")) != 0) {
    snprintf(err, errlen, "invalid kind (expected %s, received %s)", json_str0(in, "kind"), json_str0(out, "kind"));
    return -1;
  }
  if (same_identity(in, out, why, sizeof why) != 0 || restore_meta(in, out, why, sizeof why) != 0) {
    snprintf(err, errlen, "%s", why);
    return -1;
  }
  return 0;
}

json_t *webhook_convert(cache *c, const json_t *webhook, json_t *const *objs, size_t n, const char *desired) {
  size_t todo = 0;
  for (size_t i = 0; i < n; i++) todo += strcmp(json_str0(objs[i], "apiVersion"), desired) != 0;
  if (!todo) return NULL;
  char gvk[600], err[2048] = "";
  const json_t *first = NULL;
  for (size_t i = 0; i < n && !first; i++)
    if (strcmp(json_str0(objs[i], "apiVersion"), desired) != 0) first = objs[i];
  snprintf(gvk, sizeof gvk, "%s, Kind=%s", json_str0(first, "apiVersion"), json_str0(first, "kind"));
  const char *version = review_version(webhook);
  if (!version) return failure("no supported conversion review versions");
  char uid[40], av[64];
  meta_new_uid(uid, sizeof uid);
  snprintf(av, sizeof av, "apiextensions.k8s.io/%s", version);
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    if (strcmp(json_str0(objs[i], "apiVersion"), desired) != 0) json_array_append(list, objs[i]);
  json_t *review = json_pack("{s:s,s:s,s:{s:s,s:s,s:o}}", "kind", "ConversionReview", "apiVersion", av, "request",
                             "uid", uid, "desiredAPIVersion", desired, "objects", list);
  char *body = json_dumps(review, JSON_COMPACT);
  json_decref(review);
  char *resp = NULL;
  size_t rlen = 0;
  json_t *doc = NULL, *st = NULL;
  if (wh_call(c, json_object_get(webhook, "clientConfig"), body, strlen(body), CONVERSION_TIMEOUT_S, &resp, &rlen, err,
              sizeof err) != 0) {
    st = failure("conversion webhook for %s failed: %s", gvk, err);
    goto out;
  }
  json_error_t je;
  doc = json_loadb(resp, rlen, 0, &je);
  json_t *out = json_is_object(doc) ? converted_objects(doc, version, uid, err, sizeof err) : NULL;
  if (!json_is_object(doc)) snprintf(err, sizeof err, "%s", je.text);
  if (!out) {
    st = failure("conversion webhook for %s failed: %s", gvk, err);
    goto out;
  }
  if (json_array_size(out) != todo) {
    st = failure("conversion webhook for %s returned %zu objects, expected %zu", gvk,
                               json_array_size(out), todo);
    goto out;
  }
  size_t k = 0;
  for (size_t i = 0; i < n && !st; i++) {
    if (!strcmp(json_str0(objs[i], "apiVersion"), desired)) continue;
    json_t *conv = json_array_get(out, k);
    if (check_converted(objs[i], conv, desired, err, sizeof err) != 0)
      st = failure("conversion webhook for %s returned invalid converted object at index %zu: %s", gvk,
                                 k, err);
    k++;
  }
  k = 0;
  for (size_t i = 0; i < n && !st; i++) {
    if (!strcmp(json_str0(objs[i], "apiVersion"), desired)) continue;
    json_object_clear(objs[i]);
    json_object_update(objs[i], json_array_get(out, k++));
  }
out:
  json_decref(doc);
  free(resp);
  free(body);
  return st;
}
