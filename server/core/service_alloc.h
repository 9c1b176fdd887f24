/* service_alloc.h - the Service ClusterIP range (kube-apiserver's
 * --service-cluster-ip-range), set once at start before any request; the
 * allocation itself is service_allocate() in api_internal.h. */
#ifndef CKUBE_SERVICE_ALLOC_H
#define CKUBE_SERVICE_ALLOC_H
#include <stddef.h>

/* Sets the range from "a.b.c.d/n" (n 12..30, host bits masked off); 0, or -1 when it is no such CIDR. */
int service_cidr_set(const char *cidr);
/* The range as set, e.g. "127.1.0.0/16" (the default). */
const char *service_cidr_text(void);
/* The range's first address, the `kubernetes` Service's ClusterIP (127.1.0.1 by default). */
void service_cidr_first_ip(char *out, size_t len);

#endif
