/* controllers.c - the list of controllers the server runs, and the two
 * Leases they run under: kube-controller-manager's controllers while this
 * server holds kube-system/kube-controller-manager, the scheduler while it
 * holds kube-system/kube-scheduler, as the two binaries do in Kubernetes. */
#include "controllers.h"
#include "events.h"
#include <stdatomic.h>

static const ctrl_context *cctx; /* given to controllers_run, for every start */
static leader_elector *manager, *scheduler;
static atomic_bool manager_running, scheduler_running; /* in this process, for componentstatuses */

static void manager_started(void) {
  controllers_start(cctx);
  atomic_store(&manager_running, true);
}
static void manager_stopped(void) {
  atomic_store(&manager_running, false);
  controllers_stop();
}
static void scheduler_started(void) {
  scheduler_start(cctx);
  atomic_store(&scheduler_running, true);
}
static void scheduler_stopped(void) {
  atomic_store(&scheduler_running, false);
  scheduler_stop();
}

void controllers_run(const ctrl_context *cc, const leader_config *cfg) {
  cctx = cc;
  manager = leader_elector_start(cc, cfg, "kube-controller-manager", manager_started, manager_stopped);
  scheduler = leader_elector_start(cc, cfg, "kube-scheduler", scheduler_started, scheduler_stopped);
}

bool controllers_running_here(bool the_scheduler) {
  return atomic_load(the_scheduler ? &scheduler_running : &manager_running);
}

void controllers_shutdown(void) {
  leader_elector_stop(scheduler);
  leader_elector_stop(manager);
  scheduler = manager = NULL;
  events_shutdown();
}

void controllers_start(const ctrl_context *cc) {
  namespace_controller_start(cc);
  garbage_collector_start(cc);
  serviceaccount_controller_start(cc);
  serviceaccount_token_controller_start(cc);
  root_ca_publisher_start(cc);
  apiservice_availability_start(cc);
  clusterrole_aggregation_start(cc);
  endpoints_controller_start(cc);
  endpointslice_controller_start(cc);
  node_lifecycle_controller_start(cc);
  podgc_controller_start(cc);
  replicaset_controller_start(cc);
  deployment_controller_start(cc);
  statefulset_controller_start(cc);
  daemonset_controller_start(cc);
  job_controller_start(cc);
  cronjob_controller_start(cc);
  pv_binder_start(cc);
  provisioner_start(cc);
  volume_protection_start(cc);
  resourcequota_controller_start(cc);
  lb_allocator_start(cc);
  hpa_controller_start(cc);
  bootstrap_signer_start(cc);
  csr_signer_start(cc);
}

void controllers_stop(void) {
  csr_signer_stop();
  bootstrap_signer_stop();
  hpa_controller_stop();
  lb_allocator_stop();
  resourcequota_controller_stop();
  volume_protection_stop();
  provisioner_stop();
  pv_binder_stop();
  cronjob_controller_stop();
  job_controller_stop();
  daemonset_controller_stop();
  statefulset_controller_stop();
  deployment_controller_stop();
  replicaset_controller_stop();
  podgc_controller_stop();
  node_lifecycle_controller_stop();
  endpointslice_controller_stop();
  endpoints_controller_stop();
  clusterrole_aggregation_stop();
  apiservice_availability_stop();
  root_ca_publisher_stop();
  serviceaccount_token_controller_stop();
  serviceaccount_controller_stop();
  garbage_collector_stop();
  namespace_controller_stop();
}
