// Rows by label: which rows carry `key=value` in a map of text (pods'
// metadata.labels), for answering label selectors without testing every row.
#pragma once

#include <algorithm>
#include <bit>
#include <compare>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/table/packed.h"

namespace kinspect {

// A label as an index key: the key's id and the value's text, which lives in
// the table's rows for as long as the table does. No string is built per
// label: the index holds only the pair's hash and the row (see LabelIndex).
struct LabelPair {
  uint32_t key_id;
  std::string_view value;
  bool operator==(const LabelPair&) const = default;

  // A member of a map whose value is text.
  static LabelPair of(const packed::Member& m) { return {m.key_id, m.value().get_string()}; }
};

struct LabelPairHash {
  size_t operator()(const LabelPair& p) const {
    return std::hash<std::string_view>()(p.value) ^ (size_t(p.key_id) * 0x9E3779B97F4A7C15ULL);
  }
};

// Rows by label pair, grouped by the pair's hash: 166,000 pods with 590,000
// labels (nearly every pair distinct, as with pod-template-hash,
// controller-uid or a StatefulSet's pod name) cost 8 bytes a label, where a
// hash map cost a node per pair and its building was bound by the cache
// misses of inserting 590,000 of them. Sealing places the entries in
// buckets by the top bits of their hash and sorts each bucket by the low 32.
//
// rows() answers by hash alone, so two pairs whose hashes collide share
// their rows: a caller tests each row it gets (the selector functions do)
// and takes the index as a way to visit few rows, never as the answer.
class LabelIndex {
  struct Entry {
    uint32_t hash_low;
    uint32_t row;
    auto operator<=>(const Entry&) const = default;
  };

 public:
  // The rows of one pair: iterates as uint32_t row numbers.
  class Rows {
   public:
    struct iterator {
      const Entry* at;
      uint32_t operator*() const { return at->row; }
      iterator& operator++() { return ++at, *this; }
      bool operator==(const iterator&) const = default;
    };
    Rows() = default;
    Rows(const Entry* first, const Entry* last) : first_(first), last_(last) {}
    iterator begin() const { return {first_}; }
    iterator end() const { return {last_}; }
    size_t size() const { return size_t(last_ - first_); }

   private:
    const Entry* first_ = nullptr;
    const Entry* last_ = nullptr;
  };

  void add(const LabelPair& pair, uint32_t row) {
    const uint64_t h = LabelPairHash()(pair);
    added_.push_back({uint32_t(h >> 32), {uint32_t(h), row}});
  }
  // Every text-valued member of `labels` (when it is an object), for `row`.
  void add_map(packed::Ref labels, uint32_t row) {
    if (!labels || !labels.is_object()) return;
    for (const auto& kv : labels.members())
      if (kv.value().is_string()) add(LabelPair::of(kv), row);
  }
  // After the last add: groups the entries by hash, each pair's rows
  // ascending when they were added so.
  void seal() {
    const size_t n = added_.size();
    // Buckets of about 256 entries: counting and sorting them stays in the cache.
    bits_ = std::clamp(int(std::bit_width(n / 256)), 1, 16);
    starts_.assign((size_t(1) << bits_) + 1, 0);
    for (const Added& a : added_) ++starts_[bucket(a.high) + 1];
    for (size_t b = 1; b < starts_.size(); ++b) starts_[b] += starts_[b - 1];
    entries_.resize(n);
    std::vector<uint32_t> next(starts_.begin(), starts_.end() - 1);
    for (const Added& a : added_) entries_[next[bucket(a.high)]++] = a.entry;
    added_ = {};
    for (size_t b = 0; b + 1 < starts_.size(); ++b)
      std::sort(entries_.begin() + starts_[b], entries_.begin() + starts_[b + 1]);
  }
  // The rows that carry `pair` (and any whose pair hashes alike).
  Rows rows(const LabelPair& pair) const {
    if (starts_.empty()) return {};
    const uint64_t h = LabelPairHash()(pair);
    const Entry* first = entries_.data() + starts_[bucket(uint32_t(h >> 32))];
    const Entry* last = entries_.data() + starts_[bucket(uint32_t(h >> 32)) + 1];
    auto [from, to] = std::equal_range(first, last, Entry{uint32_t(h), 0},
                                       [](const Entry& x, const Entry& y) { return x.hash_low < y.hash_low; });
    return {from, to};
  }

 private:
  struct Added {
    uint32_t high;  // the hash's high 32 bits: its bucket
    Entry entry;
  };
  size_t bucket(uint32_t high) const { return size_t(high >> (32 - bits_)); }
  std::vector<Added> added_;  // until seal()
  int bits_ = 1;
  std::vector<uint32_t> starts_;  // bucket -> its first entry
  std::vector<Entry> entries_;
};

}  // namespace kinspect
