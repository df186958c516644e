#include "core/kcql/executor.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/kcql/evaluator.h"
#include "core/kcql/functions.h"

namespace kinspect::kcql {

namespace json = boost::json;
using plan::NodePtr;

namespace {

// The most rows a DISTINCT reserves room for before it knows how many stay
// (about 64 MB of address space for a row of four values).
constexpr size_t kDistinctRowsReserved = size_t(1) << 20;

// Rows of one query level after its joins: `width` row pointers per tuple,
// stored flat so that a million tuples are one allocation.
struct Tuples {
  size_t width = 0;
  size_t count = 0;  // kept apart: a query without FROM has one tuple of width 0
  std::vector<packed::Ref> data;
  size_t size() const { return count; }
  const packed::Ref* at(size_t i) const { return data.data() + i * width; }
  void append(const Tuples& o) {
    data.insert(data.end(), o.data.begin(), o.data.end());
    count += o.count;
  }
  void push(const packed::Ref* t) {
    data.insert(data.end(), t, t + width);
    ++count;
  }
};

// Keys of `width` values with their payloads, found by hash. Used for hash
// joins (equal(): NULL matches nothing), grouping and DISTINCT (same(): NULL
// groups with NULL).
class KeyIndex {
 public:
  explicit KeyIndex(size_t width = 1) : width_(width) {}

  void add(const Value* key, uint32_t payload) {
    uint32_t entry = uint32_t(payloads_.size());
    keys_.insert(keys_.end(), key, key + width_);
    payloads_.push_back(payload);
    next_.push_back(kNone);
    // Entries of one hash are chained in insertion order, so that join output
    // follows input order.
    if ((chains_used_ + 1) * 2 > slots_.size()) grow();
    const size_t h = hash(key);
    Slot& slot = slots_[probe(h)];
    if (slot.head == kNone) {
      slot = {h, entry, entry};
      ++chains_used_;
    } else {
      next_[slot.tail] = entry;
      slot.tail = entry;
    }
  }

  // The payload of a key the same as `key`, or -1.
  int64_t find_same(const Value* key) const {
    for (uint32_t e = chain_of(hash(key)); e != kNone; e = next_[e])
      if (matches(e, key, true)) return payloads_[e];
    return -1;
  }

  // Calls f(payload) for each key equal to `key` until f returns false.
  template <class F>
  void for_each_equal(const Value* key, F&& f) const {
    for (uint32_t e = chain_of(hash(key)); e != kNone; e = next_[e])
      if (matches(e, key, false) && !f(payloads_[e])) return;
  }

  void reserve(size_t n) {
    keys_.reserve(n * width_);
    payloads_.reserve(n);
    next_.reserve(n);
    while (n * 2 > slots_.size()) grow();
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // The chain of one hash: open addressing, at most half full, so that a
  // DISTINCT or GROUP BY over 150,000 rows allocates no node per key.
  struct Slot {
    size_t hash = 0;
    uint32_t head = kNone, tail = kNone;  // head kNone: an empty slot
  };
  // The slot of hash `h`, or the empty one where it would go.
  size_t probe(size_t h) const {
    const size_t mask = slots_.size() - 1;
    size_t at = mix(h) & mask;
    while (slots_[at].head != kNone && slots_[at].hash != h) at = (at + 1) & mask;
    return at;
  }
  uint32_t chain_of(size_t h) const { return slots_.empty() ? kNone : slots_[probe(h)].head; }
  void grow() {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(std::max<size_t>(16, slots_.size() * 2)));
    for (const Slot& o : old)
      if (o.head != kNone) slots_[probe(o.hash)] = o;
  }
  // Spreads the key hash's bits over the slot index (hash_value of a small
  // integer is the integer itself).
  static size_t mix(size_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }
  size_t hash(const Value* key) const {
    size_t h = 0;
    for (size_t i = 0; i < width_; ++i) h = h * 1000003 ^ hash_value(key[i]);
    return h;
  }
  bool matches(uint32_t entry, const Value* key, bool nulls_match) const {
    const Value* k = keys_.data() + size_t(entry) * width_;
    for (size_t i = 0; i < width_; ++i)
      if (!(nulls_match ? same(k[i], key[i]) : (!k[i].is_null() && !key[i].is_null() && equal(k[i], key[i]))))
        return false;
    return true;
  }

  size_t width_;
  std::vector<Value> keys_;
  std::vector<uint32_t> payloads_;
  std::vector<uint32_t> next_;
  std::vector<Slot> slots_;
  size_t chains_used_ = 0;
};

struct ValueHash {
  size_t operator()(const Value& v) const { return hash_value(v); }
};
struct ValueSame {
  bool operator()(const Value& a, const Value& b) const { return same(a, b); }
};

// One aggregate of one group. A GROUP BY over 150,000 pods keeps tens of
// thousands of these per aggregate: what few aggregates use (the inputs
// array_agg and string_agg collect, the set of a DISTINCT's values beyond
// its first) is allocated only by them.
struct AggState {
  int64_t count = 0;
  int64_t sum_int = 0;
  double sum_real = 0;
  bool real = false;
  bool has_first = false;  // DISTINCT: `first` holds the first value
  Value best;
  Value best_key;  // max_by, min_by
  Value first;     // DISTINCT: most groups see one value, and need no set
  struct Collected {
    std::vector<Value> items;
    std::vector<Value> order_keys;  // ordered aggregates: each item's keys, flat
    std::string text;
  };
  std::unique_ptr<Collected> collected;
  std::unique_ptr<std::unordered_set<Value, ValueHash, ValueSame>> seen;

  Collected& collect() {
    if (!collected) collected = std::make_unique<Collected>();
    return *collected;
  }
  // Whether `v` is new to this DISTINCT aggregate (and now seen).
  bool first_sight(const Value& v) {
    if (!has_first) {
      first = v;
      has_first = true;
      return true;
    }
    if (!seen) {
      if (ValueSame()(first, v)) return false;
      seen = std::make_unique<std::unordered_set<Value, ValueHash, ValueSame>>();
      seen->insert(first);
    }
    return seen->insert(v).second;
  }
};

// An aggregate's function, named once per query rather than per row.
enum class AggFn : uint8_t { Count, Sum, Avg, Min, Max, MinBy, MaxBy, ArrayAgg, StringAgg, Other };
AggFn agg_fn(const std::string& name) {
  static const std::pair<std::string_view, AggFn> names[] = {
      {"count", AggFn::Count}, {"sum", AggFn::Sum},       {"avg", AggFn::Avg},
      {"min", AggFn::Min},     {"max", AggFn::Max},       {"array_agg", AggFn::ArrayAgg},
      {"string_agg", AggFn::StringAgg}, {"min_by", AggFn::MinBy}, {"max_by", AggFn::MaxBy}};
  for (const auto& [n, fn] : names)
    if (name == n) return fn;
  return AggFn::Other;
}

// Which tuple the values of expressions that read none of a query level's
// last source (plan::Select::output_before_last, key_before_last) were
// computed for: the next tuple reuses them when its rows before the last
// are the same ones, as a pod's are for each of its containers.
class BeforeLast {
 public:
  BeforeLast(const std::vector<bool>& which, size_t width)
      : which_(which), width_(width), any_(std::find(which.begin(), which.end(), true) != which.end()) {}
  // Whether any expression reads only the rows before the last.
  bool any() const { return any_; }
  bool reads_before_last(size_t i) const { return which_[i]; }
  // Whether the values held were computed for a tuple with the same rows
  // before the last as `tuple`.
  bool current(const packed::Ref* tuple) const { return held_ && std::equal(tuple, tuple + width_ - 1, held_); }
  void hold(const packed::Ref* tuple) { held_ = tuple; }

 private:
  const std::vector<bool>& which_;
  size_t width_;
  bool any_;
  const packed::Ref* held_ = nullptr;  // into the query level's Tuples, which outlive this
};

// Result rows of one query level, flat: outputs, extras, then ORDER BY keys.
struct Rows {
  size_t outputs = 0, extras = 0, keys = 0;
  std::vector<Value> data;
  size_t stride() const { return outputs + extras + keys; }
  size_t size() const { return stride() ? data.size() / stride() : 0; }
  const Value* at(size_t i) const { return data.data() + i * stride(); }
};

// Points the runtime at one row's computed outputs while its extras and
// ORDER BY keys are computed (plan::NodeKind::Output), and back at the
// enclosing query's row afterwards (a subquery in a template projects too).
class RowOutputs {
 public:
  RowOutputs(Runtime& rt, const std::vector<Value>& data, size_t at)
      : rt_(rt), saved_(rt.row_outputs), saved_at_(rt.row_outputs_at) {
    rt.row_outputs = &data;
    rt.row_outputs_at = at;
  }
  ~RowOutputs() {
    rt_.row_outputs = saved_;
    rt_.row_outputs_at = saved_at_;
  }
  RowOutputs(const RowOutputs&) = delete;
  RowOutputs& operator=(const RowOutputs&) = delete;

 private:
  Runtime& rt_;
  const std::vector<Value>* saved_;
  size_t saved_at_;
};

// The networks of a join's build side, by (family, prefix length, masked
// address): an address is looked up once per prefix length present, so
// joining N addresses against M networks costs about N x (distinct prefix
// lengths) lookups instead of N x M tests.
class NetworkIndex {
 public:
  void add(const Network& n, uint32_t row) {
    rows_[key(n)].push_back(row);
    prefixes_[n.v6].insert(n.prefix);
  }
  // Rows whose network may contain `inner`, in row order.
  void candidates(const Network& inner, std::vector<uint32_t>& out) const {
    out.clear();
    for (int bits : prefixes_[inner.v6]) {
      if (bits > inner.prefix) break;
      auto it = rows_.find(key(masked(inner, bits)));
      if (it != rows_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    }
    std::sort(out.begin(), out.end());
  }

 private:
  static std::string key(const Network& n) {
    std::string k(reinterpret_cast<const char*>(n.bytes.data()), n.v6 ? 16 : 4);
    k.push_back(char(n.prefix));
    return k;
  }
  std::unordered_map<std::string, std::vector<uint32_t>> rows_;
  std::set<int> prefixes_[2];
};

// Sets Runtime::reading for a scope: the rows read in it are `pos`'s, and
// the enclosing construct's again once a subquery run inside it is done.
class Reading {
 public:
  Reading(Runtime& rt, SourcePos pos) : rt_(rt), saved_(rt.reading) { rt.reading = pos; }
  ~Reading() { rt_.reading = saved_; }
  Reading(const Reading&) = delete;
  Reading& operator=(const Reading&) = delete;

 private:
  Runtime& rt_;
  SourcePos saved_;
};

class Executor : public Runtime {
 public:
  Executor(const plan::PlanImpl& plan, TableProvider& provider) : plan_(plan), provider_(provider) {
    tables_.resize(plan.scans.size());
    with_tables_.resize(plan.with.size());
    subs_.resize(plan.subqueries.size());
    memo.resize(size_t(plan.memo_slots));
  }

  bool run_select(const plan::Select& s, const Frame* outer, Rows& out, bool for_exists = false);
  // The rows of scan `scan`, fetched on first use; null (and failed()) if they cannot be had.
  const TableData* table(int scan);
  // The rows of a source that reads a table: its scan's, or a WITH query's.
  const TableData* table_of(const plan::Source& src) { return src.with >= 0 ? with_table(src.with) : table(src.scan); }
  using RowRange = std::pair<size_t, size_t>;
  // The tuples of a query level's sources. `range` limits the first
  // source's table to those rows (a stepped run); build sides of joins
  // without an outer row are kept across calls.
  bool run_sources(const plan::Select& s, const Frame* outer, Tuples& out, const RowRange* range = nullptr);
  // After run_sources: grouping, projection, DISTINCT, ORDER BY, LIMIT.
  bool finish_select(const plan::Select& s, const Frame* outer, Tuples& tuples, Rows& out, bool for_exists);
  bool finish_union(const plan::Select& s, const Frame* outer, Tuples& first, Rows& out);
  void drop_duplicates(Rows& rows);

  Value exists(int slot, const Frame& frame) override;
  Value in_subquery(int slot, const Value& v, const Frame& frame) override;
  Value scalar_subquery(int slot, const Frame& frame) override;

 private:
  struct SubState {
    bool built = false;
    std::unique_ptr<Arena> arena = std::make_unique<Arena>();  // its rows' computed values
    Tuples inner;
    KeyIndex index;
    bool any = false;  // aggregate EXISTS: whether it had rows
    KeyIndex set;      // IN: the values
    bool set_has_null = false;
    Value scalar;
    // Decorrelated EXISTS whose residual has selector_matches(outer
    // selector, inner labels): inner rows by "key\0value" of their labels,
    // with each row's hash-key values, so a probe visits only rows that
    // carry one of the selector's pairs instead of the whole key group.
    const plan::Node* label_call = nullptr;
    LabelIndex label_rows;
    // Or the table's own index of those labels, when the inner rows are
    // the table's rows in order (see whole_table_labels).
    const LabelIndex* table_labels = nullptr;
    const LabelIndex& labels() const { return table_labels ? *table_labels : label_rows; }
    // The other way round, selector_matches(inner selector, outer labels):
    // inner rows by the first pair of their plain-map selector, and the rows
    // whose selector is anything else (always candidates).
    const plan::Node* selector_call = nullptr;
    LabelIndex selector_rows;
    std::vector<uint32_t> general_selector_rows;
    std::vector<Value> inner_key_values;  // inner_keys.size() per inner row
  };

  struct BuildSide {
    BuildSide(size_t key_width, size_t row_width) : width(row_width), index(key_width) {}
    // `width` refs per build row: the table's row, then the elements of the
    // UNNESTs expanded into the build side (plan::Source::expand).
    size_t width;
    std::vector<packed::Ref> rows;
    size_t size() const { return rows.size() / width; }
    KeyIndex index;
    NetworkIndex networks;
    bool hashed = false, by_network = false;
  };
  bool filter_rows(const plan::Source& src, size_t k, size_t width, const Frame* outer, const TableData& data,
                   const RowRange* range, std::vector<packed::Ref>& rows);
  // `owned` keeps a build side that depends on the outer row, for this call only.
  const BuildSide* build_side(const plan::Select& s, size_t k, const Frame* outer, const TableData& data,
                              std::unique_ptr<BuildSide>& owned);
  // Appends each expansion of the table row in alone[k] by the UNNESTs
  // k+1..last of `s` that passes their build-side filters.
  bool expand(const plan::Select& s, size_t k, size_t j, size_t last, std::vector<packed::Ref>& alone,
              const Frame& frame, std::vector<packed::Ref>& out);
  std::map<const plan::Source*, std::unique_ptr<BuildSide>> builds_;
  // A filter's result is a boolean: whatever it computed on the way is
  // scratch, released before the next row.
  bool passes(const std::vector<NodePtr>& filters, const Frame& frame) {
    if (filters.empty()) return true;
    Arena::Mark mark = arena->mark();
    bool ok = true;
    for (const auto& f : filters) {
      Value v = evaluate(*f, frame, *this);
      if (!(v.is_bool() && v.as_bool())) {
        ok = false;
        break;
      }
    }
    arena->release(mark);
    return ok;
  }
  void build(int slot);
  // WITH query `with`'s rows, computed on first use, as a table.
  const TableData* with_table(int with);
  // A subquery over the outer row's arrays (plan::Subquery::per_row), run
  // for `frame`; its values go to `arena`.
  bool run_per_row(int slot, const Frame& frame, Arena* arena, Rows& rows);
  void aggregate(const plan::Select& s, const Frame* outer, const Tuples& tuples, Rows& out);
  // `shared`, when given, holds the values of the outputs that read none of
  // the last source's rows (plan::Select::output_before_last) for this tuple.
  void project(const plan::Select& s, const Frame& frame, Rows& out, const Value* shared = nullptr);
  void project_extras(const plan::Select& s, Rows& rows);
  // A value a result row keeps, with the arena's garbage from computing it
  // dropped (Arena::keep_only).
  Value evaluate_kept(const plan::Node& e, const Frame& frame) {
    Arena* a = arena;
    const Arena::Mark m = a->mark();
    Value v = evaluate(e, frame, *this);
    return failed() ? v : a->keep_only(v, m);
  }
  void finish(const plan::Select& s, Rows& rows, bool repeats_dropped);

  const plan::PlanImpl& plan_;
  TableProvider& provider_;
  std::vector<std::shared_ptr<const TableData>> tables_;
  std::vector<std::unique_ptr<TableData>> with_tables_;
  std::vector<SubState> subs_;
};

const TableData* Executor::table(int scan) {
  auto& t = tables_[size_t(scan)];
  if (!t) {
    auto fetched = provider_.fetch(plan_.scans[size_t(scan)]);
    if (!fetched) {
      fail("fetching " + plan_.scans[size_t(scan)].key() + ": " + fetched.error().message());
      return nullptr;
    }
    t = std::move(fetched).value();
    if (!t) {
      fail("fetching " + plan_.scans[size_t(scan)].key() + ": the provider returned no table");
      return nullptr;
    }
  }
  return t.get();
}

bool Executor::filter_rows(const plan::Source& src, size_t k, size_t width, const Frame* outer, const TableData& data,
                           const RowRange* range, std::vector<packed::Ref>& rows) {
  std::vector<packed::Ref> alone(width);
  Frame alone_frame{alone.data(), outer};
  // With an equality on a field, only the rows the table's index gives for
  // its values; otherwise all of them (or the range a stepped run is fed).
  std::vector<uint32_t> picked;
  const bool by_lookup = !src.lookups.empty();
  if (by_lookup) {
    const plan::Source::Lookup* best = nullptr;
    size_t fewest = SIZE_MAX;
    for (const auto& l : src.lookups) {
      const TableData::PathIndex& index = data.index(l.path);
      size_t n = 0;
      for (const auto& v : l.values)
        if (auto it = index.find(v); it != index.end()) n += it->second.size();
      if (n < fewest) fewest = n, best = &l;
    }
    const TableData::PathIndex& index = data.index(best->path);
    for (const auto& v : best->values)
      if (auto it = index.find(v); it != index.end()) picked.insert(picked.end(), it->second.begin(), it->second.end());
    std::sort(picked.begin(), picked.end());
    picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  }
  size_t first = 0, last = by_lookup ? picked.size() : data.rows.size();
  if (range && !by_lookup) {
    first = std::min(range->first, last);
    last = std::min(range->second, last);
  }
  auto row_at = [&](size_t r) { return data.rows[by_lookup ? picked[r] : r]; };
  for (size_t r = first; r < last; ++r) {
    // Every check reads every row of a large table: start loading the rows
    // a few ahead, since the evaluator's lookups chase through each row and
    // would otherwise stall on memory.
    if (r + 4 < last) {
      const uint8_t* ahead = row_at(r + 4).data();
      __builtin_prefetch(ahead);
      __builtin_prefetch(ahead + 64);
      __builtin_prefetch(ahead + 128);
      __builtin_prefetch(ahead + 192);
    }
    if (!tick()) return false;
    alone[k] = row_at(r);
    if (passes(src.scan_filter, alone_frame)) rows.push_back(alone[k]);
  }
  return true;
}

bool Executor::expand(const plan::Select& s, size_t k, size_t j, size_t last, std::vector<packed::Ref>& alone,
                      const Frame& frame, std::vector<packed::Ref>& out) {
  if (j > last) {
    out.insert(out.end(), alone.begin() + std::ptrdiff_t(k), alone.begin() + std::ptrdiff_t(last + 1));
    return true;
  }
  const plan::Source& u = s.sources[j];
  Reading reading_u(*this, u.pos);
  alone[j] = packed::Ref();
  Value v = evaluate(*u.unnest, frame, *this);
  auto each = [&](packed::Ref e) {
    if (!tick()) return false;
    alone[j] = e;
    return !passes(u.join_filter, frame) || expand(s, k, j + 1, last, alone, frame, out);
  };
  bool ok = true;
  if (v.is_array()) {
    for (packed::Ref e : v.as_json().elements())
      if (!(ok = each(e))) break;
  } else if (!v.is_null()) {
    ok = each(v.is_json() ? v.as_json() : arena->keep(v));  // a single value unnests to itself
  }
  return ok && !failed();
}

const Executor::BuildSide* Executor::build_side(const plan::Select& s, size_t k, const Frame* outer,
                                                const TableData& data, std::unique_ptr<BuildSide>& owned) {
  const plan::Source& src = s.sources[k];
  const size_t width = s.sources.size();
  // Without an outer row the build side is the same every time: keep it,
  // so a stepped run builds it once rather than once per range.
  if (!outer)
    if (auto it = builds_.find(&src); it != builds_.end()) return it->second.get();
  const size_t last = k + size_t(src.expand);
  auto side = std::make_unique<BuildSide>(src.build_keys.size(), last - k + 1);
  if (!filter_rows(src, k, width, outer, data, nullptr, side->rows)) return nullptr;
  std::vector<packed::Ref> alone(width);
  Frame alone_frame{alone.data(), outer};
  if (last > k) {
    std::vector<packed::Ref> table_rows = std::move(side->rows);
    side->rows.clear();
    for (packed::Ref row : table_rows) {
      alone[k] = row;
      if (!expand(s, k, k + 1, last, alone, alone_frame, side->rows)) return nullptr;
    }
  }
  const auto& rows = side->rows;
  side->hashed = !src.build_keys.empty();
  side->by_network = !side->hashed && src.network_build;
  if (side->by_network) {
    std::string text;
    for (size_t r = 0; r < rows.size(); ++r) {
      alone[k] = rows[r];
      Network n;
      // A row whose network does not parse can never satisfy cidr_contains().
      if (text_of(evaluate(*src.network_build, alone_frame, *this), text) && parse_network(text, n))
        side->networks.add(n, uint32_t(r));
    }
  }
  if (side->hashed) {
    std::vector<Value> key(src.build_keys.size());
    side->index.reserve(side->size());
    for (size_t r = 0; r < side->size(); ++r) {
      std::copy_n(rows.begin() + std::ptrdiff_t(r * side->width), side->width, alone.begin() + std::ptrdiff_t(k));
      bool null_key = false;
      for (size_t i = 0; i < key.size(); ++i) {
        key[i] = evaluate(*src.build_keys[i], alone_frame, *this);
        null_key = null_key || key[i].is_null();
      }
      if (!null_key) side->index.add(key.data(), uint32_t(r));
    }
  }
  if (failed()) return nullptr;
  if (outer) return (owned = std::move(side)).get();
  return (builds_[&src] = std::move(side)).get();
}

bool Executor::run_sources(const plan::Select& s, const Frame* outer, Tuples& out, const RowRange* range) {
  const size_t width = s.sources.size();
  Tuples cur;
  cur.width = width;
  std::vector<packed::Ref> buf(width);
  Frame frame{buf.data(), outer};
  if (width == 0) {
    // SELECT without FROM: one row, whose WHERE (if any) sits nowhere else.
    cur.count = 1;
    out = std::move(cur);
    return true;
  }

  for (size_t k = 0; k < width; ++k) {
    const plan::Source& src = s.sources[k];
    Reading reading_src(*this, src.pos);
    Tuples next;
    next.width = width;
    // Emits buf (rows 0..k set) if the conditions decided at this stage hold.
    auto emit = [&]() {
      if (passes(src.after, frame)) next.push(buf.data());
    };
    if (src.kind == plan::Source::Kind::Table) {
      const TableData* data = table_of(src);
      if (!data) return false;
      if (k == 0) {
        std::vector<packed::Ref> rows;
        if (!filter_rows(src, k, width, outer, *data, range, rows)) return false;
        for (packed::Ref row : rows) {
          buf[0] = row;
          emit();
          if (failed()) return false;
        }
      } else {
        std::unique_ptr<BuildSide> owned;
        const BuildSide* side = build_side(s, k, outer, *data, owned);
        if (!side) return false;
        const auto& rows = side->rows;
        const size_t last = k + size_t(src.expand);
        std::vector<uint32_t> candidates;
        std::vector<Value> key(src.build_keys.size());
        for (size_t t = 0; t < cur.size(); ++t) {
          std::copy(cur.at(t), cur.at(t) + width, buf.begin());
          bool matched = false;
          auto try_row = [&](uint32_t r) {
            if (!tick()) return false;
            std::copy_n(rows.begin() + std::ptrdiff_t(size_t(r) * side->width), side->width,
                        buf.begin() + std::ptrdiff_t(k));
            if (passes(src.join_filter, frame)) {
              matched = true;
              // The UNNESTs expanded into the build side: their own
              // conditions on the joined tuple.
              bool pass = true;
              for (size_t j = k + 1; j <= last && pass; ++j) pass = passes(s.sources[j].after, frame);
              if (pass) emit();
            }
            return !failed();
          };
          if (side->hashed) {
            bool null_key = false;
            for (size_t i = 0; i < key.size(); ++i) {
              key[i] = evaluate(*src.probe_keys[i], frame, *this);
              null_key = null_key || key[i].is_null();
            }
            if (!null_key) side->index.for_each_equal(key.data(), try_row);
          } else if (side->by_network) {
            std::string text;
            Network inner;
            if (text_of(evaluate(*src.network_probe, frame, *this), text) && parse_network(text, inner)) {
              side->networks.candidates(inner, candidates);
              for (uint32_t r : candidates)
                if (!try_row(r)) break;
            }
          } else {
            for (uint32_t r = 0; r < side->size(); ++r)
              if (!try_row(r)) break;
          }
          if (failed()) return false;
          if (!matched && src.join == ast::JoinKind::Left) {
            buf[k] = packed::Ref();
            emit();
          }
        }
        if (last > k) {
          cur = std::move(next);
          k = last;
          continue;
        }
      }
    } else {
      // UNNEST: one tuple per element of the array the earlier rows give.
      size_t inputs = k == 0 ? 1 : cur.size();
      for (size_t t = 0; t < inputs; ++t) {
        if (k > 0) std::copy(cur.at(t), cur.at(t) + width, buf.begin());
        buf[k] = packed::Ref();
        Value v = evaluate(*src.unnest, frame, *this);
        bool matched = false;
        auto try_element = [&](packed::Ref e) {
          if (!tick()) return false;
          buf[k] = e;
          if (passes(src.join_filter, frame)) {
            matched = true;
            emit();
          }
          return !failed();
        };
        if (v.is_array()) {
          for (packed::Ref e : v.as_json().elements())
            if (!try_element(e)) break;
        } else if (!v.is_null()) {
          // A single value unnests to itself.
          try_element(v.is_json() ? v.as_json() : arena->keep(v));
        }
        if (failed()) return false;
        if (!matched && src.join == ast::JoinKind::Left) {
          buf[k] = packed::Ref();
          emit();
        }
      }
    }
    if (failed()) return false;
    cur = std::move(next);
  }
  out = std::move(cur);
  return !failed();
}

void Executor::project(const plan::Select& s, const Frame& frame, Rows& out, const Value* shared) {
  const size_t row = out.data.size();
  for (size_t i = 0; i < s.outputs.size(); ++i)
    out.data.push_back(shared && s.output_before_last[i] ? shared[i] : evaluate_kept(*s.outputs[i].expr, frame));
  RowOutputs outputs(*this, out.data, row);
  if (!s.extras_after_distinct)  // else finish() computes them for the rows it keeps
    for (const auto& e : s.extras) out.data.push_back(evaluate_kept(*e, frame));
  for (const auto& [key, desc] : s.order) out.data.push_back(evaluate_kept(*key, frame));
}

// The extras of the rows DISTINCT kept, from their outputs alone.
void Executor::project_extras(const plan::Select& s, Rows& rows) {
  for (size_t i = 0; i < rows.size() && !failed(); ++i) {
    const size_t row = i * rows.stride();
    RowOutputs outputs(*this, rows.data, row);
    for (size_t e = 0; e < s.extras.size(); ++e)
      rows.data[row + rows.outputs + e] = evaluate_kept(*s.extras[e], Frame{});
  }
}

// An ordered aggregate's inputs, sorted by their keys (stable: ties keep
// the input order). As in PostgreSQL, NULL keys come last ascending and
// first descending. string_agg's text is then joined in that order.
static void sort_inputs(const plan::Aggregate& agg, AggState::Collected& st) {
  const size_t nk = agg.order.size();
  std::vector<size_t> order(st.items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t i = 0; i < nk; ++i) {
      int c = sort_compare(st.order_keys[a * nk + i], st.order_keys[b * nk + i]);
      if (c != 0) return agg.order[i].second ? c > 0 : c < 0;
    }
    return false;
  });
  std::vector<Value> sorted;
  sorted.reserve(order.size());
  for (size_t i : order) sorted.push_back(st.items[i]);
  st.items = std::move(sorted);
  st.order_keys.clear();
  if (agg.name != "string_agg") return;
  for (size_t i = 0; i < st.items.size(); ++i) {
    if (i) st.text += agg.separator.as_string();
    append_text(st.text, st.items[i]);
  }
}

void Executor::aggregate(const plan::Select& s, const Frame* outer, const Tuples& tuples, Rows& out) {
  const size_t nkeys = s.group_keys.size(), naggs = s.aggregates.size();
  KeyIndex groups(nkeys);
  std::vector<size_t> representative;  // a tuple of each group, for bare columns
  // Groups are found one at a time: in a deque their states never move, where
  // a vector doubling its way to 300,000 states copied them and faulted in
  // twice their pages (a fifth of the parent's page faults at 150k pods).
  std::deque<AggState> states;
  std::vector<Value> key(nkeys);
  std::vector<AggFn> fns(naggs);
  for (size_t a = 0; a < naggs; ++a) fns[a] = agg_fn(s.aggregates[a].name);
  if (nkeys == 0) {
    // Without GROUP BY there is exactly one group, even over no rows.
    representative.push_back(SIZE_MAX);
    states.resize(naggs);
  }
  BeforeLast shared(s.key_before_last, tuples.width);
  for (size_t t = 0; t < tuples.size(); ++t) {
    Frame frame{tuples.at(t), outer};
    size_t g = 0;
    if (nkeys) {
      // Values stay in the arena until the run ends: key[i] of the previous
      // tuple is still good when its rows before the last are this one's.
      const bool reuse = shared.any() && shared.current(tuples.at(t));
      for (size_t i = 0; i < nkeys; ++i)
        if (!reuse || !shared.reads_before_last(i)) key[i] = evaluate(*s.group_keys[i], frame, *this);
      shared.hold(tuples.at(t));
      int64_t found = groups.find_same(key.data());
      if (found < 0) {
        g = representative.size();
        groups.add(key.data(), uint32_t(g));
        representative.push_back(t);
        states.resize(states.size() + naggs);
      } else {
        g = size_t(found);
      }
    } else if (representative[0] == SIZE_MAX) {
      representative[0] = t;
    }
    for (size_t a = 0; a < naggs; ++a) {
      const plan::Aggregate& agg = s.aggregates[a];
      AggState& st = states[g * naggs + a];
      const AggFn fn = fns[a];
      if (!agg.arg) {
        ++st.count;
        continue;
      }
      Value v = evaluate(*agg.arg, frame, *this);
      if (agg.key) {
        // max_by(x, y): the x of the first row with the largest y; rows
        // whose y is NULL (or does not compare with the best so far) are skipped.
        Value k = evaluate(*agg.key, frame, *this);
        if (k.is_null()) continue;
        bool comparable = true;
        int c = st.best_key.is_null() ? 0 : compare(k, st.best_key, comparable);
        if (st.best_key.is_null() || (comparable && (fn == AggFn::MinBy ? c < 0 : c > 0))) st.best_key = k, st.best = v;
        continue;
      }
      if (v.is_null()) continue;
      if (agg.distinct && !st.first_sight(v)) continue;
      ++st.count;
      if (fn == AggFn::Sum || fn == AggFn::Avg) {
        if (!v.is_number()) continue;
        if (v.is_int() && !st.real && !__builtin_add_overflow(st.sum_int, v.as_int(), &st.sum_int)) {
        } else {
          if (!st.real) st.sum_real = double(st.sum_int), st.real = true;
          st.sum_real += v.as_double();
        }
      } else if (fn == AggFn::Min || fn == AggFn::Max) {
        bool comparable = true;
        int c = st.best.is_null() ? 0 : compare(v, st.best, comparable);
        if (st.best.is_null() || (comparable && (fn == AggFn::Min ? c < 0 : c > 0))) st.best = v;
      } else if (fn == AggFn::ArrayAgg || !agg.order.empty()) {
        AggState::Collected& c = st.collect();
        c.items.push_back(v);
        for (const auto& [k, desc] : agg.order) c.order_keys.push_back(evaluate(*k, frame, *this));
      } else if (fn == AggFn::StringAgg) {
        std::string& text = st.collect().text;
        if (st.count > 1) text += agg.separator.as_string();
        append_text(text, v);
      }
    }
    if (failed()) return;
  }
  for (size_t a = 0; a < naggs; ++a)
    if (!s.aggregates[a].order.empty())
      for (size_t g = 0; g < representative.size(); ++g)
        if (auto& c = states[g * naggs + a].collected) sort_inputs(s.aggregates[a], *c);
  std::vector<Value> values(naggs);
  std::vector<packed::Ref> nulls(std::max<size_t>(tuples.width, 1));
  for (size_t g = 0; g < representative.size(); ++g) {
    for (size_t a = 0; a < naggs; ++a) {
      const plan::Aggregate& agg = s.aggregates[a];
      AggState& st = states[g * naggs + a];
      const AggFn fn = fns[a];
      Value v;
      if (fn == AggFn::Count) v = Value::integer(st.count);
      else if (fn == AggFn::Sum) v = st.count == 0 ? Value() : st.real ? Value::real(st.sum_real) : Value::integer(st.sum_int);
      else if (fn == AggFn::Avg) v = st.count == 0 ? Value() : Value::real((st.real ? st.sum_real : double(st.sum_int)) / double(st.count));
      else if (fn == AggFn::Min || fn == AggFn::Max || agg.key) v = st.best;
      else if (fn == AggFn::ArrayAgg) v = make_array(*arena, st.collected ? st.collected->items : std::vector<Value>{});
      else if (fn == AggFn::StringAgg) v = st.count == 0 ? Value() : arena->string(st.collect().text);
      values[a] = v;
    }
    size_t rep = representative[g];
    Frame frame{rep == SIZE_MAX ? nulls.data() : tuples.at(rep), outer};
    group = values.data();
    if (!s.having || truthy(evaluate(*s.having, frame, *this))) project(s, frame, out);
    group = nullptr;
    if (failed()) return;
  }
}

void Executor::finish(const plan::Select& s, Rows& rows, bool repeats_dropped) {
  // Rows already in their final order and shape stay where they are: no
  // second copy of a check's 100,000 rows at its peak.
  if (s.order.empty() && (!s.distinct || repeats_dropped)) {
    if (s.limit && rows.size() > size_t(*s.limit)) rows.data.resize(size_t(*s.limit) * rows.stride());
    return;
  }
  const size_t n = rows.size(), stride = rows.stride();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (!s.order.empty()) {
    size_t first_key = rows.outputs + rows.extras;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const Value* x = rows.at(a) + first_key;
      const Value* y = rows.at(b) + first_key;
      for (size_t i = 0; i < s.order.size(); ++i) {
        int c = sort_compare(x[i], y[i]);
        if (c != 0) {
          // NULLs stay last whichever the direction.
          if (s.order[i].second && !x[i].is_null() && !y[i].is_null()) c = -c;
          return c < 0;
        }
      }
      return false;
    });
  }
  // Extras computed after DISTINCT have no place in the rows yet: each kept
  // row gets one, between its outputs and its keys.
  const size_t late = s.extras_after_distinct ? s.extras.size() : 0;
  std::vector<Value> result;
  result.reserve(rows.data.size());
  KeyIndex seen(rows.outputs);
  size_t kept = 0;
  for (size_t i : order) {
    if (s.limit && kept >= size_t(*s.limit)) break;
    const Value* row = rows.at(i);
    if (s.distinct && !repeats_dropped) {
      if (seen.find_same(row) >= 0) continue;
      seen.add(row, 0);
    }
    result.insert(result.end(), row, row + rows.outputs);
    result.resize(result.size() + late);
    result.insert(result.end(), row + rows.outputs, row + stride);
    ++kept;
  }
  rows.data = std::move(result);
  if (late) {
    rows.extras = late;
    project_extras(s, rows);
  }
}

bool Executor::run_select(const plan::Select& s, const Frame* outer, Rows& out, bool for_exists) {
  Tuples tuples;
  if (!run_sources(s, outer, tuples)) return false;
  if (!s.branches.empty()) return finish_union(s, outer, tuples, out);
  return finish_select(s, outer, tuples, out, for_exists);
}

// Every branch's rows (outputs then extras; a branch has no ORDER BY keys),
// appended in order; a UNION without ALL then keeps the first of equal rows
// so far. ORDER BY and LIMIT apply to the whole.
bool Executor::finish_union(const plan::Select& s, const Frame* outer, Tuples& first, Rows& out) {
  if (!finish_select(s, outer, first, out, false)) return false;
  for (const auto& b : s.branches) {
    Rows rows;
    if (!run_select(*b.select, outer, rows, false)) return false;
    out.data.insert(out.data.end(), rows.data.begin(), rows.data.end());
    if (!b.all) drop_duplicates(out);
  }
  std::vector<size_t> order(out.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (const auto& [k, desc] : s.union_order) {
      const Value& x = out.at(a)[k];
      const Value& y = out.at(b)[k];
      int c = sort_compare(x, y);
      if (c != 0) return (desc && !x.is_null() && !y.is_null() ? -c : c) < 0;
    }
    return false;
  });
  if (s.union_limit && order.size() > size_t(*s.union_limit)) order.resize(size_t(*s.union_limit));
  std::vector<Value> result;
  result.reserve(order.size() * out.stride());
  for (size_t i : order) result.insert(result.end(), out.at(i), out.at(i) + out.stride());
  out.data = std::move(result);
  return !failed();
}

// Equal outputs (value equality, NULL equal to NULL) keep the first row.
void Executor::drop_duplicates(Rows& rows) {
  KeyIndex seen(rows.outputs);
  std::vector<Value> kept;
  kept.reserve(rows.data.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Value* row = rows.at(i);
    if (seen.find_same(row) >= 0) continue;
    seen.add(row, 0);
    kept.insert(kept.end(), row, row + rows.stride());
  }
  rows.data = std::move(kept);
}

bool Executor::finish_select(const plan::Select& s, const Frame* outer, Tuples& tuples, Rows& out, bool for_exists) {
  out.outputs = s.outputs.size();
  out.extras = s.extras_after_distinct ? 0 : s.extras.size();  // finish() adds them
  out.keys = s.order.size();
  bool repeats_dropped = false;
  if (s.aggregate) {
    aggregate(s, outer, tuples, out);
  } else {
    // Without ORDER BY or DISTINCT, LIMIT can stop projecting early.
    bool early = s.limit && s.order.empty() && !s.distinct;
    // DISTINCT without ORDER BY keeps the first of equal rows in input
    // order, so a repeat can go as soon as it is projected, with what it
    // computed: one row per Deployment container rather than per pod's
    // (318,000 rows' strings, four times over, at 150,000 pods). Extras
    // that read only the outputs are then computed for the rows kept.
    repeats_dropped = s.distinct && s.order.empty();
    std::optional<KeyIndex> seen;
    if (repeats_dropped) {
      seen.emplace(out.outputs);
      out.extras = s.extras.size();
    }
    // Every tuple gives at most one row: sized once, the output is not
    // copied into ever larger blocks (each a fresh mapping whose pages fault
    // in, and are zeroed, again) as it grows to hundreds of thousands of
    // rows. When repeats go, most of that room may stay unused, which costs
    // address space only: pages fault in where rows are written. Hence the
    // cap, past which the vector grows as vectors do.
    size_t expected = for_exists ? 1 : early ? std::min(tuples.size(), size_t(*s.limit)) : tuples.size();
    if (repeats_dropped) expected = std::min(expected, kDistinctRowsReserved);
    out.data.reserve(out.data.size() + expected * out.stride());
    BeforeLast shared(s.output_before_last, tuples.width);
    std::vector<Value> shared_values(shared.any() ? s.outputs.size() : 0);
    // Where shared_values begin in the arena while no row kept points into
    // them: when every row computed from them went as a repeat, they are
    // garbage once the tuples move on.
    std::optional<Arena::Mark> shared_unused_from;
    for (size_t t = 0; t < tuples.size(); ++t) {
      if (early && out.size() >= size_t(*s.limit)) break;
      if (for_exists && out.size() > 0) break;
      const Frame frame{tuples.at(t), outer};
      if (shared.any() && !shared.current(frame.tuple)) {
        if (shared_unused_from) arena->release(*shared_unused_from);
        if (repeats_dropped) shared_unused_from = arena->mark();
        for (size_t i = 0; i < s.outputs.size(); ++i)
          if (shared.reads_before_last(i)) shared_values[i] = evaluate(*s.outputs[i].expr, frame, *this);
        if (failed()) return false;
        shared.hold(frame.tuple);
      }
      const Value* shared_now = shared.any() ? shared_values.data() : nullptr;
      if (!repeats_dropped) {
        project(s, frame, out, shared_now);
        if (failed()) return false;
        continue;
      }
      const size_t row = out.data.size();
      const Arena::Mark mark = arena->mark();
      project(s, frame, out, shared_now);
      if (failed()) return false;
      if (seen->find_same(out.data.data() + row) >= 0) {
        out.data.resize(row);
        arena->release(mark);
        continue;
      }
      shared_unused_from.reset();
      seen->add(out.data.data() + row, 0);
      if (s.extras_after_distinct) {
        RowOutputs outputs(*this, out.data, row);
        for (const auto& e : s.extras) out.data.push_back(evaluate_kept(*e, Frame{}));
        if (failed()) return false;
      }
    }
  }
  if (failed()) return false;
  finish(s, out, repeats_dropped);
  return true;
}

// Subqueries run with no current group or array element of the caller.
// and with their own arena.
struct IsolatedRun {
  Runtime& rt;
  const Value* group;
  packed::Ref element;
  Arena* arena;
  IsolatedRun(Runtime& r, Arena* own) : rt(r), group(r.group), element(r.element), arena(r.arena) {
    rt.group = nullptr;
    rt.element = packed::Ref();
    rt.arena = own;
  }
  ~IsolatedRun() {
    rt.group = group;
    rt.element = element;
    rt.arena = arena;
  }
};

namespace {

// Whether `n` refers to rows of the scope `depth` levels out (0: this
// query). Subqueries inside are treated as referring to anything.
bool refers_to(const plan::Node& n, bool (*want)(int depth)) {
  switch (n.kind) {
    case plan::NodeKind::Column:
    case plan::NodeKind::Row:
      if (want(n.depth)) return true;
      break;
    case plan::NodeKind::InSubquery:
    case plan::NodeKind::Exists:
    case plan::NodeKind::ScalarSubquery:
    case plan::NodeKind::Aggregate:
      return true;
    default:
      break;
  }
  for (const auto& a : n.args)
    if (a && refers_to(*a, want)) return true;
  for (const auto& st : n.steps)
    if (st.filter && refers_to(*st.filter, want)) return true;
  return false;
}

// selector_matches(a, b) (or map_selector_matches) with `a` from the outer row only and `b` from the
// inner row only (selector_outer), or the other way round: an index on the
// inner side can answer it.
const plan::Node* indexable_selector(const std::vector<plan::NodePtr>& residual, bool selector_outer) {
  for (const auto& c : residual) {
    // Both agree on a non-empty map of pairs, the only selector the index
    // answers; every other value takes the function itself.
    if (c->kind != plan::NodeKind::Call || !c->fn || c->args.size() != 2 ||
        (c->fn->name != "selector_matches" && c->fn->name != "map_selector_matches"))
      continue;
    const plan::Node& outer_arg = *c->args[selector_outer ? 0 : 1];
    const plan::Node& inner_arg = *c->args[selector_outer ? 1 : 0];
    if (!refers_to(outer_arg, [](int d) { return d == 0; }) && !refers_to(inner_arg, [](int d) { return d != 0; }))
      return c.get();
  }
  return nullptr;
}

// A Service-style selector: a non-empty map of strings (not a LabelSelector).
bool plain_selector(const Value& sel) {
  if (!sel.is_object() || sel.as_json().empty()) return false;
  for (const auto& kv : sel.as_json().members())
    if (!kv.value().is_string() || kv.key() == "matchLabels" || kv.key() == "matchExpressions") return false;
  return true;
}

// The pairs every row a selector matches carries, for probing the label
// index: a Service-style map's own, or with selector_matches a
// LabelSelector's matchLabels (its matchExpressions are then tested on those
// rows alone by the function itself). None when the selector has no such
// pairs: an empty LabelSelector, or matchExpressions only, can match a row
// that carries no pair at all.
std::optional<packed::Ref> required_pairs(const plan::Node& call, const Value& sel) {
  if (plain_selector(sel)) return sel.as_json();
  if (call.fn->name != "selector_matches" || !sel.is_object()) return std::nullopt;
  static const packed::FixedKey kMatchLabels("matchLabels");
  packed::Ref match_labels = sel.as_json().find(kMatchLabels.id());
  if (!match_labels || !match_labels.is_object() || match_labels.empty()) return std::nullopt;
  for (const auto& kv : match_labels.members())
    if (!kv.value().is_string()) return std::nullopt;
  return match_labels;
}

// The path of `labels` in the rows of `s`'s table when the inner rows of
// `s` are that table's rows, all of them, in order: one table source (not a
// WITH query), no filter, no lookup, no UNNEST, and `labels` a plain field
// path of its rows. Inner row t is then table row t, and the table's shared
// label index answers for the subquery.
std::optional<std::vector<uint32_t>> whole_table_labels(const plan::Select& s, const plan::Node& labels) {
  if (s.sources.size() != 1) return std::nullopt;
  const plan::Source& src = s.sources[0];
  if (src.kind != plan::Source::Kind::Table || src.with >= 0 || !src.scan_filter.empty() || !src.lookups.empty() ||
      !src.after.empty() || src.expand != 0)
    return std::nullopt;
  std::optional<plan::FieldPath> path = plan::field_path(labels, 0);
  // A key the dictionary could not take names nothing the table's index holds.
  if (!path || std::find(path->keys.begin(), path->keys.end(), packed::kNoKey) != path->keys.end())
    return std::nullopt;
  return std::move(path->keys);
}

}  // namespace

void Executor::build(int slot) {
  SubState& st = subs_[size_t(slot)];
  if (st.built) return;
  st.built = true;
  IsolatedRun isolated(*this, st.arena.get());
  const plan::Subquery& sub = plan_.subqueries[size_t(slot)];
  const plan::Select& s = sub.select;
  if (sub.kind == plan::Subquery::Kind::Exists && !s.aggregate && !s.limit && !s.distinct && s.branches.empty()) {
    if (!run_sources(s, nullptr, st.inner)) return;
    if (!sub.inner_keys.empty()) {
      st.index = KeyIndex(sub.inner_keys.size());
      std::vector<Value> key(sub.inner_keys.size());
      for (size_t t = 0; t < st.inner.size(); ++t) {
        Frame frame{st.inner.at(t), nullptr};
        bool null_key = false;
        for (size_t i = 0; i < key.size(); ++i) {
          key[i] = evaluate(*sub.inner_keys[i], frame, *this);
          null_key = null_key || key[i].is_null();
        }
        if (!null_key) st.index.add(key.data(), uint32_t(t));
        st.inner_key_values.insert(st.inner_key_values.end(), key.begin(), key.end());
      }
    }
    if ((st.selector_call = indexable_selector(sub.residual, false))) {
      for (size_t t = 0; t < st.inner.size(); ++t) {
        Frame frame{st.inner.at(t), nullptr};
        Value sel = evaluate(*st.selector_call->args[0], frame, *this);
        if (plain_selector(sel)) {
          packed::Member first = *sel.as_json().members().begin();
          st.selector_rows.add(LabelPair::of(first), uint32_t(t));
        } else {
          st.general_selector_rows.push_back(uint32_t(t));
        }
      }
      st.selector_rows.seal();
    } else if ((st.label_call = indexable_selector(sub.residual, true))) {
      if (auto path = whole_table_labels(s, *st.label_call->args[1])) {
        const TableData* data = table_of(s.sources[0]);
        if (data && data->rows.size() == st.inner.size()) {
          st.table_labels = &data->labels(*path);
          return;
        }
      }
      for (size_t t = 0; t < st.inner.size(); ++t) {
        Frame frame{st.inner.at(t), nullptr};
        Value labels = evaluate(*st.label_call->args[1], frame, *this);
        if (labels.is_object()) st.label_rows.add_map(labels.as_json(), uint32_t(t));
      }
      st.label_rows.seal();
    }
    return;
  }
  Rows rows;
  if (!run_select(s, nullptr, rows, sub.kind == plan::Subquery::Kind::Exists)) return;
  switch (sub.kind) {
    case plan::Subquery::Kind::Exists:
      st.any = rows.size() > 0;
      break;
    case plan::Subquery::Kind::In:
      for (size_t r = 0; r < rows.size(); ++r) {
        const Value& v = rows.at(r)[0];
        if (v.is_null()) st.set_has_null = true;
        else if (st.set.find_same(&v) < 0) st.set.add(&v, 0);
      }
      break;
    case plan::Subquery::Kind::Scalar:
      if (rows.size() > 1)
        fail_at(sub.pos,
                "a scalar subquery returned " + std::to_string(rows.size()) + " rows; it must return at most one");
      else if (rows.size() == 1)
        st.scalar = rows.at(0)[0];
      break;
  }
}

bool Executor::run_per_row(int slot, const Frame& frame, Arena* arena, Rows& rows) {
  const plan::Subquery& sub = plan_.subqueries[size_t(slot)];
  IsolatedRun isolated(*this, arena);
  return run_select(sub.select, &frame, rows, sub.kind == plan::Subquery::Kind::Exists) && !failed();
}

// Each row becomes an object keyed by the column names, so that the plan
// reads it as it reads a table's rows (fields, filters, hash joins, lookups).
const TableData* Executor::with_table(int with) {
  auto& t = with_tables_[size_t(with)];
  if (t) return t.get();
  const plan::WithQuery& w = plan_.with[size_t(with)];
  Arena scratch;
  IsolatedRun isolated(*this, &scratch);
  Rows rows;
  if (!run_select(w.select, nullptr, rows) || failed()) return nullptr;
  auto data = std::make_unique<TableData>();
  for (size_t r = 0; r < rows.size(); ++r) {
    boost::json::object row;
    for (size_t c = 0; c < w.select.outputs.size(); ++c) row[w.select.outputs[c].name] = to_json(rows.at(r)[c]);
    data->add(row);
  }
  return (t = std::move(data)).get();
}

Value Executor::exists(int slot, const Frame& frame) {
  const plan::Subquery& sub = plan_.subqueries[size_t(slot)];
  SubState& st = subs_[size_t(slot)];
  if (sub.per_row) {
    // Only whether a row came out is kept: the rows' values are scratch.
    Arena::Mark mark = st.arena->mark();
    Rows rows;
    bool ok = run_per_row(slot, frame, st.arena.get(), rows);
    st.arena->release(mark);
    return ok ? Value::boolean(rows.size() > 0) : Value();
  }
  build(slot);
  if (failed()) return {};
  const plan::Select& s = sub.select;
  if (s.aggregate || s.limit || s.distinct || !s.branches.empty()) return Value::boolean(st.any);
  // Decorrelated: probe the inner rows' hash on the outer row's keys, then
  // re-check what could not be hashed.
  Frame probe{nullptr, &frame};
  bool found = false;
  // Each outer row visits inner rows: a budget spent here is the EXISTS's.
  Reading reading_sub(*this, sub.pos);
  auto candidate = [&](uint32_t t) {
    if (!tick()) return false;
    Frame both{st.inner.at(t), &frame};
    if (passes(sub.residual, both)) found = true;
    return !found && !failed();
  };
  std::vector<Value> key(sub.outer_keys.size());
  for (size_t i = 0; i < key.size(); ++i) {
    key[i] = evaluate(*sub.outer_keys[i], probe, *this);
    if (key[i].is_null()) return Value::boolean(false);
  }
  // A plain map selector (a Service's) matches only rows that carry every
  // one of its pairs: visit the rows of its rarest pair. Anything else (a
  // LabelSelector, an empty map) takes the general path below.
  const size_t width = key.size();
  auto visit = [&](uint32_t t) {
    for (size_t i = 0; i < width; ++i) {
      const Value& k = st.inner_key_values[size_t(t) * width + i];
      if (k.is_null() || !equal(k, key[i])) return true;  // another key group: next
    }
    return candidate(t);
  };
  if (st.label_call) {
    Value sel = evaluate(*st.label_call->args[0], probe, *this);
    if (std::optional<packed::Ref> pairs = required_pairs(*st.label_call, sel)) {
      std::optional<LabelIndex::Rows> fewest;
      for (const auto& kv : pairs->members()) {
        LabelIndex::Rows rows = st.labels().rows(LabelPair::of(kv));
        if (!fewest || rows.size() < fewest->size()) fewest = rows;
      }
      for (uint32_t t : *fewest)
        if (!visit(t)) break;
      return Value::boolean(found);
    }
  }
  if (st.selector_call) {
    // Every plain selector that matches has its first pair among the labels.
    Value labels = evaluate(*st.selector_call->args[1], probe, *this);
    if (labels.is_object())
      for (const auto& kv : labels.as_json().members()) {
        if (found || !kv.value().is_string()) continue;
        for (uint32_t t : st.selector_rows.rows(LabelPair::of(kv)))
          if (!visit(t)) break;
      }
    for (uint32_t t : st.general_selector_rows)
      if (found || !visit(t)) break;
    return Value::boolean(found);
  }
  if (!sub.outer_keys.empty()) {
    st.index.for_each_equal(key.data(), candidate);
  } else {
    for (uint32_t t = 0; t < st.inner.size(); ++t)
      if (!candidate(t)) break;
  }
  return Value::boolean(found);
}

Value Executor::in_subquery(int slot, const Value& v, const Frame& frame) {
  if (plan_.subqueries[size_t(slot)].per_row) {
    if (v.is_null()) return {};
    SubState& st = subs_[size_t(slot)];
    Arena::Mark mark = st.arena->mark();
    Rows rows;
    bool found = false, saw_null = false;
    if (run_per_row(slot, frame, st.arena.get(), rows))
      for (size_t r = 0; r < rows.size() && !found; ++r) {
        const Value& x = rows.at(r)[0];
        if (x.is_null()) saw_null = true;
        else found = equal(x, v);
      }
    st.arena->release(mark);
    if (failed()) return {};
    return found ? Value::boolean(true) : saw_null ? Value() : Value::boolean(false);
  }
  build(slot);
  if (v.is_null() || failed()) return {};
  const SubState& st = subs_[size_t(slot)];
  if (st.set.find_same(&v) >= 0) return Value::boolean(true);
  return st.set_has_null ? Value() : Value::boolean(false);
}

Value Executor::scalar_subquery(int slot, const Frame& frame) {
  const plan::Subquery& sub = plan_.subqueries[size_t(slot)];
  if (sub.per_row) {
    // The value is the caller's: it lives in the caller's arena.
    Rows rows;
    if (!run_per_row(slot, frame, arena, rows)) return {};
    if (rows.size() > 1) {
      fail_at(sub.pos, "a scalar subquery returned " + std::to_string(rows.size()) +
                           " rows for one outer row; it must return at most one");
      return {};
    }
    return rows.size() == 1 ? rows.at(0)[0] : Value();
  }
  build(slot);
  return subs_[size_t(slot)].scalar;
}

double wall_clock_seconds() {
  using namespace std::chrono;
  return double(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) / 1000.0;
}

}  // namespace

namespace {

// The run's error, at its place in the query when it has one, formatted as
// a bind error is (file:line:col, the line and a caret).
Error failure(const Runtime& ex, const plan::PlanImpl& plan) {
  if (ex.error_pos.line == 0) return Error(ex.error);
  return plan.source.error_at(ex.error_pos, ex.error);
}

// Parameters (defaults, then overrides) and budgets, as every execution starts.
Status prepare(Executor& ex, const plan::PlanImpl& plan, const ExecOptions& options) {
  ex.now = options.now != 0 ? options.now : std::floor(wall_clock_seconds());
  std::vector<boost::json::value> param_values = plan.param_values;
  for (const auto& [name, value] : options.params) {
    auto it = std::find(plan.param_names.begin(), plan.param_names.end(), name);
    if (it == plan.param_names.end()) {
      std::string declared;
      for (const auto& n : plan.param_names) declared += (declared.empty() ? "" : ", ") + n;
      return Error(options.label + ": unknown parameter '" + name + "'" +
                   (declared.empty() ? " (it declares none)" : " (declared: " + declared + ")"));
    }
    param_values[size_t(it - plan.param_names.begin())] = value;
  }
  for (const auto& v : param_values) ex.params.push_back(ex.arena->keep(v));
  ex.set_budget(options.row_budget, options.time_budget, options.check_interval, options.label);
  return {};
}

Expected<uint64_t> emit_rows(Executor& ex, const plan::PlanImpl& plan, Rows& rows, const RowSink& sink) {
  if (ex.failed()) return failure(ex, plan);
  if (sink.expect) sink.expect(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) sink.row(rows.at(r), rows.at(r) + rows.outputs);
  return ex.examined();
}

class SteppedRunImpl final : public SteppedRun {
 public:
  SteppedRunImpl(const plan::PlanImpl& plan, TableProvider& provider) : plan_(plan), ex_(plan, provider) {
    tuples_.width = plan.root.sources.size();
  }
  Status start(const ExecOptions& options) {
    budget_ = options.time_budget;
    return prepare(ex_, plan_, options);
  }
  size_t rows() override {
    const TableData* t = ex_.failed() ? nullptr : ex_.table_of(plan_.root.sources[0]);
    return t ? t->rows.size() : 0;
  }
  bool feed(size_t begin, size_t end) override {
    if (ex_.failed()) return false;
    // The time budget counts only this run's own steps, not the other
    // checks that share the table walk.
    auto t0 = std::chrono::steady_clock::now();
    ex_.extend_deadline(t0 + (budget_ - spent_));
    Executor::RowRange range{begin, end};
    Tuples part;
    bool ok = ex_.run_sources(plan_.root, nullptr, part, &range);
    if (ok) tuples_.append(part);
    spent_ += std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    return ok && !ex_.failed();
  }
  Expected<uint64_t> finish(const RowSink& sink) override {
    if (ex_.failed()) return failure(ex_, plan_);
    ex_.extend_deadline(std::chrono::steady_clock::now() + (budget_ - spent_));
    Rows rows;
    ex_.finish_select(plan_.root, nullptr, tuples_, rows, false);
    return emit_rows(ex_, plan_, rows, sink);
  }

 private:
  const plan::PlanImpl& plan_;
  Executor ex_;
  Tuples tuples_;
  std::chrono::milliseconds budget_{0}, spent_{0};
};

}  // namespace

Expected<uint64_t> run_plan(const plan::PlanImpl& plan, TableProvider& provider, const ExecOptions& options,
                            const RowSink& sink) {
  Executor ex(plan, provider);
  if (Status st = prepare(ex, plan, options); !st.ok()) return st.error();
  Rows rows;
  ex.run_select(plan.root, nullptr, rows);
  return emit_rows(ex, plan, rows, sink);
}

std::string steppable_table(const plan::PlanImpl& plan) {
  const auto& sources = plan.root.sources;
  if (!plan.root.branches.empty()) return "";  // a union runs whole
  if (sources.empty() || sources[0].kind != plan::Source::Kind::Table || !sources[0].lookups.empty() ||
      sources[0].with >= 0)
    return "";
  return plan.scans[size_t(sources[0].scan)].key();
}

Expected<std::unique_ptr<SteppedRun>> start_stepped(const plan::PlanImpl& plan, TableProvider& provider,
                                                    const ExecOptions& options) {
  auto run = std::make_unique<SteppedRunImpl>(plan, provider);
  if (Status st = run->start(options); !st.ok()) return st.error();
  return std::unique_ptr<SteppedRun>(std::move(run));
}

}  // namespace kinspect::kcql
