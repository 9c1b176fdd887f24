/* proxy.c - the Ingress data plane's workers: one thread per core (at
 * most 8), each with its own epoll set and its own SO_REUSEPORT listening
 * sockets for the HTTP and HTTPS addresses, so the kernel spreads new
 * connections and a connection stays on one thread for life. Nothing runs
 * on the API's CivetWeb threads; docs/ARCHITECTURE.md says why (measured
 * in docs/BENCHMARKS.md). Timers are a sweep every 250 ms over the
 * worker's sessions and idle upstreams.
 * The workers run at nice 19 (--ingress-nice) while the API is busy and at
 * 0 otherwise (proxy_nice.c says why); --ingress-nice 0 gives the proxy
 * equal weight always. */
#include "proxy.h"
#include "ingress_tls.h"
#include "log.h"
#include "access_log.h"
#include "proxy_internal.h"
#include "timestamp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 8

static worker *workers;
static int n_workers;
static int worker_nice;
static proxy_activity_fn api_activity;

void pbuf_init(pbuf *b) {
  b->d = malloc(PBUF_SIZE);
  if (!b->d) abort();
  b->start = b->end = 0;
}

void pbuf_free(pbuf *b) {
  free(b->d);
  b->d = NULL;
}

size_t pbuf_room(pbuf *b) {
  if (b->start && (b->end == PBUF_SIZE || b->start == b->end)) {
    memmove(b->d, b->d + b->start, b->end - b->start);
    b->end -= b->start;
    b->start = 0;
  }
  return PBUF_SIZE - b->end;
}

bool pbuf_append(pbuf *b, const void *p, size_t n) {
  if (pbuf_room(b) < n) return false;
  memcpy(b->d + b->end, p, n);
  b->end += n;
  return true;
}

int proxy_split_addr(const char *addr, struct sockaddr_storage *out, socklen_t *len) {
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon) return -1;
  size_t n = (size_t)(colon - addr);
  const char *h = addr;
  if (n >= 2 && h[0] == '[' && h[n - 1] == ']') h++, n -= 2;
  if (n >= sizeof host) return -1;
  memcpy(host, h, n);
  host[n] = 0;
  int port = atoi(colon + 1);
  if (port <= 0 || port > 65535) return -1;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (!n || !strcmp(host, "0.0.0.0")) host[0] = 0;
  if (!host[0] || inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET, v4->sin_port = htons((uint16_t)port), *len = sizeof *v4;
    return port;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6, v6->sin6_port = htons((uint16_t)port), *len = sizeof *v6;
    return port;
  }
  return -1;
}

static int open_listener(const char *addr, int *port, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  socklen_t len;
  *port = proxy_split_addr(addr, &ss, &len);
  if (*port < 0) {
    snprintf(err, errlen, "ingress address %s is not HOST:PORT", addr);
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
  if (fd < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return -1;
  }
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 4096) != 0) {
    snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

static void accept_all(worker *w, listener *l) {
  for (int i = 0; i < 64; i++) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or EMFILE: the next event retries */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    session_accept(w, l, fd, &peer);
  }
}

void proxy_bury(worker *w) {
  while (w->dead_sessions) {
    session *s = w->dead_sessions;
    w->dead_sessions = s->next;
    pbuf_free(&s->in), pbuf_free(&s->out), pbuf_free(&s->up_out);
    free(s);
  }
  while (w->dead_upstreams) {
    upstream *u = w->dead_upstreams;
    w->dead_upstreams = u->next;
    pbuf_free(&u->in);
    free(u);
  }
}

static void sweep(worker *w) {
  for (session *s = w->sessions, *next; s; s = next) {
    next = s->next;
    if (w->now > s->deadline) session_expire(s);
  }
  upstream_sweep(w);
  proxy_bury(w);
}

static void dispatch(worker *w, void *p, uint32_t events) {
  int kind = *(int *)p;
  if (kind == P_LISTENER) {
    accept_all(w, p);
  } else if (kind == P_UPSTREAM) {
    upstream_event(p, events);
  } else if (kind == P_SESSION) {
    session *s = p;
    if (s->dead) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s->readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s->rh.hup = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s->writable = true;
    session_run(s);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  proxy_nice_init(&w->nice, worker_nice, api_activity, mono_ms());
  static const int wake_kind = P_WAKE;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = (void *)&wake_kind};
  epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake_fd, &ev);
  for (int i = 0; i < w->n_listeners; i++) {
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &w->listeners[i]};
    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->listeners[i].fd, &lev);
  }
  struct epoll_event events[256];
  while (!w->stop) {
    int n = epoll_wait(w->ep, events, 256, 250);
    w->now = mono_ms();
    proxy_nice_update(&w->nice, w->now);
    for (int i = 0; i < n; i++) dispatch(w, events[i].data.ptr, events[i].events);
    proxy_bury(w);
    if (w->now >= w->next_sweep) {
      sweep(w);
      access_log_flush(w->log);
      w->next_sweep = w->now + 250;
    }
  }
  while (w->sessions) session_close(w->sessions);
  upstream_close_all(w);
  proxy_bury(w);
  route_unref(w->rt);
  access_log_buf_free(w->log);
  w->log = NULL;
  return NULL;
}

static void close_listeners(worker *w) {
  for (int i = 0; i < w->n_listeners; i++) close(w->listeners[i].fd);
  w->n_listeners = 0;
}

static int add_listener(worker *w, const char *addr, bool https, char *err, size_t errlen) {
  listener *l = &w->listeners[w->n_listeners];
  l->kind = P_LISTENER, l->https = https;
  l->fd = open_listener(addr, &l->port, err, errlen);
  if (l->fd < 0) return -1;
  if (https) w->https_port = l->port;
  w->n_listeners++;
  return 0;
}

int proxy_start(const proxy_config *cfg, char *err, size_t errlen) {
  if (!cfg->http_addr && !cfg->https_addr) return 0;
  void *ssl_ctx = NULL;
  if (cfg->https_addr && !(ssl_ctx = ingress_tls_listener_ctx(err, errlen))) return -1;
  if (!upstream_tls_init()) {
    snprintf(err, errlen, "cannot make the TLS client context for HTTPS backends");
    return -1;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  n_workers = cfg->workers > 0 ? cfg->workers : cores > 0 ? (int)cores : 1;
  if (n_workers > MAX_WORKERS) n_workers = MAX_WORKERS;
  workers = calloc((size_t)n_workers, sizeof *workers);
  if (!workers) abort();
  for (int i = 0; i < n_workers; i++) {
    worker *w = &workers[i];
    w->id = i;
    w->ssl_ctx = ssl_ctx;
    w->log = access_log_buf_new();
    w->rand_state = (uint64_t)mono_ms() * 2654435761u + (uint64_t)i * 0x9e3779b97f4a7c15ull + 1;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if ((cfg->http_addr && add_listener(w, cfg->http_addr, false, err, errlen) != 0) ||
        (cfg->https_addr && add_listener(w, cfg->https_addr, true, err, errlen) != 0)) {
      for (int j = 0; j <= i; j++)
        close_listeners(&workers[j]), close(workers[j].ep), close(workers[j].wake_fd), access_log_buf_free(workers[j].log);
      free(workers);
      workers = NULL;
      n_workers = 0;
      return -1;
    }
    if (!cfg->https_addr) w->https_port = 443;
  }
  worker_nice = cfg->nice < 0 ? 0 : cfg->nice > 19 ? 19 : cfg->nice;
  api_activity = cfg->api_activity;
  for (int i = 0; i < n_workers; i++) {
    pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
    char name[16];
    snprintf(name, sizeof name, "ingress-%d", i);
    pthread_setname_np(workers[i].thread, name);
  }
  LOGI("ingress proxy: %d workers (nice %d%s), HTTP %s, HTTPS %s", n_workers, worker_nice,
       worker_nice && api_activity ? " while the API is busy" : "",
       cfg->http_addr ? cfg->http_addr : "off", cfg->https_addr ? cfg->https_addr : "off");
  return 0;
}

void proxy_stop(void) {
  for (int i = 0; i < n_workers; i++) {
    workers[i].stop = true;
    uint64_t one = 1;
    if (write(workers[i].wake_fd, &one, sizeof one) < 0) LOGW("ingress proxy: cannot wake worker %d", i);
  }
  for (int i = 0; i < n_workers; i++) {
    pthread_join(workers[i].thread, NULL);
    close_listeners(&workers[i]);
    close(workers[i].ep);
    close(workers[i].wake_fd);
  }
  free(workers);
  workers = NULL;
  n_workers = 0;
}
