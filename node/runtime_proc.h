/* runtime_proc.h - containers as process groups: fork/exec of a prepared
 * argv and environment in a new session (the group id is the pid, so the
 * whole container is signalled at once) with its own UTS namespace and the
 * pod's hostname when the machine allows it, its own PID namespace and
 * cgroup when asked; stdout and stderr go through
 * pipes to a thread that writes kubelet's CRI log format
 * (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`); the pid is recorded in a
 * file so an agent restarted after a crash kills what its predecessor ran. */
#ifndef CKUBE_RUNTIME_PROC_H
#define CKUBE_RUNTIME_PROC_H
#include <stddef.h>
#include <sys/types.h>
#include "runtime_security.h"

/* The container's own view of the file system (a mount namespace), made
 * in the child from paths prepared before fork (pod_volumes.h): a tmpfs
 * root holding the host's top-level directories (bind mounts, or overlays
 * where a mount point must be created), the directories to create, then
 * the volume binds, then chroot. */
typedef struct {
  char *source, *target; /* target: an absolute path under root */
  int readonly;
} rt_bind;

typedef struct {
  char *root;            /* the tmpfs root's mount point (a directory of the pod) */
  char **tops;           /* host top-level entries, "/usr" ... */
  char **top_links;      /* for each top: the symlink's target, or NULL for a directory */
  int *top_overlay;      /* for each top: 1 = an overlay (private writes), 0 = a bind */
  int ntops;
  char **overlay_opts;   /* for each top: the overlay mount options, or NULL */
  char **mkdirs;         /* absolute paths under root, created in order (a trailing '|' makes a file) */
  int nmkdirs;
  rt_bind *binds;
  int nbinds;
  int readonly_root;     /* securityContext.readOnlyRootFilesystem: the root and the host's directories read-only
                            (volumes, /dev, /proc and /sys as they are) */
} rt_mount_plan;

typedef struct {
  char *const *argv;      /* argv[0] a path or a name looked up in PATH */
  char *const *envp;      /* NAME=value, NULL-terminated */
  const char *applets;    /* directory of applet links tried first for argv[0]'s base name, or NULL */
  const char *workdir;    /* or NULL */
  const char *hostname;   /* the pod's name, for its UTS namespace (or NULL) */
  const char *log_path;   /* CRI log file, appended */
  const char *pid_path;   /* where the pid is recorded (or NULL) */
  int netns_fd;           /* the pod's network namespace (pod_network.h), or -1 */
  int capture_fd;         /* > 0: stdout and stderr go to this fd as they are (no log file, no pid file) */
  const rt_mount_plan *mounts; /* a mount namespace of its own, or NULL: the host's */
  int join_mnt_fd;        /* > 0: join this mount namespace (a running container's) and chroot to join_root */
  const char *join_root;
  const char *stdin_path; /* spec.stdin: a FIFO made here as the container's stdin, which kubectl attach
                             writes to (the container holds both ends: it never reads EOF); NULL: /dev/null */
  int tty;                /* spec.tty: stdin, stdout and stderr are a pseudo-terminal whose output is logged as
                             stdout; the stdin FIFO is then read by the log thread into the terminal */
  int new_pid_ns;         /* with mounts: a PID namespace of its own (the process is its pid 1, /proc its own) */
  const int *cgroup_fds;  /* cgroup.procs files the child writes itself into before exec (pod_cgroup.h) */
  int ncgroup_fds;
  const rt_identity *identity; /* the user, groups, capabilities and no_new_privs it runs with (runtime_security.h),
                                  applied last before exec; NULL: the agent's own */
  const char *applets_root; /* with mounts (or join_mnt_fd): where the applets directory is bound in the container's root
                               (a non-root user may not reach the agent's data directory), or NULL */
  const char *docroot, *docroot_page; /* a builtin web server's document root (builtin_docroot.h), made in the
                                         child inside the container's namespaces before the identity drops
                                         the privileges its mounts need; NULL: none */
} rt_spawn_req;

/* The upper and work directories of the overlay of top i under root
 * (the overlay options name them: lowerdir=TOP,upperdir=U,workdir=W). */
void rt_overlay_dirs(const char *root, int i, char *upper, char *work, size_t len);

/* Starts the container. Returns its pid, or -1 with the runtime's message
 * in err (e.g. exec: "x": executable file not found in $PATH). */
pid_t rt_spawn(const rt_spawn_req *r, char *err, size_t errlen);

/* Waits up to timeout_ms for the log thread of container pid to have written its last record (its output
 * pipes closed); 0 when it has (or never ran), -1 on timeout. */
int rt_log_wait(pid_t pid, int timeout_ms);

/* An fd of process pid's mount namespace (for join_mnt_fd), or -1. */
int rt_open_mount_ns(pid_t pid);

/* Sends sig to the container's whole process group. */
void rt_signal_group(pid_t pid, int sig);
/* True while any process of the group lives. */
int rt_group_alive(pid_t pid);

/* A directory under data_dir holding one link per applet of the multi-call
 * binary (busybox --list), made once, written to out; NULL when it cannot
 * be made, else out. Safe from several threads. */
const char *rt_applets_dir(const char *data_dir, const char *binary, char *out, size_t len);

/* Kills the process groups recorded in data_dir/pods/<uid>/containers/<name>/pid
 * by an earlier agent, and removes the files. Returns how many it killed. */
int rt_reap_recorded(const char *data_dir);

/* mkdir -p; 0 or -1. */
int rt_mkdirs(const char *path, int mode);
/* rm -rf of path (a pod's directory). */
void rt_remove_tree(const char *path);

#endif
