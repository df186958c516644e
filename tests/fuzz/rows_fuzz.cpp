// libFuzzer target: any bytes through the row parser (simdjson's DOM parser,
// or Boost.JSON's SAX parser for a batch simdjson does not read, packing each
// row with only its projected paths) and back out of the packed format.
// Differential: with no projection, every row must come back exactly as
// Boost.JSON's own DOM parser reads it, and a row it rejects must not have
// been accepted; with one, reading must not crash and
// the packed bytes must be self-consistent. The first input byte picks the
// projection, so the fuzzer explores both.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/table/packed.h"
#include "core/table/row_parser.h"

namespace {

using namespace kinspect;

// Walks every value, as the evaluator may, to catch bad lengths and offsets.
size_t walk(packed::Ref r, int depth = 0) {
  if (depth > 2000) std::abort();
  size_t n = 1;
  if (r.is_array())
    for (packed::Ref e : r.elements()) n += walk(e, depth + 1);
  else if (r.is_object())
    for (const auto& m : r.members()) {
      if (m.key().data() == nullptr) std::abort();
      n += walk(m.value(), depth + 1);
    }
  else if (r.is_string())
    n += r.get_string().size();
  return n;
}

bool has_duplicate_keys(packed::Ref r) {
  if (r.is_array()) {
    for (packed::Ref e : r.elements())
      if (has_duplicate_keys(e)) return true;
  } else if (r.is_object()) {
    std::vector<uint32_t> keys;
    for (const auto& m : r.members()) {
      keys.push_back(m.key_id);
      if (has_duplicate_keys(m.value())) return true;
    }
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  }
  return false;
}

// Equal JSON, except that two doubles may differ in their last bits:
// Boost.JSON 1.81 parses numbers "imprecisely", and its result can depend
// on where in the buffer the number sits (a whole batch for the row parser,
// one row's text here). Found by this fuzzer: -4611686016935848.0816. Two
// NaNs (`0e1007` reads as 0 * inf on both sides) are the same too.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    // simdjson (the row parser's fast path) reads `0e1007` as the 0 it is.
    const bool zero_as_nan = (x == 0 && std::isnan(y)) || (std::isnan(x) && y == 0);
    // Boost.JSON 1.81 may also be a few bits off on a long mantissa, which
    // simdjson rounds exactly: -92235724.67407185675186674747.
    const bool close = std::isfinite(x) && std::isfinite(y) && std::fabs(x - y) <= std::fabs(y) * 0x1p-48;
    return x == y || (std::isnan(x) && std::isnan(y)) || zero_as_nan || close;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (size_t i = 0; i < p.size(); ++i)
      if (!same_json(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& kv : p) {
      const boost::json::value* other = q.if_contains(kv.key());
      if (!other || !same_json(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  static const std::vector<std::vector<std::string>> kProjections = {
      {},
      {"metadata.name", "metadata.labels", "status.conditions"},
      {"spec.containers.image", "spec.containers.ports.containerPort", "a"},
  };
  const auto& paths = kProjections[data[0] % kProjections.size()];
  std::string_view batch(reinterpret_cast<const char*>(data) + 1, size - 1);
  RowParser parser{Projection(paths)};
  TableData table;
  Status st = parser.feed(batch, table, "fuzz");
  for (packed::Ref row : table.rows) {
    if (!row.is_object()) std::abort();  // the parser only accepts objects
    walk(row);
    if (row.encoded_size() == 0) std::abort();
  }
  if (!st.ok() || !paths.empty()) return 0;
  // Every row was accepted: each must equal Boost.JSON's reading of its text.
  size_t i = 0;
  bool whole = for_each_row_text(batch, [&](std::string_view text) {
    if (i >= table.rows.size()) return;
    boost::json::error_code ec;
    boost::json::parse_options opts;
    opts.max_depth = 1024;
    opts.allow_invalid_utf8 = true;
    boost::json::value expected = boost::json::parse(text, ec, {}, opts);
    // A row Boost.JSON rejects must not have been accepted (by either path),
    // except for a number whose exponent Boost.JSON cannot hold: simdjson
    // reads -92237e-32036859551616 as the -0.0 it is.
    if (ec == boost::json::error::exponent_overflow) return ++i, void();
    if (ec) std::abort();
    // Boost.JSON keeps the last of duplicate keys, packed rows the first.
    if (has_duplicate_keys(table.rows[i])) return ++i, void();
    if (!same_json(packed::to_json(table.rows[i]), expected)) std::abort();
    ++i;
  });
  (void)whole;
  return 0;
}
