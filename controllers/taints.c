/* taints.c - see taints.h. */
#include "taints.h"
#include "json_path.h"
#include <string.h>

bool toleration_matches(const json_t *t, const char *key, const char *value, const char *effect) {
  const char *te = json_str(t, "effect"), *tk = json_str(t, "key"), *op = json_str(t, "operator"), *tv = json_str(t, "value");
  if (te && *te && strcmp(te, effect)) return false;
  if (tk && *tk && strcmp(tk, key)) return false;
  if (!op || !*op || !strcmp(op, "Equal")) return !strcmp(tv ? tv : "", value);
  return !strcmp(op, "Exists");
}

bool tolerations_tolerate(const json_t *tolerations, const char *key, const char *value, const char *effect) {
  size_t i;
  json_t *t;
  json_array_foreach(tolerations, i, t) if (toleration_matches(t, key, value, effect)) return true;
  return false;
}
