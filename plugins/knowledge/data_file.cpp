#include "data_file.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>
#include <stdexcept>

namespace knowledge {

namespace {

[[noreturn]] void fail(const std::string& file, const YAML::Mark& at, const std::string& what) {
  // yaml-cpp counts lines and columns from 0.
  throw std::runtime_error(file + ":" + std::to_string(at.line + 1) + ":" + std::to_string(at.column + 1) + ": " + what);
}

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool is_integer(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

void check_value(const std::string& file, const YAML::Node& n, const FieldSpec& f) {
  if (!n.IsScalar()) fail(file, n.Mark(), "field '" + f.name + "' must be a single value");
  const std::string& v = n.Scalar();
  bool ok = true;
  const char* want = "";
  switch (f.kind) {
    case FieldKind::Text: ok = !v.empty(); want = "non-empty text"; break;
    case FieldKind::Minor: ok = parse_minor(v).has_value(); want = "a Kubernetes minor such as \"1.28\""; break;
    case FieldKind::Version: ok = is_dotted_version(v); want = "a version such as \"3.6.5\""; break;
    case FieldKind::Integer: ok = is_integer(v); want = "an integer"; break;
    case FieldKind::Boolean: ok = v == "true" || v == "false"; want = "true or false"; break;
  }
  if (!ok) fail(file, n.Mark(), "field '" + f.name + "' is \"" + v + "\", want " + want);
}

Entry parse_entry(const std::string& file, const YAML::Node& n, const DataFileSpec& spec, const std::string& file_source) {
  if (!n.IsMap()) fail(file, n.Mark(), "every entry must be a map");
  std::set<std::string> known{"source"};
  for (const auto& f : spec.fields) known.insert(f.name);
  Entry e;
  for (const auto& kv : n) {
    std::string key = kv.first.as<std::string>();
    if (!known.count(key)) fail(file, kv.first.Mark(), "unknown field '" + key + "' in an entry of " + spec.table);
  }
  for (const auto& f : spec.fields) {
    YAML::Node v = n[f.name];
    if (!v || v.IsNull()) {
      if (f.required) fail(file, n.Mark(), "entry lacks the required field '" + f.name + "'");
      continue;
    }
    check_value(file, v, f);
    e[f.name] = v.Scalar();
  }
  YAML::Node src = n["source"];
  if (src && !(src.IsScalar() && !src.Scalar().empty())) fail(file, src.Mark(), "an entry's 'source' must be text");
  e["source"] = src ? src.Scalar() : file_source;
  return e;
}

}  // namespace

std::optional<int> parse_minor(std::string_view v) {
  if (v.size() < 3 || v[0] != '1' || v[1] != '.') return std::nullopt;
  v.remove_prefix(2);
  int m = -1;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), m);
  if (ec != std::errc() || p != v.data() + v.size() || m < 0) return std::nullopt;
  return m;
}

bool is_dotted_version(std::string_view v) {
  if (v.empty()) return false;
  bool digit_before = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') digit_before = true;
    else if (c == '.' && digit_before) digit_before = false;
    else return false;
  }
  return digit_before;
}

DataFile parse_data_file(std::string_view yaml, const DataFileSpec& spec) {
  const std::string& file = spec.file;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    fail(file, e.mark, e.msg);
  }
  if (!root.IsMap()) fail(file, root.Mark(), "the file must be a map with source, retrieved and entries");
  DataFile d;
  YAML::Node source = root["source"], retrieved = root["retrieved"], entries = root["entries"];
  if (!source || !source.IsScalar() || source.Scalar().empty()) fail(file, root.Mark(), "no 'source': say where the data comes from");
  if (!retrieved || !retrieved.IsScalar() || !is_date(retrieved.Scalar()))
    fail(file, retrieved ? retrieved.Mark() : root.Mark(), "'retrieved' must be the date the data was read, YYYY-MM-DD");
  if (!entries || !entries.IsSequence() || entries.size() == 0) fail(file, root.Mark(), "no 'entries' list");
  d.source = source.Scalar();
  d.retrieved = retrieved.Scalar();
  for (const auto& n : entries) d.entries.push_back(parse_entry(file, n, spec, d.source));
  return d;
}

}  // namespace knowledge
