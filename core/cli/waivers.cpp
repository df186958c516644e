// `run --waivers`: the waiver files and the metadata of the objects the
// findings are about, applied to the report (core/waiver/waiver.h).
#include <boost/program_options.hpp>

#include <filesystem>

#include "core/cli/cli.h"
#include "core/waiver/objects.h"
#include "core/waiver/waiver.h"

namespace kinspect::cli {

std::vector<std::string> waiver_files(const po::variables_map& vm) {
  if (vm.count("waivers")) return vm["waivers"].as<std::vector<std::string>>();
  std::string path = waiver::default_waivers_path();
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? std::vector<std::string>{path} : std::vector<std::string>{};
}

std::vector<waiver::Waiver> read_waivers(const std::vector<std::string>& files) {
  std::vector<waiver::Waiver> all;
  for (const auto& f : files) {
    auto w = waiver::load_waivers(f);
    if (!w) throw UsageError(w.error().format());
    all.insert(all.end(), w->begin(), w->end());
  }
  return all;
}

void apply_waivers(const std::vector<std::string>& files, const std::vector<waiver::Waiver>& waivers,
                   PluginRegistry& reg, report::Report& rep, double as_of, bool live,
                   const waiver::RunObjects& run_objects) {
  rep.waiver_files = files;
  waiver::apply_with_objects(reg, rep, waivers, as_of, live, &run_objects);
}

}  // namespace kinspect::cli
