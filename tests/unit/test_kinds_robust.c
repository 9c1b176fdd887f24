/* test_kinds_robust.c - the kinds hooks on hostile shapes: every value of a
 * few realistic objects (a deployment, a pod, a service, a job, a cronjob,
 * an HPA, an event, RBAC and storage objects, v1beta1 Ingress, webhook
 * configuration and CSR) is replaced in turn by a value
 * of each other JSON type, and the object goes through defaulting, the create
 * and update strategies, validation, Status rendering and version
 * conversion. Run under ASan/UBSan it proves no input shape crashes or leaks;
 * the checks only assert that valid originals stay valid. */
#include <stdlib.h>
#include <string.h>
#include "kinds.h"
#include "test.h"

typedef struct {
  kind_ref ref;
  const char *json;
  const char *convert_to; /* another served version, or NULL */
} seed;

static const seed seeds[] = {
    {{"apps", "v1", "Deployment", "deployments", true, NULL},
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"w\",\"namespace\":\"d\",\"labels\":{\"a\":\"b\"},"
     "\"annotations\":{\"x\":\"y\"}},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"a\":\"b\"},\"matchExpressions\":"
     "[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"v\"]}]},\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
     "{\"maxSurge\":1,\"maxUnavailable\":\"10%\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\",\"k\":\"v\"}},\"spec\":"
     "{\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\"}}],\"containers\":[{\"name\":\"c\",\"image\":\"n:1\","
     "\"ports\":[{\"containerPort\":80,\"name\":\"http\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"}],\"volumeMounts\":"
     "[{\"name\":\"v\",\"mountPath\":\"/v\"}],\"resources\":{\"limits\":{\"cpu\":\"1\"},\"requests\":{\"cpu\":\"500m\"}},"
     "\"livenessProbe\":{\"httpGet\":{\"port\":80}}}]}}},\"status\":{\"replicas\":1}}",
     NULL},
    {{"", "v1", "Pod", "pods", true, NULL},
     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"initContainers\":"
     "[{\"name\":\"i\",\"image\":\"b\"}],\"containers\":[{\"name\":\"c\",\"image\":\"n\",\"resources\":{\"limits\":"
     "{\"memory\":\"1Gi\",\"cpu\":\"1\"}}}],\"tolerations\":[{\"key\":\"x\",\"operator\":\"Exists\"}],"
     "\"activeDeadlineSeconds\":5}}",
     NULL},
    {{"", "v1", "Service", "services", true, NULL},
     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":"
     "\"NodePort\",\"clusterIP\":\"10.0.0.1\",\"clusterIPs\":[\"10.0.0.1\"],\"selector\":{\"a\":\"b\"},\"ports\":[{\"name\":"
     "\"a\",\"port\":80,\"targetPort\":\"web\",\"nodePort\":30000},{\"name\":\"b\",\"port\":81}]}}",
     NULL},
    {{"batch", "v1", "Job", "jobs", true, NULL},
     "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"namespace\":\"d\",\"uid\":\"u\"},\"spec\":"
     "{\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":"
     "\"c\",\"image\":\"b\"}]}}}}",
     NULL},
    {{"batch", "v1beta1", "CronJob", "cronjobs", true, NULL},
     "{\"apiVersion\":\"batch/v1beta1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"spec\":"
     "{\"schedule\":\"*/5 * * * *\",\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"OnFailure\","
     "\"containers\":[{\"name\":\"c\",\"image\":\"b\"}]}}}}}}",
     "batch/v1"},
    {{"autoscaling", "v2beta2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, NULL},
     "{\"apiVersion\":\"autoscaling/v2beta2\",\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"h\",\"namespace\":"
     "\"d\"},\"spec\":{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"w\"},\"maxReplicas\":3,\"metrics\":[{\"type\":"
     "\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\"},\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"1k\"}}},"
     "{\"type\":\"Object\",\"object\":{\"describedObject\":{\"kind\":\"Service\",\"name\":\"s\"},\"metric\":{\"name\":\"m\"},"
     "\"target\":{\"type\":\"Value\",\"value\":\"2\"}}},{\"type\":\"External\",\"external\":{\"metric\":{\"name\":\"e\"},"
     "\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"3\"}}}],\"behavior\":{\"scaleDown\":{\"policies\":[{\"type\":"
     "\"Pods\",\"value\":1,\"periodSeconds\":60}]}}},\"status\":{\"currentMetrics\":[{\"type\":\"Resource\",\"resource\":"
     "{\"name\":\"cpu\",\"current\":{\"averageUtilization\":5}}}],\"conditions\":[{\"type\":\"AbleToScale\",\"status\":"
     "\"True\"}]}}",
     "autoscaling/v1"},
    {{"", "v1", "Event", "events", true, NULL},
     "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},\"involvedObject\":{\"kind\":"
     "\"Pod\",\"name\":\"p\",\"namespace\":\"d\"},\"reason\":\"R\",\"message\":\"m\",\"source\":{\"component\":\"c\"},"
     "\"count\":1}",
     "events.k8s.io/v1"},
    {{"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, NULL},
     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"r\",\"namespace\":"
     "\"d\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"x\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"u\"},{\"kind\":"
     "\"ServiceAccount\",\"name\":\"s\",\"namespace\":\"d\"}]}",
     NULL},
    {{"apps", "v1", "StatefulSet", "statefulsets", true, NULL},
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":"
     "{\"serviceName\":\"s\",\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":"
     "\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}},\"volumeClaimTemplates\":[{\"metadata\":"
     "{\"name\":\"d\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}]}}",
     NULL},
    {{"", "v1", "PersistentVolume", "persistentvolumes", false, NULL},
     "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"capacity\":{\"storage\":"
     "\"1Gi\"},\"accessModes\":[\"ReadWriteOnce\"],\"nfs\":{\"server\":\"s\",\"path\":\"/\"}}}",
     NULL},
    {{"", "v1", "Secret", "secrets", true, NULL},
     "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"type\":"
     "\"kubernetes.io/tls\",\"data\":{\"tls.crt\":\"YQ==\",\"tls.key\":\"Yg==\"}}",
     NULL},
    {{"networking.k8s.io", "v1", "Ingress", "ingresses", true, NULL},
     "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},"
     "\"spec\":{\"ingressClassName\":\"nginx\",\"tls\":[{\"hosts\":[\"a.example.com\"],\"secretName\":\"t\"}],"
     "\"defaultBackend\":{\"resource\":{\"kind\":\"Bucket\",\"name\":\"b\"}},\"rules\":[{\"host\":\"a.example.com\","
     "\"http\":{\"paths\":[{\"path\":\"/x\",\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"s\","
     "\"port\":{\"name\":\"http\"}}}}]}}]}}",
     NULL},
    {{"networking.k8s.io", "v1beta1", "Ingress", "ingresses", true, NULL},
     "{\"apiVersion\":\"networking.k8s.io/v1beta1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"i\",\"namespace\":"
     "\"d\"},\"spec\":{\"rules\":[{\"http\":{\"paths\":[{\"backend\":{\"serviceName\":\"s\",\"servicePort\":80}}]}}]}}",
     NULL},
    {{"extensions", "v1beta1", "Ingress", "ingresses", true, NULL},
     "{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},"
     "\"spec\":{\"backend\":{\"serviceName\":\"s\",\"servicePort\":\"http\"},\"rules\":[{\"host\":\"a.example.com\","
     "\"http\":{\"paths\":[{\"path\":\"/\",\"backend\":{\"serviceName\":\"s\",\"servicePort\":80}},{\"path\":\"/r\","
     "\"backend\":{\"resource\":{\"kind\":\"B\",\"name\":\"b\"}}}]}}]}}",
     "networking.k8s.io/v1"},
    {{"admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false,
      NULL},
     "{\"apiVersion\":\"admissionregistration.k8s.io/v1beta1\",\"kind\":\"MutatingWebhookConfiguration\",\"metadata\":"
     "{\"name\":\"m\"},\"webhooks\":[{\"name\":\"a.b.c\",\"clientConfig\":{\"service\":{\"namespace\":\"d\",\"name\":"
     "\"s\"}},\"rules\":[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":"
     "[\"pods\"]}],\"admissionReviewVersions\":[\"v1beta1\"]}]}",
     "admissionregistration.k8s.io/v1"},
    {{"certificates.k8s.io", "v1beta1", "CertificateSigningRequest", "certificatesigningrequests", false, NULL},
     "{\"apiVersion\":\"certificates.k8s.io/v1beta1\",\"kind\":\"CertificateSigningRequest\",\"metadata\":{\"name\":"
     "\"c\"},\"spec\":{\"request\":\"bm90IGEgY3Ny\",\"usages\":[\"client auth\"]},\"status\":{\"conditions\":[{"
     "\"type\":\"Approved\"}]}}",
     "certificates.k8s.io/v1"},
    {{"", "v1", "LimitRange", "limitranges", true, NULL},
     "{\"apiVersion\":\"v1\",\"kind\":\"LimitRange\",\"metadata\":{\"name\":\"l\",\"namespace\":\"d\"},\"spec\":"
     "{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"},\"min\":{\"cpu\":\"100m\"}}]}}",
     NULL},
    {{"apps", "v1", "DaemonSet", "daemonsets", true, NULL},
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":"
     "{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":"
     "{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}",
     NULL},
};

/* Every stage the REST layer runs; returns the number of validation errors
 * on create. */
static size_t run_all(const seed *s, const json_t *obj) {
  json_t *a = json_deep_copy(obj), *b = json_deep_copy(obj);
  kinds_default(&s->ref, a);
  kinds_prepare_create(&s->ref, a);
  field_errors *fe = field_errors_new();
  kinds_validate(&s->ref, a, NULL, fe);
  size_t n = fe_count(fe);
  json_decref(fe_to_status(fe, s->ref.group, s->ref.kind, "x"));
  free(fe_message(fe));
  field_errors_free(fe);
  kinds_default(&s->ref, b);
  kinds_prepare_update(&s->ref, NULL, b, a);
  fe = field_errors_new();
  kinds_validate(&s->ref, b, a, fe);
  field_errors_free(fe);
  kinds_prepare_update(&s->ref, "status", b, a);
  if (s->convert_to) {
    char from[64];
    snprintf(from, sizeof from, "%s%s%s", s->ref.group, *s->ref.group ? "/" : "", s->ref.version);
    kinds_convert(b, from, s->convert_to);
    kinds_convert(b, s->convert_to, from);
  }
  json_decref(a);
  json_decref(b);
  return n;
}

static json_t *alternative(int i) {
  switch (i) {
  case 0: return json_null();
  case 1: return json_string("-Bad_/..");
  case 2: return json_integer(-7);
  case 3: return json_pack("[s,i,{}]", "x", 3);
  case 4: return json_pack("{s:s,s:i}", "k", "v", "n", -1);
  default: return json_real(1e300);
  }
}

/* Replaces each node under root (depth first) with each alternative. */
static size_t mutate_all(const seed *s, json_t *root, json_t *node) {
  size_t runs = 0;
  if (json_is_object(node)) {
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(node, tmp, k, v) {
      json_t *keep = json_incref(v);
      for (int i = 0; i < 6; i++) {
        json_object_set_new(node, k, alternative(i));
        run_all(s, root);
        runs++;
      }
      json_object_set_new(node, k, keep);
      runs += mutate_all(s, root, keep);
    }
  } else if (json_is_array(node)) {
    for (size_t i = 0; i < json_array_size(node); i++) {
      json_t *keep = json_incref(json_array_get(node, i));
      for (int a = 0; a < 6; a++) {
        json_array_set_new(node, i, alternative(a));
        run_all(s, root);
        runs++;
      }
      json_array_set_new(node, i, keep);
      runs += mutate_all(s, root, keep);
    }
  }
  return runs;
}

static void test_seeds_are_valid(void) {
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    json_t *obj = json_loads(seeds[i].json, 0, NULL);
    CHECK(obj != NULL);
    size_t n = run_all(&seeds[i], obj);
    if (n) fprintf(stderr, "seed %s has %zu errors\n", seeds[i].ref.kind, n);
    CHECK(n == 0);
    json_decref(obj);
  }
}

static void test_every_shape(void) {
  size_t runs = 0;
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    json_t *obj = json_loads(seeds[i].json, 0, NULL);
    runs += mutate_all(&seeds[i], obj, obj);
    json_decref(obj);
  }
  CHECK(runs > 1000);
}

TEST_MAIN(TEST(test_seeds_are_valid), TEST(test_every_shape))
