// How waivers learn the labels and annotations of the objects findings are
// about: a KCQL query per kind through the run's drivers (objects.h).
#include "core/waiver/objects.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>

#include "core/kcql/kcql.h"
#include "core/util/log.h"

namespace kinspect::waiver {

namespace json = boost::json;

namespace {

// The k8s.* table a finding's kind lives in ("pod" -> k8s.pods, "ingress"
// -> k8s.ingresses, "networkpolicy" -> k8s.networkpolicies), if loaded.
std::string table_of(const PluginRegistry& reg, const std::string& kind) {
  std::string plural = kind + "s";
  if (kind.ends_with("s")) plural = kind + "es";
  else if (kind.size() > 1 && kind.ends_with("y") && std::string("aeiou").find(kind[kind.size() - 2]) == std::string::npos)
    plural = kind.substr(0, kind.size() - 1) + "ies";
  for (const std::string& t : {"k8s." + plural, "k8s." + kind})
    if (reg.find(t)) return t;
  return {};
}

std::map<std::string, std::string> text_map(const json::value& v) {
  std::map<std::string, std::string> out;
  if (!v.is_object()) return out;
  for (const auto& kv : v.as_object())
    if (kv.value().is_string()) out[std::string(kv.key())] = std::string(kv.value().as_string());
  return out;
}

// A KCQL string literal.
std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Past these, the objects are read by namespace, then all at once.
constexpr size_t kMaxObjectLookups = 32;
constexpr size_t kMaxNamespaceLookups = 8;

// The WHERE clauses (empty: the whole table) whose rows give the labels and
// annotations of `objects`. Not `narrow` (a snapshot is local, a watched
// table is in memory): one read of the table. Otherwise the API server is
// asked as narrowly as the findings allow, since a LIST of every pod costs
// it seconds at 150,000 pods: a LIST per object
// (its namespace and a fieldSelector on its name, which the driver pushes
// down) for a few objects, else a LIST per namespace for a few namespaces,
// else one LIST of the kind.
std::vector<std::string> lookups(const std::vector<ObjectRef>& objects, bool narrow) {
  if (!narrow) return {""};
  std::vector<std::string> where;
  if (objects.size() <= kMaxObjectLookups) {
    for (const auto& o : objects)
      where.push_back((o.ns.empty() ? "" : "metadata.namespace = " + literal(o.ns) + " AND ") +
                      "metadata.name = " + literal(o.name));
    return where;
  }
  std::set<std::string> namespaces;
  for (const auto& o : objects) namespaces.insert(o.ns);
  if (namespaces.size() > kMaxNamespaceLookups || namespaces.count("")) return {""};
  std::string in;
  for (const auto& ns : namespaces) in += (in.empty() ? "" : ", ") + literal(ns);
  return {"metadata.namespace IN (" + in + ")"};
}

// What a waiver can match an object by: its labels only when some waiver
// file selects by label; otherwise only objects that waive checks themselves
// (the kinspect.io/waive annotation) matter, and they are few.
struct Wanted {
  bool labels = true;
};

// The query whose rows give the labels and annotations of the rows of
// `table` that `where` selects (metadata columns only). Without labels
// wanted, only the rows carrying the waive annotation come back: the table
// is still read, but a snapshot's 150,000 pods are not all copied into the
// index.
std::string objects_query(const std::string& table, std::string where, Wanted wanted) {
  if (!wanted.labels) {
    const std::string annotated = "metadata.annotations['" + std::string(kWaiveAnnotation) + "'] IS NOT NULL";
    where = where.empty() ? annotated : "(" + where + ") AND " + annotated;
  }
  return "SELECT metadata.namespace AS ns, metadata.name AS name, " +
         std::string(wanted.labels ? "metadata.labels" : "NULL") +
         " AS labels, metadata.annotations AS annotations FROM " + table + (where.empty() ? "" : " WHERE " + where);
}

Expected<kcql::ResultSet> run_objects_query(const std::string& text, const Catalog& catalog, TableProvider& source) {
  auto q = kcql::parse_query(text, "<waivers>");
  auto plan = q ? kcql::bind_query(*q, catalog) : Expected<kcql::Plan>(q.error());
  kcql::ExecOptions opts;
  opts.time_budget = std::chrono::minutes(5);  // a LIST of every pod's metadata at scale
  opts.label = "waivers";
  return plan ? kcql::execute(*plan, source, opts) : Expected<kcql::ResultSet>(plan.error());
}

void index_rows(const std::string& kind, const std::vector<json::array>& rows, ObjectIndex& index) {
  for (const auto& row : rows) {
    ObjectRef ref{kind, row[0].is_string() ? std::string(row[0].as_string()) : "",
                          row[1].is_string() ? std::string(row[1].as_string()) : ""};
    index[ref.key()] = {text_map(row[2]), text_map(row[3])};
  }
}

void add_objects(PluginRegistry& reg, const std::string& kind, const std::string& table, std::string where,
                 Wanted wanted, ObjectIndex& index) {
  auto rs = run_objects_query(objects_query(table, std::move(where), wanted), reg, reg);
  if (!rs) {
    log::warn("waivers", "cannot read the labels and annotations of " + table + ": " + rs.error().message() +
                             "; waivers by label or annotation do not apply to " + kind + " objects");
    return;
  }
  index_rows(kind, rs->rows, index);
}

// One table the run already read, as the source of the waivers' query.
class ReadTable final : public TableProvider {
 public:
  explicit ReadTable(std::shared_ptr<const TableData> data) : data_(std::move(data)) {}
  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec&) override { return data_; }

 private:
  std::shared_ptr<const TableData> data_;
};

}  // namespace

// The waivers' two annotations, not every annotation: on a busy cluster's
// pods that is 66 MB less (the dot in a key escaped: Projection).
std::vector<std::string> RunObjects::paths() const {
  auto annotation = [](std::string_view key) {
    std::string path = "metadata.annotations.";
    for (char c : key) path += c == '.' ? std::string("\\.") : std::string(1, c);
    return path;
  };
  std::vector<std::string> p = {"metadata.namespace", "metadata.name", annotation(kWaiveAnnotation),
                                annotation(kReasonAnnotation)};
  if (labels_) p.push_back("metadata.labels");
  return p;
}

void RunObjects::take(const std::string& table, std::shared_ptr<const TableData> data) {
  ReadTable source(std::move(data));
  auto rs = run_objects_query(objects_query(table, "", Wanted{labels_}), catalog_, source);
  if (!rs) return;  // read_finding_objects asks the source, and warns if that fails too
  std::lock_guard<std::mutex> lock(mutex_);
  rows_[table] = std::move(rs->rows);
}

const std::vector<json::array>* RunObjects::rows(const std::string& table) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = rows_.find(table);
  return it == rows_.end() ? nullptr : &it->second;
}

ObjectIndex read_finding_objects(PluginRegistry& reg, const report::Report& rep, bool narrow, bool labels,
                                 const RunObjects* run_objects) {
  ObjectIndex objects;
  for (const auto& kind : finding_kinds(rep)) {
    const std::string table = table_of(reg, kind);
    if (table.empty()) continue;  // not a Kubernetes kind kinspect reads: no labels or annotations
    if (const auto* rows = run_objects ? run_objects->rows(table) : nullptr) {
      index_rows(kind, *rows, objects);  // read whole by the run itself
      continue;
    }
    // Read whole (not narrow), the table needs no list of the findings'
    // objects: building one costs a parse and a set entry per finding.
    const std::vector<ObjectRef> wanted = narrow ? finding_objects(rep, kind) : std::vector<ObjectRef>{};
    for (const auto& where : lookups(wanted, narrow)) add_objects(reg, kind, table, where, Wanted{labels}, objects);
  }
  return objects;
}

bool labels_wanted(const std::vector<Waiver>& waivers) {
  return std::any_of(waivers.begin(), waivers.end(), [](const Waiver& w) { return !w.object.labels.empty(); });
}

void apply_with_objects(PluginRegistry& reg, report::Report& rep, const std::vector<Waiver>& waivers, double as_of,
                        bool narrow, const RunObjects* run_objects) {
  apply(rep, waivers, read_finding_objects(reg, rep, narrow, labels_wanted(waivers), run_objects), as_of);
  for (const auto& w : rep.expired_waivers)
    log::warn("waivers", w.waiver.origin + ": the waiver of " + w.check + " on " + w.object + " expired on " +
                             w.waiver.expires + " and no longer applies");
}

}  // namespace kinspect::waiver
