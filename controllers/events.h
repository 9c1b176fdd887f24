/* events.h - records core/v1 Events for what controllers do (Scheduled,
 * SuccessfulCreate, ScalingReplicaSet, FailedScheduling, ...), the way
 * client-go's event recorder does: one Event per (object, type, reason,
 * message), named "<object>.<hex nanoseconds>", whose count and
 * lastTimestamp grow when the same thing happens again. Thread-safe;
 * failures are logged, never fatal. */
#ifndef CKUBE_EVENTS_H
#define CKUBE_EVENTS_H
#include <jansson.h>
#include "controller.h"

/* Records through cc's server. involved: the object the event is about (its
 * apiVersion, kind and metadata are read). type: "Normal" or "Warning".
 * component: the source, e.g. "default-scheduler", "replicaset-controller". */
void event_record(const ctrl_context *cctx, const json_t *involved, const char *component, const char *type,
                  const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Frees the aggregation table (at shutdown). */
void events_shutdown(void);

#endif
