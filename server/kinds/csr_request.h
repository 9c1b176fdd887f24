/* csr_request.h - what Kubernetes' certificates helpers look at in a
 * CertificateSigningRequest's PEM request (implemented in kinds_csr.c; used
 * by the defaults there and the CSR approver/signer controller). */
#ifndef CKUBE_CSR_REQUEST_H
#define CKUBE_CSR_REQUEST_H
#include <stdbool.h>
#include <jansson.h>

typedef struct {
  bool org_is_nodes; /* Subject.Organization == ["system:nodes"] */
  bool cn_is_node;   /* Subject.CommonName starts with system:node: */
  char cn[256];      /* Subject.CommonName (the last one, as Go keeps) */
  int dns, ip, email, uri;
} csr_facts;

/* Parses the base64 PEM of spec.request as certificates.ParseCSR does: the
 * first PEM block must be a CERTIFICATE REQUEST. 0, or -1 when it is not. */
int csr_parse_request(const char *b64, csr_facts *f);
/* usages, as a set, equals {digital signature, key encipherment, third}. */
bool csr_usages_are(const json_t *usages, const char *third);

#endif
