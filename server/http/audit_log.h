/* audit_log.h - kube-apiserver 1.20's audit log backend: with
 * --audit-policy-file and --audit-log-path, every request the policy gives
 * a level above None is written as audit.k8s.io/v1 Event JSON lines, one
 * per stage not omitted (RequestReceived, ResponseStarted for watches and
 * streams, ResponseComplete; a failed authentication gets one
 * ResponseStarted with user {}), with the Audit-Id header on the answer and
 * rotation at --audit-log-maxsize MB keeping --audit-log-maxbackup files
 * (lumberjack's names, path-TIMESTAMP.ext). Metadata: who, what, when,
 * authorization decision; Request adds the request body; RequestResponse
 * the answer. Thread-safe. */
#ifndef CKUBE_AUDIT_LOG_H
#define CKUBE_AUDIT_LOG_H
#include "http.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct audit_event audit_event;

/* Loads the policy and opens the log ("-": stdout); max_size_mb 0 means
 * lumberjack's 100, max_backups 0 keeps every rotated file. 0, or -1 with
 * err. Without both a path and a policy nothing is audited. */
int audit_log_init(const char *path, const char *policy_file, long max_size_mb, int max_backups, char *err,
                   size_t errlen);
void audit_log_shutdown(void);

/* The event of a request (method, raw URI, decoded path, query, source IP,
 * User-Agent) by user (a UserInfo; NULL: authentication failed), recording
 * RequestReceived; NULL when not audited. */
audit_event *audit_begin(const char *method, const char *request_uri, const char *path, const char *query,
                         const char *source_ip, const char *user_agent, const json_t *user);
/* The authorization decision and reason, and the impersonated user (or NULL). */
void audit_authorized(audit_event *ev, bool allowed, const char *reason, const json_t *impersonated);
const char *audit_event_id(const audit_event *ev);
/* The answer's body as JSON (a Status or the object sent). */
void audit_response(audit_event *ev, const json_t *body);
void audit_response_raw(audit_event *ev, const char *data, size_t len);
/* A streamed answer began (watch, logs): ResponseStarted. */
void audit_response_started(audit_event *ev, int code);
/* Records the last stage with rq's answer code and request body (JSON,
 * YAML or protobuf, as the API decodes it), then frees ev. */
void audit_end(audit_event *ev, http_req *rq);
/* How the front decodes a request body into its object (rest_decode_body:
 * a new reference, or NULL with *status), for the Request level's
 * requestObject; without one, events carry no requestObject. */
typedef json_t *(*audit_body_decoder)(http_req *rq, json_t **status);
void audit_set_body_decoder(audit_body_decoder fn);

#endif
