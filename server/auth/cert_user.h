/* cert_user.h - the user a verified client certificate names, as
 * kube-apiserver's x509 authenticator maps it: the subject's CommonName is
 * the user name, each Organization a group, plus system:authenticated. */
#ifndef CKUBE_CERT_USER_H
#define CKUBE_CERT_USER_H
#include <jansson.h>

/* UserInfo {"username","groups"} for an OpenSSL X509 *, or NULL when it
 * names no user (no CommonName, or one that is not UTF-8): not authenticated,
 * as kube-apiserver refuses a certificate without a CommonName. */
json_t *cert_user_from_x509(const void *x509);

#endif
