// libFuzzer target: any bytes through the streaming List splitter
// (plugins/kube-apiserver/splitter.cpp), fed in pieces whose sizes the
// input's first byte picks. Properties: no crash; every item's member spans
// lie inside the item; and where Boost.JSON reads the input as one List
// object, the splitter gives exactly its items, each member span being that
// member, so the splitter can neither lose nor invent an item. The generic
// block scan and the widest this CPU runs give the same items, spans and
// errors (where this CPU runs AVX2 or AVX-512BW).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "plugins/kube-apiserver/splitter.h"

namespace {

// The input's items as Boost.JSON reads them, when the input is a single
// object whose "items" is an array of objects; null otherwise.
const boost::json::array* reference_items(std::string_view in, boost::json::value& doc) {
  // A second "items" might be a second List array, which the splitter reads
  // and a DOM drops; such input is left to the other properties.
  size_t first = in.find("\"items\"");
  if (first == std::string_view::npos || in.find("\"items\"", first + 1) != std::string_view::npos) return nullptr;
  boost::system::error_code ec;
  doc = boost::json::parse(in, ec);
  if (ec || !doc.is_object()) return nullptr;
  auto* items = doc.as_object().if_contains("items");
  if (!items || !items->is_array()) return nullptr;
  for (const auto& item : items->as_array())
    if (!item.is_object()) return nullptr;
  return &items->as_array();
}

void check_members(const kapi::SplitItem& it, const boost::json::object& expect) {
  if (!it.members) return;
  for (const auto& m : *it.members) {
    boost::system::error_code ec;
    boost::json::value one = boost::json::parse("{" + std::string(it.json.substr(m.start, m.end - m.start)) + "}", ec);
    if (ec || !one.is_object() || one.as_object().size() != 1) std::abort();
    const auto& kv = *one.as_object().begin();
    // The splitter keeps a key as written; Boost.JSON unescapes it.
    if (m.key.find('\\') == std::string::npos && (kv.key() != m.key || !expect.contains(m.key))) std::abort();
  }
}

// What a splitter with `scan` reports for `in` fed in pieces: items with
// their spans, then the error if one was thrown.
std::string trace(std::string_view in, size_t piece, kapi::SplitLimits limits, kapi::BlockScan scan) {
  // Strings past 16 bytes at unread paths are skipped: the skip asks the
  // last structural byte whether an open string is a key, so every mask of
  // the block scan shapes the output.
  limits.skip_string_over = 16;
  kapi::ListSplitter splitter("fuzz.json", limits);
  if (!splitter.use_block_scan(scan)) std::abort();
  splitter.skip_unread_strings({"metadata.name", "spec.containers"});
  std::string out;
  auto sink = [&](const kapi::SplitItem& it) {
    out.append(it.json).append("\n");
    if (it.members)
      for (const auto& m : *it.members) out += m.key + ' ' + std::to_string(m.start) + ' ' + std::to_string(m.end) + '\n';
    if (it.metadata)
      for (const auto& m : *it.metadata) out += std::to_string(m.start) + ' ' + std::to_string(m.end) + '\n';
  };
  try {
    for (size_t at = 0; at < in.size(); at += piece) splitter.feed(in.data() + at, std::min(piece, in.size() - at), sink);
    splitter.finish(sink);
  } catch (const std::exception& e) {
    out += e.what();
  }
  return out + " skipped " + std::to_string(splitter.skipped_strings());
}

size_t longest_whitespace_run(std::string_view in) {
  size_t longest = 0, run = 0;
  for (char c : in) {
    run = (c == ' ' || c == '\n' || c == '\r' || c == '\t') ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  kapi::SplitLimits limits;
  limits.max_object_bytes = 1 << 16;
  limits.max_whitespace_run = 1 << 12;
  kapi::ListSplitter splitter("fuzz.json", limits);
  std::vector<boost::json::value> got;
  auto sink = [&](const kapi::SplitItem& it) {
    if (it.members)
      for (const auto& m : *it.members)
        if (m.start > m.end || m.end > it.json.size()) std::abort();
    if (it.metadata) {
      size_t after = it.metadata_open;
      for (const auto& m : *it.metadata) {
        if (m.start <= after || m.end < m.start || m.end > it.metadata_close) std::abort();
        after = m.end;
      }
      if (it.metadata_close >= it.json.size() || it.json[it.metadata_open] != '{' || it.json[it.metadata_close] != '}') std::abort();
    }
    boost::system::error_code ec;
    got.push_back(boost::json::parse(it.json, ec));
    if (!ec && got.back().is_object()) check_members(it, got.back().as_object());
  };
  bool ok = true;
  try {
    for (size_t at = 0; at < in.size(); at += piece)
      splitter.feed(in.data() + at, std::min(piece, in.size() - at), sink);
    splitter.finish(sink);
  } catch (const std::exception&) {
    ok = false;
  }
  boost::json::value doc;
  const boost::json::array* items = reference_items(in, doc);
  // A List within the limits that Boost.JSON reads is split exactly.
  if (items && in.size() <= limits.max_object_bytes && longest_whitespace_run(in) <= limits.max_whitespace_run) {
    if (!ok || got.size() != items->size()) std::abort();
    for (size_t k = 0; k < got.size(); ++k)
      if (got[k] != (*items)[k]) std::abort();
  }
  static const std::vector<kapi::BlockScan> wide = [] {
    std::vector<kapi::BlockScan> runs;
    for (auto scan : {kapi::BlockScan::Avx2, kapi::BlockScan::Avx512})
      if (kapi::ListSplitter("probe").use_block_scan(scan)) runs.push_back(scan);
    return runs;
  }();
  if (!wide.empty()) {
    const std::string generic = trace(in, piece, limits, kapi::BlockScan::Generic);
    for (auto scan : wide)
      if (trace(in, piece, limits, scan) != generic) std::abort();
  }
  return 0;
}
