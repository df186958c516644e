#include "catalog.h"
#include "helm.h"
#include "objects.h"
#include "pod_logs.h"

#include <algorithm>
#include <cctype>

namespace ks = kinspect::sdk;

namespace kapi {
namespace {

using T = ks::Type;

struct Col {
  const char* name;
  T type;
  const char* doc;
  bool hidden = false;
};

ks::ColumnSpec col(const Col& c) { return ks::ColumnSpec{c.name, c.type, c.doc, c.hidden}; }

Resource make(const char* suffix, const char* group, const char* version, const char* kind, bool namespaced,
              std::initializer_list<Col> cols, const char* doc) {
  Resource r;
  r.table = std::string("k8s.") + suffix;
  r.group = group;
  r.version = version;
  r.resource = suffix;
  r.kind = kind;
  r.namespaced = namespaced;
  r.doc = doc;
  r.columns.push_back({"apiVersion", T::Text, "API group/version of the object, e.g. \"" + r.group_version() + "\""});
  r.columns.push_back({"kind", T::Text, std::string("Object kind, \"") + kind + "\""});
  r.columns.push_back({"metadata", T::Json, "ObjectMeta: name, namespace, uid, labels, annotations, ownerReferences, creationTimestamp, ..."});
  for (const auto& c : cols) r.columns.push_back(col(c));
  return r;
}

const Col kSpec{"spec", T::Json, "Desired state (the object's spec)"};
const Col kStatus{"status", T::Json, "Observed state (the object's status)"};

std::vector<Resource> build() {
  std::vector<Resource> v;
  auto add = [&](Resource r) { v.push_back(std::move(r)); };
  // core/v1
  add(make("nodes", "", "v1", "Node", false, {kSpec, kStatus}, "Nodes of the cluster (core/v1 Node)."));
  add(make("pods", "", "v1", "Pod", true, {kSpec, kStatus}, "Pods (core/v1 Pod)."));
  add(make("namespaces", "", "v1", "Namespace", false, {kSpec, kStatus}, "Namespaces (core/v1 Namespace)."));
  add(make("services", "", "v1", "Service", true, {kSpec, kStatus}, "Services (core/v1 Service)."));
  add(make("endpoints", "", "v1", "Endpoints", true,
           {{"subsets", T::Json, "Sets of addresses and ports (EndpointSubset list)"}},
           "Endpoints (core/v1 Endpoints)."));
  add(make("events", "", "v1", "Event", true,
           {{"involvedObject", T::Json, "The object this event is about"},
            {"reason", T::Text, "Short, machine-readable reason, e.g. BackOff"},
            {"message", T::Text, "Human-readable description"},
            {"type", T::Text, "Normal or Warning"},
            {"count", T::Integer, "How many times the event occurred"},
            {"firstTimestamp", T::Timestamp, "First time the event was recorded"},
            {"lastTimestamp", T::Timestamp, "Most recent time the event was recorded"},
            {"eventTime", T::Timestamp, "When the event was first observed (MicroTime)"},
            {"source", T::Json, "Component and host that reported it"},
            {"action", T::Text, "What action was taken/failed"},
            {"related", T::Json, "Optional secondary object"},
            {"reportingComponent", T::Text, "Controller that emitted the event"},
            {"reportingInstance", T::Text, "ID of the controller instance"},
            {"series", T::Json, "Data about an event series"}},
           "Events (core/v1 Event)."));
  add(make("configmaps", "", "v1", "ConfigMap", true,
           {{"data", T::Json, "Configuration data (string values)"},
            {"binaryData", T::Json, "Binary configuration data (base64)"},
            {"immutable", T::Boolean, "Whether the data can be updated"}},
           "ConfigMaps (core/v1 ConfigMap)."));
  add(make("secrets", "", "v1", "Secret", true,
           {{"type", T::Text, "Secret type, e.g. kubernetes.io/tls"},
            {"data", T::Json, "Keys of the secret; values are null unless include_secret_data is set", true},
            {"stringData", T::Json, "Write-only string data (keys only unless include_secret_data)", true},
            {"immutable", T::Boolean, "Whether the data can be updated"}},
           "Secrets (core/v1 Secret). Values are withheld (null) unless include_secret_data=true."));
  add(make("serviceaccounts", "", "v1", "ServiceAccount", true,
           {{"secrets", T::Json, "Secrets this service account may use"},
            {"imagePullSecrets", T::Json, "Image pull secrets"},
            {"automountServiceAccountToken", T::Boolean, "Whether pods mount the token by default"}},
           "ServiceAccounts (core/v1 ServiceAccount)."));
  add(make("persistentvolumes", "", "v1", "PersistentVolume", false, {kSpec, kStatus},
           "PersistentVolumes (core/v1)."));
  add(make("persistentvolumeclaims", "", "v1", "PersistentVolumeClaim", true, {kSpec, kStatus},
           "PersistentVolumeClaims (core/v1)."));
  add(make("replicationcontrollers", "", "v1", "ReplicationController", true, {kSpec, kStatus},
           "ReplicationControllers (core/v1)."));
  add(make("resourcequotas", "", "v1", "ResourceQuota", true, {kSpec, kStatus}, "ResourceQuotas (core/v1)."));
  add(make("limitranges", "", "v1", "LimitRange", true, {kSpec}, "LimitRanges (core/v1)."));
  add(make("podtemplates", "", "v1", "PodTemplate", true, {{"template", T::Json, "Pod template"}},
           "PodTemplates (core/v1)."));
  add(make("componentstatuses", "", "v1", "ComponentStatus", false,
           {{"conditions", T::Json, "Health conditions of the component"}},
           "ComponentStatuses (core/v1, deprecated since 1.19)."));
  // apps/v1
  add(make("deployments", "apps", "v1", "Deployment", true, {kSpec, kStatus}, "Deployments (apps/v1)."));
  add(make("daemonsets", "apps", "v1", "DaemonSet", true, {kSpec, kStatus}, "DaemonSets (apps/v1)."));
  add(make("statefulsets", "apps", "v1", "StatefulSet", true, {kSpec, kStatus}, "StatefulSets (apps/v1)."));
  add(make("replicasets", "apps", "v1", "ReplicaSet", true, {kSpec, kStatus}, "ReplicaSets (apps/v1)."));
  add(make("controllerrevisions", "apps", "v1", "ControllerRevision", true,
           {{"data", T::Json, "Serialized state"}, {"revision", T::Integer, "Revision number"}},
           "ControllerRevisions (apps/v1)."));
  // batch/v1
  add(make("jobs", "batch", "v1", "Job", true, {kSpec, kStatus}, "Jobs (batch/v1)."));
  add(make("cronjobs", "batch", "v1", "CronJob", true, {kSpec, kStatus}, "CronJobs (batch/v1)."));
  // discovery
  add(make("endpointslices", "discovery.k8s.io", "v1", "EndpointSlice", true,
           {{"addressType", T::Text, "IPv4, IPv6 or FQDN"},
            {"endpoints", T::Json, "The endpoints of the slice"},
            {"ports", T::Json, "Ports exposed by the endpoints"}},
           "EndpointSlices (discovery.k8s.io/v1)."));
  // policy
  add(make("poddisruptionbudgets", "policy", "v1", "PodDisruptionBudget", true, {kSpec, kStatus},
           "PodDisruptionBudgets (policy/v1)."));
  // networking
  add(make("ingresses", "networking.k8s.io", "v1", "Ingress", true, {kSpec, kStatus},
           "Ingresses (networking.k8s.io/v1)."));
  add(make("ingressclasses", "networking.k8s.io", "v1", "IngressClass", false, {kSpec},
           "IngressClasses (networking.k8s.io/v1)."));
  add(make("networkpolicies", "networking.k8s.io", "v1", "NetworkPolicy", true, {kSpec},
           "NetworkPolicies (networking.k8s.io/v1)."));
  // storage
  add(make("storageclasses", "storage.k8s.io", "v1", "StorageClass", false,
           {{"provisioner", T::Text, "Volume plugin that provisions volumes"},
            {"parameters", T::Json, "Provisioner parameters"},
            {"reclaimPolicy", T::Text, "Delete or Retain"},
            {"mountOptions", T::Json, "Mount options of provisioned volumes"},
            {"allowVolumeExpansion", T::Boolean, "Whether volumes can be expanded"},
            {"volumeBindingMode", T::Text, "Immediate or WaitForFirstConsumer"},
            {"allowedTopologies", T::Json, "Topologies where volumes may be provisioned"}},
           "StorageClasses (storage.k8s.io/v1)."));
  add(make("volumeattachments", "storage.k8s.io", "v1", "VolumeAttachment", false, {kSpec, kStatus},
           "VolumeAttachments (storage.k8s.io/v1)."));
  add(make("csidrivers", "storage.k8s.io", "v1", "CSIDriver", false, {kSpec}, "CSIDrivers (storage.k8s.io/v1)."));
  add(make("csinodes", "storage.k8s.io", "v1", "CSINode", false, {kSpec}, "CSINodes (storage.k8s.io/v1)."));
  add(make("csistoragecapacities", "storage.k8s.io", "v1", "CSIStorageCapacity", true,
           {{"nodeTopology", T::Json, "Topology the capacity applies to"},
            {"storageClassName", T::Text, "StorageClass"},
            {"capacity", T::Text, "Available capacity"},
            {"maximumVolumeSize", T::Text, "Largest volume that can be created"}},
           "CSIStorageCapacities (storage.k8s.io/v1)."));
  // admission
  add(make("validatingwebhookconfigurations", "admissionregistration.k8s.io", "v1",
           "ValidatingWebhookConfiguration", false, {{"webhooks", T::Json, "The webhooks"}},
           "ValidatingWebhookConfigurations (admissionregistration.k8s.io/v1)."));
  add(make("mutatingwebhookconfigurations", "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
           false, {{"webhooks", T::Json, "The webhooks"}},
           "MutatingWebhookConfigurations (admissionregistration.k8s.io/v1)."));
  add(make("validatingadmissionpolicies", "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", false,
           {kSpec, kStatus}, "ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1, 1.30+)."));
  add(make("validatingadmissionpolicybindings", "admissionregistration.k8s.io", "v1",
           "ValidatingAdmissionPolicyBinding", false, {kSpec},
           "ValidatingAdmissionPolicyBindings (admissionregistration.k8s.io/v1, 1.30+)."));
  // apiregistration / apiextensions
  add(make("apiservices", "apiregistration.k8s.io", "v1", "APIService", false, {kSpec, kStatus},
           "APIServices (apiregistration.k8s.io/v1): aggregated APIs and their availability."));
  add(make("customresourcedefinitions", "apiextensions.k8s.io", "v1", "CustomResourceDefinition", false,
           {kSpec, kStatus}, "CustomResourceDefinitions (apiextensions.k8s.io/v1)."));
  // certificates / coordination / scheduling / node
  add(make("certificatesigningrequests", "certificates.k8s.io", "v1", "CertificateSigningRequest", false,
           {kSpec, kStatus}, "CertificateSigningRequests (certificates.k8s.io/v1)."));
  add(make("leases", "coordination.k8s.io", "v1", "Lease", true, {kSpec}, "Leases (coordination.k8s.io/v1)."));
  add(make("priorityclasses", "scheduling.k8s.io", "v1", "PriorityClass", false,
           {{"value", T::Integer, "Priority value"},
            {"globalDefault", T::Boolean, "Whether this is the default priority class"},
            {"description", T::Text, "Description"},
            {"preemptionPolicy", T::Text, "Never or PreemptLowerPriority"}},
           "PriorityClasses (scheduling.k8s.io/v1)."));
  add(make("runtimeclasses", "node.k8s.io", "v1", "RuntimeClass", false,
           {{"handler", T::Text, "CRI handler"},
            {"overhead", T::Json, "Pod overhead"},
            {"scheduling", T::Json, "Scheduling constraints"}},
           "RuntimeClasses (node.k8s.io/v1)."));
  // autoscaling
  add(make("horizontalpodautoscalers", "autoscaling", "v2", "HorizontalPodAutoscaler", true, {kSpec, kStatus},
           "HorizontalPodAutoscalers (autoscaling/v2)."));
  // rbac
  add(make("clusterroles", "rbac.authorization.k8s.io", "v1", "ClusterRole", false,
           {{"rules", T::Json, "PolicyRules"}, {"aggregationRule", T::Json, "Aggregation selectors"}},
           "ClusterRoles (rbac.authorization.k8s.io/v1)."));
  add(make("clusterrolebindings", "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", false,
           {{"subjects", T::Json, "Users, groups and service accounts bound"},
            {"roleRef", T::Json, "The role bound"}},
           "ClusterRoleBindings (rbac.authorization.k8s.io/v1)."));
  add(make("roles", "rbac.authorization.k8s.io", "v1", "Role", true, {{"rules", T::Json, "PolicyRules"}},
           "Roles (rbac.authorization.k8s.io/v1)."));
  add(make("rolebindings", "rbac.authorization.k8s.io", "v1", "RoleBinding", true,
           {{"subjects", T::Json, "Users, groups and service accounts bound"},
            {"roleRef", T::Json, "The role bound"}},
           "RoleBindings (rbac.authorization.k8s.io/v1)."));
  // flowcontrol
  add(make("flowschemas", "flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", false, {kSpec, kStatus},
           "FlowSchemas (flowcontrol.apiserver.k8s.io/v1, API priority and fairness)."));
  add(make("prioritylevelconfigurations", "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", false,
           {kSpec, kStatus}, "PriorityLevelConfigurations (flowcontrol.apiserver.k8s.io/v1)."));
  // metrics.k8s.io (metrics-server): its plurals are "nodes" and "pods",
  // so the tables are named for the kinds.
  Resource nm = make("nodes", "metrics.k8s.io", "v1beta1", "NodeMetrics", false,
                     {{"timestamp", T::Text, "When the usage was measured"},
                      {"window", T::Text, "Over how long, e.g. \"20.05s\""},
                      {"usage", T::Json, "cpu and memory in use, as quantities"}},
                     "Node usage from the resource metrics API (metrics.k8s.io/v1beta1 NodeMetrics, served by "
                     "metrics-server; not served without it).");
  nm.table = "k8s.node_metrics";
  add(std::move(nm));
  Resource pm = make("pods", "metrics.k8s.io", "v1beta1", "PodMetrics", true,
                     {{"timestamp", T::Text, "When the usage was measured"},
                      {"window", T::Text, "Over how long"},
                      {"containers", T::Json, "Each container's name and usage (cpu, memory)"}},
                     "Pod usage from the resource metrics API (metrics.k8s.io/v1beta1 PodMetrics, served by "
                     "metrics-server; not served without it).");
  pm.table = "k8s.pod_metrics";
  add(std::move(pm));
  return v;
}

}  // namespace

std::string Resource::list_path(std::string_view ns) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) {
    p += "/namespaces/";
    p += ns;
  }
  p += "/";
  p += resource;
  return p;
}

const std::vector<Resource>& well_known() {
  static const std::vector<Resource> v = build();
  return v;
}

const Resource* find_by_table(std::string_view table) {
  for (const auto& r : well_known())
    if (r.table == table) return &r;
  return nullptr;
}

const Resource* find_by_resource(std::string_view group_version, std::string_view resource) {
  for (const auto& r : well_known())
    if (r.resource == resource && r.group_version() == group_version) return &r;
  return nullptr;
}

const Resource* find_by_kind(std::string_view kind) {
  for (const auto& r : well_known())
    if (r.kind == kind) return &r;
  return nullptr;
}

std::vector<ks::ColumnSpec> generic_columns() {
  return {{"apiVersion", T::Text, "API group/version"},
          {"kind", T::Text, "Object kind"},
          {"metadata", T::Json, "ObjectMeta"},
          {"spec", T::Json, "Desired state, when the kind has one"},
          {"status", T::Json, "Observed state, when the kind has one"},
          {"data", T::Json, "data field, when the kind has one"},
          {"type", T::Text, "type field, when the kind has one"},
          {"rules", T::Json, "rules field, when the kind has one"},
          {"subjects", T::Json, "subjects field, when the kind has one"},
          {"roleRef", T::Json, "roleRef field, when the kind has one"},
          {"webhooks", T::Json, "webhooks field, when the kind has one"}};
}

std::vector<ks::TableSpec> special_tables() {
  std::vector<ks::TableSpec> v;
  ks::TableSpec ver{"k8s.version",
                    "The API server's /version: one row.",
                    {{"major", T::Text, "Major version"},
                     {"minor", T::Text, "Minor version (may carry a '+')"},
                     {"gitVersion", T::Text, "e.g. v1.30.2"},
                     {"gitCommit", T::Text, ""},
                     {"gitTreeState", T::Text, ""},
                     {"buildDate", T::Text, ""},
                     {"goVersion", T::Text, ""},
                     {"compiler", T::Text, ""},
                     {"platform", T::Text, "e.g. linux/amd64"},
                     {"emulationMajor", T::Text, "1.33+"},
                     {"emulationMinor", T::Text, "1.33+"},
                     {"minCompatibilityMajor", T::Text, "1.33+"},
                     {"minCompatibilityMinor", T::Text, "1.33+"}},
                    {},
                    {"SELECT gitVersion FROM k8s.version"}};
  v.push_back(ver);
  for (const char* which : {"readyz", "livez"}) {
    ks::TableSpec t{std::string("k8s.") + which,
                    std::string("One row per check of /") + which + "?verbose ([+]name ok / [-]name failed).",
                    {{"name", T::Text, "Check name, e.g. etcd"},
                     {"ok", T::Boolean, "Whether the check passed"},
                     {"message", T::Text, "ok, or the failure reason"}},
                    {},
                    {std::string("SELECT name, message FROM k8s.") + which + " WHERE NOT ok"}};
    v.push_back(t);
  }
  ks::TableSpec dep{"k8s.deprecated_api_requests",
                    "The deprecated APIs that clients have called since the API server started: its "
                    "apiserver_requested_deprecated_apis gauge, read from GET /metrics (a nonResourceURL the role "
                    "must allow). One row per API and subresource; in a cluster with several API servers, the one "
                    "that answered.",
                    {{"group", T::Text, "API group, \"\" for core"},
                     {"version", T::Text, "e.g. v1beta1"},
                     {"group_version", T::Text, "group/version, e.g. flowcontrol.apiserver.k8s.io/v1beta3"},
                     {"resource", T::Text, "Plural resource, e.g. flowschemas"},
                     {"subresource", T::Text, "\"\" for the resource itself"},
                     {"removed_release", T::Text, "The release that removes it, e.g. 1.32"},
                     {"value", T::Real, "1 when it was requested"}},
                    {},
                    {"SELECT group_version, resource, removed_release FROM k8s.deprecated_api_requests"}};
  v.push_back(dep);
  ks::TableSpec ar{"k8s.api_resources",
                   "Resources the API server serves, from discovery (/api, /apis): like kubectl api-resources.",
                   {{"group", T::Text, "API group, \"\" for core"},
                    {"version", T::Text, "Version"},
                    {"groupVersion", T::Text, "group/version"},
                    {"resource", T::Text, "Plural resource name"},
                    {"singularName", T::Text, ""},
                    {"kind", T::Text, "Kind"},
                    {"namespaced", T::Boolean, ""},
                    {"verbs", T::Json, "Supported verbs"},
                    {"shortNames", T::Json, ""},
                    {"categories", T::Json, ""},
                    {"preferred", T::Boolean, "Whether this is the group's preferred version"}},
                   {},
                   {"SELECT groupVersion, resource FROM k8s.api_resources WHERE preferred"}};
  v.push_back(ar);
  ks::TableSpec res{"k8s.resource",
                    "Any resource, including custom resources: k8s.resource('group/version', 'plural').",
                    generic_columns(),
                    {{"group_version", T::Text, "e.g. \"v1\" or \"cert-manager.io/v1\"", true},
                     {"resource", T::Text, "Plural resource name, e.g. \"certificates\"", true}},
                    {"SELECT metadata.name FROM k8s.resource('cert-manager.io/v1', 'certificates')"}};
  res.doc += " Every top-level field of the objects is a column (r.spec, r.usage).";
  res.open_columns = true;
  v.push_back(res);
  v.push_back(objects_table());
  v.push_back(workloads_table());
  v.push_back(helm_release_objects_table());
  v.push_back(pod_logs_table());
  v.push_back(connection_table());
  return v;
}

// Here with the other tables' names and columns (pod_logs.cpp reads the
// rows), so the catalog links without the HTTP client.
ks::TableSpec pod_logs_table() {
  using T = ks::Type;
  return {"k8s.pod_logs",
          "The logs of the pods a label selector picks, one row per container, read through the pods/log "
          "subresource (GET; each log bounded by the pod_log_max_bytes setting, 16 MiB). Not in snapshots.",
          {{"namespace", T::Text, "The pod's namespace"},
           {"pod", T::Text, "The pod's name"},
           {"container", T::Text, "The container whose log this is"},
           {"node", T::Text, "spec.nodeName (NULL while unscheduled)"},
           {"phase", T::Text, "status.phase: Pending, Running, Succeeded, Failed, Unknown"},
           {"created", T::Text, "metadata.creationTimestamp"},
           {"log", T::Text, "The log text (NULL when it could not be read: see error)"},
           {"truncated", T::Boolean, "The log was longer than pod_log_max_bytes and was cut there"},
           {"error", T::Text, "Why the log could not be read, naming the pod and container (NULL when read)"}},
          {{"label_selector", T::Text, "Which pods, e.g. \"app=kube-bench\"", true},
           {"namespace", T::Text, "Only this namespace (default: every namespace)", false}},
          {"SELECT pod, node, phase, length(log) FROM k8s.pod_logs('app=kube-bench')"}};
}

ks::TableSpec connection_table() {
  using T = ks::Type;
  return {"k8s.connection",
          "The API server address this driver talks to, as the kubeconfig's current context (or --context) or the "
          "in-cluster service account gives it: one row. No credential is ever in it (no token, key, certificate "
          "or password; a user:password in the URL is masked). From a snapshot: source 'snapshot', with the address "
          "the snapshot was taken through if it captured k8s.connection (kinspect snapshot --all, or --table "
          "k8s.connection), else NULL.",
          {{"source", T::Text, "kubeconfig, in-cluster or snapshot"},
           {"server", T::Text, "The server URL (https://host:port[/prefix]); NULL from a snapshot that did not capture it"},
           {"host", T::Text, "The URL's host: a name or an address (without [] for IPv6); NULL when the server is"},
           {"port", T::Integer, "The URL's port (443 when it names none); NULL when the server is"},
           {"context", T::Text, "The kubeconfig context used ('in-cluster' inside a pod); NULL when not known"},
           {"cluster", T::Text, "The context's cluster entry; NULL in a pod and when not known"},
           {"origin", T::Text, "Where the connection came from: the kubeconfig file(s) and context, the service "
                               "account folder, or the snapshot's path (and where the snapshot was taken through)"}},
          {},
          {"SELECT source, server, context, cluster FROM k8s.connection"}};
}

std::string guess_plural(std::string_view kind) {
  std::string s;
  for (char c : kind) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty()) return s;
  if (s == "endpoints") return s;
  auto ends = [&](std::string_view suf) { return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0; };
  if (ends("s") || ends("x") || ends("ch") || ends("sh")) return s + "es";
  if (ends("y") && s.size() > 1 && std::string_view("aeiou").find(s[s.size() - 2]) == std::string_view::npos)
    return s.substr(0, s.size() - 1) + "ies";
  return s + "s";
}

}  // namespace kapi
