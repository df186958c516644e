// `kinspect serve`: inspections on a schedule and on demand, for several
// clusters, with a history that survives restarts, checks, profiles and
// plugins reloaded while it runs, and an HTTP API (http.h).
//
// Each cluster has its own PluginSet (its plugins carry its settings: which
// snapshot, which kubeconfig context). A run takes the cluster's registry
// snapshot and the current check catalog at its start and keeps both to its
// end, so a reload in the middle changes nothing it sees; the next run gets
// the new ones. A reload that fails (a check file with an error, a profile
// that does not parse, a plugin that does not load) keeps the previous good
// version serving and shows the error in the log, /metrics and /readyz.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/daemon/config.h"
#include "core/daemon/history.h"
#include "core/daemon/write_back.h"
#include "core/plugin/plugin_set.h"
#include "core/run/prepare.h"

namespace kinspect::daemon {

using Clock = std::chrono::system_clock;

// A run asked for, under way or done.
struct RunState {
  std::string id;  // "run-<n>"
  std::string cluster, profile, scenario = "inspection", target_version;
  std::string state = "queued";  // queued, running, done, failed
  std::string report_id;         // once done
  std::string error;             // once failed
  std::string requested_at, started_at, finished_at;
  bool scheduled = false;        // by the interval, not through the API
};

// What /readyz and /metrics say about one cluster and job.
struct JobStatus {
  std::string cluster, profile;
  uint64_t runs_ok = 0, runs_failed = 0;
  double last_duration_seconds = 0;
  double last_run_time = 0;  // epoch seconds of the last finished run
  double next_run_time = 0;  // epoch seconds the next scheduled run is due; 0 = on demand only
  std::string last_error;    // of the last run, "" when it worked
  bool running = false;
};

struct ReloadStatus {
  uint64_t reloads_ok = 0, reloads_failed = 0;
  std::string last_error;          // "" after a good reload
  double last_reload_time = 0;
  size_t checks = 0, profiles = 0;
  std::map<std::string, size_t> plugins;                    // per cluster: loaded
  std::map<std::string, std::vector<std::string>> plugin_errors;  // per cluster: the last reload's problems
};

class Daemon {
 public:
  explicit Daemon(DaemonConfig config, std::string kinspect_version);
  ~Daemon();

  // Loads history, checks, profiles and plugins; false (and the reasons in
  // `errors`) when nothing usable loaded. Then start() the scheduler.
  bool init(std::vector<std::string>& errors);
  void start();
  // Stops scheduling, waits for runs in flight up to the shutdown timeout;
  // true when they all finished in time.
  bool stop();

  // Re-reads checks, profiles and plugins (SIGHUP, inotify).
  void reload();

  // An on-demand run; its id, or an error (unknown cluster or profile, queue full).
  Expected<std::string> request_run(RunState request);
  std::optional<RunState> run(const std::string& id) const;

  const DaemonConfig& config() const { return config_; }
  History& history() { return history_; }
  std::vector<JobStatus> jobs() const;
  ReloadStatus reload_status() const;
  size_t queued() const;
  // The latest report of each cluster (for /metrics), kept parsed so a
  // scrape reads no file.
  std::vector<std::pair<std::string, std::shared_ptr<const report::Report>>> latest_reports() const;
  bool has_cluster(const std::string& name) const;
  // Per cluster with write-back on: what it wrote, and its last error.
  std::map<std::string, WriteBackStatus> write_back_status() const;

 private:
  struct Cluster {
    ClusterConfig config;
    std::unique_ptr<PluginSet> plugins;
  };
  struct Job {
    std::string cluster, profile;
    Clock::time_point next_due;
    JobStatus status;
  };

  RegistryOptions registry_options(const ClusterConfig& c) const;
  bool reload_catalog(std::string& error);
  void scheduler_loop();
  void enqueue_due_jobs();  // with mutex_ held
  bool start_next_run();    // with mutex_ held
  void fresh_key_generation();  // with mutex_ held
  void execute(RunState run);
  Expected<report::Report> inspect(const RunState& run);
  void finish(const RunState& run, const Expected<report::Report>& result, double seconds);
  // Publishes a finished report's findings when the cluster turned write-back on.
  void publish(const RunState& run, const report::Report& report, const report::Report* previous);
  Job& job_for(const std::string& cluster, const std::string& profile);  // with mutex_ held
  // When a job of this cluster is next due, the last one having been due at
  // or before `now`: a cron schedule's next fire time, else now + interval.
  Clock::time_point next_due(const ClusterConfig& c, Clock::time_point now) const;
  void remember(const RunState& r);                                      // with mutex_ held

  DaemonConfig config_;
  std::string kinspect_version_;
  History history_;
  std::map<std::string, Cluster> clusters_;
  std::shared_ptr<const CheckCatalog> catalog_;  // swapped on reload, under mutex_
  std::mutex reload_mutex_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Job> jobs_;  // key cluster + "\n" + profile
  std::deque<std::string> queue_;    // run ids waiting
  std::map<std::string, RunState> runs_;  // recent runs by id
  std::deque<std::string> run_order_;     // to forget old ones
  std::map<std::string, std::shared_ptr<const report::Report>> latest_;  // per cluster
  uint64_t next_run_ = 1;
  ReloadStatus reload_;
  std::map<std::string, WriteBackStatus> write_back_;  // per cluster
  size_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread scheduler_;
};

}  // namespace kinspect::daemon
