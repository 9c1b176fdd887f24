/* spdy_session.c - see spdy_session.h. The CivetWeb worker that answered
 * the upgrade owns the connection: it alone reads and writes it (TLS
 * objects are not shared between threads), polling the socket and a wake
 * pipe. Relay threads, one per node request (the exec, or one port-forward
 * connection), turn the node's answer into DATA frames on an outgoing
 * queue (bounded: a relay waits while 4 MiB are queued) and wake the
 * worker. The client's streams are typed by their streamType header:
 * exec/attach start once every stream the query asked for exists (error,
 * stdin, stdout, stderr, resize with a tty) and end with a metav1.Status on
 * the error stream; port-forward pairs an error and a data stream by
 * requestID, one node connection per pair. */
#include "spdy_session.h"
#include "http_front.h"
#include "civetweb_raw.h"
#include "log.h"
#include "node_tunnel.h"
#include "pod_stream.h"
#include "spdy_frame.h"
#include <civetweb.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUED (4u << 20)
#define MAX_FRAME (1u << 20)
#define STREAMS_WAIT_SECONDS 30
#define LINGER_SECONDS 2
#define DATA_CHUNK 32768

enum { T_ERROR, T_STDIN, T_STDOUT, T_STDERR, T_RESIZE, T_DATA, T_OTHER };
static const char *const type_names[] = {"error", "stdin", "stdout", "stderr", "resize", "data"};

typedef struct outframe {
  uint8_t *buf;
  size_t len;
  struct outframe *next;
} outframe;

struct spdy_session;

/* One node request: the exec/attach, or one port-forward connection. */
typedef struct relay {
  struct spdy_session *s;
  treq *req;
  json_t *line;
  uint32_t error_id, data_id; /* port-forward */
  int port;
  pthread_t thread;
  atomic_bool done;
  struct relay *next;
} relay;

typedef struct sstream {
  uint32_t id;
  int type;
  int port;
  char request_id[40];
  relay *r; /* port-forward: the pair's relay */
  struct sstream *next;
} sstream;

typedef struct spdy_session {
  struct mg_connection *conn;
  bool ws; /* tunnelled in WebSocket messages (written at once, CivetWeb locks the connection) */
  uint8_t *in; /* bytes read, not yet a whole frame */
  size_t in_cap, in_len;
  spdy_zlib *zin, *zout;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  outframe *head, *tail;
  size_t queued;
  bool broken;
  int wake[2];
  char node[256], protocol[32];
  bool portforward;
  json_t *line; /* exec/attach: the request, until queued */
  uint32_t ids[T_DATA]; /* exec/attach: the stream of each type */
  int expected;         /* exec/attach: how many streams the query asked for */
  relay *relays;
  atomic_bool finished; /* exec/attach: the command ended and its Status was queued */
  sstream *streams;
  time_t created;
} session;

static void mark_broken(session *s) {
  pthread_mutex_lock(&s->mu);
  s->broken = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* Wakes the worker of a raw connection (a full pipe already does). */
static void wake(session *s) {
  if (!s->ws && write(s->wake[1], "w", 1) < 0) {
  }
}

/* Queues a frame (taken) of *len bytes for the worker to write (a pointer,
 * so that a builder's call can fill it in the same argument list). */
static void send_frame(session *s, uint8_t *frame, const size_t *lenp) {
  size_t len = *lenp;
  if (s->ws) {
    if (mg_websocket_write(s->conn, MG_WEBSOCKET_OPCODE_BINARY, (const char *)frame, len) <= 0) mark_broken(s);
    free(frame);
    return;
  }
  outframe *o = malloc(sizeof *o);
  *o = (outframe){frame, len, NULL};
  pthread_mutex_lock(&s->mu);
  while (s->queued > MAX_QUEUED && !s->broken) pthread_cond_wait(&s->cv, &s->mu);
  if (s->broken) {
    pthread_mutex_unlock(&s->mu);
    free(frame);
    free(o);
    return;
  }
  if (s->tail) s->tail->next = o;
  else s->head = o;
  s->tail = o;
  s->queued += len;
  pthread_mutex_unlock(&s->mu);
  wake(s);
}

static void send_data(session *s, uint32_t id, uint8_t flags, const void *data, size_t len) {
  size_t n;
  uint8_t *f = spdy_data_frame(id, flags, data, len, &n);
  send_frame(s, f, &n);
}

/* The node's bytes as DATA frames of at most DATA_CHUNK on stream id. */
static void send_chunks(session *s, uint32_t id, const char *data, size_t len) {
  for (size_t off = 0; off < len; off += DATA_CHUNK)
    send_data(s, id, 0, data + off, len - off < DATA_CHUNK ? len - off : DATA_CHUNK);
}

/* Writes what is queued; false when the connection failed. */
static bool flush_out(session *s) {
  pthread_mutex_lock(&s->mu);
  outframe *o = s->head;
  s->head = s->tail = NULL;
  s->queued = 0;
  pthread_cond_broadcast(&s->cv);
  bool ok = !s->broken;
  pthread_mutex_unlock(&s->mu);
  while (o) {
    outframe *next = o->next;
    if (ok && mg_write(s->conn, o->buf, o->len) != (int)o->len) ok = false;
    free(o->buf);
    free(o);
    o = next;
  }
  return ok;
}

/* The remotecommand error stream: a Status (v4), its message (v1-v3), nothing for v1-v3 success. */
static void send_exec_status(session *s, json_t *st) {
  uint32_t id = s->ids[T_ERROR];
  char *text = NULL;
  if (!strcmp(s->protocol, "v4.channel.k8s.io")) text = json_dumps(st, JSON_COMPACT);
  else if (strcmp(json_string_value(json_object_get(st, "status")) ?: "", "Success"))
    text = strdup(json_string_value(json_object_get(st, "message")) ?: "error");
  if (text) send_data(s, id, 0, text, strlen(text));
  send_data(s, id, SPDY_FLAG_FIN, NULL, 0);
  free(text);
  json_decref(st);
}

static void *exec_relay(void *arg) {
  relay *r = arg;
  session *s = r->s;
  int channel, status;
  char *data, *message;
  size_t len;
  while (node_tunnel_next(r->req, &channel, &data, &len, &status, &message) == 1) {
    uint32_t id = channel == 2 && s->ids[T_STDERR] ? s->ids[T_STDERR] : s->ids[T_STDOUT];
    if (id) send_chunks(s, id, data, len);
    free(data);
    free(message);
  }
  if (s->ids[T_STDOUT]) send_data(s, s->ids[T_STDOUT], SPDY_FLAG_FIN, NULL, 0);
  if (s->ids[T_STDERR]) send_data(s, s->ids[T_STDERR], SPDY_FLAG_FIN, NULL, 0);
  send_exec_status(s, status == 200 ? pod_stream_exit_status(r->line, message ? atoi(message) : 0)
                                    : pod_stream_node_failure(status, message));
  free(message);
  atomic_store(&r->done, true);
  atomic_store(&s->finished, true);
  wake(s);
  return NULL;
}

static void *forward_relay(void *arg) {
  relay *r = arg;
  session *s = r->s;
  int channel, status;
  char *data, *message;
  size_t len;
  while (node_tunnel_next(r->req, &channel, &data, &len, &status, &message) == 1) {
    send_chunks(s, r->data_id, data, len);
    free(data);
    free(message);
  }
  if (status != 200) { /* kubelet's words, which kubectl prints after "an error occurred forwarding L -> P: " */
    char text[1200];
    snprintf(text, sizeof text, "error forwarding port %d to pod %s, uid : %s", r->port,
             json_string_value(json_object_get(r->line, "podUID")) ?: "",
             message ? message : status == 503 ? "the node's tunnel closed" : "the node did not answer");
    send_data(s, r->error_id, 0, text, strlen(text));
  }
  free(message);
  send_data(s, r->data_id, SPDY_FLAG_FIN, NULL, 0);
  send_data(s, r->error_id, SPDY_FLAG_FIN, NULL, 0);
  atomic_store(&r->done, true);
  wake(s);
  return NULL;
}

/* Queues line (taken) for the node and starts its relay; false when the node has no tunnel. */
static relay *start_relay(session *s, json_t *line, void *(*fn)(void *)) {
  relay *r = calloc(1, sizeof *r);
  r->s = s;
  r->line = json_incref(line);
  r->req = node_tunnel_request(s->node, line);
  if (!r->req || pthread_create(&r->thread, NULL, fn, r) != 0) {
    if (r->req) node_tunnel_release(r->req);
    json_decref(r->line);
    free(r);
    return NULL;
  }
  r->next = s->relays;
  s->relays = r;
  return r;
}

static void end_relay(relay *r) {
  node_tunnel_cancel(r->req);
  pthread_join(r->thread, NULL);
  node_tunnel_release(r->req);
  json_decref(r->line);
  free(r);
}

/* Joins the port-forward relays that are done and forgets their streams
 * (a later frame on one of them is ignored). */
static void reap_relays(session *s) {
  for (relay **p = &s->relays; *p;) {
    relay *r = *p;
    if (!atomic_load(&r->done) || !s->portforward) {
      p = &r->next;
      continue;
    }
    *p = r->next;
    for (sstream **q = &s->streams; *q;) { /* the pair's streams go with it */
      sstream *st = *q;
      if (st->r != r) {
        q = &st->next;
        continue;
      }
      *q = st->next;
      free(st);
    }
    end_relay(r);
  }
}

static sstream *find_stream(session *s, uint32_t id) {
  for (sstream *st = s->streams; st; st = st->next)
    if (st->id == id) return st;
  return NULL;
}

static void start_exec(session *s) {
  json_t *line = s->line;
  s->line = NULL;
  if (!start_relay(s, line, exec_relay)) {
    send_exec_status(s, pod_stream_no_tunnel(s->node));
    atomic_store(&s->finished, true);
  }
}

/* A port-forward pair is complete: one node connection for it. */
static void start_forward(session *s, sstream *a, sstream *b) {
  sstream *err = a->type == T_ERROR ? a : b, *data = a->type == T_DATA ? a : b;
  json_t *line = json_deep_copy(s->line);
  json_object_set_new(line, "port", json_integer(data->port));
  relay *r = start_relay(s, line, forward_relay);
  if (!r) {
    json_t *st = pod_stream_no_tunnel(s->node);
    const char *m = json_string_value(json_object_get(st, "message"));
    send_data(s, err->id, SPDY_FLAG_FIN, m, strlen(m));
    send_data(s, data->id, SPDY_FLAG_FIN, NULL, 0);
    json_decref(st);
    return;
  }
  r->error_id = err->id, r->data_id = data->id, r->port = data->port;
  err->r = data->r = r;
}

static void on_syn_stream(session *s, const spdy_frame *f) {
  spdy_headers h;
  if (!spdy_headers_decode(s->zin, f->headers, f->headers_len, &h)) {
    size_t n;
    send_frame(s, spdy_goaway(0, 1, &n), &n);
    mark_broken(s);
    return;
  }
  sstream *st = calloc(1, sizeof *st);
  st->id = f->stream_id;
  st->type = T_OTHER;
  const char *type = spdy_header(&h, "streamType") ?: "";
  for (int i = 0; i <= T_DATA; i++)
    if (!strcmp(type, type_names[i])) st->type = i;
  st->port = atoi(spdy_header(&h, "port") ?: "0");
  snprintf(st->request_id, sizeof st->request_id, "%s", spdy_header(&h, "requestID") ?: "");
  spdy_headers_free(&h);
  st->next = s->streams;
  s->streams = st;
  size_t n;
  send_frame(s, spdy_syn_reply(s->zout, st->id, 0, NULL, NULL, 0, &n), &n);
  if (s->portforward) {
    if (st->type != T_ERROR && st->type != T_DATA) return;
    for (sstream *o = st->next; o; o = o->next)
      if (!o->r && o->type != st->type && (o->type == T_ERROR || o->type == T_DATA) &&
          !strcmp(o->request_id, st->request_id) && o->port == st->port) {
        start_forward(s, st, o);
        return;
      }
    return;
  }
  if (st->type < T_DATA && !s->ids[st->type]) {
    s->ids[st->type] = st->id;
    s->expected--;
    if (s->expected == 0 && s->line) start_exec(s);
  }
}

static relay *exec_relay_of(session *s) { return s->portforward ? NULL : s->relays; }

static void on_data(session *s, const spdy_frame *f) {
  sstream *st = find_stream(s, f->stream_id);
  if (!st) return;
  bool fin = f->flags & SPDY_FLAG_FIN;
  relay *r = s->portforward ? st->r : exec_relay_of(s);
  if (!r || atomic_load(&r->done)) return;
  if (s->portforward && st->type == T_DATA) {
    node_tunnel_input(r->req, 0, (const char *)f->payload, f->len, fin);
  } else if (st->type == T_STDIN) {
    node_tunnel_input(r->req, 0, (const char *)f->payload, f->len, fin);
  } else if (st->type == T_RESIZE && f->len) {
    node_tunnel_input(r->req, 4, (const char *)f->payload, f->len, false);
  }
}

/* Handles one frame; false when the session is over (GOAWAY). */
static bool on_frame(session *s, const spdy_frame *f) {
  size_t n;
  if (!f->control) {
    on_data(s, f);
    return true;
  }
  switch (f->type) {
  case SPDY_SYN_STREAM: on_syn_stream(s, f); break;
  case SPDY_RST_STREAM: {
    sstream *st = find_stream(s, f->stream_id);
    if (st && st->r) node_tunnel_cancel(st->r->req);
    break;
  }
  case SPDY_PING: send_frame(s, spdy_ping(f->ping_id, &n), &n); break;
  case SPDY_GOAWAY: return false;
  case SPDY_HEADERS: { /* decoded only to keep the zlib stream in step */
    spdy_headers h;
    if (spdy_headers_decode(s->zin, f->headers, f->headers_len, &h)) spdy_headers_free(&h);
    break;
  }
  default: break; /* SETTINGS, WINDOW_UPDATE: kubectl's spdystream does no flow control */
  }
  return true;
}

/* Appends bytes from the client and handles the whole frames; false when
 * the session is over (GOAWAY, or a malformed or oversized frame). */
static bool feed(session *s, const void *data, size_t len) {
  if (s->in_cap - s->in_len < len) {
    while (s->in_cap - s->in_len < len) s->in_cap = s->in_cap ? s->in_cap * 2 : 65536;
    s->in = realloc(s->in, s->in_cap);
  }
  memcpy(s->in + s->in_len, data, len);
  s->in_len += len;
  for (;;) {
    spdy_frame f;
    long used = spdy_parse(s->in, s->in_len, &f);
    size_t announced = s->in_len >= SPDY_HEAD_LEN ? (size_t)s->in[5] << 16 | (size_t)s->in[6] << 8 | s->in[7] : 0;
    if (used < 0 || announced > MAX_FRAME) {
      size_t n;
      send_frame(s, spdy_goaway(0, 1, &n), &n);
      return false;
    }
    if (used == 0) return true;
    bool open = on_frame(s, &f);
    memmove(s->in, s->in + used, s->in_len - (size_t)used);
    s->in_len -= (size_t)used;
    if (!open) return false;
  }
}

/* The worker's loop on a raw connection: frames in, queued frames out,
 * until the client leaves, an exec ended (plus a short linger for the
 * client to close first), or a stream set never completed. */
static void run(session *s) {
  time_t finished_at = 0;
  char buf[65536];
  for (;;) {
    reap_relays(s);
    if (!flush_out(s)) break;
    time_t now = time(NULL);
    if (!s->portforward && atomic_load(&s->finished)) {
      if (!finished_at) finished_at = now;
      else if (now - finished_at >= LINGER_SECONDS) break;
    }
    if (!s->portforward && s->line && now - s->created > STREAMS_WAIT_SECONDS) break;
    struct pollfd fds[2] = {{mg_raw_socket(s->conn), POLLIN, 0}, {s->wake[0], POLLIN, 0}};
    if (mg_raw_pending(s->conn) <= 0 && poll(fds, 2, 500) < 0 && errno != EINTR) break;
    if (fds[1].revents) {
      char drain[256];
      while (read(s->wake[0], drain, sizeof drain) > 0) {
      }
    }
    if (!fds[0].revents && mg_raw_pending(s->conn) <= 0) continue;
    int got = mg_raw_read(s->conn, buf, sizeof buf, 0);
    if (got < 0) break;
    if (!feed(s, buf, (size_t)got)) {
      flush_out(s);
      break;
    }
  }
  mark_broken(s);
}

/* The first of the client's X-Stream-Protocol-Version values the server speaks ("" when it sent none). */
static bool negotiate(struct mg_connection *conn, const char *const *ours, char *out, size_t len, char *offered,
                      size_t offered_len) {
  const struct mg_request_info *ri = mg_get_request_info(conn);
  bool any = false;
  *out = *offered = 0;
  for (int i = 0; i < ri->num_headers; i++) {
    if (strcasecmp(ri->http_headers[i].name, "X-Stream-Protocol-Version")) continue;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", ri->http_headers[i].value);
    for (char *save, *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
      any = true;
      snprintf(offered + strlen(offered), offered_len - strlen(offered), "%s%s", *offered ? " " : "", tok);
      for (int k = 0; ours[k] && !*out; k++)
        if (!strcmp(tok, ours[k])) snprintf(out, len, "%s", tok);
    }
  }
  if (!any) snprintf(out, len, "%s", ours[0][0] == 'p' ? ours[0] : "channel.k8s.io");
  return *out != 0;
}

static int streams_expected(const json_t *line, const char *protocol) {
  int n = 1; /* error */
  static const char *const flags[] = {"stdin", "stdout", "stderr"};
  for (int i = 0; i < 3; i++) n += json_is_true(json_object_get(line, flags[i]));
  bool resize = strcmp(protocol, "v4.channel.k8s.io") == 0 || strcmp(protocol, "v3.channel.k8s.io") == 0;
  if (json_is_true(json_object_get(line, "tty")) && resize) n++;
  return n;
}

/* A session for ns/pod's kind (the node request from query), or NULL with
 * *status, the Status that refuses it before the upgrade as
 * kube-apiserver does (pod missing or unscheduled, no call-home tunnel). */
static session *session_new(struct mg_connection *conn, const json_t *user, const char *ns, const char *pod,
                            const char *kind, const char *query, const char *protocol, bool ws, json_t **status) {
  *status = pod_stream_admit(http_server_of(conn)->cache, user, ns, pod, kind, query);
  if (*status) return NULL;
  session *s = calloc(1, sizeof *s);
  s->line = pod_stream_request(http_server_of(conn)->cache, ns, pod, kind, query, s->node, sizeof s->node, status);
  if (!*status && !node_tunnel_connected(s->node)) *status = pod_stream_no_tunnel(s->node);
  if (*status) {
    json_decref(s->line);
    free(s);
    return NULL;
  }
  s->conn = conn;
  s->ws = ws;
  s->portforward = !strcmp(kind, "portforward");
  snprintf(s->protocol, sizeof s->protocol, "%s", protocol);
  s->expected = s->portforward ? 0 : streams_expected(s->line, protocol);
  s->created = time(NULL);
  s->zin = spdy_zlib_new(false);
  s->zout = spdy_zlib_new(true);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->wake[0] = s->wake[1] = -1;
  if (!ws && pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) != 0) s->wake[0] = s->wake[1] = -1;
  LOGD("spdy: %s of %s/%s (%s%s) through node %s", kind, ns, pod, protocol, ws ? " in WebSocket" : "", s->node);
  return s;
}

/* Ends the relays (their node requests cancelled) and frees the session. */
static void session_free(session *s) {
  mark_broken(s);
  while (s->relays) {
    relay *r = s->relays;
    s->relays = r->next;
    end_relay(r);
  }
  flush_out(s); /* frees what the relays queued last */
  for (sstream *x = s->streams, *next; x; x = next) {
    next = x->next;
    free(x);
  }
  json_decref(s->line);
  spdy_zlib_free(s->zin);
  spdy_zlib_free(s->zout);
  if (s->wake[0] >= 0) close(s->wake[0]), close(s->wake[1]);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s->in);
  free(s);
}

bool spdy_session_handle(http_req *rq) {
  const char *upgrade = mg_get_header(rq->conn, "Upgrade");
  char ns[256], pod[256], kind[16];
  if (!upgrade || strncasecmp(upgrade, "SPDY/3.1", 8) || !pod_stream_path(rq->path, ns, pod, kind)) return false;
  bool portforward = !strcmp(kind, "portforward");
  static const char *const exec_protocols[] = {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
                                               "channel.k8s.io", NULL};
  static const char *const forward_protocols[] = {"portforward.k8s.io", NULL};
  char protocol[32], offered[512], msg[800];
  if (!negotiate(rq->conn, portforward ? forward_protocols : exec_protocols, protocol, sizeof protocol, offered,
                 sizeof offered)) {
    snprintf(msg, sizeof msg, "unable to upgrade: unable to negotiate protocol: client supports [%s], server supports %s",
             offered, portforward ? "[portforward.k8s.io]"
                                  : "[v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]");
    http_send_status(rq, pod_stream_failure("Forbidden", 403, msg));
    return true;
  }
  json_t *st = NULL;
  session *s = session_new(rq->conn, rq->user, ns, pod, kind, rq->query, protocol, false, &st);
  if (!s) {
    http_send_status(rq, st);
    return true;
  }
  mg_raw_take_over(rq->conn, 101);
  rq->code = 101;
  mg_printf(rq->conn,
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            "X-Stream-Protocol-Version: %s\r\n\r\n",
            protocol);
  if (s->wake[0] >= 0) run(s);
  session_free(s);
  return true;
}

spdy_session *spdy_ws_open(struct mg_connection *conn, const json_t *user, const char *ns, const char *pod,
                           const char *query, json_t **status) {
  return session_new(conn, user, ns, pod, "portforward", query, "portforward.k8s.io", true, status);
}

bool spdy_ws_data(spdy_session *s, const char *data, size_t len) {
  reap_relays(s);
  return feed(s, data, len);
}

void spdy_ws_close(spdy_session *s) { session_free(s); }
