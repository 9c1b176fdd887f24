/* main.c - ckube-node, the node agent. With --simulate N it runs simulated
 * nodes (register, keep alive, report pods as running without running
 * anything); without it, it is this machine's kubelet: it registers the
 * node --name and runs the pods bound to it as processes
 * (real_node.h). `join` bootstraps a node with a token (join.h), `tunnel`
 * is its call-home connection (tunnel.h), and `--builtin NAME` runs one of
 * the programs behind registry-less images (builtin_http.h). */
#include "builtin_http.h"
#include "image_setuid.h"
#include "join.h"
#include "log.h"
#include "real_node.h"
#include "simulate.h"
#include "simulate_status.h"
#include "tunnel.h"
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

static void usage(FILE *f) {
  fprintf(f, "usage: ckube-node --kubeconfig FILE --name NAME --data-dir DIR [--pod-cidr 127.N.0.0/16]\n"
             "                  [--extended-resource K=V ...] [--image-table FILE] [--heartbeat-seconds 2]\n"
             "  Registers this machine as node NAME with the API server in FILE and runs the pods\n"
             "  bound to it as processes, their state and logs under DIR/pods. Pods get addresses\n"
             "  in 127.N.0.0/16 (N derived from NAME by default); images resolve to programs\n"
             "  through the image table (default: images.conf of the installation).\n"
             "       ckube-node --simulate N --kubeconfig FILE [--name-prefix P] [--cpu 8] [--memory 32Gi]\n"
             "                  [--pods 110] [--heartbeat-seconds 10] [--pod-workers 4] [--metrics-seconds 5]\n"
             "                  [--unpullable-images REGEX]\n"
             "  Registers N simulated nodes P-0..P-(N-1) with the API server in FILE, keeps\n"
             "  their Leases and Ready condition fresh and runs the pods bound to them\n"
             "  (simulated: Running and Ready; see ckube.io/simulate-* annotations) until stopped,\n"
             "  reporting their resource usage every --metrics-seconds. Pods with an image matching\n"
             "  --unpullable-images (POSIX extended regex) stay Pending in ErrImagePull/ImagePullBackOff.\n");
}

/* The nonewprivs builtin runs setuid: LeakSanitizer's exit-time check cannot
 * stop the threads of a setuid process and would print a fatal error into
 * the image's output, so a sanitizer build turns it off for that program. */
static int setuid_builtin;
#if defined(__SANITIZE_ADDRESS__)
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return setuid_builtin; }
#endif

int main(int argc, char **argv) {
  image_setuid_guard(argc, argv); /* a setuid copy (image_setuid.h) is root only for the image's program */
  if (argc >= 3 && !strcmp(argv[1], "--builtin") && !strcmp(argv[2], "nonewprivs")) {
    setuid_builtin = 1;
    return image_setuid_nonewprivs();
  }
  if (argc > 2 && !strcmp(argv[1], "--builtin")) return builtin_main(argc - 2, argv + 2);
  if (argc > 1 && !strcmp(argv[1], "join")) return join_main(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "tunnel")) return tunnel_main(argc - 1, argv + 1);
  simulate_opts o = {NULL, "sim", 0, "8", "32Gi", "110", 10, 4, 5, NULL};
  real_node_opts r = {0};
  int heartbeat = 0;
  static const struct option opts[] = {{"simulate", required_argument, 0, 's'},
                                       {"kubeconfig", required_argument, 0, 'k'},
                                       {"name-prefix", required_argument, 0, 'p'},
                                       {"cpu", required_argument, 0, 'c'},
                                       {"memory", required_argument, 0, 'm'},
                                       {"pods", required_argument, 0, 'P'},
                                       {"heartbeat-seconds", required_argument, 0, 'H'},
                                       {"pod-workers", required_argument, 0, 'w'},
                                       {"metrics-seconds", required_argument, 0, 'M'},
                                       {"unpullable-images", required_argument, 0, 'U'},
                                       {"name", required_argument, 0, 'n'},
                                       {"data-dir", required_argument, 0, 'd'},
                                       {"pod-cidr", required_argument, 0, 'C'},
                                       {"extended-resource", required_argument, 0, 'x'},
                                       {"image-table", required_argument, 0, 'i'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case 's': o.count = atoi(optarg); break;
    case 'k': o.kubeconfig = r.kubeconfig = optarg; break;
    case 'p': o.prefix = optarg; break;
    case 'c': o.cpu = optarg; break;
    case 'm': o.memory = optarg; break;
    case 'P': o.pods = optarg; break;
    case 'H': heartbeat = atoi(optarg); break;
    case 'w': o.pod_workers = atoi(optarg); break;
    case 'M': o.metrics_seconds = atoi(optarg); break;
    case 'U': o.unpullable_images = optarg; break;
    case 'n': r.name = optarg; break;
    case 'd': r.data_dir = optarg; break;
    case 'C': r.pod_cidr = optarg; break;
    case 'i': r.image_table = optarg; break;
    case 'x':
      if (!strchr(optarg, '=') || optarg[0] == '=') {
        fprintf(stderr, "ckube-node: --extended-resource wants NAME=QUANTITY, got %s\n", optarg);
        return 2;
      }
      r.extended = realloc(r.extended, (size_t)(r.nextended + 1) * sizeof *r.extended);
      r.extended[r.nextended++] = optarg;
      break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (!o.count) {
    r.heartbeat_seconds = heartbeat > 0 ? heartbeat : 2;
    if (!r.kubeconfig || !r.name || !r.data_dir || heartbeat < 0) {
      usage(stderr);
      return 2;
    }
    if (r.pod_cidr && real_node_parse_cidr(r.pod_cidr) < 0) {
      fprintf(stderr, "ckube-node: --pod-cidr must be 127.N.0.0/16 (N in 2..254), got %s\n", r.pod_cidr);
      return 2;
    }
    int rc = real_node_run(&r, &stop);
    free(r.extended);
    return rc;
  }
  o.heartbeat_seconds = heartbeat ? heartbeat : 10;
  if (o.count <= 0 || !o.kubeconfig || o.heartbeat_seconds <= 0) {
    usage(stderr);
    return 2;
  }
  if (sim_set_unpullable_images(o.unpullable_images)) {
    fprintf(stderr, "ckube-node: bad --unpullable-images regex\n");
    return 2;
  }
  return simulate_run(&o, &stop);
}
