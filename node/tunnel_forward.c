/* tunnel_forward.c - port-forward requests from the tunnel: one TCP
 * connection to the pod's IP (its own network namespace's address on
 * loopback, reachable from the node's namespace; from DIR/pods/<uid>/
 * pod.json, else the podIP the server sent) and the requested port. The
 * pod's bytes go to the server as channel 1 POSTs; a thread writes the
 * client's bytes to the socket and half-closes it when the client closed
 * its side. The answer ends when the pod closes, or the client leaves. A
 * refused connection answers with containerd's words for it. A request
 * with "tls" goes on in tunnel_tls.c once connected. */
#include "tunnel_internal.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  answer *a;
  int fd;
  atomic_bool done;
} forward_io;

/* The pod's IP as the runtime recorded it, else the server's. */
static void pod_ip(const answer *a, char *ip, size_t len) {
  snprintf(ip, len, "%s", jstr(a->req, "podIP"));
  const char *uid = jstr(a->req, "podUID");
  if (!*uid || strchr(uid, '/')) return;
  char path[1200];
  snprintf(path, sizeof path, "%s/pods/%s/pod.json", a->o->data_dir, uid);
  json_t *pod = json_load_file(path, 0, NULL);
  if (*jstr(pod, "ip")) snprintf(ip, len, "%s", jstr(pod, "ip"));
  json_decref(pod);
}

static void on_data(void *ctx, int channel, const char *data, size_t len) {
  forward_io *io = ctx;
  while (channel == 0 && len > 0) {
    ssize_t n = send(io->fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data += n, len -= (size_t)n;
  }
}

static void on_closed(void *ctx) { shutdown(((forward_io *)ctx)->fd, SHUT_WR); }

static void *input_loop(void *arg) {
  forward_io *io = arg;
  if (tunnel_fetch_input(io->a, &io->done, on_data, on_closed, io)) shutdown(io->fd, SHUT_RDWR);
  return NULL;
}

void tunnel_forward(answer *a) {
  char ip[64], msg[600];
  pod_ip(a, ip, sizeof ip);
  json_int_t port = json_integer_value(json_object_get(a->req, "port"));
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
    snprintf(msg, sizeof msg, "pod %s has no IP address to forward port %lld to", jstr(a->req, "pod"),
             (long long)port);
    tunnel_post(a, 400, msg, NULL, 0, true);
    return;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    char reason[128];
    snprintf(reason, sizeof reason, "%s", strerror(errno));
    reason[0] = (char)tolower((unsigned char)reason[0]);
    snprintf(msg, sizeof msg,
             "failed to connect to localhost:%lld inside namespace \"%s\", IPv4: dial tcp4 %s:%lld: connect: %s",
             (long long)port, jstr(a->req, "pod"), ip, (long long)port, reason);
    tunnel_post(a, 500, msg, NULL, 0, true);
    if (fd >= 0) close(fd);
    return;
  }
  if (json_is_true(json_object_get(a->req, "tls"))) { /* the proxy's https scheme */
    tunnel_forward_tls(a, fd);
    close(fd);
    return;
  }
  forward_io io = {a, fd, false};
  tunnel_post(a, 200, NULL, NULL, 0, false);
  pthread_t input;
  bool input_started = pthread_create(&input, NULL, input_loop, &io) == 0;
  char buf[32768];
  while (!a->gone) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 1000) < 0 && errno != EINTR) break;
    if (!p.revents) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    a->channel = 1;
    tunnel_post(a, 200, NULL, buf, (size_t)n, false);
  }
  atomic_store(&io.done, true);
  if (!a->gone) tunnel_post(a, 200, NULL, NULL, 0, true);
  shutdown(fd, SHUT_RDWR);
  if (input_started) pthread_join(input, NULL);
  close(fd);
}
