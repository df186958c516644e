#include "core/run/prepare.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "core/profile/version.h"
#include "core/run/findings.h"
#include "core/util/time.h"

namespace kinspect {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- the catalog

// "checks/nodes.kcql" rather than where this machine keeps the file.
std::string display_name(const std::string& file, const std::string& search_path) {
  std::error_code ec;
  fs::path root = fs::is_directory(search_path, ec) ? fs::path(search_path) : fs::path(search_path).parent_path();
  // Lexical: the file was found under the search path, and resolving every
  // component of every check file (fs::relative) cost ~2,000 syscalls a run.
  fs::path rel = fs::path(file).lexically_normal().lexically_relative(root.lexically_normal().parent_path());
  return !rel.empty() && rel.native().rfind("..", 0) != 0 ? rel.string() : file;
}

Expected<std::vector<kcql::CheckDef>> load_check_defs(const std::vector<std::string>& paths) {
  std::vector<kcql::CheckDef> defs;
  std::vector<Diagnostic> errors;
  std::set<std::string> ids;
  for (const auto& p : paths) {
    auto loaded = kcql::load_checks(p);
    if (!loaded) {
      for (const auto& d : loaded.error().diagnostics()) errors.push_back(d);
      if (loaded.error().diagnostics().empty()) errors.push_back({p, {}, loaded.error().message(), "", "", ""});
      continue;
    }
    for (auto& d : loaded.value()) {
      d.file = display_name(d.file, p);
      if (!ids.insert(d.id).second) {
        errors.push_back({d.file, d.pos, "check '" + d.id + "' is defined twice", "", "", ""});
        continue;
      }
      defs.push_back(std::move(d));
    }
  }
  if (errors.empty()) return defs;
  std::string summary = std::to_string(errors.size()) + (errors.size() == 1 ? " problem" : " problems") + " in checks";
  return Error(std::move(summary), std::move(errors));
}

// What profiles need to know of every check, KCQL and native alike.
std::vector<CheckInfo> check_infos(const std::vector<kcql::CheckDef>& defs, const PluginRegistry& registry) {
  std::vector<CheckInfo> infos;
  for (const auto& d : defs) {
    CheckInfo ci{d.id, d.category, d.tags, {}};
    for (const auto& p : d.params) ci.params.push_back(p.name);
    infos.push_back(std::move(ci));
  }
  for (const auto* n : registry.native_checks()) {
    CheckInfo ci{n->id, n->category, {}, {}};
    json::error_code ec;
    json::value params = json::parse(n->params_json, ec);
    if (!ec && params.is_object())
      for (const auto& kv : params.as_object()) ci.params.emplace_back(kv.key());
    infos.push_back(std::move(ci));
  }
  return infos;
}

// A --param nobody declares is a typo: say so rather than ignore it.
Status check_params(const std::vector<CheckInfo>& infos, const std::map<std::string, json::value>& params) {
  std::set<std::string> declared;
  std::vector<std::string> qualified;
  for (const auto& ci : infos)
    for (const auto& p : ci.params) declared.insert(p), qualified.push_back(ci.id + "." + p);
  std::vector<std::string> all(declared.begin(), declared.end());
  all.insert(all.end(), qualified.begin(), qualified.end());
  std::vector<Diagnostic> errors;
  for (const auto& [key, _] : params) {
    if (declared.count(key) || std::find(qualified.begin(), qualified.end(), key) != qualified.end()) continue;
    std::string hint = closest_match(key, all);
    errors.push_back({"--param", {}, "no check declares parameter '" + key + "'",
                      hint.empty() ? "" : "did you mean '" + hint + "'?", "", ""});
  }
  if (errors.empty()) return Status::Ok();
  return Error("unknown parameter", std::move(errors));
}

// ---------------------------------------------------------------- the cluster

// Detection reads the cluster first, one request at a time. When /version
// or the nodes LIST fails for a reason other than "not available here"
// (the server is down, refuses us, or fails every request), the run does
// not ask that source again for each table from each worker: `down`
// records the failure once, and execute reports it for every table. This
// is what makes a failing server's retries one budget for the whole run.
void note_if_down(PluginRegistry& registry, const char* table, const Error& e, std::optional<SourceDown>& down) {
  if (e.is_unavailable() || down) return;
  if (LoadedPlugin* owner = registry.owner(table)) down = SourceDown{std::string(owner->name()), e};
}

// Detection reads k8s.nodes with `nodes` (detection's paths and the
// checks'), and leaves the rows in run.early_fetches for the checks, so the
// run lists the nodes once: at 5,000 nodes that is tens of megabytes.
ClusterDetection detect(PluginRegistry& registry, const ScanSpec& nodes, PreparedRun& run, Clock::time_point run_deadline) {
  CancelToken budget;
  budget.deadline = std::min(Clock::now() + std::chrono::seconds(60), run_deadline);
  std::shared_ptr<const TableData> version_rows, node_rows;
  std::string problem;
  if (registry.find("k8s.version")) {
    auto v = registry.fetch(ScanSpec{"k8s.version", {}, {}}, &budget);
    if (v) version_rows = *v;
    else problem = v.error().message(), note_if_down(registry, "k8s.version", v.error(), run.source_down);
  }
  if (registry.find("k8s.nodes") && !run.source_down) {
    auto t0 = Clock::now();
    auto n = registry.fetch(nodes, &budget);
    if (n) {
      node_rows = *n;
      run.early_fetches.push_back({nodes, node_rows, std::chrono::duration<double, std::milli>(Clock::now() - t0).count()});
    } else if (problem.empty()) {
      problem = n.error().message(), note_if_down(registry, "k8s.nodes", n.error(), run.source_down);
    }
  }
  ClusterDetection det = detect_cluster(version_rows.get(), node_rows.get());
  if (!problem.empty()) det.why.push_back("could not read the cluster: " + problem);
  return det;
}

// What detection reads of k8s.nodes, widened to what `scans` read of it
// (and what the daemon keeps of object tables), so one fetch serves both.
ScanSpec nodes_scan(const std::vector<std::vector<ScanSpec>>& scans, const RunConfig& cfg) {
  ScanSpec nodes{"k8s.nodes", {}, detection_node_paths()};
  for (const auto& list : scans)
    for (const auto& s : list)
      if (s.key() == nodes.key()) nodes.merge(s);
  if (cfg.on_object_table && !nodes.paths.empty())
    for (const auto& p : cfg.object_paths)
      if (std::find(nodes.paths.begin(), nodes.paths.end(), p) == nodes.paths.end()) nodes.paths.push_back(p);
  return nodes;
}

// The ids of `infos` that --check's selectors (ids, globs, tag:, category:) name.
std::set<std::string> named_by_check_option(const std::vector<CheckInfo>& infos, const RunConfig& cfg) {
  Profile narrow;
  narrow.include = cfg.checks;
  std::set<std::string> ids;
  for (const auto* c : ProfileSet::select_checks(narrow, infos, cfg.inputs)) ids.insert(c->id);
  return ids;
}

// Before the profile is chosen, the checks it will run are not known: what
// every KCQL check of the catalog that --check names (all without it)
// reads, each bound with its defaults. A check that does not bind adds
// nothing; should the profile's checks read more, execution lists the
// nodes again (ScanSpec::covers).
std::vector<std::vector<ScanSpec>> catalog_scans(const CheckCatalog& catalog, const std::vector<CheckInfo>& infos,
                                                 PluginRegistry& registry, const RunConfig& cfg) {
  const std::set<std::string> named = cfg.checks.empty() ? std::set<std::string>() : named_by_check_option(infos, cfg);
  std::vector<std::vector<ScanSpec>> scans;
  for (const auto& def : catalog.checks) {
    if (!cfg.checks.empty() && !named.count(def.id)) continue;
    if (auto bound = kcql::bind_check(def, registry)) scans.push_back(bound->plan.scans());
  }
  return scans;
}

std::vector<std::vector<ScanSpec>> task_scans(const std::vector<Task>& tasks) {
  std::vector<std::vector<ScanSpec>> scans;
  for (const auto& t : tasks) scans.push_back(t.scans);
  return scans;
}

// The inspected host's name for a host run: node.host's hostname when a
// plugin serves it (it honours the node plugin's root setting), else ours.
std::string host_name(PluginRegistry& registry) {
  if (registry.find("node.host")) {
    CancelToken budget;
    budget.deadline = Clock::now() + std::chrono::seconds(10);
    auto rows = registry.fetch(ScanSpec{"node.host", {}, {"hostname"}}, &budget);
    if (rows && !(*rows)->rows.empty()) {
      json::value row = packed::to_json((*rows)->rows.front());
      if (const json::value* h = row.is_object() ? row.as_object().if_contains("hostname") : nullptr;
          h && h->is_string() && !h->as_string().empty())
        return std::string(h->as_string());
    }
  }
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string();
}

bool reads_cluster(const std::vector<Task>& tasks) {
  for (const auto& t : tasks)
    for (const auto& table : t.result.tables)
      if (table.rfind("k8s.", 0) == 0) return true;
  return false;
}

// A run with --profile whose checks read no k8s.* table (the node profile)
// is a host run: no API server or kubeconfig is touched.
ClusterDetection host_detection(PluginRegistry& registry, report::Report& rep) {
  ClusterDetection det;
  std::string host = host_name(registry);
  det.types = {"host"};
  det.why.push_back("host run" + (host.empty() ? std::string() : " on " + host) +
                    ": no selected check reads a k8s.* table, so the cluster was not contacted");
  if (rep.cluster.name.empty()) rep.cluster.name = host;
  return det;
}

void describe_cluster(const ClusterDetection& found, const RunConfig& cfg, const std::string& profile_why,
                      report::Report& rep) {
  ClusterDetection det = found;
  if (!cfg.cluster_types.empty()) {
    det.types = cfg.cluster_types;
    std::string t;
    for (const auto& s : det.types) t += (t.empty() ? "" : ",") + s;
    det.why.push_back("type " + t + " (given with --cluster-type)");
  }
  rep.cluster.version = det.version_text;
  rep.cluster.type = det.types.empty() ? "unknown" : det.types[0];
  for (size_t i = 1; i < det.types.size(); ++i) rep.cluster.type += "," + det.types[i];
  rep.cluster.detected = det.why;
  if (!cfg.cluster_name_why.empty()) rep.cluster.detected.insert(rep.cluster.detected.begin(), cfg.cluster_name_why);
  if (cfg.now)
    rep.cluster.detected.push_back("ages judged as of " + format_rfc3339(static_cast<std::time_t>(cfg.now)) +
                                   (cfg.now_source.empty() ? "" : " (" + cfg.now_source + ")"));
  rep.cluster.detected.push_back(profile_why);
  rep.cluster.nodes = det.nodes;
}

// ---------------------------------------------------------------- the profile

Expected<const Profile*> named_profile(const ProfileSet& profiles, const std::string& name) {
  if (const Profile* p = profiles.find(name)) return p;
  std::vector<std::string> names;
  for (const auto& p : profiles.profiles()) names.push_back(p->name);
  std::string hint = closest_match(name, names);
  return Error("no profile '" + name + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
               "; 'kinspect profiles list' shows them");
}

// The profile's checks (and those of the tools given with --with), narrowed
// by --check.
Expected<std::vector<const CheckInfo*>> selected_checks(const Profile& profile, const std::vector<CheckInfo>& infos,
                                                        const RunConfig& cfg) {
  std::vector<const CheckInfo*> selected = ProfileSet::select_checks(profile, infos, cfg.inputs);
  if (cfg.checks.empty()) return selected;
  std::vector<CheckInfo> sub;
  for (const auto* c : selected) sub.push_back(*c);
  const std::set<std::string> keep = named_by_check_option(sub, cfg);
  std::erase_if(selected, [&](const CheckInfo* c) { return !keep.count(c->id); });
  if (selected.empty()) return Error("--check selects none of the checks of profile '" + profile.name + "'");
  return selected;
}

// ---------------------------------------------------------------- binding

bool only_unknown_tables(const Error& e, std::vector<std::string>& tables) {
  if (e.diagnostics().empty()) return false;
  for (const auto& d : e.diagnostics()) {
    const std::string prefix = "unknown table '";
    if (d.message.rfind(prefix, 0) != 0) return false;
    tables.push_back(d.message.substr(prefix.size(), d.message.find('\'', prefix.size()) - prefix.size()));
  }
  return true;
}

// Why a check was not run: it judges an upgrade and no target was given.
constexpr std::string_view kNeedsTarget = "no --target-version";

// A check that declares `target_version` compares the cluster or host with
// the release it is upgraded to; with the default '' its query matches
// nothing, which would read as passed. Named profiles (node-pre-upgrade)
// can select such checks without the pre-upgrade scenario that demands a
// target, so the check itself says it was not run.
bool lacks_target(const kcql::CheckDef& def, const kcql::Params& params) {
  for (const auto& p : def.params) {
    if (p.name != "target_version") continue;
    auto given = params.find(p.name);
    const json::value& v = given != params.end() ? given->second : p.default_value;
    return v.is_null() || (v.is_string() && v.as_string().empty());
  }
  return false;
}

class Binder {
 public:
  Binder(PluginRegistry& registry, const RunConfig& cfg, const Profile& profile)
      : registry_(registry), cfg_(cfg), profile_(profile) {}

  Task bind(const CheckInfo& ci, const std::vector<kcql::CheckDef>& defs) {
    Task t;
    t.result.id = ci.id;
    t.result.optional = ProfileSet::is_optional(profile_, ci);
    t.severity_override = ProfileSet::severity_override(profile_, ci.id);
    auto def = std::find_if(defs.begin(), defs.end(), [&](const kcql::CheckDef& d) { return d.id == ci.id; });
    if (def != defs.end()) bind_kcql(t, *def);
    else bind_native(t);
    if (t.severity_override) t.result.severity = severity_of(*t.severity_override);
    for (const auto& s : t.scans) t.result.tables.push_back(s.table);
    skip_if_plugin_excluded(t);
    return t;
  }

 private:
  const json::value* param_override(std::string_view id, std::string_view param) const {
    auto it = cfg_.params.find(std::string(id) + "." + std::string(param));
    if (it != cfg_.params.end()) return &it->second;
    it = cfg_.params.find(std::string(param));
    if (it != cfg_.params.end()) return &it->second;
    return ProfileSet::param_override(profile_, id, param);
  }

  void bind_kcql(Task& t, const kcql::CheckDef& d) {
    auto def = std::make_shared<const kcql::CheckDef>(d);
    t.def = def;
    report::CheckResult& r = t.result;
    r.title = def->title;
    r.category = def->category;
    r.component = def->component;
    r.severity = severity_of(def->severity);
    r.remedy = def->remedy;
    r.same_as = def->same_as;
    r.doc = def->doc_url;
    r.source = def->file + ":" + std::to_string(def->pos.line);
    kcql::Params params;
    for (const auto& p : def->params) {
      // --target-version is what this run is about: it beats any profile value.
      if (p.name == "target_version" && !cfg_.target_version.empty()) params[p.name] = json::value(cfg_.target_version);
      else if (const json::value* v = param_override(def->id, p.name)) params[p.name] = *v;
    }
    if (lacks_target(*def, params)) {
      r.status = report::Status::Skipped;
      r.cause = std::string(kNeedsTarget);
      r.reason = "compares against the version the upgrade goes to: give --target-version (e.g. --target-version 1.31)";
      return;
    }
    auto bound = kcql::bind_check(*def, registry_, params);
    std::vector<std::string> missing;
    if (!bound && only_unknown_tables(bound.error(), missing)) {
      r.status = report::Status::Skipped;
      r.cause = "not provided";
      r.reason = "needs table " + missing[0] + ", which no loaded plugin provides";
    } else if (!bound) {
      r.status = report::Status::Error;
      r.cause = "error";
      r.reason = bound.error().format();
    } else {
      t.bound = std::move(bound.value());
      t.scans = t.bound->plan.scans();
    }
  }

  void bind_native(Task& t) {
    for (const auto* n : registry_.native_checks())
      if (n->id == t.result.id) t.native = n;
    report::CheckResult& r = t.result;
    r.title = t.native->title;
    r.category = t.native->category;
    r.component = t.native->component;
    r.severity = severity_of(t.native->severity);
    r.remedy = t.native->remedy;
    r.doc = t.native->doc;
    r.source = "plugin:" + t.native->plugin;
    json::value params = json::parse(t.native->params_json);
    if (params.is_object())
      for (auto& kv : params.as_object())
        if (const json::value* v = param_override(r.id, kv.key())) kv.value() = *v;
    t.native_params = json::serialize(params);
    for (const auto& table : t.native->reads) t.scans.push_back(ScanSpec{table, {}, {}});
  }

  // A profile that names its plugins runs only checks on their tables, and
  // on the tables of the tools given with --with (the adapters the user
  // added to this run: `--profile node --with kube-bench=DIR`).
  void skip_if_plugin_excluded(Task& t) const {
    if (profile_.plugins.empty() || !t.runnable()) return;
    auto named = [](const std::vector<std::string>& names, const std::string& name) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    for (const auto& s : t.scans) {
      LoadedPlugin* owner = registry_.owner(s.table);
      if (!owner) continue;
      std::string name(owner->name());
      if (named(profile_.plugins, name) || named(cfg_.inputs, name)) continue;
      t.result.status = report::Status::Skipped;
      t.result.cause = std::string(report::kNotApplicable);
      t.result.reason = "reads " + s.table + " from plugin '" + name + "', which profile '" + profile_.name +
                        "' does not use";
      return;
    }
  }

  PluginRegistry& registry_;
  const RunConfig& cfg_;
  const Profile& profile_;
};

report::Report report_header(const RunConfig& cfg) {
  report::Report rep;
  rep.kinspect_version = cfg.kinspect_version;
  rep.generated_at = format_rfc3339(std::time(nullptr));
  rep.scenario = cfg.scenario;
  rep.target_version = cfg.target_version;
  rep.cluster.name = cfg.cluster_name;
  return rep;
}

}  // namespace

Expected<CheckCatalog> load_catalog(const std::vector<std::string>& check_paths,
                               const std::vector<std::string>& profile_paths) {
  auto checks = load_check_defs(check_paths);
  if (!checks) return std::move(checks).error();
  auto profiles = ProfileSet::load(profile_paths);
  if (!profiles) return std::move(profiles).error();
  return CheckCatalog{std::move(checks.value()), std::move(profiles.value())};
}

namespace {

// An upgrade goes forward: a target of an older minor than the cluster runs
// is a mistake on the command line, not a finding about the cluster, and
// would make every upgrade check answer the wrong question. The cluster's
// version is known only once it is read, so this is checked here.
Status check_target_not_older(const RunConfig& cfg, const ClusterDetection& det) {
  if (cfg.scenario != "pre-upgrade" || cfg.target_version.empty() || !det.version) return Status::Ok();
  auto target = KubeVersion::parse(cfg.target_version);
  if (!target) return Status::Ok();  // refused with the command line's other checks
  if (std::pair(target->major, target->minor) >= std::pair(det.version->major, det.version->minor)) return Status::Ok();
  return Error("--target-version " + cfg.target_version + " is older than the cluster, which runs " + det.version_text +
               ": minor-version downgrades are not supported; give the version the upgrade goes to (" +
               std::to_string(det.version->major) + "." + std::to_string(det.version->minor) + " or later)");
}

}  // namespace

Expected<PreparedRun> prepare_run(const CheckCatalog& catalog, PluginRegistry& registry, const RunConfig& cfg) {
  PreparedRun run;
  run.report = report_header(cfg);
  run.now = cfg.now ? cfg.now : static_cast<double>(std::time(nullptr));
  std::vector<CheckInfo> infos = check_infos(catalog.checks, registry);
  if (Status st = check_params(infos, cfg.params); !st.ok()) return st.error();
  const auto refs = cfg.bundled_checks ? ProfileSet::References::Strict : ProfileSet::References::LoadedChecksOnly;
  if (Status st = catalog.profiles.validate(infos, refs); !st.ok()) return st.error();

  // A profile given by name is known before detection, so a host run never
  // has to reach an API server.
  std::optional<ClusterDetection> det;
  std::string why;
  if (!cfg.profile.empty()) {
    auto named = named_profile(catalog.profiles, cfg.profile);
    if (!named) return std::move(named).error();
    run.profile = *named;
    why = "profile " + run.profile->name + " (given with --profile)";
    // The report names the scenario the profile is for, not the default of
    // a run that named no scenario (node-pre-upgrade is host-pre-upgrade).
    const auto& made_for = run.profile->scenarios;
    if (made_for.size() == 1 && made_for[0] != cfg.scenario) run.report.scenario = made_for[0];
  } else {
    det = detect(registry, nodes_scan(catalog_scans(catalog, infos, registry, cfg), cfg), run, cfg.deadline);
    auto m = catalog.profiles.select(ProfileTarget{det->version, det->types, cfg.scenario});
    if (!m) return std::move(m).error();
    run.profile = m->profile;
    why = "profile " + run.profile->name + ": " + m->why;
  }
  run.report.profile = run.profile->name;
  run.deadline = cfg.deadline;
  run.timeout_seconds = cfg.timeout_seconds;
  run.check_output_budget = cfg.check_output_budget;
  run.check_timeout_seconds = cfg.check_timeout_seconds > 0 ? cfg.check_timeout_seconds : run.profile->check_timeout_seconds;
  run.driver_timeout_seconds =
      cfg.driver_timeout_seconds > 0 ? cfg.driver_timeout_seconds : run.profile->driver_timeout_seconds;

  auto selected = selected_checks(*run.profile, infos, cfg);
  if (!selected) return std::move(selected).error();
  Binder binder(registry, cfg, *run.profile);
  for (const CheckInfo* ci : *selected) run.tasks.push_back(binder.bind(*ci, catalog.checks));

  if (!det)
    det = reads_cluster(run.tasks) ? detect(registry, nodes_scan(task_scans(run.tasks), cfg), run, cfg.deadline)
                                   : host_detection(registry, run.report);
  if (Status st = check_target_not_older(cfg, *det); !st.ok()) return st.error();
  describe_cluster(*det, cfg, why, run.report);
  return run;
}

}  // namespace kinspect
