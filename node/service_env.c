/* service_env.c - see service_env.h. Follows kubelet's getServiceEnvVarMap
 * and envvars.FromServices: names upper-cased with '-' -> '_', the first
 * port for NAME_SERVICE_PORT and NAME_PORT, protocols lower-case in URLs. */
#include "service_env.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push(char ***v, size_t *n, const char *name, const char *value) {
  *v = realloc(*v, (*n + 2) * sizeof **v);
  size_t len = strlen(name) + strlen(value) + 2;
  (*v)[*n] = malloc(len);
  snprintf((*v)[(*n)++], len, "%s=%s", name, value);
  (*v)[*n] = NULL;
}

static void env_name(const char *in, char *out, size_t len) {
  size_t i = 0;
  for (; in[i] && i < len - 1; i++) out[i] = in[i] == '-' ? '_' : (char)toupper((unsigned char)in[i]);
  out[i] = 0;
}

static void one_service(const json_t *svc, char ***v, size_t *n) {
  const json_t *spec = json_object_get(svc, "spec");
  const char *ip = json_string_value(json_object_get(spec, "clusterIP"));
  const char *name = json_string_value(json_object_get(json_object_get(svc, "metadata"), "name"));
  const json_t *ports = json_object_get(spec, "ports");
  if (!ip || !*ip || !strcmp(ip, "None") || !name || !json_array_size(ports)) return;
  char base[256], key[512], val[512];
  env_name(name, base, sizeof base);
  snprintf(key, sizeof key, "%s_SERVICE_HOST", base);
  push(v, n, key, ip);
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    long long port = json_integer_value(json_object_get(p, "port"));
    const char *pname = json_string_value(json_object_get(p, "name"));
    char proto[16], lproto[16];
    snprintf(proto, sizeof proto, "%s", json_string_value(json_object_get(p, "protocol")) ?: "TCP");
    for (size_t k = 0; k < sizeof lproto; k++) lproto[k] = (char)tolower((unsigned char)proto[k]);
    snprintf(val, sizeof val, "%lld", port);
    if (i == 0) {
      snprintf(key, sizeof key, "%s_SERVICE_PORT", base);
      push(v, n, key, val);
    }
    if (pname && *pname) {
      char pn[128];
      env_name(pname, pn, sizeof pn);
      snprintf(key, sizeof key, "%s_SERVICE_PORT_%s", base, pn);
      push(v, n, key, val);
    }
    char url[300];
    snprintf(url, sizeof url, "%s://%s:%lld", lproto, ip, port);
    if (i == 0) {
      snprintf(key, sizeof key, "%s_PORT", base);
      push(v, n, key, url);
    }
    snprintf(key, sizeof key, "%s_PORT_%lld_%s", base, port, proto);
    push(v, n, key, url);
    snprintf(key, sizeof key, "%s_PORT_%lld_%s_PROTO", base, port, proto);
    push(v, n, key, lproto);
    snprintf(key, sizeof key, "%s_PORT_%lld_%s_PORT", base, port, proto);
    push(v, n, key, val);
    snprintf(key, sizeof key, "%s_PORT_%lld_%s_ADDR", base, port, proto);
    push(v, n, key, ip);
  }
}

char **service_env(const json_t *services, const json_t *master, const char *ns, bool links) {
  char **v = calloc(1, sizeof *v);
  size_t n = 0, i;
  json_t *svc;
  if (links)
    json_array_foreach(services, i, svc) {
      const char *name = json_string_value(json_object_get(json_object_get(svc, "metadata"), "name"));
      if (!strcmp(ns, "default") && name && !strcmp(name, "kubernetes")) continue; /* added once below */
      one_service(svc, &v, &n);
    }
  if (master) one_service(master, &v, &n);
  return v;
}
