/* authn_token.c - see authn_token.h. The static tokens are loaded once at
 * start (kube-apiserver 1.20 does not reload the file either). */
#include "authn_token.h"
#include "bootstrap_auth.h"
#include "bootstrap_token.h"
#include "log.h"
#include "sa_token.h"
#include "token_csv.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char admin_token[128];
static json_t *static_tokens; /* token -> {user, uid, groups}; read-only after start */

void authn_token_set_admin(const char *token) { snprintf(admin_token, sizeof admin_token, "%s", token ? token : ""); }

int authn_token_load_file(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "open %s: no such file or directory", path);
    return -1;
  }
  size_t cap = 4096, n = 0;
  char *text = malloc(cap);
  size_t got;
  while ((got = fread(text + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) text = realloc(text, cap *= 2);
  }
  fclose(f);
  json_t *t = token_csv_parse(path, text, n, err, errlen);
  free(text);
  if (!t) return -1;
  json_decref(static_tokens);
  static_tokens = t;
  return 0;
}

static bool has(const json_t *arr, const char *s) {
  size_t i;
  const json_t *v;
  json_array_foreach(arr, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return true;
  return false;
}

/* Whether a token good only for the API's audience may answer for audiences; sets id->audiences. */
static bool api_audience(const json_t *audiences, token_identity *id) {
  const char *iss = sa_token_issuer();
  if (json_array_size(audiences) && !has(audiences, iss)) return false;
  id->audiences = json_pack("[s]", iss);
  return true;
}

bool authn_token_authenticate(cache *c, const char *t, const json_t *audiences, token_identity *id) {
  memset(id, 0, sizeof *id);
  id->groups = json_array();
  id->extra = json_object();
  snprintf(id->why, sizeof id->why, "invalid bearer token");
  const json_t *st = json_object_get(static_tokens, t);
  bool ok;
  if (st) {
    snprintf(id->user, sizeof id->user, "%s", json_string_value(json_object_get(st, "user")));
    snprintf(id->uid, sizeof id->uid, "%s", json_string_value(json_object_get(st, "uid")));
    if (json_object_get(st, "groups")) json_array_extend(id->groups, json_object_get(st, "groups"));
    ok = api_audience(audiences, id);
  } else if (admin_token[0] && !strcmp(t, admin_token)) {
    snprintf(id->user, sizeof id->user, "kubernetes-admin");
    json_array_append_new(id->groups, json_string("system:masters"));
    ok = api_audience(audiences, id);
  } else if (bootstrap_token_shaped(t)) {
    ok = bootstrap_token_authenticate(c, t, id->user, sizeof id->user, id->groups) && api_audience(audiences, id);
  } else {
    ok = sa_token_verify(c, t, audiences, id);
    if (ok) {
      char g[600];
      snprintf(g, sizeof g, "system:serviceaccounts:%s", id->user + strlen("system:serviceaccount:"));
      *strrchr(g, ':') = 0;
      json_array_append_new(id->groups, json_string("system:serviceaccounts"));
      json_array_append_new(id->groups, json_string(g));
    }
  }
  if (ok && !has(id->groups, "system:authenticated")) json_array_append_new(id->groups, json_string("system:authenticated"));
  return ok;
}

void token_identity_clear(token_identity *id) {
  json_decref(id->groups);
  json_decref(id->extra);
  json_decref(id->audiences);
  id->groups = id->extra = id->audiences = NULL;
}

json_t *token_identity_user_info(const token_identity *id) {
  json_t *u = json_pack("{s:s}", "username", id->user);
  if (id->uid[0]) json_object_set_new(u, "uid", json_string(id->uid));
  json_object_set(u, "groups", id->groups);
  if (json_object_size(id->extra)) json_object_set(u, "extra", id->extra);
  return u;
}

void authn_token_shutdown(void) {
  json_decref(static_tokens);
  static_tokens = NULL;
}
