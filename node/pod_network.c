/* pod_network.c - see pod_network.h. Done with iproute2's `ip` in batch
 * mode (two runs per pod) and one forked child for the namespace's sysctls;
 * a namespace is /run/netns/ck-127-N-A-B, its host-side veth ckN-A-B. */
#include "pod_network.h"
#include "log.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define IP_BIN "ip"

/* Runs argv (NULL-terminated), output discarded; 0 when it exited 0. */
static int run(char *const argv[]) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* run() of a command line split at spaces (the words never hold one). */
static int runf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int runf(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  char *argv[32];
  int n = 0;
  for (char *save = NULL, *w = strtok_r(line, " ", &save); w && n < 31; w = strtok_r(NULL, " ", &save)) argv[n++] = w;
  argv[n] = NULL;
  return run(argv);
}

/* Runs `ip [-n ns] -batch -` with the commands in script (one a line). */
static int ip_batch(const char *ns, const char *script) {
  int in[2];
  if (pipe2(in, O_CLOEXEC)) return -1;
  char *argv[] = {IP_BIN, "-n", (char *)ns, "-batch", "-", NULL}, *argv_host[] = {IP_BIN, "-batch", "-", NULL};
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(in[0], 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execvp(IP_BIN, ns ? argv : argv_host);
    _exit(127);
  }
  close(in[0]);
  if (pid < 0) {
    close(in[1]);
    return -1;
  }
  (void)!write(in[1], script, strlen(script));
  close(in[1]);
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* route_localnet=1 for all and eth0 inside the namespace: a forked child
 * joins it and writes its /proc/sys (no exec needed). */
static int ns_route_localnet(const char *ns) {
  char path[128];
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (setns(fd, CLONE_NEWNET)) _exit(1);
    static const char *const files[] = {"/proc/sys/net/ipv4/conf/all/route_localnet",
                                        "/proc/sys/net/ipv4/conf/eth0/route_localnet"};
    for (int i = 0; i < 2; i++) {
      int f = open(files[i], O_WRONLY);
      if (f < 0 || write(f, "1", 1) != 1) _exit(1);
      close(f);
    }
    _exit(0);
  }
  close(fd);
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int ip_parts(const char *ip, int *n, int *a, int *b) { return sscanf(ip, "127.%d.%d.%d", n, a, b) == 3 ? 0 : -1; }

static void ns_name(const char *ip, char *out, size_t len) {
  int n, a, b;
  if (ip_parts(ip, &n, &a, &b)) n = a = b = 0;
  snprintf(out, len, "ck-127-%d-%d-%d", n, a, b);
}

static void write_sysctl(const char *path, const char *v) {
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(v, f);
    fclose(f);
  }
}

int podnet_setup_node(int net, char *err, size_t len) {
  if (geteuid() != 0) {
    snprintf(err, len, "not root");
    return -1;
  }
  char path[256];
  runf(IP_BIN " link add ckbr%d type bridge", net); /* exists after a restart: fine */
  if (runf(IP_BIN " link set ckbr%d up", net)) {
    snprintf(err, len, "cannot make bridge ckbr%d (ip link)", net);
    return -1;
  }
  snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/ckbr%d/route_localnet", net);
  write_sysctl(path, "1");
  /* pods see all of 127/8 on their eth0: for another node's range (127.M.0.0/16 dev ckbrM, that agent's
   * route) the bridge answers their ARP (proxy_arp) and routes the packets on (forwarding), both for what
   * arrives on this bridge only; the host's other interfaces keep theirs */
  snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/ckbr%d/forwarding", net);
  write_sysctl(path, "1");
  snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/ckbr%d/proxy_arp", net);
  write_sysctl(path, "1");
  if (runf(IP_BIN " route replace local 127.%d.0.1/32 dev lo table local", net) ||
      runf(IP_BIN " route replace 127.%d.0.0/16 dev ckbr%d src 127.%d.0.1 table local", net, net, net)) {
    snprintf(err, len, "cannot route 127.%d.0.0/16 to ckbr%d", net, net);
    return -1;
  }
  char prefix[32];
  snprintf(prefix, sizeof prefix, "ck-127-%d-", net);
  DIR *d = opendir("/run/netns");
  struct dirent *e;
  int stale = 0;
  while (d && (e = readdir(d)))
    if (!strncmp(e->d_name, prefix, strlen(prefix))) stale += runf(IP_BIN " netns del %s", e->d_name) == 0;
  if (d) closedir(d);
  if (stale) LOGI("removed %d pod network namespaces left by an earlier agent", stale);
  return 0;
}

void podnet_teardown_node(int net) {
  runf(IP_BIN " route del 127.%d.0.0/16 dev ckbr%d table local", net, net);
  runf(IP_BIN " route del local 127.%d.0.1/32 dev lo table local", net);
  runf(IP_BIN " link del ckbr%d", net);
}

int podnet_create(int net, const char *pod_ip, char *err, size_t len) {
  int n, a, b;
  if (ip_parts(pod_ip, &n, &a, &b) || n != net) {
    snprintf(err, len, "pod address %s is outside 127.%d.0.0/16", pod_ip, net);
    return -1;
  }
  char ns[64], veth[32], path[256];
  ns_name(pod_ip, ns, sizeof ns);
  snprintf(veth, sizeof veth, "ck%d-%d-%d", n, a, b);
  char script[1024];
  struct stat st;
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  if (!stat(path, &st)) runf(IP_BIN " netns del %s", ns); /* a stale one (a killed agent) */
  snprintf(path, sizeof path, "/sys/class/net/%s", veth);
  if (!stat(path, &st)) runf(IP_BIN " link del %s", veth);
  /* the pod's MAC follows from its IP (0a:58 like the CNI bridge plugin), so
   * neighbours' ARP entries stay right when an address is handed out again */
  snprintf(script, sizeof script,
           "netns add %s\nlink add %s type veth peer name eth0 address 0a:58:7f:%02x:%02x:%02x netns %s\n"
           "link set %s master ckbr%d up\n", ns, veth, n, a, b, ns, veth, net);
  if (ip_batch(NULL, script)) {
    snprintf(err, len, "cannot make network namespace %s (ip netns/link)", ns);
    podnet_delete(pod_ip);
    return -1;
  }
  snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/route_localnet", veth);
  write_sysctl(path, "1");
  snprintf(script, sizeof script,
           "link set lo up\nlink set eth0 up\nroute del local 127.0.0.0/8 dev lo table local\n"
           "route add local %s/32 dev lo table local\nroute add 127.0.0.0/8 dev eth0 src %s\n", pod_ip, pod_ip);
  if (ns_route_localnet(ns) || ip_batch(ns, script)) {
    snprintf(err, len, "cannot set up the loopback routes of %s", ns);
    podnet_delete(pod_ip);
    return -1;
  }
  return 0;
}

int podnet_open(const char *pod_ip) {
  char ns[64], path[128];
  ns_name(pod_ip, ns, sizeof ns);
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  return open(path, O_RDONLY | O_CLOEXEC);
}

void podnet_delete(const char *pod_ip) {
  char ns[64];
  ns_name(pod_ip, ns, sizeof ns);
  runf(IP_BIN " netns del %s", ns);
}
