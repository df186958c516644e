// Reading a file the user named (a baseline, a waiver list): only a regular
// file, and only up to a size, so that /dev/zero or a FIFO without a writer
// is a clear error instead of a hang or unbounded memory.
#pragma once

#include <cstddef>
#include <string>

#include "core/util/error.h"

namespace kinspect {

inline constexpr size_t kMaxInputFileBytes = 256u << 20;

// The whole file; an Error naming `path` when it cannot be opened, is not a
// regular file, or holds more than `max_bytes`.
Expected<std::string> read_input_file(const std::string& path, size_t max_bytes = kMaxInputFileBytes);

}  // namespace kinspect
