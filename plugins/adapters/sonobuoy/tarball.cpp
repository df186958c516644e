#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <stdexcept>

namespace kinspect::adapters::sonobuoy {

std::string safe_member_path(std::string_view raw) {
  if (raw.empty() || raw[0] == '/') return {};
  std::string out;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t slash = raw.find('/', pos);
    std::string_view part = raw.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (part == "..") return {};
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return out;
}

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string read_member(struct archive* a, const std::string& where, int64_t limit) {
  std::string data;
  char buf[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) throw std::runtime_error(where + ": " + archive_error_string(a));
    if (n == 0) return data;
    data.append(buf, static_cast<size_t>(n));
    if (static_cast<int64_t>(data.size()) > limit)
      throw std::runtime_error(where + ": larger than its header says, past the limit of " + std::to_string(limit) + " bytes");
  }
}

// Why a member is skipped without reading it, or "" to consider it.
std::string skip_reason(struct archive_entry* e, const std::string& path) {
  if (archive_entry_hardlink(e) || archive_entry_filetype(e) == AE_IFLNK) return "skipped: a link (links are never followed)";
  if (base_name(path).rfind("._", 0) == 0) return "skipped: an AppleDouble (macOS metadata) file, not a result";
  if (archive_entry_filetype(e) != AE_IFREG) return "-";  // directories and devices: nothing to say
  return {};
}

}  // namespace

void read_tarball(const std::string& file, const ArchiveLimits& limits,
                  const std::function<bool(const std::string&)>& wanted,
                  const std::function<void(const std::string&, std::string)>& take, std::vector<ArchiveNote>& notes,
                  const std::function<void(const std::string&)>& directory) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK)
    throw std::runtime_error(file + ": cannot read as a tarball: " + archive_error_string(a.get()));
  std::string previous = "(the first member)";
  for (;;) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN)
      throw std::runtime_error(file + ": corrupt or truncated tarball after member " + previous + ": " +
                               archive_error_string(a.get()));
    const std::string raw = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    const std::string where = file + ": member " + raw;
    const std::string path = safe_member_path(raw);
    if (path.empty() && !raw.empty() && raw != "." && raw != "./")
      throw std::runtime_error(where + ": refused: the path is absolute or leaves the archive with '..'");
    previous = raw;
    if (archive_filter_bytes(a.get(), 0) > limits.max_total_bytes)
      throw std::runtime_error(file + ": refused: more than " + std::to_string(limits.max_total_bytes) +
                               " bytes unpacked (setting max_total_bytes); not a sonobuoy results tarball?");
    std::string why = skip_reason(e, path);
    if (why == "-") {
      if (directory && archive_entry_filetype(e) == AE_IFDIR && !path.empty()) directory(path);
      continue;
    }
    if (!why.empty()) {
      notes.push_back({raw, why});
      continue;
    }
    const bool need = wanted(path);
    const int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    // Skipping a member still inflates it: one that claims more than the
    // whole archive may hold is refused before a byte of it is read.
    if (size > limits.max_total_bytes)
      throw std::runtime_error(where + ": refused: its header says " + std::to_string(size) + " bytes, more than the " +
                               std::to_string(limits.max_total_bytes) + " a results tarball may hold (setting max_total_bytes)");
    if (size > limits.max_member_bytes) {
      std::string over = "its header says " + std::to_string(size) + " bytes, more than the limit of " +
                         std::to_string(limits.max_member_bytes) + " (setting max_member_bytes)";
      if (need) throw std::runtime_error(where + ": refused: " + over);
      notes.push_back({raw, "skipped: " + over});
      continue;
    }
    if (!need) continue;
    take(path, read_member(a.get(), where, limits.max_member_bytes));
  }
}

}  // namespace kinspect::adapters::sonobuoy
