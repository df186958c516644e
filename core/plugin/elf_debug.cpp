#include "core/plugin/elf_debug.h"

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace kinspect {

namespace {

using Range = std::pair<uint64_t, uint64_t>;

bool read_at(int fd, void* buf, size_t len, uint64_t offset) {
  for (size_t done = 0; done < len;) {
    ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, len - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

// Whether `len` bytes from `begin` lie inside a file of `size` bytes (no overflow).
bool within(uint64_t begin, uint64_t len, uint64_t size) { return begin <= size && len <= size - begin; }

bool overlaps(const Range& a, const Range& b) { return a.first < b.second && b.first < a.second; }

bool is_debug_name(std::string_view name) { return name.starts_with(".debug") || name.starts_with(".zdebug"); }

struct Tables {
  Elf64_Ehdr header;
  std::vector<Elf64_Phdr> segments;
  std::vector<Elf64_Shdr> sections;
  std::string names;  // the section name table, NUL-terminated by std::string
};

// The ELF header and both tables, or nothing when any lies outside the file
// or is not what this machine's loader reads.
std::optional<Tables> read_tables(int fd, uint64_t size) {
  Tables t;
  Elf64_Ehdr& eh = t.header;
  if (size < sizeof eh || !read_at(fd, &eh, sizeof eh, 0)) return std::nullopt;
  constexpr unsigned char kByteOrder = std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != kByteOrder)
    return std::nullopt;
  // (e_shnum 0 with the count elsewhere, for files of 65,280 sections and
  // more, is left alone: copied whole.)
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum ||
      (eh.e_phnum != 0 && eh.e_phentsize != sizeof(Elf64_Phdr)))
    return std::nullopt;
  const uint64_t section_bytes = uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr);
  const uint64_t segment_bytes = uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr);
  if (!within(eh.e_shoff, section_bytes, size) || !within(eh.e_phoff, segment_bytes, size)) return std::nullopt;
  t.sections.resize(eh.e_shnum);
  t.segments.resize(eh.e_phnum);
  if (!read_at(fd, t.sections.data(), section_bytes, eh.e_shoff) ||
      (segment_bytes != 0 && !read_at(fd, t.segments.data(), segment_bytes, eh.e_phoff)))
    return std::nullopt;
  const Elf64_Shdr& names = t.sections[eh.e_shstrndx];
  if (names.sh_type != SHT_STRTAB || !within(names.sh_offset, names.sh_size, size) || names.sh_size > (64u << 20))
    return std::nullopt;
  t.names.resize(names.sh_size);
  if (!read_at(fd, t.names.data(), t.names.size(), names.sh_offset)) return std::nullopt;
  return t;
}

// Bytes the loader or a tool needs: the headers, every segment, the names.
std::vector<Range> needed_ranges(const Tables& t) {
  const Elf64_Ehdr& eh = t.header;
  const Elf64_Shdr& names = t.sections[eh.e_shstrndx];
  std::vector<Range> kept = {{0, sizeof eh},
                             {eh.e_phoff, eh.e_phoff + uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr)},
                             {eh.e_shoff, eh.e_shoff + uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr)},
                             {names.sh_offset, names.sh_offset + names.sh_size}};
  for (const auto& p : t.segments) kept.push_back({p.p_offset, p.p_offset + p.p_filesz});
  return kept;
}

}  // namespace

std::optional<DebugSections> find_debug_sections(int fd, uint64_t size) {
  std::optional<Tables> t = read_tables(fd, size);
  if (!t) return std::nullopt;
  for (const auto& p : t->segments)
    if (!within(p.p_offset, p.p_filesz, size)) return std::nullopt;
  const std::vector<Range> kept = needed_ranges(*t);
  DebugSections out;
  for (Elf64_Shdr& s : t->sections) {
    if (s.sh_name >= t->names.size()) return std::nullopt;
    const std::string_view name(t->names.c_str() + s.sh_name);
    if (!is_debug_name(name) || (s.sh_flags & SHF_ALLOC) || s.sh_type == SHT_NOBITS || s.sh_size == 0) continue;
    if (!within(s.sh_offset, s.sh_size, size)) return std::nullopt;
    const Range bytes{s.sh_offset, s.sh_offset + s.sh_size};
    if (std::any_of(kept.begin(), kept.end(), [&](const Range& k) { return overlaps(bytes, k); })) return std::nullopt;
    out.ranges.push_back(bytes);
    s.sh_type = SHT_NOBITS;
  }
  if (out.ranges.empty()) return std::nullopt;
  std::sort(out.ranges.begin(), out.ranges.end());
  for (size_t i = 1; i < out.ranges.size(); ++i)
    if (out.ranges[i].first < out.ranges[i - 1].second) return std::nullopt;
  out.headers_offset = t->header.e_shoff;
  out.headers.assign(reinterpret_cast<const char*>(t->sections.data()), t->sections.size() * sizeof(Elf64_Shdr));
  return out;
}

}  // namespace kinspect
