/* runtime_proc.c - see runtime_proc.h. Everything the child needs is made
 * before fork (the agent is multi-threaded: between fork and exec the child
 * only makes system calls); an exec failure comes back on a close-on-exec
 * pipe. One detached thread per container run pumps its output into the
 * log until both pipes close. */
#include "runtime_proc.h"
#include "builtin_docroot.h"
#include "log.h"
#include "timestamp.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define LOG_LINE_MAX 16384 /* a longer line is split into P(artial) records, as containerd does */

int rt_mkdirs(const char *path, int mode) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, (mode_t)mode) && errno != EEXIST) return -1;
      *p = '/';
    }
  return mkdir(buf, (mode_t)mode) && errno != EEXIST ? -1 : 0;
}

void rt_remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    char sub[4096];
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      struct stat st;
      if (!lstat(sub, &st) && S_ISDIR(st.st_mode)) rt_remove_tree(sub);
      else unlink(sub);
    }
    closedir(d);
  }
  rmdir(path);
}

/* The PATH value of envp, or the runtime's default. */
static const char *env_path(char *const *envp) {
  for (char *const *e = envp; e && *e; e++)
    if (!strncmp(*e, "PATH=", 5)) return *e + 5;
  return DEFAULT_PATH;
}

/* The file to exec for name: an applet link, name itself when it has a
 * slash, else the first executable in path. */
static int resolve(const char *name, const char *applets, const char *path, char *out, size_t len) {
  const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
  if (applets && *base) {
    snprintf(out, len, "%s/%s", applets, base);
    if (!access(out, X_OK)) return 0;
  }
  if (strchr(name, '/')) {
    snprintf(out, len, "%s", name);
    return access(out, X_OK) ? -1 : 0;
  }
  char dirs[4096];
  snprintf(dirs, sizeof dirs, "%s", path);
  char *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    snprintf(out, len, "%s/%s", d, name);
    if (!access(out, X_OK)) return 0;
  }
  return -1;
}

typedef struct {
  int fd[2];
  FILE *log;
  int input, terminal; /* a tty container: its stdin FIFO, copied into the terminal's master (or -1) */
  pid_t pid;           /* the container whose output it logs */
} pump;

/* The containers whose log threads still run (rt_log_wait), guarded by pumps_mu; pumps_cv signals an end. */
static pthread_mutex_t pumps_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pumps_cv = PTHREAD_COND_INITIALIZER;
static pid_t *pumping;
static size_t npumping;

static void pumping_add(pid_t pid) {
  pthread_mutex_lock(&pumps_mu);
  pid_t *grown = realloc(pumping, (npumping + 1) * sizeof *pumping);
  if (grown) (pumping = grown)[npumping++] = pid;
  pthread_mutex_unlock(&pumps_mu);
}

static void pumping_remove(pid_t pid) {
  pthread_mutex_lock(&pumps_mu);
  for (size_t i = 0; i < npumping; i++)
    if (pumping[i] == pid) {
      pumping[i] = pumping[--npumping];
      break;
    }
  pthread_cond_broadcast(&pumps_cv);
  pthread_mutex_unlock(&pumps_mu);
}

static bool is_pumping(pid_t pid) {
  for (size_t i = 0; i < npumping; i++)
    if (pumping[i] == pid) return true;
  return false;
}

int rt_log_wait(pid_t pid, int timeout_ms) {
  struct timespec until = deadline_in_ms(CLOCK_REALTIME, timeout_ms);
  pthread_mutex_lock(&pumps_mu);
  int rc = 0;
  while (is_pumping(pid) && rc == 0) rc = pthread_cond_timedwait(&pumps_cv, &pumps_mu, &until);
  bool done = !is_pumping(pid);
  pthread_mutex_unlock(&pumps_mu);
  return done ? 0 : -1;
}

static void log_record(FILE *f, const char *stream, const char *text, size_t n, char tag) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[64];
  size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + w, sizeof when - w, ".%09ldZ", ts.tv_nsec);
  fprintf(f, "%s %s %c %.*s\n", when, stream, tag, (int)n, text);
}

static void *pump_main(void *arg) {
  pump *p = arg;
  static const char *const names[2] = {"stdout", "stderr"};
  char *buf[2] = {malloc(LOG_LINE_MAX), malloc(LOG_LINE_MAX)};
  size_t have[2] = {0, 0};
  int open_fds = (p->fd[0] >= 0) + (p->fd[1] >= 0);
  while (open_fds) {
    struct pollfd pf[3] = {{p->fd[0], POLLIN, 0}, {p->fd[1], POLLIN, 0}, {p->input, POLLIN, 0}};
    if (poll(pf, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pf[2].revents & POLLIN) { /* typed into an attached terminal */
      char in[4096];
      ssize_t n = read(p->input, in, sizeof in);
      if (n > 0 && write(p->terminal, in, (size_t)n) < 0) {
      }
    }
    for (int s = 0; s < 2; s++) {
      if (p->fd[s] < 0 || !(pf[s].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(p->fd[s], buf[s] + have[s], LOG_LINE_MAX - have[s]);
      if (r <= 0) {
        if (have[s]) log_record(p->log, names[s], buf[s], have[s], 'P'); /* no final newline */
        have[s] = 0;
        close(p->fd[s]);
        p->fd[s] = -1;
        pf[s].fd = -1;
        open_fds--;
        continue;
      }
      have[s] += (size_t)r;
      char *start = buf[s], *nl;
      while ((nl = memchr(start, '\n', have[s] - (size_t)(start - buf[s])))) {
        log_record(p->log, names[s], start, (size_t)(nl - start), 'F');
        start = nl + 1;
      }
      have[s] -= (size_t)(start - buf[s]);
      memmove(buf[s], start, have[s]);
      if (have[s] == LOG_LINE_MAX) {
        log_record(p->log, names[s], buf[s], have[s], 'P');
        have[s] = 0;
      }
    }
    fflush(p->log);
  }
  fclose(p->log);
  if (p->input >= 0) close(p->input);
  pumping_remove(p->pid);
  free(buf[0]);
  free(buf[1]);
  free(p);
  return NULL;
}

void rt_overlay_dirs(const char *root, int i, char *upper, char *work, size_t len) {
  snprintf(upper, len, "%s/.ck/u%d", root, i);
  snprintf(work, len, "%s/.ck/w%d", root, i);
}

/* readOnlyRootFilesystem: the tmpfs root and the host's top-level directories remounted read-only (a bind's
 * own mount only: volumes bound below stay as they are); /dev, /proc and /sys stay writable as in runc. -1 with errno. */
static int read_only_root(const rt_mount_plan *m) {
  char target[4096];
  for (int i = 0; i < m->ntops; i++) {
    if (m->top_links[i] || !strcmp(m->tops[i], "/dev") || !strcmp(m->tops[i], "/proc") || !strcmp(m->tops[i], "/sys"))
      continue;
    snprintf(target, sizeof target, "%s%s", m->root, m->tops[i]);
    unsigned long flags = MS_REMOUNT | MS_RDONLY | (m->top_overlay[i] ? 0 : MS_BIND);
    if (mount(NULL, target, NULL, flags, NULL)) return -1;
  }
  return mount(NULL, m->root, NULL, MS_REMOUNT | MS_RDONLY, "mode=0755");
}

/* In the child: the mount namespace of plan, chrooted; errno or 0. With
 * own_proc (a PID namespace of its own) /proc is a new proc mount, not the host's. */
static int enter_mounts(const rt_mount_plan *m, bool own_proc) {
  if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL)) return errno;
  if (mount("tmpfs", m->root, "tmpfs", 0, "mode=0755")) return errno;
  int dirfd = open(m->root, O_RDONLY | O_DIRECTORY);
  if (dirfd < 0) return errno;
  for (int i = 0; i < m->ntops; i++) {
    const char *name = m->tops[i] + 1;
    if (m->top_links[i]) {
      if (symlinkat(m->top_links[i], dirfd, name)) return errno;
      continue;
    }
    if (mkdirat(dirfd, name, 0755) && errno != EEXIST) return errno;
  }
  if (mkdirat(dirfd, ".ck", 0700) && errno != EEXIST) return errno;
  close(dirfd);
  char target[4096], upper[4200], work[4200];
  for (int i = 0; i < m->ntops; i++) {
    if (m->top_links[i]) continue;
    snprintf(target, sizeof target, "%s%s", m->root, m->tops[i]);
    if (m->top_overlay[i]) { /* its upper and work dirs, as rt_overlay_opts names them */
      rt_overlay_dirs(m->root, i, upper, work, sizeof upper);
      if ((mkdir(upper, 0755) && errno != EEXIST) || (mkdir(work, 0755) && errno != EEXIST)) return errno;
    }
    int rc = own_proc && !strcmp(m->tops[i], "/proc") ? mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
             : m->top_overlay[i] ? mount("overlay", target, "overlay", 0, m->overlay_opts[i])
                                 : mount(m->tops[i], target, NULL, MS_BIND | MS_REC, NULL);
    if (rc) return errno;
  }
  for (int i = 0; i < m->nmkdirs; i++) {
    const char *p = m->mkdirs[i];
    size_t len = strlen(p);
    if (len && p[len - 1] == '|') {
      char file[4096];
      snprintf(file, sizeof file, "%.*s", (int)len - 1, p);
      int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0) return errno;
      close(fd);
    } else if (mkdir(p, 0755) && errno != EEXIST) {
      return errno;
    }
  }
  for (int i = 0; i < m->nbinds; i++) {
    if (mount(m->binds[i].source, m->binds[i].target, NULL, MS_BIND | MS_REC, NULL)) return errno;
    if (m->binds[i].readonly &&
        mount(NULL, m->binds[i].target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL))
      return errno;
  }
  if (m->readonly_root && read_only_root(m)) return errno;
  if (chroot(m->root) || chdir("/")) return errno;
  return 0;
}

/* The child's side of a spawn: its own session, default signals, the
 * pod's UTS and network namespaces, stdio, working dir, exec. Reports an
 * errno on status_fd when it cannot exec. */
static void child(const rt_spawn_req *r, const char *exe, int in, int out, int errfd, int status_fd) {
  for (int i = 0; i < r->ncgroup_fds; i++) (void)!write(r->cgroup_fds[i], "0", 1); /* "0": the writer itself */
  setsid();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  if (r->hostname && !unshare(CLONE_NEWUTS)) sethostname(r->hostname, strlen(r->hostname));
  int e = 0;
  if (r->netns_fd >= 0 && setns(r->netns_fd, CLONE_NEWNET)) e = errno;
  if (!e && r->mounts) e = enter_mounts(r->mounts, r->new_pid_ns);
  if (!e && r->join_mnt_fd > 0 && (setns(r->join_mnt_fd, CLONE_NEWNS) || chroot(r->join_root) || chdir("/"))) e = errno;
  dup2(in, 0);
  dup2(out, 1);
  dup2(errfd, 2);
  if (r->tty && isatty(0)) ioctl(0, TIOCSCTTY, 0);
  if (!e && r->workdir && *r->workdir && chdir(r->workdir)) e = errno;
  if (!e && r->docroot) docroot_prepare(r->docroot, r->docroot_page); /* the server then finds it made */
  if (!e && r->identity) e = rt_identity_apply(r->identity);
  if (!e) execve(exe, r->argv, r->envp);
  if (!e) e = errno;
  (void)!write(status_fd, &e, sizeof e);
  _exit(127);
}

/* Waits for the child's exec (up to EXEC_WAIT_MS: a child stuck before it never holds the runner); 0, or -1
 * with err (the child killed and reaped). */
#define EXEC_WAIT_MS 20000
static int exec_result(const rt_spawn_req *r, pid_t pid, int status_rd, char *err, size_t errlen) {
  int child_errno = 0;
  struct pollfd pfd = {status_rd, POLLIN, 0};
  int ready;
  while ((ready = poll(&pfd, 1, EXEC_WAIT_MS)) < 0 && errno == EINTR) {
  }
  ssize_t got = ready > 0 ? read(status_rd, &child_errno, sizeof child_errno) : -1;
  close(status_rd);
  if (ready == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    snprintf(err, errlen, "exec \"%s\": the process did not start within %d s", r->argv[0], EXEC_WAIT_MS / 1000);
    return -1;
  }
  if (got != (ssize_t)sizeof child_errno) return 0;
  waitpid(pid, NULL, 0);
  snprintf(err, errlen, "%s \"%s\": %s", r->workdir && *r->workdir ? "chdir to cwd" : "exec", r->argv[0],
           strerror(child_errno));
  return -1;
}

/* The container's stdin: its FIFO (opened read-write, so that opening
 * never blocks and the reader never sees EOF between attaches), else /dev/null. */
static int open_stdin(const rt_spawn_req *r) {
  if (r->stdin_path) {
    unlink(r->stdin_path);
    int fd = mkfifo(r->stdin_path, 0600) == 0 ? open(r->stdin_path, O_RDWR | O_CLOEXEC) : -1;
    if (fd >= 0) return fd;
    LOGW("container stdin %s: %s", r->stdin_path, strerror(errno));
  }
  return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static pid_t spawn_captured(const rt_spawn_req *r, const char *exe, char *err, size_t errlen) {
  int status[2];
  if (pipe2(status, O_CLOEXEC)) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) child(r, exe, devnull, r->capture_fd, r->capture_fd, status[1]);
  close(status[1]);
  close(devnull);
  if (pid < 0) {
    close(status[0]);
    snprintf(err, errlen, "fork: %s", strerror(errno));
    return -1;
  }
  return exec_result(r, pid, status[0], err, errlen) ? -1 : pid;
}

/* fork() into a new PID namespace: the child is its pid 1 (the raw clone
 * system call with no new stack behaves as fork). */
static pid_t fork_new_pid_ns(void) { return (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL); }

int rt_open_mount_ns(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
  return open(path, O_RDONLY | O_CLOEXEC);
}

pid_t rt_spawn(const rt_spawn_req *r, char *err, size_t errlen) {
  char exe[4096];
  bool own_root = r->mounts || r->join_mnt_fd > 0; /* a path is looked up in the container's root, by execve */
  if (own_root && strchr(r->argv[0], '/') && resolve(r->argv[0], r->applets, env_path(r->envp), exe, sizeof exe))
    snprintf(exe, sizeof exe, "%s", r->argv[0]);
  else if (resolve(r->argv[0], r->applets, env_path(r->envp), exe, sizeof exe)) {
    snprintf(err, errlen, "exec: \"%s\": executable file not found in $PATH", r->argv[0]);
    return -1;
  }
  size_t alen = r->applets ? strlen(r->applets) : 0;
  bool own_root_applets = (r->mounts || r->join_mnt_fd > 0) && r->applets_root && *r->applets_root;
  if (own_root_applets && alen && !strncmp(exe, r->applets, alen) && exe[alen] == '/') {
    char in_root[4096]; /* the applet as the container sees it */
    snprintf(in_root, sizeof in_root, "%s%s", r->applets_root, exe + alen);
    snprintf(exe, sizeof exe, "%s", in_root);
  }
  if (r->capture_fd > 0) return spawn_captured(r, exe, err, errlen);
  FILE *log = fopen(r->log_path, "a");
  if (!log) {
    snprintf(err, errlen, "open %s: %s", r->log_path, strerror(errno));
    return -1;
  }
  int out[2], errp[2], status[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(status, O_CLOEXEC)) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    fclose(log);
    return -1;
  }
  int devnull = open_stdin(r), master = -1, slave = -1;
  if (r->tty && openpty(&master, &slave, NULL, NULL, NULL) == 0) {
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
  }
  pid_t pid = r->new_pid_ns && r->mounts ? fork_new_pid_ns() : fork();
  if (pid == 0 && slave >= 0) child(r, exe, slave, slave, slave, status[1]);
  if (pid == 0) child(r, exe, devnull, out[1], errp[1], status[1]);
  close(out[1]);
  close(errp[1]);
  close(status[1]);
  if (slave >= 0) { /* the terminal's output is the log; the stdin FIFO feeds it */
    close(slave);
    close(out[0]);
    close(errp[0]);
    out[0] = master, errp[0] = -1;
  }
  int input = master >= 0 && r->stdin_path ? devnull : -1;
  if (input < 0) close(devnull);
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    close(out[0]);
    close(errp[0]);
    close(status[0]);
    fclose(log);
    return -1;
  }
  if (exec_result(r, pid, status[0], err, errlen)) {
    close(out[0]);
    if (errp[0] >= 0) close(errp[0]);
    if (input >= 0) close(input);
    fclose(log);
    return -1;
  }
  if (r->pid_path) {
    FILE *pf = fopen(r->pid_path, "w");
    if (pf) {
      fprintf(pf, "%d\n", (int)pid);
      fclose(pf);
    }
  }
  pump *p = malloc(sizeof *p);
  p->fd[0] = out[0];
  p->fd[1] = errp[0];
  p->log = log;
  p->input = input;
  p->terminal = master;
  p->pid = pid;
  pumping_add(pid);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  if (pthread_create(&t, &attr, pump_main, p)) {
    LOGW("no log thread for pid %d", (int)pid);
    pumping_remove(pid);
    close(out[0]);
    if (errp[0] >= 0) close(errp[0]);
    if (input >= 0) close(input);
    fclose(log);
    free(p);
  }
  pthread_attr_destroy(&attr);
  return pid;
}

void rt_signal_group(pid_t pid, int sig) {
  if (pid > 0) kill(-pid, sig);
}

int rt_group_alive(pid_t pid) { return pid > 0 && (kill(-pid, 0) == 0 || errno == EPERM); }

const char *rt_applets_dir(const char *data_dir, const char *binary, char *dir, size_t len) {
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  const char *base = strrchr(binary, '/') ? strrchr(binary, '/') + 1 : binary;
  pthread_mutex_lock(&mu);
  snprintf(dir, len, "%s/applets/%s", data_dir, base);
  char marker[4200];
  snprintf(marker, sizeof marker, "%s/.complete", dir);
  const char *res = dir;
  if (access(marker, F_OK)) {
    rt_mkdirs(dir, 0755);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "'%s' --list 2>/dev/null", binary);
    FILE *p = popen(cmd, "r");
    char name[256], link[4400];
    int n = 0;
    while (p && fgets(name, sizeof name, p)) {
      name[strcspn(name, "\n")] = 0;
      if (!*name || strchr(name, '/')) continue;
      snprintf(link, sizeof link, "%s/%s", dir, name);
      unlink(link);
      if (!symlink(binary, link)) n++;
    }
    if (p) pclose(p);
    if (n) close(open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    else res = NULL;
  }
  pthread_mutex_unlock(&mu);
  return res;
}

int rt_reap_recorded(const char *data_dir) {
  char pods[4096];
  snprintf(pods, sizeof pods, "%s/pods", data_dir);
  DIR *d = opendir(pods);
  if (!d) return 0;
  int killed = 0;
  pid_t *pids = NULL;
  struct dirent *pe;
  while ((pe = readdir(d))) {
    if (pe->d_name[0] == '.') continue;
    char cdir[4400];
    snprintf(cdir, sizeof cdir, "%s/%s/containers", pods, pe->d_name);
    DIR *cd = opendir(cdir);
    struct dirent *ce;
    while (cd && (ce = readdir(cd))) {
      if (ce->d_name[0] == '.') continue;
      char pidfile[4800];
      snprintf(pidfile, sizeof pidfile, "%s/%s/pid", cdir, ce->d_name);
      FILE *f = fopen(pidfile, "r");
      int pid = 0;
      if (f) {
        if (fscanf(f, "%d", &pid) != 1) pid = 0;
        fclose(f);
      }
      if (pid > 1 && getsid(pid) == pid) { /* still the session leader it was made */
        kill(-pid, SIGKILL);
        pids = realloc(pids, (size_t)(killed + 1) * sizeof *pids);
        pids[killed++] = pid;
      }
      if (f) unlink(pidfile);
    }
    if (cd) closedir(cd);
  }
  closedir(d);
  for (int t = 0; t < 40; t++) { /* up to 2 s for the groups to die (and free their ports) */
    int alive = 0;
    for (int i = 0; i < killed; i++) alive += rt_group_alive(pids[i]);
    if (!alive) break;
    usleep(50000);
  }
  free(pids);
  return killed;
}
