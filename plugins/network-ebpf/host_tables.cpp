#include "host_tables.h"

#include <stdexcept>

namespace network_ebpf {

namespace json = boost::json;

const json::value* at_path(const json::object& row, std::string_view dotted) {
  const json::object* o = &row;
  const json::value* v = nullptr;
  while (true) {
    size_t dot = dotted.find('.');
    v = o->if_contains(dotted.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    o = v->if_object();
    if (!o) return nullptr;
    dotted.remove_prefix(dot + 1);
  }
}

namespace {

bool matches(const json::object& row, const TableRead& what) {
  for (const auto& [path, value] : what.equals) {
    const json::value* v = at_path(row, path);
    if (!v || !v->is_string() || v->as_string() != value) return false;
  }
  return true;
}

// A batch is JSON objects separated by whitespace.
void parse_batch(std::string_view batch, const TableRead& what, std::vector<json::object>& out) {
  json::parser p;
  while (true) {
    size_t skip = batch.find_first_not_of(" \t\r\n");
    if (skip == std::string_view::npos) return;
    batch.remove_prefix(skip);
    json::error_code ec;
    size_t used = p.write_some(batch.data(), batch.size(), ec);
    if (ec) throw std::runtime_error("table " + what.table + ": the host sent a row that is not JSON");
    json::value v = p.release();
    p.reset();
    batch.remove_prefix(used);
    if (v.is_object() && matches(v.as_object(), what)) out.push_back(std::move(v.as_object()));
  }
}

}  // namespace

std::vector<json::object> read_table(const kinspect::sdk::ScanContext& ctx, const TableRead& what) {
  kinspect::sdk::TableReader reader = ctx.read(what.table, what.paths, what.equals);
  std::vector<json::object> rows;
  std::string_view batch;
  while (reader.next(batch)) parse_batch(batch, what, rows);
  return rows;
}

}  // namespace network_ebpf
