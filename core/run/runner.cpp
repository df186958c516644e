#include "core/run/runner.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "core/run/execute.h"
#include "core/run/prepare.h"
#include "core/run/schedule.h"
#include "core/util/data_path.h"
#include "core/util/parallel.h"

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
  fs::path bundled = bundled_data_path(sub);
  if (!bundled.empty()) out.push_back(bundled.string());
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
  if (cfg.on_object_table) read_objects_with(schedule, registry, cfg.object_paths);

  RunOutcome out;
  out.report = std::move(run.report);
  out.report.tables = execute(run, schedule, registry, threads, cfg.progress, cfg.on_object_table);
  for (const auto& f : out.report.tables)
    if (f.name == "k8s.pods()") out.report.cluster.pods = f.rows;
  for (auto& t : run.tasks) out.report.checks.push_back(std::move(t.result));
  report::merge_equivalent_findings(out.report);
  out.report.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return out;
}

}  // namespace kinspect
