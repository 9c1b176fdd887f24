/* rest.h - the REST handlers for resource paths
 * (/api/v1/[namespaces/NS/]PLURAL[/NAME[/SUB]] and the same under
 * /apis/GROUP/VERSION): maps verbs and query parameters onto the API core
 * and writes the results in the negotiated form. */
#ifndef CKUBE_REST_H
#define CKUBE_REST_H
#include "http.h"

void rest_handle(http_req *rq);

/* Parses a resource path into rq->res/ns/name/sub/watch. Returns NULL, or a
 * Status (new reference) to send (404 for unknown paths). */
json_t *rest_route(http_req *rq);

/* The request body as a JSON object, decoded per Content-Type (JSON, YAML,
 * Kubernetes protobuf). NULL + *st (a Status) when it cannot be read. */
json_t *rest_decode_body(http_req *rq, json_t **st);
/* As rest_decode_body, then refused with kube-apiserver's BadRequest when a
 * value does not fit its field's Go type in kind of group/version av. */
json_t *rest_decode_typed(http_req *rq, const char *av, const char *kind, json_t **st);

#endif
