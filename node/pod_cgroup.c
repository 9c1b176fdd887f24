/* pod_cgroup.c - see pod_cgroup.h. The agent's own cgroup comes from
 * /proc/self/cgroup; on v1 the node's tree sits inside it in each
 * hierarchy, on v2 beside it (a v2 cgroup holding processes cannot hand
 * controllers to its children). */
#include "pod_cgroup.h"
#include "quantity.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_FS "/sys/fs/cgroup"
#define CFS_PERIOD_US 100000LL
#define MIN_QUOTA_US 1000LL /* kubelet's minimum CFS quota */
#define RMDIR_TRIES 20

struct cg_root {
  int version;
  char mem[PATH_MAX], cpu[PATH_MAX], acct[PATH_MAX]; /* the node's directory per hierarchy (v2: all the same) */
};

static int write_str(const char *path, const char *v) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, v, strlen(v));
  close(fd);
  return n == (ssize_t)strlen(v) ? 0 : -1;
}

static int write_in(const char *dir, const char *file, const char *v) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  return write_str(path, v);
}

/* The number after "key " in a flat-keyed file (memory.stat, cpu.stat, memory.events), or -1. */
static long long read_key(const char *dir, const char *file, const char *key) {
  char path[PATH_MAX + 64], line[256];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "r");
  long long v = -1;
  size_t kl = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ' ') {
      v = atoll(line + kl + 1);
      break;
    }
  if (f) fclose(f);
  return v;
}

static long long read_number(const char *dir, const char *file) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "r");
  long long v = -1;
  if (f && fscanf(f, "%lld", &v) != 1) v = -1;
  if (f) fclose(f);
  return v;
}

/* The agent's cgroup path in the hierarchy holding controller (v1), or the v2 one (controller ""). */
static int self_path(const char *controller, char *out, size_t len) {
  FILE *f = fopen("/proc/self/cgroup", "r");
  char line[PATH_MAX + 128];
  int found = -1;
  while (f && found && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = 0;
    const char *list = c1 + 1, *path = c2 + 1;
    bool match = !*controller ? !*list : false;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *w = strtok_r(copy, ",", &save); w && *controller && !match; w = strtok_r(NULL, ",", &save))
      match = !strcmp(w, controller);
    if (match) {
      snprintf(out, len, "%s", path);
      found = 0;
    }
  }
  if (f) fclose(f);
  return found;
}

static int mkdirs(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0755) && errno != EEXIST) return -1;
      *p = '/';
    }
  return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

static int open_v1(cg_root *r, const char *node, char *why, size_t len) {
  static const char *const ctrl[3] = {"memory", "cpu", "cpuacct"};
  char *dirs[3] = {r->mem, r->cpu, r->acct};
  for (int i = 0; i < 3; i++) {
    char self[PATH_MAX], mount_dir[PATH_MAX + 32];
    snprintf(mount_dir, sizeof mount_dir, CG_FS "/%s", ctrl[i]);
    if (self_path(ctrl[i], self, sizeof self) || access(mount_dir, W_OK)) {
      snprintf(why, len, "no writable cgroup v1 %s hierarchy", ctrl[i]);
      return -1;
    }
    snprintf(dirs[i], PATH_MAX, "%s%s/ckube-%s", mount_dir, strcmp(self, "/") ? self : "", node);
    if (mkdirs(dirs[i])) {
      snprintf(why, len, "cannot make %s: %s", dirs[i], strerror(errno));
      return -1;
    }
  }
  r->version = 1;
  return 0;
}

static int open_v2(cg_root *r, const char *node, char *why, size_t len) {
  char self[PATH_MAX], base[PATH_MAX + 32];
  if (self_path("", self, sizeof self)) {
    snprintf(why, len, "no cgroup v2 entry in /proc/self/cgroup");
    return -1;
  }
  char *slash = strrchr(self, '/');
  if (slash && slash != self) *slash = 0; /* the parent: it holds no process of its own */
  else snprintf(self, sizeof self, "/");
  snprintf(base, sizeof base, CG_FS "%s", strcmp(self, "/") ? self : "");
  write_in(base, "cgroup.subtree_control", "+memory +cpu");
  snprintf(r->mem, PATH_MAX, "%s/ckube-%s", base, node);
  if (mkdirs(r->mem) || write_in(r->mem, "cgroup.subtree_control", "+memory +cpu")) {
    snprintf(why, len, "cannot make %s with the memory and cpu controllers: %s", r->mem, strerror(errno));
    rmdir(r->mem);
    return -1;
  }
  snprintf(r->cpu, PATH_MAX, "%s", r->mem);
  snprintf(r->acct, PATH_MAX, "%s", r->mem);
  r->version = 2;
  return 0;
}

cg_root *cg_open(const char *node_name, char *why, size_t len) {
  if (geteuid() != 0) {
    snprintf(why, len, "not root");
    return NULL;
  }
  cg_root *r = calloc(1, sizeof *r);
  int rc = !access(CG_FS "/cgroup.controllers", F_OK) ? open_v2(r, node_name, why, len)
           : !access(CG_FS "/memory/memory.limit_in_bytes", F_OK) ? open_v1(r, node_name, why, len)
                                                                   : (snprintf(why, len, "no cgroup file system at " CG_FS), -1);
  if (rc) {
    free(r);
    return NULL;
  }
  return r;
}

int cg_version(const cg_root *r) { return r->version; }

static void pod_dir(const char *node_dir, const char *uid, char *out, size_t len) {
  snprintf(out, len, "%s/pod%s", node_dir, uid);
}

static void ctr_dir(const char *node_dir, const char *uid, const char *ctr, char *out, size_t len) {
  snprintf(out, len, "%s/pod%s/%s", node_dir, uid, ctr);
}

long long cg_cpu_quota_us(long long millicores, long long period_us) {
  if (millicores <= 0) return -1;
  long long q = millicores * period_us / 1000;
  return q < MIN_QUOTA_US ? MIN_QUOTA_US : q;
}

static long long resource(const json_t *resources, const char *which, const char *name, bool milli) {
  const char *s = json_string_value(json_object_get(json_object_get(resources, which), name));
  quantity q;
  if (!s || quantity_parse(s, &q)) return -1;
  return milli ? quantity_milli(&q) : quantity_value(&q);
}

long long cg_memory_limit(const json_t *resources) { return resource(resources, "limits", "memory", false); }
long long cg_cpu_millicores(const json_t *resources) { return resource(resources, "limits", "cpu", true); }

/* kubelet's cpu.shares from the CPU request (limits stand in when no request is given), at least 2. */
static long long cpu_shares(const json_t *resources) {
  long long m = resource(resources, "requests", "cpu", true);
  if (m < 0) m = resource(resources, "limits", "cpu", true);
  long long shares = m < 0 ? 2 : m * 1024 / 1000;
  return shares < 2 ? 2 : shares;
}

static int limits_v2(const char *dir, const json_t *res) {
  char v[64];
  long long mem = cg_memory_limit(res), quota = cg_cpu_quota_us(cg_cpu_millicores(res), CFS_PERIOD_US);
  if (mem > 0) snprintf(v, sizeof v, "%lld", mem);
  else snprintf(v, sizeof v, "max");
  if (write_in(dir, "memory.max", v)) return -1;
  write_in(dir, "memory.swap.max", mem > 0 ? "0" : "max"); /* absent without swap accounting */
  if (quota > 0) snprintf(v, sizeof v, "%lld %lld", quota, CFS_PERIOD_US);
  else snprintf(v, sizeof v, "max %lld", CFS_PERIOD_US);
  if (write_in(dir, "cpu.max", v)) return -1;
  snprintf(v, sizeof v, "%lld", 1 + (cpu_shares(res) - 2) * 9999 / 262142); /* kubelet's shares -> weight */
  return write_in(dir, "cpu.weight", v);
}

static int limits_v1(const cg_root *r, const char *uid, const char *ctr, const json_t *res) {
  char mem_dir[PATH_MAX + 600], cpu_dir[PATH_MAX + 600], v[64];
  ctr_dir(r->mem, uid, ctr, mem_dir, sizeof mem_dir);
  ctr_dir(r->cpu, uid, ctr, cpu_dir, sizeof cpu_dir);
  long long mem = cg_memory_limit(res), quota = cg_cpu_quota_us(cg_cpu_millicores(res), CFS_PERIOD_US);
  snprintf(v, sizeof v, "%lld", mem > 0 ? mem : -1);
  if (mem > 0) { /* memsw (memory + swap) may never be below the memory limit */
    if (write_in(mem_dir, "memory.limit_in_bytes", v)) return -1;
    write_in(mem_dir, "memory.memsw.limit_in_bytes", v);
  } else {
    write_in(mem_dir, "memory.memsw.limit_in_bytes", v);
    if (write_in(mem_dir, "memory.limit_in_bytes", v)) return -1;
  }
  snprintf(v, sizeof v, "%lld", CFS_PERIOD_US);
  if (write_in(cpu_dir, "cpu.cfs_period_us", v)) return -1;
  snprintf(v, sizeof v, "%lld", quota);
  if (write_in(cpu_dir, "cpu.cfs_quota_us", v)) return -1;
  snprintf(v, sizeof v, "%lld", cpu_shares(res));
  return write_in(cpu_dir, "cpu.shares", v);
}

int cg_container_prepare(cg_root *r, const char *uid, const char *ctr, const json_t *res, int *fds, char *err,
                         size_t len) {
  const char *roots[3] = {r->mem, r->cpu, r->acct};
  int n = 0;
  for (int i = 0; i < 3; i++) {
    bool dup = false;
    for (int j = 0; j < i; j++) dup = dup || !strcmp(roots[i], roots[j]);
    if (dup) continue;
    char pdir[PATH_MAX + 600], cdir[PATH_MAX + 600], procs[PATH_MAX + 700];
    pod_dir(roots[i], uid, pdir, sizeof pdir);
    ctr_dir(roots[i], uid, ctr, cdir, sizeof cdir);
    if (mkdirs(pdir) || (r->version == 2 && write_in(pdir, "cgroup.subtree_control", "+memory +cpu")) ||
        mkdirs(cdir)) {
      snprintf(err, len, "cannot make cgroup %s: %s", cdir, strerror(errno));
      goto fail;
    }
    snprintf(procs, sizeof procs, "%s/cgroup.procs", cdir);
    if ((fds[n] = open(procs, O_WRONLY | O_CLOEXEC)) < 0) {
      snprintf(err, len, "open %s: %s", procs, strerror(errno));
      goto fail;
    }
    n++;
  }
  char dir[PATH_MAX + 600];
  ctr_dir(r->mem, uid, ctr, dir, sizeof dir);
  if (r->version == 2 ? limits_v2(dir, res) : limits_v1(r, uid, ctr, res)) {
    snprintf(err, len, "cannot set the resource limits of cgroup %s: %s", dir, strerror(errno));
    goto fail;
  }
  return n;
fail:
  for (int i = 0; i < n; i++) close(fds[i]);
  return -1;
}

long long cg_oom_kills(const cg_root *r, const char *uid, const char *ctr) {
  char dir[PATH_MAX + 600];
  ctr_dir(r->mem, uid, ctr, dir, sizeof dir);
  long long v = read_key(dir, r->version == 2 ? "memory.events" : "memory.oom_control", "oom_kill");
  return v < 0 ? 0 : v;
}

bool cg_usage(const cg_root *r, const char *uid, const char *ctr, uint64_t *cpu_ns, uint64_t *memory) {
  char mdir[PATH_MAX + 600], adir[PATH_MAX + 600];
  ctr_dir(r->mem, uid, ctr, mdir, sizeof mdir);
  ctr_dir(r->acct, uid, ctr, adir, sizeof adir);
  long long cpu, used, inactive;
  if (r->version == 2) {
    long long us = read_key(adir, "cpu.stat", "usage_usec");
    cpu = us < 0 ? -1 : us * 1000;
    used = read_number(mdir, "memory.current");
    inactive = read_key(mdir, "memory.stat", "inactive_file");
  } else {
    cpu = read_number(adir, "cpuacct.usage");
    used = read_number(mdir, "memory.usage_in_bytes");
    inactive = read_key(mdir, "memory.stat", "total_inactive_file");
  }
  if (cpu < 0 || used < 0) return false;
  *cpu_ns = (uint64_t)cpu;
  *memory = (uint64_t)(inactive > 0 && inactive < used ? used - inactive : used);
  return true;
}

static void rmdir_retry(const char *dir) {
  for (int t = 0; t < RMDIR_TRIES && rmdir(dir) && errno == EBUSY; t++) usleep(10000);
}

static void remove_pod_dir(const char *pdir) {
  DIR *d = opendir(pdir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    char sub[PATH_MAX + 600];
    snprintf(sub, sizeof sub, "%s/%s", pdir, e->d_name);
    rmdir_retry(sub);
  }
  if (d) closedir(d);
  rmdir_retry(pdir);
}

void cg_pod_remove(const cg_root *r, const char *uid) {
  if (!r) return;
  const char *roots[3] = {r->mem, r->cpu, r->acct};
  for (int i = 0; i < (r->version == 2 ? 1 : 3); i++) {
    char pdir[PATH_MAX + 600];
    pod_dir(roots[i], uid, pdir, sizeof pdir);
    remove_pod_dir(pdir);
  }
}

void cg_sweep(const cg_root *r, bool (*keep)(void *ctx, const char *uid), void *ctx) {
  if (!r) return;
  const char *roots[3] = {r->mem, r->cpu, r->acct};
  for (int i = 0; i < (r->version == 2 ? 1 : 3); i++) {
    DIR *d = opendir(roots[i]);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_type != DT_DIR || strncmp(e->d_name, "pod", 3) || (keep && keep(ctx, e->d_name + 3))) continue;
      char pdir[PATH_MAX + 600];
      snprintf(pdir, sizeof pdir, "%s/%s", roots[i], e->d_name);
      remove_pod_dir(pdir);
    }
    if (d) closedir(d);
  }
}

void cg_close(cg_root *r) {
  if (!r) return;
  cg_sweep(r, NULL, NULL);
  rmdir(r->mem);
  if (r->version == 1) {
    rmdir(r->cpu);
    rmdir(r->acct);
  }
  free(r);
}
