/* service_proxy.c - see service_proxy.h. One epoll thread: the watches'
 * eventfd (rebuild the table, open/close listeners; open connections keep
 * their endpoint, so a change never drops them), TCP listeners (accept,
 * pick an endpoint, non-blocking connect, relay through two 16 KiB buffers
 * with half-close), UDP listeners (a connected socket per client flow,
 * replies sent back from the listener's address, flows idle for 30 s go). */
#include "service_proxy.h"
#include "host_ports.h"
#include "log.h"
#include "obj_watch.h"
#include "service_table.h"
#include "strmap.h"
#include "ipv4.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 16384
#define UDP_IDLE_SECONDS 30

enum kind { K_NOTIFY, K_STOP, K_TCP_LISTEN, K_UDP_LISTEN, K_CLIENT, K_SERVER, K_UDP_FLOW };

typedef struct {
  enum kind kind;
  void *owner;
} handle;

/* What a batch of epoll events may still name is freed after the batch. */
typedef struct {
  void **items;
  size_t n, cap;
} graveyard;

typedef struct listener {
  handle h;
  int fd;
  svc_addr addr;
  bool udp, seen, dead;
  char key[40];
} listener;

typedef struct {
  char data[BUF_SIZE];
  size_t len, off;
  bool eof; /* the reading side ended */
} buffer;

typedef struct conn {
  handle hc, hs;
  int cfd, sfd;
  bool connecting, c_shut, s_shut; /* *_shut: write side shut down */
  bool dead;
  uint32_t cev, sev; /* the events each side is registered for (epoll_ctl only on change) */
  svc_addr endpoint;
  buffer up, down;                 /* client -> server, server -> client */
} conn;

typedef struct flow {
  handle h;
  int fd;
  listener *l;
  struct sockaddr_in client;
  time_t last;
  bool dead;
  struct flow *next;
  char key[64];
} flow;

struct service_proxy {
  int ep, notify_fd, stop_fd;
  handle notify_h, stop_h;
  obj_watch *services, *endpoints, *pods; /* pods: the ones bound to this node, for their hostPorts */
  uint32_t node_ips[2];
  svc_table *table;
  svc_picker *picker;
  strmap *listeners; /* "T|U ip:port" -> listener */
  strmap *flows;     /* "listenerfd client" -> flow */
  strmap *failed;    /* listener keys that could not bind (logged once; retried each second) */
  flow *flow_list;
  graveyard grave;
  pthread_t thread;
};

static void bury(service_proxy *p, void *item) {
  if (p->grave.n == p->grave.cap)
    p->grave.items = realloc(p->grave.items, (p->grave.cap = p->grave.cap ? p->grave.cap * 2 : 16) * sizeof(void *));
  p->grave.items[p->grave.n++] = item;
}

static void empty_graveyard(service_proxy *p) {
  for (size_t i = 0; i < p->grave.n; i++) free(p->grave.items[i]);
  p->grave.n = 0;
}

static void addr_text(svc_addr a, char *out, size_t len) {
  char ip[IPV4_TEXT_LEN];
  ipv4_format(a.ip, ip, sizeof ip);
  snprintf(out, len, "%s:%u", ip, a.port);
}

static struct sockaddr_in sockaddr_of(svc_addr a) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(a.port), .sin_addr.s_addr = htonl(a.ip)};
  return sa;
}

static void watch_fd(service_proxy *p, int op, int fd, uint32_t events, handle *h) {
  struct epoll_event ev = {.events = events, .data.ptr = h};
  epoll_ctl(p->ep, op, fd, &ev);
}

static listener *open_listener(service_proxy *p, svc_addr a, bool udp, bool exclusive, const char *key) {
  int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!exclusive) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in sa = sockaddr_of(a);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || (!udp && listen(fd, 511))) {
    if (!strmap_get(p->failed, key))
      LOGW("service proxy: cannot listen on %s/%s: %s", key + 2, udp ? "UDP" : "TCP", strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
  }
  listener *l = calloc(1, sizeof *l);
  l->h = (handle){udp ? K_UDP_LISTEN : K_TCP_LISTEN, l};
  l->fd = fd;
  l->addr = a;
  l->udp = udp;
  snprintf(l->key, sizeof l->key, "%s", key);
  watch_fd(p, EPOLL_CTL_ADD, fd, EPOLLIN, &l->h);
  return l;
}

/* Leaves the epoll set before closing: a pod started meanwhile may hold a
 * copy of the descriptor (fork before exec), and epoll keeps reporting a
 * file description until every copy is closed, with a pointer to memory the
 * graveyard has freed by then. */
static void unwatch_close(service_proxy *p, int fd) {
  epoll_ctl(p->ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
}

static void close_flow(service_proxy *p, flow *f) {
  strmap_remove(p->flows, f->key);
  unwatch_close(p, f->fd);
  for (flow **pp = &p->flow_list; *pp; pp = &(*pp)->next)
    if (*pp == f) {
      *pp = f->next;
      break;
    }
  f->dead = true;
  bury(p, f);
}

static void close_listener(service_proxy *p, listener *l) {
  for (flow *f = p->flow_list, *next; f; f = next) {
    next = f->next;
    if (f->l == l) close_flow(p, f);
  }
  unwatch_close(p, l->fd);
  l->dead = true;
  bury(p, l);
}

/* New table from the watches; listeners follow it. */
static void rebuild(service_proxy *p) {
  json_t *svcs = obj_watch_snapshot(p->services), *eps = obj_watch_snapshot(p->endpoints);
  svc_table *t = svc_table_build(svcs, eps, p->node_ips, 2);
  json_decref(svcs);
  json_decref(eps);
  json_t *pods = obj_watch_snapshot(p->pods);
  host_ports_add(t, pods, p->node_ips[1]);
  json_decref(pods);
  strmap_iter it = {0};
  while (strmap_next(p->listeners, &it)) ((listener *)it.value)->seen = false;
  strmap *failed = strmap_new();
  for (size_t i = 0; i < t->n; i++) {
    char text[32], key[40];
    addr_text(t->f[i].listen, text, sizeof text);
    snprintf(key, sizeof key, "%c|%s", t->f[i].udp ? 'U' : 'T', text);
    listener *l = strmap_get(p->listeners, key);
    if (!l && (l = open_listener(p, t->f[i].listen, t->f[i].udp, t->f[i].exclusive, key)))
      strmap_put(p->listeners, key, l);
    if (l) l->seen = true;
    else strmap_put(failed, key, p);
  }
  strmap_free(p->failed, NULL);
  p->failed = failed; /* only the ports still wanted are retried */
  char *gone[256];
  size_t n = 0;
  it = (strmap_iter){0};
  while (strmap_next(p->listeners, &it) && n < 256)
    if (!((listener *)it.value)->seen) gone[n++] = strdup(it.key);
  for (size_t i = 0; i < n; i++) {
    close_listener(p, strmap_remove(p->listeners, gone[i]));
    free(gone[i]);
  }
  svc_picker_retain(p->picker, t);
  svc_table_free(p->table);
  p->table = t;
}

static void conn_free(service_proxy *p, conn *c) {
  unwatch_close(p, c->cfd);
  if (c->sfd >= 0) unwatch_close(p, c->sfd);
  c->dead = true;
  bury(p, c);
}

/* Moves what can move and sets both sides' interest; false when the connection is over. */
static bool conn_pump(service_proxy *p, conn *c) {
  for (int dir = 0; dir < 2; dir++) {
    buffer *b = dir == 0 ? &c->up : &c->down;
    int from = dir == 0 ? c->cfd : c->sfd, to = dir == 0 ? c->sfd : c->cfd;
    if (dir == 0 && c->connecting) continue;
    for (;;) {
      if (b->len > b->off) {
        ssize_t w = send(to, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (w <= 0) return false;
        b->off += (size_t)w;
        if (b->off < b->len) break;
        b->off = b->len = 0;
      }
      if (b->eof || (dir == 1 && c->connecting)) break;
      ssize_t r = recv(from, b->data, sizeof b->data, 0);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (r < 0) return false;
      if (r == 0) {
        b->eof = true;
        break;
      }
      b->len = (size_t)r;
    }
    bool *shut = dir == 0 ? &c->s_shut : &c->c_shut;
    if (b->eof && b->len == b->off && !*shut) {
      shutdown(to, SHUT_WR);
      *shut = true;
    }
  }
  if (c->s_shut && c->c_shut) return false;
  uint32_t ce = (c->up.eof || c->up.len ? 0 : EPOLLIN) | (c->down.len > c->down.off ? EPOLLOUT : 0);
  uint32_t se = c->connecting ? EPOLLOUT
                              : (c->down.eof || c->down.len ? 0 : EPOLLIN) | (c->up.len > c->up.off ? EPOLLOUT : 0);
  if (ce != c->cev) watch_fd(p, EPOLL_CTL_MOD, c->cfd, c->cev = ce, &c->hc);
  if (se != c->sev) watch_fd(p, EPOLL_CTL_MOD, c->sfd, c->sev = se, &c->hs);
  return true;
}

/* A refused connection (why, and the endpoint if one was chosen), logged at most once a second. */
static void refused(const char *why, svc_addr be) {
  static time_t last;
  time_t now = time(NULL);
  if (now == last) return;
  last = now;
  char to[32] = "";
  if (be.ip) addr_text(be, to, sizeof to);
  LOGW("service proxy: %s %s", why, to);
}

static void on_accept(service_proxy *p, listener *l) {
  for (;;) {
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int cfd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;
    const svc_frontend *f = svc_table_find(p->table, l->addr.ip, l->addr.port, false);
    svc_addr be;
    if (!f || !svc_pick(p->picker, f, ntohl(peer.sin_addr.s_addr), time(NULL), &be)) {
      refused("no ready endpoint for", l->addr);
      close(cfd); /* refused, as kube-proxy's REJECT */
      continue;
    }
    int sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = sockaddr_of(be);
    if (sfd < 0 || (connect(sfd, (struct sockaddr *)&sa, sizeof sa) && errno != EINPROGRESS)) {
      if (sfd >= 0) close(sfd);
      close(cfd);
      continue;
    }
    conn *c = calloc(1, sizeof *c);
    c->hc = (handle){K_CLIENT, c};
    c->hs = (handle){K_SERVER, c};
    c->cfd = cfd;
    c->sfd = sfd;
    c->connecting = true;
    c->endpoint = be;
    watch_fd(p, EPOLL_CTL_ADD, cfd, c->cev = 0, &c->hc);
    watch_fd(p, EPOLL_CTL_ADD, sfd, c->sev = EPOLLOUT, &c->hs);
  }
}

static void on_conn(service_proxy *p, conn *c, bool server_side, uint32_t events) {
  if (c->dead) return;
  if (events & EPOLLERR) {
    if (server_side && c->connecting) refused("cannot connect to endpoint", c->endpoint);
    conn_free(p, c);
    return;
  }
  if (server_side && c->connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLOUT))) {
      refused("cannot connect to endpoint", c->endpoint);
      conn_free(p, c);
      return;
    }
    c->connecting = false;
  }
  if (!conn_pump(p, c)) conn_free(p, c);
}

static void on_udp(service_proxy *p, listener *l) {
  char buf[65536];
  for (;;) {
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    ssize_t n = recvfrom(l->fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
    if (n < 0) return;
    char key[64];
    snprintf(key, sizeof key, "%d %08x:%u", l->fd, peer.sin_addr.s_addr, peer.sin_port);
    flow *f = strmap_get(p->flows, key);
    if (!f) {
      const svc_frontend *fe = svc_table_find(p->table, l->addr.ip, l->addr.port, true);
      svc_addr be;
      if (!fe || !svc_pick(p->picker, fe, ntohl(peer.sin_addr.s_addr), time(NULL), &be)) continue;
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      struct sockaddr_in sa = sockaddr_of(be);
      if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0) close(fd);
        continue;
      }
      f = calloc(1, sizeof *f);
      f->h = (handle){K_UDP_FLOW, f};
      f->fd = fd;
      f->l = l;
      f->client = peer;
      snprintf(f->key, sizeof f->key, "%s", key);
      f->next = p->flow_list;
      p->flow_list = f;
      strmap_put(p->flows, key, f);
      watch_fd(p, EPOLL_CTL_ADD, fd, EPOLLIN, &f->h);
    }
    f->last = time(NULL);
    (void)!send(f->fd, buf, (size_t)n, 0);
  }
}

static void on_flow(flow *f) {
  char buf[65536];
  ssize_t n;
  while ((n = recv(f->fd, buf, sizeof buf, 0)) >= 0) {
    f->last = time(NULL);
    (void)!sendto(f->l->fd, buf, (size_t)n, 0, (struct sockaddr *)&f->client, sizeof f->client);
  }
}

static void expire(service_proxy *p, time_t now) {
  for (flow *f = p->flow_list, *next; f; f = next) {
    next = f->next;
    if (now - f->last > UDP_IDLE_SECONDS) close_flow(p, f);
  }
  svc_picker_expire(p->picker, now);
}

static bool all_listed(const service_proxy *p) {
  return obj_watch_listed(p->services) && obj_watch_listed(p->endpoints) && obj_watch_listed(p->pods);
}

static void *proxy_main(void *arg) {
  service_proxy *p = arg;
  struct epoll_event evs[64];
  time_t swept = time(NULL), retried = swept;
  for (;;) {
    int n = epoll_wait(p->ep, evs, 64, 1000);
    for (int i = 0; i < n; i++) {
      handle *h = evs[i].data.ptr;
      switch (h->kind) {
      case K_STOP: return NULL;
      case K_NOTIFY: {
        uint64_t v;
        (void)!read(p->notify_fd, &v, sizeof v);
        if (all_listed(p)) rebuild(p);
        break;
      }
      case K_TCP_LISTEN:
        if (!((listener *)h->owner)->dead) on_accept(p, h->owner);
        break;
      case K_UDP_LISTEN:
        if (!((listener *)h->owner)->dead) on_udp(p, h->owner);
        break;
      case K_CLIENT: on_conn(p, h->owner, false, evs[i].events); break;
      case K_SERVER: on_conn(p, h->owner, true, evs[i].events); break;
      case K_UDP_FLOW:
        if (!((flow *)h->owner)->dead) on_flow(h->owner);
        break;
      }
    }
    empty_graveyard(p);
    time_t now = time(NULL);
    if (now - swept >= 5) {
      expire(p, now);
      swept = now;
    }
    /* A port another process held (a NodePort taken before the Service
     * existed) is tried again each second until it binds or goes away. */
    if (now != retried && strmap_count(p->failed) && all_listed(p)) rebuild(p);
    retried = now;
  }
}

service_proxy *service_proxy_start(const char *kubeconfig, const char *node_ip, const char *node_name) {
  service_proxy *p = calloc(1, sizeof *p);
  struct in_addr a;
  p->node_ips[0] = INADDR_LOOPBACK;
  p->node_ips[1] = inet_pton(AF_INET, node_ip, &a) == 1 ? ntohl(a.s_addr) : INADDR_LOOPBACK;
  p->ep = epoll_create1(EPOLL_CLOEXEC);
  p->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  p->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  p->notify_h = (handle){K_NOTIFY, p};
  p->stop_h = (handle){K_STOP, p};
  watch_fd(p, EPOLL_CTL_ADD, p->notify_fd, EPOLLIN, &p->notify_h);
  watch_fd(p, EPOLL_CTL_ADD, p->stop_fd, EPOLLIN, &p->stop_h);
  p->picker = svc_picker_new();
  p->listeners = strmap_new();
  p->flows = strmap_new();
  p->failed = strmap_new();
  p->services = obj_watch_start(kubeconfig, "/api/v1/services", p->notify_fd);
  p->endpoints = obj_watch_start(kubeconfig, "/api/v1/endpoints", p->notify_fd);
  char pods_path[512];
  snprintf(pods_path, sizeof pods_path, "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s", node_name);
  p->pods = obj_watch_start(kubeconfig, pods_path, p->notify_fd);
  if (!p->services || !p->endpoints || !p->pods) {
    LOGE("service proxy: cannot watch Services, Endpoints and this node's pods");
    service_proxy_stop(p);
    return NULL;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 << 10);
  pthread_create(&p->thread, &attr, proxy_main, p);
  pthread_attr_destroy(&attr);
  return p;
}

static void free_listener(void *v) {
  listener *l = v;
  close(l->fd);
  free(l);
}

void service_proxy_stop(service_proxy *p) {
  if (!p) return;
  if (p->thread) {
    uint64_t one = 1;
    (void)!write(p->stop_fd, &one, sizeof one);
    pthread_join(p->thread, NULL);
  }
  obj_watch_stop(p->services);
  obj_watch_stop(p->endpoints);
  obj_watch_stop(p->pods);
  while (p->flow_list) close_flow(p, p->flow_list);
  empty_graveyard(p);
  free(p->grave.items);
  strmap_free(p->flows, NULL);
  strmap_free(p->failed, NULL);
  strmap_free(p->listeners, free_listener);
  /* relayed connections still open are closed with the process (the agent is stopping) */
  svc_table_free(p->table);
  svc_picker_free(p->picker);
  close(p->ep);
  close(p->notify_fd);
  close(p->stop_fd);
  free(p);
}
