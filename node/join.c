/* join.c - `ckube-node join URL --token T --discovery-token-ca-cert-hash
 * sha256:H [--name N] [--data-dir D] [real-node flags...]`:
 *  1. discovery (join_discovery.c): the CA from kube-public/cluster-info,
 *     trusted through the token's JWS and the pinned hash;
 *  2. refusal, before anything is created, of a name held by a live node
 *     (a Node whose Lease is fresh);
 *  3. TLS bootstrap as kubelet's: a new key and a CSR (signer
 *     kubernetes.io/kube-apiserver-client-kubelet, CN system:node:N,
 *     O system:nodes) created with the bootstrap token, waited for until
 *     signed, then D/kubelet.kubeconfig with the CA and the client
 *     certificate;
 *  4. `ckube-node tunnel` started as a child (the call-home streams: logs),
 *     then exec of `ckube-node --kubeconfig D/kubelet.kubeconfig --name N
 *     --data-dir D` plus the flags join does not know.
 * With D/kubelet.kubeconfig present, join skips 1-3 (rejoin) but renews the
 * certificate first when 80% of its lifetime has passed (or with
 * --renew-certificate): a new key and CSR sent with the current certificate,
 * which the server approves for the same node, as kubelet's certificate
 * manager does. --bootstrap-only stops before the exec. */
#include "join.h"
#include "cert_renew.h"
#include "conditions.h"
#include "csr.h"
#include "https_client.h"
#include "join_discovery.h"
#include "timestamp.h"
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CSR_PATH "/apis/certificates.k8s.io/v1/certificatesigningrequests"
#define LEASE_DEFAULT_SECONDS 40

typedef struct {
  const char *url, *token, *pin, *name, *data_dir;
  bool renew, bootstrap_only;
  int csr_timeout;
  char **pass; /* flags for the real node */
  int npass;
} join_opts;

static void usage(FILE *f) {
  fprintf(f, "usage: ckube-node join https://HOST:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX\n"
             "                       [--name NAME] [--data-dir DIR] [--csr-timeout SECONDS] [--renew-certificate]\n"
             "                       [--bootstrap-only] [real-node flags...]\n"
             "  Joins the cluster as kubeadm join does (print the command with `ckube-server token create\n"
             "  --print-join-command`), writes DIR/kubelet.kubeconfig and runs the node. With an existing\n"
             "  DIR/kubelet.kubeconfig the URL and token may be left out (rejoin).\n"
             "  --name       node name (default: the host name)\n"
             "  --data-dir   key, certificate and pod state (default /var/lib/ckube-node as root, ~/.ckube-node)\n"
             "  --bootstrap-only  stop after writing the credentials\n");
}

static bool take(int argc, char **argv, int *i, const char *flag, const char **out) {
  size_t n = strlen(flag);
  if (strncmp(argv[*i], flag, n)) return false;
  if (argv[*i][n] == '=') return *out = argv[*i] + n + 1, true;
  if (argv[*i][n] || *i + 1 >= argc) return false;
  *out = argv[++*i];
  return true;
}

static int parse(int argc, char **argv, join_opts *o) {
  const char *timeout = NULL;
  o->pass = calloc((size_t)argc + 1, sizeof *o->pass);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
    if (take(argc, argv, &i, "--token", &o->token) || take(argc, argv, &i, "--discovery-token-ca-cert-hash", &o->pin) ||
        take(argc, argv, &i, "--name", &o->name) || take(argc, argv, &i, "--data-dir", &o->data_dir) ||
        take(argc, argv, &i, "--csr-timeout", &timeout))
      continue;
    if (!strcmp(a, "--renew-certificate")) o->renew = true;
    else if (!strcmp(a, "--bootstrap-only")) o->bootstrap_only = true;
    else if (!o->url && !strncmp(a, "https://", 8)) o->url = a;
    else o->pass[o->npass++] = argv[i];
  }
  o->csr_timeout = timeout ? atoi(timeout) : 300;
  return 0;
}

/* Whether a Node's Ready condition is True (kubeadm join's own test). */
static bool node_ready(const json_t *node) { return cond_true(json_object_get(node, "status"), "Ready"); }

/* true when the node name is held by a node whose Lease is fresh; when RBAC
 * does not let the bootstrap token read Leases (kubeadm's roles grant only
 * "get nodes"), by the Node's Ready condition, as kubeadm join decides. */
static bool name_held(https_client *c, const char *name, int *code) {
  char path[400];
  json_t *out = NULL;
  snprintf(path, sizeof path, "/api/v1/nodes/%s", name);
  *code = https_call(c, "GET", path, NULL, NULL, &out);
  bool ready = *code == 200 && node_ready(out);
  json_decref(out);
  if (*code != 200) return false;
  snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", name);
  out = NULL;
  int lc = https_call(c, "GET", path, NULL, NULL, &out);
  if (lc == 403) {
    json_decref(out);
    return ready;
  }
  const json_t *spec = json_object_get(out, "spec");
  const char *renew = json_string_value(json_object_get(spec, "renewTime"));
  long long dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
  time_t renewed;
  bool fresh = lc == 200 && rfc3339_parse(renew, &renewed, NULL) == 0 &&
               (long long)renewed + (dur > 0 ? dur : LEASE_DEFAULT_SECONDS) > (long long)time(NULL);
  json_decref(out);
  return fresh;
}

static int bootstrap(const join_opts *o, const char *kubeconfig) {
  if (!o->url || !o->token || !o->pin) {
    fprintf(stderr, "error: %s does not exist: join needs the API server URL, --token and "
                    "--discovery-token-ca-cert-hash\n", kubeconfig);
    return 2;
  }
  char err[600];
  char *ca = discover_cluster_ca(o->url, o->token, o->pin, err, sizeof err);
  if (!ca) {
    fprintf(stderr, "error: %s\n", err);
    return 1;
  }
  fprintf(stderr, "[join] cluster-info verified: the CA matches %s\n", o->pin);
  char boot[1100];
  snprintf(boot, sizeof boot, "%s/bootstrap-kubelet.kubeconfig", o->data_dir);
  int rc = 1;
  https_client *c = NULL;
  char *key = NULL, *cert = NULL;
  if (write_node_kubeconfig(boot, o->url, ca, NULL, NULL, o->token) != 0 ||
      !(c = https_client_open(boot, err, sizeof err))) {
    fprintf(stderr, "error: cannot reach the API server with the bootstrap token: %s\n", c ? "" : err);
    goto done;
  }
  int code;
  if (name_held(c, o->name, &code)) {
    fprintf(stderr, "error: a Node with name \"%s\" and status \"Ready\" already exists in the cluster. You must "
                    "delete the existing Node or change the name of this new joining Node\n", o->name);
    goto done;
  }
  if (code == 401) {
    fprintf(stderr, "error: the API server refused the bootstrap token: it is unknown or has expired\n");
    goto done;
  }
  if (!(key = csr_new_key()) || !(cert = cert_request(c, o->name, key, o->csr_timeout))) goto done;
  if (cert_save(o->data_dir, o->url, ca, cert, key) != 0) {
    fprintf(stderr, "error: cannot write %s/kubelet.kubeconfig\n", o->data_dir);
    goto done;
  }
  fprintf(stderr, "[join] node %s has its client certificate: %s/kubelet.kubeconfig\n", o->name, o->data_dir);
  rc = 0;
done:
  https_client_close(c);
  unlink(boot);
  free(ca);
  free(key);
  free(cert);
  return rc;
}

/* The call-home tunnel (tunnel.c) as a child that dies with the node (its
 * parent after the exec). */
static void spawn_tunnel(const join_opts *o, const char *kubeconfig) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid != 0) return;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  execl("/proc/self/exe", "ckube-node", "tunnel", "--kubeconfig", kubeconfig, "--name", o->name, "--data-dir",
        o->data_dir, (char *)NULL);
  _exit(127);
}

static void exec_node(const join_opts *o, const char *kubeconfig) {
  spawn_tunnel(o, kubeconfig);
  char **argv = calloc((size_t)o->npass + 8, sizeof *argv);
  int n = 0;
  argv[n++] = "ckube-node";
  argv[n++] = "--kubeconfig";
  argv[n++] = (char *)kubeconfig;
  argv[n++] = "--name";
  argv[n++] = (char *)o->name;
  argv[n++] = "--data-dir";
  argv[n++] = (char *)o->data_dir;
  for (int i = 0; i < o->npass; i++) argv[n++] = o->pass[i];
  argv[n] = NULL;
  fflush(NULL);
  execv("/proc/self/exe", argv);
  fprintf(stderr, "error: cannot run the node: %s\n", strerror(errno));
  free(argv);
}

int join_main(int argc, char **argv) {
  join_opts o = {0};
  if (parse(argc, argv, &o) != 0) {
    usage(stdout);
    free(o.pass);
    return 0;
  }
  char host[256] = "", dir[1024];
  if (!o.name) {
    gethostname(host, sizeof host - 1);
    for (char *p = host; *p; p++) *p = (char)tolower((unsigned char)*p);
    o.name = host;
  }
  if (!o.data_dir) {
    const char *home = getenv("HOME");
    if (geteuid() == 0) snprintf(dir, sizeof dir, "/var/lib/ckube-node");
    else snprintf(dir, sizeof dir, "%s/.ckube-node", home ? home : ".");
    o.data_dir = dir;
  }
  bool created = mkdir(o.data_dir, 0700) == 0;
  if (!created && errno != EEXIST) {
    fprintf(stderr, "error: cannot create %s: %s\n", o.data_dir, strerror(errno));
    free(o.pass);
    return 1;
  }
  char kubeconfig[1100];
  snprintf(kubeconfig, sizeof kubeconfig, "%s/kubelet.kubeconfig", o.data_dir);
  int rc = access(kubeconfig, R_OK) == 0 ? cert_renew_if_due(o.data_dir, o.name, o.renew, o.csr_timeout) : bootstrap(&o, kubeconfig);
  if (rc != 0 && created) rmdir(o.data_dir); /* a refused join leaves nothing behind */
  if (rc == 0 && !o.bootstrap_only) exec_node(&o, kubeconfig), rc = 1;
  free(o.pass);
  return rc;
}
