// Reading another plugin's table from inside a scan, through the host
// (ScanContext::read: the registry serves every scan the other plugins'
// tables, in process and in a worker alike), as JSON rows.
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace network_ebpf {

struct TableRead {
  std::string table;
  std::vector<std::string> paths;                             // projection; empty: every column
  std::vector<std::pair<std::string, std::string>> equals;   // path = 'text', passed on for the driver to narrow by
};

// Every row of the table that matches `equals` (the driver may ignore
// them, so they are applied here too). Throws "cannot read table T: <the
// host's reason>" when the host cannot serve it.
std::vector<boost::json::object> read_table(const kinspect::sdk::ScanContext& ctx, const TableRead& what);

// The value at a dotted path of a row (NULL when any step is missing).
const boost::json::value* at_path(const boost::json::object& row, std::string_view dotted);

}  // namespace network_ebpf
