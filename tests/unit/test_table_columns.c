/* test_table_columns.c - the built-in kinds' Table column definitions, which
 * the build generates from kube-apiserver 1.20's printers.go
 * (api-spec/table_columns.py), say what Kubernetes says: every served
 * resource with a printer has a Name column and an Age column (when it has
 * one) carrying ObjectMeta's swagger.json descriptions, and the columns
 * printers.go documents with a served type's SwaggerDoc carry exactly that
 * property's description from swagger.json (spot checks of Pod, Service,
 * Node, Deployment, Event, ...). */
#include "apispec.h"
#include "table.h"
#include "test.h"

#include <string.h>

static json_t *definitions, *registry;

static json_t *load(const char *name) {
  apispec_blob b = apispec_get(name);
  json_error_t err;
  json_t *j = b.data ? json_loadb((const char *)b.data, b.len, 0, &err) : NULL;
  if (!j) fprintf(stderr, "%s: cannot load\n", name);
  return j;
}

/* definitions[def].properties[prop].description, NULL when absent. */
static const char *swagger_description(const char *def, const char *prop) {
  const json_t *p = json_object_get(json_object_get(json_object_get(definitions, def), "properties"), prop);
  return json_string_value(json_object_get(p, "description"));
}

static const char *meta_description(const char *prop) {
  return swagger_description("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", prop);
}

/* The column named name in group/plural's Table columns (borrowed from cols). */
static const json_t *column(const json_t *cols, const char *name) {
  size_t i;
  const json_t *c;
  json_array_foreach(cols, i, c) if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0) return c;
  return NULL;
}

static const char *field(const json_t *c, const char *key) {
  return json_string_value(json_object_get(c, key));
}

/* Every served resource: a printer's Name column is ObjectMeta's name and its
 * Age column, when it has one (events, component statuses and CSI storage
 * capacities do not), ObjectMeta's creationTimestamp; resources without a
 * printer get the default convertor's Name and Created At with the same texts. */
static void test_every_resource_name_and_age(void) {
  const json_t *resources = json_object_get(registry, "resources");
  CHECK(json_array_size(resources) > 50);
  size_t i, printers = 0;
  const json_t *r;
  json_array_foreach(resources, i, r) {
    const char *group = field(r, "group"), *plural = field(r, "plural");
    json_t *cols = table_columns(group, plural);
    const json_t *name = column(cols, "Name"), *age = column(cols, "Age"), *created = column(cols, "Created At");
    if (!name) fprintf(stderr, "%s/%s has no Name column\n", group, plural);
    CHECK(name != NULL);
    CHECK_STR(field(name, "format"), "name");
    CHECK_STR(field(name, "description"), meta_description("name"));
    if (age) CHECK_STR(field(age, "description"), meta_description("creationTimestamp"));
    if (created) CHECK_STR(field(created, "description"), meta_description("creationTimestamp"));
    if (!created) printers++;
    size_t k;
    const json_t *c;
    json_array_foreach(cols, k, c) {
      CHECK(*field(c, "name") != '\0');
      CHECK(strcmp(field(c, "type"), "string") == 0 || strcmp(field(c, "type"), "integer") == 0 ||
            strcmp(field(c, "type"), "boolean") == 0 || strcmp(field(c, "type"), "date") == 0);
    }
    json_decref(cols);
  }
  CHECK(printers > 40);
}

/* Columns whose printers.go description is a served type's SwaggerDoc. */
static void test_swagger_descriptions(void) {
  static const struct { const char *group, *plural, *column, *def, *prop; } cases[] = {
      {"", "pods", "IP", "io.k8s.api.core.v1.PodStatus", "podIP"},
      {"", "pods", "Node", "io.k8s.api.core.v1.PodSpec", "nodeName"},
      {"", "pods", "Nominated Node", "io.k8s.api.core.v1.PodStatus", "nominatedNodeName"},
      {"", "pods", "Readiness Gates", "io.k8s.api.core.v1.PodSpec", "readinessGates"},
      {"", "services", "Type", "io.k8s.api.core.v1.ServiceSpec", "type"},
      {"", "services", "Cluster-IP", "io.k8s.api.core.v1.ServiceSpec", "clusterIP"},
      {"", "services", "External-IP", "io.k8s.api.core.v1.ServiceSpec", "externalIPs"},
      {"", "services", "Port(s)", "io.k8s.api.core.v1.ServiceSpec", "ports"},
      {"", "services", "Selector", "io.k8s.api.core.v1.ServiceSpec", "selector"},
      {"", "nodes", "Version", "io.k8s.api.core.v1.NodeSystemInfo", "kubeletVersion"},
      {"", "nodes", "Internal-IP", "io.k8s.api.core.v1.NodeStatus", "addresses"},
      {"", "nodes", "OS-Image", "io.k8s.api.core.v1.NodeSystemInfo", "osImage"},
      {"", "nodes", "Container-Runtime", "io.k8s.api.core.v1.NodeSystemInfo", "containerRuntimeVersion"},
      {"", "replicationcontrollers", "Selector", "io.k8s.api.core.v1.ReplicationControllerSpec", "selector"},
      {"", "endpoints", "Endpoints", "io.k8s.api.core.v1.Endpoints", "subsets"},
      {"", "events", "Subobject", "io.k8s.api.core.v1.ObjectReference", "fieldPath"},
      {"", "events", "Count", "io.k8s.api.core.v1.Event", "count"},
      {"", "secrets", "Type", "io.k8s.api.core.v1.Secret", "type"},
      {"apps", "deployments", "Up-to-date", "io.k8s.api.apps.v1.DeploymentStatus", "updatedReplicas"},
      {"apps", "deployments", "Available", "io.k8s.api.apps.v1.DeploymentStatus", "availableReplicas"},
      {"batch", "jobs", "Completions", "io.k8s.api.batch.v1.JobStatus", "succeeded"},
      {"discovery.k8s.io", "endpointslices", "AddressType", "io.k8s.api.discovery.v1beta1.EndpointSlice", "addressType"},
      {"storage.k8s.io", "csidrivers", "PodInfoOnMount", "io.k8s.api.storage.v1.CSIDriverSpec", "podInfoOnMount"},
      {"flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", "HandSize",
       "io.k8s.api.flowcontrol.v1beta1.QueuingConfiguration", "handSize"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *cols = table_columns(cases[i].group, cases[i].plural);
    const json_t *c = column(cols, cases[i].column);
    const char *want = swagger_description(cases[i].def, cases[i].prop);
    if (!c || !want) fprintf(stderr, "%s/%s %s or %s.%s missing\n", cases[i].group, cases[i].plural,
                             cases[i].column, cases[i].def, cases[i].prop);
    CHECK(c != NULL && want != NULL && *want);
    CHECK_STR(field(c, "description"), want);
    json_decref(cols);
  }
}

/* Literal texts (printers.go's, kube-aggregator's) and printers.go's feature-gated columns (off in 1.20). */
static void test_literals_and_gates(void) {
  json_t *pods = table_columns("", "pods");
  CHECK_STR(field(column(pods, "Ready"), "description"), "The aggregate readiness state of this pod for accepting traffic.");
  json_decref(pods);
  json_t *apiservices = table_columns("apiregistration.k8s.io", "apiservices"); /* kube-aggregator's list */
  CHECK_STR(field(column(apiservices, "Available"), "description"), "Whether this service is available.");
  json_decref(apiservices);
  json_t *drivers = table_columns("storage.k8s.io", "csidrivers");
  CHECK(column(drivers, "StorageCapacity") == NULL);
  CHECK(column(drivers, "TokenRequests") == NULL);
  CHECK(column(drivers, "Modes") != NULL);
  json_decref(drivers);
  /* RuntimeClass's Handler column asks ObjectMeta for "handler", which it has not: "" as in Kubernetes. */
  json_t *rc = table_columns("node.k8s.io", "runtimeclasses");
  CHECK_STR(field(column(rc, "Handler"), "description"), "");
  json_decref(rc);
}

static void setup(void) {
  definitions = load("definitions.json");
  registry = load("registry.json");
  CHECK(definitions && registry);
}

TEST_MAIN(TEST(setup), TEST(test_every_resource_name_and_age), TEST(test_swagger_descriptions),
          TEST(test_literals_and_gates))
