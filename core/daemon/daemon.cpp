#include "core/daemon/daemon.h"

#include <malloc.h>

#include <boost/json.hpp>

#include "core/report/render.h"
#include "core/run/runner.h"
#include "core/snapshot/manifest.h"
#include "core/table/packed.h"
#include "core/util/log.h"
#include "core/util/time.h"
#include "core/waiver/objects.h"

namespace kinspect::daemon {

namespace json = boost::json;

namespace {

constexpr size_t kMaxRunsAtOnce = 2;

std::string now_text() { return format_rfc3339(std::time(nullptr)); }
double epoch_now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }
std::string job_key(const std::string& cluster, const std::string& profile) { return cluster + "\n" + profile; }

// A setting as `kinspect run --set` reads it: JSON when it parses, else text.
json::value setting_value(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

// Whether a cluster's tables are kept current with WATCH: a live cluster's
// are, unless its settings turn it off (registry_options).
bool watched(const ClusterConfig& c) {
  if (!c.snapshot.empty()) return false;
  auto s = c.settings.find("kube-apiserver");
  if (s == c.settings.end()) return true;
  auto w = s->second.find("watch");
  return w == s->second.end() || setting_value(w->second) == json::value(true);
}

}  // namespace

Daemon::Daemon(DaemonConfig config, std::string kinspect_version)
    : config_(std::move(config)),
      kinspect_version_(std::move(kinspect_version)),
      history_(config_.state_dir, config_.history_reports, config_.history_bytes) {}

Daemon::~Daemon() { stop(); }

// The cluster's source reaches the kube-apiserver plugin as its settings,
// exactly as `kinspect run --snapshot/--kubeconfig/--context` passes them.
RegistryOptions Daemon::registry_options(const ClusterConfig& c) const {
  RegistryOptions o;
  o.dirs = config_.plugin_dirs.empty() ? default_plugin_dirs() : config_.plugin_dirs;
  std::map<std::string, json::object> settings;
  json::object& kube = settings["kube-apiserver"];
  if (!c.snapshot.empty()) kube["snapshot"] = c.snapshot;
  if (!c.kubeconfig.empty()) kube["kubeconfig"] = c.kubeconfig;
  if (!c.context.empty()) kube["context"] = c.context;
  // A live cluster's tables are kept current with WATCH (docs/daemon.md),
  // in one worker, so each table is LISTed once, not once per worker.
  if (c.snapshot.empty()) kube["watch"] = true;
  // The scope, pushed to the API server (and its WATCH) or applied to the snapshot by the driver.
  if (!c.scope.namespaces.empty()) kube["namespaces"] = json::value_from(c.scope.namespaces);
  if (!c.scope.exclude_namespaces.empty()) kube["exclude_namespaces"] = json::value_from(c.scope.exclude_namespaces);
  if (!c.scope.label_selector.empty()) kube["label_selector"] = c.scope.label_selector;
  if (const WriteBack& wb = c.write_back; wb.enabled) {
    // Its own credentials when given, else the cluster's (which then need
    // deploy/rbac-write-back.yaml too).
    json::object& w = settings[kWriteBackPlugin];
    const bool own = !wb.kubeconfig.empty() || !wb.context.empty();
    if (const std::string& k = own ? wb.kubeconfig : c.kubeconfig; !k.empty()) w["kubeconfig"] = k;
    if (const std::string& x = own ? wb.context : c.context; !x.empty()) w["context"] = x;
    w["events"] = wb.events;
    w["node_conditions"] = wb.node_conditions;
    w["max_writes"] = wb.max_writes;
  }
  for (const auto& [plugin, kv] : c.settings)
    for (const auto& [k, v] : kv) settings[plugin][k] = setting_value(v);
  if (const json::value* w = settings["kube-apiserver"].if_contains("watch"); w && w->is_bool() && w->as_bool())
    o.isolation.max_workers_for["kube-apiserver"] = 1;
  for (auto& [plugin, obj] : settings) o.config[plugin] = json::serialize(obj);
  return o;
}

bool Daemon::init(std::vector<std::string>& errors) {
  for (const auto& p : history_.load()) log::warn("daemon", "history: " + p);
  for (const auto& c : config_.clusters) {
    auto e = history_.latest(c.name);
    auto text = e ? history_.json(e->id) : std::nullopt;
    auto r = text ? report::parse_report_json(*text, e->id) : Expected<report::Report>(Error("none"));
    if (r) latest_[c.name] = std::make_shared<const report::Report>(std::move(r.value()));
  }
  if (config_.check_paths.empty()) config_.check_paths = default_check_paths();
  if (config_.profile_paths.empty()) config_.profile_paths = default_profile_paths();
  for (const auto& c : config_.clusters) {
    Cluster cluster{c, std::make_unique<PluginSet>(registry_options(c))};
    clusters_.emplace(c.name, std::move(cluster));
    const std::vector<std::string> profiles = c.profiles.empty() ? std::vector<std::string>{""} : c.profiles;
    for (const auto& p : profiles) {
      Job& j = jobs_[job_key(c.name, p)];
      j.cluster = c.name;
      j.profile = p;
      // An interval's first run is right away; a schedule's at its first fire time.
      j.next_due = c.cron ? next_due(c, Clock::now()) : Clock::now();
      j.status.cluster = c.name;
      j.status.profile = p;
    }
  }
  reload();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!catalog_) errors.push_back("no checks or profiles loaded: " + reload_.last_error);
  return catalog_ != nullptr;
}

bool Daemon::reload_catalog(std::string& error) {
  auto catalog = load_catalog(config_.check_paths, config_.profile_paths);
  if (!catalog) {
    error = catalog.error().format();
    return false;
  }
  auto fresh = std::make_shared<const CheckCatalog>(std::move(catalog.value()));
  std::lock_guard<std::mutex> lock(mutex_);
  reload_.checks = fresh->checks.size();
  reload_.profiles = fresh->profiles.profiles().size();
  catalog_ = std::move(fresh);
  return true;
}

void Daemon::reload() {
  std::lock_guard<std::mutex> reloading(reload_mutex_);
  std::string error;
  const bool catalog_ok = reload_catalog(error);
  if (!catalog_ok) log::error("daemon", "reload: checks and profiles keep their previous version: " + error);
  std::map<std::string, std::vector<std::string>> plugin_errors;
  std::map<std::string, size_t> plugins;
  for (auto& [name, c] : clusters_) {
    for (const auto& p : c.plugins->reload()) {
      plugin_errors[name].push_back(p.format());
      log::error("daemon", "reload: cluster " + name + ": " + p.format());
    }
    plugins[name] = c.plugins->snapshot()->plugins().size();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const bool ok = catalog_ok && plugin_errors.empty();
  ++(ok ? reload_.reloads_ok : reload_.reloads_failed);
  reload_.last_error = catalog_ok ? "" : error;
  for (const auto& [cluster, errs] : plugin_errors)
    for (const auto& e : errs) reload_.last_error += (reload_.last_error.empty() ? "" : "\n") + ("cluster " + cluster + ": " + e);
  reload_.plugin_errors = std::move(plugin_errors);
  reload_.plugins = std::move(plugins);
  reload_.last_reload_time = epoch_now();
  log::info("daemon", std::string("reloaded checks, profiles and plugins") + (ok ? "" : " (with errors; see above)"));
}

void Daemon::start() {
  scheduler_ = std::thread([this] { scheduler_loop(); });
}

bool Daemon::stop() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  wake_.notify_all();
  lock.unlock();
  if (scheduler_.joinable()) scheduler_.join();
  lock.lock();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.shutdown_timeout);
  // Past the deadline the caller exits the process: a run still going ends
  // with it (its plugin workers too), and the history holds every run that
  // finished, each report written whole.
  return wake_.wait_until(lock, deadline, [&] { return in_flight_ == 0; });
}

// Memory stays flat over thousands of runs: the packed rows' key dictionary
// only grows, so whenever no run is in flight and one is about to start, the
// daemon begins a new, empty generation (a run pins its generation from
// prepare to report, so none can be in use here). Keys a reload removed, or
// that only an old cluster state had, go with the old one.
void Daemon::fresh_key_generation() {
  if (in_flight_ != 0 || queue_.empty() || packed::key_count() == 0) return;
  auto g = packed::begin_generation();
  if (!g.ok) log::debug("daemon", "key dictionary kept: " + g.error);
}

Clock::time_point Daemon::next_due(const ClusterConfig& c, Clock::time_point now) const {
  if (c.cron) {
    auto t = next_fire(*c.cron, Clock::to_time_t(now));
    return t ? Clock::from_time_t(*t) : Clock::time_point::max();
  }
  const Seconds every = c.interval.count() > 0 ? c.interval : config_.interval;
  return now + std::chrono::duration_cast<Clock::duration>(every);
}

Daemon::Job& Daemon::job_for(const std::string& cluster, const std::string& profile) {
  Job& j = jobs_[job_key(cluster, profile)];
  if (j.cluster.empty()) {
    j.cluster = j.status.cluster = cluster;
    j.profile = j.status.profile = profile;
    j.next_due = Clock::time_point::max();  // asked for on demand only
  }
  return j;
}

void Daemon::scheduler_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    enqueue_due_jobs();
    fresh_key_generation();
    while (in_flight_ < kMaxRunsAtOnce && start_next_run()) {
    }
    wake_.wait_for(lock, std::chrono::milliseconds(200));
  }
}

void Daemon::enqueue_due_jobs() {
  const auto now = Clock::now();
  for (auto& [key, j] : jobs_) {
    if (j.next_due > now || j.status.running) continue;
    bool already = false;
    for (const auto& id : queue_) already = already || (runs_[id].cluster == j.cluster && runs_[id].profile == j.profile);
    if (already) continue;
    const auto due = j.next_due;
    j.next_due = next_due(clusters_.at(j.cluster).config, now);
    RunState r;
    r.id = "run-" + std::to_string(next_run_++);
    r.cluster = j.cluster;
    r.profile = j.profile;
    r.scheduled = true;
    // The time the schedule named, not the moment this loop got to it: a
    // busy machine wakes the scheduler late (CI saw 2 s), and started_at
    // already says when the run began.
    r.requested_at = format_rfc3339(Clock::to_time_t(due));
    remember(r);
    queue_.push_back(r.id);
  }
}

// Starts the first queued run whose cluster and profile are not running
// already (at most one run per cluster and profile at a time).
bool Daemon::start_next_run() {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    RunState& r = runs_[*it];
    Job& j = job_for(r.cluster, r.profile);
    if (j.status.running) continue;
    j.status.running = true;
    r.state = "running";
    r.started_at = now_text();
    queue_.erase(it);
    ++in_flight_;
    std::thread([this, r] { execute(r); }).detach();
    return true;
  }
  return false;
}

Expected<std::string> Daemon::request_run(RunState request) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!clusters_.count(request.cluster)) return Error("unknown cluster '" + request.cluster + "'");
  if (!request.profile.empty() && catalog_ && !catalog_->profiles.find(request.profile))
    return Error("unknown profile '" + request.profile + "'");
  if (stopping_) return Error("shutting down");
  if (queue_.size() >= config_.queue) return Error("queue full");
  request.id = "run-" + std::to_string(next_run_++);
  request.state = "queued";
  request.requested_at = now_text();
  remember(request);
  queue_.push_back(request.id);
  wake_.notify_all();
  return request.id;
}

// Keeps a run for GET /api/v1/runs/{id}; the oldest finished ones are
// forgotten past config_.runs_remembered, so the map stays bounded however long
// the daemon runs.
void Daemon::remember(const RunState& r) {
  runs_[r.id] = r;
  run_order_.push_back(r.id);
  while (run_order_.size() > config_.runs_remembered) {
    const std::string& oldest = runs_[run_order_.front()].state;
    if (oldest == "queued" || oldest == "running") break;
    runs_.erase(run_order_.front());
    run_order_.pop_front();
  }
}

std::optional<RunState> Daemon::run(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return std::nullopt;
  return it->second;
}

Expected<report::Report> Daemon::inspect(const RunState& run) {
  std::shared_ptr<const CheckCatalog> catalog;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    catalog = catalog_;
  }
  const Cluster& c = clusters_.at(run.cluster);
  // Held to the end of the run: a reload meanwhile changes nothing it sees.
  std::shared_ptr<PluginRegistry> plugins = c.plugins->snapshot();
  RunConfig cfg;
  cfg.bundled_checks = config_.bundled_checks;
  cfg.profile = run.profile;
  cfg.scenario = run.scenario.empty() ? "inspection" : run.scenario;
  cfg.target_version = run.target_version;
  cfg.kinspect_version = kinspect_version_;
  cfg.cluster_name = run.cluster;
  if (!c.config.snapshot.empty())
    if (auto created = snapshot_created(c.config.snapshot))
      if (auto t = parse_rfc3339(*created)) cfg.now = *t;
  // Read for every run, so an edited file applies without a restart; a
  // file broken meanwhile fails the run with its file, line and column
  // rather than showing accepted findings as new.
  std::vector<waiver::Waiver> waivers;
  for (const auto& f : config_.waiver_files) {
    auto w = waiver::load_waivers(f);
    if (!w) return std::move(w).error();
    waivers.insert(waivers.end(), w->begin(), w->end());
  }
  // The waivers learn the objects of the findings from the run's own read.
  waiver::RunObjects run_objects(*plugins, waiver::labels_wanted(waivers));
  cfg.object_paths = run_objects.paths();
  cfg.on_object_table = run_objects.taker();
  auto outcome = run_inspection(*plugins, *catalog, cfg);
  if (!outcome) return std::move(outcome).error();
  report::Report& rep = outcome->report;
  rep.scope = c.config.scope;
  rep.waiver_files = config_.waiver_files;
  // A watched table answers from memory: read whole, it costs no LIST.
  waiver::apply_with_objects(*plugins, rep, waivers, cfg.now ? cfg.now : static_cast<double>(std::time(nullptr)),
                             c.config.snapshot.empty() && !watched(c.config), &run_objects);
  return std::move(rep);
}

void Daemon::execute(RunState run) {
  const auto t0 = std::chrono::steady_clock::now();
  Expected<report::Report> result = Error("not run");
  try {
    result = inspect(run);
  } catch (const std::exception& e) {
    result = Error(std::string("the run failed: ") + e.what());
  }
  // The run's rows and plans are freed by now (only the report is left).
  // Each run has a thread of its own, and glibc's per-thread malloc arenas
  // keep what a run freed: without this, RSS between runs went from 39 MiB
  // after 100 runs of the example cluster to 55 MiB after 600
  // (tests/daemon/memory_test.cpp), with it 25 MiB throughout. Returning the
  // free pages costs some milliseconds per run.
  ::malloc_trim(0);
  // The report is stored and served before its findings are written back:
  // whoever sees a written Event can read the report it came from. What was
  // new is judged against the report before it.
  std::shared_ptr<const report::Report> previous;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = latest_.find(run.cluster); it != latest_.end()) previous = it->second;
  }
  finish(run, result, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (result) publish(run, *result, previous.get());
  // Only now may the job run again, or stop() return: nothing of this run is left.
  std::lock_guard<std::mutex> lock(mutex_);
  job_for(run.cluster, run.profile).status.running = false;
  --in_flight_;
  wake_.notify_all();
}

void Daemon::publish(const RunState& run, const report::Report& report, const report::Report* previous) {
  const Cluster& c = clusters_.at(run.cluster);
  if (!c.config.write_back.enabled) return;
  WriteBackStatus status;
  std::shared_ptr<PluginRegistry> plugins = c.plugins->snapshot();
  std::shared_ptr<LoadedPlugin> found;
  for (const auto& p : plugins->plugins())
    if (p->name() == kWriteBackPlugin) found = p;
  if (!found) {
    status.failures = 1;
    status.last_error = std::string("write-back is on, but no plugin '") + kWriteBackPlugin +
                        "' is loaded (kube_writeback.so in a plugin folder)";
    log::error("daemon", run.cluster + ": " + status.last_error);
  } else {
    CancelToken cancel;
    cancel.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    write_back(*found,
               publish_request(run.cluster, report, previous, c.config.write_back), &cancel, status);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  WriteBackStatus& total = write_back_[run.cluster];
  for (const auto& [k, n] : status.writes) total.writes[k] += n;
  total.failures += status.failures;
  total.last_error = status.last_error;
}

std::map<std::string, WriteBackStatus> Daemon::write_back_status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return write_back_;
}

void Daemon::finish(const RunState& run, const Expected<report::Report>& result, double seconds) {
  std::optional<Expected<ReportEntry>> stored;
  if (result) stored = history_.add(run.cluster, *result);
  std::lock_guard<std::mutex> lock(mutex_);
  if (stored && *stored) latest_[run.cluster] = std::make_shared<const report::Report>(*result);
  RunState& r = runs_[run.id];
  Job& j = job_for(run.cluster, run.profile);
  r.finished_at = now_text();
  j.status.last_duration_seconds = seconds;
  j.status.last_run_time = epoch_now();
  if (stored && *stored) {
    r.state = "done";
    r.report_id = (*stored)->id;
    j.status.last_error.clear();
    ++j.status.runs_ok;
  } else {
    r.state = "failed";
    r.error = result ? stored->error().message() : result.error().format();
    j.status.last_error = r.error;
    ++j.status.runs_failed;
    log::error("daemon", "run " + r.id + " (" + run.cluster + "): " + r.error);
  }
}

std::vector<JobStatus> Daemon::jobs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<JobStatus> out;
  for (const auto& [key, j] : jobs_) {
    out.push_back(j.status);
    if (j.next_due != Clock::time_point::max())
      out.back().next_run_time = std::chrono::duration<double>(j.next_due.time_since_epoch()).count();
  }
  return out;
}

ReloadStatus Daemon::reload_status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reload_;
}

size_t Daemon::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

bool Daemon::has_cluster(const std::string& name) const { return clusters_.count(name) > 0; }

std::vector<std::pair<std::string, std::shared_ptr<const report::Report>>> Daemon::latest_reports() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {latest_.begin(), latest_.end()};
}

}  // namespace kinspect::daemon
