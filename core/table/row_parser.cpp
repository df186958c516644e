#include "core/table/row_parser.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>

#include <map>

namespace kinspect {

namespace json = boost::json;

struct Projection::Node {
  bool whole = false;  // keep this value entirely
  std::map<std::string, Node, std::less<>> children;
};

Projection::Projection(const std::vector<std::string>& paths) {
  if (paths.empty()) return;
  root_ = std::make_shared<Node>();
  for (const auto& path : paths) {
    Node* n = root_.get();
    size_t start = 0;
    while (!n->whole) {
      size_t dot = path.find('.', start);
      std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      n = &n->children[key];
      if (dot == std::string::npos) {
        n->whole = true;
        n->children.clear();  // a whole value subsumes deeper paths
        break;
      }
      start = dot + 1;
    }
  }
}

static json::value project(const json::value& v, const Projection::Node& n, const json::storage_ptr& sp) {
  if (n.whole) return json::value(v, sp);
  if (const json::object* o = v.if_object()) {
    json::object out(sp);
    for (const auto& [key, child] : n.children) {
      auto it = o->find(key);
      if (it != o->end()) out.emplace(key, project(it->value(), child, sp));
    }
    return out;
  }
  if (const json::array* a = v.if_array()) {
    json::array out(sp);
    out.reserve(a->size());
    for (const auto& e : *a) out.push_back(project(e, n, sp));
    return out;
  }
  // A scalar where the path expected an object: keep it, the evaluator
  // treats a path through a scalar as null.
  return json::value(v, sp);
}

json::value Projection::apply(const json::value& row, const json::storage_ptr& sp) const {
  if (!root_) return json::value(row, sp);
  return project(row, *root_, sp);
}

static json::parse_options row_parse_options() {
  json::parse_options o;
  // Kubernetes objects nest deeply (CRD schemas, managedFields), far past
  // Boost.JSON's default limit of 32.
  o.max_depth = 1024;
  // Files read from a host (/proc, logs) need not be UTF-8; keep the bytes
  // rather than fail the whole table.
  o.allow_invalid_utf8 = true;
  return o;
}

struct RowParser::Impl {
  Projection projection;
  json::storage_ptr table_storage;
  json::parser parser{json::storage_ptr(), row_parse_options()};
};

RowParser::RowParser(Projection projection, json::storage_ptr table_storage) : impl_(std::make_unique<Impl>()) {
  impl_->projection = std::move(projection);
  impl_->table_storage = std::move(table_storage);
}

RowParser::~RowParser() = default;

Status RowParser::feed(std::string_view batch, std::vector<json::value>& out, std::string_view source) {
  size_t pos = 0;
  const bool keep_all = impl_->projection.keeps_all();
  while (true) {
    while (pos < batch.size() && (batch[pos] == ' ' || batch[pos] == '\n' || batch[pos] == '\r' || batch[pos] == '\t'))
      ++pos;
    if (pos >= batch.size()) break;
    // Without projection the row goes straight into the table's storage; with
    // it, into a scratch arena that dies with the row.
    json::storage_ptr scratch;
    if (keep_all) {
      impl_->parser.reset(impl_->table_storage);
    } else {
      scratch = json::make_shared_resource<json::monotonic_resource>();
      impl_->parser.reset(scratch);
    }
    json::error_code ec;
    // write_some parses one complete value and stops; a value cut off by
    // the end of the batch is an error (a batch holds whole rows).
    size_t n = impl_->parser.write_some(batch.data() + pos, batch.size() - pos, ec);
    if (ec) {
      return Error(std::string(source) + ": invalid JSON row at byte " + std::to_string(bytes_ + pos + n) + ": " +
                   ec.message());
    }
    json::value row = impl_->parser.release();
    if (!row.is_object()) {
      return Error(std::string(source) + ": row at byte " + std::to_string(bytes_ + pos) +
                   " is not a JSON object");
    }
    out.push_back(keep_all ? std::move(row) : impl_->projection.apply(row, impl_->table_storage));
    pos += n;
  }
  bytes_ += batch.size();
  return {};
}

}  // namespace kinspect
