/* webhook.h - dynamic admission control: kube-apiserver 1.20's
 * MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins. The
 * configurations are the stored admissionregistration.k8s.io/v1
 * MutatingWebhookConfiguration and ValidatingWebhookConfiguration objects,
 * read from the watch cache on every request (nothing to do, and next to no
 * cost, while there are none). The API core calls webhook_mutate after the
 * built-in mutating plugins and webhook_validate after the built-in
 * validating ones, on create, update (also patch and subresources) and
 * delete. Matching is in webhook_match.c, the AdmissionReview in
 * webhook_review.c, the HTTP(S) call in webhook_call.c and the dispatch in
 * webhook_admission.c. Thread-safe. */
#ifndef CKUBE_WEBHOOK_H
#define CKUBE_WEBHOOK_H
#include <stdbool.h>
#include <jansson.h>
#include "registry.h"
#include "watch_cache.h"

/* What admission knows about one request (admission.Attributes). */
typedef struct {
  const char *operation;  /* "CREATE", "UPDATE", "DELETE" or "CONNECT" */
  const resource *r;      /* the resource as requested (its version) */
  const char *sub;        /* subresource ("status"), "" or NULL for the resource itself */
  const char *ns;         /* "" for cluster-scoped resources; a Namespace's own name for it */
  const char *name;       /* "" when the server generates it */
  json_t *obj;            /* the object in r's version (sub's kind for subresources); NULL on DELETE.
                             webhook_mutate patches it in place */
  const json_t *old;      /* the stored object on UPDATE and DELETE, NULL on CREATE */
  const json_t *options;  /* CreateOptions, UpdateOptions, PatchOptions or DeleteOptions, or NULL */
  bool dry_run;
  const json_t *user;     /* authentication.k8s.io UserInfo ({username, uid, groups, extra}); NULL: the
                             server itself (system:apiserver in system:masters) */
  json_t *warnings;       /* array the webhooks' warnings are appended to, or NULL */
  cache *cache;           /* the configurations, namespaces and Endpoints are read from it */
  const char *kind;       /* CONNECT: the options' kind (PodAttachOptions, v1), which the review names instead of
                             the resource's; NULL otherwise */
} wh_attrs;

/* Calls the matching mutating webhooks in order (configurations by name,
 * then webhook order), applying their JSON patches to a->obj, with one
 * reinvocation round for reinvocationPolicy IfNeeded. NULL when admitted,
 * else the Status to answer (new reference). */
json_t *webhook_mutate(const wh_attrs *a);

/* Calls the matching validating webhooks (side by side when several).
 * NULL or the Status of the first failure in webhook order (new reference). */
json_t *webhook_validate(const wh_attrs *a);

/* The options object of a CONNECT request on plural/sub (pods attach, exec,
 * portforward, proxy; services and nodes proxy) from its query (and the
 * proxy's subpath, "" or NULL when none), as kube-apiserver decodes it:
 * {"kind":"PodAttachOptions","apiVersion":"v1",...} with Go's omitempty
 * fields. NULL for another subresource. New reference. */
json_t *webhook_connect_options(const char *plural, const char *sub, const char *query, const char *subpath);

/* CONNECT admission: the mutating then the validating webhooks that match
 * plural/sub in namespace ns for name, with options (from
 * webhook_connect_options) as the object. NULL when admitted, else the
 * Status to answer before connecting (new reference). */
json_t *webhook_connect(cache *c, const json_t *user, const char *plural, const char *sub, const char *ns,
                        const char *name, json_t *options);

/* Custom resources through their CRD's conversion webhook (webhook: the
 * CRD's spec.conversion.webhook, {clientConfig, conversionReviewVersions}):
 * the objs (of one kind) not yet in desired ("group/version") are sent in
 * one ConversionReview and replaced in place by the webhook's answer, their
 * metadata kept but for labels and annotations. NULL on success (nothing
 * called when all are in desired already), else the 500 InternalError
 * Status "conversion webhook for GV, Kind=K failed: ..." (new reference). */
json_t *webhook_convert(cache *c, const json_t *webhook, json_t *const *objs, size_t n, const char *desired);

/* One HTTP(S) request to a clientConfig-like target ({service: {namespace,
 * name, port}} resolved through its Endpoints and verified as
 * <name>.<namespace>.svc, or {url}; caBundle): the webhooks' client, also
 * used by the API aggregator's proxy. */
typedef struct {
  const char *method;                   /* "GET", "POST", ... */
  const char *path;                     /* path and query as sent; NULL: the clientConfig's, with ?timeout= */
  const char *headers;                  /* extra header lines, each ending in CRLF, or NULL */
  const char *body;                     /* or NULL */
  size_t len;
  const char *client_cert, *client_key; /* PEM files of a client certificate, or NULL */
  bool insecure;                        /* no verification of the server (insecureSkipTLSVerify) */
  int timeout_s;                        /* for the whole exchange; 0: 30 s */
} wh_http_request;

typedef struct {
  int code;
  char *headers; /* the response's header lines (CRLF-separated), malloc'd */
  char *body;    /* malloc'd, NUL-terminated, dechunked */
  size_t len;
} wh_http_response;

/* Sends rq and reads the whole answer (any status) into *out. 0, or -1 with
 * Go's wording of a dial/TLS/read failure in err ("dial tcp ...: connect:
 * connection refused", "x509: ..."). Free out with wh_http_response_free. */
int wh_http(cache *c, const json_t *client_config, const wh_http_request *rq, wh_http_response *out, char *err,
            size_t errlen);
void wh_http_response_free(wh_http_response *r);

/* A streamed answer: the status code and header lines (CRLF-separated),
 * then the body's bytes as they arrive (dechunked); either returns false to
 * stop reading. */
typedef bool (*wh_head_fn)(int code, const char *headers, void *ctx);
typedef bool (*wh_body_fn)(const char *data, size_t len, void *ctx);
/* As wh_http, for answers that do not end on their own (watches): reads
 * until the backend closes, the body ends, a callback stops it or
 * rq->timeout_s passed. 0 once the head was handed over (the body may
 * still have ended early), or -1 with the reason in err before it. */
int wh_http_stream(cache *c, const json_t *client_config, const wh_http_request *rq, wh_head_fn on_head,
                   wh_body_fn on_body, void *ctx, char *err, size_t errlen);

/* Whether any mutating (or validating) webhook configuration is stored: a
 * count in the watch cache, for the fast path of every write. */
bool webhook_configured(cache *c, bool mutating);

/* Whether r is one of the webhook configuration kinds, which webhooks never
 * see (so a broken webhook cannot lock its own configuration). */
bool webhook_exempt(const resource *r, const char *sub);

#endif
