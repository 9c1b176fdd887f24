/* pod_watch.h - the pods bound to one node, as a kubelet's informer sees
 * them: a list (fieldSelector spec.nodeName) then a watch from its
 * resourceVersion, a new list after 410 Gone or an ERROR event, reconnects
 * with bounded back-off. Keeps the latest version of each pod by uid and
 * wakes whoever waits in pod_watch_wait. The pods are split into shards by
 * uid so that several runtime threads each own a share (pod_watch_shard). */
#ifndef CKUBE_POD_WATCH_H
#define CKUBE_POD_WATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

typedef struct pod_watch pod_watch;

/* One pod as the watch knows it: gone when deleted or no longer bound here. */
typedef struct {
  char *uid;
  json_t *pod;
  bool gone;
} pod_seen;

/* Starts the watch thread on its own connection, pods split into nshards
 * (1..64); NULL when it cannot connect. */
pod_watch *pod_watch_start(const char *kubeconfig, const char *node_name, int nshards);
/* The shard a pod uid belongs to. */
int pod_watch_shard(const pod_watch *w, const char *uid);
/* Every pod of the shard (new references; free with pod_watch_free_seen);
 * gone pods are reported once and then forgotten. */
size_t pod_watch_snapshot(pod_watch *w, int shard, pod_seen **out);
void pod_watch_free_seen(pod_seen *s, size_t n);
/* Waits up to ms for a change in the shard since its last snapshot (or pod_watch_wake). */
void pod_watch_wait(pod_watch *w, int shard, long ms);
void pod_watch_wake(pod_watch *w);
/* True once the first list is in. */
bool pod_watch_listed(pod_watch *w);
/* True when the watch knows the pod with this uid. */
bool pod_watch_knows(pod_watch *w, const char *uid);
/* Stops and joins the thread and frees w. */
void pod_watch_stop(pod_watch *w);

#endif
