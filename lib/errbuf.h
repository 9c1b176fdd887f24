/* errbuf.h - an error message written into a caller's buffer, the way the
 * lib/ parsers report what they refused (err, errlen may be NULL, 0). */
#ifndef CKUBE_ERRBUF_H
#define CKUBE_ERRBUF_H
#include <stddef.h>

/* printf into err[0..errlen) when err is non-NULL and errlen non-zero. */
void errbuf_printf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
