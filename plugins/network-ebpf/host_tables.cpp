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
  const ki_host_api* api = ctx.host().api();
  std::vector<const char*> paths;
  for (const auto& p : what.paths) paths.push_back(p.c_str());
  std::vector<ki_constraint> constraints;
  for (const auto& [path, value] : what.equals) {
    ki_constraint c{};
    c.path = path.c_str();
    c.op = KI_OP_EQ;
    c.value.type = KI_VALUE_TEXT;
    c.value.text = value.data();
    c.value.text_len = value.size();
    constraints.push_back(c);
  }
  ki_scan_request r{};
  r.struct_size = sizeof r;
  r.table = what.table.c_str();
  r.paths = paths.data();
  r.path_count = static_cast<uint32_t>(paths.size());
  r.constraints = constraints.data();
  r.constraint_count = static_cast<uint32_t>(constraints.size());
  ki_host_ctx_t* hctx = ctx.request().ctx;
  ki_host_cursor_t* cursor = nullptr;
  ki_rc rc = api && api->table_open ? api->table_open(hctx, &r, &cursor) : KI_UNSUPPORTED;
  if (rc != KI_OK) {
    const char* e = rc == KI_ERROR && api->host_last_error ? api->host_last_error(hctx) : nullptr;
    throw std::runtime_error("cannot read table " + what.table + ": " +
                             (e ? e : "the host does not serve tables to this scan"));
  }
  kinspect::sdk::TableReader reader(api, cursor);
  std::vector<json::object> rows;
  std::string_view batch;
  while (reader.next(batch)) parse_batch(batch, what, rows);
  return rows;
}

}  // namespace network_ebpf
