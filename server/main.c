/* main.c - ckube-server: parses the command line, prepares the data
 * directory (certificates, kubeconfig, SQLite store), loads the object set
 * into the watch cache, creates the bootstrap objects and serves the
 * Kubernetes API over HTTPS until SIGINT/SIGTERM. */
#include "api.h"
#include "aggregator_proxy.h"
#include "bootstrap_token.h"
#include "front_proxy.h"
#include "token_request.h"
#include "audit_log.h"
#include "authn_token.h"
#include "bootstrap.h"
#include "service_alloc.h"
#include "cluster_info.h"
#include "controllers.h"
#include "componentstatus.h"
#include "crd_registry.h"
#include "dns.h"
#include "http_front.h"
#include "http_auth.h"
#include "local_node.h"
#include "ingress.h"
#include "ingress_metrics.h"
#include "log.h"
#include "metrics.h"
#include "metrics_api.h"
#include "pki.h"
#include "sa_token.h"
#include "authz_policy.h"
#include "registry.h"
#include "store.h"
#include "token_cli.h"
#include "control_plane_cli.h"
#include "watch.h"
#include "watch_cache.h"
#include "webroot.h"
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static void usage(FILE *f) {
  fprintf(f,
          "usage: ckube-server [--data-dir DIR] [--listen HOST:PORT] [options]\n"
          "       ckube-server token create|list|delete ...   bootstrap tokens for ckube-node join\n"
          "  --data-dir DIR       cluster state, certificates and admin.kubeconfig\n"
          "                       (default /var/lib/ckube as root, ~/.ckube otherwise)\n"
          "  --listen HOST:PORT   HTTPS address of the API (default 127.0.0.1:6443; [::1]:6443 for IPv6)\n"
          "  --watch-window N     events kept for watch resumption (default 100000)\n"
          "  --http-threads N     server threads (default 512); open watches hold none\n"
          "  --no-local-node      do not run the local node (by default ckube-server runs ckube-node from\n"
          "                       beside its binary as node <hostname>, state in DIR/node)\n"
          "  --local-node-pod-cidr 127.N.0.0/16  the local node's pod range (default: from its name)\n"
          "  --node-monitor-grace-period SECONDS  a node whose kubelet is silent this long is NotReady\n"
          "                       (Unknown) and tainted unreachable (default 40)\n"
          "  --leader-elect[=false]  run the controllers and the scheduler only while holding their\n"
          "                       Leases in kube-system (default true)\n"
          "  --leader-elect-lease-duration D, --leader-elect-renew-deadline D, --leader-elect-retry-period D\n"
          "                       durations as 15s (defaults 15s, 10s, 2s)\n"
          "  --local-storage-default  make the built-in StorageClass \"local-path\" the default class,\n"
          "                       so claims without a class are provisioned (as on k3s; by default it\n"
          "                       is present but not the default, as on a kubeadm cluster)\n"
          "  --ingress-http HOST:PORT, --ingress-https HOST:PORT  serve Ingress traffic there\n"
          "                       (controllers/ingress; off when not given)\n"
          "  --ingress-access-log FILE  one line per Ingress request, ingress-nginx's format ('-': stderr)\n"
          "  --ingress-nice N     the proxy's worker threads run at this nice level (0-19, default 19:\n"
          "                       the idle scheduling class) while the API is serving requests, so it\n"
          "                       keeps its request rate under full proxy load, and at 0 when it is idle\n"
          "                       (with CAP_SYS_NICE; else always)\n"
          "  --service-cluster-ip-range CIDR  Service ClusterIPs (default 127.1.0.0/16, on loopback; the\n"
          "                       first address is the `kubernetes` Service's)\n"
          "  --loadbalancer-pool CIDR  LoadBalancer addresses when no MetalLB ConfigMap is applied\n"
          "                       (default 127.255.0.0/16; \"none\": Services stay <pending>)\n"
          "  --dns-listen ADDR:PORT  the cluster DNS (cluster.local, UDP and TCP; default " DNS_DEFAULT_LISTEN ")\n"
          "                       named by the Service kube-system/kube-dns; --no-dns turns it off\n"
          "  --dns-forward[=ADDR:PORT]  forward names outside the cluster to /etc/resolv.conf's nameservers\n"
          "                       (or to ADDR:PORT); by default they are REFUSED\n"
          "  --webroot DIR        the browser console's files (default: webroot/ next to the binary)\n"
          "  --service-account-issuer URL  iss of bound ServiceAccount tokens (TokenRequest) and the API's\n"
          "                       audience (default " SA_TOKEN_DEFAULT_ISSUER ")\n"
          "  --anonymous-auth[=true]  requests without credentials are system:anonymous, authorized by RBAC\n"
          "                       (kube-apiserver 1.20's default); by default off as k3s ships it: 401 except\n"
          "                       health, version and kube-public/cluster-info\n"
          "  --audit-policy-file FILE, --audit-log-path FILE  the audit log (audit.k8s.io/v1 Policy levels None,\n"
          "                       Metadata, Request, RequestResponse; JSON lines, '-' for stdout)\n"
          "  --audit-log-maxsize MB, --audit-log-maxbackup N  rotate at MB (default 100), keep N files (0: all)\n"
          "  --service-account-max-token-expiration D  the longest TokenRequest (e.g. 24h; default: none)\n"
          "  --token-auth-file FILE  static bearer tokens, kube-apiserver's CSV: token,user,uid,\"group1,group2\"\n"
          "  --store sqlite|etcd  where objects live (default sqlite: DIR/state.db); etcd needs\n"
          "  --etcd-servers https://IP:PORT,...  --etcd-cafile F  --etcd-certfile F  --etcd-keyfile F\n"
          "                       [--etcd-prefix /registry] [--etcd-compaction-interval 5m]\n"
          "                       [--etcd-transport grpc|json] (etcd's gRPC API, the default, or its JSON\n"
          "                       gateway; docs/ETCD.md)\n"
          "  -v, --verbose        log every request\n");
}

/* Whole seconds of a flag value "15s", "1m" or "15"; -1 when it is none of these. */
static int seconds_arg(const char *v) {
  char *end;
  long n = strtol(v, &end, 10);
  if (end == v || n < 0 || n > 86400) return -1;
  if (!strcmp(end, "m")) n *= 60;
  else if (*end && strcmp(end, "s")) return -1;
  return (int)n;
}

static int mkdirs(const char *path) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Splits "host:port" / "[v6]:port" into host (without brackets) and port. */
static int split_listen(const char *listen, char *host, size_t hlen, int *port) {
  const char *colon = strrchr(listen, ':');
  if (!colon) return -1;
  *port = atoi(colon + 1);
  if (*port <= 0 || *port > 65535) return -1;
  const char *h = listen;
  size_t n = (size_t)(colon - listen);
  if (n >= 2 && h[0] == '[' && h[n - 1] == ']') h++, n -= 2;
  if (n == 0 || n >= hlen) return -1;
  memcpy(host, h, n);
  host[n] = 0;
  return 0;
}

int main(int argc, char **argv) {
  /* Objects come and go by the thousand: grow the heap in 16 MiB steps and
   * give memory back only above 64 MiB of free top, rather than paying a
   * brk and page faults for every burst. */
  mallopt(M_TOP_PAD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  char default_dir[512];
  const char *home = getenv("HOME");
  if (geteuid() == 0) snprintf(default_dir, sizeof default_dir, "/var/lib/ckube");
  else snprintf(default_dir, sizeof default_dir, "%s/.ckube", home ? home : ".");
  if (argc > 1 && !strcmp(argv[1], "token")) return token_main(argc - 1, argv + 1, default_dir);
  if (argc > 1 && !strcmp(argv[1], "upload-certs")) return upload_certs_main(argc - 1, argv + 1, default_dir);
  if (argc > 1 && !strcmp(argv[1], "join-control-plane"))
    return join_control_plane_main(argc - 1, argv + 1, default_dir);
  const char *data_dir = default_dir, *listen = "127.0.0.1:6443", *webroot_dir = NULL;
  bool local_node = true;
  long window = 100000, threads = 512;
  const char *elect = "true";
  const char *ingress_http = NULL, *ingress_https = NULL, *ingress_log = NULL, *local_node_cidr = NULL;
  int ingress_nice = INGRESS_DEFAULT_NICE;
  const char *dns_listen = DNS_DEFAULT_LISTEN, *dns_forward = NULL, *token_file = NULL;
  const char *audit_path = NULL, *audit_policy = NULL;
  long audit_maxsize = 0;
  int audit_maxbackup = 0;
  int lease_duration = 15, renew_deadline = 10, retry_period = 2;
  const char *store_kind = "sqlite";
  store_etcd_config etcd = {.prefix = "/registry", .compaction_seconds = 300};
  static const struct option opts[] = {{"data-dir", required_argument, 0, 'd'},
                                       {"listen", required_argument, 0, 'l'},
                                       {"watch-window", required_argument, 0, 'w'},
                                       {"http-threads", required_argument, 0, 't'},
                                       {"no-local-node", no_argument, 0, 'n'},
                                       {"local-node-pod-cidr", required_argument, 0, 1002},
                                       {"node-monitor-grace-period", required_argument, 0, 'G'},
                                       {"leader-elect", optional_argument, 0, 'E'},
                                       {"leader-elect-lease-duration", required_argument, 0, 'L'},
                                       {"leader-elect-renew-deadline", required_argument, 0, 'R'},
                                       {"leader-elect-retry-period", required_argument, 0, 'P'},
                                       {"local-storage-default", no_argument, 0, 'D'},
                                       {"ingress-http", required_argument, 0, 'I'},
                                       {"ingress-https", required_argument, 0, 'S'},
                                       {"ingress-access-log", required_argument, 0, 1001},
                                       {"ingress-nice", required_argument, 0, 1701},
                                       {"dns-listen", required_argument, 0, 'N'},
                                       {"no-dns", no_argument, 0, 'O'},
                                       {"dns-forward", optional_argument, 0, 'F'},
                                       {"webroot", required_argument, 0, 'W'},
                                       {"service-cluster-ip-range", required_argument, 0, 'r'},
                                       {"loadbalancer-pool", required_argument, 0, 'B'},
                                       {"service-account-issuer", required_argument, 0, 1003},
                                       {"token-auth-file", required_argument, 0, 1004},
                                       {"anonymous-auth", optional_argument, 0, 1005},
                                       {"audit-log-path", required_argument, 0, 1006},
                                       {"service-account-max-token-expiration", required_argument, 0, 1010},
                                       {"audit-policy-file", required_argument, 0, 1007},
                                       {"audit-log-maxsize", required_argument, 0, 1008},
                                       {"audit-log-maxbackup", required_argument, 0, 1009},
                                       {"store", required_argument, 0, 1101},
                                       {"etcd-servers", required_argument, 0, 1102},
                                       {"etcd-cafile", required_argument, 0, 1103},
                                       {"etcd-certfile", required_argument, 0, 1104},
                                       {"etcd-keyfile", required_argument, 0, 1105},
                                       {"etcd-prefix", required_argument, 0, 1106},
                                       {"etcd-compaction-interval", required_argument, 0, 1107},
                                       {"etcd-transport", required_argument, 0, 1108},
                                       {"verbose", no_argument, 0, 'v'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
    switch (c) {
    case 'd': data_dir = optarg; break;
    case 'l': listen = optarg; break;
    case 'w': window = atol(optarg); break;
    case 't': threads = atol(optarg); break;
    case 'n': local_node = false; break;
    case 1002: local_node_cidr = optarg; break;
    case 'G': node_lifecycle_set_grace_period(atoi(optarg)); break;
    case 'E': elect = optarg ? optarg : "true"; break;
    case 'L': lease_duration = seconds_arg(optarg); break;
    case 'R': renew_deadline = seconds_arg(optarg); break;
    case 'P': retry_period = seconds_arg(optarg); break;
    case 'D': provisioner_set_default(true); break;
    case 'I': ingress_http = optarg; break;
    case 'S': ingress_https = optarg; break;
    case 1001: ingress_log = optarg; break;
    case 1701: ingress_nice = atoi(optarg); break;
    case 'N': dns_listen = optarg; break;
    case 'O': dns_listen = NULL; break;
    case 'F': dns_forward = optarg ? optarg : ""; break;
    case 'W': webroot_dir = optarg; break;
    case 'r':
      if (service_cidr_set(optarg) != 0) {
        fprintf(stderr, "ckube-server: --service-cluster-ip-range: invalid CIDR address: %s (IPv4, /12 to /30)\n", optarg);
        return 2;
      }
      break;
    case 'B':
      if (lb_allocator_set_default_pool(optarg) != 0) {
        fprintf(stderr, "ckube-server: --loadbalancer-pool: invalid CIDR address: %s\n", optarg);
        return 2;
      }
      break;
    case 1003: sa_token_set_issuer(optarg); break;
    case 1004: token_file = optarg; break;
    case 1006: audit_path = optarg; break;
    case 1010: {
      long long secs = bt_parse_duration(optarg);
      if (secs <= 0) {
        fprintf(stderr, "ckube-server: --service-account-max-token-expiration: invalid duration %s\n", optarg);
        return 2;
      }
      token_request_set_max_expiration(secs);
      break;
    }
    case 1007: audit_policy = optarg; break;
    case 1008: audit_maxsize = atol(optarg); break;
    case 1009: audit_maxbackup = atoi(optarg); break;
    case 1005:
      if (optarg && strcmp(optarg, "true") && strcmp(optarg, "false")) {
        fprintf(stderr, "ckube-server: --anonymous-auth: invalid value %s (true or false)\n", optarg);
        return 2;
      }
      http_set_anonymous_auth(!optarg || !strcmp(optarg, "true"));
      break;
    case 1101: store_kind = optarg; break;
    case 1102: etcd.servers = optarg; break;
    case 1103: etcd.ca = optarg; break;
    case 1104: etcd.cert = optarg; break;
    case 1105: etcd.key = optarg; break;
    case 1106: etcd.prefix = optarg; break;
    case 1107: etcd.compaction_seconds = seconds_arg(optarg); break;
    case 1108: etcd.transport = optarg; break;
    case 'v': log_set_level(LOG_DEBUG); break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (window < 1 || threads < 4 || (strcmp(elect, "true") && strcmp(elect, "false")) ||
      (strcmp(store_kind, "sqlite") && strcmp(store_kind, "etcd")) || etcd.compaction_seconds < 0) {
    usage(stderr);
    return 2;
  }
  char host[256];
  int port;
  if (split_listen(listen, host, sizeof host, &port) != 0) {
    fprintf(stderr, "ckube-server: --listen wants HOST:PORT, got %s\n", listen);
    return 2;
  }
  /* SIGINT/SIGTERM stay blocked in every thread (all inherit this mask) and
   * main takes them with sigwait: a handler could run on any thread, or
   * between a check of a flag and pause(), and never wake main. */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  char err[512];
  if (registry_load(err, sizeof err) != 0) {
    LOGE("%s", err);
    return 1;
  }
  if (token_file && authn_token_load_file(token_file, err, sizeof err) != 0) {
    fprintf(stderr, "ckube-server: --token-auth-file: %s\n", err);
    return 2;
  }
  if (audit_log_init(audit_path, audit_policy, audit_maxsize, audit_maxbackup, err, sizeof err) != 0) {
    fprintf(stderr, "ckube-server: %s\n", err);
    return 2;
  }
  if (mkdirs(data_dir) != 0) {
    LOGE("cannot create data directory %s: %s", data_dir, strerror(errno));
    return 1;
  }
  leader_config leader;
  if (leader_config_init(&leader, data_dir) != 0) return 1;
  leader.enabled = !strcmp(elect, "true");
  leader.lease_duration = lease_duration;
  leader.renew_deadline = renew_deadline;
  leader.retry_period = retry_period;
  if (leader.enabled && leader_config_check(&leader, err, sizeof err) != 0) {
    fprintf(stderr, "ckube-server: %s\n", err);
    return 2;
  }
  char url[300];
  const char *url_host = !strcmp(host, "0.0.0.0") ? "127.0.0.1" : !strcmp(host, "::") ? "::1" : host;
  snprintf(url, sizeof url, strchr(url_host, ':') ? "https://[%s]:%d" : "https://%s:%d", url_host, port);
  pki_paths pki;
  if (pki_ensure(data_dir, url, &pki, err, sizeof err) != 0) {
    LOGE("%s", err);
    return 1;
  }
  char pki_dir[600];
  snprintf(pki_dir, sizeof pki_dir, "%s/pki", data_dir);
  if (sa_token_init(pki_dir, err, sizeof err) != 0) {
    LOGE("%s", err);
    return 1;
  }
  sa_token_set_ca_file(pki.ca_cert);
  char proxy_cert[700], proxy_key[700];
  if (front_proxy_ensure(data_dir, proxy_cert, sizeof proxy_cert, proxy_key, sizeof proxy_key, err, sizeof err) != 0)
    LOGW("front-proxy client certificate: %s (aggregated APIs get no client certificate)", err);
  else aggregator_set_client_cert(proxy_cert, proxy_key);
  char dbpath[600];
  snprintf(dbpath, sizeof dbpath, "%s/state.db", data_dir);
  store *st = !strcmp(store_kind, "etcd") ? store_etcd_open(&etcd, err, sizeof err)
                                          : store_sqlite_open(dbpath, err, sizeof err);
  if (!st) {
    LOGE("%s", err);
    return 1;
  }
  cache *cc = cache_open(st, (size_t)window, err, sizeof err);
  if (!cc) {
    LOGE("%s", err);
    return 1;
  }
  /* this process's API server, passed down to the front and everything in process that calls the core;
   * the controllers get it with their informers over its cache */
  api_server srv = {st, cc};
  ctrl_context controllers = {&srv, informer_factory_new(cc)};
  cache_set_commit_observer(cc, metrics_observe_commit);
  registry_bind(cc);
  const char *ep_host = !strcmp(host, "0.0.0.0") || !strcmp(host, "localhost") ? "127.0.0.1" : host;
  if (bootstrap_objects(&srv, !strcmp(ep_host, "::") ? "::1" : ep_host, port) != 0)
    LOGW("bootstrap objects incomplete");
  cluster_info_ensure(&srv, url, pki.ca_cert);
  front_proxy_publish(&srv, pki.ca_cert);
  if (authz_policy_reconcile(&srv) != 0) LOGW("RBAC bootstrap policy incomplete");
  cache_reset_window(cc);
  crd_controller_start(&controllers);
  metrics_api_init();

  signal(SIGPIPE, SIG_IGN);
  const char *console = webroot_init(webroot_dir);
  if (watch_start(cc) != 0) {
    LOGE("cannot start the watch event loop");
    return 1;
  }
  http_config hc = {listen, pki.server_pem, pki.ca_cert, pki.admin_token, (int)threads, &srv};
  if (http_start(&hc, err, sizeof err) != 0) {
    LOGE("%s", err);
    crd_controller_stop();
    informer_factory_free(controllers.informers);
    cache_close(cc);
    sa_token_shutdown();
    authn_token_shutdown();
    audit_log_shutdown();
    return 1;
  }
  provisioner_set_root(data_dir);
  componentstatus_set_local_probe(controllers_running_here);
  controllers_run(&controllers, &leader);
  metrics_set_extra(ingress_metrics_write);
  ingress_config ic = {ingress_http, ingress_https, ingress_log, ingress_nice, http_requests_begun, &controllers};
  if (ingress_start(&ic, err, sizeof err) != 0) LOGE("ingress: %s", err);
  if (dns_listen && dns_start(&controllers, dns_listen, dns_forward, err, sizeof err) != 0) LOGE("dns: %s", err);
  LOGI("ckube-server serving the Kubernetes API at %s; kubeconfig: %s", url, pki.kubeconfig);
  LOGI("client certificates signed by the cluster CA (%s/pki/ca.crt, key %s/pki/ca.key) authenticate as CN = user, O = groups", data_dir, data_dir);
  if (console) LOGI("console at %s/ (sign in with the token in %s/pki/admin.token)", url, data_dir);
  else LOGW("console not served: no webroot directory next to the binary (--webroot DIR)");
  if (local_node) local_node_start(data_dir, url, local_node_cidr);
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  LOGI("shutting down (signal %d)", sig);
  local_node_stop();
  watch_stop_all();
  cache_wake_all(cc);
  ingress_stop();
  dns_stop();
  http_stop();
  controllers_shutdown();
  crd_controller_stop();
  informer_factory_free(controllers.informers);
  cache_close(cc);
  sa_token_shutdown();
  authn_token_shutdown();
  audit_log_shutdown();
  return 0;
}
