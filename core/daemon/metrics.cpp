// GET /metrics: Prometheus text format 0.0.4. Per cluster, from its latest
// report: each check's status and findings by severity, the tables it
// fetched; per job: runs, duration, last run; and the daemon's own state:
// reloads, plugin load errors, the queue, HTTP connections.
#include <map>

#include "core/daemon/api.h"
#include "core/report/render.h"
#include "core/table/packed.h"

namespace kinspect::daemon {

namespace {

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

using Labels = std::vector<std::pair<const char*, std::string>>;

class Page {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const char* name, const Labels& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i)
        out_ += std::string(i ? "," : "") + labels[i].first + "=\"" + escape(labels[i].second) + "\"";
      out_ += '}';
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out_ += buf;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void report_metrics(Page& p, const std::vector<std::pair<std::string, std::shared_ptr<const report::Report>>>& reports) {
  // The status words of `kinspect run --format prometheus`, so "not_checked"
  // is told from a skip that does not matter.
  p.family("kinspect_check_status", "gauge", "1 for the status the check had in the cluster's latest report.");
  for (const auto& [cluster, r] : reports)
    for (const auto& c : r->checks)
      p.sample("kinspect_check_status",
               {{"cluster", cluster}, {"check", c.id}, {"category", c.category}, {"status", std::string(report::metric_status(c))}},
               1);
  p.family("kinspect_findings", "gauge", "Findings of a check in the cluster's latest report, by severity.");
  for (const auto& [cluster, r] : reports)
    for (const auto& c : r->checks) {
      std::map<std::string, double> by{{"critical", 0}, {"warning", 0}, {"info", 0}};
      for (const auto& f : c.findings) ++by[std::string(report::to_string(f.severity))];
      for (const auto& [sev, n] : by) p.sample("kinspect_findings", {{"cluster", cluster}, {"check", c.id}, {"severity", sev}}, n);
    }
  p.family("kinspect_table_rows", "gauge", "Rows of each table the cluster's latest run fetched.");
  for (const auto& [cluster, r] : reports)
    for (const auto& t : r->tables) p.sample("kinspect_table_rows", {{"cluster", cluster}, {"table", t.name}}, double(t.rows));
  p.family("kinspect_table_fetch_ok", "gauge", "1 when the table was fetched in the latest run, 0 when it failed or was not available.");
  for (const auto& [cluster, r] : reports)
    for (const auto& t : r->tables)
      p.sample("kinspect_table_fetch_ok", {{"cluster", cluster}, {"table", t.name}}, t.error.empty() ? 1 : 0);
  p.family("kinspect_table_fetch_duration_seconds", "gauge", "How long each table took to fetch in the latest run.");
  for (const auto& [cluster, r] : reports)
    for (const auto& t : r->tables)
      p.sample("kinspect_table_fetch_duration_seconds", {{"cluster", cluster}, {"table", t.name}}, t.duration_ms / 1000);
}

void job_metrics(Page& p, const std::vector<JobStatus>& jobs) {
  p.family("kinspect_runs_total", "counter", "Inspections finished, by result.");
  for (const auto& j : jobs) {
    p.sample("kinspect_runs_total", {{"cluster", j.cluster}, {"profile", j.profile}, {"result", "ok"}}, double(j.runs_ok));
    p.sample("kinspect_runs_total", {{"cluster", j.cluster}, {"profile", j.profile}, {"result", "failed"}}, double(j.runs_failed));
  }
  p.family("kinspect_run_duration_seconds", "gauge", "How long the last inspection took.");
  for (const auto& j : jobs)
    p.sample("kinspect_run_duration_seconds", {{"cluster", j.cluster}, {"profile", j.profile}}, j.last_duration_seconds);
  p.family("kinspect_last_run_timestamp_seconds", "gauge", "When the last inspection finished (Unix time; 0 = none yet).");
  for (const auto& j : jobs)
    p.sample("kinspect_last_run_timestamp_seconds", {{"cluster", j.cluster}, {"profile", j.profile}}, j.last_run_time);
  p.family("kinspect_next_run_timestamp_seconds", "gauge", "When the next scheduled inspection is due (Unix time; 0 = on demand only).");
  for (const auto& j : jobs)
    p.sample("kinspect_next_run_timestamp_seconds", {{"cluster", j.cluster}, {"profile", j.profile}}, j.next_run_time);
  p.family("kinspect_run_in_progress", "gauge", "1 while an inspection of the cluster and profile runs.");
  for (const auto& j : jobs) p.sample("kinspect_run_in_progress", {{"cluster", j.cluster}, {"profile", j.profile}}, j.running);
}

void daemon_metrics(Page& p, Daemon& d, const HttpServer* server) {
  p.family("kinspect_key_dictionary_generation", "gauge",
           "The packed rows' key dictionary generation: a new one begins before a run when none is in flight.");
  p.sample("kinspect_key_dictionary_generation", {}, double(packed::generation()));
  p.family("kinspect_key_dictionary_keys", "gauge", "Distinct object keys in the current generation, and its bound.");
  p.sample("kinspect_key_dictionary_keys", {{"of", "used"}}, double(packed::key_count()));
  p.sample("kinspect_key_dictionary_keys", {{"of", "limit"}}, double(packed::key_limit()));
  p.family("kinspect_writeback_writes_total", "counter",
           "Write-back writes (event, condition) per cluster, by result: created, updated, cleared, failed, skipped.");
  const auto write_back = d.write_back_status();
  for (const auto& [cluster, st] : write_back)
    for (const auto& [key, n] : st.writes)
      p.sample("kinspect_writeback_writes_total", {{"cluster", cluster}, {"write", key.first}, {"result", key.second}},
               double(n));
  p.family("kinspect_writeback_failures_total", "counter", "Reports whose write-back failed as a whole, per cluster.");
  for (const auto& [cluster, st] : write_back)
    p.sample("kinspect_writeback_failures_total", {{"cluster", cluster}}, double(st.failures));
  ReloadStatus rs = d.reload_status();
  p.family("kinspect_reloads_total", "counter", "Reloads of checks, profiles and plugins, by result.");
  p.sample("kinspect_reloads_total", {{"result", "ok"}}, double(rs.reloads_ok));
  p.sample("kinspect_reloads_total", {{"result", "failed"}}, double(rs.reloads_failed));
  p.family("kinspect_last_reload_timestamp_seconds", "gauge", "When checks, profiles and plugins were last reloaded.");
  p.sample("kinspect_last_reload_timestamp_seconds", {}, rs.last_reload_time);
  p.family("kinspect_reload_error", "gauge", "1 when the last reload kept something at its previous version.");
  p.sample("kinspect_reload_error", {}, rs.last_error.empty() ? 0 : 1);
  p.family("kinspect_plugin_load_errors", "gauge", "Plugin files the last reload could not load, per cluster.");
  for (const auto& [cluster, n] : rs.plugins)
    p.sample("kinspect_plugin_load_errors", {{"cluster", cluster}}, double(rs.plugin_errors.count(cluster) ? rs.plugin_errors[cluster].size() : 0));
  p.family("kinspect_plugins_loaded", "gauge", "Plugins serving, per cluster.");
  for (const auto& [cluster, n] : rs.plugins) p.sample("kinspect_plugins_loaded", {{"cluster", cluster}}, double(n));
  p.family("kinspect_checks_loaded", "gauge", "Checks loaded.");
  p.sample("kinspect_checks_loaded", {}, double(rs.checks));
  p.family("kinspect_run_queue_length", "gauge", "Runs waiting to start.");
  p.sample("kinspect_run_queue_length", {}, double(d.queued()));
  p.family("kinspect_history_bytes", "gauge", "Bytes of reports kept in the history.");
  p.sample("kinspect_history_bytes", {}, double(d.history().total_bytes()));
  if (!server) return;
  p.family("kinspect_http_connections", "gauge", "HTTP connections being served.");
  p.sample("kinspect_http_connections", {}, double(server->active_connections()));
  p.family("kinspect_http_requests_total", "counter", "HTTP requests read whole.");
  p.sample("kinspect_http_requests_total", {}, double(server->requests()));
  p.family("kinspect_http_refused_connections_total", "counter", "Connections refused for being over the limit.");
  p.sample("kinspect_http_refused_connections_total", {}, double(server->refused()));
  if (!server->tls()) return;
  p.family("kinspect_http_tls_handshake_failures_total", "counter",
           "TLS handshakes that failed or did not finish within the request timeout (plain HTTP included).");
  p.sample("kinspect_http_tls_handshake_failures_total", {}, double(server->handshake_failures()));
}

}  // namespace

std::string render_metrics(Daemon& daemon, const HttpServer* server) {
  Page p;
  report_metrics(p, daemon.latest_reports());
  job_metrics(p, daemon.jobs());
  daemon_metrics(p, daemon, server);
  return p.take();
}

}  // namespace kinspect::daemon
