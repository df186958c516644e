#include "core/snapshot/manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <boost/json/parse.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugins/kube-apiserver/snapshot_format.h"

namespace kinspect {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::optional<std::string> read_manifest_text(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::ifstream f(fs::path(path) / snapshot::kManifest);
    if (!f) return std::nullopt;
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  std::optional<std::string> out;
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) == ARCHIVE_OK) {
    struct archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      std::string name = archive_entry_pathname(e);
      if (name.rfind("./", 0) == 0) name = name.substr(2);
      if (name != snapshot::kManifest) continue;
      // A manifest is small; refuse to read a huge one into memory.
      if (archive_entry_size(e) > (16 << 20)) break;
      std::string text(static_cast<size_t>(archive_entry_size(e)), '\0');
      if (archive_read_data(a, text.data(), text.size()) == static_cast<la_ssize_t>(text.size())) out = text;
      break;
    }
  }
  archive_read_free(a);
  return out;
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


}  // namespace kinspect
