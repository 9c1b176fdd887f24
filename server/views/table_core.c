/* table_core.c - Table printers for the core ("") API group: pods (with the
 * kubectl STATUS logic: Init:x/y, container waiting/terminated reasons,
 * Completed, Terminating, NodeLost), pod templates, replication controllers,
 * services, endpoints, nodes, namespaces, events (core/v1 and
 * events.k8s.io, which share one printer in kube-apiserver), secrets,
 * config maps, service accounts, persistent volumes and claims, resource
 * quotas and component statuses. Each row function reads the object as
 * served (JSON) and treats missing fields as Go zero values. The columns are
 * printers.go's own, generated at build time (table_columns.h). */
#include "table_impl.h"
#include "table_columns.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pods ------------------------------------------------------------ */

/* The STATUS column: phase (or status.reason), overridden by the first
 * unfinished init container, else by the last container with a waiting or
 * terminated reason, then by deletion. Mirrors printPod in 1.20. */
static void pod_row(const json_t *pod, time_t now, json_t *cells) {
  char reason[256];
  long long restarts = 0, ready = 0;
  long long total = (long long)tj_len(pod, "spec.containers");
  const char *status_reason = json_path_str0(pod, "status.reason");
  snprintf(reason, sizeof reason, "%s", *status_reason ? status_reason : json_path_str0(pod, "status.phase"));

  int initializing = 0;
  const json_t *inits = tj(pod, "status.initContainerStatuses");
  size_t ninit_spec = tj_len(pod, "spec.initContainers");
  for (size_t i = 0; json_is_array(inits) && i < json_array_size(inits); i++) {
    const json_t *c = json_array_get(inits, i);
    restarts += tj_int(c, "restartCount");
    const json_t *term = tj(c, "state.terminated");
    const json_t *wait = tj(c, "state.waiting");
    if (term && tj_int(term, "exitCode") == 0) continue;
    if (term) {
      const char *r = json_path_str0(term, "reason");
      if (!*r) {
        if (tj_int(term, "signal") != 0)
          snprintf(reason, sizeof reason, "Init:Signal:%lld", tj_int(term, "signal"));
        else
          snprintf(reason, sizeof reason, "Init:ExitCode:%lld", tj_int(term, "exitCode"));
      } else {
        snprintf(reason, sizeof reason, "Init:%s", r);
      }
    } else if (wait && *json_path_str0(wait, "reason") && strcmp(json_path_str0(wait, "reason"), "PodInitializing") != 0) {
      snprintf(reason, sizeof reason, "Init:%s", json_path_str0(wait, "reason"));
    } else {
      snprintf(reason, sizeof reason, "Init:%zu/%zu", i, ninit_spec);
    }
    initializing = 1;
    break;
  }

  if (!initializing) {
    restarts = 0;
    int has_running = 0;
    const json_t *cs = tj(pod, "status.containerStatuses");
    size_t n = json_is_array(cs) ? json_array_size(cs) : 0;
    for (size_t k = n; k-- > 0;) {
      const json_t *c = json_array_get(cs, k);
      restarts += tj_int(c, "restartCount");
      const json_t *term = tj(c, "state.terminated");
      const json_t *wait = tj(c, "state.waiting");
      if (wait && *json_path_str0(wait, "reason")) {
        snprintf(reason, sizeof reason, "%s", json_path_str0(wait, "reason"));
      } else if (term && *json_path_str0(term, "reason")) {
        snprintf(reason, sizeof reason, "%s", json_path_str0(term, "reason"));
      } else if (term) {
        if (tj_int(term, "signal") != 0)
          snprintf(reason, sizeof reason, "Signal:%lld", tj_int(term, "signal"));
        else
          snprintf(reason, sizeof reason, "ExitCode:%lld", tj_int(term, "exitCode"));
      } else if (tj_bool(c, "ready") && tj(c, "state.running")) {
        has_running = 1;
        ready++;
      }
    }
    /* A container still running turns "Completed" back into Running, or
     * NotReady when the pod's Ready condition is not True. */
    if (strcmp(reason, "Completed") == 0 && has_running) {
      int pod_ready = 0;
      const json_t *conds = tj(pod, "status.conditions");
      for (size_t k = 0; json_is_array(conds) && k < json_array_size(conds); k++) {
        const json_t *cond = json_array_get(conds, k);
        if (strcmp(json_path_str0(cond, "type"), "Ready") == 0 && strcmp(json_path_str0(cond, "status"), "True") == 0) pod_ready = 1;
      }
      snprintf(reason, sizeof reason, "%s", pod_ready ? "Running" : "NotReady");
    }
  }

  if (tj(pod, "metadata.deletionTimestamp")) {
    if (strcmp(status_reason, "NodeLost") == 0) snprintf(reason, sizeof reason, "Unknown");
    else snprintf(reason, sizeof reason, "Terminating");
  }

  char buf[64];
  cell_str(cells, json_path_str0(pod, "metadata.name"));
  snprintf(buf, sizeof buf, "%lld/%lld", ready, total);
  cell_str(cells, buf);
  cell_str(cells, reason);
  cell_int(cells, restarts);
  cell_since(cells, pod, "metadata.creationTimestamp", now);

  /* Wide cells: the served podIPs[0], falling back to the legacy podIP. */
  const char *ip = "";
  const json_t *ips = tj(pod, "status.podIPs");
  if (json_array_size(ips) > 0) ip = json_path_str0(json_array_get(ips, 0), "ip");
  if (!*ip) ip = json_path_str0(pod, "status.podIP");
  const char *node = json_path_str0(pod, "spec.nodeName");
  const char *nominated = json_path_str0(pod, "status.nominatedNodeName");
  cell_str(cells, *ip ? ip : "<none>");
  cell_str(cells, *node ? node : "<none>");
  cell_str(cells, *nominated ? nominated : "<none>");

  const json_t *gates = tj(pod, "spec.readinessGates");
  size_t ngates = json_is_array(gates) ? json_array_size(gates) : 0;
  if (ngates == 0) {
    cell_str(cells, "<none>");
  } else {
    const json_t *conds = tj(pod, "status.conditions");
    long long true_count = 0;
    for (size_t g = 0; g < ngates; g++) {
      const char *type = json_path_str0(json_array_get(gates, g), "conditionType");
      for (size_t k = 0; json_is_array(conds) && k < json_array_size(conds); k++) {
        const json_t *cond = json_array_get(conds, k);
        if (strcmp(json_path_str0(cond, "type"), type) == 0) {
          if (strcmp(json_path_str0(cond, "status"), "True") == 0) true_count++;
          break;
        }
      }
    }
    snprintf(buf, sizeof buf, "%lld/%zu", true_count, ngates);
    cell_str(cells, buf);
  }
}

static void podtemplate_row(const json_t *o, time_t now, json_t *cells) {
  (void)now;
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_containers(cells, tj(o, "template.spec.containers"));
  cell_labels(cells, tj(o, "template.metadata.labels"));
}

/* ---- replication controllers ----------------------------------------- */

static void rc_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, tj_int(o, "spec.replicas"));
  cell_int(cells, tj_int(o, "status.replicas"));
  cell_int(cells, tj_int(o, "status.readyReplicas"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_containers(cells, tj(o, "spec.template.spec.containers"));
  cell_labels(cells, tj(o, "spec.selector"));
}

/* ---- services and endpoints ------------------------------------------ */

/* Server tables are always wide, so the 16-character clipping kubectl's
 * narrow output would apply never happens here. */
void table_lb_ingress(struct sbuf *b, const json_t *ingress) {
  size_t n = json_is_array(ingress) ? json_array_size(ingress) : 0;
  const char **v = calloc(n ? n : 1, sizeof *v);
  if (!v) return;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const json_t *e = json_array_get(ingress, i);
    const char *ip = json_path_str0(e, "ip"), *host = json_path_str0(e, "hostname");
    if (*ip) v[m++] = ip;
    else if (*host) v[m++] = host;
  }
  for (size_t i = 1; i < m; i++) /* insertion sort: lists are tiny */
    for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
      const char *t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  for (size_t i = 0, out = 0; i < m; i++) {
    if (i && strcmp(v[i], v[i - 1]) == 0) continue;
    if (out++) sb_add(b, ",");
    sb_add(b, v[i]);
  }
  free(v);
}

static void join_strings(struct sbuf *b, const json_t *arr) {
  for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
    const json_t *e = json_array_get(arr, i);
    if (i) sb_add(b, ",");
    sb_add(b, json_is_string(e) ? json_string_value(e) : "");
  }
}

static void service_external_ip(struct sbuf *b, const json_t *svc) {
  const char *type = json_path_str0(svc, "spec.type");
  const json_t *ext = tj(svc, "spec.externalIPs");
  size_t next = json_is_array(ext) ? json_array_size(ext) : 0;
  if (strcmp(type, "ClusterIP") == 0 || strcmp(type, "NodePort") == 0) {
    if (next) join_strings(b, ext);
    else sb_add(b, "<none>");
  } else if (strcmp(type, "LoadBalancer") == 0) {
    struct sbuf lb = {0};
    table_lb_ingress(&lb, tj(svc, "status.loadBalancer.ingress"));
    if (next) {
      sb_add(b, sb_str(&lb));
      if (lb.len) sb_add(b, ",");
      join_strings(b, ext);
    } else {
      sb_add(b, lb.len ? sb_str(&lb) : "<pending>");
    }
    sb_free(&lb);
  } else if (strcmp(type, "ExternalName") == 0) {
    sb_add(b, json_path_str0(svc, "spec.externalName"));
  } else {
    sb_add(b, "<unknown>");
  }
}

static void service_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "spec.type"));
  const json_t *ips = tj(o, "spec.clusterIPs");
  const char *cip = json_array_size(ips) > 0 ? json_string_value(json_array_get(ips, 0)) : NULL;
  if (!cip || !*cip) cip = json_path_str0(o, "spec.clusterIP");
  cell_str(cells, *cip ? cip : "<none>");
  struct sbuf b = {0};
  service_external_ip(&b, o);
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  const json_t *ports = tj(o, "spec.ports");
  for (size_t i = 0; json_is_array(ports) && i < json_array_size(ports); i++) {
    const json_t *p = json_array_get(ports, i);
    if (i) sb_add(&b, ",");
    if (tj_int(p, "nodePort") > 0)
      sb_addf(&b, "%lld:%lld/%s", tj_int(p, "port"), tj_int(p, "nodePort"), json_path_str0(p, "protocol"));
    else
      sb_addf(&b, "%lld/%s", tj_int(p, "port"), json_path_str0(p, "protocol"));
  }
  cell_str(cells, b.len ? sb_str(&b) : "<none>");
  sb_free(&b);
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_labels(cells, tj(o, "spec.selector"));
}

/* formatEndpoints: up to three ip:port entries, then " + N more...". */
static void endpoints_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  const json_t *subsets = tj(o, "subsets");
  size_t ns = json_is_array(subsets) ? json_array_size(subsets) : 0;
  if (ns == 0) {
    cell_str(cells, "<none>");
  } else {
    struct sbuf b = {0};
    const size_t max = 3;
    size_t listed = 0, count = 0;
    for (size_t s = 0; s < ns; s++) {
      const json_t *ss = json_array_get(subsets, s);
      const json_t *addrs = json_object_get(ss, "addresses");
      const json_t *ports = json_object_get(ss, "ports");
      size_t na = json_is_array(addrs) ? json_array_size(addrs) : 0;
      size_t np = json_is_array(ports) ? json_array_size(ports) : 0;
      for (size_t p = 0; p < (np ? np : 1); p++)
        for (size_t a = 0; a < na; a++) {
          count++;
          if (listed == max) continue;
          const char *ip = json_path_str0(json_array_get(addrs, a), "ip");
          if (listed++) sb_add(&b, ",");
          if (!np) sb_add(&b, ip);
          else if (strchr(ip, ':')) /* net.JoinHostPort brackets IPv6 */
            sb_addf(&b, "[%s]:%lld", ip, tj_int(json_array_get(ports, p), "port"));
          else
            sb_addf(&b, "%s:%lld", ip, tj_int(json_array_get(ports, p), "port"));
        }
    }
    if (count > max) sb_addf(&b, " + %zu more...", count - max);
    cell_str(cells, sb_str(&b));
    sb_free(&b);
  }
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- nodes and namespaces -------------------------------------------- */

static const char *node_address(const json_t *node, const char *type) {
  const json_t *addrs = tj(node, "status.addresses");
  for (size_t i = 0; json_is_array(addrs) && i < json_array_size(addrs); i++) {
    const json_t *a = json_array_get(addrs, i);
    if (strcmp(json_path_str0(a, "type"), type) == 0) return json_path_str0(a, "address");
  }
  return "<none>";
}

static void node_row(const json_t *o, time_t now, json_t *cells) {
  struct sbuf b = {0};
  /* The last Ready condition wins, as with Kubernetes' condition map. */
  const json_t *conds = tj(o, "status.conditions"), *readyc = NULL;
  for (size_t i = 0; json_is_array(conds) && i < json_array_size(conds); i++)
    if (strcmp(json_path_str0(json_array_get(conds, i), "type"), "Ready") == 0) readyc = json_array_get(conds, i);
  if (!readyc) sb_add(&b, "Unknown");
  else sb_add(&b, strcmp(json_path_str0(readyc, "status"), "True") == 0 ? "Ready" : "NotReady");
  if (tj_bool(o, "spec.unschedulable")) sb_add(&b, ",SchedulingDisabled");
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, sb_str(&b));
  sb_free(&b);

  /* Roles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, as a sorted set. */
  const json_t *labels = tj(o, "metadata.labels");
  size_t nl = json_is_object(labels) ? json_object_size(labels) : 0;
  const char **roles = calloc(nl ? nl : 1, sizeof *roles);
  size_t nr = 0;
  const char *k;
  json_t *v;
  static const char prefix[] = "node-role.kubernetes.io/";
  if (roles) {
    json_object_foreach((json_t *)labels, k, v) {
      if (strncmp(k, prefix, sizeof prefix - 1) == 0 && k[sizeof prefix - 1])
        roles[nr++] = k + sizeof prefix - 1;
      else if (strcmp(k, "kubernetes.io/role") == 0 && json_is_string(v) && *json_string_value(v))
        roles[nr++] = json_string_value(v);
    }
    qsort(roles, nr, sizeof *roles, strp_cmp);
  }
  for (size_t i = 0, out = 0; i < nr; i++) {
    if (i && strcmp(roles[i], roles[i - 1]) == 0) continue;
    if (out++) sb_add(&b, ",");
    sb_add(&b, roles[i]);
  }
  free(roles);
  cell_str(cells, b.len ? sb_str(&b) : "<none>");
  sb_free(&b);
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_str(cells, json_path_str0(o, "status.nodeInfo.kubeletVersion"));
  cell_str(cells, node_address(o, "InternalIP"));
  cell_str(cells, node_address(o, "ExternalIP"));
  static const char *const info[] = {"status.nodeInfo.osImage", "status.nodeInfo.kernelVersion",
                                     "status.nodeInfo.containerRuntimeVersion"};
  for (size_t i = 0; i < 3; i++) {
    const char *s = json_path_str0(o, info[i]);
    cell_str(cells, *s ? s : "<unknown>");
  }
}

static void namespace_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "status.phase"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- events ---------------------------------------------------------- */

static void trimmed(json_t *cells, const char *s) {
  size_t a = 0, z = strlen(s);
  while (a < z && strchr(" \t\n\r\v\f", s[a])) a++;
  while (z > a && strchr(" \t\n\r\v\f", s[z - 1])) z--;
  json_array_append_new(cells, json_stringn(s + a, z - a));
}

/* Field names differ between core/v1 and events.k8s.io (regarding, note,
 * deprecated*); both print through the one internal Event printer, which
 * falls back to eventTime for first-seen, prefers the series' last
 * observation for last-seen and counts a series as series.count + 1. */
static void event_common(const json_t *o, time_t now, json_t *cells, int v1events) {
  const json_t *first = tj(o, v1events ? "deprecatedFirstTimestamp" : "firstTimestamp");
  const json_t *last = tj(o, v1events ? "deprecatedLastTimestamp" : "lastTimestamp");
  const json_t *inv = tj(o, v1events ? "regarding" : "involvedObject");
  const json_t *src = tj(o, v1events ? "deprecatedSource" : "source");
  const json_t *series = tj(o, "series");
  char firstbuf[32], lastbuf[32];
  since_str(first ? first : tj(o, "eventTime"), now, firstbuf, sizeof firstbuf);
  if (last) since_str(last, now, lastbuf, sizeof lastbuf);
  else snprintf(lastbuf, sizeof lastbuf, "%s", firstbuf);
  long long count = tj_int(o, v1events ? "deprecatedCount" : "count");
  if (series) {
    since_str(tj(series, "lastObservedTime"), now, lastbuf, sizeof lastbuf);
    count = tj_int(series, "count") + 1;
  } else if (count == 0) {
    count = 1; /* singleton events of the new API carry no count */
  }

  struct sbuf target = {0};
  const char *kind = json_path_str0(inv, "kind"), *name = json_path_str0(inv, "name");
  for (const char *p = kind; *p; p++) {
    char c[2] = {(char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p), 0};
    sb_add(&target, c);
  }
  if (*name) sb_addf(&target, "/%s", name);

  cell_str(cells, lastbuf);
  cell_str(cells, json_path_str0(o, "type"));
  cell_str(cells, json_path_str0(o, "reason"));
  cell_str(cells, sb_str(&target));
  sb_free(&target);
  cell_str(cells, json_path_str0(inv, "fieldPath"));
  /* formatEventSource: component (else reporting controller), then
   * ", host" (else reporting instance) when there is one. */
  const char *component = json_path_str0(src, "component"), *host = json_path_str0(src, "host");
  if (!*component) component = json_path_str0(o, v1events ? "reportingController" : "reportingComponent");
  if (!*host) host = json_path_str0(o, "reportingInstance");
  struct sbuf source = {0};
  sb_add(&source, component);
  if (*host) sb_addf(&source, ", %s", host);
  cell_str(cells, sb_str(&source));
  sb_free(&source);
  trimmed(cells, json_path_str0(o, v1events ? "note" : "message"));
  cell_str(cells, firstbuf);
  cell_int(cells, count);
  cell_str(cells, json_path_str0(o, "metadata.name"));
}

static void event_row(const json_t *o, time_t now, json_t *cells) { event_common(o, now, cells, 0); }
static void event_v1_row(const json_t *o, time_t now, json_t *cells) { event_common(o, now, cells, 1); }

/* ---- config, secrets, accounts -------------------------------------- */

static void secret_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, json_path_str0(o, "type"));
  cell_int(cells, (long long)tj_len(o, "data"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static void configmap_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, (long long)(tj_len(o, "data") + tj_len(o, "binaryData")));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

static void serviceaccount_row(const json_t *o, time_t now, json_t *cells) {
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_int(cells, (long long)tj_len(o, "secrets"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
}

/* ---- storage --------------------------------------------------------- */

/* GetAccessModesAsString: RWO, ROX, RWX in that fixed order, each once. */
static void access_modes(struct sbuf *b, const json_t *modes) {
  static const char *const names[][2] = {
      {"ReadWriteOnce", "RWO"}, {"ReadOnlyMany", "ROX"}, {"ReadWriteMany", "RWX"}};
  for (size_t m = 0; m < 3; m++)
    for (size_t i = 0; json_is_array(modes) && i < json_array_size(modes); i++) {
      const json_t *e = json_array_get(modes, i);
      if (json_is_string(e) && strcmp(json_string_value(e), names[m][0]) == 0) {
        if (b->len) sb_add(b, ",");
        sb_add(b, names[m][1]);
        break;
      }
    }
}

static const char *beta_class(const json_t *o) {
  const json_t *ann = tj(o, "metadata.annotations");
  const json_t *v = json_object_get(ann, "volume.beta.kubernetes.io/storage-class");
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static void pv_row(const json_t *o, time_t now, json_t *cells) {
  char qb[64];
  struct sbuf b = {0};
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, qty_str(tj(o, "spec.capacity.storage"), qb, sizeof qb));
  access_modes(&b, tj(o, "spec.accessModes"));
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  cell_str(cells, json_path_str0(o, "spec.persistentVolumeReclaimPolicy"));
  cell_str(cells, tj(o, "metadata.deletionTimestamp") ? "Terminating" : json_path_str0(o, "status.phase"));
  const json_t *claim = tj(o, "spec.claimRef");
  if (claim) sb_addf(&b, "%s/%s", json_path_str0(claim, "namespace"), json_path_str0(claim, "name"));
  cell_str(cells, sb_str(&b));
  sb_free(&b);
  const char *cls = beta_class(o);
  cell_str(cells, cls ? cls : json_path_str0(o, "spec.storageClassName"));
  cell_str(cells, json_path_str0(o, "status.reason"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  const char *mode = json_path_str0(o, "spec.volumeMode");
  cell_str(cells, tj(o, "spec.volumeMode") ? mode : "<unset>");
}

static void pvc_row(const json_t *o, time_t now, json_t *cells) {
  char qb[64];
  struct sbuf modes = {0};
  const char *volume = json_path_str0(o, "spec.volumeName");
  const char *capacity = "";
  if (*volume) {
    access_modes(&modes, tj(o, "status.accessModes"));
    capacity = qty_str(tj(o, "status.capacity.storage"), qb, sizeof qb);
  }
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, tj(o, "metadata.deletionTimestamp") ? "Terminating" : json_path_str0(o, "status.phase"));
  cell_str(cells, volume);
  cell_str(cells, capacity);
  cell_str(cells, sb_str(&modes));
  sb_free(&modes);
  const char *cls = beta_class(o);
  cell_str(cells, cls ? cls : json_path_str0(o, "spec.storageClassName"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_str(cells, tj(o, "spec.volumeMode") ? json_path_str0(o, "spec.volumeMode") : "<unset>");
}

/* ---- quotas and component statuses ---------------------------------- */

/* "resource: used/hard" pairs sorted by resource; limits.* go to Limit. */
static void quota_row(const json_t *o, time_t now, json_t *cells) {
  const json_t *hard = tj(o, "status.hard"), *used = tj(o, "status.used");
  size_t n = json_is_object(hard) ? json_object_size(hard) : 0;
  const char **keys = calloc(n ? n : 1, sizeof *keys);
  size_t m = 0;
  const char *k;
  json_t *v;
  if (keys) {
    json_object_foreach((json_t *)hard, k, v) keys[m++] = k;
    qsort(keys, m, sizeof *keys, strp_cmp);
  }
  struct sbuf req = {0}, lim = {0};
  for (size_t i = 0; i < m; i++) {
    char hb[64], ub[64];
    const char *dot = strchr(keys[i], '.');
    struct sbuf *w = (dot && (size_t)(dot - keys[i]) == 6 && strncmp(keys[i], "limits", 6) == 0) ? &lim : &req;
    if (w->len) sb_add(w, ", ");
    sb_addf(w, "%s: %s/%s", keys[i], qty_str(json_object_get(used, keys[i]), ub, sizeof ub),
            qty_str(json_object_get(hard, keys[i]), hb, sizeof hb));
  }
  free(keys);
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_since(cells, o, "metadata.creationTimestamp", now);
  cell_str(cells, sb_str(&req));
  cell_str(cells, sb_str(&lim));
  sb_free(&req);
  sb_free(&lim);
}

static void componentstatus_row(const json_t *o, time_t now, json_t *cells) {
  (void)now;
  const char *status = "Unknown", *message = "", *error = "";
  const json_t *conds = tj(o, "conditions");
  for (size_t i = 0; json_is_array(conds) && i < json_array_size(conds); i++) {
    const json_t *c = json_array_get(conds, i);
    if (strcmp(json_path_str0(c, "type"), "Healthy") != 0) continue;
    status = strcmp(json_path_str0(c, "status"), "True") == 0 ? "Healthy" : "Unhealthy";
    message = json_path_str0(c, "message");
    error = json_path_str0(c, "error");
    break;
  }
  cell_str(cells, json_path_str0(o, "metadata.name"));
  cell_str(cells, status);
  cell_str(cells, message);
  cell_str(cells, error);
}

const struct table_printer table_core_printers[] = {
    TABLE_PRINTER("", "pods", printer_cols_pod, pod_row),
    TABLE_PRINTER("", "podtemplates", printer_cols_pod_template, podtemplate_row),
    TABLE_PRINTER("", "replicationcontrollers", printer_cols_replication_controller, rc_row),
    TABLE_PRINTER("", "services", printer_cols_service, service_row),
    TABLE_PRINTER("", "endpoints", printer_cols_endpoint, endpoints_row),
    TABLE_PRINTER("", "nodes", printer_cols_node, node_row),
    TABLE_PRINTER("", "namespaces", printer_cols_namespace, namespace_row),
    TABLE_PRINTER("", "events", printer_cols_event, event_row),
    TABLE_PRINTER("events.k8s.io", "events", printer_cols_event, event_v1_row),
    TABLE_PRINTER("", "secrets", printer_cols_secret, secret_row),
    TABLE_PRINTER("", "configmaps", printer_cols_config_map, configmap_row),
    TABLE_PRINTER("", "serviceaccounts", printer_cols_service_account, serviceaccount_row),
    TABLE_PRINTER("", "persistentvolumes", printer_cols_persistent_volume, pv_row),
    TABLE_PRINTER("", "persistentvolumeclaims", printer_cols_persistent_volume_claim, pvc_row),
    TABLE_PRINTER("", "resourcequotas", printer_cols_resource_quota, quota_row),
    TABLE_PRINTER("", "componentstatuses", printer_cols_component_status, componentstatus_row),
};
const size_t table_core_nprinters = sizeof table_core_printers / sizeof table_core_printers[0];
