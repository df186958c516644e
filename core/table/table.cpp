#include "core/table/table.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

namespace kinspect {

std::string_view to_string(ColumnType t) {
  switch (t) {
    case ColumnType::Text: return "text";
    case ColumnType::Integer: return "integer";
    case ColumnType::Real: return "real";
    case ColumnType::Boolean: return "boolean";
    case ColumnType::Json: return "json";
    case ColumnType::Timestamp: return "timestamp";
  }
  return "text";
}

bool parse_column_type(std::string_view s, ColumnType& out) {
  for (ColumnType t : {ColumnType::Text, ColumnType::Integer, ColumnType::Real, ColumnType::Boolean,
                       ColumnType::Json, ColumnType::Timestamp})
    if (to_string(t) == s) {
      out = t;
      return true;
    }
  return false;
}

std::string ScanSpec::key() const {
  std::string k = table;
  k += '(';
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) k += ',';
    k += boost::json::serialize(args[i]);
  }
  k += ')';
  return k;
}

void ScanSpec::merge(const ScanSpec& other) {
  if (paths.empty() || other.paths.empty()) {
    paths.clear();  // someone reads every column
  } else {
    std::set<std::string> all(paths.begin(), paths.end());
    all.insert(other.paths.begin(), other.paths.end());
    paths.assign(all.begin(), all.end());
  }
  constraints = narrowest_common(constraints, other.constraints);
}

std::vector<std::string> path_keys(std::string_view path) {
  std::vector<std::string> keys(1);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\' && i + 1 < path.size() && path[i + 1] == '.') keys.back() += path[++i];
    else if (path[i] == '.') keys.emplace_back();
    else keys.back() += path[i];
  }
  return keys;
}

bool ScanSpec::covers(const ScanSpec& other) const {
  if (key() != other.key() || !constraints.empty()) return false;
  if (paths.empty()) return true;  // every column
  if (other.paths.empty()) return false;
  std::vector<std::vector<std::string>> kept;
  for (const auto& p : paths) kept.push_back(path_keys(p));
  auto inside = [](const std::vector<std::string>& path, const std::vector<std::string>& whole) {
    return whole.size() <= path.size() && std::equal(whole.begin(), whole.end(), path.begin());
  };
  return std::all_of(other.paths.begin(), other.paths.end(), [&](const std::string& p) {
    const std::vector<std::string> keys = path_keys(p);
    return std::any_of(kept.begin(), kept.end(), [&](const auto& k) { return inside(keys, k); });
  });
}

std::string ScanConstraint::text() const {
  auto quoted = [](const std::string& v) {
    std::string q = "'";
    for (char c : v) q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
  };
  if (values.size() == 1) return path + " = " + quoted(values[0]);
  std::string t = path + " IN (";
  for (size_t i = 0; i < values.size(); ++i) t += (i ? ", " : "") + quoted(values[i]);
  return t + ")";
}

std::vector<ScanConstraint> narrowest_common(const std::vector<ScanConstraint>& a,
                                             const std::vector<ScanConstraint>& b) {
  std::vector<ScanConstraint> out;
  for (const auto& x : a)
    for (const auto& y : b) {
      if (x.path != y.path) continue;
      ScanConstraint both{x.path, x.values};
      both.values.insert(both.values.end(), y.values.begin(), y.values.end());
      std::sort(both.values.begin(), both.values.end());
      both.values.erase(std::unique(both.values.begin(), both.values.end()), both.values.end());
      out.push_back(std::move(both));
    }
  return out;
}

namespace {

// The entry for `path` in `by_path`, made empty if there was none.
template <class Map>
auto& slot_for(std::mutex& mutex, Map& by_path, const std::vector<uint32_t>& path) {
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = by_path[path];
  if (!slot) slot = std::make_unique<typename Map::mapped_type::element_type>();
  return *slot;
}

}  // namespace

packed::Ref TableData::at_path(uint32_t r, const std::vector<uint32_t>& path) const {
  packed::Ref v = rows[r];
  for (uint32_t key : path) v = v && v.is_object() ? v.find(key) : packed::Ref();
  return v;
}

const TableData::PathIndex& TableData::index(const std::vector<uint32_t>& path) const {
  auto& built = slot_for(indexes_->mutex, indexes_->by_path, path);
  std::call_once(built.once, [&] {
    for (uint32_t r = 0; r < rows.size(); ++r) {
      if (r + 8 < rows.size()) __builtin_prefetch(rows[r + 8].data());  // as in labels() below
      packed::Ref v = at_path(r, path);
      // Only text is indexed: a text constant equals nothing else.
      if (v && v.is_string()) built.index[v.get_string()].push_back(r);
    }
  });
  return built.index;
}

const LabelIndex& TableData::labels(const std::vector<uint32_t>& path) const {
  auto& built = slot_for(indexes_->mutex, indexes_->labels_by_path, path);
  std::call_once(built.once, [&] {
    for (uint32_t r = 0; r < rows.size(); ++r) {
      // The rows are read in order but each only at its labels: load a few
      // ahead, or every row is a wait on memory.
      if (r + 8 < rows.size()) __builtin_prefetch(rows[r + 8].data());
      built.index.add_map(at_path(r, path), r);
    }
    built.index.seal();
  });
  return built.index;
}

void TableData::add(const boost::json::value& row) {
  packed::Writer w;
  w.json(row);
  rows.push_back(store.add(w.bytes()));
}

}  // namespace kinspect
