/* fuzz_object.c - libFuzzer target for what the API core does to a decoded
 * request body before storing it: defaulting, create/update strategies,
 * validation (with Status rendering) and unknown-field detection, for a
 * handful of kinds chosen by the first input byte. Must never crash or leak. */
#include "apispec.h"
#include "field_errors.h"
#include "kinds.h"
#include "unknown_fields.h"
#include <stdint.h>
#include <stdlib.h>

static json_t *defs;

static const kind_ref kinds[] = {
    {"", "v1", "Pod", "pods", true},
    {"", "v1", "Service", "services", true},
    {"", "v1", "Namespace", "namespaces", false},
    {"", "v1", "ConfigMap", "configmaps", true},
    {"apps", "v1", "Deployment", "deployments", true},
    {"apps", "v1", "StatefulSet", "statefulsets", true},
    {"batch", "v1", "Job", "jobs", true},
    {"batch", "v1", "CronJob", "cronjobs", true},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true},
    {"events.k8s.io", "v1", "Event", "events", true},
};
static const char *const definitions[] = {
    "io.k8s.api.core.v1.Pod", "io.k8s.api.core.v1.Service", "io.k8s.api.core.v1.Namespace",
    "io.k8s.api.core.v1.ConfigMap", "io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.StatefulSet",
    "io.k8s.api.batch.v1.Job", "io.k8s.api.batch.v1.CronJob", "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
    "io.k8s.api.events.v1.Event"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!defs) {
    apispec_blob b = apispec_get("definitions.json");
    defs = json_loadb((const char *)b.data, b.len, 0, NULL);
  }
  if (size < 2) return 0;
  size_t k = data[0] % (sizeof kinds / sizeof kinds[0]);
  json_t *obj = json_loadb((const char *)data + 1, size - 1, 0, NULL);
  if (!json_is_object(obj)) {
    json_decref(obj);
    return 0;
  }
  json_t *old = json_deep_copy(obj);
  kinds_default(&kinds[k], obj);
  kinds_prepare_create(&kinds[k], obj);
  field_errors *fe = field_errors_new();
  kinds_validate(&kinds[k], obj, NULL, fe);
  kinds_prepare_update(&kinds[k], (data[0] & 0x80) ? "status" : NULL, obj, old);
  kinds_validate(&kinds[k], obj, old, fe);
  json_t *st = fe_to_status(fe, kinds[k].group, kinds[k].kind, "x");
  json_decref(st);
  field_errors_free(fe);
  json_t *unknown = json_array();
  unknown_fields(defs, definitions[k], obj, unknown);
  json_decref(unknown);
  if (!kinds[k].group[0] || data[0] & 1) kinds_convert(obj, "autoscaling/v2", "autoscaling/v1");
  json_decref(obj);
  json_decref(old);
  return 0;
}
