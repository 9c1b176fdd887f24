/* strutil.h - small string helpers that every layer had written for
 * itself: for now the qsort comparator of C strings (Go's sort.Strings
 * order: bytewise). */
#ifndef CKUBE_STRUTIL_H
#define CKUBE_STRUTIL_H

/* qsort comparator for an array of char * (or const char *): strcmp of the
 * pointed-to strings, so the order is bytewise as Go's sort.Strings. */
int strp_cmp(const void *a, const void *b);

#endif
