/* scheduler.h - the parts of the scheduler (scheduler*.c) and their shared
 * types. The scheduler keeps every node's allocatable resources and the sum
 * of what its pods request in memory (sched_node), turns each pod into a
 * flat summary once (sched_pod), then runs kube-scheduler 1.20's default
 * filters in its order (NodeUnschedulable, TaintToleration, NodeAffinity,
 * NodePorts, NodeResourcesFit; the first failing filter gives a node's
 * reasons) and scores (least allocated, balanced allocation, preferred node
 * affinity, PreferNoSchedule taints, spreading an owner's pods). Pure
 * functions over these types; the caller locks. */
#ifndef CKUBE_SCHEDULER_H
#define CKUBE_SCHEDULER_H
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "controller.h"
#include "strmap.h"
#include "watch_cache.h"

#define SCHED_MAX_SCALARS 4

/* Requests or capacity: cpu in millicores, memory and ephemeral storage in
 * bytes, extended resources (nvidia.com/gpu, hugepages-2Mi) in units. */
typedef struct {
  int64_t milli_cpu, memory, ephemeral;
  int nscalars;
  struct {
    char name[128];
    int64_t value;
  } scalars[SCHED_MAX_SCALARS];
} sched_resources;

typedef struct {
  char protocol[8];
  char ip[48];
  int port;
} sched_host_port;

typedef struct {
  char key[256];
  char value[64];
  char effect[20];
} sched_taint;

/* What the scheduler needs of one pod; built by sched_pod_parse. */
typedef struct {
  const json_t *pod;          /* borrowed: the pod object */
  /* borrowed from pod, NULL when absent: what the filters read for every
   * node, looked up once per pod (the pod without them skips NodeAffinity) */
  const json_t *tolerations, *node_selector, *required_terms;
  sched_resources requests;   /* computePodResourceRequest: sum of containers, max of init containers, overhead */
  sched_resources nonzero;    /* the same with 100m cpu / 200Mi memory for containers without requests (scoring) */
  int nports;
  sched_host_port ports[8];
  char owner[64];             /* uid of the controller ownerReference ("" without) */
  int nvolume_terms;          /* VolumeBinding: the required nodeSelectorTerms of the pod's bound */
  const json_t *volume_terms[8]; /* PersistentVolumes (borrowed, set by the caller) */
} sched_pod;

/* One node and what is scheduled on it. */
typedef struct {
  char *name;
  const json_t *node;         /* the Node (a shared read-only reference), NULL while only pods refer to it */
  sched_resources allocatable;
  int64_t allowed_pods;
  bool unschedulable;
  int ntaints;
  sched_taint *taints;
  sched_resources requested;  /* sum of requests of its pods (assumed ones included) */
  sched_resources nonzero_requested;
  int npods;
  int nports;
  sched_host_port *ports;     /* host ports in use */
  int nowners, capowners;
  struct sched_owner_pods {
    char uid[64];
    int pods;
  } *owners;                  /* pods here per controller owner uid: few per node, so an array scanned
                                 in one cache line or two (a map per node cost a miss per lookup) */
} sched_node;

/* scheduler_pod.c */
void sched_pod_parse(const json_t *pod, sched_pod *out);
/* Drops the references into the pod object (a copy kept after it goes). */
void sched_pod_forget_object(sched_pod *p);
/* A deep copy of n without its owner counts (enough to filter against;
 * free with sched_node_free). */
sched_node *sched_node_clone(const sched_node *n);
/* Sets the node's properties from a Node object (keeps what is scheduled). */
void sched_node_set(sched_node *n, const json_t *node);
void sched_node_add_pod(sched_node *n, const sched_pod *p);
void sched_node_remove_pod(sched_node *n, const sched_pod *p);
void sched_node_free(sched_node *n);
/* How many pods of the controller owner uid are on n. */
int sched_node_owner_pods(const sched_node *n, const char *owner);
/* Whether a change of a Node can make a pod fit somewhere (labels,
 * taints, unschedulable, allocatable differ). */
bool sched_node_properties_changed(const json_t *old_node, const json_t *new_node);

/* scheduler_filter.c */
#define SCHED_MAX_REASONS 8
typedef struct {
  int n;
  char reasons[SCHED_MAX_REASONS][160];
  bool resolvable; /* Unschedulable (ports, resources: evicting pods may help), not UnschedulableAndUnresolvable */
} sched_reasons;
/* True when p fits n; otherwise the reasons of the first failing filter. */
bool sched_filter(const sched_pod *p, const sched_node *n, sched_reasons *why);
/* Whether a Node satisfies one NodeSelectorTerm (matchExpressions and
 * matchFields; an empty term matches nothing), or just a list of
 * NodeSelectorRequirements on its labels. */
bool sched_node_matches_term(const json_t *term, const json_t *node);
bool sched_node_matches_expressions(const json_t *exprs, const json_t *node);

/* Histogram of reasons over the nodes that failed -> FitError's message
 * "0/N nodes are available: 1 node(s) ..., 2 Insufficient cpu." */
typedef struct sched_fit_error sched_fit_error;
sched_fit_error *sched_fit_error_new(void);
void sched_fit_error_add(sched_fit_error *e, const sched_reasons *why);
/* malloc'd message for total nodes. */
char *sched_fit_error_message(const sched_fit_error *e, int total_nodes);
void sched_fit_error_free(sched_fit_error *e);

/* scheduler_volumes.c: VolumeBinding's PreFilter. Reads the pod's claims
 * (references kept in held while p is used), fills p->volume_terms, and
 * appends unbound WaitForFirstConsumer claims to wait_claims. false with the
 * reason every node gets when the pod cannot be scheduled anywhere. */
bool sched_volumes_prepare(const ctrl_context *cctx, sched_pod *p, cobj_vec *held, char *why, size_t whylen,
                           cobj_vec *wait_claims);

/* scheduler_score.c */
/* Index into nodes[0..n) of the best node for p (ties broken at random, as
 * selectHost does), using the weighted default scores. n > 0. */
int sched_select(const sched_pod *p, sched_node *const *nodes, int n, unsigned *rand_state);
/* How many feasible nodes to look for among total (percentageOfNodesToScore
 * defaulting: all below 100 nodes, then 50% - total/125, at least 5% and 100). */
int sched_nodes_to_find(int total);

/* scheduler_preempt.c: DefaultPreemption's PostFilter (see there). */
/* A pod placed on a node, as preemption sees it. */
typedef struct {
  const char *key;       /* "ns/name" (borrowed) */
  const sched_pod *info; /* requests and ports (borrowed; info->pod may be NULL) */
  int32_t priority;      /* spec.priority */
  long long start;       /* status.startTime (epoch seconds); now when not started */
  const json_t *labels;  /* metadata.labels (borrowed; needed only with PodDisruptionBudgets) */
  bool pdb_violating;    /* set by sched_mark_pdb_violations */
} sched_victim;

/* A node where evicting victims makes the preemptor fit. */
typedef struct {
  int node;              /* the caller's index of the node */
  int nvictims, pdb_violations;
  sched_victim *victims; /* malloc'd copies, more important first within each PDB group */
} sched_candidate;

/* selectVictimsOnNode: removes from n (a scratch copy, changed) every pod of
 * pods[0..npods) with a priority below priority; unless p then fits, false.
 * Otherwise takes back as many as still let p fit, most important first
 * (higher priority, then earlier start), those whose eviction would violate
 * one of pdbs (a JSON array of PodDisruptionBudgets, or NULL) before the
 * others, and fills c with the rest (c->victims malloc'd: sched_candidate_clear). */
bool sched_select_victims(const sched_pod *p, int32_t priority, sched_node *n, const sched_victim *pods, int npods,
                          const json_t *pdbs, sched_candidate *c);
/* pickOneNodeForPreemption: the index into c[0..n) of the best candidate:
 * fewest PDB violations, then lowest priority of the first victim, then
 * smallest sum of victim priorities, then fewest victims, then the latest
 * earliest start among the highest-priority victims; ties keep the first. n > 0. */
int sched_pick_candidate(const sched_candidate *c, int n);
/* FindCandidates + SelectCandidate: dry-runs sched_select_victims on
 * views[i] (scratch copies, changed) with the pods on each, from a random offset until max(10% of n, 100) candidates are found,
 * and fills best with the chosen one (best->node indexes views). false when
 * evicting helps nowhere. */
bool sched_preempt_plan(const sched_pod *p, int32_t priority, sched_node *const *views, sched_victim *const *pods,
                        const int *npods, int n, const json_t *pdbs, unsigned *rand_state, sched_candidate *best);
/* MoreImportantPod: a before b (higher priority, then earlier start). */
bool sched_victim_more_important(const sched_victim *a, const sched_victim *b);
/* filterPodsWithPDBViolation: sets pdb_violating on each of pods[0..n) whose
 * eviction takes a matching budget (same namespace, selector matching its
 * labels, not already in status.disruptedPods) below zero disruptionsAllowed,
 * counting in the order given. */
void sched_mark_pdb_violations(sched_victim *pods, int n, const json_t *pdbs);
/* Preempts: deletes each victim (graceful, as a client's DELETE) and records
 * "Preempted by <ns>/<name> on node <node>" on it. Returns how many deletions
 * failed (not counting pods already gone). */
int sched_preempt_evict(const ctrl_context *cctx, const json_t *preemptor, const char *node,
                        const sched_victim *victims, int n);
void sched_candidate_clear(sched_candidate *c);

#endif
