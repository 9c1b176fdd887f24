/* pod_volumes.h - a pod's volumes on a real node and the mount plan
 * (runtime_proc.h) that puts them at their mountPath in a container's own
 * mount namespace: emptyDir (a directory of the pod; medium Memory a
 * tmpfs), hostPath with its type check, configMap, secret, downwardAPI and
 * projected (with serviceAccountToken sources, pod_token.c) as files written like kubelet's AtomicWriter (a timestamped
 * directory behind a ..data symlink swapped at once, one symlink per key)
 * and rewritten when their objects change, persistentVolumeClaim through
 * the bound PV (hostPath or local path), subPath, readOnly; plus the pod's
 * /etc/hosts and /etc/resolv.conf. Volumes live under DIR/pods/<uid>/volumes. */
#ifndef CKUBE_POD_VOLUMES_H
#define CKUBE_POD_VOLUMES_H
#include <stddef.h>
#include <jansson.h>
#include "pod_token.h"
#include "runtime_proc.h"
#include "simulate_config.h"

typedef struct {
  const json_t *pod;
  const char *pod_dir, *pod_ip, *host_ip;
  sim_get_fn get;     /* configmaps, secrets, persistentvolumeclaims (namespaced) */
  void *ctx;
  /* true when the object get did not return surely does not exist (404, not an error); NULL: every miss is */
  int (*absent)(void *ctx, const char *plural, const char *ns, const char *name);
  json_t *(*get_pv)(void *ctx, const char *name); /* a PersistentVolume, or NULL */
  pod_token_post_fn post; /* TokenRequests for serviceAccountToken sources (NULL: none) */
  json_t *tokens;         /* the pod's token cache (pod_token.h) */
} vol_ctx;

/* Makes the pod's volumes ready and the mount plan of container ctr (its
 * root under DIR/pods/<uid>/containers/<name>/rootfs). NULL with the
 * volume's name and kubelet's message in why (a FailedMount event:
 * `MountVolume.SetUp failed for volume "x" : ...`). */
rt_mount_plan *vol_plan(const vol_ctx *v, const json_t *ctr, char *why, size_t wlen);
void vol_plan_free(rt_mount_plan *m);
/* Adds a read-only file of the image (source, a host file) at target in the container's root. */
void vol_plan_add_file(rt_mount_plan *m, const char *source, const char *target);

/* Adds a read-only directory of the host (source) at target in the container's root. */
void vol_plan_add_dir(rt_mount_plan *m, const char *source, const char *target);

/* Rewrites the configMap/secret/downwardAPI/projected volumes whose content
 * changed (objects updated, labels changed); an optional object that is gone
 * empties its volume (one created later fills it), an object that cannot be
 * read leaves it as it is. */
void vol_refresh(const vol_ctx *v);

/* Unmounts the pod's memory-backed emptyDirs (before its directory goes). */
void vol_teardown(const char *pod_dir);

/* AtomicWriter: makes dir hold exactly files (n paths, contents, modes)
 * through a new ..<timestamp> directory and the ..data symlink swap; no
 * change when the content is the same. 0, or -1 with err. */
typedef struct {
  const char *path;    /* relative, may hold '/' */
  const char *data;
  size_t len;
  int mode;
} vol_file;
int vol_atomic_write(const char *dir, const vol_file *files, int n, char *err, size_t errlen);

#endif
