/* tunnel.c - see tunnel.h. Each request gets a thread and its own HTTPS
 * connection for the answers: POSTs of at most 48 KiB of log each
 * (base64 in JSON), the first carrying the status. pods/log requests read
 * the container's newest log file (or, for previous, the one before it);
 * the file is read a block (1 MiB) at a time, tailLines from the end
 * backwards; follow polls the file every 250 ms and ends once the container stopped
 * (its pid file is gone) or restarted (a newer log file appeared) and
 * everything was sent, or when the server answers 410 (the client left).
 * attach (tunnel_attach.c) is a follow from the end of the log with stdout
 * and stderr on their own channels. A thread renews the node's client certificate when
 * due (cert_renew.h). */
#include "tunnel.h"
#include "tunnel_internal.h"
#include "cert_renew.h"
#include "cri_log.h"
#include "https_client.h"
#include "log.h"
#include "go_errors.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (48 * 1024)
#define FOLLOW_POLL_US 250000

/* POSTs one piece of the answer; false once the server no longer wants it. */
bool tunnel_post(answer *a, int status, const char *message, const char *data, size_t len, bool end) {
  json_t *body = json_pack("{s:b,s:i}", "end", end, "channel", a->channel ? a->channel : 1);
  if (end && a->exit_code >= 0) json_object_set_new(body, "exitCode", json_integer(a->exit_code));
  if (!a->sent_status) {
    json_object_set_new(body, "status", json_integer(status));
    if (message) json_object_set_new(body, "message", json_string(message));
  }
  if (len) {
    char *b64 = go_base64_encode(data, len);
    json_object_set_new(body, "data", json_string(b64));
    free(b64);
  }
  json_t *out = NULL;
  int code = 0;
  for (int attempt = 0; attempt < 3 && code == 0; attempt++) code = https_call(a->c, "POST", a->path, body, NULL, &out);
  json_decref(body);
  json_decref(out);
  a->sent_status = true;
  if (code != 200) a->gone = true;
  return !a->gone;
}

static int flush_out(answer *a, bool end) {
  bool ok = tunnel_post(a, 200, NULL, a->buf, a->len, end);
  a->len = 0;
  return ok ? 0 : -1;
}

static int emit(void *ctx, int stream, const char *data, size_t len) {
  answer *a = ctx;
  if (a->split_streams && stream != a->channel) { /* attach: stdout and stderr on their own channels */
    if (a->len && flush_out(a, false) != 0) return -1;
    a->channel = stream;
  }
  while (len) {
    size_t n = CHUNK - a->len < len ? CHUNK - a->len : len;
    memcpy(a->buf + a->len, data, n);
    a->len += n;
    data += n;
    len -= n;
    if (a->len == CHUNK && flush_out(a, false) != 0) return -1;
  }
  return 0;
}

/* The restart counts of the container's log files, highest first: up to 2. */
static int log_numbers(const char *dir, long *newest, long *before) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  *newest = *before = -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    char *end;
    long n = strtol(e->d_name, &end, 10);
    if (end == e->d_name || strcmp(end, ".log")) continue;
    if (n > *newest) *before = *newest, *newest = n;
    else if (n > *before) *before = n;
  }
  closedir(d);
  return 0;
}

const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)) ?: ""; }

#define READ_BLOCK (1u << 20)

/* Up to READ_BLOCK bytes of path from *offset (reset to 0 when the file
 * shrank: truncated); NULL when it cannot be opened. */
static char *read_from(const char *path, long long *offset, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseeko(f, 0, SEEK_END);
  long long size = ftello(f);
  if (size < *offset) *offset = 0;
  fseeko(f, *offset, SEEK_SET);
  size_t n = (size_t)(size - *offset) < READ_BLOCK ? (size_t)(size - *offset) : READ_BLOCK;
  char *buf = malloc(n + 1);
  *len = fread(buf, 1, n, f);
  fclose(f);
  return buf;
}

/* The offset where the last n lines of path begin, read backwards in blocks. */
static long long tail_offset(const char *path, long long n) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  fseeko(f, 0, SEEK_END);
  long long end = ftello(f), pos = end, found = -1;
  char buf[65536];
  while (pos > 0 && found < 0) {
    size_t want = pos < (long long)sizeof buf ? (size_t)pos : sizeof buf;
    pos -= (long long)want;
    fseeko(f, pos, SEEK_SET);
    size_t got = fread(buf, 1, want, f);
    /* the lines in [pos, end): enough once more than n newlines precede the end */
    long long count = 0;
    for (size_t i = got; i > 0; i--) {
      if (buf[i - 1] != '\n' || pos + (long long)i == end) continue;
      if (++count == n) {
        found = pos + (long long)i;
        break;
      }
    }
    n -= count;
  }
  fclose(f);
  return found < 0 ? 0 : found;
}

/* Renders path from *offset to its end, a block at a time; false when the file is gone. */
static bool render_file(answer *a, const char *path, long long *offset, const cri_log_opts *lo, long long *written,
                        bool *done, bool *grew) {
  *grew = false;
  while (!*done && !a->gone) {
    size_t len;
    char *buf = read_from(path, offset, &len);
    if (!buf) return false;
    size_t used = cri_log_render(buf, len, lo, written, done, emit, a);
    free(buf);
    if (used == 0 && len == READ_BLOCK) used = len; /* a line longer than a block: not CRI, skipped */
    *offset += (long long)used;
    *grew |= used > 0;
    if (len < READ_BLOCK) break;
  }
  return true;
}

void tunnel_log(answer *a) {
  const json_t *r = a->req;
  const char *pod = jstr(r, "pod"), *cname = jstr(r, "container"), *uid = jstr(r, "podUID");
  char dir[1200], file[1300], pidfile[1300];
  snprintf(dir, sizeof dir, "%s/pods/%s/containers/%s", a->o->data_dir, uid, cname);
  long newest, before;
  char msg[600];
  if (!*uid || strchr(uid, '/') || strchr(cname, '/') || log_numbers(dir, &newest, &before) != 0 || newest < 0) {
    snprintf(msg, sizeof msg, "container \"%s\" in pod \"%s\" is waiting to start - no logs yet", cname, pod);
    tunnel_post(a, 400, msg, NULL, 0, true);
    return;
  }
  bool previous = json_is_true(json_object_get(r, "previous"));
  if (previous && before < 0) {
    snprintf(msg, sizeof msg, "previous terminated container \"%s\" in pod \"%s\" not found", cname, pod);
    tunnel_post(a, 400, msg, NULL, 0, true);
    return;
  }
  long number = previous ? before : newest;
  snprintf(file, sizeof file, "%s/%ld.log", dir, number);
  snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
  cri_log_opts lo = {json_is_true(json_object_get(r, "timestamps")), -1, 0};
  const json_t *lb = json_object_get(r, "limitBytes"), *tl = json_object_get(r, "tailLines");
  if (json_is_integer(lb)) lo.limit_bytes = json_integer_value(lb);
  if (json_is_integer(json_object_get(r, "sinceSeconds")))
    lo.since = (double)time(NULL) - (double)json_integer_value(json_object_get(r, "sinceSeconds"));
  const char *since_time = jstr(r, "sinceTime");
  if (*since_time) lo.since = cri_parse_time(since_time, strlen(since_time));
  long long offset = json_is_integer(tl) ? tail_offset(file, json_integer_value(tl)) : 0, written = 0;
  bool done = false, grew;
  if (json_is_integer(tl) && json_integer_value(tl) == 0) {
    FILE *f = fopen(file, "rb");
    if (f) fseeko(f, 0, SEEK_END), offset = ftello(f), fclose(f);
  }
  if (!render_file(a, file, &offset, &lo, &written, &done, &grew)) {
    snprintf(msg, sizeof msg, "failed to open log file for container \"%s\" in pod \"%s\"", cname, pod);
    tunnel_post(a, 404, msg, NULL, 0, true);
    return;
  }
  bool follow = json_is_true(json_object_get(r, "follow")) && !previous;
  while (follow && !done && !a->gone) {
    if (a->len && flush_out(a, false) != 0) break;
    if (!a->sent_status && !tunnel_post(a, 200, NULL, NULL, 0, false)) break;
    usleep(FOLLOW_POLL_US);
    long n2, b2;
    bool running = access(pidfile, F_OK) == 0;
    bool restarted = log_numbers(dir, &n2, &b2) == 0 && n2 > number;
    bool there = render_file(a, file, &offset, &lo, &written, &done, &grew);
    if ((!there || !grew) && (!running || restarted)) break;
  }
  if (!a->gone) flush_out(a, true);
}

static void *serve(void *arg) {
  answer *a = arg;
  char err[300];
  a->c = https_client_open(a->o->kubeconfig, err, sizeof err);
  snprintf(a->path, sizeof a->path, "/ckube/v1/tunnel/%s/responses/%s", a->o->node, jstr(a->req, "id"));
  a->buf = malloc(CHUNK);
  if (!a->c) LOGW("tunnel: cannot answer %s: %s", jstr(a->req, "id"), err);
  else if (!strcmp(jstr(a->req, "kind"), "log")) tunnel_log(a);
  else if (!strcmp(jstr(a->req, "kind"), "exec")) tunnel_exec(a);
  else if (!strcmp(jstr(a->req, "kind"), "portforward")) tunnel_forward(a);
  else if (!strcmp(jstr(a->req, "kind"), "attach")) tunnel_attach(a);
  else tunnel_post(a, 400, "unsupported request kind", NULL, 0, true);
  https_client_close(a->c);
  json_decref(a->req);
  free(a->buf);
  free(a);
  return NULL;
}

/* kubelet's certificate manager for the running node: renews
 * DIR/kubelet.kubeconfig when due (checked every minute); connections
 * opened afterwards use the new certificate. */
static void *rotate(void *arg) {
  const tunnel_opts *o = arg;
  for (;;) {
    long until = cert_seconds_until_due(o->data_dir);
    if (until <= 0) cert_renew_if_due(o->data_dir, o->node, false, 300);
    sleep(60);
  }
  return NULL;
}

/* Whether id came before (the last SEEN_IDS ids): a request the server sent on a stream it then saw replaced
 * by a newer one comes again on that one. */
#define SEEN_IDS 512
static bool seen_before(const char *id) {
  static char seen[SEEN_IDS][40];
  static int next;
  for (int i = 0; i < SEEN_IDS; i++)
    if (seen[i][0] && !strcmp(seen[i], id)) return true;
  snprintf(seen[next], sizeof seen[next], "%s", id);
  next = (next + 1) % SEEN_IDS;
  return false;
}

int tunnel_run(const tunnel_opts *o, volatile sig_atomic_t *stop) {
  pthread_t rotator;
  if (pthread_create(&rotator, NULL, rotate, (void *)o) == 0) pthread_detach(rotator);
  char path[400];
  snprintf(path, sizeof path, "/ckube/v1/tunnel/%s/requests", o->node);
  int backoff = 1;
  while (!*stop) {
    char err[300];
    https_client *c = https_client_open(o->kubeconfig, err, sizeof err);
    json_t *ebody = NULL;
    int code = c ? https_stream_open(c, path, 45000, &ebody) : 0;
    if (code == 200) {
      LOGI("tunnel of node %s open", o->node);
      backoff = 1;
      json_t *req;
      while (!*stop && https_stream_next(c, &req)) {
        if (seen_before(jstr(req, "id"))) {
          json_decref(req);
          continue;
        }
        answer *a = calloc(1, sizeof *a);
        a->o = o;
        a->exit_code = -1;
        a->req = req;
        pthread_t t;
        if (pthread_create(&t, NULL, serve, a) == 0) pthread_detach(t);
        else json_decref(req), free(a);
      }
      LOGW("tunnel of node %s closed; reconnecting", o->node);
    } else {
      LOGW("tunnel of node %s: %s", o->node,
           c ? json_string_value(json_object_get(ebody, "message")) ?: "no answer" : err);
    }
    json_decref(ebody);
    https_client_close(c);
    for (int i = 0; i < backoff * 10 && !*stop; i++) usleep(100000);
    backoff = backoff * 2 > 30 ? 30 : backoff * 2;
  }
  return 0;
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

int tunnel_main(int argc, char **argv) {
  tunnel_opts o = {0};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--kubeconfig")) o.kubeconfig = argv[i + 1];
    else if (!strcmp(argv[i], "--name")) o.node = argv[i + 1];
    else if (!strcmp(argv[i], "--data-dir")) o.data_dir = argv[i + 1];
    else break;
  }
  if (!o.kubeconfig || !o.node || !o.data_dir) {
    fprintf(stderr, "usage: ckube-node tunnel --kubeconfig FILE --name NODE --data-dir DIR\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  return tunnel_run(&o, &stop_flag);
}
