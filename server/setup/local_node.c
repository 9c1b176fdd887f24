/* local_node.c - see local_node.h. The node's state lives in DATA/node
 * (kubelet.kubeconfig, its pods) and its output goes to
 * DATA/node/ckube-node.log. A node that exits is restarted after 1 s,
 * doubling to 60 s while it keeps failing within a minute of its start; the
 * child gets SIGTERM if the server dies (PR_SET_PDEATHSIG). */
#include "local_node.h"
#include "log.h"
#include "pki.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool running, stopping;
static pid_t child;
static char binary[PATH_MAX], kubeconfig[1100], node_dir[1024], node_name[256], log_path[1100], pod_cidr[64];

static pid_t spawn(void) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  /* the child: default signal state (the server blocks SIGINT/SIGTERM and ignores SIGPIPE) */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_UNBLOCK, &all, NULL);
  signal(SIGPIPE, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  /* through join: it renews the certificate when due and starts the call-home tunnel */
  if (pod_cidr[0]) execl(binary, binary, "join", "--name", node_name, "--data-dir", node_dir, "--pod-cidr", pod_cidr, (char *)NULL);
  else execl(binary, binary, "join", "--name", node_name, "--data-dir", node_dir, (char *)NULL);
  fprintf(stderr, "ckube-server: cannot run %s: %s\n", binary, strerror(errno));
  _exit(127);
}

static void *supervise(void *arg) {
  int backoff = 1;
  pthread_mutex_lock(&mu);
  while (!stopping) {
    child = spawn();
    pid_t pid = child;
    time_t started = time(NULL);
    pthread_mutex_unlock(&mu);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pthread_mutex_lock(&mu);
    child = 0;
    if (stopping) break;
    if (time(NULL) - started >= 60) backoff = 1;
    if (WIFSIGNALED(status))
      LOGW("local node %s was killed by signal %d; restarting in %d s (log: %s)", node_name, WTERMSIG(status), backoff,
           log_path);
    else
      LOGW("local node %s exited with status %d; restarting in %d s (log: %s)", node_name, WEXITSTATUS(status),
           backoff, log_path);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += backoff;
    while (!stopping && pthread_cond_timedwait(&cv, &mu, &until) != ETIMEDOUT) {
    }
    backoff = backoff * 2 > 60 ? 60 : backoff * 2;
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

int local_node_start(const char *data_dir, const char *url, const char *cidr) {
  snprintf(pod_cidr, sizeof pod_cidr, "%s", cidr ? cidr : "");
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return -1;
  self[n] = 0;
  char *slash = strrchr(self, '/');
  *slash = 0;
  snprintf(binary, sizeof binary, "%s/ckube-node", self);
  if (access(binary, X_OK) != 0) {
    LOGW("no local node: %s not found (--no-local-node hides this warning)", binary);
    return -1;
  }
  gethostname(node_name, sizeof node_name - 1);
  for (char *p = node_name; *p; p++) *p = (char)tolower((unsigned char)*p);
  snprintf(node_dir, sizeof node_dir, "%s/node", data_dir);
  snprintf(log_path, sizeof log_path, "%s/ckube-node.log", node_dir);
  if (pki_node_kubeconfig(url, node_name, node_dir, kubeconfig, sizeof kubeconfig) != 0) {
    LOGE("no local node: cannot write its kubeconfig in %s", node_dir);
    return -1;
  }
  stopping = false;
  if (pthread_create(&thread, NULL, supervise, NULL) != 0) return -1;
  running = true;
  LOGI("local node %s started (%s; log %s)", node_name, binary, log_path);
  return 0;
}

void local_node_stop(void) {
  if (!running) return;
  pthread_mutex_lock(&mu);
  stopping = true;
  pid_t pid = child;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  if (pid > 0) {
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
      pthread_mutex_lock(&mu);
      bool gone = child == 0;
      pthread_mutex_unlock(&mu);
      if (gone) break;
      usleep(100000);
    }
    pthread_mutex_lock(&mu);
    if (child > 0) kill(child, SIGKILL);
    pthread_mutex_unlock(&mu);
  }
  pthread_join(thread, NULL);
  running = false;
}
