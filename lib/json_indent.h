/* json_indent.h - compact JSON text re-laid out as jansson's
 * json_dumps(v, JSON_INDENT(n)) lays it out, without parsing it into values:
 * an indented LIST ("?pretty=true", curl's user agent) streams the bytes the
 * watch cache already holds at memory speed. */
#ifndef CKUBE_JSON_INDENT_H
#define CKUBE_JSON_INDENT_H
#include <stddef.h>

/* Calls emit with pieces of the indented form of the compact JSON text
 * in[0..len) (as json_dumps(v, JSON_COMPACT) writes it), as if it were
 * nested depth levels deep in a document indented by indent spaces. */
void json_indent(const char *in, size_t len, int indent, int depth,
                 void (*emit)(void *ctx, const char *piece, size_t n), void *ctx);

#endif
