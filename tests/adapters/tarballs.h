// Tarballs for the sonobuoy tests: members read from a real tarball, and
// tarballs written here (with libarchive, or byte by byte for headers
// libarchive would not write) to break the adapter on purpose.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace adapters_test {

// Every regular member of a tarball: path (without "./") -> content.
inline std::map<std::string, std::string> members(const std::string& tarball) {
  std::map<std::string, std::string> out;
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  if (archive_read_open_filename(a, tarball.c_str(), 1 << 16) != ARCHIVE_OK) {
    ADD_FAILURE() << tarball << ": " << archive_error_string(a);
    archive_read_free(a);
    return out;
  }
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e);
    if (path.rfind("./", 0) == 0) path = path.substr(2);
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    std::string data;
    char buf[65536];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) data.append(buf, static_cast<size_t>(n));
    out[path] = std::move(data);
  }
  archive_read_free(a);
  return out;
}

struct Member {
  std::string path;
  std::string data;
  std::string symlink = "";  // a symbolic link to this target, instead of a file
};

// A gzip-compressed tarball of `entries` at `file`.
inline void write_tarball(const std::string& file, const std::vector<Member>& entries) {
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, file.c_str());
  for (const auto& m : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.path.c_str());
    if (!m.symlink.empty()) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, m.symlink.c_str());
      archive_entry_set_perm(e, 0777);
      archive_write_header(a, e);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
      archive_write_header(a, e);
      archive_write_data(a, m.data.data(), m.data.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// A plain tar whose only member's header claims `size` bytes (GNU base-256
// size field) and which then ends: libarchive would write the bytes it claims.
inline std::string tar_with_claimed_size(const std::string& path, uint64_t size) {
  std::string h(512, '\0');
  std::memcpy(&h[0], path.data(), std::min<size_t>(path.size(), 99));
  std::memcpy(&h[100], "0000644", 7);
  std::memcpy(&h[108], "0000000", 7);
  std::memcpy(&h[116], "0000000", 7);
  h[124] = static_cast<char>(0x80);
  for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  std::memcpy(&h[136], "00000000000", 11);
  h[156] = '0';
  std::memcpy(&h[257], "ustar  ", 8);  // GNU magic: base-256 numbers are a GNU extension
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::memcpy(&h[148], chk, 6);
  h[154] = '\0';
  h[155] = ' ';
  return h + std::string(1024, '\0');
}

}  // namespace adapters_test
