/* field_errors.h - a list of field errors (k8s.io/apimachinery's
 * field.ErrorList) and its conversion to the metav1.Status that Kubernetes
 * returns for an Invalid object (422, reason Invalid, details.causes), with
 * the exact message layout: `Deployment.apps "web" is invalid: spec.replicas:
 * Invalid value: -1: must be greater than or equal to 0`; several errors are
 * joined as `[a, b]`. */
#ifndef CKUBE_FIELD_ERRORS_H
#define CKUBE_FIELD_ERRORS_H
#include <stddef.h>
#include <jansson.h>

typedef enum {
  FE_NOT_FOUND,     /* "Not found" */
  FE_REQUIRED,      /* "Required value" */
  FE_DUPLICATE,     /* "Duplicate value" */
  FE_INVALID,       /* "Invalid value" */
  FE_NOT_SUPPORTED, /* "Unsupported value" */
  FE_FORBIDDEN,     /* "Forbidden" */
  FE_TOO_LONG,      /* "Too long" */
  FE_TOO_MANY,      /* "Too many" */
  FE_INTERNAL,      /* "Internal error" */
  FE_TYPE_INVALID,  /* "Invalid value" (type mismatch) */
} field_error_type;

typedef struct field_errors field_errors;

field_errors *field_errors_new(void);
void field_errors_free(field_errors *fe);

/* Adds one error. bad_value (borrowed, may be NULL) is printed the way Go's
 * field.Error prints it (strings quoted, numbers bare, ...); detail is a
 * printf format, may be NULL. */
void fe_add(field_errors *fe, field_error_type type, const char *field,
            const json_t *bad_value, const char *detail_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Invalid value whose Go rendering is given as text (e.g. a %#v struct). */
void fe_invalid_raw(field_errors *fe, const char *field, const char *go_value, const char *detail);

/* Adds an error whose bad value is already in Go's syntax (rendered may be
 * NULL for the types that print no value). */
void fe_add_rendered(field_errors *fe, field_error_type type, const char *field, const char *rendered,
                     const char *detail);

/* Go rendering of a JSON value as field.Error prints it ("x" quoted, 5 bare,
 * map[string]string{"a":"b"}, []string{"a"}, NULL as "null"). Caller frees. */
char *fe_render_value(const json_t *v);
/* %#v of a metav1.LabelSelector (v1.LabelSelector{MatchLabels:..., MatchExpressions:...}). Caller frees. */
char *fe_render_selector(const json_t *sel);
/* An Invalid error whose bad value is the LabelSelector sel (as Go's %#v prints it). */
void fe_invalid_selector(field_errors *fe, const char *field, const json_t *sel, const char *detail);

/* Shorthands. */
void fe_required(field_errors *fe, const char *field, const char *detail);
void fe_invalid_str(field_errors *fe, const char *field, const char *value, const char *detail);
void fe_invalid_int(field_errors *fe, const char *field, long long value, const char *detail);
/* Unsupported value: `f: Unsupported value: "X": supported values: "A", "B"`. */
void fe_not_supported(field_errors *fe, const char *field, const json_t *bad_value,
                      const char *const *supported /* NULL-terminated */);

/* Forbidden: `f: Forbidden: detail`. */
void fe_forbidden(field_errors *fe, const char *field, const char *detail);

size_t fe_count(const field_errors *fe);
/* Field path and body ("Invalid value: 1: detail") of the i-th error;
 * borrowed, NULL when out of range. */
const char *fe_field(const field_errors *fe, size_t i);
const char *fe_body(const field_errors *fe, size_t i);

/* Message of all errors, as ErrorList.ToAggregate().Error(). Caller frees. */
char *fe_message(const field_errors *fe);

/* metav1.Status for NewInvalid(kind{group}, name, errs): code 422. group ""
 * for core. Returns a new reference. */
json_t *fe_to_status(const field_errors *fe, const char *group, const char *kind,
                     const char *name);

#endif
