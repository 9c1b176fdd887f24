/* image_table.h - images without a registry: a table (node/images.conf, or
 * the operator's --image-table) maps image names to programs on this
 * machine, and a container's argv is made from it as a container runtime
 * makes it from the image's ENTRYPOINT and CMD and the pod's command and
 * args. A line is `IMAGE ENTRYPOINT PROGRAM [CMD...]`: IMAGE the repository
 * without registry and tag ("busybox", "sysnet4admin/echo-hname"),
 * ENTRYPOINT the path the image declares ("-" for none), PROGRAM an absolute
 * path, `applets:PATH` (a multi-call binary such as busybox: command words
 * resolve to its applets) or `builtin:NAME` (ckube-node's own
 * `--builtin NAME`), then the image's CMD words. ENTRYPOINT may list more
 * paths after commas ("/agnhost,/agnhost-2"): every path at which the image
 * holds PROGRAM, which the runtime binds there in the container's root;
 * a path written PATH=HOSTFILE is another file of the image, HOSTFILE bound
 * at PATH when this machine has it (agnhost's /localhost.crt).
 * `setuid-builtin:NAME` is `--builtin NAME` of a root-owned setuid copy of
 * ckube-node (image_setuid.h) held at the ENTRYPOINT paths, as an image's
 * setuid program is (e2e-test-images/nonewprivs). */
#ifndef CKUBE_IMAGE_TABLE_H
#define CKUBE_IMAGE_TABLE_H
#include <stddef.h>
#include <jansson.h>

typedef struct image_table image_table;

/* Parses the file; NULL with err (file:line: why) on failure. */
image_table *image_table_load(const char *path, char *err, size_t errlen);
/* Parses text (the same format); NULL with err. */
image_table *image_table_parse(const char *text, const char *origin, char *err, size_t errlen);
void image_table_free(image_table *t);

/* "docker.io/library/busybox:1.28" -> "busybox"; "k8s.gcr.io/e2e-test-images/agnhost:2.21@sha256:.." ->
 * "e2e-test-images/agnhost" (registry, tag and digest dropped). */
void image_repository(const char *image, char *out, size_t len);

typedef struct {
  char **argv;      /* NULL-terminated, malloc'd (image_argv_free) */
  const char *applets; /* the multi-call binary whose applets PATH must offer, or NULL */
  const char *program; /* a PROGRAM given as a host path, or NULL (owned by the table) */
  const char *const *image_paths; /* where the image holds program, and PATH=HOSTFILE files, NULL-terminated
                                     (owned by the table) */
  int setuid;          /* program is to be held there as a setuid-root copy (image_setuid.h) */
} image_argv;

#define SETUID_BUILTIN "setuid-builtin:" 

/* The argv for container (a v1 Container) of image: 0, or -1 when the image
 * is unknown and the container has no command (kubelet's ErrImagePull).
 * self: this ckube-node binary (for builtin programs). */
int image_table_argv(const image_table *t, const json_t *container, const char *self, image_argv *out);
void image_argv_free(image_argv *a);
/* For a container without a root of its own: an argv[0] naming one of the image's paths becomes program. */
void image_argv_on_host(image_argv *a);
/* True when the table knows the image. */
int image_table_knows(const image_table *t, const char *image);

#endif
