/* fuzz_decode_check.c - libFuzzer target for the decode check and the Go
 * parser checks behind it: any bytes must be accepted or refused with a
 * message, never crash, leak or hang. Inputs starting with 'T' go to
 * go_time_parse (second byte odd: RFC 3339 micro), 'B' to go_base64_check;
 * the rest, when jansson parses it as JSON, is checked as a Pod, a
 * Deployment, a Secret and a Service with the embedded protobuf schema.
 * Seeds are in corpus/fuzz_decode_check/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apispec.h"
#include "decode_check.h"
#include "go_errors.h"

static json_t *schema;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  apispec_blob b = apispec_get("protobuf-schema.json");
  schema = json_loadb((const char *)b.data, b.len, 0, NULL);
  if (!schema) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  if (size >= 2 && data[0] == 'T') {
    go_time_parse((const char *)data + 2, size - 2, data[1] & 1, err, sizeof err);
    return 0;
  }
  if (size >= 1 && data[0] == 'B') {
    go_base64_check((const char *)data + 1, size - 1, err, sizeof err);
    return 0;
  }
  json_t *v = json_loadb((const char *)data, size, 0, NULL);
  if (!v) return 0;
  json_decref(v);
  static const char *const kinds[][2] = {{"k8s.io.api.core.v1.Pod", "Pod"},
                                         {"k8s.io.api.apps.v1.Deployment", "Deployment"},
                                         {"k8s.io.api.core.v1.Secret", "Secret"},
                                         {"k8s.io.api.core.v1.Service", "Service"}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    json_decref(decode_check(schema, kinds[i][0], kinds[i][1], "v1", (const char *)data, size));
  return 0;
}
