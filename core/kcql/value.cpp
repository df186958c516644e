#include "core/kcql/value.h"
#include "core/util/short_bytes.h"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>

namespace kinspect::kcql {

namespace json = boost::json;

std::string_view Arena::copy(std::string_view s) {
  char* p = allocate_chars(s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

packed::Ref Arena::keep(const packed::Writer& w) {
  std::string_view bytes = w.bytes();
  void* p = do_allocate(bytes.size(), 1);
  std::memcpy(p, bytes.data(), bytes.size());
  return packed::Ref(static_cast<const uint8_t*>(p));
}

packed::Ref Arena::keep(const Value& v) {
  packed::Writer w;
  write_value(w, v);
  return keep(w);
}

packed::Ref Arena::keep(const json::value& v) {
  packed::Writer w;
  w.json(v);
  return keep(w);
}

void* Arena::do_allocate(size_t bytes, size_t align) {
  for (;;) {
    if (!chunks_.empty()) {
      Chunk& c = chunks_[current_];
      size_t start = (c.used + align - 1) & ~(align - 1);
      if (start + bytes <= c.size) {
        c.used = start + bytes;
        return c.data.get() + start;
      }
      // Move on to a later chunk kept from before a release, if any.
      if (current_ + 1 < chunks_.size()) {
        ++current_;
        chunks_[current_].used = 0;
        continue;
      }
    }
    size_t size = std::max<size_t>(bytes + align, chunks_.empty() ? 16 * 1024 : chunks_.back().size * 2);
    size = std::min<size_t>(size, std::max<size_t>(bytes + align, 16 * 1024 * 1024));
    chunks_.push_back(Chunk{std::make_unique_for_overwrite<char[]>(size), size, 0});  // pages fault in as used
    current_ = chunks_.size() - 1;
  }
}

void Arena::release(Mark m) {
  if (chunks_.empty()) return;
  current_ = m.chunk;
  chunks_[current_].used = m.used;
}

bool Arena::allocated_since(Mark m, const void* p) const {
  const auto q = reinterpret_cast<uintptr_t>(p);
  for (size_t c = m.chunk; c <= current_ && c < chunks_.size(); ++c) {
    const auto base = reinterpret_cast<uintptr_t>(chunks_[c].data.get());
    if (q >= base + (c == m.chunk ? m.used : 0) && q < base + chunks_[c].used) return true;
  }
  return false;
}

Value Arena::keep_only(const Value& v, Mark m) {
  const char* from = nullptr;
  size_t n = 0;
  if (v.is_string()) {
    from = v.as_string().data();
    n = v.as_string().size();
  } else if (v.is_json()) {
    from = reinterpret_cast<const char*>(v.as_json().data());
    n = v.as_json().encoded_size();
  }
  const bool ours = from && n && allocated_since(m, from);
  release(m);
  if (!ours) return v;  // a scalar, or bytes from before `m` or from elsewhere (a row's own string)
  // The bytes' own chunk has room for them, so this lands at or before them
  // and never makes a chunk: a move within the memory just freed.
  char* to = allocate_chars(n);
  std::memmove(to, from, n);
  if (v.is_string()) return Value::string(std::string_view(to, n));
  return Value::json(packed::Ref(reinterpret_cast<const uint8_t*>(to)));
}

size_t Arena::bytes_reserved() const {
  size_t n = 0;
  for (const auto& c : chunks_) n += c.size;
  return n;
}

static bool json_equal(packed::Ref a, packed::Ref b);

bool equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::Null: return false;
    case ValueKind::Bool: return a.as_bool() == b.as_bool();
    case ValueKind::String: return short_bytes::equal(a.as_string(), b.as_string());
    case ValueKind::Json: return json_equal(a.as_json(), b.as_json());
    default: return false;
  }
}

// Deep equality with the same number rules as equal() (1 == 1.0).
static bool json_equal(packed::Ref a, packed::Ref b) {
  if (a.is_array() && b.is_array()) {
    auto x = a.elements(), y = b.elements();
    auto i = x.begin(), j = y.begin();
    for (; i != x.end() && j != y.end(); ++i, ++j)
      if (!json_equal(*i, *j)) return false;
    return i == x.end() && j == y.end();
  }
  if (a.is_object() && b.is_object()) {
    size_t n = 0;
    for (const auto& m : a.members()) {
      packed::Ref other = b.find(m.key_id);
      if (!other || !json_equal(m.value(), other)) return false;
      ++n;
    }
    return n == b.size();
  }
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  return equal(Value::json(a), Value::json(b));
}

static int three_way(auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); }

int compare(const Value& a, const Value& b, bool& comparable) {
  comparable = true;
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return three_way(a.as_int(), b.as_int());
    return three_way(a.as_double(), b.as_double());
  }
  if (a.is_string() && b.is_string()) return three_way(a.as_string(), b.as_string());
  if (a.is_bool() && b.is_bool()) return three_way(int(a.as_bool()), int(b.as_bool()));
  comparable = false;
  return 0;
}

static int kind_rank(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Bool: return 0;
    case ValueKind::Int:
    case ValueKind::Real: return 1;
    case ValueKind::String: return 2;
    case ValueKind::Json: return 3;
    case ValueKind::Null: return 4;
  }
  return 4;
}

int sort_compare(const Value& a, const Value& b) {
  int ra = kind_rank(a), rb = kind_rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (a.is_null()) return 0;
  bool comparable;
  int c = compare(a, b, comparable);
  if (comparable) return c;
  // JSON documents have no natural order; their text gives a stable one.
  return three_way(to_text(a), to_text(b));
}

static size_t mix(size_t h, size_t v) { return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)); }

static size_t hash_json(packed::Ref j);

static size_t hash_number(double d) {
  if (d == 0) d = 0;  // -0.0 == 0.0
  return std::hash<double>()(d);
}

size_t hash_value(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Null: return 0x51ed;
    case ValueKind::Bool: return v.as_bool() ? 0x7e11 : 0xfa15;
    case ValueKind::Int:
    case ValueKind::Real: return hash_number(v.as_double());
    case ValueKind::String: return std::hash<std::string_view>()(v.as_string());
    case ValueKind::Json: return hash_json(v.as_json());
  }
  return 0;
}

static size_t hash_json(packed::Ref j) {
  if (j.is_array()) {
    size_t h = 0xa11a;
    for (packed::Ref e : j.elements()) h = mix(h, hash_json(e));
    return h;
  }
  if (j.is_object()) {
    // Order-independent, as object equality is.
    size_t h = 0x0b1ec7;
    for (const auto& m : j.members()) h += mix(std::hash<std::string_view>()(m.key()), hash_json(m.value()));
    return h;
  }
  return hash_value(Value::json(j));
}

void write_value(packed::Writer& w, const Value& v) {
  switch (v.kind()) {
    case ValueKind::Null: w.null_value(); break;
    case ValueKind::Bool: w.boolean(v.as_bool()); break;
    case ValueKind::Int: w.int64(v.as_int()); break;
    case ValueKind::Real: w.real(v.as_double()); break;
    case ValueKind::String: w.string(v.as_string()); break;
    case ValueKind::Json: w.raw(v.as_json()); break;
  }
}

json::value to_json(const Value& v, json::storage_ptr sp) {
  switch (v.kind()) {
    case ValueKind::Null: return json::value(nullptr, sp);
    case ValueKind::Bool: return json::value(v.as_bool(), sp);
    case ValueKind::Int: return json::value(v.as_int(), sp);
    case ValueKind::Real: return json::value(v.as_double(), sp);
    case ValueKind::String: return json::value(json::string_view(v.as_string().data(), v.as_string().size()), sp);
    case ValueKind::Json: return packed::to_json(v.as_json(), sp);
  }
  return json::value(nullptr, sp);
}

static void append_real(std::string& out, double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
    out += std::to_string(int64_t(d));
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

void append_text(std::string& out, const Value& v, std::string_view null_text) {
  switch (v.kind()) {
    case ValueKind::Null: out += null_text; break;
    case ValueKind::Bool: out += v.as_bool() ? "true" : "false"; break;
    case ValueKind::Int: {
      char digits[24];
      out.append(digits, std::to_chars(digits, digits + sizeof digits, v.as_int()).ptr);
      break;
    }
    case ValueKind::Real: append_real(out, v.as_double()); break;
    case ValueKind::String: out += v.as_string(); break;
    case ValueKind::Json: packed::append_json_text(out, v.as_json()); break;
  }
}

std::string to_text(const Value& v, std::string_view null_text) {
  std::string s;
  append_text(s, v, null_text);
  return s;
}

std::string_view kind_name(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return "boolean";
    case ValueKind::Int: return "integer";
    case ValueKind::Real: return "real";
    case ValueKind::String: return "string";
    case ValueKind::Json: return v.is_array() ? "array" : "object";
  }
  return "null";
}

// About the bytes `v` takes as JSON text (quotes and escapes aside).
uint64_t json_bytes(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return v.get_string().size() + 2;
    case boost::json::kind::array: {
      uint64_t n = 2;
      for (const auto& e : v.get_array()) n += json_bytes(e) + 1;
      return n;
    }
    case boost::json::kind::object: {
      uint64_t n = 2;
      for (const auto& kv : v.get_object()) n += kv.key().size() + 4 + json_bytes(kv.value());
      return n;
    }
    default:
      return 8;
  }
}

}  // namespace kinspect::kcql
