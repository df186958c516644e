#include "core/cli/fleet.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>

#include "core/cli/cli.h"
#include "core/cli/cluster_identity.h"
#include "core/cli/kube_contexts.h"
#include "core/report/fleet.h"
#include "core/util/log.h"
#include "core/util/parallel.h"
#include "core/util/terminal.h"
#include "core/util/time.h"

namespace kinspect::cli {

namespace fs = std::filesystem;

void add_fleet_options(po::options_description& desc) {
  desc.add_options()
      ("all-contexts", "inspect every context of the kubeconfig, one report each, and a fleet summary")
      ("parallel-clusters", po::value<unsigned>()->default_value(4),
       "with several clusters: how many are inspected at once (each still uses --parallel threads)")
      ("output-dir", po::value<std::string>(),
       "with several clusters: write DIR/<cluster>.json and DIR/<cluster>.html for each, and DIR/fleet.json and "
       "DIR/fleet.html for the fleet");
}

namespace {

enum class FleetFormat { Terminal, Json, Html };

bool fleet_format(const std::string& name, FleetFormat& f) {
  if (name == "terminal" || name == "text") f = FleetFormat::Terminal;
  else if (name == "json") f = FleetFormat::Json;
  else if (name == "html") f = FleetFormat::Html;
  else return false;
  return true;
}

bool fleet_format_for_file(const std::string& path, FleetFormat& f) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".json") f = FleetFormat::Json;
  else if (ext == ".html" || ext == ".htm") f = FleetFormat::Html;
  else if (ext == ".txt" || ext == ".log") f = FleetFormat::Terminal;
  else return false;
  return true;
}

const char* const kOnePerRun =
    " covers one cluster; with several, write one report per cluster with --output-dir DIR (JSON and HTML), "
    "or run each context on its own";

// The options that mean one cluster, refused before any cluster is contacted.
void refuse_single_cluster_options(const po::variables_map& vm) {
  for (const char* option : {"snapshot", "cluster-name", "baseline"})
    if (vm.count(option))
      throw UsageError(std::string("--") + option + kOnePerRun);
  FleetFormat f;
  if (!fleet_format(vm["format"].as<std::string>(), f))
    throw UsageError("--format " + vm["format"].as<std::string>() + kOnePerRun);
  if (vm.count("output"))
    for (const auto& o : vm["output"].as<std::vector<std::string>>())
      if (!fleet_format_for_file(o, f))
        throw UsageError("--output " + o + kOnePerRun + " (a fleet goes to .json, .html or .txt)");
  if (vm["parallel-clusters"].as<unsigned>() == 0) throw UsageError("--parallel-clusters takes 1 or more, not 0");
}

// A context the kubeconfig does not have is a typo: say so before starting.
void require_known(const std::vector<std::string>& contexts, const KubeContexts& kc) {
  std::vector<std::string> names;
  for (const auto& c : kc.contexts) names.push_back(c.name);
  for (const auto& c : contexts) {
    if (kc.find(c)) continue;
    std::string hint = closest_match(c, names);
    std::string files;
    for (const auto& f : kc.files) files += (files.empty() ? "" : ":") + f;
    throw UsageError("--context " + c + ": no such context in kubeconfig " + files +
                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
}

std::string kubeconfig_option(const po::variables_map& vm) {
  return vm.count("kubeconfig") ? vm["kubeconfig"].as<std::string>() : std::string();
}

// The run's options with `context` as the only --context.
po::variables_map with_context(const po::variables_map& vm, const std::string& context) {
  po::variables_map one = vm;
  one.erase("context");
  one.emplace("context", po::variable_value(std::vector<std::string>{context}, false));
  return one;
}

// A file name for a cluster's report: its name with what a file system or a
// shell would stumble on replaced, unique within the run.
std::string file_stem(const std::string& name, std::set<std::string>& used) {
  std::string stem;
  for (unsigned char c : name) stem += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
  if (stem.empty() || stem[0] == '.') stem = "cluster" + stem;
  std::string unique = stem;
  for (int n = 2; !used.insert(unique).second; ++n) unique = stem + "-" + std::to_string(n);
  return unique;
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    std::cerr << "kinspect run: cannot write " << path.string() << '\n';
    return false;
  }
  log::info("run", "wrote " + path.string());
  return true;
}

bool write_output_dir(const report::Fleet& fleet, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "kinspect run: cannot create --output-dir " << dir << ": " << ec.message() << '\n';
    return false;
  }
  std::set<std::string> used{"fleet"};  // the summary's own files
  bool ok = true;
  for (const auto& m : fleet.clusters) {
    const std::string stem = file_stem(m.report.cluster.name, used);
    ok = write_file(fs::path(dir) / (stem + ".json"), report::render_json(m.report)) && ok;
    ok = write_file(fs::path(dir) / (stem + ".html"), report::render_html(m.report)) && ok;
  }
  ok = write_file(fs::path(dir) / "fleet.json", report::render_fleet_json(fleet)) && ok;
  return write_file(fs::path(dir) / "fleet.html", report::render_fleet_html(fleet)) && ok;
}

std::string render(const report::Fleet& fleet, FleetFormat f, const report::TerminalOptions& topts) {
  switch (f) {
    case FleetFormat::Terminal: return report::render_fleet_terminal(fleet, topts);
    case FleetFormat::Json: return report::render_fleet_json(fleet);
    case FleetFormat::Html: return report::render_fleet_html(fleet);
  }
  return {};
}

// Stdout, each --output and --output-dir; false when a file could not be written.
bool write_fleet(const po::variables_map& vm, const report::Fleet& fleet) {
  report::TerminalOptions topts;
  topts.colour = term::stdout_colour();
  topts.verbose = vm.count("verbose") > 0;
  topts.max_findings = vm["max-findings"].as<size_t>();
  FleetFormat f = FleetFormat::Terminal;
  fleet_format(vm["format"].as<std::string>(), f);
  std::cout << render(fleet, f, topts);
  std::cout.flush();
  topts.colour = false;
  bool ok = true;
  if (vm.count("output"))
    for (const auto& path : vm["output"].as<std::vector<std::string>>()) {
      fleet_format_for_file(path, f);
      ok = write_file(path, render(fleet, f, topts)) && ok;
    }
  if (vm.count("output-dir")) ok = write_output_dir(fleet, vm["output-dir"].as<std::string>()) && ok;
  return ok;
}

// A cluster no inspection could be made of: named, with why, exit 3.
void not_inspected(report::FleetMember& m, const po::variables_map& one, const std::string& why) {
  try {
    m.report.cluster.name = cluster_identity(one).name;
  } catch (const std::exception&) {
  }
  if (m.report.cluster.name.empty()) m.report.cluster.name = m.context;
  m.error = why;
  m.exit_code = kExitIncomplete;
  m.verdict = "not inspected: " + why;
}

// One line redrawn on stderr while clusters finish (only on a terminal).
class FleetProgress {
 public:
  FleetProgress(bool on, size_t total) : on_(on), total_(total) {}
  void done(const std::string& name) {
    if (!on_) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::cerr << "\r\033[Kinspected " << ++done_ << "/" << total_ << " clusters  " << name << std::flush;
  }
  ~FleetProgress() {
    if (on_ && done_) std::cerr << "\r\033[K" << std::flush;
  }

 private:
  bool on_;
  size_t total_, done_ = 0;
  std::mutex mu_;
};

}  // namespace

std::vector<std::string> fleet_contexts(const po::variables_map& vm) {
  const bool all = vm.count("all-contexts") > 0;
  std::vector<std::string> contexts = context_options(vm);
  if (all && !contexts.empty()) throw UsageError("--all-contexts inspects every context: leave out --context");
  if (!all && contexts.size() < 2) {
    if (vm.count("output-dir"))
      throw UsageError("--output-dir writes one report per cluster: it goes with several --context or --all-contexts "
                       "(for one cluster, --output FILE)");
    return {};
  }
  refuse_single_cluster_options(vm);
  auto kc = read_kube_contexts(kubeconfig_option(vm));
  if (!kc) throw UsageError(kc.error().format());
  if (!kc->has_value()) {
    if (all)
      throw UsageError("--all-contexts: no kubeconfig (pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config)");
    return contexts;  // the plugin says what is missing, for each
  }
  if (!all) {
    require_known(contexts, **kc);
    return contexts;
  }
  for (const auto& c : (*kc)->contexts) contexts.push_back(c.name);
  if (contexts.empty()) throw UsageError("--all-contexts: the kubeconfig " + (*kc)->files.front() + " has no contexts");
  return contexts;
}

int run_fleet(const po::variables_map& vm, const std::vector<std::string>& contexts, const InspectCluster& inspect) {
  report::Fleet fleet;
  fleet.generated_at = format_rfc3339(std::time(nullptr));
  fleet.clusters.resize(contexts.size());
  std::vector<std::string> usage_errors(contexts.size());
  FleetProgress progress(!vm.count("quiet") && term::stderr_is_tty(), contexts.size());
  parallel_for(contexts.size(), vm["parallel-clusters"].as<unsigned>(), [&](size_t i) {
    const po::variables_map one = with_context(vm, contexts[i]);
    report::FleetMember& m = fleet.clusters[i];
    m.context = contexts[i];
    try {
      ClusterRun r = inspect(one);
      m.report = std::move(r.report);
      m.exit_code = r.exit_code;
      m.verdict = std::move(r.verdict);
    } catch (const UsageError& e) {
      usage_errors[i] = e.what();
      not_inspected(m, one, e.what());
    } catch (const po::error& e) {
      usage_errors[i] = e.what();
      not_inspected(m, one, e.what());
    } catch (const std::exception& e) {
      not_inspected(m, one, e.what());
    }
    progress.done(contexts[i]);
  });
  // The same mistake for every cluster is the command line's, not theirs.
  if (std::all_of(usage_errors.begin(), usage_errors.end(), [&](const std::string& e) { return !e.empty() && e == usage_errors[0]; }))
    throw UsageError(usage_errors[0]);
  for (const auto& m : fleet.clusters)
    if (!m.report.kinspect_version.empty()) fleet.kinspect_version = m.report.kinspect_version;
  const bool written = write_fleet(vm, fleet);
  for (const auto& m : fleet.clusters)
    if (m.exit_code == kExitIncomplete) std::cerr << "kinspect run: cluster " << m.report.cluster.name << ": " << m.verdict << '\n';
  return written ? report::fleet_exit_code(fleet) : kExitIncomplete;
}

}  // namespace kinspect::cli
