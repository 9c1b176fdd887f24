/* store_etcd_grpc.c - the etcd store's transport over etcd's native v3 gRPC
 * API (--etcd-transport grpc, the default; store_etcd_transport.h), on
 * gRPC's C core library. One channel per member (one HTTP/2 connection over
 * TLS, verified against --etcd-cafile, the client certificate presented);
 * unary calls (KV/Range, KV/Txn, KV/Compact) on a completion queue of their
 * own, the watch as one Watch stream. Messages are encoded and parsed by
 * store_etcd_pb.c.
 *
 * Member choice: a call goes to the preferred member when its channel is
 * READY (or becomes so within CONNECT_MS); a member whose channel is not is
 * skipped, nothing having been sent to it. Once a call started on a READY
 * channel it may have reached etcd: its failure is reported, not re-sent
 * (a Txn applied twice would be two writes), and the next call prefers the
 * next member.
 *
 * Threads: the channels and registered calls are made at start and then
 * only read; preferred is atomic; each unary call and each watch has a
 * completion queue of its own, so no lock is needed here. */
#include "file_read.h"
#include "log.h"
#include "store_etcd_pb.h"
#include "store_etcd_transport.h"
#include "timestamp.h"
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REQUEST_MS = 15000, CONNECT_MS = 3000, WATCH_OPEN_MS = 5000, MAX_MEMBERS = 16 };

typedef enum { M_RANGE, M_TXN, M_COMPACT, M_WATCH, NMETHODS } method;
static const char *const method_path[NMETHODS] = {"/etcdserverpb.KV/Range", "/etcdserverpb.KV/Txn",
                                                  "/etcdserverpb.KV/Compact", "/etcdserverpb.Watch/Watch"};

typedef struct {
  char name[80];   /* "127.0.0.1:2379", for messages */
  grpc_channel *ch;
  void *method[NMETHODS]; /* registered calls */
} member;

typedef struct {
  etcd_transport base;
  grpc_channel_credentials *creds;
  member m[MAX_MEMBERS];
  int n;
  atomic_int preferred; /* the member tried first (moves on after a failure) */
} grpc_transport;

/* The watch's batches, told apart by their tags. */
enum { TAG_SEND = 1, TAG_RECV, TAG_STATUS };

struct etcd_watch {
  grpc_completion_queue *cq; /* for next(): only the watch's batches */
  grpc_call *call;
  grpc_byte_buffer *recv;    /* the message a finished RECV batch brought */
  grpc_metadata_array initial, trailing;
  grpc_status_code status;
  grpc_slice details;
  int pending;               /* batches started and not yet seen on cq */
  bool recv_pending, have_msg, ended;
  char name[80];
};

static gpr_timespec in_ms(int64_t ms) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Pluck queues must be empty before destroy: after shutdown a pluck says so. */
static void cq_destroy(grpc_completion_queue *cq, bool pluck) {
  grpc_completion_queue_shutdown(cq);
  for (;;) {
    grpc_event ev = pluck ? grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
                          : grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
  }
  grpc_completion_queue_destroy(cq);
}

/* True when m's channel is READY, waiting up to ms while it connects; a
 * channel in TRANSIENT_FAILURE (the member refused or dropped us lately) is
 * not waited for: the next member is. */
static bool member_ready(member *m, int64_t ms) {
  grpc_connectivity_state st = grpc_channel_check_connectivity_state(m->ch, 1);
  if (st == GRPC_CHANNEL_READY) return true;
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  gpr_timespec deadline = in_ms(ms);
  while (st == GRPC_CHANNEL_IDLE || st == GRPC_CHANNEL_CONNECTING) {
    grpc_channel_watch_connectivity_state(m->ch, st, deadline, cq, m);
    grpc_event ev = grpc_completion_queue_pluck(cq, m, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (!ev.success) break; /* the deadline passed first */
    st = grpc_channel_check_connectivity_state(m->ch, 1);
  }
  cq_destroy(cq, true);
  return st == GRPC_CHANNEL_READY;
}

/* The first member from the preferred one whose channel is READY (its
 * index; preferred moves there), or -1 + err. */
static int pick_member(grpc_transport *t, char *err, size_t errlen) {
  int first = atomic_load(&t->preferred);
  for (int i = 0; i < t->n; i++) {
    int k = (first + i) % t->n;
    if (member_ready(&t->m[k], CONNECT_MS)) {
      if (i) atomic_store(&t->preferred, k);
      return k;
    }
    LOGW("etcd %s: not reachable over gRPC", t->m[k].name);
  }
  snprintf(err, errlen, "etcd: no member reachable over gRPC");
  return -1;
}

static grpc_byte_buffer *message(const etcd_pb *pb) {
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)pb->data, pb->len);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return bb;
}

/* The bytes of a received message in one slice (unref it). */
static grpc_slice flatten(grpc_byte_buffer *bb) {
  grpc_byte_buffer_reader r;
  grpc_byte_buffer_reader_init(&r, bb);
  grpc_slice all = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  return all;
}

/* The ops that open a call: initial metadata, the one request message, and
 * the answer's initial metadata (a message is handed over only after that
 * was asked for). Fills 3 ops. */
static void open_ops(grpc_op *ops, grpc_byte_buffer *send, grpc_metadata_array *initial) {
  memset(ops, 0, 3 * sizeof *ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[2].data.recv_initial_metadata.recv_initial_metadata = initial;
}

static void status_op(grpc_op *op, grpc_metadata_array *trailing, grpc_status_code *status, grpc_slice *details) {
  memset(op, 0, sizeof *op);
  op->op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  op->data.recv_status_on_client.trailing_metadata = trailing;
  op->data.recv_status_on_client.status = status;
  op->data.recv_status_on_client.status_details = details;
}

static void status_error(const char *name, grpc_status_code code, grpc_slice details, char *err, size_t errlen) {
  snprintf(err, errlen, "etcd %s: %.*s (gRPC status %d)", name, (int)GRPC_SLICE_LENGTH(details),
           (const char *)GRPC_SLICE_START_PTR(details), (int)code);
}

/* One unary call of method with request req: 0 and the answer in *resp
 * (unref it), or -1 + err. */
static int unary(grpc_transport *t, method mth, const etcd_pb *req, grpc_slice *resp, char *err, size_t errlen) {
  int k = pick_member(t, err, errlen);
  if (k < 0) return -1;
  member *m = &t->m[k];
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  grpc_call *call = grpc_channel_create_registered_call(m->ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m->method[mth],
                                                        in_ms(REQUEST_MS), NULL);
  grpc_byte_buffer *send = message(req), *recv = NULL;
  grpc_metadata_array initial, trailing;
  grpc_metadata_array_init(&initial);
  grpc_metadata_array_init(&trailing);
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();
  grpc_op ops[6];
  open_ops(ops, send, &initial);
  memset(ops + 3, 0, 2 * sizeof *ops);
  ops[3].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &recv;
  status_op(&ops[5], &trailing, &status, &details);
  int rc = -1;
  if (grpc_call_start_batch(call, ops, 6, call, NULL) != GRPC_CALL_OK)
    snprintf(err, errlen, "etcd %s: the gRPC call could not start", m->name);
  else {
    grpc_event ev = grpc_completion_queue_pluck(cq, call, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_OP_COMPLETE && status == GRPC_STATUS_OK && recv) {
      *resp = flatten(recv);
      rc = 0;
    } else {
      status_error(m->name, status, details, err, errlen);
      /* the member may be gone: the next call starts with the next one */
      if (status == GRPC_STATUS_UNAVAILABLE || status == GRPC_STATUS_DEADLINE_EXCEEDED)
        atomic_store(&t->preferred, (k + 1) % t->n);
    }
  }
  grpc_byte_buffer_destroy(send);
  if (recv) grpc_byte_buffer_destroy(recv);
  grpc_metadata_array_destroy(&initial);
  grpc_metadata_array_destroy(&trailing);
  grpc_slice_unref(details);
  grpc_call_unref(call);
  cq_destroy(cq, true);
  return rc;
}

static int g_range(etcd_transport *tr, const char *key, size_t key_len, const char *range_end, int64_t limit,
                   int64_t rev, etcd_range_result *out, char *err, size_t errlen) {
  etcd_pb req = {0};
  etcd_pb_range_request(&req, key, key_len, range_end, limit, rev);
  grpc_slice resp;
  int rc = unary((grpc_transport *)tr, M_RANGE, &req, &resp, err, errlen);
  free(req.data);
  if (rc != 0) return -1;
  rc = etcd_pb_parse_range(GRPC_SLICE_START_PTR(resp), GRPC_SLICE_LENGTH(resp), out, err, errlen);
  grpc_slice_unref(resp);
  return rc;
}

static int g_txn(etcd_transport *tr, const etcd_txn_op *ops, size_t n, etcd_txn_result *out, int64_t *current,
                 char *err, size_t errlen) {
  etcd_pb req = {0};
  etcd_pb_txn_request(&req, ops, n);
  grpc_slice resp;
  int rc = unary((grpc_transport *)tr, M_TXN, &req, &resp, err, errlen);
  free(req.data);
  if (rc != 0) return -1;
  rc = etcd_pb_parse_txn(GRPC_SLICE_START_PTR(resp), GRPC_SLICE_LENGTH(resp), n, out, current, err, errlen);
  grpc_slice_unref(resp);
  return rc;
}

static int g_compact(etcd_transport *tr, int64_t rev, char *err, size_t errlen) {
  etcd_pb req = {0};
  etcd_pb_compaction_request(&req, rev);
  grpc_slice resp;
  int rc = unary((grpc_transport *)tr, M_COMPACT, &req, &resp, err, errlen);
  free(req.data);
  if (rc == 0) grpc_slice_unref(resp);
  return rc;
}

/* Waits up to ms for the watch's batches; true once a message or the end of
 * the stream is known (have_msg or ended), false on timeout. */
static bool watch_wait(etcd_watch *w, int64_t ms) {
  gpr_timespec deadline = in_ms(ms);
  while (!w->have_msg && !w->ended) {
    grpc_event ev = grpc_completion_queue_next(w->cq, deadline, NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) return false;
    if (ev.type != GRPC_OP_COMPLETE) {
      w->ended = true;
      break;
    }
    w->pending--;
    if (ev.tag == (void *)TAG_RECV) {
      w->recv_pending = false;
      if (ev.success && w->recv) w->have_msg = true;
      else w->ended = true;
    } else if (ev.tag == (void *)TAG_STATUS || !ev.success) w->ended = true;
  }
  return true;
}

static void watch_recv(etcd_watch *w) {
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &w->recv;
  if (grpc_call_start_batch(w->call, &op, 1, (void *)TAG_RECV, NULL) == GRPC_CALL_OK) {
    w->pending++;
    w->recv_pending = true;
  } else w->ended = true;
}

static void g_watch_close(etcd_watch *w) {
  if (!w) return;
  if (w->call) {
    grpc_call_cancel(w->call, NULL);
    while (w->pending > 0) {
      grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
      w->pending--;
    }
    grpc_call_unref(w->call);
  }
  if (w->recv) grpc_byte_buffer_destroy(w->recv);
  grpc_metadata_array_destroy(&w->initial);
  grpc_metadata_array_destroy(&w->trailing);
  grpc_slice_unref(w->details);
  cq_destroy(w->cq, false);
  free(w);
}

/* Starts a Watch stream on member m: the create request sent, the status
 * and the first message asked for; the stream counts as open once etcd
 * answered (its "created" message) within WATCH_OPEN_MS. */
static etcd_watch *watch_on(member *m, const etcd_pb *req, char *err, size_t errlen) {
  etcd_watch *w = calloc(1, sizeof *w);
  snprintf(w->name, sizeof w->name, "%s", m->name);
  w->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_metadata_array_init(&w->initial);
  grpc_metadata_array_init(&w->trailing);
  w->details = grpc_empty_slice();
  w->call = grpc_channel_create_registered_call(m->ch, NULL, GRPC_PROPAGATE_DEFAULTS, w->cq, m->method[M_WATCH],
                                                gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  grpc_byte_buffer *send = message(req);
  grpc_op ops[3], st;
  open_ops(ops, send, &w->initial);
  status_op(&st, &w->trailing, &w->status, &w->details);
  bool started = grpc_call_start_batch(w->call, ops, 3, (void *)TAG_SEND, NULL) == GRPC_CALL_OK;
  if (started) w->pending++;
  started = started && grpc_call_start_batch(w->call, &st, 1, (void *)TAG_STATUS, NULL) == GRPC_CALL_OK;
  if (started) {
    w->pending++;
    watch_recv(w);
  }
  bool answered = started && watch_wait(w, WATCH_OPEN_MS) && w->have_msg;
  grpc_byte_buffer_destroy(send);
  if (answered) return w;
  if (w->ended && GRPC_SLICE_LENGTH(w->details)) status_error(m->name, w->status, w->details, err, errlen);
  else snprintf(err, errlen, "etcd %s: the watch was not answered", m->name);
  g_watch_close(w);
  return NULL;
}

static etcd_watch *g_watch_open(etcd_transport *tr, const char *key, const char *range_end, int64_t start, char *err,
                                size_t errlen) {
  grpc_transport *t = (grpc_transport *)tr;
  etcd_pb req = {0};
  etcd_pb_watch_request(&req, key, range_end, start);
  etcd_watch *w = NULL;
  int first = atomic_load(&t->preferred);
  /* a watch is read-only: a member that may have seen the request and not
   * answered costs nothing, so every member is tried */
  for (int i = 0; i < t->n && !w; i++) {
    member *m = &t->m[(first + i) % t->n];
    if (!member_ready(m, CONNECT_MS)) {
      snprintf(err, errlen, "etcd %s: not reachable over gRPC", m->name);
      continue;
    }
    w = watch_on(m, &req, err, errlen);
  }
  free(req.data);
  return w;
}

static int g_watch_next(etcd_watch *w, etcd_watch_msg *msg, int timeout_ms, const atomic_bool *stop, char *err,
                        size_t errlen) {
  if (!w->have_msg && !w->ended && !w->recv_pending) watch_recv(w);
  if (atomic_load(stop) || !watch_wait(w, timeout_ms)) return 0;
  if (!w->have_msg) {
    if (GRPC_SLICE_LENGTH(w->details)) status_error(w->name, w->status, w->details, err, errlen);
    else snprintf(err, errlen, "etcd %s: the watch stream ended", w->name);
    return -1;
  }
  grpc_slice all = flatten(w->recv);
  grpc_byte_buffer_destroy(w->recv);
  w->recv = NULL;
  w->have_msg = false;
  int rc = etcd_pb_parse_watch(GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all), msg, err, errlen);
  grpc_slice_unref(all);
  return rc == 0 ? 1 : -1;
}

static void g_free(etcd_transport *tr) {
  grpc_transport *t = (grpc_transport *)tr;
  for (int i = 0; i < t->n; i++) grpc_channel_destroy(t->m[i].ch);
  if (t->creds) grpc_channel_credentials_release(t->creds);
  free(t);
  grpc_shutdown();
}

/* The TLS credentials: members verified against ca (their certificates name
 * the IP address the channel dials, which gRPC checks), cert/key presented. */
static grpc_channel_credentials *credentials(const store_etcd_config *cfg, char *err, size_t errlen) {
  if (!cfg->cert != !cfg->key) {
    snprintf(err, errlen, "--etcd-certfile and --etcd-keyfile go together");
    return NULL;
  }
  char *ca = cfg->ca ? file_read(cfg->ca, NULL) : NULL;
  char *cert = cfg->cert ? file_read(cfg->cert, NULL) : NULL;
  char *key = cfg->key ? file_read(cfg->key, NULL) : NULL;
  grpc_channel_credentials *creds = NULL;
  if (!ca) snprintf(err, errlen, "--etcd-cafile: cannot load %s", cfg->ca ? cfg->ca : "(none given)");
  else if (cfg->cert && (!cert || !key))
    snprintf(err, errlen, "cannot load the etcd client certificate %s / key %s", cfg->cert, cfg->key);
  else {
    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    creds = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
    if (!creds) snprintf(err, errlen, "etcd: gRPC refused the TLS credentials");
  }
  free(ca);
  free(cert);
  free(key);
  return creds;
}

etcd_transport *etcd_transport_grpc(const store_etcd_config *cfg, char *err, size_t errlen) {
  grpc_init();
  grpc_transport *t = calloc(1, sizeof *t);
  t->base = (etcd_transport){.name = "grpc", .range = g_range, .txn = g_txn, .compact = g_compact,
                             .watch_open = g_watch_open, .watch_next = g_watch_next, .watch_close = g_watch_close,
                             .free = g_free};
  etcd_endpoint eps[MAX_MEMBERS];
  int n = cfg->servers ? etcd_parse_endpoints(cfg->servers, eps, MAX_MEMBERS, err, errlen) : -1;
  if (n < 0 || !(t->creds = credentials(cfg, err, errlen))) {
    if (!cfg->servers) snprintf(err, errlen, "--etcd-servers: no endpoint given");
    g_free(&t->base);
    return NULL;
  }
  t->n = n;
  /* answers as large as etcd sends (a page of big objects); reconnects
   * within a second of a member's return; keepalive pings (etcd allows one
   * per 5 s) find a member that stopped answering under an open watch */
  grpc_arg args[] = {
      {GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, {.integer = -1}},
      {GRPC_ARG_INTEGER, GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, {.integer = 100}},
      {GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, {.integer = 1000}},
      {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIME_MS, {.integer = 10000}},
      {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIMEOUT_MS, {.integer = 5000}},
      {GRPC_ARG_INTEGER, GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, {.integer = 0}},
  };
  grpc_channel_args ca = {sizeof args / sizeof *args, args};
  for (int i = 0; i < t->n; i++) {
    snprintf(t->m[i].name, sizeof t->m[i].name, "%s:%d", eps[i].host, eps[i].port);
    char target[96];
    snprintf(target, sizeof target, "ipv4:%s", t->m[i].name);
    t->m[i].ch = grpc_channel_create(target, t->creds, &ca);
    for (int j = 0; j < NMETHODS; j++) t->m[i].method[j] = grpc_channel_register_call(t->m[i].ch, method_path[j], NULL, NULL);
  }
  return &t->base;
}
