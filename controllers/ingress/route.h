/* route.h - the Ingress route table: what the data plane consults for each
 * request. It is compiled from the stored objects (route_compile.c), then
 * never changed again: the controller swaps whole tables (route_swap), and
 * a connection keeps a reference to the table its request was routed with,
 * so a swap never disturbs a request in flight. The only mutable state
 * inside are the round-robin counters (atomics).
 *
 * Matching (route_match.c) follows ingress-nginx: host exact before
 * single-label wildcard, then the catch-all server; within a host, Exact,
 * Prefix (element-wise) and ImplementationSpecific (string prefix) paths,
 * longest first, Exact first at equal length; regex paths when the host
 * uses use-regex or rewrite-target. */
#ifndef CKUBE_INGRESS_ROUTE_H
#define CKUBE_INGRESS_ROUTE_H
#include <netinet/in.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define ROUTE_CONTROLLER_NAME "ckube.io/ingress-controller"
#define ROUTE_DEFAULT_CLASS "ckube"

typedef struct {
  struct sockaddr_storage addr;
  socklen_t len;
  char text[64]; /* "ip:port" for logs, headers and metrics */
} route_endpoint;

/* The load-balance annotation's algorithms (route_balance.c). */
typedef enum { LB_ROUND_ROBIN, LB_EWMA, LB_LEAST_CONN } route_lb;

/* What the balancer knows of one endpoint; the only mutable part of a table. */
typedef struct {
  atomic_llong down_until; /* passive health: skipped until this monotonic ms */
  atomic_int inflight;     /* requests being served by it */
  atomic_llong ewma_us;    /* response time, exponentially weighted (microseconds) */
  atomic_llong ewma_at;    /* monotonic ms of the last sample */
} route_ep_state;

/* A Service port resolved to its ready endpoints. */
typedef struct {
  char *name; /* "namespace-service-port", as ingress-nginx names upstreams */
  route_endpoint *eps;
  size_t n_eps;
  route_lb lb;  /* from the first Ingress naming the backend */
  atomic_uint rr; /* round-robin position (and tie-breaker for the others) */
  route_ep_state *state; /* per endpoint, n_eps of them */
} route_backend;

typedef struct {
  route_backend *backend;
  char *header, *header_value, *cookie;
  regex_t *header_pattern;
  unsigned weight, weight_total;
  atomic_uint tick; /* the deterministic weight scheme's counter */
  void *stats;
} route_canary;

typedef enum { PATH_EXACT, PATH_PREFIX, PATH_IMPL } route_path_type;

/* Per-Ingress settings from nginx.ingress.kubernetes.io/ annotations. */
typedef struct {
  char *ingress;            /* "namespace/name", for metrics and logs */
  bool ssl_redirect;        /* default true: applies when the host has TLS */
  bool force_ssl_redirect;
  char *rewrite_target, *app_root, *permanent_redirect;
  int permanent_redirect_code;
  long long body_limit;     /* bytes, 0 = unlimited; default 1m */
  int connect_timeout, read_timeout, send_timeout; /* seconds */
  char *affinity_cookie;    /* session cookie name when affinity=cookie */
  bool backend_https;       /* backend-protocol: HTTPS (TLS to the endpoints, not verified, as nginx's default) */
  struct route_cidr *allow; /* whitelist-source-range, NULL = all */
  size_t n_allow;
} route_opts;

typedef struct route_cidr {
  int family;
  unsigned char addr[16];
  int bits;
} route_cidr;

typedef struct {
  char *path;
  size_t match_len; /* path length without a trailing '/' for Prefix */
  route_path_type type;
  regex_t *re;      /* set when the host matches by regex */
  route_backend *backend; /* NULL: 503 (missing Service or port) */
  route_canary *canary;
  route_opts *opts;
  void *stats;      /* ingress_metrics' counters for this path */
} route_path;

typedef struct {
  char *name;       /* lowercase; "*.example.com" for wildcards; "" = catch-all */
  route_path *paths; /* longest first, Exact first at equal length */
  size_t n_paths;
  bool tls;         /* named in some spec.tls: HTTP is redirected */
  route_backend *fallback; /* the first Ingress's defaultBackend, or NULL (404) */
  void *stats;
} route_host;

/* One certificate: the hosts it serves and the OpenSSL context built from
 * its Secret (an SSL_CTX *, owned by the table). */
typedef struct {
  char *host;       /* lowercase, may be a wildcard */
  void *ssl_ctx;
} route_cert;

typedef struct route_table {
  atomic_int refs;
  unsigned long generation;
  route_host *hosts; /* named hosts, sorted by name */
  size_t n_hosts;
  route_host catch_all;
  route_backend **backends; /* owned, shared by paths */
  size_t n_backends;
  route_opts **opts;        /* owned */
  size_t n_opts;
  route_cert *certs;        /* sorted by host */
  size_t n_certs;
} route_table;

/* The outcome of routing one request. */
typedef enum {
  ROUTE_PROXY,    /* to backend/endpoint */
  ROUTE_NOT_FOUND, /* 404 default backend */
  ROUTE_UNAVAILABLE, /* 503: the Service has no ready endpoint / is missing */
  ROUTE_REDIRECT, /* status + location */
  ROUTE_FORBIDDEN /* 403: whitelist-source-range */
} route_action;

typedef struct {
  const char *host;     /* Host header (port and case ignored), may be NULL */
  const char *path;     /* request target (query allowed) */
  size_t path_len;
  bool https;
  int https_port;       /* for HTTP->HTTPS redirects (443 is left out) */
  const struct sockaddr *client;
  /* canary inputs: return a header / cookie value or NULL */
  const char *(*header)(void *ctx, const char *name);
  const char *(*cookie)(void *ctx, const char *name);
  void *ctx;
} route_request;

typedef struct {
  route_action action;
  const route_host *host;
  const route_path *path;       /* NULL when a host fallback served it */
  const route_backend *backend;
  const route_endpoint *endpoint; /* the first choice (see route_next_endpoint) */
  bool canary;
  const route_opts *opts;
  int status;                   /* for ROUTE_REDIRECT */
  char location[2048];          /* for ROUTE_REDIRECT */
  char rewritten[2048];         /* rewrite-target applied, "" when none */
  char set_cookie[160];         /* affinity: a Set-Cookie value to send, "" when none */
} route_result;

/* Routes one request in t. Pure except for the round-robin counters. */
void route_match(const route_table *t, const route_request *rq, route_result *out);
/* The named host serving h (lowercase, no port) or the catch-all. */
const route_host *route_find_host(const route_table *t, const char *h, size_t len);
/* The backend of t named name ("namespace-service-port"), or NULL. */
const route_backend *route_find_backend(const route_table *t, const char *name);
/* Whether request path p (up to '?') matches rule path rp. */
bool route_path_matches(const route_path *rp, const char *p, size_t len);
/* Balancing (route_balance.c). The next endpoint of b by its algorithm,
 * other than avoid (when b has another), skipping endpoints marked down
 * unless all are; NULL when b has none. */
const route_endpoint *route_next_endpoint(const route_backend *b, const route_endpoint *avoid);
/* Passive health: e (of b) failed; skip it for ms milliseconds. */
void route_mark_down(const route_backend *b, const route_endpoint *e, long long ms);
/* A request was sent to e of b / its response ended after rtt_us
 * microseconds (-1: no sample, e.g. it failed). Pairs; feed least_conn and EWMA. */
void route_endpoint_begin(const route_backend *b, const route_endpoint *e);
void route_endpoint_end(const route_backend *b, const route_endpoint *e, long long rtt_us);
/* The algorithm a load-balance annotation value names; -1 when unknown. */
int route_parse_lb(const char *v);
/* The affinity cookie value naming endpoint e (16 hex digits). */
void route_affinity_value(const route_endpoint *e, char out[17]);
/* The certificate for SNI name (exact, then wildcard), or NULL. */
const route_cert *route_find_cert(const route_table *t, const char *name);

/* Reference counting: tables are freed when the last holder lets go. */
route_table *route_ref(route_table *t);
void route_unref(route_table *t);

/* The current table (a new reference; never NULL once route_swap ran), and
 * the swap: t replaces it (stealing the caller's reference). Thread-safe. */
route_table *route_current(void);
void route_swap(route_table *t);
/* Bumped by every swap: workers compare it to refresh their reference cheaply. */
unsigned long route_generation(void);

/* An empty table (everything 404), a new reference. */
route_table *route_empty(void);

#endif
