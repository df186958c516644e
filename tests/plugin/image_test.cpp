// Pinned plugin images: every byte the loader reads is the file's, the debug
// sections are left out (a hole, marked SHT_NOBITS), and anything that is not
// a well-formed ELF file of this machine is copied whole, as before.
#include <gtest/gtest.h>

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "core/plugin/elf_debug.h"
#include "core/plugin/image.h"
#include "core/plugin/registry.h"

using namespace kinspect;
namespace fs = std::filesystem;

namespace {

// Built with -g whatever the build type (tests/plugin/CMakeLists.txt).
std::string good_plugin() { return std::string(FIXTURE_DIR) + "/good.so"; }

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string fd_bytes(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  std::string out(size_t(st.st_size), '\0');
  EXPECT_EQ(::pread(fd, out.data(), out.size(), 0), ssize_t(out.size()));
  return out;
}

template <class T>
T at(const std::string& bytes, uint64_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

std::string section_name(const std::string& elf, const Elf64_Shdr& s) {
  const auto eh = at<Elf64_Ehdr>(elf, 0);
  const auto names = at<Elf64_Shdr>(elf, eh.e_shoff + uint64_t(eh.e_shstrndx) * sizeof(Elf64_Shdr));
  return elf.c_str() + names.sh_offset + s.sh_name;
}

// A file with these bytes, and an open descriptor on it.
struct TempFile {
  explicit TempFile(const std::string& bytes) {
    path = (fs::temp_directory_path() / ("kinspect-image-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter++) + ".so")).string();
    std::ofstream(path, std::ios::binary) << bytes;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~TempFile() {
    ::close(fd);
    fs::remove(path);
  }
  std::string path;
  int fd = -1;
  static inline int counter = 0;
};

}  // namespace

TEST(PluginImage, KeepsEveryByteTheLoaderReadsAndLeavesTheDebugSectionsOut) {
  const std::string file = file_bytes(good_plugin());
  ASSERT_GT(file.size(), sizeof(Elf64_Ehdr));
  auto image = PluginImage::pin(good_plugin());
  ASSERT_TRUE(image) << image.error().message();
  const std::string copy = fd_bytes(image.value()->fd());
  ASSERT_EQ(copy.size(), file.size()) << "the copy keeps the file's size and layout";

  const auto eh = at<Elf64_Ehdr>(file, 0);
  EXPECT_EQ(copy.compare(0, sizeof eh, file, 0, sizeof eh), 0) << "ELF header";
  const size_t ph_bytes = size_t(eh.e_phnum) * sizeof(Elf64_Phdr);
  EXPECT_EQ(copy.compare(eh.e_phoff, ph_bytes, file, eh.e_phoff, ph_bytes), 0) << "program headers";
  for (int i = 0; i < eh.e_phnum; ++i) {
    const auto p = at<Elf64_Phdr>(file, eh.e_phoff + uint64_t(i) * sizeof(Elf64_Phdr));
    EXPECT_EQ(copy.compare(p.p_offset, p.p_filesz, file, p.p_offset, p.p_filesz), 0) << "segment " << i;
  }

  int debug_sections = 0;
  uint64_t debug_bytes = 0;
  for (int i = 0; i < eh.e_shnum; ++i) {
    const uint64_t where = eh.e_shoff + uint64_t(i) * sizeof(Elf64_Shdr);
    const auto before = at<Elf64_Shdr>(file, where);
    const auto after = at<Elf64_Shdr>(copy, where);
    const std::string name = section_name(file, before);
    if (name.rfind(".debug", 0) == 0 && before.sh_type != SHT_NOBITS) {
      ++debug_sections;
      debug_bytes += before.sh_size;
      EXPECT_EQ(after.sh_type, uint32_t(SHT_NOBITS)) << name;
      EXPECT_EQ(after.sh_offset, before.sh_offset) << name;
      EXPECT_EQ(after.sh_size, before.sh_size) << name;
      EXPECT_EQ(copy.find_first_not_of('\0', before.sh_offset) >= before.sh_offset + before.sh_size, true)
          << name << " is a hole in the copy";
    } else {
      EXPECT_EQ(std::memcmp(&before, &after, sizeof before), 0) << name << "'s header is unchanged";
      if (before.sh_type != SHT_NOBITS)
        EXPECT_EQ(copy.compare(before.sh_offset, before.sh_size, file, before.sh_offset, before.sh_size), 0) << name;
    }
  }
  EXPECT_GE(debug_sections, 3) << "the fixture is built with -g";

  // The hole takes no memory: the copy holds about the file less its DWARF.
  struct stat st {};
  ASSERT_EQ(::fstat(image.value()->fd(), &st), 0);
  EXPECT_LT(uint64_t(st.st_blocks) * 512, file.size() - debug_bytes + 64 * 4096)
      << "allocated " << st.st_blocks * 512 << " of " << file.size() << " bytes, " << debug_bytes << " of them DWARF";
}

TEST(PluginImage, APinnedCopyWithoutItsDebugSectionsStillLoadsAndServes) {
  TempFile plugin(file_bytes(good_plugin()));
  ASSERT_TRUE(find_debug_sections(plugin.fd, fs::file_size(plugin.path))) << "the fixture has debug sections to leave out";
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {good_plugin()};
  o.isolate = true;
  o.isolation.worker_exe = KINSPECT_BIN;
  auto problems = reg.load(o);
  ASSERT_TRUE(problems.empty()) << problems.front().format();
  auto rows = reg.fetch(ScanSpec{"test.good", {}, {"id"}});
  ASSERT_TRUE(rows.ok()) << rows.error().format();
  EXPECT_EQ((*rows)->rows.size(), 3u);
}

TEST(PluginImage, AnythingButAWellFormedElfFileIsCopiedWhole) {
  const std::string good = file_bytes(good_plugin());
  const auto eh = at<Elf64_Ehdr>(good, 0);
  auto with = [&](auto edit) {
    std::string bytes = good;
    edit(bytes);
    return bytes;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not ELF", std::string(4096, 'x')},
      {"empty", ""},
      {"header only", good.substr(0, sizeof(Elf64_Ehdr))},
      {"cut before the section table", good.substr(0, eh.e_shoff + 10)},
      {"32-bit class", with([](std::string& b) { b[EI_CLASS] = ELFCLASS32; })},
      {"section table past the end",
       with([](std::string& b) {
         Elf64_Ehdr h = at<Elf64_Ehdr>(b, 0);
         h.e_shoff = b.size() - 8;
         std::memcpy(b.data(), &h, sizeof h);
       })},
      {"name index out of range",
       with([](std::string& b) {
         Elf64_Ehdr h = at<Elf64_Ehdr>(b, 0);
         h.e_shstrndx = h.e_shnum;
         std::memcpy(b.data(), &h, sizeof h);
       })},
      {"a segment covering the whole file",
       with([](std::string& b) {
         Elf64_Ehdr h = at<Elf64_Ehdr>(b, 0);
         Elf64_Phdr p = at<Elf64_Phdr>(b, h.e_phoff);
         p.p_offset = 0, p.p_filesz = b.size();
         std::memcpy(b.data() + h.e_phoff, &p, sizeof p);
       })},
  };
  for (const auto& [what, bytes] : cases) {
    TempFile f(bytes);
    EXPECT_FALSE(find_debug_sections(f.fd, bytes.size())) << what;
    auto image = PluginImage::pin(f.path);
    ASSERT_TRUE(image) << what << ": " << image.error().message();
    EXPECT_EQ(fd_bytes(image.value()->fd()), bytes) << what << " is copied byte for byte";
  }
}
