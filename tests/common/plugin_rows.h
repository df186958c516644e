// A table's rows as a plugin sends them (JSON objects), read through the
// host's raw-batch interface, independent of how the core stores rows; a
// scan's error; and why a plugin refused its settings. Shared by the plugin
// suites (node, network, adapters).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cctype>
#include <string>
#include <vector>

#include "core/plugin/registry.h"

namespace kinspect::testing {

inline std::vector<boost::json::object> plugin_rows(PluginRegistry& reg, const std::string& table,
                                                    std::vector<boost::json::value> args = {}) {
  std::string text;
  auto st = reg.scan_table(ScanSpec{table, std::move(args), {}}, [&](std::string_view b) {
    text.append(b).push_back('\n');
    return Status::Ok();
  }, nullptr);
  EXPECT_TRUE(st.ok()) << table << ": " << (st.ok() ? "" : st.error().message());
  std::vector<boost::json::object> out;
  boost::json::parser p;
  for (size_t pos = 0; pos < text.size();) {
    if (std::isspace(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      continue;
    }
    p.reset();
    boost::json::error_code ec;
    pos += p.write_some(text.data() + pos, text.size() - pos, ec);
    if (ec) {
      ADD_FAILURE() << table << ": invalid JSON from the plugin: " << ec.message();
      break;
    }
    out.push_back(p.release().as_object());
  }
  return out;
}

inline std::string scan_error(PluginRegistry& reg, const std::string& table) {
  auto st = reg.scan_table(ScanSpec{table, {}, {}}, [](std::string_view) { return Status::Ok(); }, nullptr);
  return st.ok() ? "" : st.error().message();
}

// Loads the plugin file `so` with settings `config` (a JSON object text), which
// it must refuse: the one load problem's reason ("" and a test failure if it loaded).
inline std::string settings_refusal(const std::string& so, const std::string& plugin, const std::string& config) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {so};
  o.config[plugin] = config;
  auto problems = reg.load(o);
  EXPECT_EQ(problems.size(), 1u) << config;
  return problems.empty() ? std::string() : problems[0].reason;
}

}  // namespace kinspect::testing
