// libFuzzer target: any bytes through the streaming List splitter
// (plugins/kube-apiserver/splitter.cpp), fed in pieces whose sizes the
// input's first byte picks. Property: no crash, and every item's member
// spans lie inside the item.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugins/kube-apiserver/splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  kapi::SplitLimits limits;
  limits.max_object_bytes = 1 << 16;
  limits.max_whitespace_run = 1 << 12;
  kapi::ListSplitter splitter("fuzz.json", limits);
  auto sink = [](const kapi::SplitItem& it) {
    if (!it.members) return;
    for (const auto& m : *it.members)
      if (m.start > m.end || m.end > it.json.size()) std::abort();
    if (it.has_managed_fields && (it.mf_cut_start > it.mf_cut_end || it.mf_cut_end > it.json.size())) std::abort();
  };
  try {
    for (size_t at = 0; at < in.size(); at += piece)
      splitter.feed(in.data() + at, std::min(piece, in.size() - at), sink);
    splitter.finish(sink);
  } catch (const std::exception&) {
  }
  return 0;
}
