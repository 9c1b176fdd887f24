/* workqueue.h - a work queue for controllers and the simulated kubelet, as
 * client-go's: string keys, deduplicated while waiting, never processed by
 * two workers at once (a key added while it is being processed is queued
 * again afterwards), and delayed re-adds for retries. Thread-safe. */
#ifndef CKUBE_WORKQUEUE_H
#define CKUBE_WORKQUEUE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct workqueue workqueue;

workqueue *workqueue_new(void);
/* Wakes blocked workers (they get NULL) and frees nothing; call before free. */
void workqueue_shutdown(workqueue *q);
void workqueue_free(workqueue *q);

/* Ready keys come out by priority (higher first; workqueue_add is 0), then
 * in the order they became ready; a key already waiting keeps its place. */
void workqueue_add(workqueue *q, const char *key);
void workqueue_add_priority(workqueue *q, const char *key, int priority);
/* Adds key after delay_ms (an earlier pending add wins). */
void workqueue_add_after(workqueue *q, const char *key, long delay_ms);
void workqueue_add_priority_after(workqueue *q, const char *key, int priority, long delay_ms);

/* Blocks for the next key (malloc'd: caller frees, then calls
 * workqueue_done with it); NULL once shut down. */
char *workqueue_get(workqueue *q);
void workqueue_done(workqueue *q, const char *key);
/* Keys waiting to be handed out (not counting delayed adds). */
size_t workqueue_len(workqueue *q);

#endif
