/* webhook_internal.h - the parts of dynamic admission (webhook.h) that the
 * dispatcher combines and the unit tests drive one by one: rule and
 * selector matching (webhook_match.c), AdmissionReview requests and
 * responses (webhook_review.c) and the HTTP(S) client (webhook_call.c). */
#ifndef CKUBE_WEBHOOK_INTERNAL_H
#define CKUBE_WEBHOOK_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "webhook.h"

/* ---- matching (webhook_match.c) ---- */

/* What one rule is matched against: the request's operation, resource and
 * namespace, or an equivalent resource's coordinates (matchPolicy Equivalent). */
typedef struct {
  const char *operation;
  const char *group, *version, *resource, *sub; /* sub: "" for the resource itself */
  const char *ns;                               /* "" outside namespaces */
} wh_coords;

/* One RuleWithOperations: operations (or "*"), apiGroups, apiVersions,
 * resources ("pods", "pods/status", "*", and "*" after or before the slash
 * for any subresource or any resource) and scope (Cluster, Namespaced,
 * "*" = the default). */
bool wh_rule_matches(const json_t *rule, const wh_coords *c);
/* Any rule of the array. */
bool wh_rules_match(const json_t *rules, const wh_coords *c);

/* A metav1.LabelSelector against a label set (JSON object or NULL). A
 * missing (NULL) selector matches everything, as the defaulted {} does.
 * 1 match, 0 not, -1 when the selector is invalid (message in err). */
int wh_selector_matches(const json_t *selector, const json_t *labels, char *err, size_t errlen);

/* The labels of namespace ns (a new reference, {} when none), or NULL when
 * there is no such namespace. */
typedef json_t *(*wh_ns_labels_fn)(const char *ns, void *ctx);

/* What a webhook is called with: the resource (the request's, or for
 * matchPolicy Equivalent the version its rules name) and that version's kind. */
typedef struct {
  const resource *r;
  const char *group, *version, *kind;
} wh_invocation;

/* kube-apiserver's ShouldCallHook: namespaceSelector (the namespace's labels;
 * a Namespace is matched by its own on create and update; cluster-scoped
 * objects always match), objectSelector (object or old object), then the
 * rules for the request's resource, then for matchPolicy Equivalent (the
 * default) the other versions stored together with it. 1 call (*inv set), 0
 * skip, -1 error (*status: a Status, new reference). */
int wh_should_call(const json_t *hook, const wh_attrs *a, wh_ns_labels_fn ns_labels, void *ctx,
                   wh_invocation *inv, json_t **status);

/* ---- AdmissionReview (webhook_review.c) ---- */

/* The AdmissionReview to send in the first of hook's
 * admissionReviewVersions this server speaks (v1, v1beta1): request uid
 * (new), kind/resource/subResource of the invocation, requestKind/
 * requestResource/requestSubResource of the request, name, namespace,
 * operation, userInfo, object/oldObject (already in the invocation's
 * version: obj, old), dryRun, options. NULL when hook accepts no known
 * version (message in err). *version is "v1" or "v1beta1" (static). */
json_t *wh_review_request(const json_t *hook, const wh_attrs *a, const wh_invocation *inv, const json_t *obj,
                          const json_t *old, const char **version, char *err, size_t errlen);

/* A verified response (VerifyAdmissionResponse). */
typedef struct {
  bool allowed;
  json_t *result;   /* response.status, or NULL */
  json_t *patch;    /* decoded JSON patch (array), or NULL */
  json_t *warnings; /* array, or NULL */
} wh_response;

/* Parses and checks the webhook's answer to request (the review sent):
 * apiVersion/kind and uid for v1, no patch from validating webhooks, patch
 * and patchType together, patchType JSONPatch, patch base64 of a JSON patch.
 * 0, or -1 with the reason in err (a "calling" failure, subject to the
 * failurePolicy). *bad_patch is set when the patch itself cannot be
 * decoded (an internal error, whatever the policy). */
int wh_review_response(const char *body, size_t len, const json_t *request, bool mutating, wh_response *out,
                       bool *bad_patch, char *err, size_t errlen);
void wh_response_clear(wh_response *r);

/* The Status for a denial: the webhook's status with code >= 400, status
 * Failure and the message 'admission webhook "NAME" denied the request: MSG'
 * (or its reason, or "without explanation"). New reference. */
json_t *wh_denied_status(const char *hook_name, const json_t *result);

/* 500 InternalError "Internal error occurred: MSG", details.causes [MSG]. */
json_t *wh_internal_error(const char *msg);

/* ---- the call (webhook_call.c) ---- */

/* POSTs body (JSON) to the webhook's clientConfig: url, or service
 * {namespace, name, path, port 443} resolved through its Endpoints to a
 * ready address and verified as <name>.<namespace>.svc; caBundle (PEM,
 * base64 in the object) or the system roots (a service's Endpoints from cc); at most timeout_s seconds in
 * all, announced as ?timeout=Ns as client-go does. 0 with the 2xx response
 * body in *resp (malloc'd, NUL-terminated), or -1 with Go's wording of the
 * failure in err ('Post "URL": dial tcp ...: connect: connection refused'). */
int wh_call(cache *cc, const json_t *client_config, const char *body, size_t len, int timeout_s, char **resp, size_t *resp_len,
            char *err, size_t errlen);

/* Splits an http(s) URL: scheme, host (without brackets), port (default 80
 * or 443), path+query ("/" when empty). 0, or -1 when unusable. */
int wh_parse_url(const char *url, char *scheme, size_t sl, char *host, size_t hl, int *port, char *path,
                 size_t pl);

#endif
