/* token_cli.c - see token_cli.h. Output as kubeadm's: `create` prints the
 * token (or, with --print-join-command, the node's join command with the CA
 * hash), `list` a tabwriter table (TOKEN TTL EXPIRES USAGES DESCRIPTION
 * EXTRA GROUPS; minwidth 10, padding 3), `delete` one line per token. The
 * Secrets carry kubeadm's default extra group for node tokens. */
#include "token_cli.h"
#include "file_read.h"
#include "bootstrap_token.h"
#include "https_client.h"
#include "yaml_json.h"
#include "timestamp.h"
#include "go_errors.h"
#include <getopt.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SECRETS_PATH "/api/v1/namespaces/kube-system/secrets"
#define DEFAULT_GROUP "system:bootstrappers:kubeadm:default-node-token"

typedef struct {
  const char *data_dir, *ttl, *description, *groups;
  bool print_join;
} token_opts;

static void usage(FILE *f) {
  fprintf(f, "usage: ckube-server token create [TOKEN] [--ttl 24h] [--description TEXT] [--groups G1,G2]\n"
             "                                [--print-join-command] [--data-dir DIR]\n"
             "       ckube-server token list [--data-dir DIR]\n"
             "       ckube-server token delete ID|TOKEN... [--data-dir DIR]\n"
             "  Bootstrap tokens (kube-system Secrets bootstrap-token-<id>) for `ckube-node join`,\n"
             "  made through the running server with DIR/admin.kubeconfig. --ttl 0: never expires.\n");
}


static void set_data(json_t *data, const char *key, const char *value) {
  char *v = go_base64_encode(value, strlen(value));
  json_object_set_new(data, key, json_string(v));
  free(v);
}

static char *data_value(const json_t *secret, const char *key) {
  const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), key));
  if (!v) return NULL;
  size_t n = strlen(v);
  char *out = malloc(n + 1);
  int m = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)v, (int)n);
  if (m < 0) m = 0;
  while (m > 0 && n > 0 && v[n - 1] == '=') m--, n--;
  out[m] = 0;
  return out;
}

static void print_error(const char *what, int code, const json_t *body) {
  const char *msg = json_string_value(json_object_get(body, "message"));
  if (code == 0) fprintf(stderr, "error: %s: cannot reach the API server (is ckube-server running?)\n", what);
  else fprintf(stderr, "error: %s: %s\n", what, msg ? msg : "unexpected answer");
}

/* The cluster's server URL from the admin kubeconfig into url. */
static int server_url(const char *kubeconfig, char *url, size_t len) {
  size_t n;
  char *text = file_read(kubeconfig, &n), err[200];
  json_t *kc = text ? yaml_to_json(text, n, err, sizeof err) : NULL;
  free(text);
  const char *s = json_string_value(
      json_object_get(json_object_get(json_array_get(json_object_get(kc, "clusters"), 0), "cluster"), "server"));
  if (s) snprintf(url, len, "%s", s);
  json_decref(kc);
  return s ? 0 : -1;
}

static int join_command(const char *dir, const char *kubeconfig, const char *token) {
  char url[512], path[700], hash[80];
  snprintf(path, sizeof path, "%s/pki/ca.crt", dir);
  size_t n;
  char *pem = file_read(path, &n);
  int bad = !pem || bt_ca_hash(pem, n, hash, sizeof hash) != 0 || server_url(kubeconfig, url, sizeof url) != 0;
  free(pem);
  if (bad) {
    fprintf(stderr, "error: cannot read the CA certificate %s or the server URL of %s\n", path, kubeconfig);
    return 1;
  }
  printf("ckube-node join %s --token %s --discovery-token-ca-cert-hash %s\n", url, token, hash);
  return 0;
}

static int create(https_client *c, const token_opts *o, const char *given, const char *kubeconfig) {
  char id[BT_ID_LEN + 1], secret[BT_SECRET_LEN + 1], token[32];
  if (given && !bt_parse(given, id, secret)) {
    fprintf(stderr, "error: the bootstrap token \"%s\" was not of the form \"[a-z0-9]{6}.[a-z0-9]{16}\"\n", given);
    return 1;
  }
  if (!given) bt_generate(id, secret);
  long long ttl = bt_parse_duration(o->ttl);
  if (ttl < 0) {
    fprintf(stderr, "error: invalid argument \"%s\" for \"--ttl\" flag: time: invalid duration \"%s\"\n", o->ttl, o->ttl);
    return 1;
  }
  snprintf(token, sizeof token, "%s.%s", id, secret);
  json_t *data = json_object();
  set_data(data, "token-id", id);
  set_data(data, "token-secret", secret);
  if (ttl > 0) {
    char exp[32];
    rfc3339_format((long long)time(NULL) + ttl, exp, sizeof exp);
    set_data(data, "expiration", exp);
  }
  set_data(data, "usage-bootstrap-authentication", "true");
  set_data(data, "usage-bootstrap-signing", "true");
  set_data(data, "auth-extra-groups", o->groups ? o->groups : DEFAULT_GROUP);
  if (o->description) set_data(data, "description", o->description);
  char name[64];
  snprintf(name, sizeof name, BT_SECRET_PREFIX "%s", id);
  json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:o}", "apiVersion", "v1", "kind", "Secret", "metadata", "name",
                          name, "namespace", "kube-system", "type", BT_SECRET_TYPE, "data", data);
  json_t *out = NULL;
  int code = https_call(c, "POST", SECRETS_PATH, obj, NULL, &out);
  json_decref(obj);
  if (code != 201) {
    print_error("failed to create bootstrap token", code, out);
    json_decref(out);
    return 1;
  }
  json_decref(out);
  if (o->print_join) return join_command(o->data_dir, kubeconfig, token);
  printf("%s\n", token);
  return 0;
}

/* Prints rows (NULL-terminated cells) as Go's tabwriter(minwidth 10, padding 3) does. */
static void print_table(char ***rows, size_t n, size_t cols) {
  size_t width[16] = {0};
  for (size_t r = 0; r < n; r++)
    for (size_t k = 0; k + 1 < cols; k++) {
      size_t w = strlen(rows[r][k]) + 3;
      if (w < 10) w = 10;
      if (w > width[k]) width[k] = w;
    }
  for (size_t r = 0; r < n; r++) {
    for (size_t k = 0; k + 1 < cols; k++) printf("%-*s", (int)width[k], rows[r][k]);
    printf("%s\n", rows[r][cols - 1]);
  }
}

static int list(https_client *c) {
  json_t *out = NULL;
  int code = https_call(c, "GET", SECRETS_PATH, NULL, NULL, &out);
  if (code != 200) {
    print_error("failed to list bootstrap tokens", code, out);
    json_decref(out);
    return 1;
  }
  json_t *items = json_object_get(out, "items");
  size_t n = json_array_size(items) + 1, rows_n = 1;
  char ***rows = calloc(n, sizeof *rows);
  static char *header[] = {"TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"};
  rows[0] = header;
  size_t i;
  json_t *s;
  json_array_foreach(items, i, s) {
    const char *type = json_string_value(json_object_get(s, "type"));
    char *id = data_value(s, "token-id"), *secret = data_value(s, "token-secret");
    if (!type || strcmp(type, BT_SECRET_TYPE) || !id || !secret) {
      free(id);
      free(secret);
      continue;
    }
    char **row = calloc(6, sizeof *row);
    char *exp = data_value(s, "expiration"), *desc = data_value(s, "description");
    char *groups = data_value(s, "auth-extra-groups"), usages[80] = "";
    static const char *const kinds[] = {"authentication", "signing"};
    for (int k = 0; k < 2; k++) {
      char key[64];
      snprintf(key, sizeof key, "usage-bootstrap-%s", kinds[k]);
      char *v = data_value(s, key);
      if (v && !strcmp(v, "true")) snprintf(usages + strlen(usages), sizeof usages - strlen(usages), "%s%s", *usages ? "," : "", kinds[k]);
      free(v);
    }
    row[0] = malloc(strlen(id) + strlen(secret) + 2);
    sprintf(row[0], "%s.%s", id, secret);
    time_t expires;
    if (rfc3339_parse(exp, &expires, NULL) == 0) {
      char ttl[32];
      struct timespec now; /* time.Until has nanoseconds: 2h minus a moment is 1h */
      clock_gettime(CLOCK_REALTIME, &now);
      bt_short_duration((long long)expires - (long long)now.tv_sec - (now.tv_nsec > 0), ttl, sizeof ttl);
      row[1] = strdup(ttl);
      row[2] = strdup(exp);
    } else {
      row[1] = strdup("<forever>");
      row[2] = strdup("<never>");
    }
    row[3] = strdup(*usages ? usages : "<none>");
    row[4] = strdup(desc && *desc ? desc : "<none>");
    row[5] = strdup(groups && *groups ? groups : "<none>");
    rows[rows_n++] = row;
    free(id);
    free(secret);
    free(exp);
    free(desc);
    free(groups);
  }
  print_table(rows, rows_n, 6);
  for (size_t r = 1; r < rows_n; r++) {
    for (int k = 0; k < 6; k++) free(rows[r][k]);
    free(rows[r]);
  }
  free(rows);
  json_decref(out);
  return 0;
}

static int delete_tokens(https_client *c, char **ids, int n) {
  int rc = 0;
  for (int i = 0; i < n; i++) {
    char id[BT_ID_LEN + 1], secret[BT_SECRET_LEN + 1];
    if (!bt_parse(ids[i], id, secret)) {
      if (!bt_is_id(ids[i])) {
        fprintf(stderr, "error: given token didn't match pattern \"[a-z0-9]{6}\" or \"[a-z0-9]{6}.[a-z0-9]{16}\"\n");
        rc = 1;
        continue;
      }
      snprintf(id, sizeof id, "%s", ids[i]);
    }
    char path[200];
    snprintf(path, sizeof path, SECRETS_PATH "/" BT_SECRET_PREFIX "%s", id);
    json_t *out = NULL;
    int code = https_call(c, "DELETE", path, NULL, NULL, &out);
    if (code == 200) {
      printf("bootstrap token \"%s\" deleted\n", id);
    } else {
      char what[80];
      snprintf(what, sizeof what, "failed to delete bootstrap token \"%s\"", id);
      print_error(what, code, out);
      rc = 1;
    }
    json_decref(out);
  }
  return rc;
}

int token_main(int argc, char **argv, const char *default_dir) {
  token_opts o = {default_dir, "24h", NULL, NULL, false};
  static const struct option opts[] = {{"data-dir", required_argument, 0, 'd'},
                                       {"ttl", required_argument, 0, 't'},
                                       {"description", required_argument, 0, 'D'},
                                       {"groups", required_argument, 0, 'g'},
                                       {"print-join-command", no_argument, 0, 'p'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  optind = 1;
  int ch;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case 'd': o.data_dir = optarg; break;
    case 't': o.ttl = optarg; break;
    case 'D': o.description = optarg; break;
    case 'g': o.groups = optarg; break;
    case 'p': o.print_join = true; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  const char *verb = optind < argc ? argv[optind++] : NULL;
  if (!verb || (strcmp(verb, "create") && strcmp(verb, "list") && strcmp(verb, "delete")) ||
      (!strcmp(verb, "delete") && optind >= argc) || (!strcmp(verb, "list") && optind < argc) ||
      (!strcmp(verb, "create") && argc - optind > 1)) {
    usage(stderr);
    return 2;
  }
  char kubeconfig[600], err[300];
  snprintf(kubeconfig, sizeof kubeconfig, "%s/admin.kubeconfig", o.data_dir);
  https_client *c = https_client_open(kubeconfig, err, sizeof err);
  if (!c) {
    fprintf(stderr, "error: %s\n", err);
    return 1;
  }
  int rc = !strcmp(verb, "create") ? create(c, &o, optind < argc ? argv[optind] : NULL, kubeconfig)
           : !strcmp(verb, "list") ? list(c)
                                   : delete_tokens(c, argv + optind, argc - optind);
  https_client_close(c);
  return rc;
}
