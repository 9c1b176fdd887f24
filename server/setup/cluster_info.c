/* cluster_info.c - see cluster_info.h. The kubeconfig text is the one
 * kubeadm writes (clientcmd's YAML of a Config with one unnamed cluster). */
#include "cluster_info.h"
#include "api.h"
#include "log.h"
#include "go_errors.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *kubeconfig_text(const char *url, const char *ca_file) {
  FILE *f = fopen(ca_file, "rb");
  if (!f) return NULL;
  unsigned char pem[16384];
  size_t n = fread(pem, 1, sizeof pem, f);
  fclose(f);
  char *ca64 = go_base64_encode(pem, n);
  size_t len = strlen(ca64) + strlen(url) + 256;
  char *out = malloc(len);
  snprintf(out, len,
           "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n  name: \"\"\n"
           "contexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n",
           ca64, url);
  free(ca64);
  return out;
}

int cluster_info_ensure(api_server *srv, const char *url, const char *ca_file) {
  const resource *r = registry_find("", "v1", "configmaps");
  char *text = kubeconfig_text(url, ca_file);
  if (!r || !text) {
    LOGE("cluster-info: cannot read %s", ca_file);
    free(text);
    return -1;
  }
  api_opts o = {0};
  api_result got = api_get(srv, r, "kube-public", "cluster-info");
  json_t *cur = got.code == 200 ? api_result_json(&got) : NULL;
  api_result_clear(&got);
  api_result res;
  if (!cur) {
    json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                           "name", "cluster-info", "namespace", "kube-public", "data", "kubeconfig", text);
    res = api_create(srv, r, "kube-public", cm, &o);
  } else {
    const char *have = json_string_value(json_object_get(json_object_get(cur, "data"), "kubeconfig"));
    if (have && !strcmp(have, text)) {
      json_decref(cur);
      free(text);
      return 0;
    }
    json_t *data = json_object_get(cur, "data");
    if (!json_is_object(data)) json_object_set_new(cur, "data", data = json_object());
    json_object_set_new(data, "kubeconfig", json_string(text));
    res = api_update(srv, r, "kube-public", "cluster-info", NULL, cur, &o);
  }
  int rc = res.code < 300 ? 0 : -1;
  if (rc) LOGE("cluster-info: write failed with %d", res.code);
  api_result_clear(&res);
  free(text);
  return rc;
}
