/* object_convert.c - see object_convert.h. */
#include "object_convert.h"
#include "crd.h"
#include "kinds.h"
#include "log.h"
#include "webhook.h"
#include <string.h>

bool object_converted_by_webhook(const resource *r) { return r->ref.crd && r->ref.crd->conversion; }

int object_convert_version(cache *c, const resource *r, json_t *obj, const char *from, const char *to,
                           json_t **status) {
  if (!r->ref.crd) return kinds_convert(obj, from, to);
  if (object_converted_by_webhook(r)) {
    json_t *st = webhook_convert(c, r->ref.crd->conversion, &obj, 1, to);
    if (!st) return 0;
    if (status) *status = st;
    else {
      LOGW("%s", json_string_value(json_object_get(st, "message")));
      json_decref(st);
    }
    return -1;
  }
  json_object_set_new(obj, "apiVersion", json_string(to));
  return 0;
}

int object_convert(cache *c, const resource *from, const resource *to, json_t *obj) {
  if (from == to) return 0;
  const resource *s = registry_storage_resource(from);
  if (from != s && object_convert_version(c, from, obj, from->group_version, s->group_version, NULL) != 0) return -1;
  if (to != s && object_convert_version(c, to, obj, s->group_version, to->group_version, NULL) != 0) return -1;
  return 0;
}
