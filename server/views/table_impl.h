/* table_impl.h - private plumbing shared by the table printer files
 * (table.c, table_core.c, table_apps.c, table_other.c): the printer row
 * type, JSON field readers that treat missing fields as Go zero values, and
 * the small formatters kube-apiserver's printers lean on (label maps, label
 * selectors, container lists, ages). Not part of the public table.h API. */
#ifndef CKUBE_TABLE_IMPL_H
#define CKUBE_TABLE_IMPL_H
#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "table.h"
#include "json_path.h"

/* One column definition; priority 1 marks a wide-only column. The built-in
 * kinds' lists are generated from kube-apiserver's printers.go into the build
 * directory (table_columns.h, api-spec/table_columns.py). */
struct table_col {
  const char *name, *type, *format, *desc;
  int priority;
};

/* Appends exactly one cell per column of the printer to cells. */
typedef void (*table_row_fn)(const json_t *obj, time_t now, json_t *cells);

/* groups is a '|'-separated list of API groups ("" is core). */
struct table_printer {
  const char *groups, *plural;
  const struct table_col *cols;
  size_t ncols;
  table_row_fn row;
};

#define TABLE_PRINTER(groups, plural, cols, fn) \
  { groups, plural, cols, sizeof(cols) / sizeof(cols[0]), fn }

extern const struct table_printer table_core_printers[];
extern const size_t table_core_nprinters;
extern const struct table_printer table_apps_printers[];
extern const size_t table_apps_nprinters;
extern const struct table_printer table_other_printers[];
extern const size_t table_other_nprinters;

/* Field access by dotted path ("spec.template.spec"); NULL when absent or
 * null. Strings: json_path_str0 (lib/json_path.h), "" when absent. */
const json_t *tj(const json_t *obj, const char *path);
/* Integer at path, 0 when absent. */
long long tj_int(const json_t *obj, const char *path);
/* Boolean at path, 0 when absent. */
int tj_bool(const json_t *obj, const char *path);
/* Element count of the array or object at path, 0 when absent. */
size_t tj_len(const json_t *obj, const char *path);

/* Appenders: each adds one new cell to cells. */
void cell_str(json_t *cells, const char *s);
void cell_int(json_t *cells, long long v);
void cell_bool(json_t *cells, int v);
/* Age since the timestamp at path, "<unknown>" if absent (translateTimestampSince). */
void cell_since(json_t *cells, const json_t *obj, const char *path, time_t now);
/* Same as cell_since but into buf; returns buf. */
char *since_str(const json_t *ts, time_t now, char *buf, size_t len);

/* Growing string buffer for building cells; ptr is malloc'd, NULL on OOM. */
struct sbuf { char *p; size_t len, cap; };
void sb_add(struct sbuf *b, const char *s);
void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sb_str(struct sbuf *b); /* "" when empty; stays owned by b */
void sb_free(struct sbuf *b);

/* labels.FormatLabels: sorted "k=v,k2=v2", "<none>" when empty. */
void cell_labels(json_t *cells, const json_t *map);
/* metav1.LabelSelector as labels.Selector.String() into b ("" for empty);
 * -1 for an operator LabelSelectorAsSelector would refuse. */
int fmt_selector(struct sbuf *b, const json_t *sel);
/* metav1.FormatLabelSelector: selector string, "<none>", or "<error>". */
void cell_selector(json_t *cells, const json_t *sel);
/* layoutContainerCells: two cells, the names and the images, comma-joined. */
void cell_containers(json_t *cells, const json_t *containers);
/* loadBalancerStatusStringer for wide output: the sorted, de-duplicated
 * ingress IPs (or hostnames) joined by "," into b. */
void table_lb_ingress(struct sbuf *b, const json_t *ingress);
/* Quantity.String() of a JSON quantity (string or number): canonical form
 * in buf (64 bytes suffice), "0" if absent; may return a borrowed string. */
const char *qty_str(const json_t *q, char *buf, size_t len);

#endif
