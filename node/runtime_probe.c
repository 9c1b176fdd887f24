/* runtime_probe.c - see runtime_probe.h. A run is a job owned by its
 * thread until it finishes; the runtime collects it, or abandons it (the
 * container went away) and the thread frees it. Messages follow kubelet
 * 1.20's prober: an exec probe's output, "HTTP probe failed with
 * statuscode: 500", Go's dial errors ("dial tcp 127.71.0.2:80: connect:
 * connection refused"). httpGet with scheme HTTPS is checked by a TCP
 * connect only (no TLS handshake). */
#include "runtime_probe.h"
#include "pod_network.h"
#include "runtime_proc.h"
#include "timestamp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { JOB_RUNNING, JOB_DONE, JOB_ABANDONED };
enum { KIND_EXEC, KIND_HTTP, KIND_TCP };

struct rt_probe_job {
  atomic_int state;
  int kind, timeout_ms, port;
  bool ok;
  char msg[1024];
  char **argv, **envp;
  char *applets, *hostname, *netns_ip, *rootfs, *applets_root;
  int pid;
  rt_identity ident; /* has_ident: the container's user */
  bool has_ident;
  char host[64], path[1024], scheme[8];
  char headers[2048];
};

static char **copy_strv(char *const *v) {
  size_t n = 0;
  while (v && v[n]) n++;
  char **c = calloc(n + 1, sizeof *c);
  for (size_t i = 0; i < n; i++) c[i] = strdup(v[i]);
  return c;
}

static void free_strv(char **v) {
  for (char **x = v; x && *x; x++) free(*x);
  free(v);
}

static void free_job(rt_probe_job *j) {
  free_strv(j->argv);
  free_strv(j->envp);
  free(j->applets);
  free(j->hostname);
  free(j->netns_ip);
  free(j->rootfs);
  free(j->applets_root);
  free(j);
}

static int field_int(const json_t *o, const char *k, int dflt) {
  const json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void run_exec(rt_probe_job *j) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC)) {
    snprintf(j->msg, sizeof j->msg, "pipe: %s", strerror(errno));
    return;
  }
  int nsfd = j->netns_ip ? podnet_open(j->netns_ip) : -1;
  int mntfd = j->rootfs ? rt_open_mount_ns(j->pid) : -1;
  rt_spawn_req req = {.argv = j->argv,
                      .envp = j->envp,
                      .applets = j->applets,
                      .hostname = j->hostname,
                      .netns_fd = nsfd,
                      .capture_fd = pipefd[1],
                      .join_mnt_fd = mntfd,
                      .join_root = j->rootfs,
                      .identity = j->has_ident ? &j->ident : NULL,
                      .applets_root = j->applets_root};
  char err[512] = "";
  pid_t pid = rt_spawn(&req, err, sizeof err);
  if (nsfd >= 0) close(nsfd);
  if (mntfd >= 0) close(mntfd);
  close(pipefd[1]);
  if (pid < 0) {
    close(pipefd[0]);
    snprintf(j->msg, sizeof j->msg, "%s", err);
    return;
  }
  size_t n = 0;
  long long deadline = mono_ms() + j->timeout_ms;
  bool timed_out = false;
  for (;;) {
    long long left = deadline - mono_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pf = {pipefd[0], POLLIN, 0};
    if (poll(&pf, 1, (int)left) <= 0) continue;
    char buf[512];
    ssize_t r = read(pipefd[0], buf, sizeof buf);
    if (r <= 0) break;
    size_t take = (size_t)r < sizeof j->msg - 1 - n ? (size_t)r : sizeof j->msg - 1 - n;
    memcpy(j->msg + n, buf, take);
    n += take;
  }
  close(pipefd[0]);
  j->msg[n] = 0;
  int st = 0;
  if (timed_out) {
    rt_signal_group(pid, SIGKILL);
    waitpid(pid, &st, 0);
    snprintf(j->msg, sizeof j->msg, "command timed out after %ds", j->timeout_ms / 1000);
    return;
  }
  waitpid(pid, &st, 0);
  j->ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Connects with the timeout; the fd, or -1 with Go's dial error in msg. */
static int dial(rt_probe_job *j, long long deadline) {
  char addr[96];
  snprintf(addr, sizeof addr, "%s:%d", j->host, j->port);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)j->port)};
  if (inet_pton(AF_INET, j->host, &a.sin_addr) != 1) {
    snprintf(j->msg, sizeof j->msg, "dial tcp: lookup %s: no such host", j->host);
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
  if (rc && errno == EINPROGRESS) {
    struct pollfd pf = {fd, POLLOUT, 0};
    long long left = deadline - mono_ms();
    if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
      snprintf(j->msg, sizeof j->msg, "dial tcp %s: i/o timeout", addr);
      close(fd);
      return -1;
    }
    int e = 0;
    socklen_t el = sizeof e;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
    errno = e;
    rc = e ? -1 : 0;
  }
  if (rc) {
    snprintf(j->msg, sizeof j->msg, "dial tcp %s: connect: %s", addr,
             errno == ECONNREFUSED ? "connection refused" : strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

static void run_http(rt_probe_job *j) {
  long long deadline = mono_ms() + j->timeout_ms;
  char url[1200];
  snprintf(url, sizeof url, "%s://%s:%d%s", !strcmp(j->scheme, "HTTPS") ? "https" : "http", j->host, j->port, j->path);
  int fd = dial(j, deadline);
  if (fd < 0) {
    char dial_err[1024];
    snprintf(dial_err, sizeof dial_err, "%s", j->msg);
    if (j->kind == KIND_HTTP) snprintf(j->msg, sizeof j->msg, "Get \"%s\": %s", url, dial_err);
    return;
  }
  if (j->kind == KIND_TCP || !strcmp(j->scheme, "HTTPS")) {
    j->ok = true;
    close(fd);
    return;
  }
  char req[4096];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: kube-probe/1.20\r\nAccept: */*\r\n%sConnection: close\r\n\r\n",
                   j->path, j->host, j->port, j->headers);
  fcntl(fd, F_SETFL, 0);
  struct timeval tv = {j->timeout_ms / 1000, (j->timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char resp[256] = "";
  size_t got = 0;
  if (write(fd, req, (size_t)(n < (int)sizeof req ? n : (int)sizeof req - 1)) > 0)
    while (got < sizeof resp - 1 && !memchr(resp, '\n', got)) {
      ssize_t r = read(fd, resp + got, sizeof resp - 1 - got);
      if (r <= 0) break;
      got += (size_t)r;
      resp[got] = 0;
    }
  close(fd);
  int code = 0;
  if (sscanf(resp, "HTTP/%*s %d", &code) != 1) {
    snprintf(j->msg, sizeof j->msg, "Get \"%s\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)", url);
    return;
  }
  j->ok = code >= 200 && code < 400;
  if (!j->ok) snprintf(j->msg, sizeof j->msg, "HTTP probe failed with statuscode: %d", code);
}

static void *job_main(void *arg) {
  rt_probe_job *j = arg;
  if (j->kind == KIND_EXEC) run_exec(j);
  else run_http(j);
  int expected = JOB_RUNNING;
  if (!atomic_compare_exchange_strong(&j->state, &expected, JOB_DONE)) free_job(j); /* abandoned */
  return NULL;
}

/* The port of a probe handler: a number, or a named port of the container. */
static int port_of(const json_t *port, const json_t *container) {
  if (json_is_integer(port)) return (int)json_integer_value(port);
  const char *name = json_string_value(port);
  if (!name) return 0;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(container, "ports"), i, p)
    if (!strcmp(json_string_value(json_object_get(p, "name")) ?: "", name))
      return (int)json_integer_value(json_object_get(p, "containerPort"));
  return atoi(name);
}

static rt_probe_job *start_job(const json_t *spec, const json_t *container, const rt_probe_target *t) {
  rt_probe_job *j = calloc(1, sizeof *j);
  j->timeout_ms = field_int(spec, "timeoutSeconds", 1) * 1000;
  if (j->timeout_ms <= 0) j->timeout_ms = 1000;
  const json_t *ex = json_object_get(spec, "exec"), *http = json_object_get(spec, "httpGet"),
               *tcp = json_object_get(spec, "tcpSocket");
  if (ex) {
    j->kind = KIND_EXEC;
    const json_t *cmd = json_object_get(ex, "command");
    j->argv = calloc(json_array_size(cmd) + 1, sizeof *j->argv);
    size_t i;
    json_t *w;
    json_array_foreach(cmd, i, w) j->argv[i] = strdup(json_string_value(w) ?: "");
    if (!j->argv[0]) {
      free_job(j);
      return NULL;
    }
    j->envp = copy_strv(t->envp);
    j->applets = t->applets ? strdup(t->applets) : NULL;
    j->hostname = t->hostname ? strdup(t->hostname) : NULL;
    j->netns_ip = t->pod_netns_ip ? strdup(t->pod_netns_ip) : NULL;
    j->rootfs = t->rootfs && *t->rootfs ? strdup(t->rootfs) : NULL;
    j->pid = t->pid;
    j->has_ident = t->identity != NULL;
    if (t->identity) j->ident = *t->identity;
    j->applets_root = t->applets_root && *t->applets_root ? strdup(t->applets_root) : NULL;
  } else if (http || tcp) {
    const json_t *h = http ? http : tcp;
    j->kind = http ? KIND_HTTP : KIND_TCP;
    j->port = port_of(json_object_get(h, "port"), container);
    const char *host = json_string_value(json_object_get(h, "host"));
    snprintf(j->host, sizeof j->host, "%s", host && *host ? host : t->pod_ip);
    snprintf(j->path, sizeof j->path, "%s", json_string_value(json_object_get(h, "path")) ?: "/");
    if (j->path[0] != '/') memmove(j->path + 1, j->path, strlen(j->path) + 1), j->path[0] = '/';
    snprintf(j->scheme, sizeof j->scheme, "%s", json_string_value(json_object_get(h, "scheme")) ?: "HTTP");
    size_t i, n = 0;
    json_t *hd;
    json_array_foreach(json_object_get(h, "httpHeaders"), i, hd)
      if (n < sizeof j->headers)
        n += (size_t)snprintf(j->headers + n, sizeof j->headers - n, "%s: %s\r\n",
                              json_string_value(json_object_get(hd, "name")) ?: "",
                              json_string_value(json_object_get(hd, "value")) ?: "");
  } else {
    free_job(j);
    return NULL;
  }
  pthread_t th;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  int rc = pthread_create(&th, &attr, job_main, j);
  pthread_attr_destroy(&attr);
  if (rc) {
    free_job(j);
    return NULL;
  }
  return j;
}

static void abandon(rt_probe_job *j) {
  int expected = JOB_RUNNING;
  if (j && !atomic_compare_exchange_strong(&j->state, &expected, JOB_ABANDONED)) free_job(j); /* already done */
}

void rt_probe_arm(rt_probe *p, const json_t *spec, bool initial_ok, long long now_ms) {
  rt_probe_disarm(p);
  if (!spec) return;
  p->spec = json_incref((json_t *)spec);
  p->ok = initial_ok;
  p->next_ms = now_ms + (long long)field_int(spec, "initialDelaySeconds", 0) * 1000;
}

void rt_probe_disarm(rt_probe *p) {
  abandon(p->job);
  json_decref(p->spec);
  memset(p, 0, sizeof *p);
}

rt_probe_event rt_probe_tick(rt_probe *p, const json_t *container, const rt_probe_target *t, long long now_ms,
                             char *msg, size_t mlen) {
  if (!p->spec) return PROBE_NOTHING;
  if (p->job) {
    if (atomic_load(&p->job->state) != JOB_DONE) return PROBE_NOTHING;
    rt_probe_job *j = p->job;
    p->job = NULL;
    bool ok = j->ok;
    snprintf(msg, mlen, "%s", j->msg);
    free_job(j);
    int success = field_int(p->spec, "successThreshold", 1), failure = field_int(p->spec, "failureThreshold", 3);
    if (ok) {
      p->failures = 0;
      if (++p->successes >= (success > 0 ? success : 1)) p->ok = true;
      return PROBE_SUCCEEDED;
    }
    p->successes = 0;
    if (++p->failures >= (failure > 0 ? failure : 1)) p->ok = false;
    return PROBE_FAILED;
  }
  if (now_ms < p->next_ms) return PROBE_NOTHING;
  int period = field_int(p->spec, "periodSeconds", 10);
  p->next_ms = now_ms + (long long)(period > 0 ? period : 10) * 1000;
  p->job = start_job(p->spec, container, t);
  return PROBE_NOTHING;
}
