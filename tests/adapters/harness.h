// What the adapter tests share: an adapter plugin loaded in this process on
// an input, its rows as JSON, its scan errors, and its checks' findings.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/kcql/check.h"
#include "core/plugin/registry.h"
#include "tests/common/plugin_rows.h"

namespace adapters_test {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace kcql = kinspect::kcql;

inline std::string data(const std::string& rel) { return std::string(ADAPTER_DATA_DIR) + "/" + rel; }

inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
inline void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// The files of one tool's test data, sorted.
inline std::vector<std::string> files_of(const std::string& tool, const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(data(tool)))
    if (e.path().string().size() > ext.size() && e.path().string().ends_with(ext)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Adapter `tool` (plugins/adapters/<tool>) in this process, reading `input` ("" for none).
inline std::unique_ptr<kinspect::PluginRegistry> adapter(const std::string& tool, const std::string& input,
                                                         json::object extra = {}) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/" + tool + ".so"};
  if (!input.empty()) extra["input"] = input;
  o.config[tool] = json::serialize(extra);
  auto problems = reg->load(o);
  for (const auto& p : problems) ADD_FAILURE() << p.format();
  return reg;
}

inline std::vector<json::object> rows(kinspect::PluginRegistry& reg, const std::string& table) {
  return kinspect::testing::plugin_rows(reg, table);
}
using kinspect::testing::scan_error;

inline const std::vector<kcql::CheckDef>& adapter_checks() {
  static std::vector<kcql::CheckDef> all = [] {
    auto loaded = kcql::load_checks(std::string(KINSPECT_SOURCE_DIR) + "/checks/adapters");
    if (!loaded) throw std::runtime_error(loaded.error().format());
    return std::move(loaded).value();
  }();
  return all;
}

inline const kcql::CheckDef& check(const std::string& id) {
  for (const auto& c : adapter_checks())
    if (c.id == id) return c;
  throw std::runtime_error("no adapter check " + id);
}

inline std::vector<kcql::Finding> findings(const std::string& id, kinspect::PluginRegistry& reg) {
  auto bound = kcql::bind_check(check(id), reg, {});
  EXPECT_TRUE(bound.ok()) << id << ": " << (bound.ok() ? "" : bound.error().format());
  if (!bound) return {};
  auto got = kcql::run_check(*bound, reg, {});
  EXPECT_TRUE(got.ok()) << id << ": " << (got.ok() ? "" : got.error().format());
  return got.ok() ? *got : std::vector<kcql::Finding>{};
}

inline bool has_message(const std::vector<kcql::Finding>& fs, const std::string& part) {
  for (const auto& f : fs)
    if (f.message.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace adapters_test
