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
  std::string text;
  auto st = reg.scan_table(kinspect::ScanSpec{table, {}, {}}, [&](std::string_view b) {
    text.append(b).push_back('\n');
    return kinspect::Status::Ok();
  }, nullptr);
  EXPECT_TRUE(st.ok()) << table << ": " << (st.ok() ? "" : st.error().message());
  std::vector<json::object> out;
  json::parser p;
  for (size_t pos = 0; pos < text.size();) {
    if (std::isspace(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      continue;
    }
    p.reset();
    json::error_code ec;
    pos += p.write_some(text.data() + pos, text.size() - pos, ec);
    if (ec) {
      ADD_FAILURE() << table << ": invalid JSON from the plugin: " << ec.message();
      break;
    }
    out.push_back(p.release().as_object());
  }
  return out;
}

inline std::string scan_error(kinspect::PluginRegistry& reg, const std::string& table) {
  auto st = reg.scan_table(kinspect::ScanSpec{table, {}, {}}, [](std::string_view) { return kinspect::Status::Ok(); }, nullptr);
  return st.ok() ? "" : st.error().message();
}

inline const json::object* find_row(const std::vector<json::object>& rs, const char* key, const json::value& v) {
  for (const auto& r : rs)
    if (r.contains(key) && r.at(key) == v) return &r;
  return nullptr;
}

}  // namespace network_test
