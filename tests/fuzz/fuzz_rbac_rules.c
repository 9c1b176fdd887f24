/* fuzz_rbac_rules.c - libFuzzer target for lib/rbac_rules: the input's
 * first line is "METHOD PATH?QUERY" (RequestInfo derivation on arbitrary
 * paths and query strings), the rest a JSON array of PolicyRules (rule
 * matching, escalation coverage of the rules by themselves and by a
 * wildcard rule, the missing-rules text) and the Forbidden Status. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rbac_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t n1 = nl ? (size_t)(nl - data) : size;
  char *line = malloc(n1 + 1);
  if (!line) return 0;
  memcpy(line, data, n1);
  line[n1] = 0;
  char *path = strchr(line, ' ');
  if (path) *path++ = 0;
  else path = line;
  char *query = strchr(path, '?');
  if (query) *query++ = 0;
  authz_attrs a = {0};
  a.user = "fuzz";
  rbac_request_info(line, path, query, &a);
  json_t *st = rbac_forbidden_status(&a, "reason");
  json_decref(st);
  json_t *rules = nl ? json_loadb((const char *)nl + 1, size - n1 - 1, 0, NULL) : NULL;
  if (json_is_array(rules)) {
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) rbac_rule_allows(r, &a);
    json_t *none = json_array();
    json_t *missing = rbac_uncovered(none, rules);
    char text[4096];
    rbac_missing_text(missing, text, sizeof text);
    json_decref(missing);
    missing = rbac_uncovered(rules, rules);
    json_decref(missing);
    json_decref(none);
  }
  json_decref(rules);
  free(line);
  return 0;
}
