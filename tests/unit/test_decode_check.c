/* test_decode_check.c - bodies whose values do not fit their Go types are
 * refused with kube-apiserver 1.20's exact BadRequest messages (each
 * expected text is what a real 1.20 control plane answered for the same
 * bytes), and the Go parsers' error texts behind them (time.Parse with
 * RFC3339 / RFC3339Micro and base64, expected values printed by Go), and
 * base64 decoding and encoding as Go's DecodeString and EncodeToString do
 * it. */
#include "apispec.h"
#include "decode_check.h"
#include "go_errors.h"
#include "test.h"
#include <stdlib.h>

static json_t *schema(void) {
  static json_t *s;
  if (!s) {
    apispec_blob b = apispec_get("protobuf-schema.json");
    s = json_loadb((const char *)b.data, b.len, 0, NULL);
  }
  return s;
}

/* The message of the Status for body as kind/fqn, or "" when accepted. */
static const char *check(const char *fqn, const char *kind, const char *body) {
  static char out[4096];
  json_t *st = decode_check(schema(), fqn, kind, "v1", body, strlen(body));
  snprintf(out, sizeof out, "%s", st ? json_string_value(json_object_get(st, "message")) : "");
  if (st) CHECK(json_integer_value(json_object_get(st, "code")) == 400);
  json_decref(st);
  return out;
}

#define POD "k8s.io.api.core.v1.Pod"

static void test_refused_like_kubernetes(void) {
  CHECK_STR(check("k8s.io.api.core.v1.ConfigMap", "ConfigMap",
                  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":1}}\n"),
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: v1.ConfigMap.Data: ReadString: expects \" "
            "or n, but found 1, error found in #10 byte of ...|ta\":{\"a\":1}}\n|..., bigger context "
            "...|:\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":1}}\n|...");
  CHECK_STR(check(POD, "Pod",
                  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p4\"},\"spec\":{\"containers\":{"
                  "\"name\":\"a\",\"image\":\"x\"}}}\n"),
            "Pod in version \"v1\" cannot be handled as a Pod: v1.Pod.Spec: v1.PodSpec.Containers: []v1.Container: "
            "decode slice: expect [ or n, but found {, error found in #10 byte of ...|tainers\":{\"name\":\"a\"|..., "
            "bigger context ...|d\",\"metadata\":{\"name\":\"p4\"},\"spec\":{\"containers\":{\"name\":\"a\",\"image\":"
            "\"x\"}}}\n|...");
  CHECK_STR(check(POD, "Pod",
                  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p5\"},\"spec\":{\"containers\":[{"
                  "\"name\":\"a\",\"image\":\"x\",\"ports\":[{\"containerPort\":80.5}]}]}}\n"),
            "Pod in version \"v1\" cannot be handled as a Pod: v1.Pod.Spec: v1.PodSpec.Containers: []v1.Container: "
            "v1.Container.Ports: []v1.ContainerPort: v1.ContainerPort.ContainerPort: assertInteger: can not decode "
            "float as int, error found in #10 byte of ...|erPort\":80.5}]}]}}\n|..., bigger context "
            "...|name\":\"a\",\"image\":\"x\",\"ports\":[{\"containerPort\":80.5}]}]}}\n|...");
  CHECK_STR(check(POD, "Pod",
                  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p6\"},\"spec\":{\"containers\":[{"
                  "\"name\":\"a\",\"image\":\"x\",\"livenessProbe\":{\"httpGet\":{\"port\":true}}}]}}\n"),
            "Pod in version \"v1\" cannot be handled as a Pod: v1.Pod.Spec: v1.PodSpec.Containers: []v1.Container: "
            "v1.Container.LivenessProbe: v1.Probe.Handler: HTTPGet: v1.HTTPGetAction.Port: unmarshalerDecoder: json: "
            "cannot unmarshal bool into Go value of type int32, error found in #10 byte of "
            "...|port\":true}}}]}}\n|..., bigger context "
            "...|image\":\"x\",\"livenessProbe\":{\"httpGet\":{\"port\":true}}}]}}\n|...");
  CHECK_STR(check(POD, "Pod",
                  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p8\"},\"spec\":{\"containers\":[{"
                  "\"name\":\"a\",\"image\":\"x\"}],\"hostNetwork\":\"yes\"}}\n"),
            "Pod in version \"v1\" cannot be handled as a Pod: v1.Pod.Spec: v1.PodSpec.HostNetwork: ReadBool: expect "
            "t or f, but found \", error found in #10 byte of ...|Network\":\"yes\"}}\n|..., bigger context "
            "...|ainers\":[{\"name\":\"a\",\"image\":\"x\"}],\"hostNetwork\":\"yes\"}}\n|...");
  CHECK_STR(check("k8s.io.api.core.v1.Secret", "Secret",
                  "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s2\"},\"data\":{\"a\":\"YWJj!\"}}\n"),
            "Secret in version \"v1\" cannot be handled as a Secret: v1.Secret.Data: decode base64: illegal base64 "
            "data at input byte 4, error found in #10 byte of ...|a\":\"YWJj!\"}}\n|..., bigger context "
            "...|cret\",\"metadata\":{\"name\":\"s2\"},\"data\":{\"a\":\"YWJj!\"}}\n|...");
}

static void test_accepted(void) {
  CHECK_STR(check(POD, "Pod",
                  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"ok\",\"labels\":{\"a\":\"b\"},"
                  "\"creationTimestamp\":null},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"ports\":[{"
                  "\"containerPort\":80,\"protocol\":null}],\"resources\":{\"limits\":{\"cpu\":\"100m\",\"memory\":1024}},"
                  "\"livenessProbe\":{\"httpGet\":{\"port\":\"http\"},\"periodSeconds\":-1}}],\"hostNetwork\":false,"
                  "\"unknownField\":[1,{\"x\":\"}\"}]}}"),
            "");
  CHECK_STR(check("k8s.io.api.core.v1.Secret", "Secret",
                  "{\"data\":{\"a\":\"YWJj\\nZA==\",\"b\":null},\"metadata\":{\"name\":\"s\"}}"),
            "");
}

static const char *tp(const char *s, int micro) {
  static char err[512];
  return go_time_parse(s, strlen(s), micro, err, sizeof err) ? err : "";
}

static void test_time_parse(void) {
  CHECK_STR(tp("2020-01-01T10:00:00Z", 0), "");
  CHECK_STR(tp("2020-01-01T10:00:00.5Z", 0), "");
  CHECK_STR(tp("2020-01-01T10:00:00+01:00", 0), "");
  CHECK_STR(tp("2020-13-01T00:00:00Z", 0), "parsing time \"2020-13-01T00:00:00Z\": month out of range");
  CHECK_STR(tp("2020-02-30T00:00:00Z", 0), "parsing time \"2020-02-30T00:00:00Z\": day out of range");
  CHECK_STR(tp("2020-01-01", 0),
            "parsing time \"2020-01-01\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\"");
  CHECK_STR(tp("2020-01-01T00:00:00", 0),
            "parsing time \"2020-01-01T00:00:00\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"Z07:00\"");
  CHECK_STR(tp("2020-01-01T00:00:00Zx", 0), "parsing time \"2020-01-01T00:00:00Zx\": extra text: x");
  CHECK_STR(tp("2020-01-01T25:00:00Z", 0), "parsing time \"2020-01-01T25:00:00Z\": hour out of range");
  CHECK_STR(tp("2020-01-01T10:61:00Z", 0), "parsing time \"2020-01-01T10:61:00Z\": minute out of range");
  CHECK_STR(tp("2020-01-01T10:00:00+0100", 0), "parsing time \"2020-01-01T10:00:00+0100\" as "
                                               "\"2006-01-02T15:04:05Z07:00\": cannot parse \"+0100\" as \"Z07:00\"");
  CHECK_STR(tp("1x20-01-01T00:00:00Z", 0), "parsing time \"1x20-01-01T00:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": "
                                           "cannot parse \"-01-01T00:00:00Z\" as \"2006\"");
  CHECK_STR(tp("2020-01-01T10:00:00.123456Z", 1), "");
  CHECK_STR(tp("2020-01-01T10:00:00Z", 1), "parsing time \"2020-01-01T10:00:00Z\" as "
                                           "\"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"Z\" as \".000000\"");
  CHECK_STR(tp("2020-01-01T10:00:00.12Z", 1), "parsing time \"2020-01-01T10:00:00.12Z\" as "
                                              "\"2006-01-02T15:04:05.000000Z07:00\": cannot parse \".12Z\" as \".000000\"");
}

static const char *b64(const char *s) {
  static char err[128];
  return go_base64_check(s, strlen(s), err, sizeof err) ? err : "";
}

static void test_base64(void) {
  CHECK_STR(b64("abc"), "illegal base64 data at input byte 0");
  CHECK_STR(b64("YWJj!"), "illegal base64 data at input byte 4");
  CHECK_STR(b64("YW=="), "");
  CHECK_STR(b64("Y==="), "illegal base64 data at input byte 1");
  CHECK_STR(b64("YWJjZA"), "illegal base64 data at input byte 4");
  CHECK_STR(b64("YWJj\nZA=="), "");
  CHECK_STR(b64("YQ==YQ=="), "illegal base64 data at input byte 4");
  CHECK_STR(b64("YQ="), "illegal base64 data at input byte 3");
  CHECK_STR(b64("YQ=x"), "illegal base64 data at input byte 2");
  CHECK_STR(b64(""), "");
}

/* The bytes Go's DecodeString gives, as text ("!" when refused). */
static const char *decoded(const char *s) {
  static char buf[64];
  size_t n;
  unsigned char *d = go_base64_decode(s, strlen(s), &n);
  snprintf(buf, sizeof buf, "%s", d ? (char *)d : "!");
  CHECK(!d || n == strlen((char *)d));
  free(d);
  return buf;
}

static void test_base64_decode(void) {
  CHECK_STR(decoded(""), "");
  CHECK_STR(decoded("YWJj"), "abc");
  CHECK_STR(decoded("YWJjZA=="), "abcd");
  CHECK_STR(decoded("YWJjZGU="), "abcde");
  CHECK_STR(decoded("YWJj\r\nZA=="), "abcd");
  CHECK_STR(decoded("YWJjZA"), "!");
  CHECK_STR(decoded("YW-j"), "!");
}

/* StdEncoding.EncodeToString: padded, and what it writes reads back;
 * RawURLEncoding: "-" and "_", no padding (JWS segments). */
static void test_base64_encode(void) {
  static const char *const plain[] = {"", "a", "ab", "abc", "abcd", "\xff\xfe binary?"};
  static const char *const want[] = {"", "YQ==", "YWI=", "YWJj", "YWJjZA==", "//4gYmluYXJ5Pw=="};
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
    char *e = go_base64_encode(plain[i], strlen(plain[i]));
    CHECK_STR(e, want[i]);
    CHECK_STR(decoded(e), plain[i]);
    free(e);
  }
  static const char *const url[] = {"", "YQ", "YWI", "YWJj", "YWJjZA", "__4gYmluYXJ5Pw"};
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
    char *e = go_base64url_encode(plain[i], strlen(plain[i]));
    CHECK_STR(e, url[i]);
    free(e);
  }
}

TEST_MAIN(TEST(test_refused_like_kubernetes), TEST(test_accepted), TEST(test_time_parse), TEST(test_base64),
          TEST(test_base64_decode), TEST(test_base64_encode))
