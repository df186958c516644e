// A small pretty printer for Boost.JSON values: two-space indentation, keys in
// insertion order, doubles in shortest round-trip form ("1500", not "1.5E3").
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace kinspect::report::detail {

void write_json(std::string& out, const boost::json::value& v, int indent = 0);

}  // namespace kinspect::report::detail
