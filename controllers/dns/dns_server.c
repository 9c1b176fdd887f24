/* dns_server.c - see dns_server.h. One thread reads UDP datagrams and
 * answers each at once (an answer is a lookup in the snapshot, no I/O);
 * one thread accepts TCP connections and gives each a thread of its own
 * (RFC 7766 framing: a two-byte length before each message, several
 * queries per connection, idle connections closed after 10 s). Forwarded
 * queries, which wait on an upstream, run on short-lived threads so they
 * never hold up the answers from the zone. Threads, connections and
 * forwards in flight are capped; over the cap a query gets SERVFAIL. */
#include "dns_server.h"
#include "dns_answer.h"
#include "dns_forward.h"
#include "dns_wire.h"
#include "log.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 64     /* TCP connections plus forwarded queries */
#define TCP_IDLE_SECONDS 10
#define POLL_MS 200

static pthread_mutex_t zone_mu = PTHREAD_MUTEX_INITIALIZER;
static dns_zone *current; /* guarded by zone_mu */
static int udp_fd = -1, tcp_fd = -1;
static pthread_t udp_thread, tcp_thread;
static atomic_bool stopping;
static atomic_int inflight;
static bool forwarding;
static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static int conns[MAX_INFLIGHT]; /* open TCP connections, -1 = free slot; guarded by conns_mu */

static dns_zone *zone_get(void) {
  pthread_mutex_lock(&zone_mu);
  dns_zone *z = dns_zone_ref(current);
  pthread_mutex_unlock(&zone_mu);
  return z;
}

void dns_server_swap(dns_zone *z) {
  pthread_mutex_lock(&zone_mu);
  dns_zone *old = current;
  current = z;
  pthread_mutex_unlock(&zone_mu);
  dns_zone_unref(old);
}

int dns_parse_addr(const char *addr, struct sockaddr_storage *ss, unsigned *len) {
  char host[256];
  const char *colon = addr ? strrchr(addr, ':') : NULL;
  if (!colon || !colon[1]) return -1;
  size_t n = (size_t)(colon - addr);
  const char *h = addr;
  if (n >= 2 && h[0] == '[' && h[n - 1] == ']') h++, n -= 2;
  if (n == 0 || n >= sizeof host) return -1;
  memcpy(host, h, n);
  host[n] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port <= 0 || port > 65535) return -1;
  struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *ai;
  if (getaddrinfo(host, NULL, &hints, &ai) != 0) return -1;
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  *len = (unsigned)ai->ai_addrlen;
  freeaddrinfo(ai);
  if (ss->ss_family == AF_INET) ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
  else ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
  return 0;
}

/* The response to one message; 0 when none is due. */
static size_t respond(const uint8_t *msg, size_t len, bool tcp, uint8_t *out, size_t cap, bool *outside) {
  dns_zone *z = zone_get();
  size_t n = dns_answer(z, msg, len, tcp, forwarding, out, cap, outside);
  dns_zone_unref(z);
  return n;
}

static bool take_slot(void) {
  if (atomic_fetch_add(&inflight, 1) < MAX_INFLIGHT) return true;
  atomic_fetch_sub(&inflight, 1);
  return false;
}

/* A SERVFAIL for msg into out (its header only), or 0. */
static size_t servfail(const uint8_t *msg, size_t len, uint8_t *out) {
  if (len < DNS_HEADER_LEN || (msg[2] & 0x80)) return 0;
  memcpy(out, msg, 2);
  out[2] = (uint8_t)(0x80 | (msg[2] & 0x79));
  out[3] = DNS_SERVFAIL;
  memset(out + 4, 0, 8);
  return DNS_HEADER_LEN;
}

/* ---- UDP ---- */

typedef struct {
  uint8_t msg[DNS_MSG_MAX];
  size_t len;
  struct sockaddr_storage peer;
  socklen_t peer_len;
} udp_forward;

static void *forward_udp(void *arg) {
  udp_forward *f = arg;
  uint8_t out[DNS_MSG_MAX];
  size_t n = dns_forward_query(f->msg, f->len, false, out, sizeof out);
  if (!n) n = servfail(f->msg, f->len, out);
  if (n) sendto(udp_fd, out, n, 0, (struct sockaddr *)&f->peer, f->peer_len);
  free(f);
  atomic_fetch_sub(&inflight, 1);
  return NULL;
}

static void start_forward(const uint8_t *msg, size_t len, const struct sockaddr_storage *peer, socklen_t plen) {
  uint8_t out[DNS_HEADER_LEN];
  udp_forward *f = take_slot() ? malloc(sizeof *f) : NULL;
  pthread_t t;
  if (f) {
    memcpy(f->msg, msg, len);
    f->len = len;
    f->peer = *peer;
    f->peer_len = plen;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, forward_udp, f);
    pthread_attr_destroy(&attr);
    if (!rc) return;
    free(f);
    atomic_fetch_sub(&inflight, 1);
  }
  size_t n = servfail(msg, len, out);
  if (n) sendto(udp_fd, out, n, 0, (const struct sockaddr *)peer, plen);
}

static void *udp_loop(void *arg) {
  static uint8_t in[DNS_MSG_MAX], out[DNS_MSG_MAX]; /* only this thread uses them */
  while (!atomic_load(&stopping)) {
    struct pollfd p = {udp_fd, POLLIN, 0};
    if (poll(&p, 1, POLL_MS) <= 0) continue;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    ssize_t r = recvfrom(udp_fd, in, sizeof in, MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
    if (r <= 0) continue;
    bool outside;
    size_t n = respond(in, (size_t)r, false, out, sizeof out, &outside);
    if (outside && forwarding) start_forward(in, (size_t)r, &peer, plen);
    else if (n) sendto(udp_fd, out, n, 0, (struct sockaddr *)&peer, plen);
  }
  return NULL;
}

/* ---- TCP ---- */

static bool read_full(int fd, uint8_t *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
    got += (size_t)r;
  }
  return true;
}

static bool write_msg(int fd, const uint8_t *msg, size_t n) {
  uint8_t len[2] = {(uint8_t)(n >> 8), (uint8_t)n};
  return send(fd, len, 2, MSG_NOSIGNAL | MSG_MORE) == 2 && send(fd, msg, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* Registers (fd >= 0) or forgets a connection, so that stop can cut it. */
static void track(int fd, bool add) {
  pthread_mutex_lock(&conns_mu);
  for (int i = 0; i < MAX_INFLIGHT; i++)
    if (conns[i] == (add ? -1 : fd)) {
      conns[i] = add ? fd : -1;
      break;
    }
  pthread_mutex_unlock(&conns_mu);
}

static void *tcp_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  uint8_t *in = malloc(DNS_MSG_MAX), *out = malloc(DNS_MSG_MAX);
  struct timeval tv = {TCP_IDLE_SECONDS, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  uint8_t hdr[2];
  while (in && out && !atomic_load(&stopping) && read_full(fd, hdr, 2)) {
    size_t len = (size_t)hdr[0] << 8 | hdr[1];
    if (!read_full(fd, in, len)) break;
    bool outside;
    size_t n = respond(in, len, true, out, DNS_MSG_MAX, &outside);
    if (outside && forwarding) n = dns_forward_query(in, len, true, out, DNS_MSG_MAX) ?: servfail(in, len, out);
    if (!n || !write_msg(fd, out, n)) break;
  }
  free(in);
  free(out);
  track(fd, false);
  close(fd);
  atomic_fetch_sub(&inflight, 1);
  return NULL;
}

static void *tcp_loop(void *arg) {
  while (!atomic_load(&stopping)) {
    struct pollfd p = {tcp_fd, POLLIN, 0};
    if (poll(&p, 1, POLL_MS) <= 0) continue;
    int fd = accept4(tcp_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!take_slot()) {
      close(fd);
    } else {
      track(fd, true);
      if (pthread_create(&t, &attr, tcp_conn, (void *)(intptr_t)fd)) track(fd, false), close(fd), atomic_fetch_sub(&inflight, 1);
    }
    pthread_attr_destroy(&attr);
  }
  return NULL;
}

static int open_socket(const struct sockaddr_storage *ss, unsigned len, int type, char *err, size_t errlen) {
  int fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (const struct sockaddr *)ss, len) != 0 || (type == SOCK_STREAM && listen(fd, 64) != 0)) {
    snprintf(err, errlen, "cannot listen on %s (%s): %s", type == SOCK_STREAM ? "TCP" : "UDP",
             ss->ss_family == AF_INET ? "IPv4" : "IPv6", strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

int dns_server_start(const char *addr, bool forward, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  unsigned len;
  if (dns_parse_addr(addr, &ss, &len) != 0) {
    snprintf(err, errlen, "--dns-listen wants ADDR:PORT with a numeric address, got %s", addr ? addr : "nothing");
    return -1;
  }
  udp_fd = open_socket(&ss, len, SOCK_DGRAM, err, errlen);
  if (udp_fd < 0) return -1;
  tcp_fd = open_socket(&ss, len, SOCK_STREAM, err, errlen);
  if (tcp_fd < 0) {
    close(udp_fd);
    udp_fd = -1;
    return -1;
  }
  forwarding = forward;
  for (int i = 0; i < MAX_INFLIGHT; i++) conns[i] = -1;
  atomic_store(&stopping, false);
  pthread_create(&udp_thread, NULL, udp_loop, NULL);
  pthread_create(&tcp_thread, NULL, tcp_loop, NULL);
  return 0;
}

void dns_server_stop(void) {
  if (udp_fd < 0) return;
  atomic_store(&stopping, true);
  pthread_join(udp_thread, NULL);
  pthread_join(tcp_thread, NULL);
  pthread_mutex_lock(&conns_mu);
  for (int i = 0; i < MAX_INFLIGHT; i++)
    if (conns[i] >= 0) shutdown(conns[i], SHUT_RDWR);
  pthread_mutex_unlock(&conns_mu);
  /* forwards end within their upstream deadline */
  for (int i = 0; i < 40 && atomic_load(&inflight) > 0; i++) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  close(udp_fd);
  close(tcp_fd);
  udp_fd = tcp_fd = -1;
  dns_server_swap(NULL);
}
