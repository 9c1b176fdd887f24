/* openapi_gnostic.c - encodes OpenAPI v2 schema definitions as gnostic's
 * openapi.v2 protobuf (OpenAPIv2.proto), the form kubectl 1.20 downloads.
 * Only what definitions need: Schema (refs, texts, numbers, required, enum,
 * additionalProperties, type, items, allOf, properties, vendor extensions
 * whose values are YAML, as gnostic's compiler stores them). Protobuf merges
 * a repeated singular message field, so appending a Document field 9
 * (definitions) to an encoded Document adds definitions to it. */
#include "openapi_gnostic.h"
#include "yaml_json.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
  unsigned char *p;
  size_t len, cap;
} buf;

static void put(buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n) cap *= 2;
    b->p = realloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void varint(buf *b, uint64_t v) {
  unsigned char tmp[10];
  size_t n = 0;
  do {
    tmp[n] = v & 0x7f;
    v >>= 7;
    if (v) tmp[n] |= 0x80;
    n++;
  } while (v);
  put(b, tmp, n);
}

static void tag(buf *b, unsigned field, unsigned wire) { varint(b, ((uint64_t)field << 3) | wire); }

static void bytes_field(buf *b, unsigned field, const void *data, size_t n) {
  tag(b, field, 2);
  varint(b, n);
  put(b, data, n);
}

static void string_field(buf *b, unsigned field, const char *s) { bytes_field(b, field, s, strlen(s)); }

static void message_field(buf *b, unsigned field, buf *child) {
  bytes_field(b, field, child->p ? child->p : (unsigned char *)"", child->len);
  free(child->p);
  *child = (buf){0};
}

static void double_field(buf *b, unsigned field, double d) {
  tag(b, field, 1);
  uint64_t bits;
  memcpy(&bits, &d, sizeof bits);
  unsigned char le[8];
  for (int i = 0; i < 8; i++) le[i] = (unsigned char)(bits >> (8 * i));
  put(b, le, 8);
}

static void bool_field(buf *b, unsigned field, bool v) {
  tag(b, field, 0);
  varint(b, v ? 1 : 0);
}

static void int_field(buf *b, unsigned field, long long v) {
  tag(b, field, 0);
  varint(b, (uint64_t)v);
}

/* Any { string yaml = 2; } */
static void any_field(buf *b, unsigned field, const json_t *v) {
  size_t n = 0;
  char *y = json_to_yaml(v, &n);
  buf any = {0};
  if (y) bytes_field(&any, 2, y, n);
  free(y);
  message_field(b, field, &any);
}

static void schema(buf *b, const json_t *s, int depth);

/* A field holding one Schema message. */
static void schema_field(buf *b, unsigned field, const json_t *s, int depth) {
  buf child = {0};
  schema(&child, s, depth + 1);
  message_field(b, field, &child);
}

/* NamedSchema { string name = 1; Schema value = 2; } */
static void named_schema(buf *b, unsigned field, const char *name, const json_t *s, int depth) {
  buf ns = {0};
  string_field(&ns, 1, name);
  schema_field(&ns, 2, s, depth);
  message_field(b, field, &ns);
}

static void schema(buf *b, const json_t *s, int depth) {
  if (!json_is_object(s) || depth > MAX_DEPTH) return;
  static const struct {
    const char *key;
    unsigned field;
  } strings[] = {{"$ref", 1}, {"format", 2}, {"title", 3}, {"description", 4}, {"pattern", 13}, {"discriminator", 26}};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
    const char *v = json_string_value(json_object_get(s, strings[i].key));
    if (v) string_field(b, strings[i].field, v);
  }
  if (json_object_get(s, "default")) any_field(b, 5, json_object_get(s, "default"));
  static const struct {
    const char *key;
    unsigned field;
  } doubles[] = {{"multipleOf", 6}, {"maximum", 7}, {"minimum", 9}};
  for (size_t i = 0; i < 3; i++) {
    const json_t *v = json_object_get(s, doubles[i].key);
    if (json_is_number(v)) double_field(b, doubles[i].field, json_number_value(v));
  }
  static const struct {
    const char *key;
    unsigned field;
  } bools[] = {{"exclusiveMaximum", 8}, {"exclusiveMinimum", 10}, {"uniqueItems", 16}, {"readOnly", 27}};
  for (size_t i = 0; i < 4; i++)
    if (json_is_true(json_object_get(s, bools[i].key))) bool_field(b, bools[i].field, true);
  static const struct {
    const char *key;
    unsigned field;
  } ints[] = {{"maxLength", 11}, {"minLength", 12}, {"maxItems", 14},
              {"minItems", 15},  {"maxProperties", 17}, {"minProperties", 18}};
  for (size_t i = 0; i < 6; i++) {
    const json_t *v = json_object_get(s, ints[i].key);
    if (json_is_integer(v)) int_field(b, ints[i].field, json_integer_value(v));
  }
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(s, "required"), i, v) {
    if (json_is_string(v)) string_field(b, 19, json_string_value(v));
  }
  json_array_foreach(json_object_get(s, "enum"), i, v) any_field(b, 20, v);
  const json_t *addl = json_object_get(s, "additionalProperties");
  if (addl) {
    buf item = {0};
    if (json_is_boolean(addl)) bool_field(&item, 2, json_is_true(addl));
    else schema_field(&item, 1, addl, depth);
    message_field(b, 21, &item);
  }
  const json_t *type = json_object_get(s, "type");
  if (type) {
    buf ti = {0};
    if (json_is_string(type)) string_field(&ti, 1, json_string_value(type));
    json_array_foreach(type, i, v) {
      if (json_is_string(v)) string_field(&ti, 1, json_string_value(v));
    }
    message_field(b, 22, &ti);
  }
  const json_t *items = json_object_get(s, "items");
  if (json_is_object(items)) {
    buf it = {0};
    schema_field(&it, 1, items, depth);
    message_field(b, 23, &it);
  }
  json_array_foreach(json_object_get(s, "allOf"), i, v) schema_field(b, 24, v, depth);
  const json_t *props = json_object_get(s, "properties");
  if (json_is_object(props)) {
    buf pr = {0};
    const char *k;
    json_t *ps;
    json_object_foreach((json_t *)props, k, ps) named_schema(&pr, 1, k, ps, depth);
    message_field(b, 25, &pr);
  }
  const char *k;
  json_object_foreach((json_t *)s, k, v) {
    if (strncmp(k, "x-", 2) != 0) continue;
    buf na = {0};
    string_field(&na, 1, k);
    any_field(&na, 2, v);
    message_field(b, 31, &na);
  }
}

unsigned char *gnostic_definitions(const json_t *defs, size_t *len) {
  buf d = {0}, doc = {0};
  const char *name;
  json_t *s;
  json_object_foreach((json_t *)defs, name, s) named_schema(&d, 1, name, s, 0);
  message_field(&doc, 9, &d);
  *len = doc.len;
  return doc.p;
}
