/* table.c - the meta.k8s.io/v1 Table machinery: finds the printer for a
 * (group, plural), builds its columnDefinitions, runs its row function, and
 * falls back to kube-apiserver's default table convertor (Name, Created At)
 * for resources without a printer. Also holds the helpers every printer
 * shares: zero-value-tolerant JSON readers (RFC 3339 is lib/timestamp.c),
 * duration.HumanDuration, and label/selector/container formatting. The
 * server always asks Kubernetes' printers for wide output, so rows carry
 * the priority-1 cells too; clients hide them. All functions are reentrant. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "table.h"
#include "table_impl.h"
#include "table_columns.h"
#include "quantity.h"
#include "timestamp.h"
#include "strutil.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON readers ---------------------------------------------------- */

const json_t *tj(const json_t *obj, const char *path) {
  const json_t *v = json_path(obj, path);
  return json_is_null(v) ? NULL : v;
}

long long tj_int(const json_t *obj, const char *path) {
  const json_t *v = tj(obj, path);
  if (json_is_integer(v)) return json_integer_value(v);
  if (json_is_real(v)) return (long long)json_real_value(v);
  return 0;
}

int tj_bool(const json_t *obj, const char *path) { return json_is_true(tj(obj, path)); }

size_t tj_len(const json_t *obj, const char *path) {
  const json_t *v = tj(obj, path);
  if (json_is_array(v)) return json_array_size(v);
  if (json_is_object(v)) return json_object_size(v);
  return 0;
}

/* ---- time ------------------------------------------------------------ */

/* Mirrors k8s.io/apimachinery/pkg/util/duration.HumanDuration on whole
 * seconds: precise while small, coarser as the duration grows. */
char *human_duration(long long seconds, char *buf, size_t len) {
  if (!buf || !len) return buf;
  if (seconds < -1) {
    snprintf(buf, len, "<invalid>");
  } else if (seconds < 0) {
    snprintf(buf, len, "0s");
  } else if (seconds < 60 * 2) {
    snprintf(buf, len, "%llds", seconds);
  } else {
    long long minutes = seconds / 60, hours = seconds / 3600;
    if (minutes < 10) {
      if (seconds % 60 == 0) snprintf(buf, len, "%lldm", minutes);
      else snprintf(buf, len, "%lldm%llds", minutes, seconds % 60);
    } else if (minutes < 60 * 3) {
      snprintf(buf, len, "%lldm", minutes);
    } else if (hours < 8) {
      if (minutes % 60 == 0) snprintf(buf, len, "%lldh", hours);
      else snprintf(buf, len, "%lldh%lldm", hours, minutes % 60);
    } else if (hours < 48) {
      snprintf(buf, len, "%lldh", hours);
    } else if (hours < 24 * 8) {
      if (hours % 24 == 0) snprintf(buf, len, "%lldd", hours / 24);
      else snprintf(buf, len, "%lldd%lldh", hours / 24, hours % 24);
    } else if (hours < 24 * 365 * 2) {
      snprintf(buf, len, "%lldd", hours / 24);
    } else if (hours < 24 * 365 * 8) {
      long long dy = (hours / 24) % 365;
      if (dy == 0) snprintf(buf, len, "%lldy", hours / 24 / 365);
      else snprintf(buf, len, "%lldy%lldd", hours / 24 / 365, dy);
    } else {
      snprintf(buf, len, "%lldy", hours / 24 / 365);
    }
  }
  return buf;
}

char *since_str(const json_t *ts, time_t now, char *buf, size_t len) {
  time_t t;
  double frac = 0;
  if (!json_is_string(ts) || rfc3339_parse(json_string_value(ts), &t, &frac) != 0) {
    snprintf(buf, len, "<unknown>");
    return buf;
  }
  /* Go truncates the float seconds of time.Since toward zero. */
  double d = (double)(now - t) - frac;
  return human_duration((long long)d, buf, len);
}

/* ---- cells ----------------------------------------------------------- */

void cell_str(json_t *cells, const char *s) { json_array_append_new(cells, json_string(s ? s : "")); }
void cell_int(json_t *cells, long long v) { json_array_append_new(cells, json_integer(v)); }
void cell_bool(json_t *cells, int v) { json_array_append_new(cells, json_boolean(v)); }

void cell_since(json_t *cells, const json_t *obj, const char *path, time_t now) {
  char buf[32];
  cell_str(cells, since_str(tj(obj, path), now, buf, sizeof buf));
}

void sb_add(struct sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n + 1);
  b->len += n;
}

void sb_addf(struct sbuf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    sb_add(b, small);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) return;
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_add(b, big);
  free(big);
}

const char *sb_str(struct sbuf *b) { return b->p ? b->p : ""; }
void sb_free(struct sbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* labels.Set.String sorts the joined "key=value" strings, not the keys:
 * "a.b=2" sorts before "a=1". */
void cell_labels(json_t *cells, const json_t *map) {
  size_t n = json_is_object(map) ? json_object_size(map) : 0;
  char **pairs = n ? calloc(n, sizeof *pairs) : NULL;
  if (!pairs) {
    cell_str(cells, "<none>");
    return;
  }
  size_t m = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)map, k, v) {
    struct sbuf p = {0};
    sb_addf(&p, "%s=%s", k, json_is_string(v) ? json_string_value(v) : "");
    if (p.p) pairs[m++] = p.p;
  }
  qsort(pairs, m, sizeof *pairs, strp_cmp);
  struct sbuf b = {0};
  for (size_t i = 0; i < m; i++) {
    if (i) sb_add(&b, ",");
    sb_add(&b, pairs[i]);
    free(pairs[i]);
  }
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  free(pairs);
}

/* One requirement of a selector, kept with its key for ordering. */
struct req { const char *key; char *text; size_t idx; };

static int cmp_req(const void *a, const void *b) {
  const struct req *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c) return c;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Values of an In/NotIn requirement are a set: sorted, de-duplicated. */
static void add_value_set(struct sbuf *b, const json_t *values) {
  size_t n = json_is_array(values) ? json_array_size(values) : 0;
  const char **v = calloc(n ? n : 1, sizeof *v);
  if (!v) return;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const json_t *e = json_array_get(values, i);
    if (json_is_string(e)) v[m++] = json_string_value(e);
  }
  qsort(v, m, sizeof *v, strp_cmp);
  sb_add(b, "(");
  for (size_t i = 0, out = 0; i < m; i++) {
    if (i && strcmp(v[i], v[i - 1]) == 0) continue;
    sb_addf(b, "%s%s", out++ ? "," : "", v[i]);
  }
  sb_add(b, ")");
  free(v);
}

int fmt_selector(struct sbuf *out, const json_t *sel) {
  const json_t *ml = json_object_get(sel, "matchLabels");
  const json_t *me = json_object_get(sel, "matchExpressions");
  size_t nl = json_is_object(ml) ? json_object_size(ml) : 0;
  size_t ne = json_is_array(me) ? json_array_size(me) : 0;
  if (!json_is_object(sel) || nl + ne == 0) return 0;
  struct req *r = calloc(nl + ne, sizeof *r);
  if (!r) return -1;
  size_t n = 0;
  int bad = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)ml, k, v) {
    struct sbuf b = {0};
    sb_addf(&b, "%s=%s", k, json_is_string(v) ? json_string_value(v) : "");
    r[n].key = k;
    r[n].idx = n;
    r[n++].text = b.p;
  }
  for (size_t i = 0; i < ne; i++) {
    const json_t *e = json_array_get(me, i);
    const char *key = json_path_str0(e, "key"), *op = json_path_str0(e, "operator");
    struct sbuf b = {0};
    if (strcmp(op, "In") == 0) {
      sb_addf(&b, "%s in ", key);
      add_value_set(&b, json_object_get(e, "values"));
    } else if (strcmp(op, "NotIn") == 0) {
      sb_addf(&b, "%s notin ", key);
      add_value_set(&b, json_object_get(e, "values"));
    } else if (strcmp(op, "Exists") == 0) {
      sb_add(&b, key);
    } else if (strcmp(op, "DoesNotExist") == 0) {
      sb_addf(&b, "!%s", key);
    } else {
      bad = 1; /* LabelSelectorAsSelector fails; validation keeps these out */
      continue;
    }
    r[n].key = key;
    r[n].idx = n;
    r[n++].text = b.p;
  }
  qsort(r, n, sizeof *r, cmp_req);
  for (size_t i = 0; i < n; i++) {
    if (i) sb_add(out, ",");
    sb_add(out, r[i].text ? r[i].text : "");
    free(r[i].text);
  }
  free(r);
  return bad ? -1 : 0;
}

void cell_selector(json_t *cells, const json_t *sel) {
  struct sbuf b = {0};
  if (fmt_selector(&b, sel) != 0) cell_str(cells, "<error>");
  else cell_str(cells, b.len ? sb_str(&b) : "<none>");
  sb_free(&b);
}

void cell_containers(json_t *cells, const json_t *containers) {
  struct sbuf names = {0}, images = {0};
  size_t n = json_is_array(containers) ? json_array_size(containers) : 0;
  for (size_t i = 0; i < n; i++) {
    const json_t *c = json_array_get(containers, i);
    if (i) {
      sb_add(&names, ",");
      sb_add(&images, ",");
    }
    sb_add(&names, json_path_str0(c, "name"));
    sb_add(&images, json_path_str0(c, "image"));
  }
  cell_str(cells, sb_str(&names));
  cell_str(cells, sb_str(&images));
  sb_free(&names);
  sb_free(&images);
}

const char *qty_str(const json_t *q, char *buf, size_t len) {
  char raw[64];
  const char *s;
  if (json_is_string(q)) {
    s = json_string_value(q);
  } else if (json_is_integer(q)) {
    snprintf(raw, sizeof raw, "%lld", (long long)json_integer_value(q));
    s = raw;
  } else if (json_is_real(q)) {
    snprintf(raw, sizeof raw, "%.17g", json_real_value(q));
    s = raw;
  } else {
    return "0"; /* Go's zero Quantity */
  }
  /* Quantity.String(): the canonical form; a string Kubernetes could not
   * have decoded is echoed rather than hidden. */
  if (quantity_canonicalize(s, buf, len) == 0) return buf;
  if (s == raw) {
    snprintf(buf, len, "%s", raw);
    return buf;
  }
  return s;
}

/* ---- lookup and the public API -------------------------------------- */

static int group_in(const char *groups, const char *group) {
  size_t gl = strlen(group);
  const char *p = groups;
  for (;;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == gl && strncmp(p, group, n) == 0) return 1;
    if (!bar) return 0;
    p = bar + 1;
  }
}

static const struct table_printer *find_printer(const char *group, const char *plural) {
  static const struct {
    const struct table_printer *list;
    const size_t *n;
  } sets[] = {{table_core_printers, &table_core_nprinters},
              {table_apps_printers, &table_apps_nprinters},
              {table_other_printers, &table_other_nprinters}};
  if (!group) group = "";
  if (!plural) return NULL;
  for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
    for (size_t i = 0; i < *sets[s].n; i++) {
      const struct table_printer *p = &sets[s].list[i];
      if (strcmp(p->plural, plural) == 0 && group_in(p->groups, group)) return p;
    }
  return NULL;
}

/* kube-apiserver's defaultTableConvertor (k8s.io/apiserver rest/table.go). */
static const struct table_col default_cols[] = {
    {"Name", "string", "name", printer_doc_name, 0},
    {"Created At", "date", "", printer_doc_creation_timestamp, 0},
};

static json_t *columns_json(const struct table_col *cols, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", cols[i].name, "type",
                                         cols[i].type, "format", cols[i].format ? cols[i].format : "",
                                         "description", cols[i].desc ? cols[i].desc : "",
                                         "priority", cols[i].priority));
  return arr;
}

json_t *table_columns(const char *group, const char *plural) {
  const struct table_printer *p = find_printer(group, plural);
  if (!p) return columns_json(default_cols, sizeof default_cols / sizeof default_cols[0]);
  return columns_json(p->cols, p->ncols);
}

json_t *table_cells(const char *group, const char *plural, const json_t *obj, time_t now) {
  json_t *cells = json_array();
  if (!cells) return NULL;
  const struct table_printer *p = find_printer(group, plural);
  if (!p) {
    /* Go prints metav1.Time's zero value as 0001-01-01T00:00:00Z. */
    char buf[32] = "0001-01-01T00:00:00Z";
    time_t t;
    double frac;
    if (rfc3339_parse(json_path_str0(obj, "metadata.creationTimestamp"), &t, &frac) == 0)
      rfc3339_format((long long)t, buf, sizeof buf);
    cell_str(cells, json_path_str0(obj, "metadata.name"));
    cell_str(cells, buf);
    return cells;
  }
  p->row(obj, now, cells);
  /* A row that disagrees with its columns would break every client; pad
   * or trim defensively (a printer bug, never expected). */
  while (json_array_size(cells) < p->ncols) cell_str(cells, "");
  while (json_array_size(cells) > p->ncols) json_array_remove(cells, json_array_size(cells) - 1);
  return cells;
}
