/* admission_namespace.c - kube-apiserver's NamespaceLifecycle plugin, the
 * first row of the admission table: an object is created only in a
 * namespace that exists and is not being terminated (403 with the
 * NamespaceTerminating cause, 404 for a missing namespace). */
#include "admission.h"
#include "status.h"
#include <stdio.h>

json_t *admit_namespace_lifecycle(cache *c, const resource *r, const char *ns, const char *name) {
  if (!r->ref.namespaced) return NULL;
  const resource *nsr = registry_find("", "v1", "namespaces");
  cobj *n = nsr ? cache_get(c, nsr->bucket, "", ns) : NULL;
  if (!n) return status_not_found_gr("", "namespaces", ns);
  bool terminating = json_object_get(json_object_get(n->obj, "metadata"), "deletionTimestamp") != NULL;
  cobj_unref(n);
  if (!terminating) return NULL;
  char why[512];
  snprintf(why, sizeof why, "unable to create new content in namespace %s because it is being terminated", ns);
  json_t *s = status_forbidden(r, name, why);
  json_t *d = json_object_get(s, "details");
  json_object_set_new(d, "causes", json_pack("[{s:s,s:s,s:s}]", "reason", "NamespaceTerminating", "message", why,
                                             "field", "metadata.namespace"));
  return s;
}
