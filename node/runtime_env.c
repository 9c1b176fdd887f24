/* runtime_env.c - see runtime_env.h. Two GETs per container start: the
 * namespace's Services (only with enableServiceLinks) and the `kubernetes`
 * Service of default. */
#include "runtime_env.h"
#include "service_env.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_env_free(char **env) {
  for (char **x = env; x && *x; x++) free(*x);
  free(env);
}

char **rt_env_default(char **env, const char *name, const char *value) {
  size_t n = 0, len = strlen(name);
  for (; env[n]; n++)
    if (!strncmp(env[n], name, len) && env[n][len] == '=') return env;
  env = realloc(env, (n + 2) * sizeof *env);
  if (asprintf(&env[n], "%s=%s", name, value) < 0) env[n] = strdup("X=");
  env[n + 1] = NULL;
  return env;
}

char **rt_env_service_links(https_client *client, const json_t *pod) {
  const char *ns = json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace")) ?: "default";
  bool links = !json_is_false(json_object_get(json_object_get(pod, "spec"), "enableServiceLinks"));
  char path[600];
  json_t *list = NULL, *master = NULL;
  snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", ns);
  if (links && https_call(client, "GET", path, NULL, NULL, &list) != 200) {
    json_decref(list);
    list = NULL;
  }
  if (https_call(client, "GET", "/api/v1/namespaces/default/services/kubernetes", NULL, NULL, &master) != 200) {
    json_decref(master);
    master = NULL;
  }
  char **env = service_env(json_object_get(list, "items"), master, ns, links);
  json_decref(list);
  json_decref(master);
  return env;
}
