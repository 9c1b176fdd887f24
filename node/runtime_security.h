/* runtime_security.h - who a container's process is, from its pod's and its
 * own securityContext as kubelet resolves them (DetermineEffectiveSecurityContext:
 * the container's runAsUser/runAsGroup over the pod's; the pod's
 * supplementalGroups and fsGroup as supplementary groups) and as a container
 * runtime applies them: the capability set (containerd's default set unless
 * privileged, capabilities.add/drop with "ALL"), no_new_privs when
 * allowPrivilegeEscalation is false. rt_identity_apply is what the spawned
 * child does last before exec. */
#ifndef CKUBE_RUNTIME_SECURITY_H
#define CKUBE_RUNTIME_SECURITY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RT_MAX_GROUPS 64

typedef struct {
  uid_t uid;
  gid_t gid;
  gid_t groups[RT_MAX_GROUPS]; /* supplementary groups */
  int ngroups;
  uint64_t caps;               /* bit n: capability n kept (bounding set; root's effective set) */
  bool no_new_privs;
} rt_identity;

/* The identity of container sc (a v1 Container) of pod; the user's primary group from the host's passwd
 * database when runAsGroup is not given (as runc reads the image's /etc/passwd), else 0. 0, or -1 with
 * kubelet's message in err (an unknown capability name). */
int rt_identity_resolve(const json_t *pod, const json_t *sc, rt_identity *out, char *err, size_t errlen);

/* The capability number of a Kubernetes capability name ("NET_ADMIN", "CAP_NET_ADMIN"), or -1. */
int rt_capability(const char *name);

/* In the child before exec: supplementary groups, gid, uid, the bounding and inheritable capability sets
 * cut to id->caps, no ambient capabilities, no_new_privs. Only system calls; 0 or an errno. */
int rt_identity_apply(const rt_identity *id);

#endif
