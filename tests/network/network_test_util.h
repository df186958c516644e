// Helpers of the network plugin's tests: the plugin loaded in this process
// with given settings, and a table's rows as the plugin sends them.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/registry.h"
#include "tests/common/plugin_rows.h"

namespace network_test {

namespace json = boost::json;

inline std::unique_ptr<kinspect::PluginRegistry> network_registry(const std::map<std::string, std::string>& settings) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/network.so"};
  json::object cfg;
  for (const auto& [k, v] : settings) cfg[k] = v;
  o.config["network"] = json::serialize(cfg);
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

inline std::vector<json::object> rows(kinspect::PluginRegistry& reg, const std::string& table) {
  return kinspect::testing::plugin_rows(reg, table);
}
using kinspect::testing::scan_error;

inline const json::object* find_row(const std::vector<json::object>& rs, const char* key, const json::value& v) {
  for (const auto& r : rs)
    if (r.contains(key) && r.at(key) == v) return &r;
  return nullptr;
}

}  // namespace network_test
