/* webhook_connect.c - admission of CONNECT requests (pods/attach, pods/exec,
 * pods/portforward, pods|services|nodes/proxy), as kube-apiserver 1.20's
 * ConnectResource runs it before dialing anything: the subresource's
 * options object (PodAttachOptions, PodExecOptions, ...) is decoded from the
 * query as the connecter's NewConnectOptions reads it, then the mutating
 * and the validating webhooks see it as the review's object, with operation
 * CONNECT, the options' kind and no oldObject or options. */
#include "webhook.h"
#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strconv.ParseBool's true spellings (the query parameter codec uses it). */
static bool parse_true(const char *v) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
  for (int i = 0; yes[i]; i++)
    if (!strcmp(v, yes[i])) return true;
  return false;
}

static void set_bool(json_t *opts, const char *q, const char *name) {
  char buf[16];
  if (mg_get_var(q, strlen(q), name, buf, sizeof buf) >= 0 && parse_true(buf))
    json_object_set_new(opts, name, json_true());
}

static void set_string(json_t *opts, const char *q, const char *name) {
  char buf[4096];
  if (mg_get_var(q, strlen(q), name, buf, sizeof buf) > 0) json_object_set_new(opts, name, json_string(buf));
}

/* Every value of a repeated parameter, as strings or (ports) numbers;
 * NULL when there is none. */
static json_t *repeated(const char *q, const char *name, bool numbers) {
  char buf[4096];
  json_t *all = NULL;
  for (size_t i = 0; mg_get_var2(q, strlen(q), name, buf, sizeof buf, i) >= 0; i++) {
    if (!all) all = json_array();
    json_array_append_new(all, numbers ? json_integer(strtol(buf, NULL, 10)) : json_string(buf));
  }
  return all;
}

json_t *webhook_connect_options(const char *plural, const char *sub, const char *query, const char *subpath) {
  const char *q = query ? query : "";
  const char *kind = NULL;
  bool pod = !strcmp(plural, "pods");
  if (pod && !strcmp(sub, "attach")) kind = "PodAttachOptions";
  else if (pod && !strcmp(sub, "exec")) kind = "PodExecOptions";
  else if (pod && !strcmp(sub, "portforward")) kind = "PodPortForwardOptions";
  else if (!strcmp(sub, "proxy"))
    kind = pod ? "PodProxyOptions" : !strcmp(plural, "services") ? "ServiceProxyOptions" : "NodeProxyOptions";
  if (!kind) return NULL;
  json_t *opts = json_pack("{s:s,s:s}", "kind", kind, "apiVersion", "v1");
  if (!strcmp(sub, "attach") || !strcmp(sub, "exec")) {
    static const char *const flags[] = {"stdin", "stdout", "stderr", "tty", NULL};
    for (int i = 0; flags[i]; i++) set_bool(opts, q, flags[i]);
    set_string(opts, q, "container");
    if (!strcmp(sub, "exec")) {
      json_t *command = repeated(q, "command", false);
      json_object_set_new(opts, "command", command ? command : json_null());
    }
  } else if (!strcmp(sub, "portforward")) {
    json_t *ports = repeated(q, "ports", true);
    if (ports) json_object_set_new(opts, "ports", ports);
  } else {
    char path[4096] = ""; /* the subpath wins over ?path=, as getRequestOptions puts it in the query */
    if (subpath) snprintf(path, sizeof path, "%s%s", *subpath && *subpath != '/' ? "/" : "", subpath);
    else mg_get_var(q, strlen(q), "path", path, sizeof path);
    if (*path) json_object_set_new(opts, "path", json_string(path));
  }
  return opts;
}

json_t *webhook_connect(cache *c, const json_t *user, const char *plural, const char *sub, const char *ns,
                        const char *name, json_t *options) {
  bool mutating = webhook_configured(c, true), validating = webhook_configured(c, false);
  if (!mutating && !validating) return NULL;
  const resource *r = registry_find("", "v1", plural);
  if (!r || !options) return NULL;
  wh_attrs a = {.operation = "CONNECT",
                .r = r,
                .sub = sub,
                .ns = r->ref.namespaced && ns ? ns : "",
                .name = name ? name : "",
                .kind = json_string_value(json_object_get(options, "kind")),
                .obj = options,
                .user = user,
                .cache = c};
  json_t *st = mutating ? webhook_mutate(&a) : NULL;
  if (!st && validating) st = webhook_validate(&a);
  return st;
}
