/* webroot.h - the browser console's static files (webroot/), served on the
 * API's own origin without credentials: the files hold no cluster data, and
 * every API call the console makes carries the signed-in user's token. */
#ifndef CKUBE_WEBROOT_H
#define CKUBE_WEBROOT_H
#include <stdbool.h>
#include "http.h"

/* Chooses the console directory: dir when given, else the first of
 * <binary's dir>/webroot and <binary's dir>/../share/ckube/webroot holding an
 * index.html. Returns the directory (static storage) or NULL when none. */
const char *webroot_init(const char *dir);
/* Serves rq when its path is the console's (/ for a browser asking for HTML,
 * /index.html, /assets/..., /ui/...): true when a response was written and
 * rq->code set; false for every other path, which stays the API's. */
bool webroot_handle(http_req *rq);

#endif
