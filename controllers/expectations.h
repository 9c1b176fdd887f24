/* expectations.h - ControllerExpectations with UID-tracked deletions, as
 * pkg/controller uses them: before creating N pods a controller expects N
 * creations, before deleting pods it expects those uids to go, and it does
 * not act on a key again until the informer has observed all of them (or
 * five minutes passed), so a burst of events cannot make it over-create or
 * over-delete. Thread-safe. */
#ifndef CKUBE_EXPECTATIONS_H
#define CKUBE_EXPECTATIONS_H
#include <stdbool.h>

typedef struct expectations expectations;

expectations *expectations_new(void);
void expectations_free(expectations *e);

/* True when key has no outstanding expectations (or they expired). */
bool expectations_satisfied(expectations *e, const char *key);
/* Sets the expected creations (replacing older expectations of key). */
void expect_creations(expectations *e, const char *key, int n);
/* Sets the uids whose deletion is expected. */
void expect_deletions(expectations *e, const char *key, const char *const *uids, int n);
/* A creation was seen or will never happen (failed create). */
void creation_observed(expectations *e, const char *key);
/* uid was seen deleted (or will not be). */
void deletion_observed(expectations *e, const char *key, const char *uid);
/* Forgets key (its owner was deleted). */
void expectations_delete(expectations *e, const char *key);

#endif
