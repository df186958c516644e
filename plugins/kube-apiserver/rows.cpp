#include "rows.h"

#include "catalog.h"
#include "kubeconfig.h"
#include "splitter.h"
#include "common/prometheus.h"
#include "common/text.h"

#include <boost/json.hpp>

#include <algorithm>

namespace kapi {

ItemIdentity identify(const SplitItem& it, std::string_view fallback_kind, std::string_view fallback_api) {
  ItemIdentity id;
  if (it.has_kind && !it.kind.empty()) id.kind = it.kind;
  else if (it.list_kind.size() > 4 && it.list_kind.substr(it.list_kind.size() - 4) == "List")
    id.kind = it.list_kind.substr(0, it.list_kind.size() - 4);
  else id.kind = fallback_kind;
  if (it.has_api_version && !it.api_version.empty()) id.api_version = it.api_version;
  else if (!it.list_api_version.empty() && it.list_kind != "List" && !it.list_kind.empty())
    id.api_version = it.list_api_version;
  else if (const Resource* r = find_by_kind(id.kind)) id.api_version = r->group_version();
  else id.api_version = fallback_api;
  return id;
}

namespace {

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// The values of data and stringData, as written and (data) decoded; short
// values ("true", "1") are too common to tell a copy from a coincidence.
std::vector<std::string> secret_values(const boost::json::object& o) {
  std::vector<std::string> vals;
  for (const char* k : {"data", "stringData"}) {
    auto* v = o.if_contains(k);
    if (!v || !v->is_object()) continue;
    for (auto& kv : v->as_object()) {
      if (!kv.value().is_string()) continue;
      std::string s(kv.value().as_string());
      if (std::string_view(k) == "data")
        if (auto d = base64_decode(s); d && d->size() >= 6) vals.push_back(*d);
      if (s.size() >= 6) vals.push_back(std::move(s));
    }
  }
  return vals;
}

// Annotations may carry a copy of the Secret: `kubectl apply` stores the
// whole applied object (data and stringData included) in
// last-applied-configuration, and other tools copy values around. Their
// values are withheld like data's.
void strip_secret_annotations(boost::json::object& o, const std::vector<std::string>& vals) {
  auto* m = o.if_contains("metadata");
  auto* a = m && m->is_object() ? m->as_object().if_contains("annotations") : nullptr;
  if (!a || !a->is_object()) return;
  for (auto& kv : a->as_object()) {
    if (!kv.value().is_string()) continue;
    std::string_view text = kv.value().as_string();
    // A JSON copy of the object is recognised even without the values at
    // hand (a metadata-only LIST carries no data to compare with).
    bool copy = kv.key() == kLastApplied || text.find("\"stringData\"") != std::string_view::npos ||
                text.find("\"data\"") != std::string_view::npos;
    for (const auto& v : vals) copy = copy || text.find(v) != std::string_view::npos;
    if (copy) kv.value() = nullptr;
  }
}

void strip_secret(boost::json::object& o) {
  strip_secret_annotations(o, secret_values(o));
  for (const char* k : {"data", "stringData"}) {
    auto* v = o.if_contains(k);
    if (v && v->is_object())
      for (auto& kv : v->as_object()) kv.value() = nullptr;
  }
}

bool drops(const MetadataMember& m, const RowOptions& opts) {
  return !m.read || (m.managed_fields && opts.strip_managed_fields);
}

// Whether the row leaves out members of the item's metadata: managedFields
// (unless read), and members no read path leads to (annotations, uid, ...).
// The host projects the same paths, so what is left out here it would drop
// anyway; leaving it out saves copying and parsing it (a pod's managedFields
// are a third of its bytes, and a service mesh's annotations kilobytes).
bool drops_metadata_members(const SplitItem& it, const RowOptions& opts) {
  if (!it.metadata) return false;
  return std::any_of(it.metadata->begin(), it.metadata->end(), [&](const MetadataMember& m) { return drops(m, opts); });
}

// The member `m` (metadata) with only the members it keeps, joined again.
void append_metadata(std::string& row, const SplitItem& it, const SplitMember& m, const RowOptions& opts) {
  row.append(it.json.substr(m.start, it.metadata_open + 1 - m.start));
  bool first = true;
  for (const MetadataMember& mm : *it.metadata) {
    if (drops(mm, opts)) continue;
    if (!first) row += ',';
    first = false;
    row.append(it.json.substr(mm.start, mm.end - mm.start));
  }
  row += '}';
}

}  // namespace

bool RowOptions::keeps(std::string_view key) const {
  if (key == "apiVersion" || key == "kind") return !drop_identity;
  if (!project) return true;
  for (const auto& k : keep)
    if (k == key) return true;
  return false;
}

RowOptions row_options(const kinspect::sdk::ScanContext& ctx, bool include_secret_data) {
  RowOptions o;
  o.include_secret_data = include_secret_data;
  auto paths = ctx.paths();
  if (paths.empty()) return o;
  o.project = true;
  bool mf = false;
  auto add = [&](std::string_view p) {
    std::string_view top = p.substr(0, p.find('.'));
    if (std::find(o.keep.begin(), o.keep.end(), top) == o.keep.end()) o.keep.emplace_back(top);
    if (p.rfind("metadata.managedFields", 0) == 0) mf = true;
    o.read_paths.emplace_back(p);
  };
  for (auto p : paths) add(p);
  const auto& req = ctx.request();
  for (uint32_t i = 0; i < req.constraint_count; ++i)
    if (req.constraints[i].path) add(req.constraints[i].path);
  o.strip_managed_fields = !mf;
  std::string_view table = req.table ? req.table : "";
  if (table == "k8s.secrets" || table == "k8s.resource") o.read_paths.clear();  // Secret values (k8s.resource may be secrets)
  return o;
}

bool RowOptions::metadata_only() const {
  if (!project) return false;
  for (const auto& k : keep)
    if (k != "metadata" && k != "apiVersion" && k != "kind") return false;
  return true;
}

void write_item(kinspect::sdk::BatchWriter& out, const SplitItem& it, const ItemIdentity& id, const RowOptions& opts,
                bool override_identity) {
  if (override_identity && it.members) {
    // Rebuild from the members, dropping the item's own identity.
    SplitItem copy = it;
    copy.has_kind = copy.has_api_version = false;
    RowOptions o = opts;
    o.project = true;
    if (!opts.project) {
      for (const auto& m : *it.members) o.keep.push_back(m.key);
    }
    o.keep.erase(std::remove_if(o.keep.begin(), o.keep.end(), [](const std::string& k) { return k == "apiVersion" || k == "kind"; }),
                 o.keep.end());
    o.drop_identity = true;
    write_item(out, copy, id, o, false);
    return;
  }
  bool add_kind = !it.has_kind && !id.kind.empty();
  bool add_api = !it.has_api_version && !id.api_version.empty();
  if (id.kind == "Secret" && (!opts.include_secret_data || opts.project)) {
    boost::json::value v = boost::json::parse(it.json);
    if (!v.is_object()) return;
    auto& o = v.as_object();
    if (!opts.include_secret_data) strip_secret(o);
    if (opts.project) {
      std::vector<std::string> drop;
      for (auto& kv : o)
        if (!opts.keeps(kv.key())) drop.emplace_back(kv.key());
      for (auto& k : drop) o.erase(k);
    }
    if (opts.strip_managed_fields)
      if (auto* m = o.if_contains("metadata"); m && m->is_object()) m->as_object().erase("managedFields");
    if (add_kind) o["kind"] = id.kind;
    if (add_api) o["apiVersion"] = id.api_version;
    out.raw_row(boost::json::serialize(v));
    return;
  }
  const bool cut_metadata = drops_metadata_members(it, opts);
  if ((opts.project || cut_metadata) && it.members) {
    std::string& row = out.raw_row_text();  // the batch itself: no copy of the row
    row += '{';
    bool first = true;
    auto sep = [&] {
      if (!first) row += ',';
      first = false;
    };
    if (add_api) {
      sep();
      row += "\"apiVersion\":";
      kinspect::sdk::append_json_string(row, id.api_version);
    }
    if (add_kind) {
      sep();
      row += "\"kind\":";
      kinspect::sdk::append_json_string(row, id.kind);
    }
    for (const auto& m : *it.members) {
      if (!opts.keeps(m.key)) continue;
      sep();
      if (cut_metadata && it.metadata_open > m.start && it.metadata_close < m.end) append_metadata(row, it, m, opts);
      else row.append(it.json.substr(m.start, m.end - m.start));
    }
    row += '}';
    return;
  }
  if (!add_kind && !add_api) {
    out.raw_row(it.json);
    return;
  }
  std::string head = "{";
  if (add_api) {
    head += "\"apiVersion\":";
    kinspect::sdk::append_json_string(head, id.api_version);
  }
  if (add_kind) {
    if (add_api) head += ',';
    head += "\"kind\":";
    kinspect::sdk::append_json_string(head, id.kind);
  }
  std::string_view body = it.json.substr(1);  // after '{'
  size_t k = body.find_first_not_of(" \t\r\n");
  bool empty = k != std::string_view::npos && body[k] == '}';
  if (!empty) head += ',';
  std::string& row = out.raw_row_text();
  row += head;
  row += body;
}

void write_health_rows(kinspect::sdk::BatchWriter& out, std::string_view text) {
  plugin_common::for_each_line(text, [&](std::string_view line, size_t) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.size() < 4 || line[0] != '[' || line[2] != ']' || (line[1] != '+' && line[1] != '-')) return;
    bool ok = line[1] == '+';
    std::string_view rest = line.substr(3);
    size_t sp = rest.find(' ');
    std::string_view name = rest.substr(0, sp);
    std::string_view msg = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    if (msg.rfind("failed: ", 0) == 0) msg.remove_prefix(8);
    out.row().field("name", name).field("ok", ok).field("message", msg);
  });
}

void write_deprecated_api_rows(kinspect::sdk::BatchWriter& out, std::string_view metrics, std::string_view source) {
  static constexpr std::string_view kFamily = "apiserver_requested_deprecated_apis";
  // The family's own lines, blank lines in place of the others so that
  // errors keep the body's line numbers.
  std::string mine;
  plugin_common::for_each_line(metrics, [&](std::string_view line, size_t) {
    std::string_view name = line;
    if (name.rfind("# HELP ", 0) == 0 || name.rfind("# TYPE ", 0) == 0) name.remove_prefix(7);
    const bool ours = name.rfind(kFamily, 0) == 0 &&
                      (name.size() == kFamily.size() || name[kFamily.size()] == '{' || name[kFamily.size()] == ' ');
    if (ours) mine.append(line);
    mine.push_back('\n');
  });
  std::vector<plugin_common::PromFamily> families;
  try {
    families = plugin_common::parse_prometheus_text(mine, source);
  } catch (const plugin_common::PromError& e) {
    throw std::runtime_error(e.what());
  }
  for (const auto& f : families)
    for (const auto& s : f.samples) {
      auto text = [&](const char* key) {
        const std::string* v = s.label(key);
        return v ? *v : std::string();
      };
      const std::string group = text("group"), version = text("version");
      auto r = out.row();
      r.field("group", group).field("version", version).field("group_version", group.empty() ? version : group + "/" + version);
      r.field("resource", text("resource")).field("subresource", text("subresource"));
      r.field("removed_release", text("removed_release")).field("value", s.value);
    }
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') o += static_cast<char>(c);
    else {
      o += '%';
      o += kHex[c >> 4];
      o += kHex[c & 15];
    }
  }
  return o;
}

}  // namespace kapi
