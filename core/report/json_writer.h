// A small pretty printer for Boost.JSON values: two-space indentation, keys in
// insertion order, doubles in shortest round-trip form ("1500", not "1.5E3").
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace kinspect::report::detail {

void write_json(std::string& out, const boost::json::value& v, int indent = 0);
// The members of `o` without braces, each on its own line at `indent` + 1;
// `first` says whether a member was written before (a comma goes between).
void write_members(std::string& out, const boost::json::object& o, int indent, bool& first);
// A line break and `indent` levels of two spaces.
void newline(std::string& out, int indent);

}  // namespace kinspect::report::detail
