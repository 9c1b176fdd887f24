/* simulate_events.c - see simulate_events.h. Reasons and messages are
 * kubelet 1.20's (pkg/kubelet/events and the image manager): "Pulling image
 * \"nginx\"", "Successfully pulled image \"nginx\" in 0s" (policy Always) or
 * "Container image \"nginx\" already present on machine", "Created
 * container web", "Started container web", "Failed to pull image ...",
 * "Error: ErrImagePull", "Back-off pulling image ...", "Stopping container
 * web". Event names are the pod's name and the time in hex nanoseconds, as
 * client-go's recorder makes them. */
#include "simulate_events.h"
#include "object_meta.h"
#include "json_path.h"
#include "log.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct {
  https_client *c;  /* sent now on c, or queued on q */
  event_queue *q;
  const json_t *pod;
} recorder;

json_t *sim_event_make(const json_t *pod, const char *list, const char *container, const char *type,
                       const char *reason, const char *message, const char *when) {
  const char *ns = json_path_str(pod, "metadata.namespace") ?: "default", *name = json_path_str(pod, "metadata.name") ?: "";
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char now[32], ev_name[300], field[300];
  if (when) snprintf(now, sizeof now, "%s", when);
  else sim_rfc3339((long long)ts.tv_sec * 1000, now, sizeof now);
  meta_event_name(name, ev_name, sizeof ev_name);
  json_t *ref = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "Pod", "namespace", ns, "name", name, "uid",
                          json_path_str(pod, "metadata.uid") ?: "", "apiVersion", "v1", "resourceVersion",
                          json_path_str(pod, "metadata.resourceVersion") ?: "");
  if (container) {
    snprintf(field, sizeof field, "spec.%s{%s}", list, container);
    json_object_set_new(ref, "fieldPath", json_string(field));
  }
  return json_pack("{s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:i,s:s,s:n,s:s,s:s}", "kind", "Event",
                   "apiVersion", "v1", "metadata", "name", ev_name, "namespace", ns, "involvedObject", ref, "reason",
                   reason, "message", message, "source", "component", "kubelet", "host",
                   json_path_str(pod, "spec.nodeName") ?: "", "firstTimestamp", now, "lastTimestamp", now, "count", 1, "type",
                   type, "eventTime", "reportingComponent", "", "reportingInstance", "");
}

void sim_event_send(https_client *c, const json_t *ev) {
  const char *ns = json_path_str(ev, "metadata.namespace") ?: "default";
  char path[400];
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/events", ns);
  int code = https_call(c, "POST", path, ev, NULL, NULL); /* the answer is read, not parsed */
  if (code != 201)
    LOGW("kubelet: event %s for %s/%s not recorded (%d)", json_string_value(json_object_get(ev, "reason")) ?: "", ns,
         json_path_str(ev, "involvedObject.name") ?: "", code);
}

static void record(recorder *r, const char *list, const char *container, const char *type, const char *reason,
                   const char *message) {
  if (r->q) {
    evq_post(r->q, r->pod, list, container, type, reason, message);
    return;
  }
  json_t *ev = sim_event_make(r->pod, list, container, type, reason, message, NULL);
  sim_event_send(r->c, ev);
  json_decref(ev);
}

void sim_event_post(https_client *c, const json_t *pod, const char *list, const char *container, const char *type,
                    const char *reason, const char *message) {
  recorder r = {.c = c, .pod = pod};
  record(&r, list, container, type, reason, message);
}

/* Pulled (after Pulling under policy Always), Created, Started. */
static void started(recorder *r, const char *list, const json_t *c) {
  const char *name = json_string_value(json_object_get(c, "name")) ?: "";
  const char *image = json_string_value(json_object_get(c, "image")) ?: "";
  const char *policy = json_string_value(json_object_get(c, "imagePullPolicy")) ?: "IfNotPresent";
  char msg[1024];
  if (!strcmp(policy, "Always")) {
    snprintf(msg, sizeof msg, "Pulling image \"%s\"", image);
    record(r, list, name, "Normal", "Pulling", msg);
    snprintf(msg, sizeof msg, "Successfully pulled image \"%s\" in 0s", image);
  } else {
    snprintf(msg, sizeof msg, "Container image \"%s\" already present on machine", image);
  }
  record(r, list, name, "Normal", "Pulled", msg);
  snprintf(msg, sizeof msg, "Created container %s", name);
  record(r, list, name, "Normal", "Created", msg);
  snprintf(msg, sizeof msg, "Started container %s", name);
  record(r, list, name, "Normal", "Started", msg);
}

/* The container whose image does not pull, and its list. */
static const json_t *unpullable(const json_t *pod, const char **list) {
  const char *bad = sim_unpullable_image(pod);
  static const char *const lists[] = {"initContainers", "containers", NULL};
  for (int l = 0; bad && lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, c) {
      const char *image = json_string_value(json_object_get(c, "image"));
      if (image && !strcmp(image, bad)) {
        *list = lists[l];
        return c;
      }
    }
  }
  return NULL;
}

static void pull_failed(recorder *r, bool first) {
  const char *list = "containers";
  const json_t *c = unpullable(r->pod, &list);
  if (!c) return;
  const char *name = json_string_value(json_object_get(c, "name")) ?: "";
  const char *image = json_string_value(json_object_get(c, "image")) ?: "";
  char msg[1024];
  if (first) {
    snprintf(msg, sizeof msg, "Pulling image \"%s\"", image);
    record(r, list, name, "Normal", "Pulling", msg);
    snprintf(msg, sizeof msg,
             "Failed to pull image \"%s\": rpc error: code = NotFound desc = failed to pull and unpack image \"%s\": "
             "not found",
             image, image);
    record(r, list, name, "Warning", "Failed", msg);
    record(r, list, name, "Warning", "Failed", "Error: ErrImagePull");
  } else {
    snprintf(msg, sizeof msg, "Back-off pulling image \"%s\"", image);
    record(r, list, name, "Normal", "BackOff", msg);
    record(r, list, name, "Warning", "Failed", "Error: ImagePullBackOff");
  }
}

static void each_container(recorder *r, void (*fn)(recorder *, const char *, const json_t *)) {
  static const char *const lists[] = {"initContainers", "containers", NULL};
  for (int l = 0; lists[l]; l++) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(r->pod, "spec"), lists[l]), i, c) fn(r, lists[l], c);
  }
}

static void stopping(recorder *r, const char *list, const json_t *c) {
  if (strcmp(list, "containers")) return; /* init containers have finished */
  const char *name = json_string_value(json_object_get(c, "name")) ?: "";
  char msg[512];
  snprintf(msg, sizeof msg, "Stopping container %s", name);
  record(r, list, name, "Normal", "Killing", msg);
}

static void restarted(recorder *r, const char *list, const json_t *c) {
  if (strcmp(list, "containers")) return;
  const char *name = json_string_value(json_object_get(c, "name")) ?: "";
  char msg[512];
  snprintf(msg, sizeof msg, "Created container %s", name);
  record(r, list, name, "Normal", "Created", msg);
  snprintf(msg, sizeof msg, "Started container %s", name);
  record(r, list, name, "Normal", "Started", msg);
}

void sim_events_record(event_queue *q, const json_t *pod, const sim_pod_state *before, const sim_pod_state *after,
                       sim_action act) {
  recorder r = {.q = q, .pod = pod};
  if (act == SIM_DELETE) {
    if (before->started && !before->finished) each_container(&r, stopping);
  } else if (act == SIM_WRITE_STATUS) {
    if (after->config_shown[0] && strcmp(after->config_shown, before->config_shown)) {
      char msg[512];
      snprintf(msg, sizeof msg, "Error: %s", after->config_shown);
      record(&r, "containers", after->config_container, "Warning", "Failed", msg);
    } else if (after->pull_failures > before->pull_failures) pull_failed(&r, before->pull_failures == 0);
    else if (after->started && !before->started) each_container(&r, started);
    else if (after->restarts > before->restarts) each_container(&r, restarted);
  }
}
