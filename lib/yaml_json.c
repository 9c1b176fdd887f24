/* yaml_json.c - YAML to JSON with the semantics of sigs.k8s.io/yaml over
 * go-yaml v2: libyaml's event parser drives an explicit stack of open
 * containers (no recursion, so hostile nesting cannot exhaust the C stack),
 * plain scalars are resolved by yaml_resolve.c, keys become strings the way
 * sigs.k8s.io/yaml stringifies them, "<<" merge keys and anchors/aliases
 * are expanded by copying, with a cap on the total number of nodes so an
 * alias bomb fails fast instead of eating memory. */
#include "yaml_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yaml_resolve.h"

/* Total nodes a document may expand to, counting alias copies. */
#define YAML_JSON_MAX_NODES 1000000

typedef struct {
  char *name;
  json_t *value;
  size_t nodes; /* node count of value, copies included */
  int levels;   /* containers nested in value (a scalar has 0) */
} anchor;

typedef struct {
  json_t *container;
  bool is_map;
  char *anchor;     /* anchor to register when the container closes */
  size_t start_nodes; /* b->nodes before this container was counted */
  int levels_below;   /* deepest container nesting among the children */
  char *key;        /* map: pending key, NULL when expecting a key */
  bool key_merge;   /* map: the pending key is a "<<" merge key */
  bool have_key;
} frame;

typedef struct {
  frame *st;
  size_t n, cap;
  anchor *anchors;
  size_t nanchors, capanchors;
  size_t nodes;
  json_t *root;
  bool have_root;
  char *err;
  size_t errlen;
} builder;

static void b_err(builder *b, const yaml_mark_t *m, const char *fmt, ...) {
  if (!b->err || !b->errlen) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (m) snprintf(b->err, b->errlen, "yaml: line %zu, column %zu: %s", m->line + 1, m->column + 1, msg);
  else snprintf(b->err, b->errlen, "yaml: %s", msg);
}

static void builder_reset(builder *b) {
  for (size_t i = 0; i < b->n; i++) {
    json_decref(b->st[i].container);
    free(b->st[i].anchor);
    free(b->st[i].key);
  }
  b->n = 0;
  for (size_t i = 0; i < b->nanchors; i++) {
    free(b->anchors[i].name);
    json_decref(b->anchors[i].value);
  }
  b->nanchors = 0;
  json_decref(b->root);
  b->root = NULL;
  b->have_root = false;
  b->nodes = 0;
}

static void builder_free(builder *b) {
  builder_reset(b);
  free(b->st);
  free(b->anchors);
}

/* Sizes are tracked while building, so defining an anchor costs O(1)
 * rather than a walk of its subtree. */
static int set_anchor(builder *b, const char *name, json_t *v, size_t nodes, int levels, const yaml_mark_t *m) {
  for (size_t i = 0; i < b->nanchors; i++) {
    if (!strcmp(b->anchors[i].name, name)) {
      json_decref(b->anchors[i].value);
      b->anchors[i].value = json_incref(v);
      b->anchors[i].nodes = nodes;
      b->anchors[i].levels = levels;
      return 0;
    }
  }
  if (b->nanchors == b->capanchors) {
    size_t nc = b->capanchors ? b->capanchors * 2 : 8;
    anchor *na = realloc(b->anchors, nc * sizeof *na);
    if (!na) { b_err(b, m, "out of memory"); return -1; }
    b->anchors = na;
    b->capanchors = nc;
  }
  char *nm = strdup(name);
  if (!nm) { b_err(b, m, "out of memory"); return -1; }
  b->anchors[b->nanchors++] = (anchor){nm, json_incref(v), nodes, levels};
  return 0;
}

/* The string a resolved key becomes (sigs.k8s.io/yaml's key conversion). */
static char *key_string(builder *b, const json_t *k, const yaml_mark_t *m) {
  char buf[64];
  switch (json_typeof(k)) {
    case JSON_STRING: return strdup(json_string_value(k));
    case JSON_INTEGER: snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(k)); break;
    case JSON_REAL: yaml_go_format_float(json_real_value(k), 32, buf, sizeof buf); break;
    case JSON_TRUE: return strdup("true");
    case JSON_FALSE: return strdup("false");
    case JSON_NULL: b_err(b, m, "unsupported map key: null"); return NULL;
    default: b_err(b, m, "invalid map key: a mapping or sequence cannot be a key"); return NULL;
  }
  return strdup(buf);
}

/* Merges src (an object) into dst, overwriting, as go-yaml v2 does when
 * decoding a merge into the map being built. src is a private copy about to
 * be released, so its children can move over without copying. */
static int merge_into(json_t *dst, json_t *src) {
  const char *k;
  json_t *v;
  json_object_foreach(src, k, v) {
    if (json_object_set(dst, k, v)) return -1;
  }
  return 0;
}

/* Adds a finished value to the open container (or makes it the root).
 * Takes the reference. merge_ok says whether v may serve as a merge key. */
static int add_value(builder *b, json_t *v, bool plain_merge_key, const yaml_mark_t *m) {
  if (!v) { b_err(b, m, "out of memory"); return -1; }
  if (b->n == 0) {
    b->root = v;
    b->have_root = true;
    return 0;
  }
  frame *f = &b->st[b->n - 1];
  if (!f->is_map) {
    if (json_array_append_new(f->container, v)) { b_err(b, m, "out of memory"); return -1; }
    return 0;
  }
  if (!f->have_key) {
    f->key_merge = plain_merge_key;
    if (!plain_merge_key) {
      f->key = key_string(b, v, m);
      if (!f->key) { json_decref(v); if (b->err && !*b->err) b_err(b, m, "out of memory"); return -1; }
    }
    json_decref(v);
    f->have_key = true;
    return 0;
  }
  int rc = 0;
  if (f->key_merge) {
    if (json_is_object(v)) {
      rc = merge_into(f->container, v);
    } else if (json_is_array(v)) {
      /* Earlier maps take precedence: apply them last. */
      for (size_t i = json_array_size(v); i-- > 0 && !rc;) {
        json_t *x = json_array_get(v, i);
        if (!json_is_object(x)) {
          b_err(b, m, "map merge requires map or sequence of maps as the value");
          json_decref(v);
          return -1;
        }
        rc = merge_into(f->container, x);
      }
    } else {
      b_err(b, m, "map merge requires map or sequence of maps as the value");
      json_decref(v);
      return -1;
    }
    json_decref(v);
  } else {
    rc = json_object_set_new(f->container, f->key, v);
  }
  free(f->key);
  f->key = NULL;
  f->have_key = false;
  f->key_merge = false;
  if (rc) b_err(b, m, "out of memory");
  return rc;
}

static int count_node(builder *b, size_t n, const yaml_mark_t *m) {
  b->nodes += n;
  if (b->nodes > YAML_JSON_MAX_NODES) {
    b_err(b, m, "document expands to more than %d nodes (alias expansion limit)", YAML_JSON_MAX_NODES);
    return -1;
  }
  return 0;
}

/* A float as JSON after Go's encoding/json round trip: integral values in
 * int64 range come back as integers; NaN and infinities cannot be encoded. */
static json_t *float_json(builder *b, double f, const yaml_mark_t *m) {
  if (isnan(f) || isinf(f)) {
    b_err(b, m, "json: unsupported value: %s", isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
    return NULL;
  }
  if (f == floor(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0) return json_integer((json_int_t)f);
  return json_real(f);
}

static const char *short_tag(const char *tag) {
  static const char prefix[] = "tag:yaml.org,2002:";
  return strncmp(tag, prefix, sizeof prefix - 1) ? tag : tag + sizeof prefix - 1;
}

/* The JSON value of a scalar event; *is_merge reports a plain "<<". */
static json_t *scalar_json(builder *b, const yaml_event_t *e, bool *is_merge, bool *failed) {
  const char *s = (const char *)e->data.scalar.value;
  size_t n = e->data.scalar.length;
  const char *tag = e->data.scalar.tag ? (const char *)e->data.scalar.tag : NULL;
  const yaml_mark_t *m = &e->start_mark;
  *is_merge = false;
  *failed = false;
  bool plain = e->data.scalar.plain_implicit;
  const char *st = tag ? short_tag(tag) : NULL;
  /* Quoted and block scalars, and explicit !!str or unknown tags, are strings. */
  if (!st && !plain) return json_stringn(s, n);
  if (st && strcmp(st, "bool") && strcmp(st, "int") && strcmp(st, "float") && strcmp(st, "null") &&
      strcmp(st, "merge") && strcmp(st, "timestamp"))
    return json_stringn(s, n);
  yr_value v;
  yr_kind k = yaml_resolve_plain(s, n, &v);
  if (k == YR_MERGE && (!st || !strcmp(st, "merge"))) { *is_merge = true; return json_null(); }
  if (st) {
    /* An explicit tag must agree with the resolution (!!float takes ints). */
    bool ok = (!strcmp(st, "bool") && k == YR_BOOL) || (!strcmp(st, "null") && k == YR_NULL) ||
              (!strcmp(st, "int") && (k == YR_INT || k == YR_UINT)) ||
              (!strcmp(st, "float") && (k == YR_FLOAT || k == YR_INT || k == YR_UINT)) ||
              (!strcmp(st, "timestamp") && k == YR_TIMESTAMP);
    if (!ok) {
      static const char *const names[] = {"!!str", "!!null", "!!bool", "!!int", "!!int", "!!float", "!!merge", "!!timestamp"};
      b_err(b, m, "cannot decode %s `%.*s` as a !!%s", names[k], (int)(n > 200 ? 200 : n), s, st);
      *failed = true;
      return NULL;
    }
    if (!strcmp(st, "float") && (k == YR_INT || k == YR_UINT)) {
      json_t *j = float_json(b, k == YR_INT ? (double)v.i : (double)v.u, m);
      if (!j) *failed = true;
      return j;
    }
  }
  switch (k) {
    case YR_NULL: return json_null();
    case YR_BOOL: return json_boolean(v.b);
    case YR_INT: return json_integer((json_int_t)v.i);
    case YR_UINT: return json_real((double)v.u);
    case YR_FLOAT: {
      json_t *j = float_json(b, v.f, m);
      if (!j) *failed = true;
      return j;
    }
    default: return json_stringn(s, n);
  }
}

static int push(builder *b, bool is_map, const yaml_event_t *e) {
  if (b->n >= YAML_JSON_MAX_DEPTH) {
    b_err(b, &e->start_mark, "exceeded max depth of %d", YAML_JSON_MAX_DEPTH);
    return -1;
  }
  if (count_node(b, 1, &e->start_mark)) return -1;
  if (b->n == b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 16;
    frame *ns = realloc(b->st, nc * sizeof *ns);
    if (!ns) { b_err(b, &e->start_mark, "out of memory"); return -1; }
    b->st = ns;
    b->cap = nc;
  }
  const yaml_char_t *an = is_map ? e->data.mapping_start.anchor : e->data.sequence_start.anchor;
  frame f = {is_map ? json_object() : json_array(), is_map, NULL, b->nodes - 1, 0, NULL, false, false};
  if (!f.container || (an && !(f.anchor = strdup((const char *)an)))) {
    json_decref(f.container);
    b_err(b, &e->start_mark, "out of memory");
    return -1;
  }
  b->st[b->n++] = f;
  return 0;
}

static void note_levels(builder *b, int levels) {
  if (b->n && b->st[b->n - 1].levels_below < levels) b->st[b->n - 1].levels_below = levels;
}

static int pop(builder *b, const yaml_event_t *e) {
  frame f = b->st[--b->n];
  free(f.key);
  int rc = 0, levels = f.levels_below + 1;
  note_levels(b, levels);
  if (f.anchor) rc = set_anchor(b, f.anchor, f.container, b->nodes - f.start_nodes, levels, &e->start_mark);
  free(f.anchor);
  if (rc) { json_decref(f.container); return -1; }
  return add_value(b, f.container, false, &e->start_mark);
}

static int on_alias(builder *b, const yaml_event_t *e) {
  const char *name = (const char *)e->data.alias.anchor;
  for (size_t i = b->nanchors; i-- > 0;) {
    anchor *a = &b->anchors[i];
    if (strcmp(a->name, name)) continue;
    if (count_node(b, a->nodes, &e->start_mark)) return -1;
    if ((int)b->n + a->levels > YAML_JSON_MAX_DEPTH) {
      b_err(b, &e->start_mark, "exceeded max depth of %d", YAML_JSON_MAX_DEPTH);
      return -1;
    }
    note_levels(b, a->levels);
    return add_value(b, json_deep_copy(a->value), false, &e->start_mark);
  }
  b_err(b, &e->start_mark, "unknown anchor '%s' referenced", name);
  return -1;
}

static int on_scalar(builder *b, const yaml_event_t *e) {
  bool merge, failed;
  if (count_node(b, 1, &e->start_mark)) return -1;
  json_t *v = scalar_json(b, e, &merge, &failed);
  if (failed) return -1;
  if (!v) { b_err(b, &e->start_mark, "out of memory"); return -1; }
  /* A merge key only means "merge" as a map key; elsewhere it is a string. */
  bool as_key = b->n > 0 && b->st[b->n - 1].is_map && !b->st[b->n - 1].have_key;
  if (merge && !as_key) {
    json_decref(v);
    v = json_stringn((const char *)e->data.scalar.value, e->data.scalar.length);
  }
  if (e->data.scalar.anchor && set_anchor(b, (const char *)e->data.scalar.anchor, v, 1, 0, &e->start_mark)) {
    json_decref(v);
    return -1;
  }
  return add_value(b, v, merge && as_key, &e->start_mark);
}

static void parser_error(builder *b, const yaml_parser_t *p) {
  const yaml_mark_t *m = p->problem_mark.line || p->problem_mark.column ? &p->problem_mark : &p->context_mark;
  /* go-yaml reports only the problem, not libyaml's "while parsing" context. */
  b_err(b, m, "%s", p->problem ? p->problem : "malformed YAML");
}

/* Runs the parser over buf, calling back with each document's value.
 * on_doc takes the reference; returns -1 to stop. */
typedef int (*doc_fn)(json_t *doc, void *ctx, builder *b, const yaml_mark_t *m);

static int run(const char *buf, size_t len, char *err, size_t errlen, doc_fn on_doc, void *ctx) {
  yaml_parser_t p;
  if (err && errlen) err[0] = 0;
  if (!yaml_parser_initialize(&p)) {
    if (err && errlen) snprintf(err, errlen, "yaml: out of memory");
    return -1;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)(buf ? buf : ""), buf ? len : 0);
  builder b = {0};
  b.err = err;
  b.errlen = errlen;
  int rc = 0;
  for (bool done = false; !done && !rc;) {
    yaml_event_t e;
    if (!yaml_parser_parse(&p, &e)) {
      parser_error(&b, &p);
      rc = -1;
      break;
    }
    switch (e.type) {
      case YAML_STREAM_END_EVENT: done = true; break;
      case YAML_DOCUMENT_START_EVENT: builder_reset(&b); break;
      case YAML_DOCUMENT_END_EVENT: {
        json_t *doc = b.have_root ? b.root : json_null();
        b.root = NULL;
        b.have_root = false;
        rc = on_doc(doc, ctx, &b, &e.start_mark);
        builder_reset(&b);
        break;
      }
      case YAML_MAPPING_START_EVENT: rc = push(&b, true, &e); break;
      case YAML_SEQUENCE_START_EVENT: rc = push(&b, false, &e); break;
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT: rc = pop(&b, &e); break;
      case YAML_SCALAR_EVENT: rc = on_scalar(&b, &e); break;
      case YAML_ALIAS_EVENT: rc = on_alias(&b, &e); break;
      default: break;
    }
    yaml_event_delete(&e);
  }
  builder_free(&b);
  yaml_parser_delete(&p);
  return rc;
}

typedef struct {
  json_t *doc;
  int count;
} single_ctx;

static int single_doc(json_t *doc, void *vctx, builder *b, const yaml_mark_t *m) {
  single_ctx *c = vctx;
  if (c->count++) {
    json_decref(doc);
    b_err(b, m, "expected a single document in the stream");
    return -1;
  }
  c->doc = doc;
  return 0;
}

json_t *yaml_to_json(const char *buf, size_t len, char *err, size_t errlen) {
  single_ctx c = {NULL, 0};
  if (run(buf, len, err, errlen, single_doc, &c)) {
    json_decref(c.doc);
    return NULL;
  }
  return c.doc ? c.doc : json_null();
}

static int stream_doc(json_t *doc, void *ctx, builder *b, const yaml_mark_t *m) {
  if (json_is_null(doc)) { json_decref(doc); return 0; }
  if (json_array_append_new(ctx, doc)) { b_err(b, m, "out of memory"); return -1; }
  return 0;
}

json_t *yaml_stream_to_json(const char *buf, size_t len, char *err, size_t errlen) {
  json_t *arr = json_array();
  if (!arr) {
    if (err && errlen) snprintf(err, errlen, "yaml: out of memory");
    return NULL;
  }
  if (run(buf, len, err, errlen, stream_doc, arr)) {
    json_decref(arr);
    return NULL;
  }
  return arr;
}
