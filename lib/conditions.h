/* conditions.h - an object's status.conditions (metav1.Condition and the
 * per-kind condition types alike), written once for server, controllers
 * and node: find one by type, ask whether it is "True", set it as the apps
 * controllers do, remove it. Every function takes the status object, not
 * the whole object. Not locked: the caller owns status or reads a
 * published (unchanging) object. */
#ifndef CKUBE_CONDITIONS_H
#define CKUBE_CONDITIONS_H
#include <stdbool.h>
#include <jansson.h>

/* The first condition of type in status.conditions (borrowed, as changeable
 * as status), or NULL. */
json_t *cond_get(const json_t *status, const char *type);

/* Whether the first condition of type has status "True". */
bool cond_true(const json_t *status, const char *type);

/* SetCondition as the apps controllers do: no change when status and reason
 * are the same; lastTransitionTime kept when the status is the same.
 * with_update_time adds lastUpdateTime (Deployment conditions). */
void cond_set(json_t *status, const char *type, const char *cstatus, const char *reason, const char *message,
              bool with_update_time);

/* Removes every condition of type; drops an emptied "conditions". */
void cond_remove(json_t *status, const char *type);

#endif
