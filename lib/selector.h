/* selector.h - Kubernetes label selectors (equality and set-based:
 * a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a; and the metav1.LabelSelector
 * JSON form with matchLabels/matchExpressions) and field selectors (a=b, a==b,
 * a!=b joined by commas, with backslash escapes). Error messages follow
 * k8s.io/apimachinery/pkg/labels and pkg/fields so they can be returned to
 * clients verbatim. */
#ifndef CKUBE_SELECTOR_H
#define CKUBE_SELECTOR_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

typedef struct label_selector label_selector;

/* Parses the query-string form ("app=web,tier in (a,b),!legacy"). An empty or
 * NULL string gives a selector that matches everything. Returns NULL and a
 * message in err on bad syntax or invalid label keys/values. Caller frees. */
label_selector *label_selector_parse(const char *s, char *err, size_t errlen);

/* Builds a selector from a metav1.LabelSelector object ({"matchLabels":{..},
 * "matchExpressions":[{key,operator,values}]}); NULL json matches nothing
 * (Kubernetes' rule for a nil selector); {} matches everything. */
label_selector *label_selector_from_json(const json_t *sel, char *err, size_t errlen);

/* True when labels (a JSON object of string values, or NULL = no labels)
 * satisfy every requirement. */
bool label_selector_matches(const label_selector *s, const json_t *labels);

/* True when the selector has no requirements (matches everything). */
bool label_selector_is_empty(const label_selector *s);

void label_selector_free(label_selector *s);

typedef struct field_selector field_selector;

/* Parses "metadata.name=x,spec.nodeName!=" . Returns NULL + err on bad syntax. */
field_selector *field_selector_parse(const char *s, char *err, size_t errlen);

/* Number of requirements and the field name of the i-th (for validating
 * which fields a resource supports). */
size_t field_selector_count(const field_selector *s);
const char *field_selector_field(const field_selector *s, size_t i);

/* Value of the requirement on field, when it is an equality (= or ==) one;
 * NULL otherwise. Lets a list narrow by namespace or name cheaply. */
const char *field_selector_equals(const field_selector *s, const char *field);

/* Matches with a getter that returns the object's value for a field name
 * (NULL when the object has no value: compared as ""). */
typedef const char *(*field_getter)(const char *field, void *ctx);
bool field_selector_matches(const field_selector *s, field_getter get, void *ctx);

void field_selector_free(field_selector *s);

#endif
