/* exec_ws.c - see exec_ws.h. Frames are binary with the channel in the
 * first byte: 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status when the
 * command ends: Success, or NonZeroExitCode with the ExitCode cause), 4
 * resize ({"Width","Height"}), 255 close (v5: the byte after it names the
 * closed stream; stdin's ends the command's input). The connection's
 * CivetWeb thread reads the client's frames; a relay thread writes the
 * node's answer. */
#include "exec_ws.h"
#include "api.h"
#include "http.h"
#include "log.h"
#include "node_tunnel.h"
#include <civetweb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  struct mg_connection *conn;
  char ns[256], pod[256];
  json_t *line; /* the exec request for the node, until it is queued */
  char node[256];
  treq *req;
  pthread_t relay;
  bool relay_started;
} session;

static const char *protocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io"};
static struct mg_websocket_subprotocols subprotocols = {2, protocols};

static void send_frame(struct mg_connection *conn, int channel, const char *data, size_t len) {
  char *buf = malloc(len + 1);
  buf[0] = (char)channel;
  memcpy(buf + 1, data, len);
  mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_BINARY, buf, len + 1);
  free(buf);
}

/* Ends the stream with a Status on the error channel and a close frame. */
static void finish(struct mg_connection *conn, json_t *status) {
  char *s = json_dumps(status, JSON_COMPACT);
  send_frame(conn, 3, s, strlen(s));
  free(s);
  json_decref(status);
  mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xe8", 2);
}

static json_t *failure(const char *reason, int code, const char *fmt, const char *a, const char *b) {
  char msg[600];
  snprintf(msg, sizeof msg, fmt, a, b);
  return json_pack("{s:{},s:s,s:s,s:s,s:i}", "metadata", "status", "Failure", "message", msg, "reason", reason, "code",
                   code);
}

static json_t *exit_status(const char *command, int code) {
  char msg[700], num[16];
  snprintf(msg, sizeof msg, "command terminated with non-zero exit code: error executing command [%s], exit code %d",
           command, code);
  snprintf(num, sizeof num, "%d", code);
  return json_pack("{s:{},s:s,s:s,s:s,s:{s:[{s:s,s:s}]}}", "metadata", "status", "Failure", "message", msg, "reason",
                   "NonZeroExitCode", "details", "causes", "reason", "ExitCode", "message", num);
}

static void *relay(void *arg) {
  session *s = arg;
  int channel, status;
  char *data, *message;
  size_t len;
  while (node_tunnel_next(s->req, &channel, &data, &len, &status, &message) == 1) {
    send_frame(s->conn, channel, data, len);
    free(data);
    free(message);
  }
  if (status == 200) {
    int code = message ? atoi(message) : 0;
    if (code == 0) {
      finish(s->conn, json_pack("{s:{},s:s}", "metadata", "status", "Success"));
    } else {
      char cmd[600] = "";
      size_t i;
      json_t *a;
      json_array_foreach(json_object_get(s->line, "command"), i, a)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", i ? " " : "", json_string_value(a));
      finish(s->conn, exit_status(cmd, code));
    }
  } else {
    finish(s->conn, failure(status == 400 || status == 404 ? "BadRequest" : "InternalError",
                            status == 400 || status == 404 ? 400 : 500, "%s%s",
                            message ? message : "the node did not answer", ""));
  }
  free(message);
  return NULL;
}

/* /api/v1/namespaces/NS/pods/NAME/exec|attach -> ns, pod, kind; false for any other path. */
static bool exec_path(const char *uri, char *ns, char *pod, char *kind) {
  return sscanf(uri, "/api/v1/namespaces/%255[^/]/pods/%255[^/]/%15s", ns, pod, kind) == 3 &&
         (!strcmp(kind, "exec") || !strcmp(kind, "attach"));
}

static int on_connect(const struct mg_connection *conn, void *cb) {
  const struct mg_request_info *ri = mg_get_request_info(conn);
  char ns[256], pod[256], kind[16];
  if (!exec_path(ri->local_uri, ns, pod, kind)) return 1;
  json_t *user = http_connection_user((struct mg_connection *)conn);
  if (!user) return 1;
  json_decref(user);
  session *s = calloc(1, sizeof *s);
  snprintf(s->ns, sizeof s->ns, "%s", ns);
  snprintf(s->pod, sizeof s->pod, "%s", pod);
  json_t *command = json_array();
  const char *q = ri->query_string ? ri->query_string : "";
  char buf[4096], container[256] = "";
  for (int i = 0; mg_get_var2(q, strlen(q), "command", buf, sizeof buf, (size_t)i) >= 0; i++)
    json_array_append_new(command, json_string(buf));
  if (mg_get_var(q, strlen(q), "container", buf, sizeof buf) >= 0) snprintf(container, sizeof container, "%s", buf);
  s->line = json_pack("{s:s,s:s,s:s,s:o,s:s}", "kind", kind, "namespace", ns, "pod", pod, "command", command,
                      "container", container);
  static const char *const flags[] = {"stdin", "stdout", "stderr", "tty"};
  for (int i = 0; i < 4; i++) {
    bool on = mg_get_var(q, strlen(q), flags[i], buf, sizeof buf) >= 0 && (!strcmp(buf, "true") || !strcmp(buf, "1"));
    json_object_set_new(s->line, flags[i], json_boolean(on));
  }
  mg_set_user_connection_data(conn, s);
  return 0;
}

/* The pod's node and container into the request; NULL, or the Status to answer. */
static json_t *resolve(session *s) {
  const resource *r = registry_find("", "v1", "pods");
  cobj *o = r ? cache_get(api_cache(), r->bucket, s->ns, s->pod) : NULL;
  if (!o) return failure("NotFound", 404, "pods \"%s\" not found%s", s->pod, "");
  const json_t *spec = json_object_get(o->obj, "spec");
  const char *node = json_string_value(json_object_get(spec, "nodeName"));
  const char *uid = json_string_value(json_object_get(json_object_get(o->obj, "metadata"), "uid"));
  const char *c = json_string_value(json_object_get(s->line, "container"));
  json_t *first = json_object_get(json_array_get(json_object_get(spec, "containers"), 0), "name");
  if (!*c && json_array_size(json_object_get(spec, "containers")) == 1)
    json_object_set(s->line, "container", first);
  json_t *st = NULL;
  if (!*json_string_value(json_object_get(s->line, "container")))
    st = failure("BadRequest", 400, "a container name must be specified for pod %s%s", s->pod, "");
  else if (!node || !*node)
    st = failure("BadRequest", 400, "pod %s does not have a host assigned%s", s->pod, "");
  else {
    snprintf(s->node, sizeof s->node, "%s", node);
    json_object_set_new(s->line, "podUID", json_string(uid ? uid : ""));
  }
  cobj_unref(o);
  return st;
}

static void on_ready(struct mg_connection *conn, void *cb) {
  session *s = mg_get_user_connection_data(conn);
  if (!s) return;
  s->conn = conn;
  json_t *st = resolve(s);
  if (!st) {
    s->req = node_tunnel_request(s->node, json_incref(s->line));
    if (!s->req)
      st = failure("InternalError", 500, "error dialing backend: node %s has no call-home connection%s", s->node, "");
  }
  if (st) {
    finish(conn, st);
    return;
  }
  s->relay_started = pthread_create(&s->relay, NULL, relay, s) == 0;
}

static int on_data(struct mg_connection *conn, int bits, char *data, size_t len, void *cb) {
  session *s = mg_get_user_connection_data(conn);
  int opcode = bits & 0xf;
  if (opcode == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) return 0;
  if (!s || !s->req || (opcode != MG_WEBSOCKET_OPCODE_BINARY && opcode != MG_WEBSOCKET_OPCODE_TEXT) || len < 1) return 1;
  int channel = (unsigned char)data[0];
  if (channel == 255) node_tunnel_input(s->req, 0, NULL, 0, len < 2 || data[1] == 0);
  else if (channel == 0 || channel == 4) node_tunnel_input(s->req, channel, data + 1, len - 1, false);
  return 1;
}

static void on_close(const struct mg_connection *conn, void *cb) {
  session *s = mg_get_user_connection_data(conn);
  if (!s) return;
  if (s->req) node_tunnel_cancel(s->req); /* the client left: the node ends the command */
  if (s->relay_started) pthread_join(s->relay, NULL);
  if (s->req) node_tunnel_release(s->req);
  json_decref(s->line);
  free(s);
}

void exec_ws_register(struct mg_context *ctx) {
  mg_set_websocket_handler_with_subprotocols(ctx, "/api/v1/namespaces", &subprotocols, on_connect, on_ready, on_data,
                                             on_close, NULL);
}
