/* crd_registry.h - the CRD layer (server/crd/): the served versions of
 * every established CustomResourceDefinition as registry rows
 * (crd_registry.c), and the apiextensions controllers that name, establish
 * and clean them up (crd_controller.c). What a CRD version is and how its
 * objects are checked is kinds/crd.h's. */
#ifndef CKUBE_CRD_REGISTRY_H
#define CKUBE_CRD_REGISTRY_H
#include "crd.h"

/* crd_registry.c: serves the versions of crd (a stored CRD, with accepted
 * names in its status) or, with established false, stops serving them. */
void crd_registry_sync(const json_t *crd, bool established);
/* Marks the served versions of the CRD named crd_name as terminating. */
void crd_registry_terminating(const char *crd_name);
/* Stops serving every version of the CRD group/plural. */
void crd_registry_drop(const char *group, const char *plural);

/* crd_controller.c: registers the stored CRDs (before the server serves) and
 * starts the controller thread, which reads and writes through cc
 * (controller.h, kept until stop); stop joins it. */
struct ctrl_context;
void crd_controller_start(const struct ctrl_context *cc);
void crd_controller_stop(void);

#endif
