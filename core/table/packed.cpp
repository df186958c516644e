#include "core/table/packed.h"
#include "core/util/short_bytes.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <new>

namespace kinspect::packed {

namespace json = boost::json;

namespace {

// Ids are handed out in order. Their texts live in fixed-size pages that are
// never moved, so key_name() reads without a lock: an id only reaches a
// reader through a row, which was published to it after the id was written.
//
// Why not a std::unordered_map of std::string: a cluster's rows can bring
// hundreds of thousands of distinct keys (label and annotation keys unique
// to one object, ConfigMap data keys), each new one a miss in every
// thread's cache. A node per key and a heap string per key cost about 150
// bytes and three dependent cache misses a lookup. Here the index is a flat
// table of (hash, id) probed linearly, texts are packed into arena blocks,
// and growing rehashes from the stored hashes without reading a text.
class KeyDictionary {
 public:
  static constexpr uint32_t kPageBits = 12;
  static constexpr uint32_t kPageSize = 1u << kPageBits;
  static constexpr uint32_t kPages = 1u << 16;  // 2^28 ids at most: the ceiling of any key_limit()

  explicit KeyDictionary(uint64_t generation) : generation_(generation), slots_(kFirstSlots) {}

  uint32_t find(std::string_view key) {
    std::lock_guard<std::mutex> lock(mutex_);
    return slots_[probe(key, hash_of(key))].id;
  }
  uint32_t intern(std::string_view key, uint32_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t h = hash_of(key);
    size_t at = probe(key, h);
    if (slots_[at].id != kNoKey) return slots_[at].id;
    if (count_ >= limit) throw KeyDictionaryFull(full_message(limit));
    uint32_t id = count_;
    uint32_t page = id >> kPageBits;
    if (!pages_[page].load(std::memory_order_relaxed)) {
      owned_pages_.push_back(std::make_unique<std::string_view[]>(kPageSize));
      pages_[page].store(owned_pages_.back().get(), std::memory_order_release);
    }
    pages_[page].load(std::memory_order_relaxed)[id & (kPageSize - 1)] = keep(key);
    slots_[at] = {uint32_t(h), id};
    ++count_;
    if (count_ * 2 > slots_.size()) grow();
    return id;
  }
  std::string_view name(uint32_t id) const {
    if ((id >> kPageBits) >= kPages) return {};  // kNoKey
    std::string_view* page = pages_[id >> kPageBits].load(std::memory_order_acquire);
    return page ? page[id & (kPageSize - 1)] : std::string_view();
  }
  uint32_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  struct Slot {
    uint32_t hash = 0;  // the low half of the key's hash, which also chose the slot
    uint32_t id = kNoKey;
  };
  static constexpr size_t kFirstSlots = 4096;
  static constexpr size_t kTextBlock = 64u << 10;

  static uint64_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }

  // The slot holding `key`, or the empty slot where it would go. The table
  // is at most half full, so a probe ends within a few slots.
  size_t probe(std::string_view key, uint64_t h) const {
    size_t mask = slots_.size() - 1;
    for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id == kNoKey || (s.hash == uint32_t(h) && short_bytes::equal(name(s.id), key))) return i;
    }
  }
  void grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    size_t mask = bigger.size() - 1;
    for (const Slot& s : slots_) {
      if (s.id == kNoKey) continue;
      size_t i = s.hash & mask;  // table sizes stay below 2^32
      while (bigger[i].id != kNoKey) i = (i + 1) & mask;
      bigger[i] = s;
    }
    slots_.swap(bigger);
  }
  // A copy of the key's text that never moves: keys are packed into 64 KiB
  // blocks, a longer one gets a block of its own.
  std::string_view keep(std::string_view key) {
    if (key.size() > kTextBlock / 4) {
      texts_.push_back(std::make_unique<char[]>(key.size()));
      std::memcpy(texts_.back().get(), key.data(), key.size());
      return {texts_.back().get(), key.size()};
    }
    if (text_left_ < key.size()) {
      texts_.push_back(std::make_unique<char[]>(kTextBlock));
      text_at_ = texts_.back().get();
      text_left_ = kTextBlock;
    }
    char* at = text_at_;
    if (!key.empty()) std::memcpy(at, key.data(), key.size());
    text_at_ += key.size();
    text_left_ -= key.size();
    return {at, key.size()};
  }

  std::string full_message(uint32_t limit) const {
    return "the key dictionary of packed rows is full: generation " + std::to_string(generation_) +
           " already holds its bound of " + std::to_string(limit) +
           " distinct object keys (field names, label, annotation and data keys; see core/table/packed.h)";
  }

  const uint64_t generation_;
  std::mutex mutex_;
  std::vector<Slot> slots_;  // a power of two in size
  std::vector<std::unique_ptr<char[]>> texts_;
  char* text_at_ = nullptr;
  size_t text_left_ = 0;
  std::vector<std::unique_ptr<std::string_view[]>> owned_pages_;
  std::atomic<std::string_view*> pages_[kPages] = {};
  uint32_t count_ = 0;
};

constexpr uint32_t kDefaultKeyLimit = 1u << 22;
constexpr uint32_t kMaxKeyLimit = KeyDictionary::kPages * KeyDictionary::kPageSize;

// The current dictionary and what decides when it may be replaced.
struct Generations {
  std::mutex mutex;  // begin_generation() and pins
  size_t pins = 0;
  std::atomic<uint64_t> number{1};
  std::atomic<KeyDictionary*> current{new KeyDictionary(1)};
  std::atomic<uint32_t> limit{kDefaultKeyLimit};
};

Generations& generations() {
  static Generations* g = new Generations();  // never destroyed: rows may outlive static destructors
  return *g;
}

KeyDictionary& dictionary() { return *generations().current.load(std::memory_order_acquire); }

// Each thread remembers the keys it interned last, so the row parser takes
// the dictionary's lock once per distinct key rather than once per member.
// A slot of an older generation is never read: its text may be freed.
struct CacheSlot {
  std::string_view text;  // points into the dictionary
  uint32_t id = kNoKey;
  uint64_t generation = 0;
};
constexpr size_t kCacheSlots = 2048;
thread_local CacheSlot t_cache[kCacheSlots];

// A cheap hash is enough for a cache that checks the key anyway: length and
// the first and last bytes tell most Kubernetes field names apart.
size_t slot_of(std::string_view key) {
  size_t n = key.size();
  if (n == 0) return 0;
  uint64_t h = n * 0x9E3779B97F4A7C15ULL;
  h ^= short_bytes::head(key.data(), n) * 0xC2B2AE3D27D4EB4FULL;
  h ^= (short_bytes::tail(key.data(), n) + 0x165667B19E3779F9ULL) * 0x85EBCA77C2B2AE63ULL;
  return size_t(h ^ (h >> 29)) & (kCacheSlots - 1);
}

// The cached id of `key`, or what `slow` finds (then cached).
template <class Slow>
uint32_t cached(std::string_view key, Slow&& slow) {
  CacheSlot& s = t_cache[slot_of(key)];
  uint64_t generation = generations().number.load(std::memory_order_acquire);
  if (s.generation == generation && s.id != kNoKey && short_bytes::equal(s.text, key)) return s.id;
  uint32_t id = slow();
  if (id != kNoKey) s = {dictionary().name(id), id, generation};
  return id;
}

}  // namespace

uint32_t intern(std::string_view key) {
  return cached(key, [&] { return dictionary().intern(key, generations().limit.load(std::memory_order_relaxed)); });
}

uint32_t lookup(std::string_view key) {
  return cached(key, [&] { return dictionary().find(key); });
}

std::string_view key_name(uint32_t id) { return dictionary().name(id); }

uint32_t key_count() { return dictionary().size(); }
uint32_t key_limit() { return generations().limit.load(); }
void set_key_limit(uint32_t keys) { generations().limit.store(std::clamp<uint32_t>(keys, 1, kMaxKeyLimit)); }

uint64_t generation() { return generations().number.load(std::memory_order_acquire); }

GenerationPin::GenerationPin() {
  std::lock_guard<std::mutex> lock(generations().mutex);
  ++generations().pins;
}

GenerationPin::~GenerationPin() {
  if (!held_) return;
  std::lock_guard<std::mutex> lock(generations().mutex);
  --generations().pins;
}

GenerationPin& GenerationPin::operator=(GenerationPin&& o) noexcept {
  if (this != &o) {
    GenerationPin released(std::move(*this));  // drops this one's pin, if any
    held_ = std::exchange(o.held_, false);
  }
  return *this;
}

GenerationResult begin_generation() {
  Generations& g = generations();
  std::lock_guard<std::mutex> lock(g.mutex);
  uint64_t now = g.number.load();
  if (g.pins)
    return {false, now,
            "key dictionary generation " + std::to_string(now) + " is still held by " + std::to_string(g.pins) +
                " user(s) (runs, bound plans); begin the next one when they have finished"};
  KeyDictionary* old = g.current.load();
  g.current.store(new KeyDictionary(now + 1), std::memory_order_release);
  g.number.store(now + 1, std::memory_order_release);
  delete old;
  return {true, now + 1, {}};
}

uint32_t FixedKey::id() const {
  uint64_t g = generation() & 0xffffffffu;
  uint64_t c = cached_.load(std::memory_order_acquire);
  if ((c >> 32) == g) return uint32_t(c);
  uint32_t id = intern(text_);
  cached_.store((g << 32) | id, std::memory_order_release);
  return id;
}

size_t Ref::size() const {
  size_t n = 0;
  if (is_array()) {
    for (auto it = elements().begin(), end = elements().end(); it != end; ++it) ++n;
  } else if (is_object()) {
    for (auto it = members().begin(), end = members().end(); it != end; ++it) ++n;
  }
  return n;
}

Ref Ref::at(size_t i) const {
  if (!is_array()) return {};
  for (Ref e : elements())
    if (i-- == 0) return e;
  return {};
}

namespace {

// The next chunk of a store: as large as everything before it (a table of
// 100 rows takes 64 KiB, one of 100,000 a few large chunks), between 64 KiB
// and 32 MiB. Chunks from 2 MiB on are aligned and advised to the kernel as
// transparent huge pages: filling fresh 4 KiB pages costs a fault each, about
// 10 us on a virtual machine, a large share of reading a big table.
constexpr size_t kHugePage = 2u << 20;

size_t next_chunk_bytes(size_t reserved, size_t need) {
  size_t size = std::max(need, std::clamp<size_t>(reserved, 64u << 10, 32u << 20));
  if (size >= kHugePage) size = (size + kHugePage - 1) / kHugePage * kHugePage;
  return size;
}

uint8_t* allocate_chunk(size_t size) {
  void* p = size >= kHugePage ? std::aligned_alloc(kHugePage, size) : std::malloc(size);
  if (!p) throw std::bad_alloc();
  if (size >= kHugePage) ::madvise(p, size, MADV_HUGEPAGE);  // a hint; "never" in the system setting wins
  return static_cast<uint8_t*>(p);
}

}  // namespace

Ref Store::add(std::string_view bytes) {
  if (used_ + bytes.size() > capacity_) {
    size_t size = next_chunk_bytes(reserved_, bytes.size());
    chunks_.emplace_back(allocate_chunk(size));
    capacity_ = size;
    used_ = 0;
    reserved_ += size;
  }
  uint8_t* at = chunks_.back().get() + used_;
  std::memcpy(at, bytes.data(), bytes.size());
  used_ += bytes.size();
  return Ref(at);
}

void Writer::grow(size_t n) {
  size_t want = std::max({size_ + n, capacity_ * 2, size_t(256)});
  char* p = static_cast<char*>(std::realloc(buf_.get(), want));
  if (!p) throw std::bad_alloc();
  buf_.release();
  buf_.reset(p);
  capacity_ = want;
}

void Writer::json(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: null_value(); break;
    case json::kind::bool_: boolean(v.get_bool()); break;
    case json::kind::int64: int64(v.get_int64()); break;
    case json::kind::uint64: uint64(v.get_uint64()); break;
    case json::kind::double_: real(v.get_double()); break;
    case json::kind::string: string(std::string_view(v.get_string())); break;
    case json::kind::array: {
      size_t at = open_array();
      for (const auto& e : v.get_array()) json(e);
      close(at);
      break;
    }
    case json::kind::object: {
      size_t at = open_object();
      for (const auto& kv : v.get_object()) {
        key(std::string_view(kv.key()));
        json(kv.value());
      }
      close(at);
      break;
    }
  }
}

json::value to_json(Ref r, json::storage_ptr sp) {
  if (!r) return json::value(nullptr, sp);
  switch (r.tag()) {
    case Tag::Null: return json::value(nullptr, sp);
    case Tag::False: return json::value(false, sp);
    case Tag::True: return json::value(true, sp);
    case Tag::Int: return json::value(r.get_int64(), sp);
    case Tag::UInt: return json::value(r.get_uint64(), sp);
    case Tag::Double: return json::value(r.get_double(), sp);
    case Tag::String: {
      std::string_view s = r.get_string();
      return json::value(json::string_view(s.data(), s.size()), sp);
    }
    case Tag::Array: {
      json::array a(sp);
      for (Ref e : r.elements()) a.push_back(to_json(e, sp));
      return json::value(std::move(a), sp);
    }
    case Tag::Object: {
      json::object o(sp);
      for (const Member& m : r.members()) {
        std::string_view k = m.key();
        o.emplace(json::string_view(k.data(), k.size()), to_json(m.value(), sp));  // the first of duplicates, as find()
      }
      return json::value(std::move(o), sp);
    }
  }
  return json::value(nullptr, sp);
}

void append_json_text(std::string& out, Ref r) { out += json::serialize(to_json(r)); }

}  // namespace kinspect::packed
