/* status.c - metav1.Status builders (see status.h). Field order follows
 * kube-apiserver's JSON so byte-level comparisons with a real cluster hold. */
#include "status.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *group_resource(const char *group, const char *plural, char *buf, size_t len) {
  if (group && *group) snprintf(buf, len, "%s.%s", plural, group);
  else snprintf(buf, len, "%s", plural);
  return buf;
}

json_t *status_failure(int code, const char *reason, const char *message, json_t *details) {
  json_t *s = json_pack("{s:s,s:s,s:{},s:s,s:s}", "kind", "Status", "apiVersion", "v1", "metadata",
                        "status", "Failure", "message", message ? message : "");
  if (reason && *reason) json_object_set_new(s, "reason", json_string(reason));
  if (details) json_object_set_new(s, "details", details);
  json_object_set_new(s, "code", json_integer(code));
  return s;
}

json_t *status_no_route(int code) {
  switch (code) {
  case 405:
    return status_failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                          json_object());
  case 406: return status_failure(406, "NotAcceptable", "406: Not Acceptable", json_object());
  case 415: return status_failure(415, "UnsupportedMediaType", "415: Unsupported Media Type", json_object());
  default:
    return status_failure(404, "NotFound", "the server could not find the requested resource", json_object());
  }
}

static json_t *details(const char *group, const char *kind, const char *name) {
  json_t *d = json_object();
  if (name && *name) json_object_set_new(d, "name", json_string(name));
  if (group && *group) json_object_set_new(d, "group", json_string(group));
  if (kind && *kind) json_object_set_new(d, "kind", json_string(kind));
  return d;
}

json_t *status_success(const resource *r, const char *name, const char *uid) {
  json_t *d = details(r->ref.group, r->ref.plural, name);
  if (uid) json_object_set_new(d, "uid", json_string(uid));
  return json_pack("{s:s,s:s,s:{},s:s,s:o}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                   "Success", "details", d);
}

json_t *status_not_found_gr(const char *group, const char *plural, const char *name) {
  char gr[256], msg[512];
  snprintf(msg, sizeof msg, "%s \"%s\" not found", group_resource(group, plural, gr, sizeof gr), name);
  return status_failure(404, "NotFound", msg, details(group, plural, name));
}

json_t *status_not_found(const resource *r, const char *name) {
  return status_not_found_gr(r->ref.group, r->ref.plural, name);
}

json_t *status_already_exists(const resource *r, const char *name) {
  char gr[256], msg[512];
  snprintf(msg, sizeof msg, "%s \"%s\" already exists", group_resource(r->ref.group, r->ref.plural, gr, sizeof gr),
           name);
  return status_failure(409, "AlreadyExists", msg, details(r->ref.group, r->ref.plural, name));
}

json_t *status_conflict(const resource *r, const char *name, const char *why) {
  char gr[256], msg[1024];
  snprintf(msg, sizeof msg, "Operation cannot be fulfilled on %s \"%s\": %s",
           group_resource(r->ref.group, r->ref.plural, gr, sizeof gr), name, why);
  return status_failure(409, "Conflict", msg, details(r->ref.group, r->ref.plural, name));
}

json_t *status_bad_request(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return status_failure(400, "BadRequest", msg, NULL);
}

json_t *status_forbidden(const resource *r, const char *name, const char *why) {
  char gr[256], msg[1024];
  group_resource(r->ref.group, r->ref.plural, gr, sizeof gr);
  if (name && *name) snprintf(msg, sizeof msg, "%s \"%s\" is forbidden: %s", gr, name, why);
  else snprintf(msg, sizeof msg, "%s is forbidden: %s", gr, why);
  return status_failure(403, "Forbidden", msg, details(r->ref.group, r->ref.plural, name));
}

json_t *status_method_not_allowed(const resource *r, const char *verb) {
  char gr[256], msg[512];
  snprintf(msg, sizeof msg, "%s is not supported on resources of kind \"%s\"", verb,
           group_resource(r->ref.group, r->ref.plural, gr, sizeof gr));
  return status_failure(405, "MethodNotAllowed", msg, details(r->ref.group, r->ref.plural, NULL));
}

json_t *status_expired(const char *message) { return status_failure(410, "Expired", message, NULL); }

json_t *status_internal(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return status_failure(500, "InternalError", msg,
                        json_pack("{s:[{s:s}]}", "causes", "message", msg));
}
