/* builtin_docroot.h - the document root a web server image ships (httpd's
 * /usr/local/apache2/htdocs/index.html, nginx's /usr/share/nginx/html), made
 * inside the builtin server's container, private to it, as the image's own
 * files are: `kubectl exec -- mv .../index.html /tmp/` breaks that one pod's
 * page (the StatefulSet tests break readiness so), and its /tmp is private
 * too, as an image's is. */
#ifndef CKUBE_BUILTIN_DOCROOT_H
#define CKUBE_BUILTIN_DOCROOT_H
#include <stdbool.h>

/* When root does not exist: a mount namespace of the process's own (a slave
 * of the container's: nothing propagates out), an overlay on root's deepest
 * existing ancestor (unless something is mounted below it: a volume stays
 * visible) holding root/index.html = page, and a tmpfs on /tmp (unless a
 * volume is mounted there). True when root exists afterwards; false (the
 * caller serves its page itself) when it could not be made (not root, no
 * overlay). A root that exists (a volume, the host's files) is left alone. */
bool docroot_prepare(const char *root, const char *page);

#endif
