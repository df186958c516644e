// The packed row format: how the core holds table rows in memory.
//
// A row is a JSON value encoded as a compact byte string. Object keys are
// numbers in one process-wide dictionary, so a key costs one or two bytes
// instead of a copy of its text, and a lookup compares integers. Containers
// carry their byte length, so a reader skips a member it does not want in one
// step. A boost::json DOM of the same data costs 2-3x more: each member is a
// 32-byte slot plus a separately allocated key, each container a table.
// Rows are written once, by the row parser, and then only read, by many
// threads at once; nothing here locks on the read path.
//
// Encoding of one value (integers little-endian):
//   tag byte, then
//     Null, False, True      nothing
//     Int                    zigzag varint
//     UInt                   8 bytes (only values above INT64_MAX)
//     Double                 8 bytes
//     String                 varint length, bytes
//     Array                  u32 body length, then the elements
//     Object                 u32 body length, then (varint key id, value) pairs
//
// Members keep their document order. An object with a duplicate key (JSON
// leaves the meaning open; the API server never sends one) answers with the
// first, in find() and to_json() alike.
#pragma once

#include <boost/json/fwd.hpp>
#include <boost/json/storage_ptr.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kinspect::packed {

enum class Tag : uint8_t { Null = 0, False, True, Int, UInt, Double, String, Array, Object };

// ---- the key dictionary
//
// Why one for the process: a plan is bound once and then compares the key
// ids of its paths with the ids in the rows of whatever table it reads, from
// any plugin, on any thread; rows of every table nest the same Kubernetes
// field names. One dictionary makes an id mean the same text everywhere,
// so neither rows nor plans carry a dictionary, nothing is translated per
// row, and a reader needs no lock. The price is that ids outlive any one
// table, so the dictionary is bounded and renewed by generation:
//
// Bounded: at most key_limit() distinct keys per generation (4,194,304 by
// default: field names, label, annotation and data keys; a 150,000-pod
// cluster has a few thousand). One more is a KeyDictionaryFull error naming
// the bound; a table being read then fails with it, never undefined
// behaviour.
//
// Generations: a long-running process (the daemon, on reload) starts a new,
// empty dictionary with begin_generation(). Rows packed and plans bound
// before it hold ids of the old one, so whatever holds them holds a
// GenerationPin (a run does, from prepare to report), and begin_generation()
// refuses while any pin on the current generation is held. Keys the core
// names in code are FixedKeys, interned again in each generation.

constexpr uint32_t kNoKey = UINT32_MAX;

struct KeyDictionaryFull : std::length_error {
  using std::length_error::length_error;
};

// The id of `key`, adding it the first time. Thread-safe. Throws
// KeyDictionaryFull when the generation already holds key_limit() keys.
uint32_t intern(std::string_view key);
// The id of `key` if it was ever interned, else kNoKey. Thread-safe.
uint32_t lookup(std::string_view key);
// The text of an id intern() returned. Lock-free.
std::string_view key_name(uint32_t id);

// Distinct keys in the current generation, and the bound on them.
uint32_t key_count();
uint32_t key_limit();
// Sets the bound for this and later generations (clamped to 1..2^28); tests
// lower it to reach it.
void set_key_limit(uint32_t keys);

// The current generation: 1 at start, +1 per begin_generation().
uint64_t generation();

// Keeps the generation current at its construction from being replaced
// while rows or plans with its ids are in use. Movable, not copyable.
class GenerationPin {
 public:
  GenerationPin();
  ~GenerationPin();
  GenerationPin(GenerationPin&& o) noexcept : held_(std::exchange(o.held_, false)) {}
  GenerationPin& operator=(GenerationPin&& o) noexcept;
  GenerationPin(const GenerationPin&) = delete;
  GenerationPin& operator=(const GenerationPin&) = delete;

 private:
  bool held_ = true;
};

// Replaces the dictionary by an empty one and frees the old one. Fails with
// a message saying how many pins still hold the current generation (then
// nothing changes). Every id handed out before is then meaningless.
// Returns the new generation on success.
struct GenerationResult {
  bool ok = false;
  uint64_t generation = 0;
  std::string error;
};
GenerationResult begin_generation();

// A key named in the core's code (a function reading status.conditions):
// its id in the current generation, interned again after a new one begins.
class FixedKey {
 public:
  explicit FixedKey(std::string_view text) : text_(text) {}
  uint32_t id() const;

 private:
  std::string_view text_;
  mutable std::atomic<uint64_t> cached_{0};  // (generation << 32) | id; 0: none yet
};

namespace detail {
inline uint64_t read_varint(const uint8_t*& p) {
  uint64_t v = 0;
  int shift = 0;
  while (*p & 0x80) {
    v |= uint64_t(*p++ & 0x7f) << shift;
    shift += 7;
  }
  v |= uint64_t(*p++) << shift;
  return v;
}
inline uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
constexpr size_t kHeader = 5;  // tag + u32 body length
}  // namespace detail

class Ref;

// One member of an object: its key and value.
struct Member {
  uint32_t key_id;
  const uint8_t* value_ptr;
  std::string_view key() const { return key_name(key_id); }
  Ref value() const;
};

// A read-only view of a packed value. A null pointer stands for "absent"
// (a missing field), which is different from a JSON null.
class Ref {
 public:
  Ref() = default;
  explicit Ref(const uint8_t* p) : p_(p) {}

  const uint8_t* data() const { return p_; }
  bool present() const { return p_ != nullptr; }
  explicit operator bool() const { return p_ != nullptr; }
  bool operator==(const Ref& o) const { return p_ == o.p_; }

  Tag tag() const { return Tag(*p_); }
  bool is_null() const { return tag() == Tag::Null; }
  bool is_bool() const { return tag() == Tag::True || tag() == Tag::False; }
  bool is_int() const { return tag() == Tag::Int; }
  bool is_number() const { return tag() == Tag::Int || tag() == Tag::UInt || tag() == Tag::Double; }
  bool is_string() const { return tag() == Tag::String; }
  bool is_array() const { return tag() == Tag::Array; }
  bool is_object() const { return tag() == Tag::Object; }
  bool is_container() const { return tag() == Tag::Array || tag() == Tag::Object; }

  bool get_bool() const { return tag() == Tag::True; }
  int64_t get_int64() const {
    const uint8_t* p = p_ + 1;
    uint64_t z = detail::read_varint(p);
    return int64_t(z >> 1) ^ -int64_t(z & 1);
  }
  uint64_t get_uint64() const {
    uint64_t v;
    std::memcpy(&v, p_ + 1, 8);
    return v;
  }
  double get_double() const {
    double v;
    std::memcpy(&v, p_ + 1, 8);
    return v;
  }
  std::string_view get_string() const {
    const uint8_t* p = p_ + 1;
    uint64_t n = detail::read_varint(p);
    return {reinterpret_cast<const char*>(p), size_t(n)};
  }

  // Containers.
  const uint8_t* body_begin() const { return p_ + detail::kHeader; }
  const uint8_t* body_end() const { return p_ + detail::kHeader + detail::read_u32(p_ + 1); }
  bool empty() const { return detail::read_u32(p_ + 1) == 0; }
  size_t size() const;  // elements or members; walks the container
  // The member with this key, or an absent Ref.
  Ref find(uint32_t key_id) const {
    const uint8_t* p = body_begin();
    const uint8_t* end = body_end();
    while (p < end) {
      uint32_t k = *p < 0x80 ? *p++ : uint32_t(detail::read_varint(p));
      if (k == key_id) return Ref(p);
      p = Ref(p).next();
    }
    return {};
  }
  Ref find(std::string_view key) const {
    uint32_t id = lookup(key);
    return id == kNoKey ? Ref() : find(id);
  }
  Ref at(size_t i) const;  // i-th array element, or absent

  // Bytes this value occupies, and the value right after it. Tested in the
  // order of how often each kind is skipped (strings and containers, the
  // members of Kubernetes objects), not as a jump table: find() skips one
  // member after another of mixed kinds, and an indirect jump mispredicts
  // on most of them.
  size_t encoded_size() const {
    const uint8_t t = *p_;
    if (t >= uint8_t(Tag::Array)) return detail::kHeader + detail::read_u32(p_ + 1);
    const uint8_t* p = p_ + 1;
    if (t == uint8_t(Tag::String)) {
      if (*p < 0x80) return 2 + size_t(*p);
      uint64_t n = detail::read_varint(p);
      return size_t(p - p_) + size_t(n);
    }
    if (t == uint8_t(Tag::Int)) {
      detail::read_varint(p);
      return size_t(p - p_);
    }
    return t >= uint8_t(Tag::UInt) ? 9 : 1;
  }
  const uint8_t* next() const { return p_ + encoded_size(); }

  class ElementIterator {
   public:
    explicit ElementIterator(const uint8_t* p) : p_(p) {}
    Ref operator*() const { return Ref(p_); }
    ElementIterator& operator++() {
      p_ = Ref(p_).next();
      return *this;
    }
    bool operator!=(const ElementIterator& o) const { return p_ != o.p_; }
    bool operator==(const ElementIterator& o) const { return p_ == o.p_; }

   private:
    const uint8_t* p_;
  };
  class MemberIterator {
   public:
    explicit MemberIterator(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) { load(); }
    const Member& operator*() const { return m_; }
    const Member* operator->() const { return &m_; }
    MemberIterator& operator++() {
      p_ = Ref(m_.value_ptr).next();
      load();
      return *this;
    }
    bool operator!=(const MemberIterator& o) const { return p_ != o.p_; }
    bool operator==(const MemberIterator& o) const { return p_ == o.p_; }

   private:
    void load() {
      if (p_ >= end_) return;
      const uint8_t* q = p_;
      m_.key_id = uint32_t(detail::read_varint(q));
      m_.value_ptr = q;
    }
    const uint8_t* p_;
    const uint8_t* end_;
    Member m_{};
  };
  template <class It>
  struct Range {
    It b, e;
    It begin() const { return b; }
    It end() const { return e; }
  };
  // Elements of an array. Only for is_array().
  Range<ElementIterator> elements() const { return {ElementIterator(body_begin()), ElementIterator(body_end())}; }
  // Members of an object, in document order. Only for is_object().
  Range<MemberIterator> members() const {
    return {MemberIterator(body_begin(), body_end()), MemberIterator(body_end(), body_end())};
  }

 private:
  const uint8_t* p_ = nullptr;
};

inline Ref Member::value() const { return Ref(value_ptr); }

// Appends packed values to a byte buffer. Containers are opened and closed
// around their contents; in an object, key() precedes each value.
class Writer {
 public:
  Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  Writer(Writer&& o) noexcept : buf_(std::move(o.buf_)), size_(o.size_), capacity_(o.capacity_) { o.size_ = o.capacity_ = 0; }
  Writer& operator=(Writer&& o) noexcept {
    buf_ = std::move(o.buf_);
    size_ = o.size_, capacity_ = o.capacity_;
    o.size_ = o.capacity_ = 0;
    return *this;
  }

  std::string_view bytes() const { return {buf_.get(), size_}; }
  void clear() { size_ = 0; }

  // Each value reserves its room once and then stores bytes: a row is
  // written a byte or two at a time, and a string's push_back checked the
  // capacity (and wrote a terminator) for every one of them.
  void null_value() { *room(1) = char(Tag::Null), ++size_; }
  void boolean(bool b) { *room(1) = char(b ? Tag::True : Tag::False), ++size_; }
  void int64(int64_t v) {
    char* p = room(1 + kMaxVarint);
    *p++ = char(Tag::Int);
    end_at(varint(p, (uint64_t(v) << 1) ^ uint64_t(v >> 63)));
  }
  void uint64(uint64_t v) {
    if (v <= uint64_t(INT64_MAX)) return int64(int64_t(v));
    fixed(Tag::UInt, &v);
  }
  void real(double d) { fixed(Tag::Double, &d); }
  void string(std::string_view s) {
    char* p = room(1 + kMaxVarint + s.size());
    *p++ = char(Tag::String);
    p = varint(p, s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    end_at(p + s.size());
  }
  // Returns where the container starts, for close().
  size_t open_array() { return open(Tag::Array); }
  size_t open_object() { return open(Tag::Object); }
  void close(size_t start) {
    uint32_t body = uint32_t(size_ - start - detail::kHeader);
    std::memcpy(buf_.get() + start + 1, &body, 4);
  }
  void key(uint32_t id) { end_at(varint(room(kMaxVarint), id)); }
  void key(std::string_view k) { key(intern(k)); }
  // A value that is already packed, copied as it is.
  void raw(Ref r) {
    size_t n = r.encoded_size();
    std::memcpy(room(n), r.data(), n);
    size_ += n;
  }
  void json(const boost::json::value& v);

 private:
  static constexpr size_t kMaxVarint = 10;  // a uint64_t, 7 bits a byte
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };

  // Where the next n bytes go; size_ moves when they are written.
  char* room(size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return buf_.get() + size_;
  }
  void grow(size_t n);
  void end_at(char* p) { size_ = size_t(p - buf_.get()); }
  size_t open(Tag t) {
    size_t at = size_;
    char* p = room(detail::kHeader);
    *p = char(t);
    std::memset(p + 1, 0, 4);
    size_ += detail::kHeader;
    return at;
  }
  static char* varint(char* p, uint64_t v) {
    while (v >= 0x80) {
      *p++ = char(uint8_t(v) | 0x80);
      v >>= 7;
    }
    *p++ = char(uint8_t(v));
    return p;
  }
  template <class T>
  void fixed(Tag t, const T* v) {
    char* p = room(1 + sizeof(T));
    *p = char(t);
    std::memcpy(p + 1, v, sizeof(T));
    size_ += 1 + sizeof(T);
  }
  std::unique_ptr<char, Free> buf_;
  size_t size_ = 0, capacity_ = 0;
};

// Append-only storage for the rows of one table: large chunks, so a table of
// 150,000 rows is a few hundred allocations, all freed together.
class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  Store(Store&&) = default;
  Store& operator=(Store&&) = default;

  Ref add(std::string_view bytes);
  size_t bytes_reserved() const { return reserved_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<uint8_t[], Free>> chunks_;
  size_t used_ = 0, capacity_ = 0, reserved_ = 0;
};

// Conversions to and from Boost.JSON, for results and for values that
// functions compute.
boost::json::value to_json(Ref r, boost::json::storage_ptr sp = {});
// Compact JSON text, the same as boost::json::serialize would print.
void append_json_text(std::string& out, Ref r);

}  // namespace kinspect::packed
