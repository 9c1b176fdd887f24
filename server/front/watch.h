/* watch.h - WATCH over HTTP: a chunked stream of {"type","object"} events
 * (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) from the watch cache, starting
 * from a resourceVersion inside the event window (older ones get an ERROR
 * event with a 410 Expired Status, as kube-apiserver sends), filtered by
 * namespace and selectors, with timeoutSeconds and Table output for
 * `kubectl get -w`. An open watch holds no server thread: after its initial
 * events it is served by the event loop of watch_loop.h (the response says
 * Connection: close, the stream's end closes the connection). */
#ifndef CKUBE_WATCH_H
#define CKUBE_WATCH_H
#include "http.h"

void watch_serve(http_req *rq);

/* Starts the watch event loop over c; 0, or -1 when it cannot. */
int watch_start(cache *c);

/* Ends every open watch (shutdown). */
void watch_stop_all(void);

#endif
