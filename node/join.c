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
#include "csr.h"
#include "https_client.h"
#include "join_discovery.h"
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

static void fail(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "error: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
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

/* true when the node name is held by a node whose Lease is fresh. */
static bool name_held(https_client *c, const char *name, int *code) {
  char path[400];
  json_t *out = NULL;
  snprintf(path, sizeof path, "/api/v1/nodes/%s", name);
  *code = https_call(c, "GET", path, NULL, NULL, &out);
  json_decref(out);
  if (*code != 200) return false;
  snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", name);
  out = NULL;
  int lc = https_call(c, "GET", path, NULL, NULL, &out);
  const json_t *spec = json_object_get(out, "spec");
  const char *renew = json_string_value(json_object_get(spec, "renewTime"));
  long long dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
  struct tm tm = {0};
  bool fresh = lc == 200 && renew && strptime(renew, "%Y-%m-%dT%H:%M:%S", &tm) &&
               (long long)timegm(&tm) + (dur > 0 ? dur : LEASE_DEFAULT_SECONDS) > (long long)time(NULL);
  json_decref(out);
  return fresh;
}

static char *b64(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
  return out;
}

/* Creates a CSR for the node with key_pem and waits for its certificate
 * (PEM, malloc'd). NULL after printing why. */
static char *request_certificate(https_client *c, const char *node, const char *key_pem, int timeout) {
  char *req = csr_new_request(key_pem, node);
  if (!req) {
    fail("cannot create a certificate request for %s%s", node, "");
    return NULL;
  }
  char *req64 = b64(req);
  free(req);
  json_t *csr = json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:[s,s,s],s:s}}", "apiVersion", "certificates.k8s.io/v1", "kind",
                          "CertificateSigningRequest", "metadata", "generateName", "node-csr-", "spec", "signerName",
                          "kubernetes.io/kube-apiserver-client-kubelet", "usages", "digital signature",
                          "key encipherment", "client auth", "request", req64);
  free(req64);
  json_t *out = NULL;
  int code = https_call(c, "POST", CSR_PATH, csr, NULL, &out);
  json_decref(csr);
  if (code != 201) {
    const char *msg = json_string_value(json_object_get(out, "message"));
    fail(code == 401 ? "the API server refused the credentials (%s): the token is unknown or expired%s"
                     : "cannot create the certificate signing request: %s%s",
         msg ? msg : "no answer", "");
    json_decref(out);
    return NULL;
  }
  char name[300], path[400];
  snprintf(name, sizeof name, "%s", json_string_value(json_object_get(json_object_get(out, "metadata"), "name")));
  json_decref(out);
  snprintf(path, sizeof path, CSR_PATH "/%s", name);
  fprintf(stderr, "[join] certificate signing request %s sent, waiting for its approval\n", name);
  char *cert = NULL;
  for (int waited = 0; waited < timeout * 4 && !cert; waited++) {
    out = NULL;
    code = https_call(c, "GET", path, NULL, NULL, &out);
    const json_t *st = json_object_get(out, "status");
    size_t i;
    json_t *cond;
    json_array_foreach(json_object_get(st, "conditions"), i, cond) {
      const char *t = json_string_value(json_object_get(cond, "type"));
      if (t && (!strcmp(t, "Denied") || !strcmp(t, "Failed"))) {
        const char *msg = json_string_value(json_object_get(cond, "message"));
        fail(!strcmp(t, "Denied") ? "the certificate signing request %s was denied: %s"
                                  : "the certificate signing request %s failed: %s",
             name, msg ? msg : "");
        json_decref(out);
        return NULL;
      }
    }
    const char *crt = json_string_value(json_object_get(st, "certificate"));
    if (code == 200 && crt && *crt) {
      size_t n = strlen(crt);
      cert = malloc(n + 1);
      int m = EVP_DecodeBlock((unsigned char *)cert, (const unsigned char *)crt, (int)n);
      while (m > 0 && n > 0 && crt[n - 1] == '=') m--, n--;
      cert[m > 0 ? m : 0] = 0;
    }
    json_decref(out);
    if (!cert) usleep(250000);
  }
  if (!cert) {
    fail("timed out waiting for the certificate signing request %s to be signed%s", name, "");
    https_call(c, "DELETE", path, NULL, NULL, NULL);
  }
  return cert;
}

/* Writes the new credentials: key and certificate files and the kubeconfig. */
static int save_credentials(const char *dir, const char *server, const char *ca, const char *cert, const char *key) {
  char kc[1100], p[1100];
  snprintf(p, sizeof p, "%s/kubelet-client.crt", dir);
  FILE *f = fopen(p, "w");
  if (f) fputs(cert, f), fclose(f);
  snprintf(kc, sizeof kc, "%s/kubelet.kubeconfig", dir);
  return write_node_kubeconfig(kc, server, ca, cert, key, NULL);
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
  if (!(key = csr_new_key()) || !(cert = request_certificate(c, o->name, key, o->csr_timeout))) goto done;
  if (save_credentials(o->data_dir, o->url, ca, cert, key) != 0) {
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

/* Rejoin: renews the client certificate when due (or asked). 0, or 1 after printing why. */
static int renew_if_due(const join_opts *o, const char *kubeconfig) {
  char *server = NULL, *ca = NULL, *cert = NULL, *key = NULL;
  int rc = 1;
  time_t nb, na, now = time(NULL);
  if (read_node_kubeconfig(kubeconfig, &server, &ca, &cert, &key) != 0 || !cert || !key ||
      csr_cert_validity(cert, &nb, &na) != 0) {
    fprintf(stderr, "error: %s holds no usable client certificate\n", kubeconfig);
    goto done;
  }
  if (na <= now) {
    fprintf(stderr, "error: the client certificate in %s expired: remove it and join again with a new token\n",
            kubeconfig);
    goto done;
  }
  if (!o->renew && now < nb + (na - nb) / 10 * 8) {
    rc = 0;
    goto done;
  }
  char err[300];
  https_client *c = https_client_open(kubeconfig, err, sizeof err);
  if (!c) {
    fprintf(stderr, "error: cannot renew the client certificate: %s\n", err);
    goto done;
  }
  char *nkey = csr_new_key(), *ncert = nkey ? request_certificate(c, o->name, nkey, o->csr_timeout) : NULL;
  https_client_close(c);
  if (ncert && save_credentials(o->data_dir, server, ca, ncert, nkey) == 0) {
    fprintf(stderr, "[join] client certificate of node %s renewed\n", o->name);
    rc = 0;
  }
  free(nkey);
  free(ncert);
done:
  free(server);
  free(ca);
  free(cert);
  free(key);
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
  int rc = access(kubeconfig, R_OK) == 0 ? renew_if_due(&o, kubeconfig) : bootstrap(&o, kubeconfig);
  if (rc != 0 && created) rmdir(o.data_dir); /* a refused join leaves nothing behind */
  if (rc == 0 && !o.bootstrap_only) exec_node(&o, kubeconfig), rc = 1;
  free(o.pass);
  return rc;
}
