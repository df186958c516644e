// libFuzzer target: any bytes as a plugin file being pinned
// (core/plugin/elf_debug.cpp). Property: either nothing is left out, or the
// debug ranges lie inside the file, sorted and apart, after the ELF header,
// and the section table rewritten for the copy lies inside the file too, in
// whole entries, with a SHT_NOBITS section for each range left out.
#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/plugin/elf_debug.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  const int fd = ::memfd_create("elf-debug-fuzz", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (size && ::write(fd, data, size) != ssize_t(size)) std::abort();
  auto debug = kinspect::find_debug_sections(fd, size);
  ::close(fd);
  if (!debug) return 0;
  if (debug->ranges.empty()) std::abort();
  uint64_t after = sizeof(Elf64_Ehdr);
  for (const auto& [begin, end] : debug->ranges) {
    if (begin < after || end <= begin || end > size) std::abort();
    after = end;
  }
  const auto& h = debug->headers;
  if (h.empty() || h.size() % sizeof(Elf64_Shdr) || debug->headers_offset > size || h.size() > size - debug->headers_offset)
    std::abort();
  size_t nobits = 0;
  for (size_t i = 0; i < h.size(); i += sizeof(Elf64_Shdr)) {
    Elf64_Shdr s;
    std::memcpy(&s, h.data() + i, sizeof s);
    nobits += s.sh_type == SHT_NOBITS && std::memcmp(data + debug->headers_offset + i, &s, sizeof s) != 0;
  }
  if (nobits != debug->ranges.size()) std::abort();
  return 0;
}
