/* tunnel_exec.c - exec requests from the tunnel: the command runs in the
 * container's namespaces (ipc, uts, net, pid, mnt of the process in the
 * runtime's pid file; entering them needs root, without it the command runs
 * beside the container) with the container's environment and working
 * directory, on pipes or, with tty, a pseudo-terminal. stdout/stderr go to
 * the server as channel 1/2 POSTs; a thread fetches stdin and resizes from
 * the server. The exit code ends the answer; a client that left (410, or
 * "gone") kills the command's process group. */
#include "tunnel_internal.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  answer *a;
  int in_fd, tty_fd;
  pid_t child;
  atomic_bool done;
} exec_io;

/* NUL-separated /proc/PID/environ -> a NULL-terminated array (malloc'd, one block). */
static char **container_env(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  FILE *f = fopen(path, "rb");
  char *buf = malloc(1 << 16);
  size_t n = f ? fread(buf, 1, (1 << 16) - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += buf[i] == 0;
  char **env = malloc((count + 2) * sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i += strlen(buf + i) + 1) env[k++] = buf + i;
  if (!k) env[k++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  env[k] = NULL;
  return env;
}

/* The child: enter the namespaces, then run the command in a grandchild (the
 * pid namespace applies to children) and exit with its status. */
static void run_child(pid_t target, char **argv, int in, int out, int err, bool tty) {
  setsid(); /* the agent kills this process group when the client goes */
  char **env = container_env(target);
  char cwd[1024] = "/", link[64];
  snprintf(link, sizeof link, "/proc/%d/cwd", (int)target);
  ssize_t n = readlink(link, cwd, sizeof cwd - 1);
  cwd[n > 0 ? n : 1] = 0;
  char root[1024] = "";
  snprintf(link, sizeof link, "/proc/%d/root", (int)target);
  int rootfd = open(link, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* a container in its own root: exec there too */
  ssize_t rn = readlink(link, root, sizeof root - 1);
  root[rn > 0 ? rn : 0] = 0;
  static const char *const kinds[] = {"ipc", "uts", "net", "pid", "mnt"};
  for (int i = 0; i < 5; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)target, kinds[i]);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) setns(fd, 0); /* EPERM without root: stay in the node's namespace */
    if (fd >= 0) close(fd);
  }
  size_t rl = strlen(root);
  if (rootfd >= 0 && rl > 1 && !fchdir(rootfd) && !chroot(".")) { /* cwd as the container sees it */
    char inside[1024];
    snprintf(inside, sizeof inside, "%s", !strncmp(cwd, root, rl) && cwd[rl] == '/' ? cwd + rl : "/");
    snprintf(cwd, sizeof cwd, "%s", inside);
  }
  if (chdir(cwd) != 0 && chdir("/") != 0) {
  }
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  for (int fd = 3; fd < 1024; fd++) close(fd);
  pid_t g = fork();
  if (g == 0) {
    /* a terminal's session and foreground group must live in the container's pid namespace, or a shell
     * cannot take the terminal ("Cannot set tty process group"); closing the master hangs it up */
    if (tty && setsid() >= 0) ioctl(0, TIOCSCTTY, 0);
    execvpe(argv[0], argv, env);
    fprintf(stderr, "OCI runtime exec failed: exec failed: exec: \"%s\": executable file not found in $PATH: unknown\n",
            argv[0]);
    _exit(126);
  }
  int status = 0;
  while (g > 0 && waitpid(g, &status, 0) < 0 && errno == EINTR) {
  }
  _exit(g < 0 ? 126 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void resize(int fd, const char *json) {
  json_t *j = json_loads(json, 0, NULL);
  struct winsize ws = {(unsigned short)json_integer_value(json_object_get(j, "Height")),
                       (unsigned short)json_integer_value(json_object_get(j, "Width")), 0, 0};
  json_decref(j);
  if (fd >= 0 && ws.ws_row && ws.ws_col) ioctl(fd, TIOCSWINSZ, &ws);
}

static void on_input(void *ctx, int channel, const char *data, size_t len) {
  exec_io *io = ctx;
  if (channel == 4) resize(io->tty_fd, data);
  else if (io->in_fd >= 0 && write(io->in_fd, data, len) < 0) {
  }
}

static void on_input_closed(void *ctx) {
  exec_io *io = ctx;
  if (io->in_fd >= 0 && io->tty_fd < 0) {
    close(io->in_fd);
    io->in_fd = -1;
  }
}

/* Fetches stdin and resizes until the command ends or the client leaves (then kills it). */
static void *input_loop(void *arg) {
  exec_io *io = arg;
  if (tunnel_fetch_input(io->a, &io->done, on_input, on_input_closed, io)) kill(-io->child, SIGKILL);
  return NULL;
}

/* A live process (not a zombie). */
static bool running(int pid) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
  if (f) fclose(f);
  stat[n] = 0;
  const char *paren = strrchr(stat, ')');
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

void tunnel_exec(answer *a) {
  const json_t *r = a->req;
  const json_t *cmd = json_object_get(r, "command");
  char pidfile[1300], msg[600];
  snprintf(pidfile, sizeof pidfile, "%s/pods/%s/containers/%s/pid", a->o->data_dir, jstr(r, "podUID"),
           jstr(r, "container"));
  FILE *f = strchr(jstr(r, "podUID"), '/') || strchr(jstr(r, "container"), '/') ? NULL : fopen(pidfile, "r");
  int target = 0;
  if (f && fscanf(f, "%d", &target) != 1) target = 0;
  if (f) fclose(f);
  if (target <= 0 || !running(target)) {
    snprintf(msg, sizeof msg, "container not found (\"%s\")", jstr(r, "container"));
    tunnel_post(a, 400, msg, NULL, 0, true);
    return;
  }
  if (!json_array_size(cmd)) {
    tunnel_post(a, 400, "you must specify at least one command for the container", NULL, 0, true);
    return;
  }
  char **argv = calloc(json_array_size(cmd) + 1, sizeof *argv);
  for (size_t i = 0; i < json_array_size(cmd); i++) argv[i] = (char *)json_string_value(json_array_get(cmd, i));
  bool tty = json_is_true(json_object_get(r, "tty")), want_in = json_is_true(json_object_get(r, "stdin"));
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, master = -1, slave = -1;
  if (tty ? openpty(&master, &slave, NULL, NULL, NULL) != 0
          : pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    tunnel_post(a, 500, "cannot create the command's pipes", NULL, 0, true);
    free(argv);
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    if (tty) run_child(target, argv, slave, slave, slave, true);
    else run_child(target, argv, in[0], out[1], err[1], false);
  }
  free(argv);
  exec_io io = {a, tty ? master : in[1], tty ? master : -1, child, false};
  if (tty) close(slave);
  else close(in[0]), close(out[1]), close(err[1]);
  if (!want_in && !tty) close(in[1]), io.in_fd = -1;
  tunnel_post(a, 200, NULL, NULL, 0, false);
  pthread_t input;
  bool input_started = pthread_create(&input, NULL, input_loop, &io) == 0;
  struct pollfd fds[2] = {{tty ? master : out[0], POLLIN, 0}, {tty ? -1 : err[0], POLLIN, 0}};
  int open_fds = tty ? 1 : 2;
  char buf[32768];
  while (open_fds > 0 && !a->gone) {
    if (poll(fds, 2, 1000) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) { /* EOF (EIO on a pty whose last writer closed) */
        fds[i].fd = -1;
        open_fds--;
        continue;
      }
      a->channel = i + 1;
      if (!tunnel_post(a, 200, NULL, buf, (size_t)n, false)) kill(-child, SIGKILL);
    }
  }
  if (a->gone) kill(-child, SIGKILL);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  atomic_store(&io.done, true);
  a->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  a->channel = 1;
  if (!a->gone) tunnel_post(a, 200, NULL, NULL, 0, true);
  if (input_started) pthread_join(input, NULL);
  if (tty) close(master);
  else {
    close(out[0]);
    close(err[0]);
    if (io.in_fd >= 0) close(io.in_fd);
  }
}
