/* admission_ingress.c - kube-apiserver 1.20's DefaultIngressClass admission
 * plugin: an Ingress created (networking.k8s.io or extensions) with neither
 * spec.ingressClassName nor the kubernetes.io/ingress.class annotation gets
 * the one IngressClass annotated ingressclass.kubernetes.io/is-default-class
 * "true"; none leaves it class-less, two or more refuse the create, as
 * plugin/pkg/admission/network/defaultingressclass does. */
#include "admission.h"
#include "status.h"
#include <stdio.h>
#include <string.h>

static bool is_ingress(const resource *r) {
  return !strcmp(r->ref.plural, "ingresses") &&
         (!strcmp(r->ref.group, "networking.k8s.io") || !strcmp(r->ref.group, "extensions"));
}

json_t *admit_default_ingress_class(cache *c, const resource *r, const char *name, json_t *obj) {
  if (!is_ingress(r)) return NULL;
  json_t *spec = json_object_get(obj, "spec");
  const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
  if (!json_is_object(spec) || json_object_get(spec, "ingressClassName") ||
      json_object_get(ann, "kubernetes.io/ingress.class"))
    return NULL;
  const resource *icr = registry_find("networking.k8s.io", "v1", "ingressclasses");
  if (!icr) return NULL;
  static const char *const keys[] = {"ingressclass.kubernetes.io/is-default-class", NULL};
  char def[256];
  int n = admission_count_defaults(c, icr, keys, def, sizeof def);
  json_t *st = NULL;
  if (n > 1) {
    char why[128];
    snprintf(why, sizeof why, "Internal error occurred: %d default IngressClasses were found, only 1 allowed", n);
    st = status_forbidden(r, name, why);
  } else if (n == 1) {
    json_object_set_new(spec, "ingressClassName", json_string(def));
  }
  return st;
}
