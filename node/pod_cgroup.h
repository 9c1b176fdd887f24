/* pod_cgroup.h - the real kubelet's cgroups: one cgroup per pod
 * (pod<uid>) holding one per container, under ckube-<node> beside the
 * agent's own cgroup, on cgroup v2 (memory.max, memory.swap.max, cpu.max;
 * controllers enabled down the tree) or v1 (memory.limit_in_bytes and
 * memory.memsw.limit_in_bytes, cpu.cfs_quota_us over a 100 ms period, in
 * the memory, cpu and cpuacct hierarchies). Limits come from the
 * container's resources.limits as kubelet sets them (CPU quota =
 * millicores * period / 1000, at least 1 ms). A container's process joins
 * its cgroup itself, between fork and exec, through files opened here. The
 * OOM killer's kills (memory.events / memory.oom_control oom_kill) tell an
 * OOMKilled exit; usage (cpu.stat usage_usec / cpuacct.usage, memory
 * usage less inactive file pages: the working set) feeds the metrics. */
#ifndef CKUBE_POD_CGROUP_H
#define CKUBE_POD_CGROUP_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <jansson.h>

#define CG_MAX_FDS 4

typedef struct cg_root cg_root;

/* The node's cgroup tree (made if missing); NULL with why when this
 * machine gives none (not root, no cgroup file system, no controller). */
cg_root *cg_open(const char *node_name, char *why, size_t len);
/* 1 or 2. */
int cg_version(const cg_root *r);
/* Makes the container's cgroup, writes its limits from resources
 * (NULL: none) and opens its cgroup.procs files into fds (close them after
 * the spawn). Returns how many, or -1 with err. */
int cg_container_prepare(cg_root *r, const char *pod_uid, const char *container, const json_t *resources, int *fds,
                         char *err, size_t len);
/* How many processes of the container the OOM killer killed so far (0 when unknown). */
long long cg_oom_kills(const cg_root *r, const char *pod_uid, const char *container);
/* Cumulative CPU (ns) and working-set memory (bytes) of the container; false when unknown. */
bool cg_usage(const cg_root *r, const char *pod_uid, const char *container, uint64_t *cpu_ns, uint64_t *memory);
/* Removes the pod's cgroups (its processes are gone). */
void cg_pod_remove(const cg_root *r, const char *pod_uid);
/* Removes the cgroups of pods for which keep(ctx, uid) is false (an earlier agent's). */
void cg_sweep(const cg_root *r, bool (*keep)(void *ctx, const char *uid), void *ctx);
/* Removes the node's tree (empty by now) and frees r. */
void cg_close(cg_root *r);

/* Pure helpers (tested): the CFS quota in us for a CPU limit in
 * millicores over period_us (-1: no limit), and the memory limit in bytes
 * (-1: none) of a resources object. */
long long cg_cpu_quota_us(long long millicores, long long period_us);
long long cg_memory_limit(const json_t *resources);
long long cg_cpu_millicores(const json_t *resources);

#endif
