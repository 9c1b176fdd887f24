/* kinds_defaults.c - defaulting as Kubernetes 1.20 applies it when it decodes
 * an object (pkg/apis/<group>/v1/defaults.go and the generated defaulters):
 * PodSpec and pod templates, the workload kinds, Service, Secret, volumes,
 * storage and autoscaling kinds. Only fields that are absent are filled. */
#include "kinds_util.h"
#include <string.h>

static void default_probe(json_t *p) {
  if (!json_is_object(p)) return;
  kdefault(p, "timeoutSeconds", json_integer(1));
  kdefault(p, "periodSeconds", json_integer(10));
  kdefault(p, "successThreshold", json_integer(1));
  kdefault(p, "failureThreshold", json_integer(3));
  json_t *http = json_object_get(p, "httpGet");
  if (json_is_object(http)) kdefault(http, "scheme", json_string("HTTP"));
}

/* Always for ":latest" or no tag, IfNotPresent otherwise (digests included). */
static const char *pull_policy(const char *image) {
  if (!image) return "IfNotPresent";
  if (strchr(image, '@')) return "IfNotPresent";
  const char *slash = strrchr(image, '/');
  const char *colon = strrchr(slash ? slash : image, ':');
  if (!colon || !strcmp(colon + 1, "latest")) return "Always";
  return "IfNotPresent";
}

static void default_container(json_t *c, bool host_network) {
  if (!json_is_object(c)) return;
  kdefault(c, "terminationMessagePath", json_string("/dev/termination-log"));
  kdefault(c, "terminationMessagePolicy", json_string("File"));
  kdefault(c, "imagePullPolicy", json_string(pull_policy(kstr(c, "image"))));
  kdefault(c, "resources", json_object());
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(c, "ports"), i, p) {
    kdefault(p, "protocol", json_string("TCP"));
    if (host_network && json_object_get(p, "containerPort"))
      kdefault(p, "hostPort", json_incref(json_object_get(p, "containerPort")));
  }
  json_array_foreach(json_object_get(c, "env"), i, p) {
    json_t *fr = json_object_get(json_object_get(p, "valueFrom"), "fieldRef");
    if (json_is_object(fr)) kdefault(fr, "apiVersion", json_string("v1"));
  }
  default_probe(json_object_get(c, "livenessProbe"));
  default_probe(json_object_get(c, "readinessProbe"));
  default_probe(json_object_get(c, "startupProbe"));
}

static void default_volume(json_t *v) {
  static const char *const sources[] = {"hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore",
                                        "gitRepo", "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim",
                                        "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
                                        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
                                        "photonPersistentDisk", "projected", "portworxVolume", "scaleIO",
                                        "storageos", "csi", "ephemeral", NULL};
  bool any = false;
  for (int i = 0; sources[i]; i++) any = any || json_object_get(v, sources[i]);
  if (!any) json_object_set_new(v, "emptyDir", json_object());
  static const char *const with_mode[] = {"secret", "configMap", "downwardAPI", "projected", NULL};
  for (int i = 0; with_mode[i]; i++) {
    json_t *s = json_object_get(v, with_mode[i]);
    if (json_is_object(s)) kdefault(s, "defaultMode", json_integer(420));
  }
  json_t *hp = json_object_get(v, "hostPath");
  if (json_is_object(hp)) kdefault(hp, "type", json_string(""));
  json_t *iscsi = json_object_get(v, "iscsi");
  if (json_is_object(iscsi)) kdefault(iscsi, "iscsiInterface", json_string("default"));
}

void default_pod_spec(json_t *spec, bool pod) {
  if (!json_is_object(spec)) return;
  kdefault(spec, "restartPolicy", json_string("Always"));
  kdefault(spec, "terminationGracePeriodSeconds", json_integer(30));
  kdefault(spec, "dnsPolicy", json_string("ClusterFirst"));
  kdefault(spec, "securityContext", json_object());
  kdefault(spec, "schedulerName", json_string("default-scheduler"));
  bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) default_container(c, host_net);
  json_array_foreach(json_object_get(spec, "initContainers"), i, c) default_container(c, host_net);
  json_array_foreach(json_object_get(spec, "volumes"), i, c) default_volume(c);
  if (!pod) return;
  kdefault(spec, "enableServiceLinks", json_true());
  /* a Pod's containers get requests equal to their limits when unset */
  json_array_foreach(json_object_get(spec, "containers"), i, c) {
    json_t *res = json_object_get(c, "resources");
    json_t *limits = json_object_get(res, "limits");
    if (!json_object_size(limits)) continue;
    json_t *req = kobj(res, "requests");
    const char *k;
    json_t *v;
    json_object_foreach(limits, k, v) kdefault(req, k, json_incref(v));
  }
}

static void default_template(json_t *obj) {
  json_t *tmpl = json_object_get(json_object_get(obj, "spec"), "template");
  if (json_is_object(tmpl)) default_pod_spec(json_object_get(tmpl, "spec"), false);
}

static void default_service(json_t *svc) {
  json_t *spec = kobj(svc, "spec");
  kdefault(spec, "type", json_string("ClusterIP"));
  const char *type = kstr(spec, "type");
  kdefault(spec, "sessionAffinity", json_string("None"));
  if (!strcmp(kstr(spec, "sessionAffinity"), "ClientIP")) {
    json_t *cfg = kobj(kobj(spec, "sessionAffinityConfig"), "clientIP");
    kdefault(cfg, "timeoutSeconds", json_integer(10800));
  }
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    kdefault(p, "protocol", json_string("TCP"));
    if (json_object_get(p, "port")) kdefault(p, "targetPort", json_incref(json_object_get(p, "port")));
  }
  if (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"))
    kdefault(spec, "externalTrafficPolicy", json_string("Cluster"));
}

static void default_hpa(json_t *hpa, const char *version) {
  json_t *spec = kobj(hpa, "spec");
  kdefault(spec, "minReplicas", json_integer(1));
  if (strcmp(version, "v1") != 0 && !json_array_size(json_object_get(spec, "metrics")))
    json_object_set_new(spec, "metrics",
                        json_pack("[{s:s,s:{s:s,s:{s:s,s:i}}}]", "type", "Resource", "resource", "name", "cpu",
                                  "target", "type", "Utilization", "averageUtilization", 80));
}

void kinds_default(const kind_ref *k, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  const char *g = k->group, *kind = k->kind;
  if (!*g && !strcmp(kind, "Pod")) {
    default_pod_spec(spec, true);
  } else if (!*g && !strcmp(kind, "PodTemplate")) {
    json_t *t = json_object_get(obj, "template");
    if (json_is_object(t)) default_pod_spec(json_object_get(t, "spec"), false);
  } else if (!*g && !strcmp(kind, "Service")) {
    default_service(obj);
  } else if (!*g && !strcmp(kind, "Secret")) {
    kdefault(obj, "type", json_string("Opaque"));
  } else if (!*g && !strcmp(kind, "ReplicationController")) {
    spec = kobj(obj, "spec");
    kdefault(spec, "replicas", json_integer(1));
    json_t *labels = json_object_get(json_object_get(json_object_get(spec, "template"), "metadata"), "labels");
    if (json_object_size(labels)) {
      kdefault(spec, "selector", json_deep_copy(labels));
      json_t *md = kobj(obj, "metadata");
      kdefault(md, "labels", json_deep_copy(labels));
    }
    default_template(obj);
  } else if (!*g && !strcmp(kind, "PersistentVolume")) {
    spec = kobj(obj, "spec");
    kdefault(spec, "persistentVolumeReclaimPolicy", json_string("Retain"));
    kdefault(spec, "volumeMode", json_string("Filesystem"));
  } else if (!*g && !strcmp(kind, "PersistentVolumeClaim")) {
    kdefault(kobj(obj, "spec"), "volumeMode", json_string("Filesystem"));
  } else if (!*g && !strcmp(kind, "Endpoints")) {
    size_t i, j;
    json_t *s, *p;
    json_array_foreach(json_object_get(obj, "subsets"), i, s)
        json_array_foreach(json_object_get(s, "ports"), j, p) kdefault(p, "protocol", json_string("TCP"));
  } else if (!strcmp(g, "apps") && !strcmp(kind, "Deployment")) {
    spec = kobj(obj, "spec");
    kdefault(spec, "replicas", json_integer(1));
    json_t *strategy = kobj(spec, "strategy");
    kdefault(strategy, "type", json_string("RollingUpdate"));
    if (!strcmp(kstr(strategy, "type"), "RollingUpdate")) {
      json_t *ru = kobj(strategy, "rollingUpdate");
      kdefault(ru, "maxUnavailable", json_string("25%"));
      kdefault(ru, "maxSurge", json_string("25%"));
    }
    kdefault(spec, "revisionHistoryLimit", json_integer(10));
    kdefault(spec, "progressDeadlineSeconds", json_integer(600));
    default_template(obj);
  } else if (!strcmp(g, "apps") && !strcmp(kind, "ReplicaSet")) {
    kdefault(kobj(obj, "spec"), "replicas", json_integer(1));
    default_template(obj);
  } else if (!strcmp(g, "apps") && !strcmp(kind, "StatefulSet")) {
    spec = kobj(obj, "spec");
    kdefault(spec, "replicas", json_integer(1));
    kdefault(spec, "podManagementPolicy", json_string("OrderedReady"));
    json_t *us = kobj(spec, "updateStrategy");
    kdefault(us, "type", json_string("RollingUpdate"));
    if (!strcmp(kstr(us, "type"), "RollingUpdate")) kdefault(kobj(us, "rollingUpdate"), "partition", json_integer(0));
    kdefault(spec, "revisionHistoryLimit", json_integer(10));
    size_t i;
    json_t *pvc;
    json_array_foreach(json_object_get(spec, "volumeClaimTemplates"), i, pvc) {
      kdefault(pvc, "apiVersion", json_string("v1"));
      kdefault(pvc, "kind", json_string("PersistentVolumeClaim"));
      kdefault(kobj(pvc, "spec"), "volumeMode", json_string("Filesystem"));
      kdefault(pvc, "status", json_pack("{s:s}", "phase", "Pending"));
    }
    default_template(obj);
  } else if (!strcmp(g, "apps") && !strcmp(kind, "DaemonSet")) {
    spec = kobj(obj, "spec");
    json_t *us = kobj(spec, "updateStrategy");
    kdefault(us, "type", json_string("RollingUpdate"));
    if (!strcmp(kstr(us, "type"), "RollingUpdate")) kdefault(kobj(us, "rollingUpdate"), "maxUnavailable", json_integer(1));
    kdefault(spec, "revisionHistoryLimit", json_integer(10));
    default_template(obj);
  } else if (!strcmp(g, "batch") && !strcmp(kind, "Job")) {
    spec = kobj(obj, "spec");
    if (!json_object_get(spec, "completions") && !json_object_get(spec, "parallelism"))
      json_object_set_new(spec, "completions", json_integer(1));
    kdefault(spec, "parallelism", json_integer(1));
    kdefault(spec, "backoffLimit", json_integer(6));
    default_template(obj);
  } else if (!strcmp(g, "batch") && !strcmp(kind, "CronJob")) {
    spec = kobj(obj, "spec");
    kdefault(spec, "concurrencyPolicy", json_string("Allow"));
    kdefault(spec, "suspend", json_false());
    kdefault(spec, "successfulJobsHistoryLimit", json_integer(3));
    kdefault(spec, "failedJobsHistoryLimit", json_integer(1));
    json_t *js = json_object_get(json_object_get(spec, "jobTemplate"), "spec");
    if (json_is_object(js)) {
      json_t *t = json_object_get(js, "template");
      if (json_is_object(t)) default_pod_spec(json_object_get(t, "spec"), false);
    }
  } else if (!strcmp(g, "autoscaling") && !strcmp(kind, "HorizontalPodAutoscaler")) {
    default_hpa(obj, k->version);
  } else if (!strcmp(g, "storage.k8s.io") && !strcmp(kind, "StorageClass")) {
    kdefault(obj, "reclaimPolicy", json_string("Delete"));
    kdefault(obj, "volumeBindingMode", json_string("Immediate"));
  } else if (!strcmp(g, "rbac.authorization.k8s.io") && (!strcmp(kind, "RoleBinding") || !strcmp(kind, "ClusterRoleBinding"))) {
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(obj, "subjects"), i, s) {
      const char *sk = kstr(s, "kind");
      if (sk && (!strcmp(sk, "User") || !strcmp(sk, "Group")))
        kdefault(s, "apiGroup", json_string("rbac.authorization.k8s.io"));
    }
  }
}
