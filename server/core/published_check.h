/* published_check.h - the test mode that proves published objects immutable.
 *
 * With CKUBE_CHECK_PUBLISHED=1 in the environment, the end of HTTP requests
 * (at most one check at a time, at least 250 ms apart) re-serializes every
 * object in the watch cache and compares it with its fingerprint from
 * publication; a change aborts the server (the e2e suite sets it, so a
 * request path or controller that writes into a published object fails the
 * run). Without it the check costs one branch. */
#ifndef CKUBE_PUBLISHED_CHECK_H
#define CKUBE_PUBLISHED_CHECK_H
#include "watch_cache.h"

/* After a request: checks every published object of c when the test mode is
 * on; logs each changed one and aborts when any changed. */
void published_check_after_request(cache *c);

#endif
