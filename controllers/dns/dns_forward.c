/* dns_forward.c - see dns_forward.h. The upstream list is read once at
 * start. A UDP exchange waits for a datagram whose ID matches the
 * query's from the socket connected to that upstream (others are
 * ignored); over TCP the reply is the first framed message. Three seconds
 * in all, whatever the number of upstreams. */
#include "dns_forward.h"
#include "dns_server.h"
#include "log.h"
#include "timestamp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_UPSTREAMS 3
#define DEADLINE_MS 3000
#define DNS_FORWARD_MIN 12 /* a header at least */

static struct sockaddr_storage upstreams[MAX_UPSTREAMS];
static unsigned upstream_len[MAX_UPSTREAMS];
static int n_upstreams;

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return false;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
}

static void add_upstream(const char *addr, const struct sockaddr_storage *self) {
  if (n_upstreams >= MAX_UPSTREAMS) return;
  struct sockaddr_storage ss;
  unsigned len;
  if (dns_parse_addr(addr, &ss, &len) != 0) return;
  if (self && same_addr(&ss, self)) return; /* never to ourselves: a loop */
  upstreams[n_upstreams] = ss;
  upstream_len[n_upstreams++] = len;
}

int dns_forward_init(const char *spec, const char *self) {
  n_upstreams = 0;
  struct sockaddr_storage me;
  unsigned mlen;
  bool have_self = self && dns_parse_addr(self, &me, &mlen) == 0;
  if (spec && *spec) {
    add_upstream(spec, have_self ? &me : NULL);
    return n_upstreams;
  }
  FILE *f = fopen("/etc/resolv.conf", "r");
  char line[512], ip[256], addr[300];
  while (f && fgets(line, sizeof line, f)) {
    if (sscanf(line, "nameserver %255s", ip) != 1) continue;
    snprintf(addr, sizeof addr, strchr(ip, ':') ? "[%s]:53" : "%s:53", ip);
    add_upstream(addr, have_self ? &me : NULL);
  }
  if (f) fclose(f);
  return n_upstreams;
}

/* Waits for fd to be readable until deadline; false on timeout. */
static bool wait_readable(int fd, long deadline) {
  long left = deadline - mono_ms();
  struct pollfd p = {fd, POLLIN, 0};
  return left > 0 && poll(&p, 1, (int)left) == 1;
}

static bool read_full(int fd, uint8_t *buf, size_t n, long deadline) {
  for (size_t got = 0; got < n;) {
    if (!wait_readable(fd, deadline)) return false;
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) return false;
    got += (size_t)r;
  }
  return true;
}

static size_t exchange(int i, const uint8_t *msg, size_t len, bool tcp, uint8_t *out, size_t cap, long deadline) {
  int fd = socket(upstreams[i].ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  size_t n = 0;
  if (fd < 0) return 0;
  struct timeval tv = {DEADLINE_MS / 1000, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&upstreams[i], upstream_len[i]) != 0) goto out;
  if (tcp) {
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    if (send(fd, hdr, 2, MSG_NOSIGNAL | MSG_MORE) != 2 || send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len) goto out;
    if (!read_full(fd, hdr, 2, deadline)) goto out;
    size_t want = (size_t)hdr[0] << 8 | hdr[1];
    if (want <= cap && read_full(fd, out, want, deadline)) n = want;
    goto out;
  }
  if (send(fd, msg, len, 0) != (ssize_t)len) goto out;
  while (wait_readable(fd, deadline)) {
    ssize_t r = recv(fd, out, cap, 0);
    if (r >= DNS_FORWARD_MIN && !memcmp(out, msg, 2)) {
      n = (size_t)r;
      break;
    }
  }
out:
  close(fd);
  return n;
}

size_t dns_forward_query(const uint8_t *msg, size_t len, bool tcp, uint8_t *out, size_t cap) {
  long deadline = mono_ms() + DEADLINE_MS;
  for (int i = 0; i < n_upstreams && mono_ms() < deadline; i++) {
    long mine = mono_ms() + (deadline - mono_ms()) / (n_upstreams - i);
    size_t n = exchange(i, msg, len, tcp, out, cap, mine);
    if (n) return n;
  }
  return 0;
}
