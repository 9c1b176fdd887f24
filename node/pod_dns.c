/* pod_dns.c - see pod_dns.h. The configuration is three lists
 * (nameservers, search domains, options) built as kubelet's Configurer
 * does: the node's resolv.conf as the base, replaced for the cluster
 * policies, emptied for None, then dnsConfig appended without duplicates
 * (options by name, a later value winning), then trimmed, and written as
 * kubelet's runtimes write it: nameserver lines, one search line, one
 * options line. */
#include "pod_dns.h"
#include "json_path.h"
#include <stdio.h>
#include <string.h>

#define MAX_NAMESERVERS 3
#define MAX_SEARCHES 6
#define MAX_SEARCH_CHARS 256
#define LIST_CAP 32

typedef struct {
  char items[LIST_CAP][256];
  int n;
} str_list;

typedef struct {
  str_list servers, searches, options;
} dns_config;

static void add_unique(str_list *l, const char *s) {
  if (!s || !*s) return;
  for (int i = 0; i < l->n; i++)
    if (!strcmp(l->items[i], s)) return;
  if (l->n < LIST_CAP) snprintf(l->items[l->n++], sizeof l->items[0], "%s", s);
}

/* An option "name" or "name:value"; a later one of the same name replaces the value. */
static void merge_option(str_list *l, const char *name, const char *value) {
  char opt[256];
  snprintf(opt, sizeof opt, value && *value ? "%s:%s" : "%s", name, value ? value : "");
  size_t nl = strlen(name);
  for (int i = 0; i < l->n; i++)
    if (!strncmp(l->items[i], name, nl) && (l->items[i][nl] == 0 || l->items[i][nl] == ':')) {
      snprintf(l->items[i], sizeof l->items[0], "%s", opt);
      return;
    }
  if (l->n < LIST_CAP) snprintf(l->items[l->n++], sizeof l->items[0], "%s", opt);
}

static void merge_option_text(str_list *l, const char *opt) {
  char name[256];
  snprintf(name, sizeof name, "%s", opt);
  char *colon = strchr(name, ':');
  if (colon) *colon = 0;
  merge_option(l, name, colon ? colon + 1 : NULL);
}

/* kubelet's parseResolvConf: nameservers, the last search line, every option. */
static void read_host(const char *path, dns_config *c) {
  FILE *f = path ? fopen(path, "r") : NULL;
  char line[1024];
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "#;\n")] = 0;
    char *save, *key = strtok_r(line, " \t", &save), *w;
    if (!key) continue;
    if (!strcmp(key, "search")) c->searches.n = 0;
    while ((w = strtok_r(NULL, " \t", &save))) {
      if (!strcmp(key, "nameserver")) {
        add_unique(&c->servers, w);
        break;
      }
      if (!strcmp(key, "search")) add_unique(&c->searches, w);
      else if (!strcmp(key, "options")) merge_option_text(&c->options, w);
    }
  }
  if (f) fclose(f);
}

static void cluster_first(const json_t *pod, const char *dns, dns_config *c) {
  str_list host = c->searches;
  char s[300];
  memset(c, 0, sizeof *c);
  add_unique(&c->servers, dns);
  const char *ns = json_str(json_object_get(pod, "metadata"), "namespace") ?: "default";
  snprintf(s, sizeof s, "%s.svc.%s", ns, POD_DNS_CLUSTER_DOMAIN);
  add_unique(&c->searches, s);
  add_unique(&c->searches, "svc." POD_DNS_CLUSTER_DOMAIN);
  add_unique(&c->searches, POD_DNS_CLUSTER_DOMAIN);
  for (int i = 0; i < host.n; i++) add_unique(&c->searches, host.items[i]);
  merge_option(&c->options, "ndots", "5");
}

static void append_pod_config(const json_t *cfg, dns_config *c) {
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(cfg, "nameservers"), i, v) add_unique(&c->servers, json_string_value(v));
  json_array_foreach(json_object_get(cfg, "searches"), i, v) add_unique(&c->searches, json_string_value(v));
  json_array_foreach(json_object_get(cfg, "options"), i, v) if (json_str(v, "name"))
      merge_option(&c->options, json_str(v, "name"), json_str(v, "value"));
}

/* kubelet's formDNSConfigFitsLimits (without its events). */
static void fit_limits(dns_config *c) {
  if (c->servers.n > MAX_NAMESERVERS) c->servers.n = MAX_NAMESERVERS;
  if (c->searches.n > MAX_SEARCHES) c->searches.n = MAX_SEARCHES;
  size_t chars = 0;
  for (int i = 0; i < c->searches.n; i++) {
    chars += strlen(c->searches.items[i]) + (i ? 1 : 0);
    if (chars > MAX_SEARCH_CHARS) {
      c->searches.n = i;
      break;
    }
  }
}

static size_t append(char *out, size_t len, size_t n, const char *s) {
  if (n < len) n += (size_t)snprintf(out + n, len - n, "%s", s);
  return n;
}

static size_t put_line(char *out, size_t len, size_t n, const char *key, const str_list *l) {
  if (!l->n) return n;
  n = append(out, len, n, key);
  for (int i = 0; i < l->n; i++) n = append(out, len, append(out, len, n, " "), l->items[i]);
  return append(out, len, n, "\n");
}

void pod_dns_resolv_conf(const json_t *pod, const char *cluster_dns, const char *host_resolv, char *out, size_t len) {
  const json_t *spec = json_object_get(pod, "spec");
  const char *policy = json_str(spec, "dnsPolicy") ?: "ClusterFirst";
  bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
  dns_config c = {0};
  read_host(host_resolv, &c);
  bool cluster = !strcmp(policy, "ClusterFirstWithHostNet") || (!strcmp(policy, "ClusterFirst") && !host_net);
  if (!strcmp(policy, "None")) memset(&c, 0, sizeof c);
  else if (cluster && cluster_dns && *cluster_dns) cluster_first(pod, cluster_dns, &c);
  append_pod_config(json_object_get(spec, "dnsConfig"), &c);
  fit_limits(&c);
  size_t n = 0;
  out[0] = 0;
  for (int i = 0; i < c.servers.n; i++) {
    n = append(out, len, n, "nameserver ");
    n = append(out, len, append(out, len, n, c.servers.items[i]), "\n");
  }
  n = put_line(out, len, n, "search", &c.searches);
  put_line(out, len, n, "options", &c.options);
}

bool pod_dns_cluster_ip(sim_get_fn get, void *ctx, char *out, size_t len) {
  json_t *svc = get ? get(ctx, "services", "kube-system", "kube-dns") : NULL;
  const char *ip = json_str(json_object_get(svc, "spec"), "clusterIP");
  bool ok = ip && *ip && strcmp(ip, "None");
  snprintf(out, len, "%s", ok ? ip : "");
  json_decref(svc);
  return ok;
}

const char *pod_dns_hostname(const json_t *pod) {
  static _Thread_local char host[64];
  const char *name = json_str(json_object_get(pod, "spec"), "hostname");
  if (!name || !*name) name = json_str(json_object_get(pod, "metadata"), "name");
  snprintf(host, sizeof host, "%s", name ? name : "");
  for (size_t n = strlen(host); n && (host[n - 1] == '-' || host[n - 1] == '.'); n--) host[n - 1] = 0;
  return host;
}
