/* scheduler_pod.c - the scheduler's summaries of pods and nodes (see
 * scheduler.h): resource requests as kube-scheduler computes them,
 * host ports, controller owner, a node's allocatable resources and taints,
 * and the running sums of what is scheduled on each node. */
#include "scheduler.h"
#include "quantity.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MILLI_CPU 100               /* schedutil.DefaultMilliCPURequest */
#define DEFAULT_MEMORY (200LL * 1024 * 1024) /* schedutil.DefaultMemoryRequest */

static int64_t *scalar_slot(sched_resources *r, const char *name) {
  for (int i = 0; i < r->nscalars; i++)
    if (!strcmp(r->scalars[i].name, name)) return &r->scalars[i].value;
  if (r->nscalars == SCHED_MAX_SCALARS) return NULL;
  snprintf(r->scalars[r->nscalars].name, sizeof r->scalars[0].name, "%s", name);
  r->scalars[r->nscalars].value = 0;
  return &r->scalars[r->nscalars++].value;
}

/* The field of r that resource name counts in, or NULL (not a schedulable
 * resource: pods, or an unknown kubernetes.io/ name). milli: cpu is in m. */
static int64_t *slot_of(sched_resources *r, const char *name, bool *milli) {
  *milli = false;
  if (!strcmp(name, "cpu")) return *milli = true, &r->milli_cpu;
  if (!strcmp(name, "memory")) return &r->memory;
  if (!strcmp(name, "ephemeral-storage")) return &r->ephemeral;
  if (!strncmp(name, "hugepages-", 10) || !strncmp(name, "attachable-volumes-", 19) ||
      (strchr(name, '/') && strncmp(name, "kubernetes.io/", 14) && !strstr(name, ".kubernetes.io/")))
    return scalar_slot(r, name);
  return NULL;
}

static int64_t amount(const json_t *v, bool milli) {
  quantity q;
  if (!json_is_string(v) || quantity_parse(json_string_value(v), &q) != 0) return 0;
  return milli ? quantity_milli(&q) : quantity_value(&q);
}

/* Adds (max_of = false) or raises to (max_of = true) a ResourceList. */
static void apply_list(sched_resources *r, const json_t *list, bool max_of) {
  const char *name;
  json_t *v;
  json_object_foreach((json_t *)list, name, v) {
    bool milli;
    int64_t *slot = slot_of(r, name, &milli);
    if (!slot) continue;
    int64_t a = amount(v, milli);
    if (!max_of) *slot += a;
    else if (a > *slot) *slot = a;
  }
}

static void apply_max(sched_resources *r, const sched_resources *other) {
  if (other->milli_cpu > r->milli_cpu) r->milli_cpu = other->milli_cpu;
  if (other->memory > r->memory) r->memory = other->memory;
  if (other->ephemeral > r->ephemeral) r->ephemeral = other->ephemeral;
  for (int i = 0; i < other->nscalars; i++) {
    int64_t *s = scalar_slot(r, other->scalars[i].name);
    if (s && other->scalars[i].value > *s) *s = other->scalars[i].value;
  }
}

static void add_nonzero(sched_resources *r, const json_t *requests, bool max_of) {
  const json_t *cpu = json_object_get(requests, "cpu"), *mem = json_object_get(requests, "memory");
  int64_t c = cpu ? amount(cpu, true) : DEFAULT_MILLI_CPU, m = mem ? amount(mem, false) : DEFAULT_MEMORY;
  if (!max_of) r->milli_cpu += c, r->memory += m;
  else {
    if (c > r->milli_cpu) r->milli_cpu = c;
    if (m > r->memory) r->memory = m;
  }
}

static void add_ports(sched_pod *p, const json_t *container) {
  size_t i;
  json_t *port;
  json_array_foreach(json_object_get(container, "ports"), i, port) {
    json_int_t hp = json_integer_value(json_object_get(port, "hostPort"));
    if (hp <= 0 || p->nports == (int)(sizeof p->ports / sizeof p->ports[0])) continue;
    sched_host_port *h = &p->ports[p->nports++];
    snprintf(h->protocol, sizeof h->protocol, "%s", json_string_value(json_object_get(port, "protocol")) ?: "TCP");
    const char *ip = json_string_value(json_object_get(port, "hostIP"));
    snprintf(h->ip, sizeof h->ip, "%s", ip && *ip ? ip : "0.0.0.0");
    h->port = (int)hp;
  }
}

void sched_pod_parse(const json_t *pod, sched_pod *out) {
  memset(out, 0, sizeof *out);
  out->pod = pod;
  const json_t *spec = json_object_get(pod, "spec");
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) {
    const json_t *req = json_object_get(json_object_get(c, "resources"), "requests");
    apply_list(&out->requests, req, false);
    add_nonzero(&out->nonzero, req, false);
    add_ports(out, c);
  }
  sched_resources init = {0}, init_nonzero = {0};
  json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
    const json_t *req = json_object_get(json_object_get(c, "resources"), "requests");
    apply_list(&init, req, true);
    add_nonzero(&init_nonzero, req, true);
  }
  apply_max(&out->requests, &init);
  apply_max(&out->nonzero, &init_nonzero);
  const json_t *overhead = json_object_get(spec, "overhead");
  apply_list(&out->requests, overhead, false);
  apply_list(&out->nonzero, overhead, false);
  json_array_foreach(json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), i, c)
    if (json_is_true(json_object_get(c, "controller")))
      snprintf(out->owner, sizeof out->owner, "%s", json_string_value(json_object_get(c, "uid")) ?: "");
  out->tolerations = json_object_get(spec, "tolerations");
  out->node_selector = json_object_size(json_object_get(spec, "nodeSelector")) ? json_object_get(spec, "nodeSelector")
                                                                                : NULL;
  out->required_terms = json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
                                        "requiredDuringSchedulingIgnoredDuringExecution");
}

void sched_pod_forget_object(sched_pod *p) {
  p->pod = p->tolerations = p->node_selector = p->required_terms = NULL;
}

void sched_node_set(sched_node *n, const json_t *node) {
  json_incref_const(node);
  json_decref_const(n->node);
  n->node = node;
  const json_t *alloc = json_object_get(json_object_get(node, "status"), "allocatable");
  memset(&n->allocatable, 0, sizeof n->allocatable);
  apply_list(&n->allocatable, alloc, false);
  n->allowed_pods = amount(json_object_get(alloc, "pods"), false);
  const json_t *spec = json_object_get(node, "spec");
  n->unschedulable = json_is_true(json_object_get(spec, "unschedulable"));
  free(n->taints);
  n->taints = NULL;
  n->ntaints = 0;
  const json_t *taints = json_object_get(spec, "taints");
  if (json_array_size(taints)) n->taints = calloc(json_array_size(taints), sizeof *n->taints);
  size_t i;
  json_t *t;
  json_array_foreach(taints, i, t) {
    sched_taint *st = &n->taints[n->ntaints++];
    snprintf(st->key, sizeof st->key, "%s", json_string_value(json_object_get(t, "key")) ?: "");
    snprintf(st->value, sizeof st->value, "%s", json_string_value(json_object_get(t, "value")) ?: "");
    snprintf(st->effect, sizeof st->effect, "%s", json_string_value(json_object_get(t, "effect")) ?: "");
  }
}

static void add_resources(sched_resources *to, const sched_resources *r, int sign) {
  to->milli_cpu += sign * r->milli_cpu;
  to->memory += sign * r->memory;
  to->ephemeral += sign * r->ephemeral;
  for (int i = 0; i < r->nscalars; i++) {
    int64_t *s = scalar_slot(to, r->scalars[i].name);
    if (s) *s += sign * r->scalars[i].value;
  }
}

void sched_node_add_pod(sched_node *n, const sched_pod *p) {
  add_resources(&n->requested, &p->requests, 1);
  add_resources(&n->nonzero_requested, &p->nonzero, 1);
  n->npods++;
  if (p->nports) {
    n->ports = realloc(n->ports, (size_t)(n->nports + p->nports) * sizeof *n->ports);
    memcpy(n->ports + n->nports, p->ports, (size_t)p->nports * sizeof *p->ports);
    n->nports += p->nports;
  }
  if (!p->owner[0]) return;
  for (int i = 0; i < n->nowners; i++)
    if (!strcmp(n->owners[i].uid, p->owner)) {
      n->owners[i].pods++;
      return;
    }
  if (n->nowners == n->capowners) {
    n->capowners = n->capowners ? 2 * n->capowners : 2;
    n->owners = realloc(n->owners, (size_t)n->capowners * sizeof *n->owners);
  }
  struct sched_owner_pods *o = &n->owners[n->nowners++];
  snprintf(o->uid, sizeof o->uid, "%s", p->owner);
  o->pods = 1;
}

int sched_node_owner_pods(const sched_node *n, const char *owner) {
  for (int i = 0; i < n->nowners; i++)
    if (!strcmp(n->owners[i].uid, owner)) return n->owners[i].pods;
  return 0;
}

void sched_node_remove_pod(sched_node *n, const sched_pod *p) {
  add_resources(&n->requested, &p->requests, -1);
  add_resources(&n->nonzero_requested, &p->nonzero, -1);
  n->npods--;
  for (int k = 0; k < p->nports; k++)
    for (int i = 0; i < n->nports; i++)
      if (!memcmp(&n->ports[i], &p->ports[k], sizeof p->ports[k])) {
        n->ports[i] = n->ports[--n->nports];
        break;
      }
  for (int i = 0; p->owner[0] && i < n->nowners; i++)
    if (!strcmp(n->owners[i].uid, p->owner)) {
      if (--n->owners[i].pods <= 0) n->owners[i] = n->owners[--n->nowners];
      break;
    }
}

sched_node *sched_node_clone(const sched_node *n) {
  sched_node *c = malloc(sizeof *c);
  *c = *n;
  c->name = strdup(n->name);
  json_incref_const(c->node);
  c->taints = n->ntaints ? malloc((size_t)n->ntaints * sizeof *c->taints) : NULL;
  if (n->ntaints) memcpy(c->taints, n->taints, (size_t)n->ntaints * sizeof *c->taints);
  c->ports = n->nports ? malloc((size_t)n->nports * sizeof *c->ports) : NULL;
  if (n->nports) memcpy(c->ports, n->ports, (size_t)n->nports * sizeof *c->ports);
  c->owners = NULL;
  c->nowners = c->capowners = 0;
  return c;
}

void sched_node_free(sched_node *n) {
  if (!n) return;
  free(n->name);
  json_decref_const(n->node);
  free(n->taints);
  free(n->ports);
  free(n->owners);
  free(n);
}

static bool same_at(const json_t *a, const json_t *b, const char *top, const char *field) {
  const json_t *x = json_object_get(json_object_get(a, top), field), *y = json_object_get(json_object_get(b, top), field);
  if (!x || !y) return !x == !y;
  return json_equal((json_t *)x, (json_t *)y);
}

bool sched_node_properties_changed(const json_t *old_node, const json_t *new_node) {
  return !old_node || !same_at(old_node, new_node, "metadata", "labels") ||
         !same_at(old_node, new_node, "spec", "taints") || !same_at(old_node, new_node, "spec", "unschedulable") ||
         !same_at(old_node, new_node, "status", "allocatable");
}
