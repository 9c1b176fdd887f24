/* main.c - ckube-node, the node agent. This first version runs simulated
 * nodes (--simulate N), which register and keep themselves alive like
 * kubelets and report the pods bound to them as running without running
 * anything; the real runtime (pods as processes) comes with the node agent
 * issue. */
#include "join.h"
#include "log.h"
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
  fprintf(f, "usage: ckube-node --simulate N --kubeconfig FILE [--name-prefix P] [--cpu 8] [--memory 32Gi]\n"
             "                  [--pods 110] [--heartbeat-seconds 10] [--pod-workers 4] [--metrics-seconds 5]\n"
             "                  [--unpullable-images REGEX]\n"
             "  Registers N simulated nodes P-0..P-(N-1) with the API server in FILE, keeps\n"
             "  their Leases and Ready condition fresh and runs the pods bound to them\n"
             "  (simulated: Running and Ready; see ckube.io/simulate-* annotations) until stopped,\n"
             "  reporting their resource usage every --metrics-seconds. Pods with an image matching\n"
             "  --unpullable-images (POSIX extended regex) stay Pending in ErrImagePull/ImagePullBackOff.\n");
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "join")) return join_main(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "tunnel")) return tunnel_main(argc - 1, argv + 1);
  simulate_opts o = {NULL, "sim", 0, "8", "32Gi", "110", 10, 4, 5, NULL};
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
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case 's': o.count = atoi(optarg); break;
    case 'k': o.kubeconfig = optarg; break;
    case 'p': o.prefix = optarg; break;
    case 'c': o.cpu = optarg; break;
    case 'm': o.memory = optarg; break;
    case 'P': o.pods = optarg; break;
    case 'H': o.heartbeat_seconds = atoi(optarg); break;
    case 'w': o.pod_workers = atoi(optarg); break;
    case 'M': o.metrics_seconds = atoi(optarg); break;
    case 'U': o.unpullable_images = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (o.count <= 0 || !o.kubeconfig || o.heartbeat_seconds <= 0) {
    usage(stderr);
    return 2;
  }
  if (sim_set_unpullable_images(o.unpullable_images)) {
    fprintf(stderr, "ckube-node: bad --unpullable-images regex\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  return simulate_run(&o, &stop);
}
