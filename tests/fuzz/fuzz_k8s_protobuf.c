/* fuzz_k8s_protobuf.c - libFuzzer target for the protobuf body decoder:
 * any bytes must decode or fail with a message, never crash, leak or hang.
 * Inputs are whole bodies (magic + runtime.Unknown); inputs whose first byte
 * is '!' are also decoded as a bare Deployment and as a self-recursive test
 * message (depth limit). The schema is tests/unit/data/protobuf/
 * schema-min.json (or $CKUBE_PROTOBUF_SCHEMA); seeds are in
 * corpus/fuzz_k8s_protobuf/ (the unit test fixtures). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_protobuf.h"

static json_t *schema, *rec_schema;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char path[1024];
  const char *env = getenv("CKUBE_PROTOBUF_SCHEMA");
  if (env) snprintf(path, sizeof path, "%s", env);
  else {
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strrchr(path, '/');
    size_t at = slash ? (size_t)(slash - path) + 1 : 0;
    snprintf(path + at, sizeof path - at, "../unit/data/protobuf/schema-min.json");
  }
  json_error_t e;
  schema = json_load_file(path, 0, &e);
  if (!schema) {
    fprintf(stderr, "fuzz_k8s_protobuf: cannot load %s: %s\n", path, e.text);
    abort();
  }
  rec_schema = json_loads(
      "{\"kinds\":{\"v1/N\":\"t.N\"},\"lists\":[\"t.L\"],\"msgs\":{"
      "\"t.N\":[[1,\"n\",\"t.N\",3],[2,\"ns\",\"t.N\",17],[3,\"m\",[\"string\",\"t.N\"],1],"
      "[4,\"l\",\"t.L\",0],[5,\"d\",\"double\",17],[6,\"f\",\"float\",1],[7,\"s\",\"sint64\",17],"
      "[8,\"b\",\"bytes\",17],[9,\"q\",\"k8s.io.apimachinery.pkg.api.resource.Quantity\",0],"
      "[10,\"t\",\"k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime\",0],"
      "[11,\"r\",\"k8s.io.apimachinery.pkg.runtime.RawExtension\",0],"
      "[12,\"i\",\"k8s.io.apimachinery.pkg.util.intstr.IntOrString\",0],"
      "[13,\"du\",\"k8s.io.apimachinery.pkg.apis.meta.v1.Duration\",0],"
      "[14,\"mi\",[\"int32\",\"bytes\"],0]],"
      "\"t.L\":[[1,\"items\",\"string\",17]]}}",
      0, &e);
  if (!rec_schema) abort();
  return 0;
}

static void check(json_t *j, const char *err) {
  if (!j) {
    if (!err[0]) abort(); /* every failure says why */
    return;
  }
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!s) abort(); /* the result is always valid JSON */
  free(s);
  json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  check(k8s_protobuf_to_json(schema, data, size, err, sizeof err), err);
  if (size > 0 && data[0] == '!') {
    check(k8s_protobuf_message_to_json(schema, "k8s.io.api.apps.v1.Deployment",
                                       data + 1, size - 1, err, sizeof err), err);
    check(k8s_protobuf_message_to_json(rec_schema, "t.N", data + 1, size - 1,
                                       err, sizeof err), err);
  }
  return 0;
}
