/* table_output.h - wraps objects into the meta.k8s.io Table and
 * PartialObjectMetadata(List) forms kubectl asks for (Accept:
 * application/json;as=Table;v=v1;g=meta.k8s.io), using the per-kind printers
 * of table.h; honours includeObject=None|Metadata|Object. */
#ifndef CKUBE_TABLE_OUTPUT_H
#define CKUBE_TABLE_OUTPUT_H
#include <jansson.h>
#include "http.h"

/* A Table (or PartialObjectMetadata) for one object; new reference. */
json_t *table_output_single(http_req *rq, const json_t *obj);

/* A Table (or PartialObjectMetadataList) for list items (objects in the
 * served version); rv/cont go into its metadata. New reference. */
json_t *table_output_list(http_req *rq, json_t *items, const char *rv, const char *cont);

/* The same document with its last member (rows, items) still empty, for
 * responses that stream the items after it; new reference. */
json_t *table_output_list_head(http_req *rq, const char *rv, const char *cont);
/* What table_output_list puts into that last member for one item. */
json_t *table_output_list_item(http_req *rq, const json_t *obj);

/* The compact JSON text of table_output_list_item's Table row for obj,
 * copying the row's metadata from text[0..len) (obj's compact JSON, as the
 * watch cache holds it) instead of serializing it again; malloc'd, or NULL
 * when the answer is no Table of metadata rows or text has no metadata. */
char *table_output_row_text(http_req *rq, const json_t *obj, const char *text, size_t len);

/* One row for obj (watch events use single-row tables). */
json_t *table_output_row(http_req *rq, const json_t *obj);

/* Writes an API result in the negotiated form (object, YAML, Table or
 * PartialObjectMetadata; a Status always as JSON/YAML): a stored version
 * as its stored bytes when nothing changes them. Clears res. */
void http_send_result(http_req *rq, api_result *res);

#endif
