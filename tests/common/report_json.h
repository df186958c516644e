// Reading a `kinspect run --format json` report in tests.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace kinspect::testing {

// The messages of one check's findings, one a line ("" when it has none).
inline std::string messages_of(const boost::json::value& report, const std::string& id) {
  std::string out;
  for (const auto& c : report.at("checks").as_array())
    if (c.at("id") == boost::json::value(id))
      for (const auto& f : c.at("findings").as_array()) out += std::string(f.at("message").as_string()) + "\n";
  return out;
}

}  // namespace kinspect::testing
