/* token_csv.c - see token_csv.h. A small RFC 4180 reader with Go's
 * encoding/csv error texts for the cases a hand-edited file hits (a bare
 * quote, an unterminated quoted field). */
#include "token_csv.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *p, *end;
  int line;
} reader;

/* One field into a malloc'd string; *last set when it ended its record. -1 on a syntax error. */
static int read_field(reader *r, char **out, bool *last, char *err, size_t errlen) {
  size_t cap = 32, n = 0;
  char *b = malloc(cap);
  int line = r->line;
  const char *start = r->p;
  if (r->p < r->end && *r->p == '"') {
    r->p++;
    for (;;) {
      if (r->p >= r->end) {
        snprintf(err, errlen, "parse error on line %d, column %d: extraneous or missing \" in quoted-field", line,
                 (int)(r->p - start) + 1);
        free(b);
        return -1;
      }
      char c = *r->p++;
      if (c == '"') {
        if (r->p < r->end && *r->p == '"') r->p++;
        else break;
      } else if (c == '\n') {
        r->line++;
      }
      if (n + 2 > cap) b = realloc(b, cap *= 2);
      b[n++] = c;
    }
    if (r->p < r->end && *r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n') r->p++;
    if (r->p < r->end && *r->p != ',' && *r->p != '\n') {
      snprintf(err, errlen, "parse error on line %d, column %d: extraneous or missing \" in quoted-field", r->line,
               (int)(r->p - start) + 1);
      free(b);
      return -1;
    }
  } else {
    while (r->p < r->end && *r->p != ',' && *r->p != '\n') {
      if (*r->p == '"') {
        snprintf(err, errlen, "parse error on line %d, column %d: bare \" in non-quoted-field", line,
                 (int)(r->p - start) + 1);
        free(b);
        return -1;
      }
      if (n + 2 > cap) b = realloc(b, cap *= 2);
      b[n++] = *r->p++;
    }
    if (n && b[n - 1] == '\r' && (r->p >= r->end || *r->p == '\n')) n--;
  }
  b[n] = 0;
  *last = r->p >= r->end || *r->p == '\n';
  if (r->p < r->end) {
    if (*r->p == '\n') r->line++;
    r->p++;
  }
  *out = b;
  return 0;
}

static json_t *split_groups(const char *s) {
  json_t *a = json_array();
  for (const char *p = s;;) {
    const char *c = strchr(p, ',');
    json_array_append_new(a, json_stringn_nocheck(p, c ? (size_t)(c - p) : strlen(p)));
    if (!c) break;
    p = c + 1;
  }
  return a;
}

json_t *token_csv_parse(const char *path, const char *text, size_t len, char *err, size_t errlen) {
  reader r = {text, text + len, 1};
  json_t *tokens = json_object();
  while (r.p < r.end) {
    if (*r.p == '\n' || (*r.p == '\r' && r.p + 1 < r.end && r.p[1] == '\n')) { /* blank line */
      r.p += *r.p == '\r' ? 2 : 1;
      r.line++;
      continue;
    }
    json_t *rec = json_array();
    bool last = false;
    while (!last) {
      char *f;
      if (read_field(&r, &f, &last, err, errlen) < 0) {
        json_decref(rec);
        json_decref(tokens);
        return NULL;
      }
      json_array_append_new(rec, json_string_nocheck(f));
      free(f);
    }
    if (json_array_size(rec) < 3) {
      snprintf(err, errlen, "token file '%s' must have at least 3 columns (token, user name, user uid), found %zu",
               path, json_array_size(rec));
      json_decref(rec);
      json_decref(tokens);
      return NULL;
    }
    const char *tok = json_string_value(json_array_get(rec, 0));
    if (*tok) {
      json_t *u = json_pack("{s:O,s:O}", "user", json_array_get(rec, 1), "uid", json_array_get(rec, 2));
      if (json_array_size(rec) >= 4) json_object_set_new(u, "groups", split_groups(json_string_value(json_array_get(rec, 3))));
      json_object_set_new_nocheck(tokens, tok, u);
    }
    json_decref(rec);
  }
  return tokens;
}
