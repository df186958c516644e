// What `kinspect serve` serves: its YAML configuration file (docs/daemon.md)
// and the flags that stand in for it in the common case.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/daemon/cron.h"
#include "core/report/report.h"
#include "core/util/error.h"

namespace kinspect::daemon {

using Seconds = std::chrono::duration<double>;

// Write-back (docs/daemon.md): each finished report's findings published to
// a live cluster as Events on their objects and node findings as a node
// condition, by the kube-writeback publisher plugin. Off unless configured.
struct WriteBack {
  bool enabled = false;
  bool events = true, node_conditions = true;
  report::Severity min_severity = report::Severity::Warning;  // and above
  size_t max_writes = 500;  // Events, and node conditions, per report
  // Credentials that may write (deploy/rbac-write-back.yaml); "" = the
  // cluster's own, which then need that role too.
  std::string kubeconfig, context;
};

// One cluster the daemon inspects: a snapshot, or a live API server (a
// kubeconfig and context, or neither: found as kubectl finds it, in-cluster too).
struct ClusterConfig {
  std::string name;
  std::string snapshot;    // a snapshot folder, .tar.gz or List file; or
  std::string kubeconfig;  // a kubeconfig (with `context`) for a live cluster
  std::string context;
  std::vector<std::string> profiles;  // one scheduled job per profile; empty = the matching profile
  Seconds interval{0};                // 0 = the daemon's
  std::string schedule;               // cron-like (cron.h), instead of an interval
  std::optional<CronSchedule> cron;   // `schedule` parsed
  // More plugin settings, as for `kinspect run --set PLUGIN.KEY=VALUE`.
  std::map<std::string, std::map<std::string, std::string>> settings;
  // What is read, as `kinspect run -n/--exclude-namespace/-l` (the report says it).
  report::Scope scope;
  WriteBack write_back;
};

struct Limits {
  size_t max_body_bytes = 64 * 1024;  // a request body larger is refused (413)
  size_t max_header_bytes = 16 * 1024;
  unsigned max_connections = 64;      // more at once are refused (503)
  Seconds request_timeout{10};        // a request not read whole by then is dropped (408)
};

struct DaemonConfig {
  std::string listen = "127.0.0.1:8080";
  Seconds interval{600};
  std::string token_file;  // bearer token for POST; none = writes refused
  std::string tls_cert, tls_key;  // PEM files; both set = the API speaks HTTPS only
  std::string state_dir;   // history; "" = kept in memory only
  size_t history_reports = 20;  // per cluster
  size_t history_bytes = size_t(256) << 20;  // all clusters together
  size_t queue = 16;       // on-demand runs waiting at most
  size_t runs_remembered = 1000;  // finished runs GET /api/v1/runs/{id} still knows (a few hundred bytes each)
  Seconds shutdown_timeout{30};
  Seconds reload_debounce{0.3};
  std::vector<std::string> check_paths, profile_paths, plugin_dirs;  // empty = the defaults
  bool bundled_checks = true;  // false: check_paths replace the bundled catalog (--no-bundled-checks)
  // Waiver files (docs/waivers.md), read again for every run so edits apply
  // without a restart; none = only annotation waivers.
  std::vector<std::string> waiver_files;
  std::vector<ClusterConfig> clusters;
  Limits limits;
};

// "30s", "10m", "1h30m", "500ms", or a plain number of seconds.
Expected<Seconds> parse_duration(const std::string& text);

// Reads `path`; every problem names the file, line and column.
Expected<DaemonConfig> load_config(const std::string& path);

// Checks what no single field can (cluster names unique and non-empty, one
// source per cluster, something to serve); the problem, or "".
std::string validate(const DaemonConfig& config);

}  // namespace kinspect::daemon
