/* file_read.h - a whole small file (a key, a certificate, a kubeconfig) in
 * memory, NUL-terminated. */
#ifndef CKUBE_FILE_READ_H
#define CKUBE_FILE_READ_H
#include <stddef.h>

/* The file's bytes plus a NUL (free() it), its length in *len when len is
 * not NULL; NULL when it cannot be opened or read. */
char *file_read(const char *path, size_t *len);

#endif
