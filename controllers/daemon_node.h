/* daemon_node.h - which nodes a DaemonSet's pod belongs on
 * (nodeShouldRunDaemonPod of Kubernetes 1.20): the template's nodeName,
 * nodeSelector and required node affinity must match the node, and its
 * taints must be tolerated by the template's tolerations plus the ones
 * every daemon pod gets (AddOrUpdateDaemonPodTolerations). Also the
 * matchFields metadata.name affinity that pins a daemon pod to its node.
 * Pure logic over JSON, unit-tested in tests/unit/test_daemon_node.c. */
#ifndef CKUBE_DAEMON_NODE_H
#define CKUBE_DAEMON_NODE_H
#include <stdbool.h>
#include <jansson.h>

/* Adds the daemon tolerations (not-ready and unreachable NoExecute;
 * disk/memory/pid-pressure and unschedulable NoSchedule;
 * network-unavailable NoSchedule for hostNetwork) to a pod spec. */
void add_daemon_tolerations(json_t *pod_spec);

/* NodeSelectorTerms (ORed; requirements ANDed) against a node. */
bool node_selector_terms_match(const json_t *terms, const json_t *node);

/* should_run: a daemon pod belongs on node; should_continue: an existing
 * one may stay (only untolerated NoExecute taints evict). spec is the
 * pod spec with the daemon tolerations already added. */
void daemon_should_run(const json_t *spec, const json_t *node, bool *should_run, bool *should_continue);

/* ReplaceDaemonSetPodNodeNameNodeAffinity: the pod spec's required node
 * affinity becomes metadata.name In [node] (preferred terms kept). */
void pin_to_node(json_t *pod_spec, const char *node);

/* The node a daemon pod targets: spec.nodeName, else the single value of
 * its matchFields metadata.name affinity; NULL when none. Borrowed. */
const char *daemon_target_node(const json_t *pod);

#endif
