#include "core/snapshot/manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugins/kube-apiserver/snapshot_format.h"

namespace kinspect {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr size_t kMaxManifestBytes = 16 << 20;

// manifest.json of a snapshot folder, if it is a regular file inside it
// (not a link out of the folder, not a FIFO) and of a sensible size.
std::optional<std::string> read_folder_manifest(const fs::path& dir) {
  std::error_code ec;
  fs::path file = dir / snapshot::kManifest;
  fs::path real = fs::weakly_canonical(file, ec), base = fs::weakly_canonical(dir, ec);
  if (ec || real.parent_path() != base) return std::nullopt;
  int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) <= kMaxManifestBytes) {
    std::string text(static_cast<size_t>(st.st_size), '\0');
    if (::read(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) out = std::move(text);
  }
  ::close(fd);
  return out;
}

// "manifest.json" or "<folder>/manifest.json" (as `tar czf x.tar.gz dir/` writes it).
bool is_manifest_member(std::string name) {
  while (name.rfind("./", 0) == 0) name = name.substr(2);
  if (name == snapshot::kManifest) return true;
  size_t slash = name.find('/');
  return slash != std::string::npos && name.compare(slash + 1, std::string::npos, snapshot::kManifest) == 0;
}

std::optional<std::string> read_archive_manifest(const std::string& path) {
  struct archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  std::optional<std::string> out;
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) == ARCHIVE_OK) {
    struct archive_entry* e;
    // The writer puts the manifest first; `tar` keeps folder order. Members
    // are skipped by decompressing them, so stop before a huge one.
    for (int i = 0; i < 256 && archive_read_next_header(a, &e) == ARCHIVE_OK; ++i) {
      const char* name = archive_entry_pathname(e);
      if (archive_entry_filetype(e) != AE_IFREG || !name || !is_manifest_member(name)) {
        if (archive_entry_size(e) > (256 << 20)) break;
        continue;
      }
      if (archive_entry_size(e) > static_cast<la_int64_t>(kMaxManifestBytes)) break;
      std::string text(static_cast<size_t>(archive_entry_size(e)), '\0');
      if (archive_read_data(a, text.data(), text.size()) == static_cast<la_ssize_t>(text.size())) out = text;
      break;
    }
  }
  archive_read_free(a);
  return out;
}

std::optional<std::string> read_manifest_text(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return read_folder_manifest(path);
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  return read_archive_manifest(path);
}

}  // namespace

std::optional<std::string> snapshot_created(const std::string& path) {
  auto text = read_manifest_text(path);
  if (!text) return std::nullopt;
  json::error_code ec;
  json::value m = json::parse(*text, ec);
  if (ec || !m.is_object()) return std::nullopt;
  const json::value* c = m.as_object().if_contains("created");
  if (!c || !c->is_string()) return std::nullopt;
  return std::string(c->as_string());
}

std::optional<double> parse_rfc3339(const std::string& s) {
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  double frac = 0;
  if (*rest == '.') {
    char* end = nullptr;
    frac = std::strtod(rest, &end);
    rest = end;
  }
  long offset = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 3600L + mm * 60L) * (*rest == '-' ? -1 : 1);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest) return std::nullopt;
  return static_cast<double>(timegm(&tm) - offset) + frac;
}

}  // namespace kinspect
