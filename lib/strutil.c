/* strutil.c - see strutil.h. */
#include "strutil.h"
#include <string.h>

int strp_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }
