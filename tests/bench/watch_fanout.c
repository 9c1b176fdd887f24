/* watch_fanout.c - the watch fan-out benchmark's client, the same for any
 * Kubernetes API server (ckube or kube-apiserver), loopback only:
 *
 *   watch-fanout HOST PORT TOKEN PREFIX NAMESPACES WATCHES RATE SECONDS PID [CMD]
 *
 * opens WATCHES watches, each its own HTTPS connection, spread over the
 * namespaces PREFIX-0 .. PREFIX-(NAMESPACES-1) (made here) and over two
 * resources (ConfigMaps and Pods); reports the server's RSS per idle watch
 * (PID: the server's process), the time of a GET with all of them open, runs
 * CMD (a shell command: the API load measured with the watches open) while
 * the watches stay read, then creates ConfigMaps at RATE per second for
 * SECONDS from 8 writer connections, each named after its send time
 * (lat-MICROSECONDS-N), and measures write-to-event latency on every watch
 * that receives it. Prints TSV rows: measure, value, unit. Every phase is
 * bounded in time (opening: 10 minutes; each connection's I/O: 30 s;
 * delivery after the writes: 30 s). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WRITERS 8
#define OPENERS 16
#define MARK "\"name\":\"lat-"
#define CARRY 64

typedef struct watch {
  SSL *ssl;
  int fd, ns;
  bool configmaps;
  char carry[CARRY];
  int carry_len;
} watch;

static const char *host, *token, *prefix;
static int port, nspaces, nwatches;
static SSL_CTX *ctx;
static watch *watches;
static atomic_int opened, open_failed, next_open;
static atomic_bool stop_reading;
static long long open_deadline; /* no watch is opened after this (10 minutes from the start) */
static uint32_t *lat_us; /* one per delivered event */
static atomic_size_t nlat;
static size_t lat_cap;
static atomic_long writes_ok, writes_failed;
static int *cm_watchers;      /* ConfigMap watches per namespace */
static atomic_long expected; /* events the acknowledged writes should bring */

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void row(const char *measure, const char *value, const char *unit) {
  printf("%s\t%s\t%s\n", measure, value, unit);
  fflush(stdout);
}

static long rss_kb(const char *pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%s/status", pid);
  FILE *f = fopen(path, "r");
  long kb = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
  fclose(f);
  return kb;
}

/* A blocking TLS connection to the server, or NULL. */
static SSL *dial(int *fd_out) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  struct timeval tv = {.tv_sec = 30};
  inet_pton(AF_INET, host, &a.sin_addr);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return NULL;
  }
  SSL *s = SSL_new(ctx);
  SSL_set_fd(s, fd);
  if (SSL_connect(s) != 1) {
    SSL_free(s);
    close(fd);
    return NULL;
  }
  *fd_out = fd;
  return s;
}

/* Writes a request and reads the response head; returns the status code
 * (0 on failure). The body is read when it has a Content-Length. */
static int request(SSL *s, const char *method, const char *path, const char *body, bool read_body) {
  char req[1024], head[8192];
  size_t blen = body ? strlen(body) : 0;
  int n = snprintf(req, sizeof req,
                   "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   method, path, host, token, blen, body ? body : "");
  if (SSL_write(s, req, n) != n) return 0;
  size_t have = 0;
  char *end = NULL;
  while (!end) {
    if (have == sizeof head - 1) return 0;
    int r = SSL_read(s, head + have, (int)(sizeof head - 1 - have));
    if (r <= 0) return 0;
    have += (size_t)r;
    head[have] = 0;
    end = strstr(head, "\r\n\r\n");
  }
  int status = atoi(head + 9);
  if (read_body) {
    char *cl = strcasestr(head, "\r\nContent-Length:");
    long left = cl && cl < end ? atol(cl + 17) : 0;
    left -= (long)(have - (size_t)(end + 4 - head));
    char sink[16384];
    while (left > 0) {
      int r = SSL_read(s, sink, left < (long)sizeof sink ? (int)left : (int)sizeof sink);
      if (r <= 0) return 0;
      left -= r;
    }
  }
  return status;
}

static void *opener(void *arg) {
  (void)arg;
  for (int i; (i = atomic_fetch_add(&next_open, 1)) < nwatches && now_us() < open_deadline;) {
    watch *w = &watches[i];
    char path[256];
    w->ns = i % nspaces;
    w->configmaps = (i / nspaces) % 2 == 0;
    snprintf(path, sizeof path, "/api/v1/namespaces/%s-%d/%s?watch=1&timeoutSeconds=1800", prefix, w->ns,
             w->configmaps ? "configmaps" : "pods");
    w->ssl = dial(&w->fd);
    if (!w->ssl || request(w->ssl, "GET", path, NULL, false) != 200) {
      if (w->ssl) SSL_free(w->ssl), close(w->fd);
      w->ssl = NULL;
      atomic_fetch_add(&open_failed, 1);
      continue;
    }
    atomic_fetch_add(&opened, 1);
  }
  return NULL;
}

/* Scans new bytes of one watch for event markers; keeps the tail that may
 * hold the start of a marker split across reads. */
static void scan(watch *w, const char *data, size_t n, long long now) {
  char buf[CARRY + 16384];
  memcpy(buf, w->carry, (size_t)w->carry_len);
  memcpy(buf + w->carry_len, data, n);
  size_t len = (size_t)w->carry_len + n, pos = 0;
  buf[len] = 0;
  for (char *m; (m = memmem(buf + pos, len - pos, MARK, sizeof MARK - 1));) {
    char *num = m + sizeof MARK - 1, *e;
    long long sent = strtoll(num, &e, 10);
    if (e == buf + len) break; /* the number goes on in the next read */
    pos = (size_t)(e - buf);
    size_t k = atomic_fetch_add(&nlat, 1);
    if (k < lat_cap) lat_us[k] = (uint32_t)(now - sent);
  }
  size_t keep = len - pos < CARRY - 1 ? len - pos : CARRY - 1;
  memcpy(w->carry, buf + len - keep, keep);
  w->carry_len = (int)keep;
}

static void *reader(void *arg) {
  int ep = *(int *)arg;
  struct epoll_event evs[256];
  char data[16384];
  while (!atomic_load(&stop_reading)) {
    int n = epoll_wait(ep, evs, 256, 200);
    long long now = now_us();
    for (int i = 0; i < n; i++) {
      watch *w = evs[i].data.ptr;
      for (;;) {
        int r = SSL_read(w->ssl, data, sizeof data);
        if (r > 0) {
          scan(w, data, (size_t)r, now);
          continue;
        }
        int err = SSL_get_error(w->ssl, r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          epoll_ctl(ep, EPOLL_CTL_DEL, w->fd, NULL);
          atomic_fetch_sub(&opened, 1);
        }
        break;
      }
    }
  }
  return NULL;
}

typedef struct writer_arg {
  int k;
  double rate;
  long long start, until;
} writer_arg;

static void *writer(void *arg) {
  writer_arg *a = arg;
  int fd;
  SSL *s = dial(&fd);
  for (long i = 0; s; i++) {
    long long due = a->start + (long long)((double)i * 1e6 / a->rate);
    if (due >= a->until) break;
    long long wait = due - now_us();
    if (wait > 0) usleep((useconds_t)wait);
    int ns = (int)((i * WRITERS + a->k) % nspaces);
    char path[256], body[256];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s-%d/configmaps", prefix, ns);
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"lat-%lld-%d-%ld\"},\"data\":{\"k\":\"v\"}}", now_us(),
             a->k, i);
    if (request(s, "POST", path, body, true) == 201) {
      atomic_fetch_add(&writes_ok, 1);
      atomic_fetch_add(&expected, cm_watchers[ns]);
    } else {
      atomic_fetch_add(&writes_failed, 1);
      SSL_free(s), close(fd);
      s = dial(&fd);
    }
  }
  if (s) SSL_free(s), close(fd);
  return NULL;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 10) {
    fprintf(stderr, "usage: %s HOST PORT TOKEN PREFIX NAMESPACES WATCHES RATE SECONDS PID [CMD]\n", argv[0]);
    return 2;
  }
  host = argv[1], port = atoi(argv[2]), token = argv[3], prefix = argv[4];
  nspaces = atoi(argv[5]), nwatches = atoi(argv[6]);
  double rate = atof(argv[7]);
  int seconds = atoi(argv[8]);
  const char *pid = argv[9], *cmd = argc > 10 ? argv[10] : NULL;
  if (nspaces < 1 || nwatches < 1 || rate <= 0 || seconds < 1) return 2;
  ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  watches = calloc((size_t)nwatches, sizeof *watches);
  cm_watchers = calloc((size_t)nspaces, sizeof *cm_watchers);

  int fd;
  SSL *s = dial(&fd);
  if (!s) {
    fprintf(stderr, "cannot connect to %s:%d\n", host, port);
    return 1;
  }
  char path[256], body[256], v[128];
  for (int i = 0; i < nspaces; i++) {
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s-%d\"}}", prefix, i);
    request(s, "POST", "/api/v1/namespaces", body, true);
  }
  sleep(1); /* the namespaces' ServiceAccounts and ConfigMaps settle before the baseline */
  long before = rss_kb(pid);
  long long t0 = now_us();
  open_deadline = t0 + 600 * 1000000LL;
  pthread_t th[OPENERS];
  for (int i = 0; i < OPENERS; i++) pthread_create(&th[i], NULL, opener, NULL);
  for (int i = 0; i < OPENERS; i++) pthread_join(th[i], NULL);
  snprintf(v, sizeof v, "%d", atomic_load(&opened));
  snprintf(path, sizeof path, "of %d (%d failed), opened in %.1f s", nwatches, atomic_load(&open_failed),
           (double)(now_us() - t0) / 1e6);
  row("watches open", v, path);
  for (int i = 0; i < nwatches; i++)
    if (watches[i].ssl && watches[i].configmaps) cm_watchers[watches[i].ns]++;

  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < nwatches; i++) {
    watch *w = &watches[i];
    if (!w->ssl) continue;
    fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = w};
    epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &e);
  }
  int most = 0;
  for (int i = 0; i < nspaces; i++) most = cm_watchers[i] > most ? cm_watchers[i] : most;
  lat_cap = (size_t)(rate * seconds * 1.1 + 100) * (size_t)(most ? most : 1);
  lat_us = malloc(lat_cap * sizeof *lat_us);
  pthread_t rd;
  pthread_create(&rd, NULL, reader, &ep);

  sleep(3);
  long after = rss_kb(pid);
  if (before && after) {
    snprintf(v, sizeof v, "%.1f", (double)(after - before) / (atomic_load(&opened) ? atomic_load(&opened) : 1));
    snprintf(path, sizeof path, "KiB (RSS %ld -> %ld MiB)", before / 1024, after / 1024);
    row("server RSS per idle watch", v, path);
  }
  long long t = now_us();
  int st = request(s, "GET", "/api/v1/namespaces", NULL, true);
  snprintf(v, sizeof v, "%.1f", (double)(now_us() - t) / 1000);
  snprintf(path, sizeof path, "ms (status %d)", st);
  row("GET /api/v1/namespaces with the watches open", v, path);
  if (cmd && system(cmd) != 0) fprintf(stderr, "the command during the watches failed\n");

  writer_arg wa[WRITERS];
  pthread_t wt[WRITERS];
  long long start = now_us() + 100000;
  for (int k = 0; k < WRITERS; k++) {
    wa[k] = (writer_arg){k, rate / WRITERS, start + (long long)(k * 1e6 / rate), start + seconds * 1000000LL};
    pthread_create(&wt[k], NULL, writer, &wa[k]);
  }
  for (int k = 0; k < WRITERS; k++) pthread_join(wt[k], NULL);
  double took = (double)(now_us() - start) / 1e6;
  long long end = now_us() + 30000000;
  while (atomic_load(&nlat) < (size_t)atomic_load(&expected) && now_us() < end) usleep(100000);
  atomic_store(&stop_reading, true);
  pthread_join(rd, NULL);

  snprintf(v, sizeof v, "%.0f", (double)atomic_load(&writes_ok) / took);
  snprintf(path, sizeof path, "creates/s (%ld acknowledged, %ld failed, asked %.0f/s for %d s)",
           atomic_load(&writes_ok), atomic_load(&writes_failed), rate, seconds);
  row("write rate", v, path);
  size_t n = atomic_load(&nlat) < lat_cap ? atomic_load(&nlat) : lat_cap;
  qsort(lat_us, n, sizeof *lat_us, cmp_u32);
  snprintf(v, sizeof v, "%zu/%ld", atomic_load(&nlat), atomic_load(&expected));
  snprintf(path, sizeof path, "events (%d watches still open)", atomic_load(&opened));
  row("events delivered", v, path);
  if (n) {
    snprintf(v, sizeof v, "%.1f / %.1f / %.1f", lat_us[n / 2] / 1000.0, lat_us[n * 99 / 100] / 1000.0,
             lat_us[n - 1] / 1000.0);
    row("write-to-event p50 / p99 / max", v, "ms");
  }
  return 0;
}
