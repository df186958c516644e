// kinspect serve: the daemon (core/daemon, docs/daemon.md).
#include <signal.h>

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "core/cli/cli.h"
#include "core/daemon/api.h"
#include "core/daemon/daemon.h"
#include "core/daemon/file_watch.h"
#include "core/daemon/http.h"
#include "core/util/log.h"

#ifndef KINSPECT_VERSION
#define KINSPECT_VERSION "0.0.0"
#endif

namespace kinspect::cli {

namespace {

using daemon::DaemonConfig;

template <class T>
void take(const po::variables_map& vm, const char* name, T& out) {
  if (vm.count(name)) out = vm[name].as<T>();
}

void take_duration(const po::variables_map& vm, const char* name, daemon::Seconds& out) {
  if (!vm.count(name)) return;
  auto d = daemon::parse_duration(vm[name].as<std::string>());
  if (!d) throw UsageError(std::string("--") + name + ": " + d.error().message());
  out = *d;
}

void take_schedule(const po::variables_map& vm, daemon::ClusterConfig& cluster) {
  if (!vm.count("schedule")) return;
  cluster.schedule = vm["schedule"].as<std::string>();
  daemon::CronError e;
  cluster.cron = daemon::parse_cron(cluster.schedule, e);
  if (!cluster.cron)
    throw UsageError("--schedule '" + cluster.schedule + "', column " + std::to_string(e.column) + ": " + e.message);
}

// The configuration file, then the flags over it; the cluster the flags
// name (--snapshot, --kubeconfig/--context) joins the file's clusters.
DaemonConfig configure(const po::variables_map& vm) {
  DaemonConfig c;
  if (vm.count("config")) {
    auto loaded = daemon::load_config(vm["config"].as<std::string>());
    if (!loaded) throw UsageError(loaded.error().format());
    c = std::move(loaded.value());
  }
  take(vm, "listen", c.listen);
  take_duration(vm, "interval", c.interval);
  take(vm, "token-file", c.token_file);
  take(vm, "tls-cert", c.tls_cert);
  take(vm, "tls-key", c.tls_key);
  take(vm, "state-dir", c.state_dir);
  if (vm.count("checks") || !bundled_checks(vm)) {
    c.check_paths = check_paths(vm);
    c.bundled_checks = bundled_checks(vm);
  }
  take(vm, "profiles", c.profile_paths);
  take(vm, "plugin-dir", c.plugin_dirs);
  take(vm, "waivers", c.waiver_files);
  read_waivers(c.waiver_files);  // a bad file stops the daemon before it starts, as it stops `run`
  if (vm.count("snapshot") || vm.count("kubeconfig") || vm.count("context")) {
    daemon::ClusterConfig cluster;
    take(vm, "snapshot", cluster.snapshot);
    take(vm, "kubeconfig", cluster.kubeconfig);
    take(vm, "context", cluster.context);
    cluster.name = vm.count("name") ? vm["name"].as<std::string>() : !cluster.context.empty() ? cluster.context : "default";
    if (vm.count("profile")) cluster.profiles = {vm["profile"].as<std::string>()};
    take_schedule(vm, cluster);
    cluster.scope = scope_of(vm);
    c.clusters.push_back(std::move(cluster));
  } else if (vm.count("schedule")) {
    throw UsageError("--schedule applies to the cluster the flags give (--snapshot, --kubeconfig/--context); "
                     "in --config give each cluster its `schedule`");
  } else if (vm.count("profile")) {
    for (auto& cluster : c.clusters)
      if (cluster.profiles.empty()) cluster.profiles = {vm["profile"].as<std::string>()};
  }
  if (!(vm.count("snapshot") || vm.count("kubeconfig") || vm.count("context")) && !scope_of(vm).whole_cluster())
    throw UsageError("-n, --exclude-namespace and -l apply to the cluster the flags give (--snapshot, "
                     "--kubeconfig/--context); in --config give each cluster its `namespaces`, "
                     "`exclude_namespaces` and `selector`");
  if (std::string problem = daemon::validate(c); !problem.empty()) throw UsageError(problem);
  return c;
}

std::string read_token(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  if (!in) throw UsageError("--token-file " + path + ": cannot read it");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.size() < 16) throw UsageError("--token-file " + path + ": the token is shorter than 16 characters");
  return t;
}

// Blocks SIGTERM, SIGINT and SIGHUP in every thread (call before starting
// any) so that serve() takes them one at a time with sigwait.
sigset_t block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Waits for signals: SIGHUP reloads, SIGTERM or SIGINT returns.
void wait_for_signals(const sigset_t& signals, daemon::Daemon& d) {
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::info("daemon", "SIGHUP: reloading checks, profiles and plugins");
      d.reload();
      continue;
    }
    log::info("daemon", std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": shutting down");
    return;
  }
}

int serve(const po::variables_map& vm) {
  DaemonConfig config = configure(vm);
  const std::string token = read_token(config.token_file);
  const sigset_t signals = block_signals();
  daemon::HttpHandler api;
  daemon::HttpServer server(config.limits, [&api](const daemon::HttpRequest& r) { return api(r); });
  // Certificate problems are found before the (slower) first load of checks and plugins.
  if (!config.tls_cert.empty())
    if (Status st = server.use_tls(config.tls_cert, config.tls_key); !st.ok()) {
      std::cerr << "kinspect serve: " << st.error().message() << '\n';
      return kExitUsage;
    }
  daemon::Daemon d(config, KINSPECT_VERSION);
  std::vector<std::string> errors;
  if (!d.init(errors)) {
    for (const auto& e : errors) std::cerr << "kinspect serve: " << e << '\n';
    return kExitUsage;
  }
  api = daemon::make_api(d, token, &server);
  if (Status st = server.listen(config.listen); !st.ok()) {
    std::cerr << "kinspect serve: " << st.error().message() << '\n';
    return kExitUsage;
  }
  std::vector<std::string> watched = d.config().check_paths;
  for (const auto& p : d.config().profile_paths) watched.push_back(p);
  for (const auto& p : d.config().plugin_dirs.empty() ? default_plugin_dirs() : d.config().plugin_dirs) watched.push_back(p);
  daemon::FileWatch watch(watched, std::chrono::milliseconds(300), [&d] {
    log::info("daemon", "files changed: reloading checks, profiles and plugins");
    d.reload();
  });
  server.start();
  d.start();
  log::info("daemon", std::string("serving ") + (server.tls() ? "HTTPS" : "HTTP") + " on " + config.listen.substr(0, config.listen.rfind(':')) + ":" + std::to_string(server.port()) +
                          " (" + std::to_string(config.clusters.size()) + " cluster(s))");
  std::cerr << "kinspect serve: listening on port " << server.port() << (server.tls() ? " (HTTPS)" : "") << std::endl;
  wait_for_signals(signals, d);
  server.stop();
  if (!d.stop()) {
    log::warn("daemon", "runs still going at the shutdown deadline end with the process");
    std::cerr.flush();
    std::_Exit(kExitOk);
  }
  return kExitOk;
}

constexpr const char* kDetails = R"(Runs inspections on a schedule and on demand, keeps a history of reports
on disk, and serves them with metrics over HTTP. Checks, profiles and
plugins are reloaded when their files change (or on SIGHUP) without a
restart: runs in flight finish on the version they started with, and a file
that fails to load keeps the previous version serving. SIGTERM stops
accepting, lets runs finish within the shutdown timeout and exits 0.

A configuration file (--config) names several clusters and every setting;
the flags cover the common case of one cluster and override the file.
See docs/daemon.md for the file, the API and the metrics.)";

}  // namespace

std::vector<Command> serve_commands() {
  Command c;
  c.name = "serve";
  c.summary = "Inspect clusters continuously and serve reports and metrics over HTTP";
  c.details = kDetails;
  c.examples =
      "  kinspect serve --snapshot examples/cluster --interval 5m --listen 127.0.0.1:8080\n"
      "  kinspect serve --config serve.yaml\n"
      "  kinspect serve --snapshot examples/cluster --waivers examples/waivers.yaml -n shop -n payments\n"
      "  kinspect serve --kubeconfig ~/.kube/config --context prod --token-file kinspect-token \\\n"
      "      --state-dir kinspect-state\n"
      "  kinspect serve --snapshot examples/cluster --tls-cert server.pem --tls-key server-key.pem\n"
      "  curl -s localhost:8080/api/v1/reports/latest?cluster=default | jq .summary";
  c.options = [](po::options_description& d, po::positional_options_description&) {
    add_check_options(d);
    d.add_options()
        ("config", po::value<std::string>(), "the daemon's YAML configuration file (docs/daemon.md)")
        ("listen", po::value<std::string>(), "ADDRESS:PORT to serve HTTP on (default 127.0.0.1:8080; port 0 = any free one)")
        ("interval", po::value<std::string>(), "time between scheduled inspections, e.g. 30s, 10m, 1h (default 10m)")
        ("schedule", po::value<std::string>(), "cron-like schedule in UTC instead of --interval, e.g. '*/15 * * * *' or @hourly")
        ("token-file", po::value<std::string>(), "file holding the bearer token POST /api/v1/runs requires (none: writes refused)")
        ("tls-cert", po::value<std::string>(), "serve HTTPS (TLS 1.2+) with this PEM certificate chain; needs --tls-key")
        ("tls-key", po::value<std::string>(), "the PEM private key of --tls-cert")
        ("state-dir", po::value<std::string>(), "folder for the report history, kept across restarts (none: in memory)")
        ("name", po::value<std::string>(), "the name of the cluster the flags give (default: the context, else 'default')")
        ("snapshot", po::value<std::string>(), "inspect this snapshot (folder, .tar.gz, or kubectl List files)")
        ("kubeconfig", po::value<std::string>(), "inspect the live cluster of this kubeconfig")
        ("context", po::value<std::string>(), "the kubeconfig context to use")
        ("profiles", po::value<std::vector<std::string>>()->composing(), "profile files or folders (default: the bundled profiles)")
        ("plugin-dir", po::value<std::vector<std::string>>()->composing(), "load plugins from this folder (repeatable)")
        ("profile", po::value<std::string>(), "the profile to run (default: the one matching each cluster)")
        ("waivers", po::value<std::vector<std::string>>()->composing(),
         "accept findings listed in this waiver file (repeatable; docs/waivers.md); read again for every run, so "
         "edits apply without a restart. Unlike run, serve reads no default file");
    add_scope_options(d);
  };
  c.run = serve;
  return {c};
}

}  // namespace kinspect::cli
