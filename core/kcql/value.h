// The value the evaluator computes with. A Value is a small view: scalars are
// held inline, strings are string_views and objects/arrays are packed values
// (core/table/packed.h) in either the table's store or the per-execution Arena. Copying one never
// allocates, which keeps the per-row path free of heap traffic; a Value is
// turned into an owning boost::json::value only for results.
#pragma once

#include <boost/json/value.hpp>
#include <boost/json/memory_resource.hpp>
#include <boost/json/storage_ptr.hpp>

#include "core/table/packed.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kinspect::kcql {

enum class ValueKind : uint8_t { Null, Bool, Int, Real, String, Json };

class Value {
 public:
  Value() : i_(0) {}
  static Value boolean(bool b) { Value v; v.meta_ = uint64_t(ValueKind::Bool); v.b_ = b; return v; }
  static Value integer(int64_t i) { Value v; v.meta_ = uint64_t(ValueKind::Int); v.i_ = i; return v; }
  static Value real(double d) { Value v; v.meta_ = uint64_t(ValueKind::Real); v.d_ = d; return v; }
  // `s` must outlive the value: table storage, the Arena or the plan.
  static Value string(std::string_view s) {
    Value v; v.meta_ = uint64_t(s.size()) << 8 | uint64_t(ValueKind::String); v.s_ = s.data(); return v;
  }
  // Scalars inside JSON become the matching scalar kind; objects and arrays stay
  // views. An absent Ref is SQL NULL (a missing field or a NULL-extended row).
  static Value json(packed::Ref j);

  ValueKind kind() const { return ValueKind(uint8_t(meta_)); }
  bool is_null() const { return kind() == ValueKind::Null; }
  bool is_bool() const { return kind() == ValueKind::Bool; }
  bool is_int() const { return kind() == ValueKind::Int; }
  bool is_number() const { return kind() == ValueKind::Int || kind() == ValueKind::Real; }
  bool is_string() const { return kind() == ValueKind::String; }
  bool is_json() const { return kind() == ValueKind::Json; }
  bool is_array() const { return kind() == ValueKind::Json && packed::Tag(*j_) == packed::Tag::Array; }
  bool is_object() const { return kind() == ValueKind::Json && packed::Tag(*j_) == packed::Tag::Object; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return kind() == ValueKind::Int ? double(i_) : d_; }
  std::string_view as_string() const { return {s_, size_t(meta_ >> 8)}; }
  // The array or object of a Json value.
  packed::Ref as_json() const { return packed::Ref(j_); }

 private:
  union {
    bool b_;
    int64_t i_;
    double d_;
    const uint8_t* j_;
    const char* s_;
  };
  // The kind in the low byte, a string's length above it: one word, so that
  // a Value is 16 bytes (rows, group keys and aggregates are arrays of them).
  uint64_t meta_ = 0;
};
static_assert(sizeof(Value) == 16);

// Inline: every field a query reads passes through it.
inline Value Value::json(packed::Ref j) {
  using packed::Tag;
  if (!j) return {};
  switch (j.tag()) {
    case Tag::Null: return {};
    case Tag::False: return boolean(false);
    case Tag::True: return boolean(true);
    case Tag::Int: return integer(j.get_int64());
    case Tag::UInt: return real(double(j.get_uint64()));  // only values above INT64_MAX are UInt
    case Tag::Double: return real(j.get_double());
    case Tag::String: return string(j.get_string());
    case Tag::Array:
    case Tag::Object: {
      Value v;
      v.meta_ = uint64_t(ValueKind::Json);
      v.j_ = j.data();
      return v;
    }
  }
  return {};
}

// Memory for values computed during one execution (concatenated strings,
// flattened arrays, decoded JSON): a bump allocator, freed at once when the
// execution ends. mark()/release() drop what a filter computed for one row,
// so a long scan does not grow the arena with garbage.
class Arena final : public boost::json::memory_resource {
 public:
  struct Mark {
    size_t chunk = 0;
    size_t used = 0;
  };

  Arena() : storage_(this) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Non-owning: values placed here are never destroyed one by one.
  const boost::json::storage_ptr& storage() const { return storage_; }
  std::string_view copy(std::string_view s);
  char* allocate_chars(size_t n) { return static_cast<char*>(do_allocate(n ? n : 1, 1)); }
  // Packs `v` into the arena and returns a view that lives as long as it.
  packed::Ref keep(const boost::json::value& v);
  // Copies a packed value into the arena.
  packed::Ref keep(const packed::Writer& w);
  // Any value, packed into the arena (NULL as JSON null).
  packed::Ref keep(const Value& v);
  // A Value that owns nothing outside the arena: strings are copied in.
  Value string(std::string_view s) { return Value::string(copy(s)); }

  Mark mark() const { return {current_, chunks_.empty() ? 0 : chunks_[current_].used}; }
  // Frees everything allocated since `m` (the memory is reused).
  void release(Mark m);
  // Frees everything allocated since `m` except `v`'s own bytes, which move
  // to the first room after `m` (a string's or packed JSON's; `v` from
  // before `m` or from elsewhere is returned as it is). Every other value
  // allocated since `m` is invalid afterwards. An expression leaves its
  // intermediate results behind ('/' || ns || '/', then replace(), then
  // lower() in a template: three strings for the one kept), and a check with
  // 75,000 findings would hold them all to its end.
  Value keep_only(const Value& v, Mark m);
  size_t bytes_reserved() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size = 0;
    size_t used = 0;
  };
  void* do_allocate(size_t bytes, size_t align) override;
  void do_deallocate(void*, size_t, size_t) override {}
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override { return this == &other; }

  bool allocated_since(Mark m, const void* p) const;

  std::vector<Chunk> chunks_;
  size_t current_ = 0;
  boost::json::storage_ptr storage_;
};

// SQL equality on two non-NULL values: numbers compare by value whatever their
// kind, strings by bytes, JSON deeply; values of different kinds are unequal.
bool equal(const Value& a, const Value& b);
// Ordering of two non-NULL values of comparable kinds (numbers, strings,
// booleans); `comparable` is false otherwise.
int compare(const Value& a, const Value& b, bool& comparable);
// A total order for ORDER BY: NULLs last, then by kind, then by value.
int sort_compare(const Value& a, const Value& b);
// Consistent with equal(); NULL hashes to a fixed value so GROUP BY can group NULLs.
size_t hash_value(const Value& v);
// Like equal() but NULL is the same as NULL (grouping and DISTINCT).
inline bool same(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  return equal(a, b);
}

// Appends `v` as a packed value (NULL as JSON null).
void write_value(packed::Writer& w, const Value& v);
// An owning JSON copy of `v`.
boost::json::value to_json(const Value& v, boost::json::storage_ptr sp = {});
// Text as templates and string() render it: strings verbatim, JSON compact,
// NULL as `null_text`.
void append_text(std::string& out, const Value& v, std::string_view null_text = "");
std::string to_text(const Value& v, std::string_view null_text = "");
std::string_view kind_name(const Value& v);

// About the bytes `v` takes as JSON text (quotes and escapes aside): what
// output budgets count.
uint64_t json_bytes(const boost::json::value& v);

}  // namespace kinspect::kcql
