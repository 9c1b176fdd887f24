/* kinds_util.h - small JSON and name-format helpers shared by the kinds_*.c
 * files (defaulting, validation, strategies, conversion). */
#ifndef CKUBE_KINDS_UTIL_H
#define CKUBE_KINDS_UTIL_H
#include <stdbool.h>
#include <jansson.h>
#include "field_errors.h"
#include "kinds.h"

/* obj[key] as an object, created when absent (borrowed). */
json_t *kobj(json_t *obj, const char *key);
/* Sets obj[key] = v (stolen) when key is absent. */
void kdefault(json_t *obj, const char *key, json_t *v);
const char *kstr(const json_t *obj, const char *key);
bool kis(const kind_ref *k, const char *group, const char *kind);

/* Name formats; each appends Invalid errors (with Kubernetes' messages) for value at field. */
void check_dns1123_subdomain(field_errors *fe, const char *field, const char *value);
void check_dns1123_label(field_errors *fe, const char *field, const char *value);
void check_dns1035_label(field_errors *fe, const char *field, const char *value);
void check_qualified_name(field_errors *fe, const char *field, const char *value);
void check_label_value(field_errors *fe, const char *field, const char *value);
/* IsQualifiedName of value, reporting shown as the bad value (annotation keys
 * are checked lower-cased but reported as sent). */
void check_qualified_name_as(field_errors *fe, const char *field, const char *shown, const char *value);

/* A CronJob schedule as robfig/cron's standard parser takes it: 0, or -1 with
 * the parser's message in err (kinds_cron.c). */
int cron_check(const char *spec, char *err, size_t len);

/* Defaults of a PodSpec (borrowed, in place); pod=true for a Pod (not a template). */
void default_pod_spec(json_t *spec, bool pod);
/* Validation of a PodSpec at field path prefix (e.g. "spec.template.spec"). */
void validate_pod_spec(const json_t *spec, const char *prefix, field_errors *fe);

#endif
