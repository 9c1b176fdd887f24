/* audit_log.c - see audit_log.h. The JSON of an event is written as Go's
 * encoding/json writes it (struct field order, '<', '>' and '&' escaped);
 * one line per write(2) under a mutex that also guards rotation. */
#include "audit_log.h"
#include "api.h"
#include "audit_policy.h"
#include "log.h"
#include "rbac_rules.h"
#include "timestamp.h"
#include "yaml_json.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct audit_event {
  audit_level level;
  unsigned omit;
  char id[40], received[40];
  json_t *base;        /* kind .. objectRef, in Go's field order */
  json_t *annotations; /* authorization decision and reason */
  json_t *impersonated;
  json_t *status;      /* the Status answered, when one was */
  json_t *response;    /* the answer (RequestResponse) */
  bool authenticated, started;
};

static audit_policy *policy;
static int fd = -1;
static char *log_path;
static long long max_bytes, size_now;
static int max_backups;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0, got;
  char *b = malloc(cap);
  while ((got = fread(b + n, 1, cap - n - 1, f)) > 0)
    if ((n += got) + 1 >= cap) b = realloc(b, cap *= 2);
  fclose(f);
  b[n] = 0;
  *len = n;
  return b;
}

static int open_log(void) {
  if (!strcmp(log_path, "-")) return fd = STDOUT_FILENO;
  fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  struct stat st;
  size_now = fd >= 0 && !fstat(fd, &st) ? (long long)st.st_size : 0;
  return fd;
}

int audit_log_init(const char *path, const char *policy_file, long max_size_mb, int backups, char *err,
                   size_t errlen) {
  if (!path || !policy_file) {
    if (path || policy_file) LOGW("audit: both --audit-log-path and --audit-policy-file are needed; auditing is off");
    return 0;
  }
  size_t len;
  char *text = read_all(policy_file, &len);
  if (!text) {
    snprintf(err, errlen, "loading audit policy file: failed to read file path \"%s\": %s", policy_file,
             strerror(errno));
    return -1;
  }
  char perr[1024];
  policy = audit_policy_parse(text, len, perr, sizeof perr);
  free(text);
  if (!policy) {
    snprintf(err, errlen, "loading audit policy file: %s: from file %s", perr, policy_file);
    return -1;
  }
  log_path = strdup(path);
  max_bytes = (max_size_mb > 0 ? max_size_mb : 100) * 1024LL * 1024LL;
  max_backups = backups;
  if (open_log() < 0) {
    snprintf(err, errlen, "open %s: %s", path, strerror(errno));
    audit_policy_free(policy);
    policy = NULL;
    return -1;
  }
  LOGI("audit: %s with policy %s", path, policy_file);
  return 0;
}

void audit_log_shutdown(void) {
  if (fd > STDOUT_FILENO) close(fd);
  fd = -1;
  audit_policy_free(policy);
  policy = NULL;
  free(log_path);
  log_path = NULL;
}

/* Rotated files beyond max_backups go, oldest first (their names sort by time). */
static void prune_backups(void) {
  if (max_backups <= 0) return;
  char dir[4096], prefix[1024];
  snprintf(dir, sizeof dir, "%s", log_path);
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : log_path;
  if (slash) *slash = 0;
  else snprintf(dir, sizeof dir, ".");
  const char *dot = strrchr(base, '.');
  snprintf(prefix, sizeof prefix, "%.*s-", dot ? (int)(dot - base) : (int)strlen(base), base);
  DIR *d = opendir(dir);
  if (!d) return;
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (!strncmp(e->d_name, prefix, strlen(prefix)) && strcmp(e->d_name, base)) {
      names = realloc(names, (n + 1) * sizeof *names);
      names[n++] = strdup(e->d_name);
    }
  closedir(d);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp(names[j], names[i]) < 0) {
        char *t = names[i];
        names[i] = names[j];
        names[j] = t;
      }
  for (size_t i = 0; i + (size_t)max_backups < n; i++) {
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    unlink(p);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* lumberjack: path "dir/name.ext" moves to "dir/name-2006-01-02T15-04-05.000.ext" (UTC) and a new file starts. */
static void rotate(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[40], backup[4200];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%S", &tm);
  const char *slash = strrchr(log_path, '/'), *dot = strrchr(log_path, '.');
  if (dot && slash && dot < slash) dot = NULL;
  if (dot)
    snprintf(backup, sizeof backup, "%.*s-%s.%03ld%s", (int)(dot - log_path), log_path, stamp, ts.tv_nsec / 1000000,
             dot);
  else snprintf(backup, sizeof backup, "%s-%s.%03ld", log_path, stamp, ts.tv_nsec / 1000000);
  close(fd);
  if (rename(log_path, backup)) LOGW("audit: cannot rotate %s: %s", log_path, strerror(errno));
  if (open_log() < 0) LOGW("audit: cannot reopen %s: %s", log_path, strerror(errno));
  prune_backups();
}

/* Go's json.Marshal escapes these in strings (and they appear only in strings). */
static char *go_json(const json_t *v, size_t *len) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (!s) return NULL;
  size_t n = strlen(s), extra = 0;
  for (size_t i = 0; i < n; i++) extra += s[i] == '<' || s[i] == '>' || s[i] == '&' ? 5 : 0;
  char *out = malloc(n + extra + 2), *o = out;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '<' || s[i] == '>' || s[i] == '&') o += sprintf(o, "\\u%04x", (unsigned char)s[i]);
    else *o++ = s[i];
  }
  *o++ = '\n';
  *o = 0;
  *len = (size_t)(o - out);
  free(s);
  return out;
}

static void write_line(const json_t *ev) {
  size_t n;
  char *line = go_json(ev, &n);
  if (!line) return;
  pthread_mutex_lock(&mu);
  if (fd > STDOUT_FILENO && size_now + (long long)n > max_bytes && size_now > 0) rotate();
  if (fd >= 0) {
    ssize_t w = write(fd, line, n);
    if (w > 0) size_now += w;
  }
  pthread_mutex_unlock(&mu);
  free(line);
}

/* The responseStatus: code, and for a Status answer its status and reason. */
static json_t *response_status(const audit_event *ev, int code, const char *message) {
  json_t *rs = json_pack("{s:{}}", "metadata");
  const char *st = json_string_value(json_object_get(ev->status, "status"));
  const char *reason = json_string_value(json_object_get(ev->status, "reason"));
  if (st && *st) json_object_set_new(rs, "status", json_string(st));
  else if (message) json_object_set_new(rs, "status", json_string("Success"));
  if (message) json_object_set_new(rs, "message", json_string(message));
  if (reason && *reason) json_object_set_new(rs, "reason", json_string(reason));
  json_object_set_new(rs, "code", json_integer(code));
  return rs;
}

static void emit(const audit_event *ev, unsigned stage, int code, const json_t *request_object, const char *message) {
  if (ev->omit & stage) return;
  json_t *e = json_deep_copy(ev->base);
  json_object_set_new(e, "stage", json_string(audit_stage_name(stage)));
  /* stage goes right after auditID: rebuild in field order */
  json_t *out = json_object();
  const char *order[] = {"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user",
                         "impersonatedUser", "sourceIPs", "userAgent", "objectRef"};
  if (ev->impersonated) json_object_set(e, "impersonatedUser", ev->impersonated);
  for (size_t i = 0; i < sizeof order / sizeof *order; i++)
    if (json_object_get(e, order[i])) json_object_set(out, order[i], json_object_get(e, order[i]));
  json_decref(e);
  if (stage != AUDIT_REQUEST_RECEIVED) json_object_set_new(out, "responseStatus", response_status(ev, code, message));
  if (request_object && ev->level >= AUDIT_REQUEST) json_object_set(out, "requestObject", (json_t *)request_object);
  if (ev->response && ev->level >= AUDIT_REQUEST_RESPONSE && stage == AUDIT_RESPONSE_COMPLETE)
    json_object_set(out, "responseObject", ev->response);
  char now[40];
  rfc3339_now_micro(now, sizeof now);
  json_object_set_new(out, "requestReceivedTimestamp", json_string(ev->received));
  json_object_set_new(out, "stageTimestamp", json_string(now));
  if (json_object_size(ev->annotations)) json_object_set(out, "annotations", ev->annotations);
  write_line(out);
  json_decref(out);
}

audit_event *audit_begin(const char *method, const char *request_uri, const char *path, const char *query,
                         const char *source_ip, const char *user_agent, const json_t *user) {
  if (!policy) return NULL;
  authz_attrs a = {0};
  a.user = user ? json_string_value(json_object_get(user, "username")) : NULL;
  a.groups = json_object_get(user, "groups");
  rbac_request_info(method, path, query, &a);
  unsigned omit;
  audit_level level = audit_policy_level(policy, &a, &omit);
  if (level == AUDIT_NONE) return NULL;
  audit_event *ev = calloc(1, sizeof *ev);
  ev->level = level;
  ev->omit = omit;
  ev->authenticated = user != NULL;
  meta_new_uid(ev->id, sizeof ev->id);
  rfc3339_now_micro(ev->received, sizeof ev->received);
  ev->annotations = json_object();
  size_t ulen = strlen(request_uri) + (query ? strlen(query) : 0) + 2;
  char *uri = malloc(ulen);
  snprintf(uri, ulen, "%s%s%s", request_uri, query && *query ? "?" : "", query && *query ? query : "");
  ev->base = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:[s]}", "kind", "Event", "apiVersion", "audit.k8s.io/v1",
                       "level", audit_level_name(level), "auditID", ev->id, "requestURI", uri, "verb",
                       a.verb, "user", user ? user : json_object(), "sourceIPs", source_ip ? source_ip : "");
  free(uri);
  if (!user) json_decref(json_object_get(ev->base, "user")); /* the {} made above */
  if (user_agent) json_object_set_new(ev->base, "userAgent", json_string(user_agent));
  if (a.resource_request) {
    json_t *ref = json_pack("{s:s}", "resource", a.resource);
    if (a.ns[0]) json_object_set_new(ref, "namespace", json_string(a.ns));
    if (a.name[0]) json_object_set_new(ref, "name", json_string(a.name));
    if (a.api_group[0]) json_object_set_new(ref, "apiGroup", json_string(a.api_group));
    json_object_set_new(ref, "apiVersion", json_string(a.api_version));
    if (a.subresource[0]) json_object_set_new(ref, "subresource", json_string(a.subresource));
    json_object_set_new(ev->base, "objectRef", ref);
  }
  if (user) emit(ev, AUDIT_REQUEST_RECEIVED, 0, NULL, NULL);
  return ev;
}

void audit_authorized(audit_event *ev, bool allowed, const char *reason, const json_t *impersonated) {
  if (!ev) return;
  json_object_set_new(ev->annotations, "authorization.k8s.io/decision", json_string(allowed ? "allow" : "forbid"));
  json_object_set_new(ev->annotations, "authorization.k8s.io/reason", json_string(reason ? reason : ""));
  if (impersonated) ev->impersonated = json_pack("{s:O,s:O}", "username", json_object_get(impersonated, "username"),
                                                 "groups", json_object_get(impersonated, "groups"));
}

const char *audit_event_id(const audit_event *ev) { return ev ? ev->id : ""; }

void audit_response(audit_event *ev, const json_t *body) {
  if (!ev || ev->response || ev->status) return;
  const char *kind = json_string_value(json_object_get(body, "kind"));
  if (kind && !strcmp(kind, "Status")) ev->status = json_deep_copy(body);
  if (ev->level >= AUDIT_REQUEST_RESPONSE) ev->response = json_deep_copy(body);
}

void audit_response_raw(audit_event *ev, const char *data, size_t len) {
  if (!ev || ev->level < AUDIT_REQUEST_RESPONSE || ev->response) return;
  ev->response = json_loadb(data, len, 0, NULL);
}

void audit_response_started(audit_event *ev, int code) {
  if (!ev || ev->started) return;
  ev->started = true;
  emit(ev, AUDIT_RESPONSE_STARTED, code, NULL, NULL);
}

static audit_body_decoder body_decoder; /* set once by the front before serving */

void audit_set_body_decoder(audit_body_decoder fn) { body_decoder = fn; }

/* The request body as the API decodes it, for level Request and above;
 * DeleteOptions get their kind as kube-apiserver's decoding sets it. */
static json_t *request_object(http_req *rq) {
  if (!rq->body || !rq->body_len || !body_decoder) return NULL;
  json_t *st = NULL, *v = body_decoder(rq, &st);
  json_decref(st);
  if (v && !strcmp(rq->method, "DELETE") && !json_object_get(v, "kind")) {
    json_t *o = json_pack("{s:s,s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
    json_object_update(o, v);
    json_decref(v);
    v = o;
  }
  return v;
}

/* A create names its object in the body: objectRef.name from it, as audit.LogRequestObject fills it. */
static void name_from_object(audit_event *ev, const json_t *req) {
  json_t *ref = json_object_get(ev->base, "objectRef");
  const char *name = json_string_value(json_object_get(json_object_get(req, "metadata"), "name"));
  if (!ref || !name || !*name || json_object_get(ref, "name")) return;
  json_t *out = json_object();
  const char *order[] = {"resource", "namespace", "name", "apiGroup", "apiVersion", "subresource"};
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    if (!strcmp(order[i], "name")) json_object_set_new(out, "name", json_string(name));
    else if (json_object_get(ref, order[i])) json_object_set(out, order[i], json_object_get(ref, order[i]));
  }
  json_object_set_new(ev->base, "objectRef", out);
}

void audit_end(audit_event *ev, http_req *rq) {
  if (!ev) return;
  int code = rq->code ? rq->code : 500;
  json_t *req = ev->level >= AUDIT_REQUEST ? request_object(rq) : NULL;
  name_from_object(ev, req);
  if (!ev->authenticated) /* WithFailedAuthenticationAudit: one ResponseStarted */
    emit(ev, AUDIT_RESPONSE_STARTED, code, NULL, NULL);
  else if (ev->started) /* a stream the client ended, as kube-apiserver words it */
    emit(ev, AUDIT_RESPONSE_COMPLETE, code, req, "Connection closed early");
  else emit(ev, AUDIT_RESPONSE_COMPLETE, code, req, NULL);
  json_decref(req);
  json_decref(ev->base);
  json_decref(ev->annotations);
  json_decref(ev->impersonated);
  json_decref(ev->status);
  json_decref(ev->response);
  free(ev);
}
