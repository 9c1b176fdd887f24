/* route_compile.h - turns stored objects (Ingresses, IngressClasses,
 * Services, EndpointSlices, Secrets, all as JSON arrays of
 * networking.k8s.io/v1, v1 and discovery.k8s.io/v1 objects) into a route
 * table. Pure: the same objects give the same table; what is wrong with an
 * Ingress is reported through the warn callback (the controller turns it
 * into Warning Events) and only that part of the table suffers. */
#ifndef CKUBE_INGRESS_ROUTE_COMPILE_H
#define CKUBE_INGRESS_ROUTE_COMPILE_H
#include "route.h"
#include <jansson.h>

typedef struct {
  json_t *ingresses, *classes, *services, *slices, *secrets; /* arrays, borrowed */
} route_inputs;

/* Called for each problem: ingress is the object, reason a CamelCase word. */
typedef void (*route_warn_fn)(void *ctx, const json_t *ingress, const char *reason, const char *message);

/* A new table (one reference). warn may be NULL. */
route_table *route_compile(const route_inputs *in, route_warn_fn warn, void *ctx);
/* Whether our controller serves ing under these IngressClasses: its
 * ingressClassName (or the deprecated kubernetes.io/ingress.class
 * annotation) names a class of ROUTE_CONTROLLER_NAME, or it names none and
 * one of ours is marked ingressclass.kubernetes.io/is-default-class. */
bool route_ingress_served(const json_t *ing, const json_t *classes);
/* An annotation under ingress.ckube.io/ or nginx.ingress.kubernetes.io/
 * (ours first), or NULL. */
const char *route_annotation(const json_t *ing, const char *name);
/* "1m" / "8k" / "0" / "1048576" as bytes; -1 when malformed. */
long long route_parse_size(const char *s);

#endif
