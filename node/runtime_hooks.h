/* runtime_hooks.h - kubelet's lifecycle handlers (pkg/kubelet/lifecycle
 * handlers.go) for the real node agent: a container's postStart or preStop
 * handler run as a process group of its own. exec runs the command in the
 * container's namespaces with its environment; httpGet is a GET made from
 * the node into the pod's network (curl, http:// to host or the pod's IP,
 * the port a number or a container port's name). The runtime waits for it
 * (postStart: the container is not Running before it returns, a failure
 * kills the container) and words a failure as kubelet's events do. */
#ifndef CKUBE_RUNTIME_HOOKS_H
#define CKUBE_RUNTIME_HOOKS_H
#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>
#include "runtime_security.h"

/* Where and as what a handler of one running container runs. */
typedef struct {
  const char *pod_ip;     /* an httpGet's host when it names none */
  const char *netns_ip;   /* the pod's network namespace (pod_network.h), or NULL: the host's */
  const char *pod_name;   /* its UTS namespace's hostname */
  pid_t ctr_pid;          /* the container's process (its mount namespace), or 0 */
  const char *rootfs;     /* the container's root in that namespace, or "" */
  char *const *env;       /* the container's environment, or NULL */
  const char *applets;    /* the container's applet directory, or NULL */
  const char *workdir;    /* the container's workingDir, or NULL */
  const char *out_path;   /* the handler's stdout and stderr go here (truncated) */
  const rt_identity *identity; /* exec: the container's user, groups and capabilities, or NULL: root */
  const char *applets_root;    /* exec: where the applets are bound in the container's root, or NULL */
} rt_hook_target;

/* True when handler (a lifecycle.postStart/preStop object) has an action the agent runs. */
int rt_hook_present(const json_t *handler);

/* Spawns handler for container spec sc; its pid, or -1 with err (the
 * command cannot be started). */
pid_t rt_hook_spawn(const json_t *handler, const json_t *sc, const rt_hook_target *t, char *err, size_t errlen);

/* kubelet's message for a handler that failed (an event's text): wstatus is
 * its waitpid status, or -1 when it could not start (start_err says why);
 * its output is read from out_path. pod_desc is format.Pod's name_ns(uid). */
void rt_hook_failure(const json_t *handler, const char *ctr_name, const char *pod_desc, int wstatus,
                     const char *start_err, const char *out_path, char *msg, size_t len);

/* True when wstatus is a handler's success (exit 0). */
int rt_hook_succeeded(int wstatus);

#endif
