/* controllers.c - the list of controllers the server runs, and the two
 * Leases they run under: kube-controller-manager's controllers while this
 * server holds kube-system/kube-controller-manager, the scheduler while it
 * holds kube-system/kube-scheduler, as the two binaries do in Kubernetes. */
#include "controllers.h"
#include "events.h"
#include <stdatomic.h>

static leader_elector *manager, *scheduler;
static atomic_bool manager_running, scheduler_running; /* in this process, for componentstatuses */

static void manager_started(void) {
  controllers_start();
  atomic_store(&manager_running, true);
}
static void manager_stopped(void) {
  atomic_store(&manager_running, false);
  controllers_stop();
}
static void scheduler_started(void) {
  scheduler_start();
  atomic_store(&scheduler_running, true);
}
static void scheduler_stopped(void) {
  atomic_store(&scheduler_running, false);
  scheduler_stop();
}

void controllers_run(const leader_config *cfg) {
  manager = leader_elector_start(cfg, "kube-controller-manager", manager_started, manager_stopped);
  scheduler = leader_elector_start(cfg, "kube-scheduler", scheduler_started, scheduler_stopped);
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

void controllers_start(void) {
  namespace_controller_start();
  garbage_collector_start();
  serviceaccount_controller_start();
  serviceaccount_token_controller_start();
  root_ca_publisher_start();
  apiservice_availability_start();
  clusterrole_aggregation_start();
  endpoints_controller_start();
  endpointslice_controller_start();
  node_lifecycle_controller_start();
  podgc_controller_start();
  replicaset_controller_start();
  deployment_controller_start();
  statefulset_controller_start();
  daemonset_controller_start();
  job_controller_start();
  cronjob_controller_start();
  pv_binder_start();
  provisioner_start();
  volume_protection_start();
  resourcequota_controller_start();
  lb_allocator_start();
  hpa_controller_start();
  bootstrap_signer_start();
  csr_signer_start();
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
