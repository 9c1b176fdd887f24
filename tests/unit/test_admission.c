/* test_admission.c - server/admission.c's table: its rows come in
 * kube-apiserver 1.20's plugin order (AllOrderedPlugins in
 * pkg/kubeapiserver/options/plugins.go, the plugins ckube has), webhooks and
 * ResourceQuota last, each name once. */
#include "test.h"
#include "admission.h"
#include <string.h>

/* kube-apiserver 1.20's AllOrderedPlugins, in order. */
static const char *const kube_order[] = {
    "AlwaysAdmit", "NamespaceAutoProvision", "NamespaceLifecycle", "NamespaceExists", "SecurityContextDeny",
    "LimitPodHardAntiAffinityTopology", "PodPreset", "LimitRanger", "ServiceAccount", "NodeRestriction",
    "TaintNodesByCondition", "AlwaysPullImages", "ImagePolicyWebhook", "PodSecurityPolicy", "PodNodeSelector",
    "Priority", "DefaultTolerationSeconds", "PodTolerationRestriction", "DenyEscalatingExec",
    "DenyExecOnPrivileged", "EventRateLimit", "ExtendedResourceToleration", "PersistentVolumeLabel",
    "DefaultStorageClass", "StorageObjectInUseProtection", "OwnerReferencesPermissionEnforcement",
    "PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval", "CertificateSigning",
    "CertificateSubjectRestriction", "DefaultIngressClass", "MutatingAdmissionWebhook",
    "ValidatingAdmissionWebhook", "ResourceQuota", "AlwaysDeny", NULL};

static int kube_index(const char *name) {
  for (int i = 0; kube_order[i]; i++)
    if (!strcmp(kube_order[i], name)) return i;
  return -1;
}

static void test_order(void) {
  int last = -1;
  size_t n = 0;
  for (const char *name; (name = admission_plugin_name(n)); n++) {
    int at = kube_index(name);
    CHECK(at >= 0);   /* a plugin kube-apiserver 1.20 has */
    CHECK(at > last); /* after the row before it */
    last = at;
  }
  CHECK(n >= 9);
  CHECK_STR(admission_plugin_name(0), "NamespaceLifecycle");
  CHECK_STR(admission_plugin_name(n - 1), "ResourceQuota");
  CHECK(admission_plugin_name(n) == NULL);
}

TEST_MAIN(TEST(test_order))
