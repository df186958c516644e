#include "scope.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace json = boost::json;

namespace kapi {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// The requirements, split at commas outside parentheses.
std::vector<std::string> requirement_texts(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '(') ++depth;
    if (i < text.size() && text[i] == ')') --depth;
    if (depth < 0) throw std::invalid_argument("unbalanced ')' in label selector '" + std::string(text) + "'");
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      out.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (depth != 0) throw std::invalid_argument("unbalanced '(' in label selector '" + std::string(text) + "'");
  return out;
}

bool key_ok(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

LabelRequirement set_requirement(const std::string& r, size_t at, LabelRequirement::Op op, size_t word) {
  LabelRequirement q;
  q.op = op;
  q.key = trim(std::string_view(r).substr(0, at));
  std::string rest = trim(std::string_view(r).substr(at + word));
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
    throw std::invalid_argument("'" + r + "': 'in' and 'notin' take a list in parentheses, e.g. env in (a,b)");
  std::string_view list(rest);
  list = list.substr(1, list.size() - 2);
  size_t start = 0;
  for (size_t i = 0; i <= list.size(); ++i)
    if (i == list.size() || list[i] == ',') {
      q.values.push_back(trim(list.substr(start, i - start)));
      start = i + 1;
    }
  return q;
}

LabelRequirement requirement(const std::string& r) {
  if (r.empty()) throw std::invalid_argument("an empty requirement (two commas, or a comma at an end)");
  LabelRequirement q;
  if (r[0] == '!') {
    q.op = LabelRequirement::kNotExists;
    q.key = trim(std::string_view(r).substr(1));
  } else if (size_t ne = r.find("!="); ne != std::string::npos) {
    q = {LabelRequirement::kNotEquals, trim(std::string_view(r).substr(0, ne)), {trim(std::string_view(r).substr(ne + 2))}};
  } else if (size_t eq = r.find('='); eq != std::string::npos) {
    size_t width = r.compare(eq, 2, "==") == 0 ? 2 : 1;
    q = {LabelRequirement::kEquals, trim(std::string_view(r).substr(0, eq)), {trim(std::string_view(r).substr(eq + width))}};
  } else if (size_t notin = r.find(" notin "); notin != std::string::npos) {
    q = set_requirement(r, notin, LabelRequirement::kNotIn, 7);
  } else if (size_t in = r.find(" in "); in != std::string::npos) {
    q = set_requirement(r, in, LabelRequirement::kIn, 4);
  } else {
    q.key = r;
  }
  if (!key_ok(q.key)) throw std::invalid_argument("'" + r + "' does not start with a label key");
  return q;
}

bool matches(const LabelRequirement& q, const json::object* labels) {
  const json::value* v = labels ? labels->if_contains(q.key) : nullptr;
  const std::string value = v && v->is_string() ? std::string(v->as_string()) : std::string();
  const bool has = v != nullptr;
  const bool listed = std::find(q.values.begin(), q.values.end(), value) != q.values.end();
  switch (q.op) {
    case LabelRequirement::kExists: return has;
    case LabelRequirement::kNotExists: return !has;
    case LabelRequirement::kEquals:
    case LabelRequirement::kIn: return has && listed;
    case LabelRequirement::kNotEquals:
    case LabelRequirement::kNotIn: return !has || !listed;  // as the API server: absent keys match
  }
  return false;
}

}  // namespace

std::vector<LabelRequirement> parse_label_selector(std::string_view text) {
  std::vector<LabelRequirement> out;
  if (trim(text).empty()) return out;
  for (const auto& r : requirement_texts(text)) out.push_back(requirement(r));
  return out;
}

bool Scope::admits_namespace(std::string_view ns) const {
  if (std::find(exclude.begin(), exclude.end(), ns) != exclude.end()) return false;
  return namespaces.empty() || std::find(namespaces.begin(), namespaces.end(), ns) != namespaces.end();
}

bool Scope::admits(const json::value& metadata) const {
  const json::object* meta = metadata.if_object();
  const json::value* ns = meta ? meta->if_contains("namespace") : nullptr;
  if (!ns || !ns->is_string() || ns->as_string().empty()) return true;  // cluster-scoped
  if (!admits_namespace(ns->as_string())) return false;
  const json::value* labels = meta->if_contains("labels");
  const json::object* l = labels ? labels->if_object() : nullptr;
  return std::all_of(requirements.begin(), requirements.end(), [&](const auto& q) { return matches(q, l); });
}

}  // namespace kapi
