/* exec_ws.c - see exec_ws.h. Frames are binary with the channel in the
 * first byte: 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status when the
 * command ends: Success, or NonZeroExitCode with the ExitCode cause), 4
 * resize ({"Width","Height"}), 255 close (v5: the byte after it names the
 * closed stream; stdin's ends the command's input). With the first protocol,
 * channel.k8s.io (or none), the error channel carries only a failure's
 * message, as kubelet's v1 streams. A pod's log (GET .../pods/NAME/log,
 * protocol binary.k8s.io or none) is sent as plain binary frames, the
 * PodLogOptions read from the query as for the HTTP GET. The connection's
 * CivetWeb thread reads the client's frames; a relay thread writes the
 * node's answer. */
#include "exec_ws.h"
#include "api.h"
#include "http.h"
#include "http_auth.h"
#include "http_front.h"
#include "log.h"
#include "node_tunnel.h"
#include "pod_stream.h"
#include "spdy_session.h"
#include <civetweb.h>
#include "civetweb_raw.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  struct mg_connection *conn;
  json_t *line;  /* the request for the node */
  json_t *early; /* the Status that refuses the request before it reaches the node, or NULL */
  char node[256];
  treq *req;
  pthread_t relay;
  bool relay_started;
  spdy_session *tunnel; /* port-forward tunnelled in WebSocket: the SPDY session does the rest */
  bool v1;              /* channel.k8s.io or no protocol: no Status, a failure's message only */
  bool log;             /* pods/log: the log's bytes as they are, no channel byte */
} session;

#define SPDY_TUNNEL "SPDY/3.1+portforward.k8s.io"
static const char *protocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io", SPDY_TUNNEL, "channel.k8s.io",
                                  "binary.k8s.io"};
static struct mg_websocket_subprotocols subprotocols = {5, protocols};

/* A pods/log path: ns and pod filled. */
static bool log_path(const char *uri, char *ns, char *pod) {
  int used = 0;
  return sscanf(uri, "/api/v1/namespaces/%255[^/]/pods/%255[^/]/log%n", ns, pod, &used) == 2 && used &&
         !uri[used];
}

/* The PodLogOptions of the query on the node's log request, typed as node_tunnel_pod_log sends them. */
static void add_log_options(json_t *line, const char *query) {
  static const char *const bools[] = {"follow", "previous", "timestamps", NULL};
  static const char *const values[] = {"tailLines", "limitBytes", "sinceSeconds", "sinceTime", NULL};
  const char *q = query ? query : "";
  char buf[128];
  for (int i = 0; bools[i]; i++)
    json_object_set_new(line, bools[i], json_boolean(mg_get_var(q, strlen(q), bools[i], buf, sizeof buf) >= 0 &&
                                                     (!strcmp(buf, "true") || !strcmp(buf, "1"))));
  for (int i = 0; values[i]; i++)
    if (mg_get_var(q, strlen(q), values[i], buf, sizeof buf) >= 0) {
      char *end;
      long long v = strtoll(buf, &end, 10);
      json_object_set_new(line, values[i], *end ? json_string(buf) : json_integer(v));
    }
}

static void send_frame(struct mg_connection *conn, int channel, const char *data, size_t len) {
  char *buf = malloc(len + 1);
  buf[0] = (char)channel;
  memcpy(buf + 1, data, len);
  mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_BINARY, buf, len + 1);
  free(buf);
}

/* Ends the stream with a Status on the error channel (v1: a failure's message) and a close frame. */
static void finish(struct mg_connection *conn, bool v1, json_t *status) {
  const char *message = json_string_value(json_object_get(status, "message"));
  if (v1 && strcmp(json_string_value(json_object_get(status, "status")) ?: "", "Success")) {
    send_frame(conn, 3, message ? message : "", message ? strlen(message) : 0);
  } else if (!v1) {
    char *s = json_dumps(status, JSON_COMPACT);
    send_frame(conn, 3, s, strlen(s));
    free(s);
  }
  json_decref(status);
  mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xe8", 2);
}

static void *relay(void *arg) {
  session *s = arg;
  int channel, status;
  char *data, *message;
  size_t len;
  while (node_tunnel_next(s->req, &channel, &data, &len, &status, &message) == 1) {
    if (s->log) mg_websocket_write(s->conn, MG_WEBSOCKET_OPCODE_BINARY, data, len);
    else send_frame(s->conn, channel, data, len);
    free(data);
    free(message);
  }
  if (s->log) mg_websocket_write(s->conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xe8", 2);
  else if (status == 200) finish(s->conn, s->v1, pod_stream_exit_status(s->line, message ? atoi(message) : 0));
  else finish(s->conn, s->v1, pod_stream_node_failure(status, message));
  free(message);
  return NULL;
}

/* Refuses the upgrade with an HTTP answer (CivetWeb's own error pages are
 * not sent once a request is known to be a WebSocket one): a status other
 * than 101 is what makes the newest kubectl fall back to SPDY. */
static int refuse(const struct mg_connection *c, json_t *status) {
  struct mg_connection *conn = (struct mg_connection *)c;
  int code = (int)json_integer_value(json_object_get(status, "code"));
  char *body = json_dumps(status, JSON_COMPACT);
  mg_printf(conn, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
            code, json_string_value(json_object_get(status, "reason")) ?: "Error", strlen(body), body);
  mg_raw_take_over(conn, code);
  free(body);
  json_decref(status);
  return 1;
}

static int on_connect(const struct mg_connection *conn, void *cb) {
  const struct mg_request_info *ri = mg_get_request_info(conn);
  char ns[256], pod[256], kind[16];
  const char *sub = ri->acceptedWebSocketSubprotocol;
  bool tunnelled = pod_stream_path(ri->local_uri, ns, pod, kind) && !strcmp(kind, "portforward");
  bool log = log_path(ri->local_uri, ns, pod);
  if (log) snprintf(kind, sizeof kind, "log");
  if ((!log && !pod_stream_path(ri->local_uri, ns, pod, kind)) || (tunnelled && (!sub || strcmp(sub, SPDY_TUNNEL))) ||
      (log && sub && strcmp(sub, "binary.k8s.io")))
    return refuse(conn, pod_stream_failure("BadRequest", 400, "this resource is not served over WebSocket"));
  json_t *user = http_connection_user((struct mg_connection *)conn);
  if (!user) return refuse(conn, pod_stream_failure("Unauthorized", 401, "Unauthorized"));
  if (tunnelled) {
    json_t *status = NULL;
    spdy_session *tunnel = spdy_ws_open((struct mg_connection *)conn, user, ns, pod, ri->query_string, &status);
    json_decref(user);
    if (!tunnel) return refuse(conn, status);
    session *s = calloc(1, sizeof *s);
    s->tunnel = tunnel;
    mg_set_user_connection_data(conn, s);
    return 0;
  }
  json_t *denied = log ? NULL : pod_stream_admit(http_server_of(conn)->cache, user, ns, pod, kind, ri->query_string);
  json_decref(user);
  if (denied) return refuse(conn, denied);
  session *s = calloc(1, sizeof *s);
  s->v1 = !sub || !strcmp(sub, "channel.k8s.io");
  s->line = pod_stream_request(http_server_of(conn)->cache, ns, pod, kind, ri->query_string, s->node, sizeof s->node, &s->early);
  s->log = log;
  if (log && s->line) add_log_options(s->line, ri->query_string);
  mg_set_user_connection_data(conn, s);
  return 0;
}

static void on_ready(struct mg_connection *conn, void *cb) {
  session *s = mg_get_user_connection_data(conn);
  if (!s || s->tunnel) return;
  s->conn = conn;
  json_t *st = s->early;
  s->early = NULL;
  if (!st) {
    s->req = node_tunnel_request(s->node, json_incref(s->line));
    if (!s->req)
      st = pod_stream_no_tunnel(s->node);
  }
  if (st) {
    finish(conn, s->v1, st);
    return;
  }
  s->relay_started = pthread_create(&s->relay, NULL, relay, s) == 0;
}

static int on_data(struct mg_connection *conn, int bits, char *data, size_t len, void *cb) {
  session *s = mg_get_user_connection_data(conn);
  int opcode = bits & 0xf;
  if (opcode == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) return 0;
  if (s && s->tunnel) return opcode != MG_WEBSOCKET_OPCODE_BINARY || spdy_ws_data(s->tunnel, data, len);
  if (!s || !s->req || (opcode != MG_WEBSOCKET_OPCODE_BINARY && opcode != MG_WEBSOCKET_OPCODE_TEXT) || len < 1) return 1;
  int channel = (unsigned char)data[0];
  if (channel == 255) node_tunnel_input(s->req, 0, NULL, 0, len < 2 || data[1] == 0);
  else if (channel == 0 || channel == 4) node_tunnel_input(s->req, channel, data + 1, len - 1, false);
  return 1;
}

static void on_close(const struct mg_connection *conn, void *cb) {
  session *s = mg_get_user_connection_data(conn);
  if (!s) return;
  if (s->tunnel) spdy_ws_close(s->tunnel);
  if (s->req) node_tunnel_cancel(s->req); /* the client left: the node ends the command */
  if (s->relay_started) pthread_join(s->relay, NULL);
  if (s->req) node_tunnel_release(s->req);
  json_decref(s->line);
  json_decref(s->early);
  free(s);
}

void exec_ws_register(struct mg_context *ctx) {
  mg_set_websocket_handler_with_subprotocols(ctx, "/api/v1/namespaces", &subprotocols, on_connect, on_ready, on_data,
                                             on_close, NULL);
}
