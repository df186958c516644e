// kinspect snapshot
#include <boost/program_options.hpp>

#include <iostream>
#include <set>

#include "core/cli/cli.h"
#include "core/cli/cluster_identity.h"
#include "core/kcql/check.h"
#include "core/run/runner.h"
#include "core/snapshot/writer.h"
#include "core/util/log.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace {

int snapshot(const po::variables_map& vm) {
  if (!vm.count("output")) {
    std::cerr << "kinspect snapshot: say where: -o DIR or -o FILE.tar.gz\n";
    return kExitUsage;
  }
  if (vm.count("snapshot")) {
    std::cerr << "kinspect snapshot: --snapshot reads a snapshot; snapshot captures a live cluster (--kubeconfig, --context)\n";
    return kExitUsage;
  }
  // What --with TOOL alone read from the cluster is carried like a --with
  // TOOL=PATH, so an offline run reproduces those findings too.
  std::vector<SnapshotInput> inputs;
  auto reg = load_plugins(vm, vm.count("all") > 0, nullptr, !vm.count("no-isolation"), {}, &inputs);
  for (auto& given : with_inputs(vm)) inputs.push_back(std::move(given));
  // A snapshot holds what the cluster source (the plugin serving k8s.version)
  // reads, and nothing else: knowledge tables such as k8s.deprecated_apis
  // come from the plugin that declares them whenever the snapshot is read.
  const LoadedPlugin* source = reg->owner("k8s.version");
  auto from_cluster = [&](const std::string& t) { return source && reg->owner(t) == source; };
  std::set<std::string> tables;
  // A table its plugin computes from others (k8s.workloads, k8s.objects) is
  // captured as those, and computed again when the snapshot is read.
  auto capture = [&](const std::string& t) {
    const TableSchema* s = reg->find(t);
    if (!s || s->made_of.empty()) {
      tables.insert(t);
      return;
    }
    for (const auto& part : s->made_of)
      if (part != "*") {
        if (from_cluster(part)) tables.insert(part);
      } else {
        for (const auto& name : reg->names())
          if (const TableSchema* p = reg->find(name); from_cluster(name) && p->arguments.empty() && p->made_of.empty())
            tables.insert(name);
      }
  };
  if (vm.count("table")) {
    for (const auto& t : vm["table"].as<std::vector<std::string>>()) {
      if (!reg->find(t)) {
        std::string hint = closest_match(t, reg->names());
        std::cerr << "kinspect snapshot: no table '" << t << "'" << (hint.empty() ? "" : " (did you mean '" + hint + "'?)") << '\n';
        return kExitUsage;
      }
      if (!from_cluster(t)) {
        std::cerr << "kinspect snapshot: table '" << t << "' comes from plugin '" << reg->owner(t)->name()
                  << "', not from the cluster: a snapshot holds only the cluster's own tables\n";
        return kExitUsage;
      }
      capture(t);
    }
  } else if (vm.count("all")) {
    for (const auto& name : reg->names()) {
      const TableSchema* s = reg->find(name);
      if (from_cluster(name) && s->arguments.empty()) capture(name);
    }
  } else {
    // What the checks read, so the snapshot answers every check offline.
    std::vector<std::string> paths = check_paths(vm);
    for (const auto& p : paths) {
      auto checks = kcql::load_checks(p);
      if (!checks) {
        std::cerr << checks.error().format() << '\n';
        return kExitUsage;
      }
      for (const auto& c : *checks) {
        auto bound = kcql::bind_check(c, *reg);
        if (!bound) continue;  // a check for tables this cluster's plugins lack
        for (const auto& s : bound->plan.scans())
          if (from_cluster(s.table) && s.args.empty()) capture(s.table);
      }
    }
    for (const char* always : {"k8s.version", "k8s.nodes"})
      if (reg->find(always)) tables.insert(always);
  }
  if (tables.empty()) {
    std::cerr << "kinspect snapshot: nothing to capture (is the kube-apiserver plugin loaded? 'kinspect plugins list')\n";
    return kExitUsage;
  }
  const bool progress = !vm.count("quiet") && term::stderr_is_tty();
  const std::string out = vm["output"].as<std::string>();
  auto r = write_snapshot(*reg, std::vector<std::string>(tables.begin(), tables.end()), out,
                          vm["driver-timeout"].as<double>(), [&](size_t done, size_t total, const std::string& t) {
                            if (progress) std::cerr << "\r\033[Kcapturing " << done << "/" << total << "  " << t << std::flush;
                          },
                          inputs, cluster_identity(vm).name, scope_of(vm));
  if (progress) std::cerr << "\r\033[K";
  if (!r) {
    std::cerr << "kinspect snapshot: " << r.error().message() << '\n';
    return kExitIncomplete;
  }
  // A table the cluster does not serve is captured as such (runs on the
  // snapshot report its checks as not served, as a live run would); a table
  // that failed or was forbidden makes the snapshot incomplete.
  size_t failed = 0, unavailable = 0, rows = 0;
  for (const auto& t : r->tables) {
    if (t.cause == "not served") ++unavailable, log::info("snapshot", t.error);
    else if (!t.error.empty()) ++failed, log::error("snapshot", t.error);
    rows += t.rows;
  }
  std::cout << "wrote " << out << ": " << (r->tables.size() - failed - unavailable) << " tables, " << rows
            << " objects, " << r->bytes / 1024 << " KiB"
            << (unavailable ? ", " + std::to_string(unavailable) + " not served by the cluster (-v lists them)" : "")
            << (failed ? ", " + std::to_string(failed) + " tables failed (see above)" : "") << '\n';
  return failed ? kExitIncomplete : kExitOk;
}

}  // namespace

std::vector<Command> snapshot_commands() {
  Command c;
  c.name = "snapshot";
  c.summary = "Capture a live cluster into a snapshot folder or .tar.gz for offline runs";
  c.details =
      "By default captures the tables the checks read (and k8s.version, k8s.nodes), so\n"
      "'kinspect run --snapshot' answers every check offline; --all captures every\n"
      "resource the API server serves, CRDs included. Secrets keep their keys, not their\n"
      "values, unless the kube-apiserver plugin is told otherwise (--set\n"
      "kube-apiserver.include_secret_data=true). A table that cannot be read (403) is\n"
      "listed in the manifest as failed and the rest is written; the exit code is then 3.\n"
      "Outputs of other tools given with --with TOOL=PATH are copied into the snapshot, and\n"
      "'kinspect run --snapshot' reads them as if --with had been given again. So are the\n"
      "results --with TOOL alone reads from the cluster (kube-bench's Job logs, sonobuoy's\n"
      "status), or why there were none, so the offline run reports what the live one did.";
  c.examples =
      "  kinspect snapshot -o cluster.tar.gz\n"
      "  kinspect snapshot --context prod -o snapshots/prod --all\n"
      "  kinspect snapshot -o cluster.tar.gz --with kube-bench=kb.json   # carries kube-bench's output along\n"
      "  kinspect snapshot -o cluster.tar.gz --with kube-bench           # and its Job's logs, read from the cluster\n"
      "  kinspect snapshot --table k8s.nodes --table k8s.pods -o pods-only && kinspect query \"SELECT count(*) FROM k8s.pods\" --snapshot pods-only";
  c.options = [](po::options_description& d, po::positional_options_description&) {
    add_source_options(d);
    add_check_options(d);  // the snapshot captures the tables they read
    add_scope_options(d);
    d.add_options()("output,o", po::value<std::string>(), "a folder, or a file ending in .tar.gz")(
        "cluster-name", po::value<std::string>(),
        "the cluster's name, recorded in the manifest for runs over the snapshot (default: the kubeconfig context)")(
        "all", "every served resource, not only what the checks read")(
        "table,t", po::value<std::vector<std::string>>()->composing(), "capture only these tables (repeatable)")(
        "driver-timeout", po::value<double>()->default_value(300), "seconds per table")(
        "no-isolation", "load plugins into this process instead of worker processes");
  };
  c.run = snapshot;
  return {c};
}

}  // namespace kinspect::cli
