// libFuzzer target: any bytes as a snapshot .tar.gz, through the driver's
// archive reader (zlib, libarchive, the manifest, the splitter and the row
// writer of plugins/kube-apiserver/snapshot.cpp). Property: rows or a
// std::exception naming the problem, never a crash; limits keep each run
// small (a gzip bomb stops at the compression-ratio bound).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "plugins/kube-apiserver/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/kinspect-snapshot-fuzz-" + std::to_string(::getpid()) + ".tar.gz";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  kinspect::sdk::Host host(nullptr);
  kapi::ReadLimits limits;
  limits.max_member_bytes = 8 << 20;
  limits.max_snapshot_bytes = 16 << 20;
  limits.ratio_after_bytes = 1 << 20;
  try {
    kapi::Snapshot snap(path, kapi::RowOptions{}, host, limits);
    for (const char* table : {"k8s.pods", "k8s.version"}) {
      kapi::Target t;
      t.table = table;
      if (std::string(table) == "k8s.pods") t.kind = "Pod";
      else t.special = kapi::Target::kVersion;
      auto scan = snap.scan(t, kapi::CancelCheck{}, kapi::RowOptions{});
      std::string buf;
      for (int batches = 0; batches < 10000; ++batches) {
        buf.clear();
        kinspect::sdk::BatchWriter out(buf);
        if (!scan->next(out)) break;
      }
    }
  } catch (const std::exception&) {
  }
  return 0;
}
