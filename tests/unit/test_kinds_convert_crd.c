/* test_kinds_convert_crd.c - the apiextensions v1beta1 <-> v1 conversion of
 * CustomResourceDefinitions (server/kinds_convert_crd.c), v1beta1 defaulting
 * and validation (crd_validate.c), and the autoscaling/v2beta1 conversion of
 * HorizontalPodAutoscalers (kinds_convert_hpa.c), against what Kubernetes
 * 1.20 answers for the same objects. */
#include "crd.h"
#include "kinds.h"
#include "test.h"
#include <stdlib.h>

static const kind_ref CRD_V1 = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                                false, NULL};
static const kind_ref CRD_BETA = {"apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition",
                                  "customresourcedefinitions", false, NULL};
static const kind_ref HPA_BETA1 = {"autoscaling", "v2beta1", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                                   true, NULL};

/* The compact JSON at a dotted path ("spec.versions.0"), "(missing)" if absent. */
static char buf[8192];
static const char *at(const json_t *o, const char *path) {
  char p[256];
  snprintf(p, sizeof p, "%s", path);
  const json_t *v = o;
  for (char *tok = strtok(p, "."); tok && v; tok = strtok(NULL, "."))
    v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok)) : json_object_get(v, tok);
  if (!v) return "(missing)";
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
  snprintf(buf, sizeof buf, "%s", s);
  free(s);
  return buf;
}

static const char beta_crd[] =
    "{\"apiVersion\":\"apiextensions.k8s.io/v1beta1\",\"kind\":\"CustomResourceDefinition\","
    "\"metadata\":{\"name\":\"certificates.certmanager.k8s.io\"},\"spec\":{\"group\":\"certmanager.k8s.io\","
    "\"version\":\"v1alpha1\",\"names\":{\"kind\":\"Certificate\",\"plural\":\"certificates\"},"
    "\"subresources\":{\"status\":{}},\"additionalPrinterColumns\":[{\"JSONPath\":\".spec.secretName\",\"name\":"
    "\"Secret\",\"type\":\"string\"}],\"validation\":{\"openAPIV3Schema\":{\"properties\":{\"spec\":{\"properties\":"
    "{\"secretName\":{\"type\":\"string\"}}}}}}}}";

static void test_v1beta1_defaults_and_to_v1(void) {
  json_t *o = json_loads(beta_crd, 0, NULL);
  kinds_default(&CRD_BETA, o);
  CHECK_STR(at(o, "spec.scope"), "\"Namespaced\"");
  CHECK_STR(at(o, "spec.versions"), "[{\"name\":\"v1alpha1\",\"served\":true,\"storage\":true}]");
  CHECK_STR(at(o, "spec.preserveUnknownFields"), "true");
  CHECK_STR(at(o, "spec.conversion"), "{\"strategy\":\"None\"}");
  CHECK_STR(at(o, "spec.names.listKind"), "\"CertificateList\"");
  CHECK_STR(at(o, "status.storedVersions"), "[\"v1alpha1\"]");
  /* a non-structural schema is fine in v1beta1 while unknown fields are kept */
  field_errors *fe = field_errors_new();
  kinds_validate(&CRD_BETA, o, NULL, fe);
  CHECK(fe_count(fe) == 0);
  for (size_t i = 0; i < fe_count(fe); i++) fprintf(stderr, "  %s: %s\n", fe_field(fe, i), fe_body(fe, i));
  field_errors_free(fe);
  CHECK(kinds_convert(o, "apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1") == 0);
  CHECK_STR(at(o, "apiVersion"), "\"apiextensions.k8s.io/v1\"");
  CHECK_STR(at(o, "spec.version"), "(missing)");
  CHECK_STR(at(o, "spec.validation"), "(missing)");
  CHECK_STR(at(o, "spec.versions.0.additionalPrinterColumns"),
            "[{\"name\":\"Secret\",\"type\":\"string\",\"jsonPath\":\".spec.secretName\"}]");
  CHECK_STR(at(o, "spec.versions.0.subresources"), "{\"status\":{}}");
  CHECK_STR(at(o, "spec.versions.0.schema.openAPIV3Schema.properties.spec.properties.secretName.type"), "\"string\"");
  CHECK_STR(at(o, "spec.preserveUnknownFields"), "true");
  /* and back: one version, so everything is top-level again */
  CHECK(kinds_convert(o, "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1") == 0);
  CHECK_STR(at(o, "spec.version"), "\"v1alpha1\"");
  CHECK_STR(at(o, "spec.versions"), "[{\"name\":\"v1alpha1\",\"served\":true,\"storage\":true}]");
  CHECK_STR(at(o, "spec.additionalPrinterColumns"),
            "[{\"name\":\"Secret\",\"type\":\"string\",\"JSONPath\":\".spec.secretName\"}]");
  CHECK_STR(at(o, "spec.subresources"), "{\"status\":{}}");
  CHECK_STR(at(o, "spec.validation.openAPIV3Schema.properties.spec.properties.secretName.type"), "\"string\"");
  json_decref(o);
}

static void test_v1_to_v1beta1(void) {
  json_t *o = json_loads(
      "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"spec\":{\"group\":\"e.io\","
      "\"names\":{\"kind\":\"W\",\"plural\":\"ws\"},\"scope\":\"Cluster\",\"versions\":["
      "{\"name\":\"v2\",\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\"}},"
      "\"subresources\":{\"status\":{}},\"additionalPrinterColumns\":[{\"name\":\"A\",\"type\":\"string\",\"jsonPath\":\".a\"}]},"
      "{\"name\":\"v1\",\"served\":true,\"storage\":false,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
      "\"x-kubernetes-preserve-unknown-fields\":true}},\"subresources\":{\"status\":{}}}],"
      "\"conversion\":{\"strategy\":\"Webhook\",\"webhook\":{\"clientConfig\":{\"url\":\"https://c.e.io\"},"
      "\"conversionReviewVersions\":[\"v1\"]}}}}",
      0, NULL);
  json_t *orig = json_deep_copy(o);
  kinds_convert(o, "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1");
  CHECK_STR(at(o, "spec.version"), "\"v2\"");
  CHECK_STR(at(o, "spec.subresources"), "{\"status\":{}}"); /* identical: top level */
  CHECK_STR(at(o, "spec.validation"), "(missing)");          /* different: per version */
  CHECK_STR(at(o, "spec.versions.1.schema.openAPIV3Schema"), "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}");
  CHECK_STR(at(o, "spec.versions.0.additionalPrinterColumns"), "[{\"name\":\"A\",\"type\":\"string\",\"JSONPath\":\".a\"}]");
  CHECK_STR(at(o, "spec.versions.0.subresources"), "(missing)");
  CHECK_STR(at(o, "spec.conversion"),
            "{\"strategy\":\"Webhook\",\"webhookClientConfig\":{\"url\":\"https://c.e.io\"},\"conversionReviewVersions\":[\"v1\"]}");
  CHECK_STR(at(o, "spec.preserveUnknownFields"), "false");
  kinds_convert(o, "apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1");
  CHECK(json_equal(o, orig));
  if (!json_equal(o, orig)) fprintf(stderr, "  round trip: %s\n", at(o, "spec"));
  json_decref(o);
  json_decref(orig);
}

/* The errors of kinds_validate as "field: body" lines. */
static char *errors_of(const kind_ref *k, const char *json, const char *old_json) {
  json_t *o = json_loads(json, 0, NULL), *old = old_json ? json_loads(old_json, 0, NULL) : NULL;
  kinds_default(k, o);
  if (old) kinds_default(k, old);
  field_errors *fe = field_errors_new();
  kinds_validate(k, o, old, fe);
  static char out[8192];
  out[0] = 0;
  for (size_t i = 0; i < fe_count(fe); i++) {
    size_t l = strlen(out);
    snprintf(out + l, sizeof out - l, "%s: %s\n", fe_field(fe, i), fe_body(fe, i));
  }
  field_errors_free(fe);
  json_decref(o);
  json_decref(old);
  return out;
}

static void test_v1beta1_validation(void) {
  /* both top-level and identical per-version schemas, a default, a wrong version */
  CHECK_STR(errors_of(&CRD_BETA,
                      "{\"metadata\":{\"name\":\"foos.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":"
                      "\"Namespaced\",\"version\":\"v2\",\"names\":{\"kind\":\"Foo\",\"plural\":\"foos\"},\"validation\":"
                      "{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":"
                      "{\"a\":{\"type\":\"string\",\"default\":\"x\"},\"b\":{\"type\":\"foo\"}}}}}},\"versions\":["
                      "{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\"}}},"
                      "{\"name\":\"v2\",\"served\":true,\"storage\":false,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\"}}}]}}",
                      NULL),
            "spec.validation: Forbidden: top-level and per-version schemas are mutually exclusive\n"
            "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: per-version schemas may "
            "not all be set to identical values (top-level validation should be used instead)\n"
            "spec.version: Invalid value: \"v2\": must match the first version in spec.versions\n"
            "spec.validation.openAPIV3Schema.properties[spec].properties[a].default: Forbidden: must not be set (cannot "
            "set default values in apiextensions.k8s.io/v1beta1 CRDs, must use apiextensions.k8s.io/v1)\n");
  /* pruning needs schemas; identical per-version subresources; a webhook without client config */
  CHECK_STR(errors_of(&CRD_BETA,
                      "{\"metadata\":{\"name\":\"foos.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":"
                      "\"Namespaced\",\"names\":{\"kind\":\"Foo\",\"plural\":\"foos\"},\"preserveUnknownFields\":false,"
                      "\"conversion\":{\"strategy\":\"Webhook\"},\"versions\":["
                      "{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}}},"
                      "{\"name\":\"v2\",\"served\":true,\"storage\":false,\"subresources\":{\"status\":{}}}]}}",
                      NULL),
            "spec.versions[0].schema.openAPIV3Schema: Required value: because otherwise all fields are pruned\n"
            "spec.versions[1].schema.openAPIV3Schema: Required value: because otherwise all fields are pruned\n"
            "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: per-version "
            "subresources may not all be set to identical values (top-level subresources should be used instead)\n"
            "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook\n");
  /* Kubernetes extensions make the schema structural; Webhook needs pruning */
  CHECK_STR(errors_of(&CRD_BETA,
                      "{\"metadata\":{\"name\":\"foos.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":"
                      "\"Namespaced\",\"names\":{\"kind\":\"Foo\",\"plural\":\"foos\"},\"version\":\"v1\",\"conversion\":"
                      "{\"strategy\":\"Webhook\",\"webhookClientConfig\":{\"url\":\"https://x.example.com/c\"}},"
                      "\"validation\":{\"openAPIV3Schema\":{\"properties\":{\"spec\":{\"properties\":{\"x\":{\"type\":"
                      "\"array\"}}}},\"x-kubernetes-preserve-unknown-fields\":true}}}}",
                      NULL),
            "spec.validation.openAPIV3Schema.properties[spec].properties[x].items: Required value: must be specified\n"
            "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified "
            "object fields\n"
            "spec.conversion.strategy: Invalid value: \"Webhook\": must be None if spec.preserveUnknownFields is true\n");
  /* v1 may not turn preserveUnknownFields on, but keeps it when stored */
  const char *v1 = "{\"metadata\":{\"name\":\"foos.example.com\"},\"spec\":{\"group\":\"example.com\",\"names\":{\"kind\":"
                   "\"Foo\",\"plural\":\"foos\"},\"scope\":\"Namespaced\",\"preserveUnknownFields\":true,\"versions\":["
                   "{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\"}}}]}}";
  CHECK_STR(errors_of(&CRD_V1, v1, NULL),
            "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-preserve-unknown-fields to true "
            "in spec.versions[*].schema instead\n");
  CHECK_STR(errors_of(&CRD_V1, v1, v1), "");
  /* a v1 update of a stored non-structural schema is not held to the structural rules */
  const char *old = "{\"metadata\":{\"name\":\"foos.example.com\"},\"spec\":{\"group\":\"example.com\",\"names\":{\"kind\":"
                    "\"Foo\",\"plural\":\"foos\"},\"scope\":\"Namespaced\",\"preserveUnknownFields\":true,\"versions\":["
                    "{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"properties\":{}}}}]}}";
  CHECK_STR(errors_of(&CRD_V1, old, old), "");
}

static void test_hpa_v2beta1(void) {
  const char *beta1 =
      "{\"apiVersion\":\"autoscaling/v2beta1\",\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"h\"},"
      "\"spec\":{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"},\"maxReplicas\":4,\"metrics\":["
      "{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"targetAverageUtilization\":60}},"
      "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"targetAverageValue\":\"512Mi\"}},"
      "{\"type\":\"Pods\",\"pods\":{\"metricName\":\"packets\",\"targetAverageValue\":\"1k\"}},"
      "{\"type\":\"Object\",\"object\":{\"target\":{\"kind\":\"Service\",\"name\":\"web\"},\"metricName\":\"requests\","
      "\"targetValue\":\"10\"}},"
      "{\"type\":\"External\",\"external\":{\"metricName\":\"queue\",\"metricSelector\":{\"matchLabels\":{\"q\":\"jobs\"}},"
      "\"targetAverageValue\":\"30\"}}]}}";
  json_t *o = json_loads(beta1, 0, NULL);
  kinds_default(&HPA_BETA1, o);
  CHECK_STR(at(o, "spec.minReplicas"), "1");
  CHECK(kinds_convert(o, "autoscaling/v2beta1", "autoscaling/v1") == 0);
  CHECK_STR(at(o, "spec.targetCPUUtilizationPercentage"), "60");
  /* as kube-apiserver 1.20 stores it */
  CHECK_STR(at(o, "metadata.annotations"),
            "{\"autoscaling.alpha.kubernetes.io/metrics\":\"[{\\\"type\\\":\\\"Resource\\\",\\\"resource\\\":{\\\"name\\\":"
            "\\\"memory\\\",\\\"targetAverageValue\\\":\\\"512Mi\\\"}},{\\\"type\\\":\\\"Pods\\\",\\\"pods\\\":{\\\"metricName"
            "\\\":\\\"packets\\\",\\\"targetAverageValue\\\":\\\"1k\\\"}},{\\\"type\\\":\\\"Object\\\",\\\"object\\\":{\\\"target"
            "\\\":{\\\"kind\\\":\\\"Service\\\",\\\"name\\\":\\\"web\\\"},\\\"metricName\\\":\\\"requests\\\",\\\"targetValue"
            "\\\":\\\"10\\\"}},{\\\"type\\\":\\\"External\\\",\\\"external\\\":{\\\"metricName\\\":\\\"queue\\\",\\\"metricSelector"
            "\\\":{\\\"matchLabels\\\":{\\\"q\\\":\\\"jobs\\\"}},\\\"targetAverageValue\\\":\\\"30\\\"}}]\"}");
  /* v2beta2 reads it with targets, v2beta1 with the CPU metric last, as 1.20 does */
  json_t *b2 = json_deep_copy(o);
  kinds_convert(b2, "autoscaling/v1", "autoscaling/v2beta2");
  CHECK_STR(at(b2, "spec.metrics.2"),
            "{\"type\":\"Object\",\"object\":{\"target\":{\"type\":\"Value\",\"value\":\"10\"},\"describedObject\":{\"kind\":"
            "\"Service\",\"name\":\"web\"},\"metric\":{\"name\":\"requests\"}}}");
  json_decref(b2);
  kinds_convert(o, "autoscaling/v1", "autoscaling/v2beta1");
  CHECK_STR(at(o, "metadata.annotations"), "(missing)");
  CHECK_STR(at(o, "spec.metrics.0"), "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"targetAverageValue\":\"512Mi\"}}");
  CHECK_STR(at(o, "spec.metrics.4"), "{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"targetAverageUtilization\":60}}");
  CHECK_STR(at(o, "spec.metrics.3.external.metricSelector"), "{\"matchLabels\":{\"q\":\"jobs\"}}");
  json_decref(o);
  /* behavior rides in its annotation in v2beta1 */
  o = json_loads("{\"apiVersion\":\"autoscaling/v2beta2\",\"kind\":\"HorizontalPodAutoscaler\",\"spec\":{\"maxReplicas\":3,"
                 "\"metrics\":[],\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":5}}}}",
                 0, NULL);
  kinds_convert(o, "autoscaling/v2beta2", "autoscaling/v1");
  kinds_convert(o, "autoscaling/v1", "autoscaling/v2beta1");
  CHECK_STR(at(o, "spec.behavior"), "(missing)");
  CHECK_STR(at(o, "spec.metrics"), "[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"targetAverageUtilization\":80}}]");
  CHECK_STR(at(o, "metadata.annotations"),
            "{\"autoscaling.alpha.kubernetes.io/behavior\":\"{\\\"ScaleUp\\\":null,\\\"ScaleDown\\\":{"
            "\\\"StabilizationWindowSeconds\\\":5,\\\"SelectPolicy\\\":null,\\\"Policies\\\":null}}\"}");
  kinds_convert(o, "autoscaling/v2beta1", "autoscaling/v1");
  kinds_convert(o, "autoscaling/v1", "autoscaling/v2beta2");
  CHECK_STR(at(o, "spec.behavior"), "{\"scaleDown\":{\"stabilizationWindowSeconds\":5}}");
  json_decref(o);
  /* defaults and validation in the internal shape */
  o = json_loads("{\"spec\":{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"},\"maxReplicas\":3}}", 0, NULL);
  kinds_default(&HPA_BETA1, o);
  CHECK_STR(at(o, "spec.metrics"), "[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"targetAverageUtilization\":80}}]");
  json_decref(o);
  CHECK_STR(errors_of(&HPA_BETA1,
                      "{\"metadata\":{\"name\":\"bad\",\"namespace\":\"d\"},\"spec\":{\"scaleTargetRef\":{\"kind\":"
                      "\"Deployment\",\"name\":\"web\"},\"maxReplicas\":3,\"metrics\":[{\"type\":\"Resource\",\"resource\":"
                      "{\"name\":\"cpu\",\"targetAverageUtilization\":0}}]}}",
                      NULL),
            "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0\n");
}

TEST_MAIN(TEST(test_v1beta1_defaults_and_to_v1), TEST(test_v1_to_v1beta1), TEST(test_v1beta1_validation),
          TEST(test_hpa_v2beta1))
