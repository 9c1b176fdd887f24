/* tunnel_attach.c - attach requests from the tunnel: the container's
 * output from now on (its log followed from the end, stdout and stderr on
 * their own channels) until it stops, and, when the client sends stdin and
 * the container has spec.stdin, the client's bytes written into the
 * container's stdin FIFO (runtime_proc.h). The client closing its stdin
 * leaves the container's open, as kubelet does without stdinOnce. A tty
 * container's FIFO feeds its terminal (runtime_proc.h); resizes are set on
 * that terminal through the container's fd 0. */
#include "tunnel_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

typedef struct {
  answer *a;
  int fd;
  atomic_bool done;
} attach_io;

/* {"Width","Height"} onto the container's terminal (its fd 0), if it has one. */
static void resize(const answer *a, const char *json) {
  char path[1300];
  snprintf(path, sizeof path, "%s/pods/%s/containers/%s/pid", a->o->data_dir, jstr(a->req, "podUID"),
           jstr(a->req, "container"));
  FILE *f = fopen(path, "r");
  int pid = 0;
  if (f && fscanf(f, "%d", &pid) != 1) pid = 0;
  if (f) fclose(f);
  json_t *j = json_loads(json, 0, NULL);
  struct winsize ws = {(unsigned short)json_integer_value(json_object_get(j, "Height")),
                       (unsigned short)json_integer_value(json_object_get(j, "Width")), 0, 0};
  json_decref(j);
  snprintf(path, sizeof path, "/proc/%d/fd/0", pid);
  int fd = pid > 0 && ws.ws_row && ws.ws_col ? open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) : -1;
  if (fd >= 0 && isatty(fd)) ioctl(fd, TIOCSWINSZ, &ws);
  if (fd >= 0) close(fd);
}

static void on_input(void *ctx, int channel, const char *data, size_t len) {
  attach_io *io = ctx;
  if (channel == 4) resize(io->a, data);
  while (channel == 0 && len > 0) {
    ssize_t n = write(io->fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data += n, len -= (size_t)n;
  }
}

static void on_closed(void *ctx) { (void)ctx; }

static void *input_loop(void *arg) {
  attach_io *io = arg;
  tunnel_fetch_input(io->a, &io->done, on_input, on_closed, io);
  return NULL;
}

/* The container's stdin FIFO for writing (blocking writes), or -1. */
static int open_stdin(const answer *a) {
  const char *uid = jstr(a->req, "podUID"), *cname = jstr(a->req, "container");
  if (!*uid || strchr(uid, '/') || strchr(cname, '/')) return -1;
  char path[1300];
  snprintf(path, sizeof path, "%s/pods/%s/containers/%s/stdin", a->o->data_dir, uid, cname);
  int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC); /* ENXIO when no container holds it */
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

void tunnel_attach(answer *a) {
  json_object_set_new(a->req, "follow", json_true());
  json_object_set_new(a->req, "tailLines", json_integer(0));
  a->split_streams = true;
  attach_io io = {a, json_is_true(json_object_get(a->req, "stdin")) ? open_stdin(a) : -1, false};
  bool tty = json_is_true(json_object_get(a->req, "tty"));
  pthread_t input;
  bool input_started = (io.fd >= 0 || tty) && pthread_create(&input, NULL, input_loop, &io) == 0;
  tunnel_log(a);
  atomic_store(&io.done, true);
  if (input_started) pthread_join(input, NULL);
  if (io.fd >= 0) close(io.fd);
}
