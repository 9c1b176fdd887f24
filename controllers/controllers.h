/* controllers.h - starts and stops the in-process controllers. Each
 * controller lives in its own file with one entry point and talks to the
 * store only through the API core (api.h), like any client: each start is
 * given the ctrl_context (controller.h) whose server it writes through and
 * whose informers it reads, and keeps it until its stop. Leadership
 * comes and goes, so every controller's start must work again after its
 * stop, beginning from nothing as a new process would. */
#ifndef CKUBE_CONTROLLERS_H
#define CKUBE_CONTROLLERS_H
#include "controller.h"
#include "leader_election.h"
#include <stdbool.h>

/* Runs kube-controller-manager's controllers (controllers_start) while this
 * server holds the Lease kube-system/kube-controller-manager and the
 * scheduler while it holds kube-system/kube-scheduler; at once and for good
 * without cfg->enabled. Call once, after the API core is up. */
void controllers_run(const ctrl_context *cc, const leader_config *cfg);
/* Stops both electors and whatever they run (at shutdown). */
void controllers_shutdown(void);
/* Whether this process runs the scheduler (true) or the other controllers
 * (false) right now: leading their Lease, or without leader election. */
bool controllers_running_here(bool the_scheduler);

/* Every controller but the scheduler, in start order / reverse order. */
void controllers_start(const ctrl_context *cc);
void controllers_stop(void);

/* Namespace lifecycle: empties Terminating namespaces, then finalizes them. */
void namespace_controller_start(const ctrl_context *cc);
void namespace_controller_stop(void);

/* kube-aggregator's autoregister and Available conditions of APIServices (apiservice_availability.c). */
void apiservice_availability_start(const ctrl_context *cc);
void apiservice_availability_stop(void);

/* RootCAConfigMap: the "kube-root-ca.crt" ConfigMap (the cluster CA) in every namespace. */
void root_ca_publisher_start(const ctrl_context *cc);
void root_ca_publisher_stop(void);
/* clusterrole-aggregation: rules of ClusterRoles with an aggregationRule (clusterrole_aggregation.c) */
void clusterrole_aggregation_start(const ctrl_context *cc);
void clusterrole_aggregation_stop(void);

/* Garbage collector: ownerReferences, foreground/background/orphan deletion. */
void garbage_collector_start(const ctrl_context *cc);
void garbage_collector_stop(void);

/* ServiceAccounts: the "default" ServiceAccount in every active namespace. */
void serviceaccount_controller_start(const ctrl_context *cc);
void serviceaccount_controller_stop(void);

/* Endpoints: the pods each Service with a selector selects, by readiness. */
void endpoints_controller_start(const ctrl_context *cc);
void endpoints_controller_stop(void);

/* EndpointSlices: the same, in discovery.k8s.io slices of at most 100. */
void endpointslice_controller_start(const ctrl_context *cc);
void endpointslice_controller_stop(void);

/* ServiceAccount tokens: a signed token Secret for every ServiceAccount. */
void serviceaccount_token_controller_start(const ctrl_context *cc);
void serviceaccount_token_controller_stop(void);

/* Scheduler: binds unbound pods of schedulerName default-scheduler to nodes. */
void scheduler_start(const ctrl_context *cc);
void scheduler_stop(void);

/* Node lifecycle: Unknown conditions for silent nodes, condition taints,
 * taint-based eviction. The grace period is set before start (default 40 s). */
void node_lifecycle_set_grace_period(int seconds);
void node_lifecycle_controller_start(const ctrl_context *cc);
void node_lifecycle_controller_stop(void);

/* Pod GC: force-deletes pods bound to nodes that are gone. */
void podgc_controller_start(const ctrl_context *cc);
void podgc_controller_stop(void);

/* ReplicaSets and ReplicationControllers: pods to match replicas, status. */
void replicaset_controller_start(const ctrl_context *cc);
void replicaset_controller_stop(void);

/* Deployments: ReplicaSets per template, rolling/recreate rollouts, history. */
void deployment_controller_start(const ctrl_context *cc);
void deployment_controller_stop(void);

/* StatefulSets: ordinal pods, claims from templates, revisions, updates. */
void statefulset_controller_start(const ctrl_context *cc);
void statefulset_controller_stop(void);

/* DaemonSets: a pod per eligible node, revisions, rolling updates. */
void daemonset_controller_start(const ctrl_context *cc);
void daemonset_controller_stop(void);

/* Jobs: pods to completion, back-off, deadlines, Complete/Failed. */
void job_controller_start(const ctrl_context *cc);
void job_controller_stop(void);

/* CronJobs: Jobs on a cron schedule, concurrency policy, history limits. */
void cronjob_controller_start(const ctrl_context *cc);
void cronjob_controller_stop(void);

/* PersistentVolume binder: claims to volumes, Released volumes reclaimed. */
void pv_binder_start(const ctrl_context *cc);
void pv_binder_stop(void);

/* Local dynamic provisioner (rancher.io/local-path) and its StorageClass
 * "local-path", the default class only with provisioner_set_default(true)
 * (--local-storage-default); volumes are directories under <data dir>/storage
 * (both set before controllers_start). */
#define LOCAL_PATH_PROVISIONER "rancher.io/local-path"
void provisioner_set_root(const char *data_dir);
void provisioner_set_default(bool is_default);
void provisioner_start(const ctrl_context *cc);
void provisioner_stop(void);

/* pvc-protection and pv-protection: finalizers kept while in use. */
void volume_protection_start(const ctrl_context *cc);
void volume_protection_stop(void);

/* ResourceQuota status: hard and the namespace's live usage. */
void resourcequota_controller_start(const ctrl_context *cc);
void resourcequota_controller_stop(void);

/* LoadBalancer Service addresses from MetalLB-style pools. */
/* The built-in pool used while no MetalLB ConfigMap exists: "a.b.c.d/n"
 * (default 127.255.0.0/16; network and broadcast addresses are not handed
 * out) or "none"; 0, or -1 when it is neither. Call before lb_allocator_start. */
int lb_allocator_set_default_pool(const char *cidr);
void lb_allocator_start(const ctrl_context *cc);
void lb_allocator_stop(void);

/* HorizontalPodAutoscalers: target scale from resource metrics, every 15 s. */
void hpa_controller_start(const ctrl_context *cc);
void hpa_controller_stop(void);

/* bootstrapsigner: jws-kubeconfig-<id> signatures in kube-public/cluster-info. */
void bootstrap_signer_start(const ctrl_context *cc);
void bootstrap_signer_stop(void);

/* csrapproving + csrsigning: kubelet client CSRs approved, approved CSRs signed by the CA. */
void csr_signer_start(const ctrl_context *cc);
void csr_signer_stop(void);

#endif
