/* control_plane_cli.c - see control_plane_cli.h. As kubeadm's copycerts:
 * the Secret kube-system/kubeadm-certs holds one sealed value per file, and
 * the Role/RoleBinding kubeadm:kubeadm-certs let bootstrap tokens of
 * kubeadm's default node group read that Secret and nothing else, so the
 * joining server needs only a bootstrap token, the CA pin and the
 * certificate key (which never enters the cluster). */
#include "control_plane_cli.h"
#include "certificate_key.h"
#include "csr.h"
#include "https_client.h"
#include "join_discovery.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CERTS_SECRET "kubeadm-certs"
#define CERTS_PATH "/api/v1/namespaces/kube-system/secrets/" CERTS_SECRET
#define ROLE_NAME "kubeadm:kubeadm-certs"
#define BOOTSTRAP_GROUP "system:bootstrappers:kubeadm:default-node-token"

/* What the servers of one cluster must share (files under DATA/pki). */
static const char *const shared_files[] = {"ca.crt", "ca.key", "sa.key", "admin.token"};
enum { SHARED_N = sizeof shared_files / sizeof shared_files[0] };

static char *read_small(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(65536);
  *len = fread(buf, 1, 65535, f);
  buf[*len] = 0;
  fclose(f);
  return buf;
}

/* POST body to collection; on AlreadyExists PUT it over the existing object. */
static int create_or_replace(https_client *c, const char *collection, json_t *body) {
  json_t *out = NULL;
  int code = https_call(c, "POST", collection, body, NULL, &out);
  if (code == 409) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", collection,
             json_string_value(json_object_get(json_object_get(body, "metadata"), "name")));
    json_decref(out);
    out = NULL;
    code = https_call(c, "PUT", path, body, NULL, &out);
  }
  if (code != 200 && code != 201) {
    const char *msg = json_string_value(json_object_get(out, "message"));
    fprintf(stderr, "error: writing %s: %s\n", collection,
            code ? (msg ? msg : "unexpected answer") : "cannot reach the API server (is ckube-server running?)");
  }
  json_decref(out);
  return code == 200 || code == 201 ? 0 : -1;
}

static int grant_bootstrappers(https_client *c) {
  json_t *role = json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:[s],s:[s],s:[s],s:[s]}]}", "apiVersion",
                           "rbac.authorization.k8s.io/v1", "kind", "Role", "metadata", "name", ROLE_NAME, "namespace",
                           "kube-system", "rules", "apiGroups", "", "resources", "secrets", "resourceNames",
                           CERTS_SECRET, "verbs", "get");
  json_t *binding = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s},s:[{s:s,s:s,s:s}]}", "apiVersion",
                              "rbac.authorization.k8s.io/v1", "kind", "RoleBinding", "metadata", "name", ROLE_NAME,
                              "namespace", "kube-system", "roleRef", "apiGroup", "rbac.authorization.k8s.io", "kind",
                              "Role", "name", ROLE_NAME, "subjects", "apiGroup", "rbac.authorization.k8s.io", "kind",
                              "Group", "name", BOOTSTRAP_GROUP);
  int rc = create_or_replace(c, "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles", role) ||
           create_or_replace(c, "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings", binding);
  json_decref(role);
  json_decref(binding);
  return rc ? -1 : 0;
}

int upload_certs_main(int argc, char **argv, const char *default_dir) {
  const char *dir = default_dir, *given = NULL;
  static const struct option opts[] = {{"data-dir", required_argument, 0, 'd'},
                                       {"certificate-key", required_argument, 0, 'k'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (ch == 'd') dir = optarg;
    else if (ch == 'k') given = optarg;
    else {
      fprintf(ch == 'h' ? stdout : stderr,
              "usage: ckube-server upload-certs [--certificate-key KEY] [--data-dir DIR]\n"
              "  Seals DIR/pki/{ca.crt,ca.key,sa.key,admin.token} with a new (or the given) certificate key into\n"
              "  the Secret kube-system/kubeadm-certs through the running server (DIR/admin.kubeconfig), lets\n"
              "  bootstrap tokens read it, and prints the key for `ckube-server join-control-plane`.\n");
      return ch == 'h' ? 0 : 2;
    }
  }
  char key[65];
  if (given) snprintf(key, sizeof key, "%s", given);
  else certificate_key_new(key);
  json_t *data = json_object();
  for (int i = 0; i < SHARED_N; i++) {
    char path[700];
    size_t len;
    snprintf(path, sizeof path, "%s/pki/%s", dir, shared_files[i]);
    char *text = read_small(path, &len), *sealed = text ? certificate_key_seal(key, text, len) : NULL;
    bool readable = text != NULL;
    free(text);
    if (!sealed) {
      fprintf(stderr, "error: %s: %s\n", path, readable ? "the certificate key must be 64 hex characters" : strerror(errno));
      json_decref(data);
      return 1;
    }
    json_object_set_new(data, shared_files[i], json_string(sealed)); /* sealed text, base64 already */
    free(sealed);
  }
  json_t *secret = json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:o}", "apiVersion", "v1", "kind", "Secret", "metadata", "name",
                             CERTS_SECRET, "namespace", "kube-system", "type", "Opaque", "stringData", data);
  char kubeconfig[600], err[300];
  snprintf(kubeconfig, sizeof kubeconfig, "%s/admin.kubeconfig", dir);
  https_client *c = https_client_open(kubeconfig, err, sizeof err);
  if (!c) {
    fprintf(stderr, "error: %s\n", err);
    json_decref(secret);
    return 1;
  }
  int rc = create_or_replace(c, "/api/v1/namespaces/kube-system/secrets", secret) || grant_bootstrappers(c);
  json_decref(secret);
  https_client_close(c);
  if (rc) return 1;
  printf("%s\n", key);
  return 0;
}

/* The Secret's data value for name, base64-decoded (malloc'd), or NULL. */
static char *secret_value(const json_t *secret, const char *name) {
  const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), name));
  size_t n = v ? strlen(v) : 0;
  if (!n || n % 4) return NULL;
  char *out = malloc(n / 4 * 3 + 1);
  int m = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)v, (int)n);
  for (size_t i = n; m > 0 && i > 0 && v[i - 1] == '='; i--) m--;
  out[m > 0 ? m : 0] = 0;
  return out;
}

static int write_private(const char *path, const char *text, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return -1;
  ssize_t w = write(fd, text, len);
  return close(fd) == 0 && w == (ssize_t)len ? 0 : -1;
}

/* Opens every shared file of the Secret with key and writes it under pki;
 * ca_pem is the CA discovery verified, which the sealed one must equal. */
static int unpack(const json_t *secret, const char *key, const char *ca_pem, const char *pki) {
  char *plain[SHARED_N] = {0};
  size_t len[SHARED_N];
  int rc = -1;
  for (int i = 0; i < SHARED_N; i++) {
    char *sealed = secret_value(secret, shared_files[i]);
    plain[i] = sealed ? certificate_key_open(key, sealed, &len[i]) : NULL;
    free(sealed);
    if (!plain[i]) {
      fprintf(stderr, "error: cannot decrypt %s from the %s Secret: wrong certificate key, or the Secret was "
                      "uploaded with another one (run `ckube-server upload-certs` again)\n", shared_files[i], CERTS_SECRET);
      goto done;
    }
    if (!strcmp(shared_files[i], "ca.crt") && strcmp(plain[i], ca_pem)) {
      fprintf(stderr, "error: the sealed CA certificate is not the one cluster-info discovery verified\n");
      goto done;
    }
  }
  for (int i = 0; i < SHARED_N; i++) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", pki, shared_files[i]);
    if (write_private(path, plain[i], len[i]) != 0) {
      fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
      goto done;
    }
    fprintf(stderr, "[join-control-plane] wrote %s\n", path);
  }
  rc = 0;
done:
  for (int i = 0; i < SHARED_N; i++) free(plain[i]);
  return rc;
}

static void join_usage(FILE *f) {
  fprintf(f, "usage: ckube-server join-control-plane URL --token TOKEN --discovery-token-ca-cert-hash sha256:HEX\n"
             "                                        --certificate-key KEY [--data-dir DIR]\n"
             "  Prepares DIR for a second (third...) server of the cluster at URL, sharing its etcd cluster:\n"
             "  verifies the CA through cluster-info (as `ckube-node join`), reads the kube-system/kubeadm-certs\n"
             "  Secret with the bootstrap token and decrypts the CA, service-account key and admin token into\n"
             "  DIR/pki with the key `ckube-server upload-certs` printed. Then start ckube-server --data-dir DIR\n"
             "  with the same --store etcd flags.\n");
}

int join_control_plane_main(int argc, char **argv, const char *default_dir) {
  const char *dir = default_dir, *token = NULL, *pin = NULL, *key = NULL;
  static const struct option opts[] = {{"data-dir", required_argument, 0, 'd'},
                                       {"token", required_argument, 0, 't'},
                                       {"discovery-token-ca-cert-hash", required_argument, 0, 'p'},
                                       {"certificate-key", required_argument, 0, 'k'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case 'd': dir = optarg; break;
    case 't': token = optarg; break;
    case 'p': pin = optarg; break;
    case 'k': key = optarg; break;
    case 'h': join_usage(stdout); return 0;
    default: join_usage(stderr); return 2;
    }
  }
  const char *url = optind < argc ? argv[optind] : NULL;
  if (!url || !token || !pin || !key) {
    join_usage(stderr);
    return 2;
  }
  char pki[600], probe[700], boot[700], err[600];
  snprintf(pki, sizeof pki, "%s/pki", dir);
  snprintf(probe, sizeof probe, "%s/ca.key", pki);
  if (access(probe, F_OK) == 0) {
    fprintf(stderr, "error: %s exists: %s already belongs to a cluster\n", probe, dir);
    return 1;
  }
  if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || (mkdir(pki, 0700) != 0 && errno != EEXIST)) {
    fprintf(stderr, "error: mkdir %s: %s\n", pki, strerror(errno));
    return 1;
  }
  char *ca = discover_cluster_ca(url, token, pin, err, sizeof err);
  if (!ca) {
    fprintf(stderr, "error: %s\n", err);
    return 1;
  }
  snprintf(boot, sizeof boot, "%s/join.kubeconfig", pki);
  https_client *c = NULL;
  json_t *secret = NULL;
  int rc = 1, code = 0;
  if (write_node_kubeconfig(boot, url, ca, NULL, NULL, token) != 0 || !(c = https_client_open(boot, err, sizeof err))) {
    fprintf(stderr, "error: cannot reach %s with the bootstrap token: %s\n", url, c ? "" : err);
    goto done;
  }
  code = https_call(c, "GET", CERTS_PATH, NULL, NULL, &secret);
  if (code == 200) rc = unpack(secret, key, ca, pki) ? 1 : 0;
  else if (code == 404) fprintf(stderr, "error: no %s Secret: run `ckube-server upload-certs` on a server first\n", CERTS_SECRET);
  else if (code == 401) fprintf(stderr, "error: the API server refused the bootstrap token: it is unknown or has expired\n");
  else fprintf(stderr, "error: reading the %s Secret: HTTP %d\n", CERTS_SECRET, code);
done:
  if (c) https_client_close(c);
  unlink(boot);
  json_decref(secret);
  free(ca);
  if (!rc) fprintf(stderr, "[join-control-plane] %s is ready: start ckube-server --data-dir %s with the cluster's --store etcd flags\n", dir, dir);
  return rc;
}
