#include "harness.h"

#include "catalog.h"
#include "objects.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>

namespace fs = std::filesystem;

namespace checks_test {

std::string source_dir() { return KINSPECT_SOURCE_DIR; }
std::string data_dir() { return source_dir() + "/tests/data/checks"; }

namespace {

kinspect::RegistryOptions plugin_options() {
  kinspect::RegistryOptions o;
  for (const char* name : {"kube_apiserver.so", "knowledge.so", "node.so", "network.so", "network-ebpf.so", "cloud.so"}) o.files.push_back(std::string(CHECKS_PLUGIN_DIR) + "/" + name);
  return o;
}

void load_into(kinspect::PluginRegistry& reg, const kinspect::RegistryOptions& o) {
  auto problems = reg.load(o);
  for (const auto& p : problems) ADD_FAILURE() << "plugin did not load: " << p.format();
}

// The knowledge plugin's reference tables are served as they are, unless a fixture replaces them.
bool is_knowledge_table(std::string_view t) {
  static const std::set<std::string_view> tables = {"k8s.deprecated_apis",     "k8s.skew_policy",       "k8s.skew_rules",
                                                    "k8s.removed_feature_gates", "k8s.removed_kubelet_flags",
                                                    "k8s.kube_proxy_modes",    "k8s.component_minimums"};
  return tables.count(t) > 0;
}

}  // namespace

kinspect::PluginRegistry& registry() {
  static kinspect::PluginRegistry* reg = [] {
    auto* r = new kinspect::PluginRegistry();
    load_into(*r, plugin_options());
    return r;
  }();
  return *reg;
}

std::unique_ptr<PartialDump> snapshot_registry(const std::string& snapshot) {
  return std::make_unique<PartialDump>(snapshot_plugins(snapshot));
}

std::unique_ptr<kinspect::PluginRegistry> snapshot_plugins(const std::string& snapshot) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  auto o = plugin_options();
  json::object cfg;
  cfg["snapshot"] = snapshot;
  o.config["kube-apiserver"] = json::serialize(cfg);
  // The cloud checks read saved provider outputs, which no dump holds: give
  // them the AWS outputs of tests/data/cloud, which describe examples/cluster.
  json::object cloud;
  cloud["aws_dir"] = source_dir() + "/tests/data/cloud/aws";
  o.config["cloud"] = json::serialize(cloud);
  load_into(*reg, o);
  return reg;
}

kinspect::Expected<std::shared_ptr<const kinspect::TableData>> PartialDump::fetch(const kinspect::ScanSpec& spec) {
  // A dump holds no kernel trace and no probe: the drop tables (network-ebpf)
  // would trace this machine for each check's window instead, and the probes
  // would send packets from it to the cluster addresses of the checks'
  // parameters (10.96.0.x) and, for the probe matrix, to the dump's nodes and
  // endpoints, which are not this test's to reach. They read as
  // not captured; their fixtures and tests/network-ebpf cover them.
  static const std::set<std::string> live = {"net.drops", "net.drop_stacks", "net.tcp_probe", "net.dns_probe", "net.http_probe",
                                             "net.probe_matrix"};
  if (live.count(spec.table)) return std::make_shared<const kinspect::TableData>();
  auto data = registry_->fetch(spec);
  if (!data && data.error().cause() == "not captured") return std::make_shared<const kinspect::TableData>();
  // What a plugin says does not exist on this machine (node.systemd_units
  // where systemd is not the init) is no error of a check's: its query still
  // runs, on no rows. Its fixtures (tests/data/checks/) and tests/node cover
  // what it finds.
  if (!data && data.error().cause() == "not applicable") return std::make_shared<const kinspect::TableData>();
  return data;
}

const std::vector<kcql::CheckDef>& checks() {
  static std::vector<kcql::CheckDef> all;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    auto loaded = kcql::load_checks(source_dir() + "/checks");
    if (loaded) all = std::move(loaded).value();
    else error = loaded.error().format();
    // Adapter checks (checks/adapters/) read other tools' results; they are
    // tested on those tools' real outputs in tests/adapters, not on fixtures.
    std::erase_if(all, [](const kcql::CheckDef& c) { return c.category == "adapters"; });
  });
  if (!error.empty()) ADD_FAILURE() << "checks/ does not load:\n" << error;
  return all;
}

const kcql::CheckDef* find_check(const std::string& id) {
  for (const auto& c : checks())
    if (c.id == id) return &c;
  return nullptr;
}

json::value yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& e : n) a.push_back(yaml_to_json(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: break;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return json::string(s);  // quoted: always text
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || ((s[0] == '-' || s[0] == '+') && s.size() > 1))) {
    size_t used = 0;
    try {
      long long i = std::stoll(s, &used);
      if (used == s.size()) return static_cast<int64_t>(i);
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
  }
  return json::string(s);
}

// The tables the kube-apiserver driver computes from others, computed from
// the fixture's own as the driver does, unless the fixture gives them.
static void add_derived_rows(const Tables& tables, const std::string& table, kinspect::TableData& data) {
  if (table == "k8s.objects") {
    for (const auto& [name, rows] : tables) {
      if (!kapi::is_object_table(name)) continue;
      const kapi::Resource* r = kapi::find_by_table(name);
      for (const auto& row : rows) {
        json::value o = row;
        if (!o.is_object()) continue;
        o.as_object()["resource"] = r ? r->resource : name.substr(4);
        o.as_object()["found_in"] = "live";
        data.add(o);
      }
    }
  } else if (table == "k8s.workloads") {
    for (const auto& w : kapi::workload_sources())
      if (auto it = tables.find(w.table); it != tables.end())
        for (const auto& row : it->second)
          if (row.is_object()) data.add(json::parse(kapi::workload_row(row)));
  }
}

kinspect::Expected<std::shared_ptr<const kinspect::TableData>> FixtureProvider::fetch(const kinspect::ScanSpec& spec) {
  if (is_knowledge_table(spec.table) && !tables_.count(spec.table)) return registry().fetch(spec);
  auto data = std::make_shared<kinspect::TableData>();
  auto it = tables_.find(spec.table);
  if (it != tables_.end())
    for (const auto& row : it->second) data->add(row);
  else
    add_derived_rows(tables_, spec.table, *data);
  return std::shared_ptr<const kinspect::TableData>(std::move(data));
}

namespace {

Tables tables_of(const YAML::Node& n, const std::string& where) {
  Tables t;
  if (!n) return t;
  if (!n.IsMap()) throw std::runtime_error(where + ": expected a map of table name to rows");
  for (const auto& kv : n) {
    std::string table = kv.first.as<std::string>();
    if (!kv.second.IsSequence()) throw std::runtime_error(where + "." + table + ": expected a list of rows");
    auto& rows = t[table];
    for (const auto& r : kv.second) {
      json::value v = yaml_to_json(r);
      if (!v.is_object()) throw std::runtime_error(where + "." + table + ": every row must be a map");
      rows.push_back(std::move(v));
    }
  }
  return t;
}

kcql::Params params_of(const YAML::Node& n) {
  kcql::Params p;
  if (!n) return p;
  for (const auto& kv : n) p[kv.first.as<std::string>()] = yaml_to_json(kv.second);
  return p;
}

std::vector<std::string> strings_of(const YAML::Node& n) {
  std::vector<std::string> v;
  if (!n) return v;
  for (const auto& e : n) v.push_back(e.as<std::string>());
  return v;
}

Case case_of(const YAML::Node& n, const std::string& label, bool silent, const kcql::Params& file_params) {
  Case c;
  c.label = label;
  c.silent = silent;
  std::string base = n["base"] ? n["base"].as<std::string>() : "healthy";
  if (base == "healthy") c.tables = healthy();
  else if (base != "none") throw std::runtime_error(label + ".base: use healthy or none");
  for (auto& [table, rows] : tables_of(n["replace"], label + ".replace")) c.tables[table] = std::move(rows);
  for (auto& [table, rows] : tables_of(n["add"], label + ".add"))
    for (auto& r : rows) c.tables[table].push_back(std::move(r));
  c.params = file_params;
  for (auto& [k, v] : params_of(n["params"])) c.params[k] = v;
  c.expect = strings_of(n["expect"]);
  if (n["objects"]) {
    c.objects = strings_of(n["objects"]);
    c.check_objects = true;
  }
  if (!silent && c.expect.empty()) throw std::runtime_error(label + ": a fire case needs expect: [messages]");
  if (silent && n["expect"]) throw std::runtime_error(label + ": a silent case has no expect");
  return c;
}

std::vector<Case> cases_of(const YAML::Node& n, const std::string& name, bool silent, const kcql::Params& params) {
  std::vector<Case> v;
  if (!n) return v;
  if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) v.push_back(case_of(n[i], name + "[" + std::to_string(i) + "]", silent, params));
  } else {
    v.push_back(case_of(n, name, silent, params));
  }
  return v;
}

}  // namespace

const Tables& healthy() {
  static const Tables t = [] {
    YAML::Node root = YAML::LoadFile(data_dir() + "/_healthy.yaml");
    return tables_of(root["tables"], "_healthy.yaml tables");
  }();
  return t;
}

bool has_fixture(const std::string& check_id) { return fs::exists(data_dir() + "/" + check_id + ".yaml"); }

Fixture load_fixture(const std::string& check_id) {
  Fixture f;
  f.check_id = check_id;
  f.file = data_dir() + "/" + check_id + ".yaml";
  YAML::Node root;
  try {
    root = YAML::LoadFile(f.file);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(f.file + ": " + e.what());
  }
  try {
    kcql::Params params = params_of(root["params"]);
    f.fire = cases_of(root["fire"], "fire", false, params);
    f.silent = cases_of(root["silent"], "silent", true, params);
  } catch (const std::exception& e) {
    throw std::runtime_error(f.file + ": " + e.what());
  }
  return f;
}

std::vector<std::pair<std::string, Tables>> all_fixture_tables() {
  std::vector<std::pair<std::string, Tables>> out;
  out.emplace_back("_healthy", healthy());
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(data_dir()))
    if (e.path().extension() == ".yaml" && e.path().filename().string()[0] != '_') files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    Fixture f = load_fixture(p.stem().string());
    for (auto* cs : {&f.fire, &f.silent})
      for (auto& c : *cs) out.emplace_back(p.stem().string() + ":" + c.label, std::move(c.tables));
  }
  return out;
}

double epoch_of(const std::string& t) {
  std::tm tm{};
  if (sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm));
}

kinspect::Expected<std::vector<kcql::Finding>> run_check(const kcql::CheckDef& check, kinspect::TableProvider& provider,
                                                          const kcql::Params& params, double now) {
  kcql::Params usable;
  for (const auto& [k, v] : params)
    for (const auto& p : check.params)
      if (p.name == k) usable[k] = v;
  auto bound = kcql::bind_check(check, registry(), usable);
  if (!bound) return std::move(bound).error();
  kcql::ExecOptions o;
  o.now = now;
  return kcql::run_check(*bound, provider, o);
}

kinspect::Expected<std::vector<kcql::Finding>> run_check(const kcql::CheckDef& check, const Tables& tables,
                                                          const kcql::Params& params) {
  FixtureProvider provider(tables);
  return run_check(check, provider, params);
}

}  // namespace checks_test
