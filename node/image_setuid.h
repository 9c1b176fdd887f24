/* image_setuid.h - setuid programs of registry-less images (the image table's
 * `setuid-builtin:NAME`, e2e-test-images/nonewprivs): a root-owned copy of
 * ckube-node with the setuid bit, kept in the data directory and bound at the
 * image's path, whose `--builtin nonewprivs` reports its effective uid as the
 * image's nnp does. Any other use of the copy gives up the privilege first. */
#ifndef CKUBE_IMAGE_SETUID_H
#define CKUBE_IMAGE_SETUID_H
#include <stddef.h>

/* DATA_DIR/setuid/ckube-node made from self (copied when missing or of another size or age, root-owned, mode
 * 04755); its path in out, or -1 when it cannot be made (not root). Safe from several threads. */
int image_setuid_copy(const char *data_dir, const char *self, char *out, size_t len);

/* First thing in main: a process running setuid (real and effective ids differ) keeps its privilege only for
 * `--builtin nonewprivs`; otherwise it becomes its real user, or exits when it cannot. */
void image_setuid_guard(int argc, char **argv);

/* `--builtin nonewprivs`: prints "Effective uid: N" (the nnp program of Kubernetes' test image). */
int image_setuid_nonewprivs(void);

#endif
