/* openapi.c - serves the OpenAPI documents embedded by api-spec/ (see
 * openapi.h). kubectl 1.20 asks for the v2 document as gnostic protobuf;
 * newer clients fetch the v3 index and then one document per group-version
 * (the ?hash= query only drives their caching). While custom resources are
 * served, the documents are rebuilt whenever the registry changes: their
 * definitions (crd_openapi.c) join the v2 JSON, are appended to the v2
 * protobuf as an extra definitions field, and get one v3 document per
 * group-version listed in the v3 index. */
#include "openapi.h"
#include "apispec.h"
#include "crd_openapi.h"
#include "openapi_gnostic.h"
#include "registry.h"
#include "status.h"
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
  char *data;
  size_t len;
} blob;

/* The documents for the current registry; all NULL while no custom resource
 * is served (the embedded documents are then served as they are). */
static pthread_mutex_t docs_lock = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static unsigned long docs_generation;
static json_t *base_v2;   /* the embedded v2 document, parsed once */
static blob v2_json, v2_pb, v3_index;
static json_t *v3_docs;   /* {"apis/example.com/v1": serialized document} */

static void blob_set(blob *b, char *data, size_t len) {
  free(b->data);
  b->data = data;
  b->len = len;
}

static json_t *load_embedded(const char *name) {
  apispec_blob b = apispec_get(name);
  return b.data ? json_loadb((const char *)b.data, b.len, 0, NULL) : NULL;
}

/* A copy of v whose "#/definitions/" references point to components; a
 * reference with siblings (a field's description, default) becomes
 * {"allOf": [{"$ref": ...}], ...} as OpenAPI 3.0 ignores $ref siblings. */
static json_t *v3_refs(const json_t *v, int depth) {
  if (depth > MAX_DEPTH) return json_null();
  if (json_is_array(v)) {
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) json_array_append_new(out, v3_refs(e, depth + 1));
    return out;
  }
  if (!json_is_object(v)) return json_deep_copy(v);
  json_t *out = json_object();
  const char *k;
  json_t *e;
  json_object_foreach((json_t *)v, k, e) {
    const char *s = json_string_value(e);
    if (!strcmp(k, "$ref") && s && !strncmp(s, "#/definitions/", 14)) {
      char ref[600];
      snprintf(ref, sizeof ref, "#/components/schemas/%s", s + 14);
      json_object_set_new(out, k, json_string(ref));
    } else {
      json_object_set_new(out, k, v3_refs(e, depth + 1));
    }
  }
  json_t *ref = json_object_get(out, "$ref");
  if (ref && json_object_size(out) > 1) {
    json_object_set_new(out, "allOf", json_pack("[{s:O}]", "$ref", ref));
    json_object_del(out, "$ref");
  }
  return out;
}

/* Adds to out every definition of all that v references, transitively. */
static void add_referenced(const json_t *all, const json_t *v, json_t *out, int depth) {
  if (depth > MAX_DEPTH) return;
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) add_referenced(all, e, out, depth + 1);
    return;
  }
  if (!json_is_object(v)) return;
  const char *k;
  json_t *e;
  json_object_foreach((json_t *)v, k, e) {
    const char *s = json_string_value(e);
    if (!strcmp(k, "$ref") && s && !strncmp(s, "#/definitions/", 14)) {
      const json_t *d = json_object_get(all, s + 14);
      if (d && !json_object_get(out, s + 14)) {
        json_object_set(out, s + 14, (json_t *)d);
        add_referenced(all, d, out, depth + 1);
      }
    } else {
      add_referenced(all, e, out, depth + 1);
    }
  }
}

static char *dump(const json_t *doc, size_t *len) {
  char *s = json_dumps(doc, JSON_COMPACT);
  *len = s ? strlen(s) : 0;
  return s;
}

static void build_v2(const json_t *defs) {
  json_t *doc = json_copy(base_v2);
  json_t *all = json_copy(json_object_get(base_v2, "definitions"));
  json_object_update(all, (json_t *)defs);
  json_object_set_new(doc, "definitions", all);
  size_t len;
  char *s = dump(doc, &len);
  blob_set(&v2_json, s, len);
  json_decref(doc);
  apispec_blob pb = apispec_get("openapi-v2.pb");
  size_t extra_len;
  unsigned char *extra = gnostic_definitions(defs, &extra_len);
  char *out = malloc(pb.len + extra_len + 1);
  memcpy(out, pb.data, pb.len);
  memcpy(out + pb.len, extra, extra_len);
  free(extra);
  blob_set(&v2_pb, out, pb.len + extra_len);
}

/* One v3 document per served custom group-version, listed in the index. */
static void build_v3(void) {
  json_t *index = load_embedded("openapi-v3.json");
  if (!index) return;
  json_t *paths = json_object_get(index, "paths");
  json_decref(v3_docs);
  v3_docs = json_object();
  const json_t *meta = json_object_get(base_v2, "definitions");
  size_t n = registry_count();
  for (size_t i = 0; i < n; i++) {
    const resource *r = registry_at(i);
    char gv[400];
    snprintf(gv, sizeof gv, "apis/%s/%s", r->ref.group, r->ref.version);
    if (!r->ref.crd || !registry_served(r) || json_object_get(v3_docs, gv)) continue;
    json_t *defs = crd_openapi_definitions(r->ref.group, r->ref.version);
    json_t *schemas = json_object();
    add_referenced(meta, defs, schemas, 0);
    json_object_update(schemas, defs);
    json_decref(defs);
    json_t *cpaths = crd_openapi_paths(r->ref.group, r->ref.version);
    json_t *doc = json_pack("{s:s,s:{s:s,s:s},s:o,s:{s:o}}", "openapi", "3.0.0", "info", "title", "Kubernetes",
                            "version", "v1.20.2", "paths", v3_refs(cpaths, 0), "components", "schemas",
                            v3_refs(schemas, 0));
    json_decref(cpaths);
    json_decref(schemas);
    size_t len;
    char *s = dump(doc, &len);
    json_decref(doc);
    unsigned char md[SHA512_DIGEST_LENGTH];
    SHA512((const unsigned char *)s, len, md);
    char hex[2 * SHA512_DIGEST_LENGTH + 1], url[1000];
    for (int k = 0; k < SHA512_DIGEST_LENGTH; k++) snprintf(hex + 2 * k, 3, "%02X", md[k]);
    snprintf(url, sizeof url, "/openapi/v3/%s?hash=%s", gv, hex);
    json_object_set_new(paths, gv, json_pack("{s:s}", "serverRelativeURL", url));
    json_object_set_new(v3_docs, gv, json_string(s));
    free(s);
  }
  size_t len;
  char *s = dump(index, &len);
  blob_set(&v3_index, s, len);
  json_decref(index);
}

/* Brings the documents up to the registry; called with docs_lock held. */
static void refresh(void) {
  unsigned long gen = registry_generation();
  if (gen == docs_generation) return;
  docs_generation = gen;
  json_t *defs = crd_openapi_definitions(NULL, NULL);
  if (!json_object_size(defs)) {
    blob_set(&v2_json, NULL, 0);
    blob_set(&v2_pb, NULL, 0);
    blob_set(&v3_index, NULL, 0);
    json_decref(v3_docs);
    v3_docs = NULL;
  } else {
    if (!base_v2) base_v2 = load_embedded("openapi-v2.json");
    if (base_v2) {
      build_v2(defs);
      build_v3();
    }
  }
  json_decref(defs);
}

static void send_not_found(http_req *rq) {
  http_send_status(rq, status_no_route(404));
}

/* Sends the built document when there is one, else the embedded one. */
static void send_doc(http_req *rq, const blob *built, const char *name, const char *ctype) {
  pthread_mutex_lock(&docs_lock);
  refresh();
  if (built->data) {
    http_send(rq, 200, ctype, built->data, built->len);
    pthread_mutex_unlock(&docs_lock);
    return;
  }
  pthread_mutex_unlock(&docs_lock);
  apispec_blob b = apispec_get(name);
  if (!b.data) send_not_found(rq);
  else http_send(rq, 200, ctype, (const char *)b.data, b.len);
}

/* A v3 group-version document of custom resources; false when not one. */
static bool send_custom_v3(http_req *rq, const char *gv) {
  pthread_mutex_lock(&docs_lock);
  refresh();
  const char *doc = json_string_value(json_object_get(v3_docs, gv));
  if (doc) http_send(rq, 200, "application/json", doc, strlen(doc));
  pthread_mutex_unlock(&docs_lock);
  return doc != NULL;
}

bool openapi_handle(http_req *rq) {
  const char *p = rq->path;
  if (strncmp(p, "/openapi/", 9) != 0) return false;
  if (!strcmp(p, "/openapi/v2") || !strcmp(p, "/openapi/v2/")) {
    if (rq->accept && strstr(rq->accept, "application/com.github.proto-openapi.spec.v2"))
      send_doc(rq, &v2_pb, "openapi-v2.pb", "application/octet-stream"); /* as kube-apiserver labels it */
    else
      send_doc(rq, &v2_json, "openapi-v2.json", "application/json");
    return true;
  }
  if (!strcmp(p, "/openapi/v3") || !strcmp(p, "/openapi/v3/")) {
    send_doc(rq, &v3_index, "openapi-v3.json", "application/json");
    return true;
  }
  if (!strncmp(p, "/openapi/v3/", 12)) {
    if (send_custom_v3(rq, p + 12)) return true;
    char name[300];
    snprintf(name, sizeof name, "openapi-v3/%s", p + 12);
    apispec_blob b = apispec_get(name);
    if (!b.data) send_not_found(rq);
    else http_send(rq, 200, "application/json", (const char *)b.data, b.len);
    return true;
  }
  return false;
}
