// The parts of a shared object the dynamic loader never reads: its DWARF
// sections. A plugin built with debug information (RelWithDebInfo, the
// default for a build with tests) is mostly DWARF: 59 MB for the
// kube-apiserver driver, of which 3.6 MB is code and data. Every run pins
// every plugin (core/plugin/image.h), so copying the DWARF cost about 0.1 s
// of CPU per run, for bytes no worker reads.
//
// The pinned copy keeps every other byte where it was; the debug sections
// become SHT_NOBITS (no bytes in the file, as `objcopy --only-keep-debug`
// marks code sections), so tools reading the copy see a valid ELF file
// without debug information rather than sections full of zeros.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kinspect {

struct DebugSections {
  // [begin, end) file offsets of each debug section's bytes, sorted, disjoint.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  // The section header table as the copy holds it, and where it goes.
  uint64_t headers_offset = 0;
  std::string headers;
};

// The debug sections of the ELF file open as `fd` (`size` bytes). Nothing
// when the file is not a 64-bit ELF file of this machine's byte order, when
// its tables point outside the file, when it has no debug sections, or when
// a debug section would overlap anything the loader reads (headers,
// segments): then the file is copied whole, as it always was.
std::optional<DebugSections> find_debug_sections(int fd, uint64_t size);

}  // namespace kinspect
