/* kinds_convert_ingress.c - Ingress between networking.k8s.io/v1 (the
 * storage shape) and the v1beta1 shape networking.k8s.io/v1beta1 and
 * extensions/v1beta1 share, as 1.20's pkg/apis/networking/v1beta1 and
 * extensions/v1beta1 conversions do: spec.defaultBackend <-> spec.backend,
 * and in every backend (the default one and each rule path's) service
 * {name, port {number | name}} <-> serviceName + servicePort (IntOrString:
 * a string is a port name). servicePort is not omitted in v1beta1 (Go
 * writes a zero IntOrString as 0), so a resource backend reads back with
 * servicePort 0. Keys keep their place in their object; keys of the target
 * shape found in the source (unknown fields there) give way to the
 * converted ones. */
#include "kinds_util.h"
#include <string.h>

/* Replaces obj[from] by obj[to] = value (stolen) at from's position. */
static void rename_in_place(json_t *obj, const char *from, const char *to, json_t *value) {
  json_t *copy = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    if (!strcmp(k, from)) json_object_set(copy, to, value);
    else if (strcmp(k, to)) json_object_set(copy, k, v);
  }
  json_decref(value);
  json_object_clear(obj);
  json_object_update(obj, copy);
  json_decref(copy);
}

/* A v1beta1 backend as a new v1 backend. */
static json_t *backend_to_v1(const json_t *b) {
  json_t *out = json_object();
  const json_t *name = json_object_get(b, "serviceName"), *port = json_object_get(b, "servicePort");
  const char *n = json_string_value(name);
  bool has_name = n && *n, port_name = json_is_string(port), port_num = json_integer_value(port) != 0;
  if (has_name || port_name || port_num) {
    json_t *p = json_object();
    if (port_name && *json_string_value(port)) json_object_set(p, "name", (json_t *)port);
    else if (port_num) json_object_set(p, "number", (json_t *)port);
    json_object_set_new(out, "service", json_pack("{s:s,s:o}", "name", n ? n : "", "port", p));
  }
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)b, k, v) {
    if (strcmp(k, "serviceName") && strcmp(k, "servicePort") && strcmp(k, "service")) json_object_set(out, k, v);
  }
  return out;
}

/* A v1 backend as a new v1beta1 backend. */
static json_t *backend_from_v1(const json_t *b) {
  json_t *out = json_object();
  const json_t *svc = json_object_get(b, "service");
  const char *name = kstr(svc, "name");
  if (name && *name) json_object_set_new(out, "serviceName", json_string(name));
  const json_t *port = json_object_get(svc, "port");
  const char *pname = kstr(port, "name");
  const json_t *num = json_object_get(port, "number");
  if (pname && *pname) json_object_set_new(out, "servicePort", json_string(pname));
  else json_object_set_new(out, "servicePort", json_integer(json_integer_value(num)));
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)b, k, v) {
    if (strcmp(k, "service") && strcmp(k, "serviceName") && strcmp(k, "servicePort")) json_object_set(out, k, v);
  }
  return out;
}

typedef json_t *(*backend_fn)(const json_t *);

/* Replaces every backend of spec: the default one (renamed from -> to)
 * and each rule path's. */
static void convert_spec(json_t *spec, const char *from, const char *to, backend_fn fn) {
  if (!json_is_object(spec)) return;
  const json_t *def = json_object_get(spec, from);
  if (json_is_object(def)) rename_in_place(spec, from, to, fn(def));
  size_t i, j;
  json_t *r, *p;
  json_array_foreach(json_object_get(spec, "rules"), i, r) {
    json_array_foreach(json_object_get(json_object_get(r, "http"), "paths"), j, p) {
      const json_t *b = json_object_get(p, "backend");
      if (json_is_object(b)) json_object_set_new(p, "backend", fn(b));
    }
  }
}

void ingress_to_v1(json_t *obj) { convert_spec(json_object_get(obj, "spec"), "backend", "defaultBackend", backend_to_v1); }

void ingress_from_v1(json_t *obj) {
  convert_spec(json_object_get(obj, "spec"), "defaultBackend", "backend", backend_from_v1);
}
