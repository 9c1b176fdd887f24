/* builtin_docroot.c - see builtin_docroot.h. The overlay's upper and work
 * directories live on a scratch tmpfs stacked on /tmp for the moment of the
 * mount and then detached: the overlay keeps it alive, nothing shows it, and
 * whatever /tmp was underneath comes back. A container started by a real
 * agent already has a mount namespace of its own; unsharing another one
 * makes the same code safe when the builtin runs on the host. `kubectl
 * exec` joins the namespace of the container's pid, so it sees these files. */
#include "builtin_docroot.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRATCH "/tmp"

/* Calls line(text, ctx) for each line of /proc/self/mountinfo (lines past the buffer are cut). Only open and
 * read: this runs in a child cloned from a threaded agent, where malloc and stdio may hold another thread's lock. */
static void each_mount_line(void (*line)(const char *, void *), void *ctx) {
  int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[8192];
  size_t have = 0;
  bool eof = false;
  for (;;) {
    char *nl = memchr(buf, '\n', have);
    if (!nl && !eof && have < sizeof buf - 1) {
      ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
      if (got <= 0) eof = true;
      else have += (size_t)got;
      continue;
    }
    if (!nl && !have) break;
    size_t len = nl ? (size_t)(nl - buf) : have; /* a line, the last one, or a full buffer's piece */
    buf[len] = 0;
    line(buf, ctx);
    size_t used = nl ? len + 1 : len;
    memmove(buf, buf + used, have - used);
    have -= used;
  }
  close(fd);
}

struct mount_count {
  const char *path;
  size_t len;
  int n;
  bool below;
};

/* The mount point is a line's 5th field, relative to our root; octal escapes kept, which never match a plain path. */
static void count_mount(const char *line, void *ctx) {
  struct mount_count *c = ctx;
  const char *f = line;
  for (int i = 0; i < 4 && f; i++) f = strchr(f, ' ') ? strchr(f, ' ') + 1 : NULL;
  if (!f) return;
  size_t plen = strcspn(f, " ");
  if (plen == c->len && !strncmp(f, c->path, plen)) c->n++;
  else if (plen > c->len && !strncmp(f, c->path, c->len) && f[c->len] == '/') c->below = true;
}

/* How many mounts sit at path exactly, and whether any sits strictly below it. */
static int mounts_at(const char *path, bool *below) {
  struct mount_count c = {path, strlen(path), 0, false};
  each_mount_line(count_mount, &c);
  *below = c.below;
  return c.n;
}

static int mkdirs(const char *path) {
  char p[4096];
  snprintf(p, sizeof p, "%s", path);
  for (char *c = p + 1; *c; c++) {
    if (*c != '/') continue;
    *c = 0;
    if (mkdir(p, 0755) && errno != EEXIST) return -1;
    *c = '/';
  }
  return mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
}

/* An overlay on dir (upper and work on a scratch tmpfs then detached). */
static int overlay_on(const char *dir) {
  if (mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700")) return -1;
  char opts[4400];
  snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=" SCRATCH "/u,workdir=" SCRATCH "/w", dir);
  int rc = mkdir(SCRATCH "/u", 0755) || mkdir(SCRATCH "/w", 0755) || mount("overlay", dir, "overlay", 0, opts);
  umount2(SCRATCH, MNT_DETACH);
  return rc ? -1 : 0;
}

static int write_page(const char *root, const char *page) {
  char file[4200];
  snprintf(file, sizeof file, "%s/index.html", root);
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t len = strlen(page), off = 0;
  for (ssize_t n; off < len && (n = write(fd, page + off, len - off)) > 0;) off += (size_t)n;
  return close(fd) || off < len ? -1 : 0;
}

bool docroot_prepare(const char *root, const char *page) {
  struct stat st;
  if (!stat(root, &st)) return true;
  if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL)) return false;
  char base[4096];
  snprintf(base, sizeof base, "%s", root);
  for (char *slash; stat(base, &st);) { /* the deepest existing ancestor */
    if (!(slash = strrchr(base, '/')) || slash == base) return false;
    *slash = 0;
  }
  bool below;
  mounts_at(base, &below);
  if (below || overlay_on(base) || mkdirs(root) || write_page(root, page)) {
    char msg[4400]; /* no stdio here (see each_mount_line) */
    int n = snprintf(msg, sizeof msg, "cannot make the document root %s: %s\n", root, strerror(errno));
    (void)!write(2, msg, n > 0 && (size_t)n < sizeof msg ? (size_t)n : strlen(msg));
    return false;
  }
  if (mounts_at(SCRATCH, &below) <= 1) /* the host's /tmp at most, no volume: the image's own /tmp */
    mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  return true;
}
