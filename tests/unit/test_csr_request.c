/* test_csr_request.c - what the CSR defaults and the approver/signer read
 * from a request (requests made with openssl): the kubelet client subject,
 * SANs of a serving request, another user's subject, the usage sets, and
 * garbage refused. */
#include "test.h"
#include "csr_request.h"
#include <jansson.h>

static const char kubelet_client[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIcU1JR1NBZ0VBTURBeEZUQVRCZ05WQkFvTURITjVjM1JsYlRw"
    "dWIyUmxjekVYTUJVR0ExVUVBd3dPYzNsegpkR1Z0T201dlpHVTZiakV3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNB"
    "QVJPSDVaSExZeWpQRmoyCjF1WVBZQzBtNUFkQ3JWcHEzUEJkV1RoRFRleDNwTm9ma2lNRzJlek5kWkhod2o2SHZPVWEwTFAydklR"
    "Qm1BZlYKYmt1dFczWFhvQUF3Q2dZSUtvWkl6ajBFQXdJRFJ3QXdSQUlnYTB0Mk45V0hQRGxmRVdQQ1dTWFliVXJSdTd5TgpSR1k4"
    "dVRhZ0FxN3VIS29DSUJRbUpwTmRtSmVMZGU3T0QvZUFac2RMa0dUV3NlQ1RTTE5vZTE4VWducWoKLS0tLS1FTkQgQ0VSVElGSUNB"
    "VEUgUkVRVUVTVC0tLS0tCg==";
static const char kubelet_serving[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQkVEQ0J1QUlCQURBd01SVXdFd1lEVlFRS0RBeHplWE4wWlcw"
    "NmJtOWtaWE14RnpBVkJnTlZCQU1NRG5ONQpjM1JsYlRwdWIyUmxPbTR4TUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RR"
    "Z0FFVGgrV1J5Mk1venhZCjl0Ym1EMkF0SnVRSFFxMWFhdHp3WFZrNFEwM3NkNlRhSDVJakJ0bnN6WFdSNGNJK2g3emxHdEN6OXJ5"
    "RUFaZ0gKMVc1THJWdDExNkFtTUNRR0NTcUdTSWIzRFFFSkRqRVhNQlV3RXdZRFZSMFJCQXd3Q29JQ2JqR0hCSDhBQUFFdwpDZ1lJ"
    "S29aSXpqMEVBd0lEUndBd1JBSWdSTk0xdjJlUHdicHA2Q0QwZ0FRemVGYkhMbW1DM3Y5Tlg5NDZPbUdkClVXUUNJQWxFT2xLVE5Y"
    "anVrMlJZcnJPYnRGRFdueWtQUWVZYkFuNzF2T0E5UkczOAotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K";
static const char user_client[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIYU1JR0JBZ0VBTUI4eERUQUxCZ05WQkFvTUJHUmxkbk14RGpB"
    "TUJnTlZCQU1NQldGc2FXTmxNRmt3RXdZSApLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFVGgrV1J5Mk1venhZOXRibUQyQXRK"
    "dVFIUXExYWF0endYVms0ClEwM3NkNlRhSDVJakJ0bnN6WFdSNGNJK2g3emxHdEN6OXJ5RUFaZ0gxVzVMclZ0MTE2QUFNQW9HQ0Nx"
    "R1NNNDkKQkFNQ0EwZ0FNRVVDSUhVL3BCeCtEb2RycTg4OHRMRkwxTGpzM2R0M3ZLeFRQcVFaVHRpSkV0L2NBaUVBeVBxWQprVTdE"
    "VEFldVRDNHBHQWdEbG1scXpza1BNbnVWY0laNitreEhqc1E9Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo=";

static void test_subjects(void) {
  csr_facts f = {0};
  CHECK(csr_parse_request(kubelet_client, &f) == 0);
  CHECK(f.org_is_nodes && f.cn_is_node);
  CHECK_STR(f.cn, "system:node:n1");
  CHECK(f.dns == 0 && f.ip == 0);
  csr_facts s = {0};
  CHECK(csr_parse_request(kubelet_serving, &s) == 0);
  CHECK(s.dns == 1 && s.ip == 1 && s.org_is_nodes);
  csr_facts u = {0};
  CHECK(csr_parse_request(user_client, &u) == 0);
  CHECK(!u.org_is_nodes && !u.cn_is_node);
  CHECK_STR(u.cn, "alice");
  csr_facts g = {0};
  CHECK(csr_parse_request("bm90IGEgcmVxdWVzdA==", &g) == -1);
}

static void test_usages(void) {
  json_t *client = json_pack("[s,s,s]", "client auth", "digital signature", "key encipherment");
  json_t *two = json_pack("[s,s]", "digital signature", "client auth");
  json_t *extra = json_pack("[s,s,s,s]", "digital signature", "key encipherment", "client auth", "server auth");
  CHECK(csr_usages_are(client, "client auth"));
  CHECK(!csr_usages_are(client, "server auth"));
  CHECK(!csr_usages_are(two, "client auth"));
  CHECK(!csr_usages_are(extra, "client auth"));
  json_decref(client);
  json_decref(two);
  json_decref(extra);
}

TEST_MAIN(TEST(test_subjects), TEST(test_usages))
