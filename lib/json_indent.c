/* json_indent.c - compact JSON to jansson's JSON_INDENT layout (see
 * json_indent.h). jansson writes "{" or "[", a newline and the deeper indent
 * before each member, ", " never (",\n" + indent), ": " after keys, and an
 * empty object or array as "{}" / "[]". Strings are copied as they are:
 * their escapes are the same in both layouts. */
#include "json_indent.h"
#include <string.h>

#define SPACES "                                                                "

static void newline(int indent, int depth, void (*emit)(void *, const char *, size_t), void *ctx) {
  emit(ctx, "\n", 1);
  long n = (long)indent * depth;
  while (n > 0) {
    size_t k = n > (long)(sizeof SPACES - 1) ? sizeof SPACES - 1 : (size_t)n;
    emit(ctx, SPACES, k);
    n -= (long)k;
  }
}

void json_indent(const char *in, size_t len, int indent, int depth,
                 void (*emit)(void *ctx, const char *piece, size_t n), void *ctx) {
  size_t run = 0; /* start of the bytes copied as they are */
  for (size_t i = 0; i < len; i++) {
    char c = in[i];
    if (c == '"') { /* skip the string, escapes included */
      for (i++; i < len && in[i] != '"'; i++)
        if (in[i] == '\\') i++;
      continue;
    }
    if (c != '{' && c != '[' && c != '}' && c != ']' && c != ',' && c != ':') continue;
    emit(ctx, in + run, i - run);
    run = i + 1;
    if (c == '{' || c == '[') {
      if (i + 1 < len && (in[i + 1] == '}' || in[i + 1] == ']')) { /* empty: "{}" / "[]" */
        emit(ctx, in + i, 2);
        run = ++i + 1;
        continue;
      }
      emit(ctx, &in[i], 1);
      newline(indent, ++depth, emit, ctx);
    } else if (c == '}' || c == ']') {
      newline(indent, --depth, emit, ctx);
      emit(ctx, &in[i], 1);
    } else if (c == ',') {
      emit(ctx, ",", 1);
      newline(indent, depth, emit, ctx);
    } else {
      emit(ctx, ": ", 2);
    }
  }
  emit(ctx, in + run, len - run);
}
