/* test_kinds_beta.c - the v1beta1 versions 1.20 serves beside v1 from v1
 * storage: Ingress conversion both ways (kinds_convert_ingress.c: backend
 * <-> defaultBackend, serviceName/servicePort <-> service.name/port, a
 * resource backend's servicePort 0, key positions kept), webhook
 * configuration defaults and validation per served version with the update
 * ratchets (kinds_webhook.c), and the CertificateSigningRequest v1beta1
 * defaults, signerName read from the request (kinds_csr.c; the fixtures are
 * EC P-256 CSRs made with openssl req). */
#include <stdlib.h>
#include <string.h>
#include "kinds.h"
#include "test.h"

static const kind_ref ING_V1 = {"networking.k8s.io", "v1", "Ingress", "ingresses", true, NULL};
static const kind_ref ING_EXT = {"extensions", "v1beta1", "Ingress", "ingresses", true, NULL};
static const kind_ref VWH_BETA = {"admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration",
                                  "validatingwebhookconfigurations", false, NULL};
static const kind_ref VWH_V1 = {"admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
                                "validatingwebhookconfigurations", false, NULL};
static const kind_ref MWH_BETA = {"admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration",
                                  "mutatingwebhookconfigurations", false, NULL};
static const kind_ref CSR_BETA = {"certificates.k8s.io", "v1beta1", "CertificateSigningRequest",
                                  "certificatesigningrequests", false, NULL};
static const kind_ref CSR_V1 = {"certificates.k8s.io", "v1", "CertificateSigningRequest",
                                "certificatesigningrequests", false, NULL};

/* O=system:nodes, CN=system:node:n1, no SANs */
static const char *const CSR_CLIENT =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIc01JR1NBZ0VBTURBeEZUQVRCZ05WQkFvTURITjVjM1JsYlRw"
    "dWIyUmxjekVYTUJVR0ExVUVBd3dPYzNsegpkR1Z0T201dlpHVTZiakV3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNB"
    "QVJjcnc3bUNBVFJMZXpmCkliVmJETDF0UGI1TzZlRldrVEwvNHZMSEV5YUE3SC92V2d2c2FuTmRmdTdpN0prRTdnUFZpTUkwUy92"
    "VjMwT0UKYVpmanNYRGtvQUF3Q2dZSUtvWkl6ajBFQXdJRFNRQXdSZ0loQUx1and1aXl4UWlQUjhUTEp3K0ZVZ29icldRNQp1RU5o"
    "VmpSMFdqNWxZQjFPQWlFQS8rSmtwdjJCd2JtTE1NNkFOSzMwRWZ0OGpiWnF4UWI1RDhtME55YkU5ZHM9Ci0tLS0tRU5EIENFUlRJ"
    "RklDQVRFIFJFUVVFU1QtLS0tLQo=";
/* the same subject with DNS:n1.example.com and IP:10.0.0.1 */
static const char *const CSR_SERVING =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQkhUQ0J4QUlCQURBd01SVXdFd1lEVlFRS0RBeHplWE4wWlcw"
    "NmJtOWtaWE14RnpBVkJnTlZCQU1NRG5ONQpjM1JsYlRwdWIyUmxPbTR4TUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RR"
    "Z0FFWEs4TzVnZ0UwUzNzCjN5RzFXd3k5YlQyK1R1bmhWcEV5LytMeXh4TW1nT3gvNzFvTDdHcHpYWDd1NHV5WkJPNEQxWWpDTkV2"
    "NzFkOUQKaEdtWDQ3Rnc1S0F5TURBR0NTcUdTSWIzRFFFSkRqRWpNQ0V3SHdZRFZSMFJCQmd3Rm9JT2JqRXVaWGhoYlhCcwpaUzVq"
    "YjIySEJBb0FBQUV3Q2dZSUtvWkl6ajBFQXdJRFNBQXdSUUloQUllNitXNE9PK043b2VFcmdNQnBURXRVCk1iTi9FWG1OZUp1bHYz"
    "SVVRVlJBQWlBNS9INFFHU1dJM1RRaGxkNGs5eVl6LzFYYXdBYkJReWRXZ3RSMEtCWG8KYXc9PQotLS0tLUVORCBDRVJUSUZJQ0FU"
    "RSBSRVFVRVNULS0tLS0K";
/* O=system:nodes and O=other */
static const char *const CSR_TWO_ORGS =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIN01JR2lBZ0VBTUVBeEZUQVRCZ05WQkFvTURITjVjM1JsYlRw"
    "dWIyUmxjekVPTUF3R0ExVUVDZ3dGYjNSbwpaWEl4RnpBVkJnTlZCQU1NRG5ONWMzUmxiVHB1YjJSbE9tNHhNRmt3RXdZSEtvWkl6"
    "ajBDQVFZSUtvWkl6ajBECkFRY0RRZ0FFWEs4TzVnZ0UwUzNzM3lHMVd3eTliVDIrVHVuaFZwRXkvK0x5eHhNbWdPeC83MW9MN0dw"
    "elhYN3UKNHV5WkJPNEQxWWpDTkV2NzFkOURoR21YNDdGdzVLQUFNQW9HQ0NxR1NNNDlCQU1DQTBnQU1FVUNJUURoeDdZaApEcmtU"
    "SmI2MkpWVy84Qm5Od1hxcml0K1V5YlNHOVlmSCtPSy9vQUlnRnI2blBNNHk3Zzc1clFxY0dOcUZESDFNCkhsWnQzM00reVltNkRY"
    "aTFoU3M9Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo=";

static json_t *J(const char *s) {
  json_error_t e;
  json_t *v = json_loads(s, 0, &e);
  if (!v) fprintf(stderr, "bad JSON in test: %s: %s\n", e.text, s);
  return v;
}

/* Compact JSON of v with keys in their order (the order is checked too). */
static const char *dump(const json_t *v) {
  static char buf[4096];
  char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  snprintf(buf, sizeof buf, "%s", d ? d : "(null)");
  free(d);
  return buf;
}

/* The spec of an Ingress (JSON text) after kinds_convert from -> to. */
static const char *converted_spec(const char *spec, const char *from, const char *to) {
  char text[2048];
  snprintf(text, sizeof text, "{\"kind\":\"Ingress\",\"apiVersion\":\"%s\",\"spec\":%s}", from, spec);
  json_t *o = J(text);
  CHECK(kinds_convert(o, from, to) == 0);
  CHECK_STR(json_string_value(json_object_get(o, "apiVersion")), to);
  const char *s = dump(json_object_get(o, "spec"));
  json_decref(o);
  return s;
}

static void test_ingress_to_v1(void) {
  CHECK_STR(converted_spec("{\"ingressClassName\":\"c\",\"backend\":{\"serviceName\":\"web\",\"servicePort\":80},"
                           "\"tls\":[{\"hosts\":[\"a.b\"]}]}",
                           "extensions/v1beta1", "networking.k8s.io/v1"),
            "{\"ingressClassName\":\"c\",\"defaultBackend\":{\"service\":{\"name\":\"web\",\"port\":{\"number\":80}}},"
            "\"tls\":[{\"hosts\":[\"a.b\"]}]}");
  CHECK_STR(converted_spec("{\"rules\":[{\"host\":\"a.b\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":\"Prefix\","
                           "\"backend\":{\"serviceName\":\"web\",\"servicePort\":\"http\"}},{\"backend\":{"
                           "\"servicePort\":0,\"resource\":{\"kind\":\"Bucket\",\"name\":\"b\"}}}]}}]}",
                           "networking.k8s.io/v1beta1", "networking.k8s.io/v1"),
            "{\"rules\":[{\"host\":\"a.b\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":"
            "{\"service\":{\"name\":\"web\",\"port\":{\"name\":\"http\"}}}},{\"backend\":{\"resource\":{\"kind\":"
            "\"Bucket\",\"name\":\"b\"}}}]}}]}");
  /* a service backend without a port or a name still becomes a service */
  CHECK_STR(converted_spec("{\"backend\":{\"serviceName\":\"web\"}}", "extensions/v1beta1", "networking.k8s.io/v1"),
            "{\"defaultBackend\":{\"service\":{\"name\":\"web\",\"port\":{}}}}");
  CHECK_STR(converted_spec("{\"backend\":{\"servicePort\":\"\"}}", "extensions/v1beta1", "networking.k8s.io/v1"),
            "{\"defaultBackend\":{\"service\":{\"name\":\"\",\"port\":{}}}}");
  CHECK_STR(converted_spec("{\"backend\":{\"servicePort\":0}}", "extensions/v1beta1", "networking.k8s.io/v1"),
            "{\"defaultBackend\":{}}");
  /* v1 keys sent to v1beta1 are unknown fields there: the converted ones win */
  CHECK_STR(converted_spec("{\"defaultBackend\":{\"resource\":{}},\"backend\":{\"serviceName\":\"a\",\"servicePort\":1,"
                           "\"service\":{\"name\":\"zzz\"}}}",
                           "extensions/v1beta1", "networking.k8s.io/v1"),
            "{\"defaultBackend\":{\"service\":{\"name\":\"a\",\"port\":{\"number\":1}}}}");
}

static void test_ingress_from_v1(void) {
  CHECK_STR(converted_spec("{\"defaultBackend\":{\"service\":{\"name\":\"web\",\"port\":{\"name\":\"http\"}}},"
                           "\"rules\":[{\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":\"Exact\",\"backend\":{"
                           "\"service\":{\"name\":\"web\",\"port\":{\"number\":8080}}}}]}}]}",
                           "networking.k8s.io/v1", "networking.k8s.io/v1beta1"),
            "{\"backend\":{\"serviceName\":\"web\",\"servicePort\":\"http\"},\"rules\":[{\"http\":{\"paths\":[{"
            "\"path\":\"/\",\"pathType\":\"Exact\",\"backend\":{\"serviceName\":\"web\",\"servicePort\":8080}}]}}]}");
  /* Go writes a zero IntOrString: a resource backend reads with servicePort 0 */
  CHECK_STR(converted_spec("{\"defaultBackend\":{\"resource\":{\"apiGroup\":\"x.io\",\"kind\":\"B\",\"name\":\"b\"}}}",
                           "networking.k8s.io/v1", "extensions/v1beta1"),
            "{\"backend\":{\"servicePort\":0,\"resource\":{\"apiGroup\":\"x.io\",\"kind\":\"B\",\"name\":\"b\"}}}");
  CHECK_STR(converted_spec("{\"defaultBackend\":{\"service\":{\"name\":\"\",\"port\":{}}}}", "networking.k8s.io/v1",
                           "extensions/v1beta1"),
            "{\"backend\":{\"servicePort\":0}}");
}

/* v1 -> v1beta1 -> v1 gives the v1 object back. */
static void test_ingress_round_trip(void) {
  const char *v1 = "{\"kind\":\"Ingress\",\"apiVersion\":\"networking.k8s.io/v1\",\"metadata\":{\"name\":\"i\"},"
                   "\"spec\":{\"defaultBackend\":{\"service\":{\"name\":\"a\",\"port\":{\"number\":1}}},\"rules\":[{"
                   "\"http\":{\"paths\":[{\"path\":\"/r\",\"pathType\":\"Prefix\",\"backend\":{\"resource\":{\"kind\":"
                   "\"K\",\"name\":\"n\"}}},{\"path\":\"/s\",\"pathType\":\"Exact\",\"backend\":{\"service\":{\"name\":"
                   "\"b\",\"port\":{\"name\":\"p\"}}}}]}}]},\"status\":{\"loadBalancer\":{}}}";
  json_t *o = J(v1), *orig = J(v1);
  CHECK(kinds_convert(o, "networking.k8s.io/v1", "extensions/v1beta1") == 0);
  CHECK(kinds_convert(o, "extensions/v1beta1", "networking.k8s.io/v1") == 0);
  CHECK_STR(dump(o), dump(orig));
  json_decref(o);
  json_decref(orig);
  /* an object written in v1beta1 validates there, and again in v1 once converted */
  o = J("{\"kind\":\"Ingress\",\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},\"spec\":{\"backend\":{\"serviceName\":"
        "\"web\",\"servicePort\":\"http\"},\"rules\":[{\"http\":{\"paths\":[{\"backend\":{\"serviceName\":\"web\","
        "\"servicePort\":80}}]}}]}}");
  kinds_default(&ING_EXT, o);
  field_errors *fe = field_errors_new();
  kinds_validate(&ING_EXT, o, NULL, fe);
  CHECK(kinds_convert(o, "extensions/v1beta1", "networking.k8s.io/v1") == 0);
  kinds_validate(&ING_V1, o, NULL, fe);
  CHECK(fe_count(fe) == 0);
  field_errors_free(fe);
  json_decref(o);
}

/* The aggregate validation message of obj (defaulted first) against old. */
static const char *errors_of(const kind_ref *k, const char *text, const char *old_text) {
  static char buf[4096];
  json_t *obj = J(text), *old = old_text ? J(old_text) : NULL;
  kinds_default(k, obj);
  field_errors *fe = field_errors_new();
  kinds_validate(k, obj, old, fe);
  char *m = fe_message(fe);
  snprintf(buf, sizeof buf, "%s", m ? m : "");
  free(m);
  field_errors_free(fe);
  json_decref(obj);
  json_decref(old);
  return buf;
}

static void test_webhook_beta_defaults(void) {
  json_t *o = J("{\"metadata\":{\"name\":\"m\"},\"webhooks\":[{\"name\":\"a.b.c\",\"clientConfig\":{\"service\":{"
                "\"namespace\":\"d\",\"name\":\"s\"}},\"rules\":[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],"
                "\"apiVersions\":[\"v1\"],\"resources\":[\"pods\"]}],\"admissionReviewVersions\":[]}]}");
  kinds_default(&MWH_BETA, o);
  CHECK_STR(dump(json_array_get(json_object_get(o, "webhooks"), 0)),
            "{\"name\":\"a.b.c\",\"clientConfig\":{\"service\":{\"namespace\":\"d\",\"name\":\"s\",\"port\":443}},"
            "\"rules\":[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":"
            "[\"pods\"],\"scope\":\"*\"}],\"admissionReviewVersions\":[\"v1beta1\"],\"failurePolicy\":\"Ignore\","
            "\"matchPolicy\":\"Exact\",\"namespaceSelector\":{},\"objectSelector\":{},\"sideEffects\":\"Unknown\","
            "\"timeoutSeconds\":30,\"reinvocationPolicy\":\"Never\"}");
  json_decref(o);
  /* v1 keeps its own defaults and leaves sideEffects and review versions to the client */
  o = J("{\"webhooks\":[{\"name\":\"a.b.c\"}]}");
  kinds_default(&VWH_V1, o);
  CHECK_STR(dump(json_array_get(json_object_get(o, "webhooks"), 0)),
            "{\"name\":\"a.b.c\",\"failurePolicy\":\"Fail\",\"matchPolicy\":\"Equivalent\",\"namespaceSelector\":{},"
            "\"objectSelector\":{},\"timeoutSeconds\":10}");
  json_decref(o);
}

static void test_webhook_beta_validation(void) {
  const char *two = "{\"metadata\":{\"name\":\"v\"},\"webhooks\":[{\"name\":\"a.b.c\",\"sideEffects\":\"Some\","
                    "\"clientConfig\":{\"url\":\"https://x.io/\"}},{\"name\":\"a.b.c\",\"clientConfig\":{\"url\":"
                    "\"https://x.io/\"}}]}";
  /* v1beta1: any side effects, repeated names, review versions defaulted */
  CHECK_STR(errors_of(&VWH_BETA, two, NULL), "");
  CHECK_STR(errors_of(&VWH_V1, two, NULL),
            "[webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\", "
            "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1, "
            "webhooks[1].sideEffects: Required value: must specify one of None, NoneOnDryRun, "
            "webhooks[1].admissionReviewVersions: Required value: must specify one of v1, v1beta1, "
            "webhooks[1].name: Duplicate value: \"a.b.c\"]");
  CHECK_STR(errors_of(&VWH_BETA,
                      "{\"metadata\":{\"name\":\"v\"},\"webhooks\":[{\"name\":\"a.b.c\",\"sideEffects\":\"Maybe\","
                      "\"admissionReviewVersions\":[\"v2\",\"v2\"],\"clientConfig\":{\"url\":\"https://x.io/\"}}]}",
                      NULL),
            "[webhooks[0].sideEffects: Unsupported value: \"Maybe\": supported values: \"None\", \"NoneOnDryRun\", "
            "\"Some\", \"Unknown\", webhooks[0].admissionReviewVersions[1]: Invalid value: \"v2\": duplicate version, "
            "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v2\", \"v2\"}: must include at least one "
            "of v1, v1beta1]");
  /* a v1 update keeps what the stored (v1beta1-made) object already has */
  const char *stored = "{\"metadata\":{\"name\":\"v\"},\"webhooks\":[{\"name\":\"a.b.c\",\"sideEffects\":\"Unknown\","
                       "\"admissionReviewVersions\":[\"v0\"],\"clientConfig\":{\"url\":\"https://x.io/\"}},{\"name\":"
                       "\"a.b.c\",\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"],\"clientConfig\":{"
                       "\"url\":\"https://x.io/\"}}]}";
  CHECK_STR(errors_of(&VWH_V1, stored, stored), "");
  CHECK_STR(errors_of(&VWH_V1, stored, "{\"webhooks\":[]}"),
            "[webhooks[0].sideEffects: Unsupported value: \"Unknown\": supported values: \"None\", \"NoneOnDryRun\", "
            "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v0\"}: must include at least one of v1, "
            "v1beta1, webhooks[1].name: Duplicate value: \"a.b.c\"]");
}

/* spec after the defaults of k, the request being b64 (NULL: none). */
static const char *csr_spec(const kind_ref *k, const char *b64, const char *usages) {
  char text[4096];
  snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"request\":\"%s\"%s%s}}", b64 ? b64 : "",
           usages ? ",\"usages\":" : "", usages ? usages : "");
  json_t *o = J(text);
  kinds_default(k, o);
  json_t *spec = json_object_get(o, "spec");
  json_object_del(spec, "request");
  const char *s = dump(spec);
  json_decref(o);
  return s;
}

static void test_csr_beta_defaults(void) {
  const char *client = "[\"digital signature\",\"key encipherment\",\"client auth\"]";
  const char *serving = "[\"server auth\",\"digital signature\",\"key encipherment\",\"server auth\"]";
  CHECK_STR(csr_spec(&CSR_BETA, CSR_CLIENT, client),
            "{\"usages\":[\"digital signature\",\"key encipherment\",\"client auth\"],"
            "\"signerName\":\"kubernetes.io/kube-apiserver-client-kubelet\"}");
  CHECK_STR(csr_spec(&CSR_BETA, CSR_SERVING, serving),
            "{\"usages\":[\"server auth\",\"digital signature\",\"key encipherment\",\"server auth\"],"
            "\"signerName\":\"kubernetes.io/kubelet-serving\"}");
  /* the default usages fit neither kubelet signer */
  CHECK_STR(csr_spec(&CSR_BETA, CSR_CLIENT, NULL),
            "{\"usages\":[\"digital signature\",\"key encipherment\"],\"signerName\":\"kubernetes.io/legacy-unknown\"}");
  CHECK_STR(csr_spec(&CSR_BETA, CSR_SERVING, client),
            "{\"usages\":[\"digital signature\",\"key encipherment\",\"client auth\"],"
            "\"signerName\":\"kubernetes.io/legacy-unknown\"}");
  CHECK_STR(csr_spec(&CSR_BETA, CSR_TWO_ORGS, client),
            "{\"usages\":[\"digital signature\",\"key encipherment\",\"client auth\"],"
            "\"signerName\":\"kubernetes.io/legacy-unknown\"}");
  CHECK_STR(csr_spec(&CSR_BETA, "bm90IGEgY3Ny", "[]"), "{\"usages\":[],\"signerName\":\"kubernetes.io/legacy-unknown\"}");
  CHECK_STR(csr_spec(&CSR_BETA, NULL, NULL),
            "{\"usages\":[\"digital signature\",\"key encipherment\"],\"signerName\":\"kubernetes.io/legacy-unknown\"}");
  /* v1 defaults nothing */
  CHECK_STR(csr_spec(&CSR_V1, CSR_CLIENT, NULL), "{}");
  /* a condition without a status is True in v1beta1 */
  json_t *o = J("{\"spec\":{\"signerName\":\"x.io/y\",\"usages\":[]},\"status\":{\"conditions\":[{\"type\":"
                "\"Approved\"},{\"type\":\"Denied\",\"status\":\"False\"}]}}");
  kinds_default(&CSR_BETA, o);
  CHECK_STR(dump(json_object_get(o, "status")),
            "{\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\"},{\"type\":\"Denied\",\"status\":\"False\"}]}");
  json_decref(o);
}

TEST_MAIN(TEST(test_ingress_to_v1), TEST(test_ingress_from_v1), TEST(test_ingress_round_trip),
          TEST(test_webhook_beta_defaults), TEST(test_webhook_beta_validation), TEST(test_csr_beta_defaults))
