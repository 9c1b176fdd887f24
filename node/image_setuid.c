/* image_setuid.c - see image_setuid.h. The copy is made under a mutex into a
 * temporary name and renamed, so a container never execs a half-written
 * file; its setuid bit is set only after chown to root. */
#include "image_setuid.h"
#include "runtime_proc.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
  char buf[65536];
  ssize_t n = 0;
  while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) n = -1;
  int rc = in < 0 || out < 0 || n < 0 ? -1 : 0;
  if (in >= 0) close(in);
  if (out >= 0 && close(out)) rc = -1;
  return rc;
}

int image_setuid_copy(const char *data_dir, const char *self, char *out, size_t len) {
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  char dir[4096], tmp[4200];
  snprintf(dir, sizeof dir, "%s/setuid", data_dir);
  snprintf(out, len, "%s/ckube-node", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  struct stat src, dst;
  if (stat(self, &src)) return -1;
  pthread_mutex_lock(&mu);
  int rc = 0;
  if (stat(out, &dst) || dst.st_size != src.st_size || dst.st_mtime < src.st_mtime || !(dst.st_mode & S_ISUID)) {
    rc = rt_mkdirs(dir, 0755) || copy_file(self, tmp) || chown(tmp, 0, 0) || chmod(tmp, 04755) || rename(tmp, out)
             ? -1 : 0;
    if (rc) unlink(tmp);
  }
  pthread_mutex_unlock(&mu);
  return rc;
}

void image_setuid_guard(int argc, char **argv) {
  if (getuid() == geteuid() && getgid() == getegid()) return;
  if (argc >= 3 && !strcmp(argv[1], "--builtin") && !strcmp(argv[2], "nonewprivs")) return;
  if (setresgid(getgid(), getgid(), getgid()) || setresuid(getuid(), getuid(), getuid())) {
    fprintf(stderr, "ckube-node: cannot give up setuid privileges: %s\n", strerror(errno));
    exit(126);
  }
}

int image_setuid_nonewprivs(void) {
  printf("Effective uid: %d\n", (int)geteuid());
  return fflush(stdout) ? 1 : 0;
}
