/* cert_user.c - see cert_user.h. Values are taken with their exact length
 * (an embedded NUL or bytes that are not UTF-8 make the name unusable
 * rather than cut or mangled); groups that are not UTF-8 are left out. */
#include "cert_user.h"
#include <openssl/x509.h>
#include <string.h>

json_t *cert_user_from_x509(const void *x509) {
  X509_NAME *subj = x509 ? X509_get_subject_name((const X509 *)x509) : NULL;
  if (!subj) return NULL;
  json_t *groups = json_array(), *cn = NULL;
  for (int i = 0; i < X509_NAME_entry_count(subj); i++) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
    const char *p = (const char *)ASN1_STRING_get0_data(d);
    size_t n = (size_t)ASN1_STRING_length(d);
    if (nid != NID_commonName && nid != NID_organizationName) continue;
    json_t *v = memchr(p, 0, n) ? NULL : json_stringn(p, n); /* NULL: not UTF-8 */
    if (nid == NID_commonName) {
      json_decref(cn);
      cn = v;
    } else if (v) {
      json_array_append_new(groups, v);
    }
  }
  if (!cn || !json_string_length(cn)) {
    json_decref(cn);
    json_decref(groups);
    return NULL;
  }
  json_array_append_new(groups, json_string("system:authenticated"));
  return json_pack("{s:o,s:o}", "username", cn, "groups", groups);
}
