/* node_tunnel.c - see node_tunnel.h. One mutex and condition variable
 * guard the open tunnels (node name -> generation: a node that reconnects
 * replaces its older stream, which hands the requests it carried and that
 * were never answered to the new one) and the pending requests. The client's thread
 * (pods/log) owns its connection: it queues the request, then writes what
 * the node's POSTs append to the request (bounded to 4 MiB in flight: a
 * POST waits while the client is slow) until the node says "end", the node
 * is silent for 30 s before its first answer, or the client is gone. */
#include "node_tunnel.h"
#include "log.h"
#include "status.h"
#include "go_errors.h"
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX "/ckube/v1/tunnel/"
#define KEEPALIVE_SECONDS 15
#define FIRST_ANSWER_SECONDS 30
#define MAX_IN_FLIGHT (4u << 20)

typedef struct chunk {
  char *data;
  size_t len;
  int channel;
  struct chunk *next;
} chunk;

typedef struct treq {
  char id[40], node[256];
  json_t *line;
  bool sent, answered, finished, gone;
  unsigned long sent_gen; /* the node's stream it was written to */
  int status;
  char *message;
  chunk *head, *tail; /* from the node */
  size_t queued;
  json_t *input;      /* to the node: [{channel, data}] not yet fetched */
  bool input_closed;
  time_t created;
  struct treq *next;
} treq;

typedef struct tunnel {
  char node[256];
  unsigned long gen;
  struct tunnel *next;
} tunnel;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static treq *reqs;
static tunnel *tunnels;
static bool stopping;
static atomic_ulong next_id;

static void deadline_in(struct timespec *ts, int seconds) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += seconds;
}

static tunnel *find_tunnel(const char *node) {
  for (tunnel *t = tunnels; t; t = t->next)
    if (!strcmp(t->node, node)) return t;
  return NULL;
}

static treq *find_req(const char *id, const char *node) {
  for (treq *r = reqs; r; r = r->next)
    if (!strcmp(r->id, id) && !strcmp(r->node, node)) return r;
  return NULL;
}

bool node_tunnel_connected(const char *node) {
  pthread_mutex_lock(&mu);
  bool ok = find_tunnel(node) != NULL;
  pthread_mutex_unlock(&mu);
  return ok;
}

/* The node itself or an admin. */
static bool allowed(const http_req *rq, const char *node) {
  const char *user = json_string_value(json_object_get(rq->user, "username"));
  char want[300];
  snprintf(want, sizeof want, "system:node:%s", node);
  if (user && !strcmp(user, want)) return true;
  size_t i;
  json_t *g;
  json_array_foreach(json_object_get(rq->user, "groups"), i, g)
    if (json_string_value(g) && !strcmp(json_string_value(g), "system:masters")) return true;
  return false;
}

/* GET .../NODE/requests: the node's request stream. */
static void serve_stream(http_req *rq, const char *node) {
  pthread_mutex_lock(&mu);
  tunnel *t = find_tunnel(node);
  if (!t) {
    t = calloc(1, sizeof *t);
    snprintf(t->node, sizeof t->node, "%s", node);
    t->next = tunnels;
    tunnels = t;
  }
  unsigned long gen = ++t->gen;
  pthread_cond_broadcast(&cv); /* an older stream of the node ends */
  pthread_mutex_unlock(&mu);
  LOGI("node %s opened its tunnel", node);
  http_stream_start(rq, "application/json");
  bool ok = http_stream_write(rq, "\n", 1);
  pthread_mutex_lock(&mu);
  while (ok && !stopping && t->gen == gen) {
    json_t *batch = json_array();
    for (treq *r = reqs; r; r = r->next)
      if (!r->sent && !r->gone && !strcmp(r->node, node)) {
        r->sent = true;
        r->sent_gen = gen;
        json_array_append(batch, r->line);
      }
    bool keepalive = false;
    if (!json_array_size(batch)) {
      struct timespec until;
      deadline_in(&until, KEEPALIVE_SECONDS);
      keepalive = pthread_cond_timedwait(&cv, &mu, &until) != 0;
    }
    pthread_mutex_unlock(&mu);
    size_t i;
    json_t *line;
    json_array_foreach(batch, i, line) {
      char *s = json_dumps(line, JSON_COMPACT);
      size_t n = strlen(s);
      s = realloc(s, n + 2);
      s[n] = '\n';
      ok = ok && http_stream_write(rq, s, n + 1);
      free(s);
    }
    json_decref(batch);
    if (keepalive) ok = http_stream_write(rq, "\n", 1);
    pthread_mutex_lock(&mu);
  }
  if (t->gen != gen) { /* superseded: what the node never answered on this stream goes on the new one (the node
                        * drops an id it already has) */
    for (treq *r = reqs; r; r = r->next)
      if (r->sent && r->sent_gen == gen && !r->answered && !r->finished && !strcmp(r->node, node)) r->sent = false;
    pthread_cond_broadcast(&cv);
  } else { /* still the node's stream: the tunnel closes, its unanswered requests fail */
    for (tunnel **p = &tunnels; *p; p = &(*p)->next)
      if (*p == t) {
        *p = t->next;
        free(t);
        break;
      }
    for (treq *r = reqs; r; r = r->next)
      if (!strcmp(r->node, node) && !r->finished) {
        if (!r->answered) r->status = 503, r->answered = true;
        r->finished = true;
      }
    pthread_cond_broadcast(&cv);
  }
  pthread_mutex_unlock(&mu);
  LOGI("node %s closed its tunnel", node);
  if (ok) http_stream_end(rq);
}

/* POST .../NODE/responses/ID: a piece of the node's answer. */
static void serve_response(http_req *rq, const char *node, const char *id) {
  json_t *body = rq->body ? json_loadb(rq->body, rq->body_len, 0, NULL) : NULL;
  if (!json_is_object(body)) {
    json_decref(body);
    http_send_status(rq, status_bad_request("the body must be a JSON object"));
    return;
  }
  const char *b64 = json_string_value(json_object_get(body, "data"));
  size_t n = b64 ? strlen(b64) : 0;
  char *data = n ? malloc(n + 1) : NULL;
  int len = 0;
  if (n) {
    len = EVP_DecodeBlock((unsigned char *)data, (const unsigned char *)b64, (int)n);
    while (len > 0 && n > 0 && b64[n - 1] == '=') len--, n--;
  }
  pthread_mutex_lock(&mu);
  treq *r = find_req(id, node);
  while (r && !r->gone && !r->finished && r->queued > MAX_IN_FLIGHT) {
    struct timespec until;
    deadline_in(&until, 1);
    pthread_cond_timedwait(&cv, &mu, &until);
    r = find_req(id, node);
  }
  bool alive = r && !r->gone && !r->finished;
  if (alive) {
    if (!r->answered) {
      json_int_t st = json_integer_value(json_object_get(body, "status"));
      r->status = st ? (int)st : 200;
      const char *msg = json_string_value(json_object_get(body, "message"));
      r->message = msg ? strdup(msg) : NULL;
      r->answered = true;
    }
    if (json_object_get(body, "exitCode")) {
      free(r->message);
      char m[64];
      snprintf(m, sizeof m, "%lld", (long long)json_integer_value(json_object_get(body, "exitCode")));
      r->message = strdup(m);
    }
    if (len > 0) {
      chunk *c = malloc(sizeof *c);
      json_int_t ch = json_integer_value(json_object_get(body, "channel"));
      *c = (chunk){data, (size_t)len, ch ? (int)ch : 1, NULL};
      data = NULL;
      if (r->tail) r->tail->next = c;
      else r->head = c;
      r->tail = c;
      r->queued += (size_t)len;
    }
    if (json_is_true(json_object_get(body, "end"))) r->finished = true;
    pthread_cond_broadcast(&cv);
  }
  pthread_mutex_unlock(&mu);
  free(data);
  json_decref(body);
  if (alive) http_send(rq, 200, "application/json", "{}", 2);
  else http_send_status(rq, status_failure(410, "Gone", "the client of this request is gone", NULL));
}

/* GET .../NODE/input/ID: what the client sent for the node (waits up to 10 s). */
static void serve_input(http_req *rq, const char *node, const char *id) {
  pthread_mutex_lock(&mu);
  treq *r = find_req(id, node);
  struct timespec until;
  deadline_in(&until, 10);
  while (r && !r->gone && !r->finished && !json_array_size(r->input) && !r->input_closed &&
         pthread_cond_timedwait(&cv, &mu, &until) == 0)
    r = find_req(id, node);
  json_t *out = json_pack("{s:o,s:b,s:b}", "items", r && r->input ? r->input : json_array(), "closed",
                          r && r->input_closed, "gone", !r || r->gone || r->finished);
  if (r) r->input = json_array();
  pthread_mutex_unlock(&mu);
  http_send_json(rq, 200, out);
  json_decref(out);
}

bool node_tunnel_handle(http_req *rq) {
  if (strncmp(rq->path, PREFIX, strlen(PREFIX))) return false;
  char node[256] = "", what[32] = "", id[40] = "";
  const char *p = rq->path + strlen(PREFIX);
  size_t n = strcspn(p, "/");
  if (n == 0 || n >= sizeof node) {
    http_send_status(rq, status_failure(404, "NotFound", "the server could not find the requested resource", NULL));
    return true;
  }
  memcpy(node, p, n);
  p += n;
  if (*p == '/') p++;
  sscanf(p, "%31[^/]/%39s", what, id);
  if (!allowed(rq, node)) {
    char msg[400];
    snprintf(msg, sizeof msg, "only node %s may use its tunnel", node);
    http_send_status(rq, status_failure(403, "Forbidden", msg, NULL));
  } else if (!strcmp(rq->method, "GET") && !strcmp(what, "requests") && !*id) {
    serve_stream(rq, node);
  } else if (!strcmp(rq->method, "GET") && !strcmp(what, "input") && *id) {
    serve_input(rq, node, id);
  } else if (!strcmp(rq->method, "POST") && !strcmp(what, "responses") && *id) {
    serve_response(rq, node, id);
  } else {
    http_send_status(rq, status_failure(404, "NotFound", "the server could not find the requested resource", NULL));
  }
  return true;
}

static void free_req(treq *r) {
  for (chunk *c = r->head, *next; c; c = next) {
    next = c->next;
    free(c->data);
    free(c);
  }
  json_decref(r->line);
  json_decref(r->input);
  free(r->message);
  free(r);
}

treq *node_tunnel_request(const char *node, json_t *line) {
  treq *r = calloc(1, sizeof *r);
  snprintf(r->id, sizeof r->id, "%s-%lu-%ld", json_string_value(json_object_get(line, "kind")) ?: "req",
           (unsigned long)atomic_fetch_add(&next_id, 1) + 1, (long)time(NULL));
  snprintf(r->node, sizeof r->node, "%s", node);
  r->created = time(NULL);
  r->input = json_array();
  json_object_set_new(line, "id", json_string(r->id));
  r->line = line;
  pthread_mutex_lock(&mu);
  if (!find_tunnel(node)) {
    pthread_mutex_unlock(&mu);
    free_req(r);
    return NULL;
  }
  r->next = reqs;
  reqs = r;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  return r;
}

int node_tunnel_next(treq *r, int *channel, char **data, size_t *len, int *status, char **message) {
  pthread_mutex_lock(&mu);
  int rc;
  for (;;) {
    chunk *c = r->head;
    if (c && r->answered && r->status == 200) {
      r->head = c->next;
      if (!r->head) r->tail = NULL;
      r->queued -= c->len;
      pthread_cond_broadcast(&cv);
      *channel = c->channel, *data = c->data, *len = c->len;
      free(c);
      rc = 1;
      break;
    }
    if (r->gone || r->finished || (r->answered && r->status != 200)) {
      rc = 0;
      break;
    }
    if (!r->answered && time(NULL) - r->created > FIRST_ANSWER_SECONDS) {
      r->status = 504;
      r->answered = r->finished = true;
      continue;
    }
    struct timespec until;
    deadline_in(&until, 1);
    pthread_cond_timedwait(&cv, &mu, &until);
  }
  *status = r->status;
  *message = r->message ? strdup(r->message) : NULL;
  pthread_mutex_unlock(&mu);
  return rc;
}

void node_tunnel_input(treq *r, int channel, const char *data, size_t len, bool close) {
  pthread_mutex_lock(&mu);
  if (len) {
    char *b64 = go_base64_encode(data, len);
    json_array_append_new(r->input, json_pack("{s:i,s:s}", "channel", channel, "data", b64));
    free(b64);
  }
  if (close) r->input_closed = true;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

void node_tunnel_cancel(treq *r) {
  pthread_mutex_lock(&mu);
  r->gone = true;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

void node_tunnel_release(treq *r) {
  pthread_mutex_lock(&mu);
  r->gone = true;
  for (treq **p = &reqs; *p; p = &(*p)->next)
    if (*p == r) {
      *p = r->next;
      break;
    }
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  free_req(r);
}

static void set_query_opt(json_t *line, http_req *rq, const char *name, bool boolean) {
  char buf[128];
  if (boolean) json_object_set_new(line, name, json_boolean(http_query_bool(rq, name)));
  else if (http_query(rq, name, buf, sizeof buf)) {
    char *end;
    long long v = strtoll(buf, &end, 10);
    json_object_set_new(line, name, *end ? json_string(buf) : json_integer(v));
  }
}

bool node_tunnel_pod_log(http_req *rq, const char *node, const json_t *pod, const char *container) {
  const json_t *md = json_object_get(pod, "metadata");
  json_t *line = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "log", "namespace",
                           json_string_value(json_object_get(md, "namespace")) ?: "", "pod",
                           json_string_value(json_object_get(md, "name")) ?: "", "podUID",
                           json_string_value(json_object_get(md, "uid")) ?: "", "container", container);
  static const char *const bools[] = {"follow", "previous", "timestamps", NULL};
  static const char *const values[] = {"tailLines", "limitBytes", "sinceSeconds", "sinceTime", NULL};
  for (int i = 0; bools[i]; i++) set_query_opt(line, rq, bools[i], true);
  for (int i = 0; values[i]; i++) set_query_opt(line, rq, values[i], false);
  treq *r = node_tunnel_request(node, line);
  if (!r) return false;
  bool started = false;
  int channel, status;
  char *data, *message;
  size_t len;
  for (;;) {
    int more = node_tunnel_next(r, &channel, &data, &len, &status, &message);
    if (!more && status != 200 && !started) {
      if (status == 400 || status == 404)
        http_send_status(rq, status_bad_request("%s", message ? message : "the node refused the request"));
      else
        http_send_status(rq, status_internal("Get \"https://%s/containerLogs/%s/%s/%s\": %s", node, rq->ns, rq->name,
                                             container, message ? message
                                                        : status == 503 ? "the node's tunnel closed"
                                                                        : "the node did not answer"));
      free(message);
      break;
    }
    free(message);
    if (!started) started = http_stream_start(rq, "text/plain");
    if (!more) break;
    bool ok = http_stream_write(rq, data, len);
    free(data);
    if (!ok) break;
  }
  if (started) http_stream_end(rq);
  node_tunnel_release(r);
  return true;
}

void node_tunnel_shutdown(void) {
  pthread_mutex_lock(&mu);
  stopping = true;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}
