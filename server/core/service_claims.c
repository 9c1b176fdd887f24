/* service_claims.c - see service_claims.h. The value is JSON,
 * {"claims":[{"ip":"127.1.0.7","at":1700000000000,"for":"default/web","base":812},
 * {"port":30001,"at":...,"for":...,"base":...}]},
 * small: only the last CLAIM_MS of allocations are in it. */
#include "service_claims.h"
#include "ipv4.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLAIMS_KEY "service-claims"

void svc_claims_add(svc_claims *c, uint32_t ip, int port, long long at_ms, const char *key, int64_t base) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 16;
    c->v = realloc(c->v, c->cap * sizeof *c->v);
  }
  c->v[c->n] = (svc_claim){ip, port, at_ms, "", base};
  snprintf(c->v[c->n].key, sizeof c->v[c->n].key, "%s", key ? key : "");
  c->n++;
}

void svc_claims_free(svc_claims *c) {
  free(c->v);
  *c = (svc_claims){0};
}

int svc_claims_decode(const char *text, size_t len, long long now_ms, svc_claims *out) {
  json_error_t jerr;
  json_t *j = json_loadb(text, len, 0, &jerr);
  json_t *arr = json_object_get(j, "claims");
  if (!json_is_array(arr)) {
    json_decref(j);
    return -1;
  }
  size_t i;
  json_t *e;
  json_array_foreach(arr, i, e) {
    long long at = (long long)json_integer_value(json_object_get(e, "at"));
    if (at <= now_ms - CLAIM_MS) continue; /* lapsed (a claim from a clock ahead of ours is kept) */
    const char *ip = json_string_value(json_object_get(e, "ip")), *key = json_string_value(json_object_get(e, "for"));
    int64_t base = (int64_t)json_integer_value(json_object_get(e, "base"));
    json_int_t port = json_integer_value(json_object_get(e, "port"));
    uint32_t v4;
    if (ipv4_parse(ip, &v4) && v4) svc_claims_add(out, v4, 0, at, key, base);
    else if (!ip && port > 0 && port <= 65535) svc_claims_add(out, 0, (int)port, at, key, base);
  }
  json_decref(j);
  return 0;
}

char *svc_claims_encode(const svc_claims *c) {
  json_t *arr = json_array();
  for (size_t i = 0; i < c->n; i++) {
    json_t *e = json_object();
    if (c->v[i].ip) {
      char buf[IPV4_TEXT_LEN];
      ipv4_format(c->v[i].ip, buf, sizeof buf);
      json_object_set_new(e, "ip", json_string(buf));
    } else json_object_set_new(e, "port", json_integer(c->v[i].port));
    json_object_set_new(e, "at", json_integer(c->v[i].at_ms));
    json_object_set_new(e, "for", json_string(c->v[i].key));
    json_object_set_new(e, "base", json_integer(c->v[i].base));
    json_array_append_new(arr, e);
  }
  json_t *j = json_pack("{s:o}", "claims", arr);
  char *out = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  return out;
}

int svc_claims_read(store *st, long long now_ms, svc_claims *out, char *err, size_t errlen) {
  char *v = NULL;
  size_t len = 0;
  int64_t rev = 0;
  if (st->get_raw(st, CLAIMS_KEY, &v, &len, &rev) != 0) {
    snprintf(err, errlen, "%s", st->error(st));
    return -1;
  }
  out->rev = rev;
  /* an unreadable list is replaced by the next write (its compare still holds) */
  if (v && svc_claims_decode(v, len, now_ms, out) != 0) out->n = 0;
  free(v);
  return 0;
}

int svc_claims_write(store *st, const svc_claims *c, char *err, size_t errlen) {
  char *text = svc_claims_encode(c);
  int rc = st->put_raw_if(st, CLAIMS_KEY, text, strlen(text), c->rev);
  free(text);
  if (rc < 0) snprintf(err, errlen, "%s", st->error(st));
  return rc;
}
