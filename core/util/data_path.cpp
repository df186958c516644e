#include "core/util/data_path.h"

// Set by CMake for kinspect_util; a standalone build (the fuzzers) has
// neither and finds data only next to the binary.
#ifndef KINSPECT_SOURCE_DIR
#define KINSPECT_SOURCE_DIR ""
#endif
#ifndef KINSPECT_DATA_DIR
#define KINSPECT_DATA_DIR "/usr/local/share/kinspect"
#endif

namespace kinspect {

namespace fs = std::filesystem;

fs::path bundled_data_path(std::string_view rel) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "kinspect" / rel;
    if (fs::exists(installed, ec)) return installed;
  }
  if (fs::exists(fs::path(KINSPECT_DATA_DIR) / rel, ec)) return fs::path(KINSPECT_DATA_DIR) / rel;
  if (*KINSPECT_SOURCE_DIR && fs::exists(fs::path(KINSPECT_SOURCE_DIR) / rel, ec)) return fs::path(KINSPECT_SOURCE_DIR) / rel;
  return {};
}

}  // namespace kinspect
