#include "objects.h"

#include "catalog.h"
#include "json_path.h"
#include "splitter.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace kapi {

namespace {

using T = ks::Type;

// Tables of this driver whose rows are not objects, besides the server's
// facts (kServerFactTables): the ones it computes.
constexpr std::array<std::string_view, 5> kComputedTables = {"k8s.connection", "k8s.pod_logs", "k8s.objects",
                                                             "k8s.workloads", "k8s.resource"};

// The pod template of each carrier, as a path of members.
std::vector<std::string_view> template_path(std::string_view kind) {
  if (kind == "Pod") return {};
  if (kind == "CronJob") return {"spec", "jobTemplate", "spec", "template"};
  return {"spec", "template"};
}

// The controller among ownerReferences, else the first one.
const json::object* owner_of(const json::object& metadata) {
  const json::value* refs = metadata.if_contains("ownerReferences");
  if (!refs || !refs->is_array()) return nullptr;
  const json::object* first = nullptr;
  for (const auto& r : refs->as_array()) {
    const json::object* o = r.if_object();
    if (!o) continue;
    if (!first) first = o;
    if (const json::value* c = o->if_contains("controller"); c && c->is_bool() && c->as_bool()) return o;
  }
  return first;
}

json::value text_member(const json::object* o, std::string_view key) {
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_string() ? *v : json::value(nullptr);
}

}  // namespace

// An object without a pod template (a malformed Deployment) still gives a
// row, with NULL pod_spec, so a check can say so rather than skip it.
std::string workload_row(const json::value& object) {
  const json::object& o = object.as_object();
  std::string kind = o.contains("kind") && o.at("kind").is_string() ? std::string(o.at("kind").as_string()) : "";
  static const json::object kEmpty;
  const json::object* meta = o.contains("metadata") && o.at("metadata").is_object() ? &o.at("metadata").as_object() : &kEmpty;
  std::vector<std::string_view> path = template_path(kind);
  const json::value* tmpl = path.empty() ? &object : at_path(o, path);
  json::object row;
  row["apiVersion"] = text_member(&o, "apiVersion");
  row["kind"] = kind;
  row["namespace"] = text_member(meta, "namespace");
  row["name"] = text_member(meta, "name");
  const json::object* owner = owner_of(*meta);
  row["owner_kind"] = text_member(owner, "kind");
  row["owner_name"] = text_member(owner, "name");
  row["metadata"] = *meta;
  const json::value* pod_meta = tmpl && tmpl->is_object() ? tmpl->as_object().if_contains("metadata") : nullptr;
  row["pod_metadata"] = pod_meta ? *pod_meta : json::value(nullptr);
  const json::value* spec = tmpl && tmpl->is_object() ? tmpl->as_object().if_contains("spec") : nullptr;
  row["pod_spec"] = spec ? *spec : json::value(nullptr);
  std::string where;
  for (auto p : path) where += std::string(p) + ".";
  row["pod_spec_path"] = where + "spec";
  return json::serialize(row);
}

namespace {

class WorkloadsScan final : public ks::Scan {
 public:
  explicit WorkloadsScan(std::vector<std::unique_ptr<ks::Scan>> sources) : sources_(std::move(sources)) {}

  bool next(ks::BatchWriter& out) override {
    while (!out.full()) {
      if (next_source_ == sources_.size()) return false;
      std::string batch;
      ks::BatchWriter in(batch);
      bool more = sources_[next_source_]->next(in);
      rewrite(batch, out);
      if (!more) sources_[next_source_++].reset();
    }
    return true;
  }

 private:
  static void rewrite(const std::string& batch, ks::BatchWriter& out) {
    for (size_t start = 0; start < batch.size();) {
      size_t end = std::min(batch.find('\n', start), batch.size());
      json::error_code ec;
      json::value v = json::parse(std::string_view(batch).substr(start, end - start), ec);
      if (!ec && v.is_object()) out.raw_row(workload_row(v));
      start = end + 1;
    }
  }

  std::vector<std::unique_ptr<ks::Scan>> sources_;
  size_t next_source_ = 0;
};

}  // namespace

bool is_object_table(std::string_view table) {
  if (find_by_table(table)) return true;
  return table.substr(0, 4) == "k8s." && table.size() > 4 &&
         std::find(kServerFactTables.begin(), kServerFactTables.end(), table) == kServerFactTables.end() &&
         std::find(kComputedTables.begin(), kComputedTables.end(), table) == kComputedTables.end();
}

std::string object_members(std::string_view resource, std::string_view found_in) {
  std::string m = "\"resource\":";
  ks::append_json_string(m, resource);
  m += ",\"found_in\":";
  ks::append_json_string(m, found_in);
  return m;
}

void write_item_with(ks::BatchWriter& out, const SplitItem& it, const ItemIdentity& id, const RowOptions& opts,
                     std::string_view members, bool override_identity) {
  std::string row;
  {
    ks::BatchWriter one(row);
    write_item(one, it, id, opts, override_identity);
  }
  if (row.empty()) return;  // withheld
  // One row, one line: `{...}` becomes `{...,members}`.
  row.pop_back();
  if (row.size() > 1) row += ',';
  row.append(members);
  row += '}';
  out.raw_row(row);
}

RowOptions objects_source_options(RowOptions asked) {
  std::erase_if(asked.keep, [](const std::string& k) { return k == "resource" || k == "found_in"; });
  asked.read_paths.clear();  // Secrets among them: their values are compared, so all are kept
  return asked;
}

const std::vector<WorkloadSource>& workload_sources() {
  static const std::vector<WorkloadSource> v = {
      {"k8s.pods", "Pod"},           {"k8s.deployments", "Deployment"}, {"k8s.replicasets", "ReplicaSet"},
      {"k8s.statefulsets", "StatefulSet"}, {"k8s.daemonsets", "DaemonSet"}, {"k8s.jobs", "Job"},
      {"k8s.cronjobs", "CronJob"}};
  return v;
}

RowOptions workload_source_options(bool include_secret_data) {
  RowOptions o;
  o.include_secret_data = include_secret_data;
  o.project = true;
  o.keep = {"metadata", "spec"};
  o.strip_managed_fields = true;
  return o;
}

std::unique_ptr<ks::Scan> workloads_scan(std::vector<std::unique_ptr<ks::Scan>> sources) {
  return std::make_unique<WorkloadsScan>(std::move(sources));
}

ks::TableSpec objects_table() {
  ks::TableSpec t{"k8s.objects",
                  "Every object of every listable resource, custom resources included: live, each resource the "
                  "API server's discovery lists (the group's preferred version); from a snapshot, every object "
                  "it holds, and from a folder of manifests, every object of every file, as written. Every "
                  "top-level field is a column (o.spec, o.data, o.usage); `SELECT o FROM k8s.objects o` gives "
                  "the whole object. Secret values are withheld as in k8s.secrets.",
                  {{"apiVersion", T::Text, "The object's apiVersion as listed or as written in its file"},
                   {"kind", T::Text, "Object kind"},
                   {"metadata", T::Json, "ObjectMeta"},
                   {"resource", T::Text, "The plural resource it was listed as (\"deployments\")"},
                   {"found_in", T::Text, "Where it was found: \"live\", or the snapshot file that holds it"}},
                  {},
                  {"SELECT kind, count(*) FROM k8s.objects GROUP BY kind ORDER BY 2 DESC"}};
  t.open_columns = true;
  t.made_of = {"*"};
  return t;
}

ks::TableSpec workloads_table() {
  std::vector<std::string> parts;
  for (const auto& s : workload_sources()) parts.push_back(s.table);
  ks::TableSpec t{"k8s.workloads",
                  "Every pod template carrier, one row each: Pods, Deployments, ReplicaSets, StatefulSets, "
                  "DaemonSets, Jobs and CronJobs, with the pod spec wherever the kind keeps it. A Deployment's "
                  "ReplicaSets and Pods are rows too: `WHERE owner_kind IS NULL` keeps what people write.",
                  {{"apiVersion", T::Text, "The carrier's apiVersion"},
                   {"kind", T::Text, "Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob"},
                   {"namespace", T::Text, "metadata.namespace"},
                   {"name", T::Text, "metadata.name"},
                   {"owner_kind", T::Text, "Kind of the controller that owns it (ownerReferences), NULL if none"},
                   {"owner_name", T::Text, "Name of that owner, NULL if none"},
                   {"metadata", T::Json, "The carrier's ObjectMeta"},
                   {"pod_metadata", T::Json, "The pod template's metadata (a Pod's own metadata for Pods)"},
                   {"pod_spec", T::Json, "The PodSpec: spec, spec.template.spec or spec.jobTemplate.spec.template.spec"},
                   {"pod_spec_path", T::Text, "Where the carrier keeps the PodSpec, e.g. \"spec.template.spec\""}},
                  {},
                  {"SELECT kind, namespace, name FROM k8s.workloads w, UNNEST(w.pod_spec.containers) c "
                   "WHERE c.securityContext.privileged"}};
  t.made_of = std::move(parts);
  return t;
}

}  // namespace kapi
