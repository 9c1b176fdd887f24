/* pod_volumes.c - see pod_volumes.h. Messages are kubelet 1.20's
 * (volume plugins' SetUp errors): `configmap "x" not found`,
 * `secret "x" not found`, `configmap references non-existent config key:
 * k`, `hostPath type check failed: /p is not a directory`, the PVC's
 * `persistentvolumeclaim "x" not found` / `... is not bound`. The mount
 * plan: a host top-level directory under which a mount point must be
 * created becomes an overlay (the host's directory untouched), a missing
 * top-level directory is made on the container's tmpfs root. */
#include "pod_volumes.h"
#include "json_path.h"
#include "pod_dns.h"
#include "runtime_proc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/base64.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC_NUMBER 0x01021994

/* ---- AtomicWriter ---- */

static int write_file(const char *path, const char *data, size_t len, int mode) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    off += (size_t)w;
  }
  fchmod(fd, (mode_t)mode);
  return close(fd);
}

/* Creates path empty unless it exists; 0 or -1. */
static int touch(const char *path) {
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  return fd < 0 ? -1 : close(fd);
}

/* True when name is the top-level element of one of the files' paths. */
static bool is_top_of(const vol_file *files, int n, const char *name) {
  for (int i = 0; i < n; i++) {
    size_t l = strcspn(files[i].path, "/");
    if (strlen(name) == l && !strncmp(files[i].path, name, l)) return true;
  }
  return false;
}

/* True when dir/..data holds exactly files. */
static bool same_payload(const char *dir, const vol_file *files, int n) {
  char path[PATH_MAX];
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/..data/%s", dir, files[i].path);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char *buf = malloc(files[i].len + 1);
    size_t r = fread(buf, 1, files[i].len + 1, f);
    fclose(f);
    bool same = r == files[i].len && !memcmp(buf, files[i].data, r);
    free(buf);
    struct stat st;
    if (!same || stat(path, &st) || (int)(st.st_mode & 07777) != files[i].mode) return false;
  }
  /* no extra top-level entries */
  DIR *d = opendir(dir);
  struct dirent *e;
  int extra = 0;
  while (d && (e = readdir(d)))
    extra += e->d_name[0] != '.' && !is_top_of(files, n, e->d_name);
  if (d) closedir(d);
  return !extra && d;
}

int vol_atomic_write(const char *dir, const vol_file *files, int n, char *err, size_t errlen) {
  if (rt_mkdirs(dir, 0755)) {
    snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
    return -1;
  }
  char data_link[PATH_MAX];
  snprintf(data_link, sizeof data_link, "%s/..data", dir);
  char old[PATH_MAX] = "";
  ssize_t ol = readlink(data_link, old, sizeof old - 1);
  if (ol > 0) {
    old[ol] = 0;
    if (same_payload(dir, files, n)) return 0;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char name[64], tsdir[PATH_MAX], path[PATH_MAX];
  size_t k = strftime(name, sizeof name, "..%Y_%m_%d_%H_%M_%S", &tm);
  snprintf(name + k, sizeof name - k, ".%09ld", ts.tv_nsec);
  snprintf(tsdir, sizeof tsdir, "%s/%s", dir, name);
  if (mkdir(tsdir, 0755)) {
    snprintf(err, errlen, "mkdir %s: %s", tsdir, strerror(errno));
    return -1;
  }
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", tsdir, files[i].path);
    char *slash = strrchr(path, '/');
    *slash = 0;
    rt_mkdirs(path, 0755);
    *slash = '/';
    if (write_file(path, files[i].data, files[i].len, files[i].mode)) {
      snprintf(err, errlen, "write %s: %s", path, strerror(errno));
      return -1;
    }
  }
  char tmp_link[PATH_MAX];
  snprintf(tmp_link, sizeof tmp_link, "%s/..data_tmp", dir);
  unlink(tmp_link);
  if (symlink(name, tmp_link) || rename(tmp_link, data_link)) {
    snprintf(err, errlen, "swap ..data in %s: %s", dir, strerror(errno));
    return -1;
  }
  /* one symlink per top-level name; stale ones go */
  for (int i = 0; i < n; i++) {
    char top[PATH_MAX], target[PATH_MAX];
    size_t l = strcspn(files[i].path, "/");
    snprintf(top, sizeof top, "%s/%.*s", dir, (int)l, files[i].path);
    snprintf(target, sizeof target, "..data/%.*s", (int)l, files[i].path);
    struct stat st;
    if (lstat(top, &st)) symlink(target, top);
  }
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || is_top_of(files, n, e->d_name)) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  if (ol > 0 && old[0] == '.' && strcmp(old, name)) {
    snprintf(path, sizeof path, "%s/%s", dir, old);
    rt_remove_tree(path);
  }
  return 0;
}

/* ---- payloads ---- */

typedef struct {
  vol_file *f;
  int n;
  char **owned; /* buffers to free */
  int nowned;
} payload;

static void add_file(payload *p, const char *path, char *data, size_t len, int mode) {
  p->f = realloc(p->f, (size_t)(p->n + 1) * sizeof *p->f);
  p->owned = realloc(p->owned, (size_t)(p->nowned + 2) * sizeof *p->owned);
  char *path_copy = strdup(path);
  p->owned[p->nowned++] = path_copy;
  p->owned[p->nowned++] = data;
  p->f[p->n++] = (vol_file){path_copy, data, len, mode};
}

static void free_payload(payload *p) {
  for (int i = 0; i < p->nowned; i++) free(p->owned[i]);
  free(p->owned);
  free(p->f);
}

static char *b64(const char *s, size_t *len) {
  size_t n = strlen(s), out = 0;
  char *buf = malloc(n + 1);
  if (mbedtls_base64_decode((unsigned char *)buf, n, &out, (const unsigned char *)s, n)) out = 0;
  buf[out] = 0;
  *len = out;
  return buf;
}

static int mode_of(const json_t *item, const json_t *src, int dflt) {
  const json_t *m = json_object_get(item, "mode");
  if (json_is_integer(m)) return (int)json_integer_value(m);
  const json_t *d = json_object_get(src, "defaultMode");
  return json_is_integer(d) ? (int)json_integer_value(d) : dflt;
}

/* configMap or secret source (secret: base64 data). -1 with why when a
 * required object or key is missing; 1 when an optional object is missing. */
static int keyed_source(const vol_ctx *v, const json_t *src, bool secret, int default_mode, payload *p, char *why,
                        size_t wlen) {
  const char *ns = json_str(json_object_get(v->pod, "metadata"), "namespace") ?: "default";
  const char *name = json_str(src, secret ? "secretName" : "name");
  if (!name) name = json_str(src, "name") ?: "";
  json_t *obj = v->get(v->ctx, secret ? "secrets" : "configmaps", ns, name);
  bool optional = json_is_true(json_object_get(src, "optional"));
  if (!obj) {
    bool gone = !v->absent || v->absent(v->ctx, secret ? "secrets" : "configmaps", ns, name);
    if (optional && gone) return 1;
    snprintf(why, wlen, gone ? "%s \"%s\" not found" : "failed to get %s \"%s\"", secret ? "secret" : "configmap", name);
    return -1;
  }
  const json_t *data = json_object_get(obj, "data"), *bin = json_object_get(obj, "binaryData");
  const json_t *items = json_object_get(src, "items");
  int rc = 0;
  if (json_array_size(items)) {
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
      const char *key = json_str(it, "key") ?: "", *path = json_str(it, "path") ?: key;
      const char *val = json_str(data, key);
      bool from_bin = !val && json_str(bin, key);
      if (!val && !from_bin) {
        if (optional) continue;
        snprintf(why, wlen, "%s references non-existent %s key: %s", secret ? "secret" : "configmap",
                 secret ? "secret" : "config", key);
        rc = -1;
        break;
      }
      size_t len;
      char *content = secret || from_bin ? b64(from_bin ? json_str(bin, key) : val, &len) : strdup(val);
      if (!secret && !from_bin) len = strlen(content);
      add_file(p, path, content, len, mode_of(it, src, default_mode));
    }
  } else {
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)data, k, val) {
      size_t len;
      char *content = secret ? b64(json_string_value(val) ?: "", &len) : strdup(json_string_value(val) ?: "");
      if (!secret) len = strlen(content);
      add_file(p, k, content, len, mode_of(NULL, src, default_mode));
    }
    json_object_foreach((json_t *)bin, k, val) {
      size_t len;
      char *content = b64(json_string_value(val) ?: "", &len);
      add_file(p, k, content, len, mode_of(NULL, src, default_mode));
    }
  }
  json_decref(obj);
  return rc;
}

static void downward_source(const vol_ctx *v, const json_t *src, payload *p) {
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(src, "items"), i, it) {
    char buf[16384];
    const json_t *res = json_object_get(it, "resourceFieldRef");
    const json_t *ctr = NULL;
    if (res) { /* resourceFieldRef names its container */
      size_t j;
      json_t *c;
      json_array_foreach(json_object_get(json_object_get(v->pod, "spec"), "containers"), j, c)
        if (!strcmp(json_str(c, "name") ?: "", json_str(res, "containerName") ?: "")) ctr = c;
    }
    sim_config_downward(v->pod, ctr, it, v->host_ip, v->pod_ip, buf, sizeof buf);
    add_file(p, json_str(it, "path") ?: "", strdup(buf), strlen(buf), mode_of(it, src, 0644));
  }
}

/* The files of a configMap/secret/downwardAPI/projected volume: 0, 1 (an
 * optional object missing: empty), -1 with why. */
static int volume_payload(const vol_ctx *v, const json_t *vol, payload *p, char *why, size_t wlen) {
  const json_t *src;
  if ((src = json_object_get(vol, "configMap"))) return keyed_source(v, src, false, 0644, p, why, wlen);
  if ((src = json_object_get(vol, "secret"))) return keyed_source(v, src, true, 0644, p, why, wlen);
  if ((src = json_object_get(vol, "downwardAPI"))) {
    downward_source(v, src, p);
    return 0;
  }
  if ((src = json_object_get(vol, "projected"))) {
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(src, "sources"), i, s) {
      const json_t *one;
      json_t *with_mode;
      int rc = 0;
      if ((one = json_object_get(s, "configMap")) || (one = json_object_get(s, "secret")) ||
          (one = json_object_get(s, "downwardAPI"))) { /* the projection's defaultMode applies to each source */
        with_mode = json_deep_copy(one);
        if (!json_object_get(with_mode, "defaultMode") && json_object_get(src, "defaultMode"))
          json_object_set(with_mode, "defaultMode", json_object_get(src, "defaultMode"));
        if (json_object_get(s, "downwardAPI")) downward_source(v, with_mode, p);
        else rc = keyed_source(v, with_mode, json_object_get(s, "secret") != NULL, 0644, p, why, wlen);
        json_decref(with_mode);
      } else if ((one = json_object_get(s, "serviceAccountToken"))) {
        char *tok = NULL;
        if (!v->post) {
          snprintf(why, wlen, "failed to fetch token: no API client");
          return -1;
        }
        if (pod_token_get(v->post, v->ctx, v->tokens, v->pod, one, (long long)time(NULL), &tok, why, wlen)) return -1;
        const json_t *dm = json_object_get(src, "defaultMode");
        add_file(p, json_str(one, "path") ?: "token", tok, strlen(tok), json_is_integer(dm) ? (int)json_integer_value(dm) : 0644);
      }
      if (rc < 0) return rc;
    }
    return 0;
  }
  return 2; /* not a file volume */
}

static void volume_dir(const vol_ctx *v, const char *name, char *out, size_t len) {
  snprintf(out, len, "%s/volumes/%s", v->pod_dir, name);
}

static const json_t *find_volume(const json_t *pod, const char *name) {
  size_t i;
  json_t *vol;
  json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), i, vol)
    if (!strcmp(json_str(vol, "name") ?: "", name)) return vol;
  return NULL;
}

/* hostPath's type check (and creation for the *OrCreate types). */
static int host_path(const json_t *hp, char *why, size_t wlen) {
  const char *path = json_str(hp, "path") ?: "", *type = json_str(hp, "type") ?: "";
  struct stat st;
  int have = stat(path, &st) == 0;
  if (!strcmp(type, "DirectoryOrCreate") && !have) {
    if (rt_mkdirs(path, 0755) == 0) return 0;
  } else if (!strcmp(type, "FileOrCreate") && !have) {
    if (touch(path) == 0) return 0;
  }
  have = stat(path, &st) == 0;
  const char *want = NULL;
  if (!strcmp(type, "Directory") || !strcmp(type, "DirectoryOrCreate")) want = have && S_ISDIR(st.st_mode) ? NULL : "a directory";
  else if (!strcmp(type, "File") || !strcmp(type, "FileOrCreate")) want = have && S_ISREG(st.st_mode) ? NULL : "a file";
  else if (!strcmp(type, "Socket")) want = have && S_ISSOCK(st.st_mode) ? NULL : "a socket file";
  else if (!strcmp(type, "CharDevice")) want = have && S_ISCHR(st.st_mode) ? NULL : "a character device";
  else if (!strcmp(type, "BlockDevice")) want = have && S_ISBLK(st.st_mode) ? NULL : "a block device";
  if (!want) return 0;
  if (!have) snprintf(why, wlen, "hostPath type check failed: %s is not %s", path, want);
  else snprintf(why, wlen, "hostPath type check failed: %s is not %s", path, want);
  return -1;
}

/* The host directory behind a PVC: its bound PV's hostPath or local path. */
static int claim_path(const vol_ctx *v, const json_t *src, char *out, size_t len, char *why, size_t wlen) {
  const char *ns = json_str(json_object_get(v->pod, "metadata"), "namespace") ?: "default";
  const char *claim = json_str(src, "claimName") ?: "";
  json_t *pvc = v->get(v->ctx, "persistentvolumeclaims", ns, claim);
  if (!pvc) {
    snprintf(why, wlen, "persistentvolumeclaim \"%s\" not found", claim);
    return -1;
  }
  const char *pv_name = json_str(json_object_get(pvc, "spec"), "volumeName");
  json_t *pv = pv_name && *pv_name ? v->get_pv(v->ctx, pv_name) : NULL;
  json_decref(pvc);
  if (!pv) {
    snprintf(why, wlen, "PersistentVolumeClaim is not bound: \"%s\"", claim);
    return -1;
  }
  const json_t *spec = json_object_get(pv, "spec");
  const char *path = json_str(json_object_get(spec, "hostPath"), "path");
  if (!path) path = json_str(json_object_get(spec, "local"), "path");
  int rc = 0;
  if (!path) {
    snprintf(why, wlen, "volume %s: only hostPath and local PersistentVolumes mount on this node", pv_name);
    rc = -1;
  } else {
    snprintf(out, len, "%s", path);
    rt_mkdirs(out, 0777); /* the local-path provisioner's directories are made on first use */
  }
  json_decref(pv);
  return rc;
}

/* kubelet's SetVolumeOwnership over path and what it holds: group fsGroup, group read (read-only volumes) or
 * read-write, directories group-searchable and setgid; symlinks get the group only. */
static void own_tree(const char *path, gid_t gid, bool readonly) {
  struct stat st;
  if (lstat(path, &st) || lchown(path, (uid_t)-1, gid)) return;
  if (S_ISLNK(st.st_mode)) return;
  mode_t mask = readonly ? 0440 : 0660;
  if (S_ISDIR(st.st_mode)) mask |= S_ISGID | 0110;
  chmod(path, (st.st_mode & 07777) | mask);
  if (!S_ISDIR(st.st_mode)) return;
  DIR *d = opendir(path);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[PATH_MAX];
    if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < sizeof sub) own_tree(sub, gid, readonly);
  }
  if (d) closedir(d);
}

static const json_t *fs_group(const vol_ctx *v) {
  return json_object_get(json_object_get(json_object_get(v->pod, "spec"), "securityContext"), "fsGroup");
}

/* The pod's fsGroup applied to a volume's directory (nothing without one). */
static void volume_ownership(const vol_ctx *v, const char *dir, bool readonly) {
  if (json_is_integer(fs_group(v))) own_tree(dir, (gid_t)json_integer_value(fs_group(v)), readonly);
}

/* Writes a payload volume: its files' modes group-readable under an fsGroup (as SetVolumeOwnership leaves them,
 * so an unchanged payload is not written again), then the group's ownership. */
static int write_payload(const vol_ctx *v, const char *dir, payload *p, char *err, size_t errlen) {
  for (int i = 0; i < p->n && json_is_integer(fs_group(v)); i++) p->f[i].mode |= 0440;
  if (vol_atomic_write(dir, p->f, p->n, err, errlen)) return -1;
  volume_ownership(v, dir, true);
  return 0;
}

/* The host path a volume mounts from (made ready); -1 with why. */
static int volume_source(const vol_ctx *v, const json_t *vol, char *out, size_t len, bool *readonly, char *why,
                         size_t wlen) {
  const char *name = json_str(vol, "name") ?: "";
  const json_t *src;
  *readonly = false;
  if ((src = json_object_get(vol, "hostPath"))) {
    if (host_path(src, why, wlen)) return -1;
    snprintf(out, len, "%s", json_str(src, "path") ?: "");
    return 0;
  }
  if ((src = json_object_get(vol, "persistentVolumeClaim"))) {
    *readonly = json_is_true(json_object_get(src, "readOnly"));
    return claim_path(v, src, out, len, why, wlen);
  }
  volume_dir(v, name, out, len);
  if ((src = json_object_get(vol, "emptyDir"))) {
    if (rt_mkdirs(out, 0777)) {
      snprintf(why, wlen, "mkdir %s: %s", out, strerror(errno));
      return -1;
    }
    chmod(out, 0777);
    struct statfs fs;
    if (!strcmp(json_str(src, "medium") ?: "", "Memory") && !statfs(out, &fs) && fs.f_type != TMPFS_MAGIC_NUMBER) {
      char opts[64] = "mode=0777";
      const char *limit = json_str(src, "sizeLimit");
      if (limit) snprintf(opts, sizeof opts, "mode=0777,size=%s", limit);
      for (char *c = opts; *c; c++) /* Kubernetes' Mi/Gi suffixes: tmpfs wants m/g */
        if (*c == 'i' && c > opts && strchr("KMGT", c[-1])) *c = ' ';
      char clean[64];
      size_t n = 0;
      for (char *c = opts; *c && n < sizeof clean - 1; c++)
        if (*c != ' ') clean[n++] = *c;
      clean[n] = 0;
      if (mount("tmpfs", out, "tmpfs", 0, clean)) {
        snprintf(why, wlen, "mount tmpfs on %s: %s", out, strerror(errno));
        return -1;
      }
    }
    volume_ownership(v, out, false);
    return 0;
  }
  payload p = {0};
  int rc = volume_payload(v, vol, &p, why, wlen);
  if (rc == 2) {
    snprintf(why, wlen, "volume type of \"%s\" is not supported on this node", name);
    rc = -1;
  } else if (rc >= 0) {
    char err[512];
    rc = write_payload(v, out, &p, err, sizeof err) ? (snprintf(why, wlen, "%s", err), -1) : 0;
    *readonly = true;
  }
  free_payload(&p);
  return rc;
}

void vol_refresh(const vol_ctx *v) {
  size_t i;
  json_t *vol;
  json_array_foreach(json_object_get(json_object_get(v->pod, "spec"), "volumes"), i, vol) {
    char dir[PATH_MAX], why[512], err[512];
    payload p = {0};
    volume_dir(v, json_str(vol, "name") ?: "", dir, sizeof dir);
    struct stat st;
    int rc = stat(dir, &st) ? -1 : volume_payload(v, vol, &p, why, sizeof why);
    if (rc == 0 || rc == 1) write_payload(v, dir, &p, err, sizeof err); /* 1: an optional object gone, no files */
    free_payload(&p);
  }
}

void vol_teardown(const char *pod_dir) {
  char vdir[PATH_MAX];
  snprintf(vdir, sizeof vdir, "%s/volumes", pod_dir);
  DIR *d = opendir(vdir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", vdir, e->d_name);
    struct statfs fs;
    if (!statfs(path, &fs) && fs.f_type == TMPFS_MAGIC_NUMBER) umount2(path, MNT_DETACH);
  }
  if (d) closedir(d);
}

/* ---- the plan ---- */

static void push(char ***v, int *n, char *s) {
  *v = realloc(*v, (size_t)(*n + 1) * sizeof **v);
  (*v)[(*n)++] = s;
}

static int top_index(const rt_mount_plan *m, const char *path) {
  size_t l = strcspn(path + 1, "/") + 1;
  for (int i = 0; i < m->ntops; i++)
    if (strlen(m->tops[i]) == l && !strncmp(m->tops[i], path, l)) return i;
  return -1;
}

/* Lists the host's top-level entries (directories and symlinks). */
static void host_tops(rt_mount_plan *m) {
  DIR *d = opendir("/");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], link[PATH_MAX];
    snprintf(path, sizeof path, "/%s", e->d_name);
    struct stat st;
    if (lstat(path, &st)) continue;
    if (S_ISLNK(st.st_mode)) {
      ssize_t l = readlink(path, link, sizeof link - 1);
      if (l <= 0) continue;
      link[l] = 0;
    } else if (!S_ISDIR(st.st_mode)) {
      continue;
    }
    m->tops = realloc(m->tops, (size_t)(m->ntops + 1) * sizeof *m->tops);
    m->top_links = realloc(m->top_links, (size_t)(m->ntops + 1) * sizeof *m->top_links);
    m->top_overlay = realloc(m->top_overlay, (size_t)(m->ntops + 1) * sizeof *m->top_overlay);
    m->overlay_opts = realloc(m->overlay_opts, (size_t)(m->ntops + 1) * sizeof *m->overlay_opts);
    m->tops[m->ntops] = strdup(path);
    m->top_links[m->ntops] = S_ISLNK(st.st_mode) ? strdup(link) : NULL;
    m->top_overlay[m->ntops] = 0;
    m->overlay_opts[m->ntops] = NULL;
    m->ntops++;
  }
  if (d) closedir(d);
}

/* The host path target stands for, with symlinks of its existing part
 * resolved (/bin/x -> /usr/bin/x). */
static void resolve_target(const char *target, char *out, size_t len) {
  char probe[PATH_MAX];
  snprintf(probe, sizeof probe, "%s", target);
  for (;;) {
    char real[PATH_MAX];
    if (realpath(probe, real)) {
      snprintf(out, len, "%s%s", strcmp(real, "/") ? real : "", target + strlen(probe));
      return;
    }
    char *slash = strrchr(probe, '/');
    if (!slash || slash == probe) break;
    *slash = 0;
  }
  snprintf(out, len, "%s", target);
}

/* Adds the mount point target (a path in the container) for a source that
 * is a file or not: the directories to make on the root, overlays where the
 * host's directory would have to change. */
static void add_mount_point(rt_mount_plan *m, const char *target, bool file) {
  char path[PATH_MAX];
  resolve_target(target, path, sizeof path);
  int top = top_index(m, path);
  struct stat st;
  if (top >= 0 && !stat(path, &st)) return; /* exists on the host: bind onto it */
  if (top >= 0 && !m->top_overlay[top] && !m->top_links[top]) {
    char upper[PATH_MAX + 32], work[PATH_MAX + 32], opts[3 * PATH_MAX];
    rt_overlay_dirs(m->root, top, upper, work, sizeof upper);
    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", m->tops[top], upper, work);
    m->top_overlay[top] = 1;
    m->overlay_opts[top] = strdup(opts);
  }
  /* each missing directory on the way, then the mount point itself */
  for (char *c = path + 1;; c++) {
    if (*c && *c != '/') continue;
    char part[PATH_MAX], host_part[PATH_MAX];
    snprintf(host_part, sizeof host_part, "%.*s", (int)(c - path), path);
    bool last = !*c;
    if (last || stat(host_part, &st)) {
      snprintf(part, sizeof part, "%s%s%s", m->root, host_part, last && file ? "|" : "");
      bool dup = false;
      for (int i = 0; i < m->nmkdirs && !dup; i++) dup = !strcmp(m->mkdirs[i], part);
      if (!dup) push(&m->mkdirs, &m->nmkdirs, strdup(part));
    }
    if (last) break;
  }
}

static void add_bind(rt_mount_plan *m, const char *source, const char *target, bool readonly) {
  char path[PATH_MAX], full[2 * PATH_MAX];
  resolve_target(target, path, sizeof path);
  snprintf(full, sizeof full, "%s%s", m->root, path);
  m->binds = realloc(m->binds, (size_t)(m->nbinds + 1) * sizeof *m->binds);
  m->binds[m->nbinds++] = (rt_bind){strdup(source), strdup(full), readonly};
}

void vol_plan_add_file(rt_mount_plan *m, const char *source, const char *target) {
  add_mount_point(m, target, true);
  add_bind(m, source, target, true);
}

void vol_plan_add_dir(rt_mount_plan *m, const char *source, const char *target) {
  add_mount_point(m, target, false);
  add_bind(m, source, target, true);
}

/* kubelet's /etc/hosts for a pod (ensureHostsFile: managed header, the
 * localhost lines, the pod's IP and hostname, hostAliases). */
static void hosts_file(const vol_ctx *v, char *out, size_t len) {
  const json_t *spec = json_object_get(v->pod, "spec");
  const char *hostname = json_str(spec, "hostname") ?: json_str(json_object_get(v->pod, "metadata"), "name") ?: "";
  const char *sub = json_str(spec, "subdomain");
  const char *ns = json_str(json_object_get(v->pod, "metadata"), "namespace") ?: "default";
  size_t n = (size_t)snprintf(out, len,
                              "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                              "ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\n"
                              "fe00::2\tip6-allrouters\n");
  if (sub && *sub)
    n += (size_t)snprintf(out + n, len - n, "%s\t%s.%s.%s.svc.cluster.local\t%s\n", v->pod_ip, hostname, sub, ns,
                          hostname);
  else n += (size_t)snprintf(out + n, len - n, "%s\t%s\n", v->pod_ip, hostname);
  size_t i, j;
  json_t *a, *h;
  json_array_foreach(json_object_get(spec, "hostAliases"), i, a) {
    if (n >= len) break;
    n += (size_t)snprintf(out + n, len - n, "\n# Entries added by HostAliases.\n%s\t", json_str(a, "ip") ?: "");
    json_array_foreach(json_object_get(a, "hostnames"), j, h)
      if (n < len) n += (size_t)snprintf(out + n, len - n, "%s%s", j ? "\t" : "", json_string_value(h) ?: "");
    if (n < len) n += (size_t)snprintf(out + n, len - n, "\n");
  }
}

static int write_small(const char *path, const char *text) { return write_file(path, text, strlen(text), 0644); }

rt_mount_plan *vol_plan(const vol_ctx *v, const json_t *ctr, char *why, size_t wlen) {
  rt_mount_plan *m = calloc(1, sizeof *m);
  char root[PATH_MAX];
  snprintf(root, sizeof root, "%s/containers/%s/rootfs", v->pod_dir, json_str(ctr, "name") ?: "");
  rt_mkdirs(root, 0755);
  m->root = strdup(root);
  m->readonly_root = json_is_true(json_object_get(json_object_get(ctr, "securityContext"), "readOnlyRootFilesystem"));
  host_tops(m);
  bool own_hosts = false, own_resolv = false;
  size_t i;
  json_t *vm;
  json_array_foreach(json_object_get(ctr, "volumeMounts"), i, vm) {
    const char *name = json_str(vm, "name") ?: "", *target = json_str(vm, "mountPath") ?: "";
    const json_t *vol = find_volume(v->pod, name);
    char source[PATH_MAX], err[512] = "";
    bool ro;
    if (!vol) {
      snprintf(why, wlen, "volume \"%s\" not found in the pod", name);
      vol_plan_free(m);
      return NULL;
    }
    if (target[0] != '/') continue;
    if (volume_source(v, vol, source, sizeof source, &ro, err, sizeof err)) {
      snprintf(why, wlen, "MountVolume.SetUp failed for volume \"%s\" : %s", name, err);
      vol_plan_free(m);
      return NULL;
    }
    const char *sub = json_str(vm, "subPath");
    if (sub && *sub) {
      size_t l = strlen(source);
      snprintf(source + l, sizeof source - l, "/%s", sub);
      struct stat st;
      if (stat(source, &st)) rt_mkdirs(source, 0777); /* kubelet makes a missing subPath a directory */
    }
    struct stat st;
    bool file = !stat(source, &st) && !S_ISDIR(st.st_mode);
    add_mount_point(m, target, file);
    add_bind(m, source, target, ro || json_is_true(json_object_get(vm, "readOnly")));
    own_hosts |= !strcmp(target, "/etc/hosts");
    own_resolv |= !strcmp(target, "/etc/resolv.conf");
  }
  /* the termination message file, bound at terminationMessagePath; under
   * /dev the empty mount point is made on the host once (an overlay of /dev
   * would hide /dev/pts and /dev/shm) */
  const char *tpath = json_str(ctr, "terminationMessagePath") ?: "/dev/termination-log";
  char tfile[PATH_MAX];
  snprintf(tfile, sizeof tfile, "%s/containers/%s/termination-log", v->pod_dir, json_str(ctr, "name") ?: "");
  if (tpath[0] == '/' && write_file(tfile, "", 0, 0666) == 0) {
    if (!strncmp(tpath, "/dev/", 5) && !strchr(tpath + 5, '/')) {
      touch(tpath);
    } else {
      add_mount_point(m, tpath, true);
    }
    add_bind(m, tfile, tpath, false);
  }
  bool host_net = json_is_true(json_object_get(json_object_get(v->pod, "spec"), "hostNetwork"));
  char path[PATH_MAX + 32], text[8192];
  if (!own_hosts && !host_net) {
    snprintf(path, sizeof path, "%s/etc-hosts", v->pod_dir);
    hosts_file(v, text, sizeof text);
    if (!write_small(path, text)) add_bind(m, path, "/etc/hosts", false);
  }
  if (!own_resolv) { /* made once per pod, as kubelet does for its sandbox */
    snprintf(path, sizeof path, "%s/resolv.conf", v->pod_dir);
    if (access(path, F_OK) != 0) {
      char dns[64];
      pod_dns_cluster_ip(v->get, v->ctx, dns, sizeof dns);
      pod_dns_resolv_conf(v->pod, dns, "/etc/resolv.conf", text, sizeof text);
      write_small(path, text);
    }
    if (!access(path, F_OK)) add_bind(m, path, "/etc/resolv.conf", false);
  }
  return m;
}

void vol_plan_free(rt_mount_plan *m) {
  if (!m) return;
  for (int i = 0; i < m->ntops; i++) {
    free(m->tops[i]);
    free(m->top_links[i]);
    free(m->overlay_opts[i]);
  }
  free(m->tops);
  free(m->top_links);
  free(m->top_overlay);
  free(m->overlay_opts);
  for (int i = 0; i < m->nmkdirs; i++) free(m->mkdirs[i]);
  free(m->mkdirs);
  for (int i = 0; i < m->nbinds; i++) {
    free(m->binds[i].source);
    free(m->binds[i].target);
  }
  free(m->binds);
  free(m->root);
  free(m);
}
