// Reading a tarball as a stream (libarchive), never unpacking it to disk.
// Members are judged by their header before any byte is read: paths that are
// absolute or climb out with "..", are refused (the whole read fails, naming
// the member); links and AppleDouble "._" files are skipped with a note;
// a member larger than the limit is skipped with a note, or refused when it
// is one the caller needs. The total bytes decompressed are bounded too, so
// a gzip bomb ends in an error rather than in hours of inflating.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kinspect::adapters::sonobuoy {

struct ArchiveLimits {
  int64_t max_member_bytes = 64ll << 20;
  int64_t max_total_bytes = 4ll << 30;
};

struct ArchiveNote {
  std::string member;
  std::string note;
};

// Calls `wanted(path)` for every regular file member (path without a leading
// "./"); reads the ones it accepts in full and hands them to `take`. Errors
// name the tarball and the member.
void read_tarball(const std::string& file, const ArchiveLimits& limits,
                  const std::function<bool(const std::string&)>& wanted,
                  const std::function<void(const std::string&, std::string)>& take, std::vector<ArchiveNote>& notes,
                  const std::function<void(const std::string&)>& directory = {});

// "./plugins/e2e/x" -> "plugins/e2e/x"; "" for paths that are absolute or
// contain a ".." component.
std::string safe_member_path(std::string_view raw);

}  // namespace kinspect::adapters::sonobuoy
