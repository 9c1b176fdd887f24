/* object_convert.h - one object from one served version of a resource to
 * another: built-in kinds through kinds_convert, custom resources through
 * their CRD's conversion webhook (strategy Webhook) or by their apiVersion
 * alone (strategy None). Used by the API core for every read and write in
 * a version other than the stored one, and by admission webhooks, which see
 * the object in the version they asked for. */
#ifndef CKUBE_OBJECT_CONVERT_H
#define CKUBE_OBJECT_CONVERT_H
#include <jansson.h>
#include "registry.h"
#include "watch_cache.h"

/* Whether r's custom resources are converted by their CRD's webhook: then an
 * object keeps the version it was written in (the storage version of the
 * day), so its own apiVersion says whether it needs converting. */
bool object_converted_by_webhook(const resource *r);

/* obj (in place) from group/version from to group/version to, as r's kind: 0, or -1 with the conversion
 * webhook's failure in *status (new reference) when status is given, else logged. c: where the webhook's
 * Service endpoints are read. */
int object_convert_version(cache *c, const resource *r, json_t *obj, const char *from, const char *to,
                           json_t **status);

/* obj (in place) from resource from's version to resource to's (both of one storage), through the storage
 * version: 0 or -1. */
int object_convert(cache *c, const resource *from, const resource *to, json_t *obj);

#endif
