/* json_raw.c - a top-level member of JSON object text by scanning (see
 * json_raw.h): strings are skipped escape by escape, objects and arrays by
 * their depth, scalars up to the next delimiter. */
#include "json_raw.h"
#include <stdbool.h>
#include <string.h>

static size_t skip_ws(const char *in, size_t len, size_t i) {
  while (i < len && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r')) i++;
  return i;
}

/* in[i] is '"': the index after the closing quote (len when unterminated). */
static size_t skip_string(const char *in, size_t len, size_t i) {
  for (i++; i < len; i++) {
    if (in[i] == '\\') i++;
    else if (in[i] == '"') return i + 1;
  }
  return len;
}

/* The index after the value starting at in[i]. */
static size_t skip_value(const char *in, size_t len, size_t i) {
  if (i >= len) return len;
  if (in[i] == '"') return skip_string(in, len, i);
  if (in[i] == '{' || in[i] == '[') {
    size_t depth = 0;
    while (i < len) {
      char c = in[i];
      if (c == '"') {
        i = skip_string(in, len, i);
        continue;
      }
      if (c == '{' || c == '[') depth++;
      else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      i++;
    }
    return len;
  }
  while (i < len && in[i] != ',' && in[i] != '}' && in[i] != ']' && in[i] != ' ' && in[i] != '\n' &&
         in[i] != '\t' && in[i] != '\r')
    i++;
  return i;
}

const char *json_raw_member(const char *in, size_t len, const char *key, size_t *vlen) {
  size_t klen = strlen(key), i = skip_ws(in, len, 0);
  if (i >= len || in[i] != '{') return NULL;
  i = skip_ws(in, len, i + 1);
  while (i < len && in[i] == '"') {
    size_t kstart = i + 1, kend = skip_string(in, len, i);
    bool match = kend - kstart == klen + 1 && !memcmp(in + kstart, key, klen);
    i = skip_ws(in, len, kend);
    if (i >= len || in[i] != ':') return NULL;
    i = skip_ws(in, len, i + 1);
    size_t vstart = i;
    i = skip_value(in, len, i);
    if (match && i > vstart) {
      *vlen = i - vstart;
      return in + vstart;
    }
    i = skip_ws(in, len, i);
    if (i >= len || in[i] != ',') return NULL;
    i = skip_ws(in, len, i + 1);
  }
  return NULL;
}
