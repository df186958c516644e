#include "fields.h"

#include "common/time.h"

#include <cctype>

namespace cloud {

Fields sub(const Fields& f, std::string_view key) {
  static const json::object kEmpty;
  const json::object* o = f.object(key);
  return Fields(o ? *o : kEmpty, f.at(key));
}

std::vector<std::string> texts(const Fields& f, std::string_view key) {
  std::vector<std::string> out;
  const json::array* a = f.array(key);
  if (!a) return out;
  for (size_t i = 0; i < a->size(); ++i) {
    if (!(*a)[i].is_string())
      throw std::runtime_error(f.at(key, i) + ": expected text, got " + kinspect::adapters::json_kind((*a)[i]));
    out.emplace_back((*a)[i].as_string());
  }
  return out;
}

std::vector<std::string> texts_in(const Fields& f, std::string_view outer, std::string_view inner) {
  const json::object* o = f.object(outer);
  return o ? texts(Fields(*o, f.at(outer)), inner) : std::vector<std::string>{};
}

std::optional<int64_t> int_or_text(const Fields& f, std::string_view key) {
  const json::value* v = f.get(key);
  if (v && v->is_string()) {
    std::string s(v->as_string());
    if (s.empty()) return std::nullopt;
    size_t used = 0;
    try {
      int64_t n = std::stoll(s, &used);
      if (used == s.size()) return n;
    } catch (const std::exception&) {
    }
    throw std::runtime_error(f.at(key) + ": expected an integer, got \"" + s + "\"");
  }
  return f.integer(key);
}

std::string time_at(const Fields& f, std::string_view key) {
  std::string t = f.text(key);
  if (t.empty()) return t;
  auto us = plugin_common::parse_rfc3339_us(t, plugin_common::Seconds::optional);
  if (!us) throw std::runtime_error(f.at(key) + ": expected an RFC 3339 time, got \"" + t + "\"");
  return *us % 1000000 == 0 ? plugin_common::rfc3339(*us / 1000000) : plugin_common::rfc3339_us(*us);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void texts_field(ks::JsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  auto a = w.array(key);
  for (const auto& s : v) a.value(s);
}

std::vector<std::string> node_keys(const std::string& instance_id, const std::vector<std::string>& private_ips) {
  std::vector<std::string> keys{instance_id};
  keys.insert(keys.end(), private_ips.begin(), private_ips.end());
  return keys;
}

void tags_field(ks::JsonWriter& w, const Fields& f, std::string_view key, bool aliyun) {
  auto o = w.object("tags");
  auto write = [&](const Fields& t) {
    std::string k = t.text(aliyun ? "TagKey" : "Key");
    if (!k.empty()) o.field(k, t.text(aliyun ? "TagValue" : "Value"));
  };
  if (aliyun) each_in(f, key, "Tag", write);
  else each(f, key, write);
}

std::string tag_value(const Fields& f, std::string_view key, std::string_view name) {
  std::string out;
  each(f, key, [&](const Fields& t) {
    if (t.text("Key") == name) out = t.text("Value");
  });
  return out;
}

void write_listeners(ks::JsonWriter& w, const std::vector<Listener>& ls) {
  auto a = w.array("listeners");
  for (const auto& l : ls) {
    auto o = a.object();
    int_or_null(o, "port", l.port);
    text_or_null(o, "protocol", l.protocol);
    texts_field(o, "target_groups", l.target_groups);
  }
}

void write_backends(ks::JsonWriter& w, const std::vector<Backend>& bs) {
  auto a = w.array("backends");
  for (const auto& b : bs) {
    auto o = a.object();
    o.field("instance_id", b.instance_id);
    int_or_null(o, "port", b.port);
    int_or_null(o, "listener_port", b.listener_port);
    text_or_null(o, "target_group", b.target_group);
    text_or_null(o, "health", b.health);
    text_or_null(o, "reason", b.reason);
  }
}

}  // namespace cloud
