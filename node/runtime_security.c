/* runtime_security.c - see runtime_security.h. The capability rules are
 * containerd 1.4's CRI (default set, then "ALL" added or dropped, then the
 * single names added, then dropped); the non-root checks are kubelet's
 * verifyRunAsNonRoot with its messages. Images here declare no USER, so an
 * image's user is root. */
#include "runtime_security.h"
#include <errno.h>
#include <linux/capability.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE"};
#define NCAPS (int)(sizeof cap_names / sizeof *cap_names)

/* containerd's default set for a container that is not privileged. */
static const char *const default_caps[] = {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
                                           "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
                                           "AUDIT_WRITE"};

#define ALL_CAPS ((1ULL << NCAPS) - 1)

int rt_capability(const char *name) {
  if (!strncasecmp(name, "CAP_", 4)) name += 4;
  for (int i = 0; i < NCAPS; i++)
    if (!strcasecmp(cap_names[i], name)) return i;
  return -1;
}

static bool has_all(const json_t *list) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) if (!strcasecmp(json_string_value(v) ?: "", "ALL")) return true;
  return false;
}

/* Adds (or drops) the single names of list to *caps; -1 with err for an unknown one. */
static int apply_names(const json_t *list, bool add, uint64_t *caps, char *err, size_t errlen) {
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *name = json_string_value(v) ?: "";
    if (!strcasecmp(name, "ALL")) continue;
    int n = rt_capability(name);
    if (n < 0) {
      snprintf(err, errlen, "unknown capability \"CAP_%s\"", name);
      return -1;
    }
    if (add) *caps |= 1ULL << n;
    else *caps &= ~(1ULL << n);
  }
  return 0;
}

/* A field of the container's securityContext, else of the pod's. */
static const json_t *effective(const json_t *csc, const json_t *psc, const char *key) {
  const json_t *v = json_object_get(csc, key);
  return v && !json_is_null(v) ? v : json_object_get(psc, key);
}

static void add_group(rt_identity *id, long long g) {
  if (id->ngroups < RT_MAX_GROUPS) id->groups[id->ngroups++] = (gid_t)g;
}

int rt_identity_resolve(const json_t *pod, const json_t *sc, rt_identity *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  const json_t *psc = json_object_get(json_object_get(pod, "spec"), "securityContext");
  const json_t *csc = json_object_get(sc, "securityContext");
  const json_t *user = effective(csc, psc, "runAsUser"), *group = effective(csc, psc, "runAsGroup");
  const json_t *meta = json_object_get(pod, "metadata");
  if (json_is_true(effective(csc, psc, "runAsNonRoot"))) { /* kubelet's verifyRunAsNonRoot */
    const char *what = !json_is_integer(user) ? "container has runAsNonRoot and image will run as root"
                       : json_integer_value(user) == 0 ? "container's runAsUser breaks non-root policy" : NULL;
    if (what) {
      snprintf(err, errlen, "%s (pod: \"%s_%s(%s)\", container: %s)", what,
               json_string_value(json_object_get(meta, "name")) ?: "",
               json_string_value(json_object_get(meta, "namespace")) ?: "",
               json_string_value(json_object_get(meta, "uid")) ?: "",
               json_string_value(json_object_get(sc, "name")) ?: "");
      return -1;
    }
  }
  out->uid = json_is_integer(user) ? (uid_t)json_integer_value(user) : 0;
  if (json_is_integer(group)) {
    out->gid = (gid_t)json_integer_value(group);
  } else { /* runc: the user's primary group in the passwd database */
    struct passwd pw, *found = NULL;
    char buf[4096];
    out->gid = getpwuid_r(out->uid, &pw, buf, sizeof buf, &found) == 0 && found ? pw.pw_gid : 0;
  }
  const json_t *fs_group = json_object_get(psc, "fsGroup");
  if (json_is_integer(fs_group)) add_group(out, json_integer_value(fs_group));
  size_t i;
  json_t *g;
  json_array_foreach(json_object_get(psc, "supplementalGroups"), i, g)
    if (json_is_integer(g)) add_group(out, json_integer_value(g));
  const json_t *caps = json_object_get(csc, "capabilities");
  const json_t *add = json_object_get(caps, "add"), *drop = json_object_get(caps, "drop");
  if (json_is_true(json_object_get(csc, "privileged"))) {
    out->caps = ALL_CAPS;
  } else {
    for (size_t k = 0; k < sizeof default_caps / sizeof *default_caps; k++)
      out->caps |= 1ULL << rt_capability(default_caps[k]);
    if (has_all(add)) out->caps = ALL_CAPS;
    if (has_all(drop)) out->caps = 0;
    if (apply_names(add, true, &out->caps, err, errlen) || apply_names(drop, false, &out->caps, err, errlen))
      return -1;
  }
  out->no_new_privs = json_is_false(json_object_get(csc, "allowPrivilegeEscalation"));
  return 0;
}

int rt_identity_apply(const rt_identity *id) {
  for (int c = 0; c < 64; c++) /* the kernel's last capability and beyond: EINVAL, nothing to drop */
    if (!(id->caps & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) return errno;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) return errno;
  /* the system calls, not glibc's wrappers: these broadcast to every thread glibc knows, and a child the
   * agent cloned without fork() (a new PID namespace) inherits a list of threads that are not there */
  if (syscall(SYS_setgroups, (size_t)id->ngroups, id->groups) || syscall(SYS_setresgid, id->gid, id->gid, id->gid) ||
      syscall(SYS_setresuid, id->uid, id->uid, id->uid))
    return errno;
  /* root keeps the set as its effective and permitted capabilities (a non-root uid lost them at setresuid) */
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data)) return errno;
  for (int k = 0; k < 2; k++) {
    uint32_t keep = (uint32_t)(id->caps >> (32 * k));
    data[k].effective &= keep;
    data[k].permitted &= keep;
    data[k].inheritable = 0;
  }
  if (syscall(SYS_capset, &hdr, data)) return errno;
  if (id->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return errno;
  return 0;
}
