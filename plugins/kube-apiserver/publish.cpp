#include "publish.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace kapi {

namespace json = boost::json;

namespace {

// The kinds the catalog's checks name their objects by (OBJECT "kind/..."),
// with what an Event's involvedObject needs. A kind not here gets no Event:
// guessing an apiVersion would point the Event at nothing.
struct KnownKind {
  const char* object_kind;  // as findings write it
  const char* api_version;
  const char* kind;
  const char* resource;
  bool namespaced;
};
constexpr std::array<KnownKind, 33> kKinds{{
    {"pod", "v1", "Pod", "pods", true},
    {"node", "v1", "Node", "nodes", false},
    {"namespace", "v1", "Namespace", "namespaces", false},
    {"service", "v1", "Service", "services", true},
    {"endpoints", "v1", "Endpoints", "endpoints", true},
    {"configmap", "v1", "ConfigMap", "configmaps", true},
    {"secret", "v1", "Secret", "secrets", true},
    {"serviceaccount", "v1", "ServiceAccount", "serviceaccounts", true},
    {"persistentvolume", "v1", "PersistentVolume", "persistentvolumes", false},
    {"persistentvolumeclaim", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true},
    {"replicationcontroller", "v1", "ReplicationController", "replicationcontrollers", true},
    {"deployment", "apps/v1", "Deployment", "deployments", true},
    {"daemonset", "apps/v1", "DaemonSet", "daemonsets", true},
    {"statefulset", "apps/v1", "StatefulSet", "statefulsets", true},
    {"replicaset", "apps/v1", "ReplicaSet", "replicasets", true},
    {"job", "batch/v1", "Job", "jobs", true},
    {"cronjob", "batch/v1", "CronJob", "cronjobs", true},
    {"ingress", "networking.k8s.io/v1", "Ingress", "ingresses", true},
    {"networkpolicy", "networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", true},
    {"poddisruptionbudget", "policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", true},
    {"horizontalpodautoscaler", "autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true},
    {"role", "rbac.authorization.k8s.io/v1", "Role", "roles", true},
    {"rolebinding", "rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true},
    {"clusterrole", "rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false},
    {"clusterrolebinding", "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false},
    {"storageclass", "storage.k8s.io/v1", "StorageClass", "storageclasses", false},
    {"volumeattachment", "storage.k8s.io/v1", "VolumeAttachment", "volumeattachments", false},
    {"validatingwebhookconfiguration", "admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
     "validatingwebhookconfigurations", false},
    {"mutatingwebhookconfiguration", "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration",
     "mutatingwebhookconfigurations", false},
    {"apiservice", "apiregistration.k8s.io/v1", "APIService", "apiservices", false},
    {"certificatesigningrequest", "certificates.k8s.io/v1", "CertificateSigningRequest",
     "certificatesigningrequests", false},
    {"lease", "coordination.k8s.io/v1", "Lease", "leases", true},
    {"priorityclass", "scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", false},
}};

std::vector<std::string_view> split_slash(std::string_view s) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t slash = s.find('/', start);
    parts.push_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

std::string text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int severity_rank(const std::string& s) { return s == "critical" ? 0 : s == "warning" ? 1 : 2; }

// A stable short hash (FNV-1a), so one finding keeps one Event name across
// runs and daemon restarts: the Event is updated (count, lastTimestamp)
// rather than a new one created each run, as the kubelet deduplicates.
std::string stable_hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 12; ++i) out += hex[(h >> (4 * i)) & 15];
  return out;
}

// Cut at a character boundary, never inside a UTF-8 sequence.
std::string clip(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max - 3;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "...";
}

// Why a write answered `status` failed, in words an operator can act on.
std::string write_error(int status, const std::string& body, const std::string& what) {
  std::string reason;
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) reason = text(v.as_object(), "message");
  std::string s = what + ": HTTP " + std::to_string(status) + (reason.empty() ? "" : " (" + reason + ")");
  if (status == 403) s += "; deploy/rbac-write-back.yaml grants what write-back needs";
  return s;
}

class Publisher {
 public:
  Publisher(ApiClient& client, const PublishOptions& o, std::string now, const OutcomeFn& out,
            const std::function<bool()>& cancelled)
      : client_(client), o_(o), now_(std::move(now)), out_(out), cancelled_(cancelled) {}

  void events(const std::vector<const json::object*>& findings) {
    size_t written = 0;
    for (const json::object* f : findings) {
      std::string object = text(*f, "object");
      auto ref = object_ref(object);
      if (!ref) continue;  // not a Kubernetes object: nothing to attach an Event to
      if (std::string why = stop_reason(written, forbidden_events_); !why.empty()) {
        out_({object, "event", "skipped", why});
        continue;
      }
      ++written;
      event(*f, object, *ref);
    }
  }

  void conditions(const std::vector<const json::object*>& findings, const json::array* resolved) {
    std::map<std::string, std::vector<const json::object*>> by_node;  // in severity order already
    for (const json::object* f : findings)
      if (auto ref = object_ref(text(*f, "object")); ref && ref->kind == "Node") by_node[ref->name].push_back(f);
    size_t written = 0;
    for (const auto& [node, list] : by_node) {
      if (std::string why = stop_reason(written, forbidden_conditions_); !why.empty()) {
        out_({"node/" + node, "condition", "skipped", why});
        continue;
      }
      ++written;
      condition(node, &list);
    }
    if (!resolved) return;
    for (const json::value& v : *resolved) {
      auto ref = v.is_string() ? object_ref(v.as_string()) : std::nullopt;
      if (!ref || ref->kind != "Node" || by_node.count(ref->name)) continue;
      if (std::string why = stop_reason(written, forbidden_conditions_); !why.empty()) {
        out_({"node/" + ref->name, "condition", "skipped", why});
        continue;
      }
      ++written;
      condition(ref->name, nullptr);
    }
  }

 private:
  std::string stop_reason(size_t written, bool forbidden) const {
    if (cancelled_ && cancelled_()) return "cancelled";
    if (forbidden) return "the server forbade an earlier write of this kind";
    if (written >= o_.max_writes) return "over max_writes (" + std::to_string(o_.max_writes) + ") for this report";
    return {};
  }

  json::object event_body(const json::object& f, const ObjectRef& ref, const std::string& name,
                          const std::string& ns) const {
    const std::string check = text(f, "check_id"), severity = text(f, "severity");
    json::object involved{{"apiVersion", ref.api_version}, {"kind", ref.kind}, {"name", ref.name}};
    if (!ref.ns.empty()) involved["namespace"] = ref.ns;
    return json::object{
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata",
         json::object{{"name", name},
                      {"namespace", ns},
                      {"labels", json::object{{"app.kubernetes.io/managed-by", o_.component}}},
                      {"annotations", json::object{{"kinspect.io/check", check}}}}},
        {"involvedObject", std::move(involved)},
        {"reason", clip(event_reason(check), 128)},
        {"message", clip(text(f, "message") + " [" + o_.component + " " + check + ", " + severity + "]", 1024)},
        {"type", severity == "info" ? "Normal" : "Warning"},
        {"source", json::object{{"component", o_.component}}},
        {"reportingComponent", o_.component},
        {"reportingInstance", o_.component},
        {"firstTimestamp", now_},
        {"lastTimestamp", now_},
        {"count", 1}};
  }

  // Creates the finding's Event, or, when it exists from an earlier run,
  // counts it again.
  void event(const json::object& f, const std::string& object, const ObjectRef& ref) {
    const std::string ns = ref.ns.empty() ? "default" : ref.ns;  // where the kubelet puts Node events
    const std::string name = clip(ref.name, 200) + ".kinspect." + stable_hash(text(f, "check_id") + "\n" + object);
    const std::string events = "/api/v1/namespaces/" + ns + "/events";
    json::object body = event_body(f, ref, name, ns);
    try {
      auto created = client_.write("POST", events, json::serialize(body), "application/json");
      if (created.status == 201 || created.status == 200) return out_({object, "event", "created", ""});
      if (created.status != 409) return failed(object, "event", created, "POST " + events);
      auto current = client_.get_all(events + "/" + name);
      json::error_code ec;
      json::value cur = json::parse(current, ec);
      const json::value* count = !ec && cur.is_object() ? cur.as_object().if_contains("count") : nullptr;
      int64_t n = count && count->is_int64() ? count->as_int64() : 1;
      json::object patch{{"count", n + 1}, {"lastTimestamp", now_}, {"message", body["message"]},
                         {"type", body["type"]}};
      auto updated = client_.write("PATCH", events + "/" + name, json::serialize(patch), "application/merge-patch+json");
      if (updated.status == 200) return out_({object, "event", "updated", ""});
      failed(object, "event", updated, "PATCH " + events + "/" + name);
    } catch (const std::exception& e) {
      out_({object, "event", "failed", e.what()});
    }
  }

  // The node's condition: True with the checks that found problems, or
  // (findings == nullptr) False again. lastTransitionTime moves only when
  // the status changes, as the API's condition convention asks.
  void condition(const std::string& node, const std::vector<const json::object*>* findings) {
    const std::string object = "node/" + node, path = "/api/v1/nodes/" + node;
    try {
      std::string was = current_status(path);
      const std::string status = findings ? "True" : "False";
      if (!findings && was != "True") return;  // nothing of ours to clear
      json::object c{{"type", o_.condition_type}, {"status", status}, {"lastHeartbeatTime", now_}};
      if (was != status) c["lastTransitionTime"] = now_;
      if (findings) {
        c["reason"] = clip(event_reason(text(*findings->front(), "check_id")), 128);
        c["message"] = clip(summary(*findings), 1024);
      } else {
        c["reason"] = "NoProblems";
        c["message"] = o_.component + " found no problems on this node";
      }
      json::object patch{{"status", json::object{{"conditions", json::array{std::move(c)}}}}};
      auto r = client_.write("PATCH", path + "/status", json::serialize(patch), "application/strategic-merge-patch+json");
      if (r.status != 200) return failed(object, "condition", r, "PATCH " + path + "/status");
      out_({object, "condition", !findings ? "cleared" : was == "True" ? "updated" : "created", ""});
    } catch (const std::exception& e) {
      out_({object, "condition", "failed", e.what()});
    }
  }

  // The status of our condition on the node now ("" when it has none).
  std::string current_status(const std::string& path) {
    json::error_code ec;
    json::value node = json::parse(client_.get_all(path), ec);
    if (ec || !node.is_object()) throw std::runtime_error("GET " + path + ": not a JSON object");
    const json::value* conds = node.as_object().if_contains("status");
    conds = conds && conds->is_object() ? conds->as_object().if_contains("conditions") : nullptr;
    if (!conds || !conds->is_array()) return {};
    for (const json::value& c : conds->as_array())
      if (c.is_object() && text(c.as_object(), "type") == o_.condition_type) return text(c.as_object(), "status");
    return {};
  }

  std::string summary(const std::vector<const json::object*>& findings) const {
    std::set<std::string> seen;
    std::string s = o_.component + " found " + std::to_string(findings.size()) + " problem" +
                    (findings.size() == 1 ? "" : "s") + ":";
    for (const json::object* f : findings)
      if (seen.insert(text(*f, "check_id")).second)
        s += (seen.size() == 1 ? " " : ", ") + text(*f, "check_id") + " (" + text(*f, "severity") + ")";
    return s;
  }

  void failed(const std::string& object, const std::string& write, const ApiClient::Written& r,
              const std::string& what) {
    if (r.status == 403) (write == "event" ? forbidden_events_ : forbidden_conditions_) = true;
    out_({object, write, "failed", write_error(r.status, r.body, what)});
  }

  ApiClient& client_;
  const PublishOptions& o_;
  const std::string now_;
  const OutcomeFn& out_;
  const std::function<bool()>& cancelled_;
  bool forbidden_events_ = false, forbidden_conditions_ = false;
};

}  // namespace

std::optional<ObjectRef> object_ref(std::string_view object) {
  auto parts = split_slash(object);
  if (parts.size() < 2) return std::nullopt;
  for (const KnownKind& k : kKinds) {
    if (parts[0] != k.object_kind) continue;
    size_t need = k.namespaced ? 3 : 2;
    if (parts.size() < need) return std::nullopt;
    ObjectRef r{k.api_version, k.kind, k.resource, k.namespaced ? std::string(parts[1]) : "",
                std::string(parts[need - 1])};
    if (r.name.empty() || (k.namespaced && r.ns.empty())) return std::nullopt;
    return r;
  }
  return std::nullopt;
}

std::string event_reason(std::string_view check_id) {
  std::string r;
  bool upper = true;
  for (char c : check_id) {
    if (c == '-' || c == '_' || c == '.') {
      upper = true;
      continue;
    }
    r += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return r;
}

void publish(ApiClient& client, const PublishOptions& options, const json::object& request, const std::string& now,
             const OutcomeFn& out, const std::function<bool()>& cancelled) {
  std::vector<const json::object*> findings;
  if (const json::value* fs = request.if_contains("findings"); fs && fs->is_array())
    for (const json::value& f : fs->as_array())
      if (f.is_object()) findings.push_back(&f.as_object());
  // The most severe first, so the write bound leaves out the least.
  std::stable_sort(findings.begin(), findings.end(), [](const json::object* a, const json::object* b) {
    return severity_rank(text(*a, "severity")) < severity_rank(text(*b, "severity"));
  });
  Publisher p(client, options, now, out, cancelled);
  if (options.events) p.events(findings);
  if (options.node_conditions) {
    const json::value* resolved = request.if_contains("resolved");
    p.conditions(findings, resolved && resolved->is_array() ? &resolved->as_array() : nullptr);
  }
}

}  // namespace kapi
