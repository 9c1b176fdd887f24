/* builtin_docroot.c - see builtin_docroot.h. The overlay's upper and work
 * directories live on a scratch tmpfs stacked on /tmp for the moment of the
 * mount and then detached: the overlay keeps it alive, nothing shows it, and
 * whatever /tmp was underneath comes back. A container started by a real
 * agent already has a mount namespace of its own; unsharing another one
 * makes the same code safe when the builtin runs on the host. `kubectl
 * exec` joins the namespace of the container's pid, so it sees these files. */
#include "builtin_docroot.h"
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRATCH "/tmp"

/* How many mounts sit at path exactly, and whether any sits strictly below it (/proc/self/mountinfo: the mount
 * point is the 5th field, relative to our root; octal escapes kept, which never match a plain path). */
static int mounts_at(const char *path, bool *below) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  char line[4096], point[4096];
  int n = 0;
  size_t len = strlen(path);
  *below = false;
  while (f && fgets(line, sizeof line, f)) {
    if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1) continue;
    if (!strcmp(point, path)) n++;
    else if (!strncmp(point, path, len) && point[len] == '/') *below = true;
  }
  if (f) fclose(f);
  return n;
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
  FILE *f = fopen(file, "w");
  if (!f) return -1;
  fputs(page, f);
  return fclose(f);
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
    fprintf(stderr, "cannot make the document root %s: %s\n", root, strerror(errno));
    return false;
  }
  if (mounts_at(SCRATCH, &below) <= 1) /* the host's /tmp at most, no volume: the image's own /tmp */
    mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  return true;
}
