#include "core/run/runner.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "core/run/execute.h"
#include "core/run/prepare.h"
#include "core/run/schedule.h"
#include "core/util/parallel.h"

#ifndef KINSPECT_SOURCE_DIR
#define KINSPECT_SOURCE_DIR ""
#endif
#ifndef KINSPECT_DATA_DIR
#define KINSPECT_DATA_DIR "/usr/local/share/kinspect"
#endif

namespace kinspect {

namespace fs = std::filesystem;
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

}  // namespace

std::vector<std::string> default_check_paths() { return search_paths("KINSPECT_CHECKS_PATH", "checks"); }
std::vector<std::string> default_profile_paths() { return search_paths("KINSPECT_PROFILES_PATH", "profiles"); }

Expected<RunOutcome> run_inspection(PluginRegistry& registry, const RunConfig& cfg) {
  auto catalog = load_catalog(cfg.check_paths, cfg.profile_paths);
  if (!catalog) return std::move(catalog).error();
  return run_inspection(registry, *catalog, cfg);
}

Expected<RunOutcome> run_inspection(PluginRegistry& registry, const CheckCatalog& catalog, const RunConfig& cfg) {
  const auto t0 = Clock::now();
  auto prepared = prepare_run(catalog, registry, cfg);
  if (!prepared) return std::move(prepared).error();
  PreparedRun& run = *prepared;
  const unsigned threads = cfg.parallelism ? cfg.parallelism : default_parallelism();
  Schedule schedule = make_schedule(run.tasks, threads);

  RunOutcome out;
  out.report = std::move(run.report);
  out.report.tables = execute(run, schedule, registry, threads, cfg.progress);
  for (const auto& f : out.report.tables)
    if (f.name == "k8s.pods()") out.report.cluster.pods = f.rows;
  for (auto& t : run.tasks) out.report.checks.push_back(std::move(t.result));
  report::merge_equivalent_findings(out.report);
  out.report.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return out;
}

}  // namespace kinspect
