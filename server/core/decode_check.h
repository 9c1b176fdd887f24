/* decode_check.h - refuses a request body whose values do not fit the Go
 * types of its kind, as kube-apiserver 1.20's decoding (json-iterator into
 * the typed object) does: a string where an int32 belongs, a map where a
 * string list belongs, a Quantity or time that does not parse, Secret data
 * that is not base64. The answer is the BadRequest kube-apiserver gives,
 * message included: `ConfigMap in version "v1" cannot be handled as a
 * ConfigMap: v1.ConfigMap.Data: ReadString: expects " or n, but found 1,
 * error found in #10 byte of ...|{"a":1}}|..., bigger context ...|...|...`.
 * The Go types come from the protobuf schema (api-spec/gen_protobuf_schema.py:
 * field types, Go field names, Go slice type names). */
#ifndef CKUBE_DECODE_CHECK_H
#define CKUBE_DECODE_CHECK_H
#include <stddef.h>
#include <jansson.h>

/* Checks json (len bytes, valid JSON: the body as the client sent it) as the
 * message msg_fqn of schema (protobuf-schema.json). kind and version name
 * the type in the message. NULL when it decodes, else the Status (new
 * reference, 400 BadRequest). */
json_t *decode_check(const json_t *schema, const char *msg_fqn, const char *kind, const char *version,
                     const char *json, size_t len);

#endif
