#include "core/run/runner.h"

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <set>

#include <unistd.h>

#include "core/kcql/check.h"
#include "core/kcql/executor.h"
#include "core/profile/profile.h"
#include "core/run/detect.h"
#include "core/util/log.h"
#include "core/util/parallel.h"

#ifndef KINSPECT_SOURCE_DIR
#define KINSPECT_SOURCE_DIR ""
#endif
#ifndef KINSPECT_DATA_DIR
#define KINSPECT_DATA_DIR "/usr/local/share/kinspect"
#endif

namespace kinspect {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> search_paths(const char* env, const char* sub) {
  std::vector<std::string> out;
  if (const char* e = std::getenv(env); e && *e) {
    std::string s = e;
    for (size_t start = 0; start <= s.size();) {
      size_t colon = s.find(':', start);
      std::string d = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!d.empty()) out.push_back(d);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    return out;
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "kinspect" / sub;
    if (fs::is_directory(installed, ec)) return {installed.string()};
  }
  if (fs::is_directory(fs::path(KINSPECT_DATA_DIR) / sub, ec)) return {(fs::path(KINSPECT_DATA_DIR) / sub).string()};
  // A binary run from its build tree reads the source tree's files.
  if (*KINSPECT_SOURCE_DIR && fs::is_directory(fs::path(KINSPECT_SOURCE_DIR) / sub, ec))
    return {(fs::path(KINSPECT_SOURCE_DIR) / sub).string()};
  return out;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string rfc3339_utc(std::time_t t) {
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

report::Severity severity_of(std::string_view s) {
  report::Severity out = report::Severity::Warning;
  report::parse_severity(s, out);
  return out;
}

// The run's tables, each fetched once; a check reads them from here once
// the queue has seen them in (and a table is dropped after its last reader).
class Prefetched final : public TableProvider {
 public:
  struct Entry {
    std::shared_ptr<const TableData> data;
    std::string error;
  };
  std::map<std::string, Entry> tables;  // by ScanSpec::key()

  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) override {
    auto it = tables.find(spec.key());
    if (it == tables.end()) return Error("table " + spec.key() + " was not fetched for this run");
    if (!it->second.error.empty()) return Error(it->second.error);
    return it->second.data;
  }
};

// Everything the run knows about one selected check.
struct Task {
  // KCQL check...
  std::shared_ptr<const kcql::CheckDef> def;
  std::optional<kcql::BoundCheck> bound;
  // ...or a plugin's native check.
  const NativeCheckSchema* native = nullptr;
  std::string native_params;
  report::CheckResult result;
  std::vector<ScanSpec> scans;
};

bool only_unknown_tables(const Error& e, std::vector<std::string>& tables) {
  if (e.diagnostics().empty()) return false;
  for (const auto& d : e.diagnostics()) {
    const std::string prefix = "unknown table '";
    if (d.message.rfind(prefix, 0) != 0) return false;
    tables.push_back(d.message.substr(prefix.size(), d.message.find('\'', prefix.size()) - prefix.size()));
  }
  return true;
}

// The inspected host's name for a host run: node.host's hostname when a
// plugin serves it (it honours the node plugin's root setting), else ours.
std::string host_name(PluginRegistry& registry) {
  if (registry.find("node.host")) {
    CancelToken budget;
    budget.deadline = Clock::now() + std::chrono::seconds(10);
    std::string rows;
    Status st = registry.scan_table(
        ScanSpec{"node.host", {}, {"hostname"}},
        [&](std::string_view batch) {
          rows.append(batch);
          return Status::Ok();
        },
        &budget);
    json::error_code ec;
    json::value row = st.ok() ? json::parse(rows, ec) : json::value();
    if (!ec && row.is_object())
      if (const json::value* h = row.as_object().if_contains("hostname"); h && h->is_string() && !h->as_string().empty())
        return std::string(h->as_string());
  }
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string();
}

}  // namespace

std::vector<std::string> default_check_paths() { return search_paths("KINSPECT_CHECKS_PATH", "checks"); }
std::vector<std::string> default_profile_paths() { return search_paths("KINSPECT_PROFILES_PATH", "profiles"); }

Expected<RunOutcome> run_inspection(PluginRegistry& registry, const RunConfig& cfg) {
  const auto t0 = Clock::now();
  const unsigned threads = cfg.parallelism ? cfg.parallelism : default_parallelism();
  RunOutcome out;
  report::Report& rep = out.report;
  rep.kinspect_version = cfg.kinspect_version;
  const double now = cfg.now ? cfg.now : static_cast<double>(std::time(nullptr));
  rep.generated_at = rfc3339_utc(std::time(nullptr));
  rep.scenario = cfg.scenario;
  rep.target_version = cfg.target_version;
  rep.cluster.name = cfg.cluster_name;

  // ---- checks and profiles (configuration: errors stop the run)
  std::vector<kcql::CheckDef> defs;
  {
    std::vector<Diagnostic> errors;
    std::set<std::string> ids;
    for (const auto& p : cfg.check_paths) {
      auto loaded = kcql::load_checks(p);
      if (!loaded) {
        for (const auto& d : loaded.error().diagnostics()) errors.push_back(d);
        if (loaded.error().diagnostics().empty()) errors.push_back({p, {}, loaded.error().message(), "", "", ""});
        continue;
      }
      for (auto& d : loaded.value()) {
        // Name files from the check folder down ("checks/nodes.kcql"), not by
        // where this machine keeps them.
        std::error_code ec;
        fs::path root = fs::is_directory(p, ec) ? fs::path(p) : fs::path(p).parent_path();
        fs::path rel = fs::relative(d.file, root.parent_path(), ec);
        if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0) d.file = rel.string();
        if (!ids.insert(d.id).second) {
          errors.push_back({d.file, d.pos, "check '" + d.id + "' is defined twice", "", "", ""});
          continue;
        }
        defs.push_back(std::move(d));
      }
    }
    if (!errors.empty()) {
      std::string summary = std::to_string(errors.size()) + (errors.size() == 1 ? " problem" : " problems") + " in checks";
      return Error(std::move(summary), std::move(errors));
    }
  }
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
  // A --param nobody declares is a typo: say so rather than ignore it.
  {
    std::vector<Diagnostic> errors;
    std::set<std::string> declared;
    std::vector<std::string> qualified;
    for (const auto& ci : infos)
      for (const auto& p : ci.params) declared.insert(p), qualified.push_back(ci.id + "." + p);
    for (const auto& [key, _] : cfg.params) {
      if (declared.count(key) || std::find(qualified.begin(), qualified.end(), key) != qualified.end()) continue;
      std::vector<std::string> all(declared.begin(), declared.end());
      all.insert(all.end(), qualified.begin(), qualified.end());
      std::string hint = closest_match(key, all);
      errors.push_back({"--param", {}, "no check declares parameter '" + key + "'", hint.empty() ? "" : "did you mean '" + hint + "'?", "", ""});
    }
    if (!errors.empty()) {
      std::string summary = "unknown parameter";
      return Error(std::move(summary), std::move(errors));
    }
  }
  auto profiles = ProfileSet::load(cfg.profile_paths);
  if (!profiles) return std::move(profiles).error();
  if (Status st = profiles->validate(infos); !st.ok()) return st.error();

  // ---- the profile given with --profile is known before detection, so a
  // run whose checks read no k8s.* table (the node profile) never has to
  // reach an API server; see host_run below.
  const Profile* profile = nullptr;
  std::string profile_why;
  if (!cfg.profile.empty()) {
    profile = profiles->find(cfg.profile);
    if (!profile) {
      std::vector<std::string> names;
      for (const auto& p : profiles->profiles()) names.push_back(p->name);
      std::string hint = closest_match(cfg.profile, names);
      return Error("no profile '" + cfg.profile + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                   "; 'kinspect profiles list' shows them");
    }
    profile_why = "profile " + profile->name + " (given with --profile)";
  }

  // ---- detection
  ClusterDetection det;
  auto detect = [&] {
    CancelToken detect_budget;
    detect_budget.deadline = Clock::now() + std::chrono::seconds(60);
    std::shared_ptr<const TableData> version_rows, node_rows;
    std::string detect_error;
    if (registry.find("k8s.version")) {
      auto v = registry.fetch(ScanSpec{"k8s.version", {}, {}}, &detect_budget);
      if (v) version_rows = *v;
      else detect_error = v.error().message();
    }
    if (registry.find("k8s.nodes")) {
      auto n = registry.fetch(ScanSpec{"k8s.nodes", {}, detection_node_paths()}, &detect_budget);
      if (n) node_rows = *n;
      else if (detect_error.empty()) detect_error = n.error().message();
    }
    det = detect_cluster(version_rows.get(), node_rows.get());
    if (!detect_error.empty()) det.why.push_back("could not read the cluster: " + detect_error);
  };
  if (!profile) {
    detect();
    ProfileTarget target{det.version, det.types, cfg.scenario};
    auto m = profiles->select(target);
    if (!m) return std::move(m).error();
    profile = m->profile;
    profile_why = "profile " + profile->name + ": " + m->why;
  }
  rep.profile = profile->name;
  const double check_timeout = cfg.check_timeout_seconds > 0 ? cfg.check_timeout_seconds : profile->check_timeout_seconds;
  const double driver_timeout =
      cfg.driver_timeout_seconds > 0 ? cfg.driver_timeout_seconds : profile->driver_timeout_seconds;

  // ---- selection and binding
  std::vector<const CheckInfo*> selected = ProfileSet::select_checks(*profile, infos, cfg.inputs);
  if (!cfg.checks.empty()) {
    Profile narrow;
    narrow.include = cfg.checks;
    std::vector<CheckInfo> sub;
    for (const auto* c : selected) sub.push_back(*c);
    std::set<std::string> keep;
    for (const auto* c : ProfileSet::select_checks(narrow, sub, cfg.inputs)) keep.insert(c->id);
    std::erase_if(selected, [&](const CheckInfo* c) { return !keep.count(c->id); });
    if (selected.empty()) return Error("--check selects none of the checks of profile '" + profile->name + "'");
  }
  auto override_for = [&](std::string_view id, std::string_view param) -> const json::value* {
    auto it = cfg.params.find(std::string(id) + "." + std::string(param));
    if (it != cfg.params.end()) return &it->second;
    it = cfg.params.find(std::string(param));
    if (it != cfg.params.end()) return &it->second;
    return ProfileSet::param_override(*profile, id, param);
  };
  std::set<std::string> allowed_plugins(profile->plugins.begin(), profile->plugins.end());
  std::vector<Task> tasks;
  for (const auto* ci : selected) {
    Task t;
    report::CheckResult& r = t.result;
    r.id = ci->id;
    auto def_it = std::find_if(defs.begin(), defs.end(), [&](const kcql::CheckDef& d) { return d.id == ci->id; });
    if (def_it != defs.end()) {
      auto def = std::make_shared<const kcql::CheckDef>(*def_it);
      t.def = def;
      r.title = def->title;
      r.category = def->category;
      r.component = def->component;
      r.severity = severity_of(def->severity);
      r.remedy = def->remedy;
      r.doc = def->doc_url;
      r.source = def->file + ":" + std::to_string(def->pos.line);
      kcql::Params params;
      for (const auto& p : def->params) {
        // --target-version is what this run is about: it beats any profile value.
        if (p.name == "target_version" && !cfg.target_version.empty()) params[p.name] = json::value(cfg.target_version);
        else if (const json::value* v = override_for(def->id, p.name)) params[p.name] = *v;
      }
      auto bound = kcql::bind_check(*def, registry, params);
      std::vector<std::string> missing;
      if (!bound && only_unknown_tables(bound.error(), missing)) {
        r.status = report::Status::Skipped;
        r.reason = "needs table " + missing[0] + ", which no loaded plugin provides";
      } else if (!bound) {
        r.status = report::Status::Error;
        r.reason = bound.error().format();
      } else {
        t.bound = std::move(bound.value());
        t.scans = t.bound->plan.scans();
      }
    } else {
      for (const auto* n : registry.native_checks())
        if (n->id == ci->id) t.native = n;
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
          if (const json::value* v = override_for(ci->id, kv.key())) kv.value() = *v;
      t.native_params = json::serialize(params);
      for (const auto& table : t.native->reads) t.scans.push_back(ScanSpec{table, {}, {}});
    }
    if (auto sev = ProfileSet::severity_override(*profile, r.id)) r.severity = severity_of(*sev);
    for (const auto& s : t.scans) {
      r.tables.push_back(s.table);
      if (!allowed_plugins.empty() && r.status == report::Status::Pass) {
        LoadedPlugin* owner = registry.owner(s.table);
        if (owner && !allowed_plugins.count(std::string(owner->name()))) {
          r.status = report::Status::Skipped;
          r.reason = "reads " + s.table + " from plugin '" + std::string(owner->name()) + "', which profile '" +
                     profile->name + "' does not use";
        }
      }
    }
    tasks.push_back(std::move(t));
  }

  // ---- the cluster section. With --profile, detection runs only if some
  // selected check reads a k8s.* table; otherwise this is a host run (the
  // node profile) and no API server or kubeconfig is touched.
  if (!cfg.profile.empty()) {
    bool reads_cluster = false;
    for (const auto& t : tasks)
      for (const auto& table : t.result.tables) reads_cluster = reads_cluster || table.rfind("k8s.", 0) == 0;
    if (reads_cluster) {
      detect();
    } else {
      std::string host = host_name(registry);
      det.types = {"host"};
      det.why.push_back("host run" + (host.empty() ? std::string() : " on " + host) +
                        ": no selected check reads a k8s.* table, so the cluster was not contacted");
      if (rep.cluster.name.empty()) rep.cluster.name = host;
    }
  }
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
  if (cfg.now)
    rep.cluster.detected.push_back("ages judged as of " + rfc3339_utc(static_cast<std::time_t>(cfg.now)) +
                                   (cfg.now_source.empty() ? "" : " (" + cfg.now_source + ")"));
  rep.cluster.detected.push_back(profile_why);
  rep.cluster.nodes = det.nodes;

  // ---- fetch each table once, with the union of the paths the checks read
  std::map<std::string, ScanSpec> needed;
  for (const auto& t : tasks) {
    if (t.result.status != report::Status::Pass || t.native) continue;  // native checks read through the host
    for (const auto& s : t.scans) {
      auto [it, fresh] = needed.emplace(s.key(), s);
      if (fresh) continue;
      ScanSpec& merged = it->second;
      if (merged.paths.empty() || s.paths.empty()) {
        merged.paths.clear();  // someone reads every column
      } else {
        std::set<std::string> all(merged.paths.begin(), merged.paths.end());
        all.insert(s.paths.begin(), s.paths.end());
        merged.paths.assign(all.begin(), all.end());
      }
    }
  }
  std::vector<ScanSpec> scans;
  for (auto& [_, s] : needed) scans.push_back(std::move(s));

  // ---- one queue: every fetch, then every check in the order its tables
  // arrive. A check starts as soon as the tables it reads are in, so checks
  // on small tables run while a large one (150,000 pods) is still being
  // parsed on another thread. Fetches come first in the queue and are handed
  // out first, so a check only ever waits for a fetch already under way.
  std::map<std::string, size_t> readers;  // scan key -> checks that read it
  for (const auto& t : tasks)
    for (const auto& s : t.scans) ++readers[s.key()];
  std::vector<size_t> fetch_order(scans.size());
  for (size_t i = 0; i < scans.size(); ++i) fetch_order[i] = i;
  // The table most checks read first: that is where the big tables are.
  std::stable_sort(fetch_order.begin(), fetch_order.end(),
                   [&](size_t a, size_t b) { return readers[scans[a].key()] > readers[scans[b].key()]; });
  std::map<std::string, size_t> fetch_position;  // scan key -> place in fetch_order
  for (size_t i = 0; i < fetch_order.size(); ++i) fetch_position[scans[fetch_order[i]].key()] = i;
  std::vector<std::vector<size_t>> waits_for(tasks.size());  // fetch positions each check reads
  std::vector<size_t> check_order(tasks.size()), ready_after(tasks.size(), 0);
  for (size_t i = 0; i < tasks.size(); ++i) {
    check_order[i] = i;
    for (const auto& s : tasks[i].scans)
      if (auto it = fetch_position.find(s.key()); it != fetch_position.end()) {
        waits_for[i].push_back(it->second);
        ready_after[i] = std::max(ready_after[i], it->second + 1);
      }
  }
  std::stable_sort(check_order.begin(), check_order.end(), [&](size_t a, size_t b) { return ready_after[a] < ready_after[b]; });

  // Work units: one check, or a share of the checks whose query starts by
  // walking the same table (a shared scan, see kcql::SteppedRun), split over
  // the threads.
  struct Unit {
    std::vector<size_t> tasks;
    bool shared_scan = false;  // false: a single check run on its own
  };
  std::vector<Unit> units;
  std::map<std::string, std::vector<size_t>> walking;  // table key -> checks that walk it
  for (size_t i : check_order) {
    const Task& t = tasks[i];
    std::string table = t.bound && t.result.status == report::Status::Pass ? kcql::steppable_table(t.bound->plan.impl()) : "";
    if (!table.empty() && fetch_position.count(table)) walking[table].push_back(i);
    else units.push_back({{i}, false});
  }
  constexpr size_t kMinSharedScan = 3;
  for (auto& [_, group] : walking) {
    if (group.size() < kMinSharedScan) {
      for (size_t i : group) units.push_back({{i}, false});
      continue;
    }
    size_t parts = std::min<size_t>(std::max(1u, threads), group.size());
    std::vector<Unit> split(parts);
    for (size_t j = 0; j < group.size(); ++j) {
      split[j % parts].tasks.push_back(group[j]);
      split[j % parts].shared_scan = true;
    }
    for (auto& u : split) units.push_back(std::move(u));
  }

  Prefetched prefetched;
  for (const auto& s : scans) prefetched.tables[s.key()];  // the map's shape is fixed before threads start
  std::map<std::string, size_t> unread = readers;  // scan key -> checks yet to finish reading it
  std::vector<report::TableFetch> fetches(scans.size());
  std::vector<bool> fetch_done(scans.size(), false);
  std::mutex progress_mutex;
  std::condition_variable fetch_finished;
  size_t fetched = 0, checked = 0;
  auto fetch_table = [&](size_t i) {
    const ScanSpec& s = scans[i];
    CancelToken budget;
    budget.deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(driver_timeout * 1000));
    auto t1 = Clock::now();
    auto data = registry.fetch(s, &budget);
    report::TableFetch& f = fetches[i];
    f.name = s.key();
    if (LoadedPlugin* owner = registry.owner(s.table)) f.plugin = std::string(owner->name());
    f.duration_ms = ms_since(t1);
    Prefetched::Entry e;
    if (data) {
      f.rows = (*data)->rows.size();
      e.data = *data;
    } else {
      f.error = data.error().message();
      e.error = f.error;
      log::warn("run", f.error);
    }
    std::lock_guard<std::mutex> lock(progress_mutex);
    prefetched.tables[s.key()] = std::move(e);
    fetch_done[fetch_position[s.key()]] = true;
    fetch_finished.notify_all();
    if (cfg.progress) cfg.progress({"tables", ++fetched, scans.size(), s.table});
  };

  // ---- fetch and run
  auto check_options = [&](const report::CheckResult& r) {
    kcql::ExecOptions opts;
    opts.now = now;
    opts.time_budget = std::chrono::milliseconds(static_cast<int64_t>(check_timeout * 1000));
    opts.label = "check " + r.id;
    return opts;
  };
  // A check whose table failed is an error that names the table.
  auto check_tables = [&](Task& t) {
    report::CheckResult& r = t.result;
    if (r.status == report::Status::Pass) {
      // A check whose table failed is an error that names the table.
      for (const auto& s : t.scans) {
        auto it = prefetched.tables.find(s.key());
        if (it != prefetched.tables.end() && !it->second.error.empty()) {
          r.status = report::Status::Error;
          r.reason = "needs table " + s.table + ", which could not be read: " + it->second.error;
          break;
        }
      }
    }
  };
  auto take_findings = [&](Task& t, Expected<std::vector<kcql::Finding>> findings) {
    report::CheckResult& r = t.result;
    if (!findings) {
      r.status = report::Status::Error;
      r.reason = findings.error().format();
      return;
    }
    for (auto& f : *findings) {
      report::Finding rf;
      rf.object = std::move(f.object);
      rf.message = std::move(f.message);
      rf.severity = f.severity.empty() ? r.severity : severity_of(f.severity);
      if (auto sev = ProfileSet::severity_override(*profile, r.id)) rf.severity = severity_of(*sev);
      rf.details = std::move(f.row);
      r.findings.push_back(std::move(rf));
    }
  };
  auto check_done = [&](Task& t) {
    report::CheckResult& r = t.result;
    if (r.status == report::Status::Pass && !r.findings.empty()) r.status = report::Status::Fail;
    std::lock_guard<std::mutex> lock(progress_mutex);
    // A table no check still has to read is freed now rather than at the
    // end of the run: deployments and services go while pods are parsed.
    for (const auto& s : t.scans)
      if (auto it = unread.find(s.key()); it != unread.end() && --it->second == 0) prefetched.tables[s.key()].data.reset();
    if (cfg.progress) cfg.progress({"checks", ++checked, tasks.size(), r.id});
  };
  auto run_task = [&](size_t i) {
    Task& t = tasks[i];
    report::CheckResult& r = t.result;
    auto t1 = Clock::now();
    check_tables(t);
    if (r.status == report::Status::Pass && t.bound) {
      take_findings(t, kcql::run_check(*t.bound, prefetched, check_options(r)));
    } else if (r.status == report::Status::Pass && t.native) {
      CancelToken budget;
      budget.deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(check_timeout * 1000));
      LoadedPlugin* owner = nullptr;
      for (const auto& p : registry.plugins())
        if (p->name() == t.native->plugin) owner = p.get();
      std::string batches;
      Status st = owner->run_check(r.id, t.native_params, [&](std::string_view b) {
        batches.append(b).push_back('\n');
        return Status::Ok();
      }, &budget);
      if (!st.ok()) {
        r.status = report::Status::Error;
        r.reason = st.error().message();
      } else {
        json::parser p;
        for (size_t pos = 0; pos < batches.size();) {
          if (std::isspace(static_cast<unsigned char>(batches[pos]))) {
            ++pos;
            continue;
          }
          json::error_code ec;
          p.reset();
          pos += p.write_some(batches.data() + pos, batches.size() - pos, ec);
          if (ec) {
            r.status = report::Status::Error;
            r.reason = "plugin '" + t.native->plugin + "' returned an invalid finding: " + ec.message();
            break;
          }
          json::value v = p.release();
          report::Finding rf;
          const json::value* o = v.is_object() ? v.as_object().if_contains("object") : nullptr;
          const json::value* m = v.is_object() ? v.as_object().if_contains("message") : nullptr;
          rf.object = o && o->is_string() ? std::string(o->as_string()) : "";
          rf.message = m && m->is_string() ? std::string(m->as_string()) : "";
          const json::value* sev = v.is_object() ? v.as_object().if_contains("severity") : nullptr;
          rf.severity = sev && sev->is_string() ? severity_of(sev->as_string()) : r.severity;
          if (const json::value* d = v.is_object() ? v.as_object().if_contains("details") : nullptr) rf.details = *d;
          r.findings.push_back(std::move(rf));
        }
      }
    }
    r.duration_ms = ms_since(t1);
    check_done(t);
  };
  // Checks walking the same large table together (see kcql::SteppedRun):
  // each range of rows is read from memory once for all of them.
  auto run_shared_scan = [&](const std::vector<size_t>& unit) {
    std::vector<std::unique_ptr<kcql::SteppedRun>> runs(unit.size());
    std::vector<std::vector<kcql::Finding>> findings(unit.size());
    std::vector<Clock::duration> spent(unit.size(), Clock::duration::zero());
    std::vector<bool> live(unit.size(), false);
    for (size_t j = 0; j < unit.size(); ++j) {
      Task& t = tasks[unit[j]];
      auto t1 = Clock::now();
      check_tables(t);
      if (t.result.status == report::Status::Pass) {
        auto run = kcql::start_stepped(t.bound->plan.impl(), prefetched, check_options(t.result));
        if (run) runs[j] = std::move(run.value()), live[j] = true;
        else take_findings(t, run.error());
      }
      spent[j] += Clock::now() - t1;
    }
    size_t rows = 0;
    for (size_t j = 0; j < unit.size(); ++j)
      if (live[j]) rows = std::max(rows, runs[j]->rows());
    constexpr size_t kStep = 512;  // rows of ~2.5 KB: about the size of a core's L2 cache
    for (size_t begin = 0; begin < rows; begin += kStep)
      for (size_t j = 0; j < unit.size(); ++j) {
        if (!live[j]) continue;
        auto t1 = Clock::now();
        live[j] = runs[j]->feed(begin, std::min(rows, begin + kStep));
        spent[j] += Clock::now() - t1;
      }
    for (size_t j = 0; j < unit.size(); ++j) {
      Task& t = tasks[unit[j]];
      auto t1 = Clock::now();
      if (runs[j]) {
        auto examined = runs[j]->finish(kcql::findings_sink(*t.bound, findings[j]));
        take_findings(t, examined ? Expected<std::vector<kcql::Finding>>(std::move(findings[j]))
                                  : Expected<std::vector<kcql::Finding>>(examined.error()));
        runs[j].reset();
      }
      spent[j] += Clock::now() - t1;
      t.result.duration_ms = std::chrono::duration<double, std::milli>(spent[j]).count();
      check_done(t);
    }
  };
  // After the fetches, each thread takes the first unit whose tables are
  // all in (in check order), waiting only when none is: a check on pods
  // never holds a thread while deployments' checks could run.
  std::vector<bool> taken(units.size(), false);
  auto next_unit = [&]() -> const Unit* {
    std::unique_lock<std::mutex> lock(progress_mutex);
    while (true) {
      bool any_left = false;
      for (size_t u = 0; u < units.size(); ++u) {
        if (taken[u]) continue;
        any_left = true;
        bool ready = true;
        for (size_t i : units[u].tasks)
          for (size_t p : waits_for[i]) ready = ready && fetch_done[p];
        if (ready) {
          taken[u] = true;
          return &units[u];
        }
      }
      if (!any_left) return nullptr;
      // Every fetch was handed out before any unit, so one is under way.
      fetch_finished.wait(lock);
    }
  };
  parallel_for(scans.size() + units.size(), threads, [&](size_t item) {
    if (item < scans.size()) return fetch_table(fetch_order[item]);
    const Unit* unit = next_unit();
    if (!unit) return;
    if (!unit->shared_scan) return run_task(unit->tasks[0]);
    run_shared_scan(unit->tasks);
  });
  rep.tables = std::move(fetches);
  for (const auto& f : rep.tables) {
    if (!f.error.empty()) out.incomplete = true;
    if (f.name == "k8s.pods()") rep.cluster.pods = f.rows;
  }
  for (auto& t : tasks) rep.checks.push_back(std::move(t.result));
  rep.duration_ms = ms_since(t0);
  return out;
}

}  // namespace kinspect
