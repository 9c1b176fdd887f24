/* builtin_http.h - the programs behind images that serve HTTP and have no
 * binary on this machine, run as `ckube-node --builtin NAME --pod-ip IP`:
 * echo-hname (sysnet4admin/echo-hname: answers the pod's hostname), nginx
 * and httpd (their default page, or files from a document root),
 * audit-trail (sysnet4admin/audit-trail: answers the pod's name and address
 * and logs each request under /audit) and liveness (k8s.gcr.io/liveness:
 * /healthz healthy for ten seconds, on port 8080), update-demo PICTURE (the
 * kubectl Update Demo's nautilus and kitten images: /data.json is
 * {"image": "PICTURE.jpg"}). They listen on the pod's
 * address, port 80 (or --port). */
#ifndef CKUBE_BUILTIN_HTTP_H
#define CKUBE_BUILTIN_HTTP_H

#include <stdbool.h>

/* The document root and default page of builtin web server name (httpd,
 * nginx); false for the others. */
bool builtin_http_docroot(const char *name, const char **root, const char **page);
/* Runs builtin program argv[0] (argv after "--builtin"); returns the exit code. */
int builtin_main(int argc, char **argv);

#endif
