/* conditions.c - status.conditions helpers behind conditions.h. A
 * condition's type is matched as an exact string; entries without a string
 * type never match. */
#include "conditions.h"
#include "json_path.h"
#include "timestamp.h"
#include <string.h>

json_t *cond_get(const json_t *status, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(status, "conditions"), i, c) {
    const char *t = json_path_str(c, "type");
    if (t && !strcmp(t, type)) return c;
  }
  return NULL;
}

bool cond_true(const json_t *status, const char *type) {
  return !strcmp(json_path_str0(cond_get(status, type), "status"), "True");
}

void cond_remove(json_t *status, const char *type) {
  json_t *conds = json_object_get(status, "conditions");
  for (size_t i = 0; i < json_array_size(conds);) {
    const char *t = json_path_str(json_array_get(conds, i), "type");
    if (t && !strcmp(t, type)) json_array_remove(conds, i);
    else i++;
  }
  if (conds && !json_array_size(conds)) json_object_del(status, "conditions");
}

void cond_set(json_t *status, const char *type, const char *cstatus, const char *reason, const char *message,
              bool with_update_time) {
  json_t *cur = cond_get(status, type);
  if (cur && !strcmp(json_path_str0(cur, "status"), cstatus) && !strcmp(json_path_str0(cur, "reason"), reason))
    return;
  char now[40];
  rfc3339_now(now, sizeof now);
  json_t *c = json_pack("{s:s,s:s}", "type", type, "status", cstatus);
  if (with_update_time) json_object_set_new(c, "lastUpdateTime", json_string(now));
  const char *keep = cur && !strcmp(json_path_str0(cur, "status"), cstatus) ? json_path_str(cur, "lastTransitionTime") : NULL;
  json_object_set_new(c, "lastTransitionTime", json_string(keep ? keep : now));
  json_object_set_new(c, "reason", json_string(reason));
  json_object_set_new(c, "message", json_string(message));
  cond_remove(status, type);
  json_t *conds = json_object_get(status, "conditions");
  if (!conds) json_object_set_new(status, "conditions", conds = json_array());
  json_array_append_new(conds, c);
}
