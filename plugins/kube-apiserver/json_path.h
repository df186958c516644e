// Reading a member of a parsed object by its path of keys.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <string>

namespace kapi {

// The value at `path` ({"metadata", "name"}) under `o`, or nullptr.
template <class Keys>
const boost::json::value* at_path(const boost::json::object& o, const Keys& path) {
  const boost::json::object* cur = &o;
  const boost::json::value* v = nullptr;
  for (const auto& key : path) {
    v = cur ? cur->if_contains(key) : nullptr;
    if (!v) return nullptr;
    cur = v->if_object();
  }
  return v;
}
inline const boost::json::value* at_path(const boost::json::object& o, std::initializer_list<const char*> path) {
  return at_path<std::initializer_list<const char*>>(o, path);
}

// The text at `path`, or "" when it is missing or not text.
inline std::string text_at(const boost::json::object& o, std::initializer_list<const char*> path) {
  const boost::json::value* v = at_path(o, path);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace kapi
