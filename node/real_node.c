/* real_node.c - see real_node.h. The node's address is 127.N.0.1, pods get
 * 127.N.x.y (runtime_pods.c). The Lease is renewed every heartbeat and the
 * status (conditions' heartbeat, allocatable) every fourth, as kubelet's
 * node status update frequency trails its lease renewal. */
#include "real_node.h"
#include "pod_admission.h"
#include "service_proxy.h"
#include "https_client.h"
#include "image_table.h"
#include "log.h"
#include "node_api.h"
#include "timestamp.h"
#include "pod_network.h"
#include "runtime_pods.h"
#include "runtime_proc.h"
#include "simulate_config.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

int real_node_parse_cidr(const char *cidr) {
  int n, a, b, bits;
  char rest[4];
  if (!cidr || sscanf(cidr, "127.%d.%d.%d/%d%3s", &n, &a, &b, &bits, rest) != 4 || a || b || bits != 16 || n < 2 ||
      n > 254)
    return -1;
  return n;
}

int real_node_default_net(const char *name) {
  unsigned h = 2166136261u;
  for (const char *p = name; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
  return 200 + (int)(h % 55);
}

static void first_line(const char *path, char *out, size_t len) {
  out[0] = 0;
  FILE *f = fopen(path, "r");
  if (!f) return;
  if (fgets(out, (int)len, f)) out[strcspn(out, "\n")] = 0;
  fclose(f);
}

static long long mem_total_kib(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  long long kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemTotal: %lld kB", &kib) == 1) break;
  if (f) fclose(f);
  return kib;
}

static void os_image(char *out, size_t len) {
  FILE *f = fopen("/etc/os-release", "r");
  char line[512];
  snprintf(out, len, "Linux");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "PRETTY_NAME=", 12)) {
      char *v = line + 12;
      v[strcspn(v, "\n")] = 0;
      if (*v == '"') v++;
      if (*v && v[strlen(v) - 1] == '"') v[strlen(v) - 1] = 0;
      snprintf(out, len, "%s", v);
    }
  if (f) fclose(f);
}

static const char *go_arch(const char *machine) {
  if (!strcmp(machine, "x86_64")) return "amd64";
  if (!strcmp(machine, "aarch64")) return "arm64";
  if (!strncmp(machine, "arm", 3)) return "arm";
  return machine;
}

static json_t *node_object(const real_node_opts *o, const char *ip) {
  char now[40], mem[64], cpu[32], storage[64], machine_id[128], boot_id[128], os[256];
  rfc3339_now(now, sizeof now);
  snprintf(mem, sizeof mem, "%lldKi", mem_total_kib());
  snprintf(cpu, sizeof cpu, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
  struct statvfs vfs;
  if (statvfs(o->data_dir, &vfs)) memset(&vfs, 0, sizeof vfs);
  snprintf(storage, sizeof storage, "%lluKi", (unsigned long long)vfs.f_blocks * vfs.f_frsize / 1024);
  first_line("/etc/machine-id", machine_id, sizeof machine_id);
  first_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof boot_id);
  os_image(os, sizeof os);
  struct utsname u;
  uname(&u);
  const char *arch = go_arch(u.machine);
  json_t *res = json_pack("{s:s,s:s,s:s,s:s}", "cpu", cpu, "memory", mem, "pods", "110", "ephemeral-storage", storage);
  for (int i = 0; i < o->nextended; i++) {
    char k[256];
    const char *eq = strchr(o->extended[i], '=');
    snprintf(k, sizeof k, "%.*s", (int)(eq - o->extended[i]), o->extended[i]);
    json_object_set_new(res, k, json_string(eq + 1));
  }
  sim_config_set_node_allocatable(cpu, mem);
  return json_pack(
      "{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s,s:s,s:s}},s:{},s:{s:o,s:o,s:o,s:[{s:s,s:s},{s:s,s:s}],s:{s:{s:i}},"
      "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}}}",
      "apiVersion", "v1", "kind", "Node", "metadata", "name", o->name, "labels", "kubernetes.io/hostname", o->name,
      "kubernetes.io/os", "linux", "kubernetes.io/arch", arch, "beta.kubernetes.io/os", "linux",
      "beta.kubernetes.io/arch", arch, "spec", "status", "capacity", res, "allocatable", json_deep_copy(res),
      "conditions", node_conditions(now), "addresses", "type", "InternalIP", "address", ip, "type", "Hostname",
      "address", o->name, "daemonEndpoints", "kubeletEndpoint", "Port", 10250, "nodeInfo", "machineID", machine_id,
      "systemUUID", machine_id, "bootID", boot_id, "kernelVersion", u.release, "osImage", os,
      "containerRuntimeVersion", "ckube://0.1.0", "kubeletVersion", "v1.20.2", "kubeProxyVersion", "v1.20.2",
      "operatingSystem", "linux", "architecture", arch);
}

/* The image table: the flag's file, else images.conf beside the binary or in the source tree. */
static image_table *load_images(const real_node_opts *o, const char *self) {
  char err[512] = "", path[PATH_MAX + 64];
  if (o->image_table) {
    image_table *t = image_table_load(o->image_table, err, sizeof err);
    if (!t) LOGE("%s", err);
    return t;
  }
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", self);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  const char *tries[] = {"%s/images.conf", "%s/../../node/images.conf", "%s/../share/ckube/images.conf", NULL};
  for (int i = 0; tries[i]; i++) {
    snprintf(path, sizeof path, tries[i], dir);
    if (access(path, R_OK)) continue;
    image_table *t = image_table_load(path, err, sizeof err);
    if (!t) LOGE("%s", err);
    return t;
  }
  LOGW("no image table found (give --image-table): every image without a command fails to pull");
  return image_table_parse("", "empty", err, sizeof err);
}

int real_node_run(const real_node_opts *o, volatile sig_atomic_t *stop) {
  int net = o->pod_cidr ? real_node_parse_cidr(o->pod_cidr) : real_node_default_net(o->name);
  if (net < 0) {
    LOGE("--pod-cidr must be 127.N.0.0/16, got %s", o->pod_cidr);
    return 1;
  }
  char self[PATH_MAX] = "", ip[32];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl > 0) self[sl] = 0;
  snprintf(ip, sizeof ip, "127.%d.0.1", net);
  if (rt_mkdirs(o->data_dir, 0755)) {
    LOGE("cannot make data dir %s", o->data_dir);
    return 1;
  }
  image_table *images = load_images(o, self);
  if (!images) return 1;
  char err[512] = "";
  https_client *c = https_client_open(o->kubeconfig, err, sizeof err);
  if (!c) {
    LOGE("%s", err);
    image_table_free(images);
    return 1;
  }
  json_t *node = node_object(o, ip);
  while (node_register(c, node) && !*stop) {
    LOGW("could not register node %s; retrying", o->name);
    sleep(1);
  }
  json_decref(node);
  node_renew_lease(c, o->name);
  LOGI("node %s registered (address %s, pods in 127.%d.0.0/16)", o->name, ip, net);
  char nerr[256] = "";
  int netns = podnet_setup_node(net, nerr, sizeof nerr) == 0;
  if (!netns) LOGW("pods share the node's network (no namespace per pod): %s", nerr);
  int mount_ns = geteuid() == 0;
  if (!mount_ns) LOGW("not root: containers see the host's file system and pods' volumes are not mounted");
  rt_config cfg = {o->kubeconfig, o->name, o->data_dir, ip, net, images, self, netns, mount_ns};
  pod_admission_start(o->kubeconfig, o->name); /* kubelet's admission orders pods by creation */
  rt_pods *pods = rt_pods_start(&cfg);
  service_proxy *proxy = service_proxy_start(o->kubeconfig, ip, o->name);
  for (unsigned round = 1; !*stop; round++) {
    for (int s = 0; s < o->heartbeat_seconds * 10 && !*stop; s++) usleep(100000);
    if (*stop) break;
    node_renew_lease(c, o->name);
    if (round % 4 == 0) node_heartbeat_status(c, o->name);
  }
  service_proxy_stop(proxy);
  rt_pods_stop(pods);
  pod_admission_stop();
  if (netns) podnet_teardown_node(net);
  https_client_close(c);
  image_table_free(images);
  return 0;
}
