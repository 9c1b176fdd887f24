/* k8s_protobuf.h - decodes Kubernetes protobuf request bodies
 * (Content-Type application/vnd.kubernetes.protobuf, as kubectl 1.32 sends
 * for typed create/update) into the JSON object a JSON client would have sent:
 * what Go's encoding/json prints for the Go object Kubernetes decodes.
 *
 * The schema is the document api-spec/gen_protobuf_schema.py writes (embedded
 * as "protobuf-schema.json"): message fields with their JSON names, types and
 * omitempty/pointer/inline flags, and the apiVersion/kind -> message table.
 * The functions keep no state: they are reentrant and thread-safe as long as
 * the schema is not modified concurrently. Any input is safe: lengths and
 * varints are bounds-checked and nesting is limited to K8S_PROTOBUF_MAX_DEPTH. */
#ifndef CKUBE_K8S_PROTOBUF_H
#define CKUBE_K8S_PROTOBUF_H
#include <stddef.h>
#include <jansson.h>

#define K8S_PROTOBUF_MAX_DEPTH 64

/* True if buf starts with the 4-byte "k8s\0" magic of a protobuf body. */
int k8s_protobuf_has_magic(const unsigned char *buf, size_t len);

/* Decodes a full body: magic, runtime.Unknown envelope, then Unknown.raw as
 * the message registered for typeMeta's apiVersion/kind. Returns a new
 * reference to the object (with "kind" and "apiVersion" first), or NULL with
 * a Go-like message in err (e.g. "proto: wrong wireType = 0 for field Name",
 * "unexpected EOF"): the server answers 400 BadRequest with it. */
json_t *k8s_protobuf_to_json(const json_t *schema, const unsigned char *buf,
                             size_t len, char *err, size_t errlen);

/* As k8s_protobuf_to_json, but typeMeta's empty apiVersion/kind are taken
 * from def_api_version/def_kind (either may be NULL), as Kubernetes fills
 * them from the request URL before looking the type up. */
json_t *k8s_protobuf_to_json_defaults(const json_t *schema,
                                      const unsigned char *buf, size_t len,
                                      const char *def_api_version,
                                      const char *def_kind, char *err,
                                      size_t errlen);

/* Decodes buf as one bare message (no magic, no envelope) of the given
 * fully-qualified name, e.g. "k8s.io.api.core.v1.Namespace". Returns a new
 * reference (an object, or for the special types the JSON value Go prints:
 * Time -> string or null, Quantity -> string, ...), or NULL with err set. */
json_t *k8s_protobuf_message_to_json(const json_t *schema,
                                     const char *message_name,
                                     const unsigned char *buf, size_t len,
                                     char *err, size_t errlen);

/* The message name the schema registers for apiVersion/kind ("apps/v1",
 * "Deployment"), or NULL. Borrowed from the schema. */
const char *k8s_protobuf_message_for(const json_t *schema,
                                     const char *api_version, const char *kind);

#endif
