/* table.h - server-side printing: the meta.k8s.io/v1 Table columns and row
 * cells kube-apiserver's printers (pkg/printers/internalversion) produce for
 * each built-in resource, so `kubectl get` shows the same columns as on
 * Kubernetes (pods NAME READY STATUS RESTARTS AGE, -o wide adds IP NODE
 * NOMINATED NODE READINESS GATES; deployments NAME READY UP-TO-DATE AVAILABLE
 * AGE; ...). Resources without a printer get Name + Created At, as
 * Kubernetes' default table convertor does. */
#ifndef CKUBE_TABLE_H
#define CKUBE_TABLE_H
#include <time.h>
#include <jansson.h>

/* The columnDefinitions array (name, type, format, description, priority)
 * for resource plural in group ("" for core). Returns a new reference. */
json_t *table_columns(const char *group, const char *plural);

/* The cells of one row for obj (same length and order as table_columns),
 * relative to now for ages. Like kube-apiserver, rows always carry the
 * priority-1 (wide) cells; clients hide them unless -o wide. obj is the
 * object as served in its API version; missing or mistyped fields print as
 * Go zero values. Returns a new reference. Reentrant. */
json_t *table_cells(const char *group, const char *plural, const json_t *obj, time_t now);

/* Kubernetes' duration.HumanDuration: "5s", "3m20s", "5h", "2d3h", "3y";
 * "0s" for -1, "<invalid>" below that. Writes into buf and returns it. */
char *human_duration(long long seconds, char *buf, size_t len);

#endif
