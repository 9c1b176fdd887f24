/* crd_version_order.c - see crd_version_order.h. A Kubernetes version is
 * v<major>[(alpha|beta)<minor>]; its rank is GA 3, beta 2, alpha 1. */
#include "crd_version_order.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int rank; /* 0 = not a Kubernetes version */
  long major, minor;
} kube_version;

static long number(const char **p) {
  if (!isdigit((unsigned char)**p) || **p == '0') return -1;
  char *end;
  long v = strtol(*p, &end, 10);
  *p = end;
  return v;
}

static kube_version parse(const char *s) {
  kube_version v = {0, 0, 0};
  if (*s != 'v') return v;
  const char *p = s + 1;
  long major = number(&p);
  if (major < 0) return v;
  if (!*p) return (kube_version){3, major, 0};
  int rank = !strncmp(p, "beta", 4) ? 2 : !strncmp(p, "alpha", 5) ? 1 : 0;
  if (!rank) return v;
  p += rank == 2 ? 4 : 5;
  long minor = number(&p);
  if (minor < 0 || *p) return v;
  return (kube_version){rank, major, minor};
}

int crd_version_compare(const char *a, const char *b) {
  kube_version x = parse(a), y = parse(b);
  if (!x.rank && !y.rank) return strcmp(a, b);
  if (x.rank != y.rank) {
    if (!x.rank || !y.rank) return x.rank ? -1 : 1;
    return y.rank - x.rank;
  }
  if (x.major != y.major) return x.major > y.major ? -1 : 1;
  if (x.minor != y.minor) return x.minor > y.minor ? -1 : 1;
  return 0;
}
