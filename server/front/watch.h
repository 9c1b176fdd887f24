/* watch.h - WATCH over HTTP: a chunked stream of {"type","object"} events
 * (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) from the watch cache, starting
 * from a resourceVersion inside the event window (older ones get an ERROR
 * event with a 410 Expired Status, as kube-apiserver sends), filtered by
 * namespace and selectors, with timeoutSeconds and Table output for
 * `kubectl get -w`. Holds one server thread per open watch. */
#ifndef CKUBE_WATCH_H
#define CKUBE_WATCH_H
#include "http.h"

void watch_serve(http_req *rq);

/* Ends every open watch (shutdown). */
void watch_stop_all(void);

#endif
