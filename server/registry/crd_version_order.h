/* crd_version_order.h - Kubernetes' ordering of API version names
 * (version.CompareKubeAwareVersionStrings): GA before beta before alpha,
 * higher numbers first, names that are not Kubernetes versions last in
 * alphabetical order. Used for discovery and a CRD group's preferred version. */
#ifndef CKUBE_CRD_VERSION_ORDER_H
#define CKUBE_CRD_VERSION_ORDER_H

/* <0 when a sorts before b, >0 after, 0 equal (a qsort comparator on names). */
int crd_version_compare(const char *a, const char *b);

#endif
