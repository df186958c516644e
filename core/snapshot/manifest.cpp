#include "core/snapshot/manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <kinspect/snapshot_format.h>

#include "core/util/sha256.h"

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

// The manifest as a JSON object; nullopt when there is none or it is not one.
std::optional<json::object> read_manifest(const std::string& path) {
  auto text = read_manifest_text(path);
  if (!text) return std::nullopt;
  json::error_code ec;
  json::value m = json::parse(*text, ec);
  if (ec || !m.is_object()) return std::nullopt;
  return std::move(m.as_object());
}

}  // namespace

std::optional<std::string> snapshot_created(const std::string& path) {
  auto m = read_manifest(path);
  const json::value* c = m ? m->if_contains("created") : nullptr;
  if (!c || !c->is_string()) return std::nullopt;
  return std::string(c->as_string());
}

std::optional<std::string> snapshot_cluster_name(const std::string& path) {
  auto m = read_manifest(path);
  const json::value* c = m ? m->if_contains("cluster") : nullptr;
  const json::value* name = c && c->is_object() ? c->as_object().if_contains("name") : nullptr;
  if (!name || !name->is_string() || name->as_string().empty()) return std::nullopt;
  return std::string(name->as_string());
}

report::Scope snapshot_scope(const std::string& path) {
  report::Scope s;
  auto text = read_manifest_text(path);
  if (!text) return s;
  json::error_code ec;
  json::value m = json::parse(*text, ec);
  const json::value* scope = !ec && m.is_object() ? m.as_object().if_contains("scope") : nullptr;
  if (!scope || !scope->is_object()) return s;
  auto strings = [&](const char* key, std::vector<std::string>& out) {
    if (const auto* a = scope->as_object().if_contains(key); a && a->is_array())
      for (const auto& v : a->as_array())
        if (v.is_string()) out.emplace_back(v.as_string());
  };
  strings("namespaces", s.namespaces);
  strings("exclude_namespaces", s.exclude_namespaces);
  if (const auto* l = scope->as_object().if_contains("label_selector"); l && l->is_string())
    s.label_selector = std::string(l->as_string());
  return s;
}

namespace {

struct CarriedInput {
  std::string tool, file, name;
  bool folder = false;
  std::string sha256;  // as the writer recorded it; "" in older snapshots
};

// The manifest's "with" entries (objects only); none when it has no list.
std::vector<json::object> with_entries(const std::string& path) {
  std::vector<json::object> out;
  auto text = read_manifest_text(path);
  if (!text) return out;
  json::error_code ec;
  json::value m = json::parse(*text, ec);
  const json::value* with = !ec && m.is_object() ? m.as_object().if_contains("with") : nullptr;
  if (!with || !with->is_array()) return out;
  for (const auto& e : with->as_array())
    if (e.is_object()) out.push_back(e.as_object());
  return out;
}

bool plain_name(const std::string& n) { return !n.empty() && n.find('/') == std::string::npos && n != "." && n != ".."; }

std::vector<CarriedInput> carried_inputs(const std::string& path) {
  std::vector<CarriedInput> out;
  for (const json::object& o : with_entries(path)) {
    auto text_of = [&](const char* k) {
      const json::value* v = o.if_contains(k);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    CarriedInput c{text_of("tool"), text_of("file"), text_of("name"), false, text_of("sha256")};
    if (const json::value* f = o.if_contains("folder"); f && f->is_bool()) c.folder = f->as_bool();
    // Names come from the manifest: keep them inside the temporary folder.
    if (plain_name(c.tool) && plain_name(c.file) && plain_name(c.name)) out.push_back(std::move(c));
  }
  return out;
}

// The temporary folders made by snapshot_inputs, removed when this process
// (not a worker it started) ends.
class TempFolders {
 public:
  ~TempFolders() {
    if (::getpid() != owner_) return;
    std::error_code ec;
    for (const auto& d : dirs_) fs::remove_all(d, ec);
  }
  fs::path make() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string tmpl = (fs::temp_directory_path() / "kinspect-with-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder in " + fs::temp_directory_path().string());
    dirs_.push_back(tmpl);
    return tmpl;
  }

 private:
  pid_t owner_ = ::getpid();
  std::mutex mu_;
  std::vector<fs::path> dirs_;
};

TempFolders& temp_folders() {
  static TempFolders temp;
  return temp;
}

void unpack_from_tarball(const std::string& path, const std::map<std::string, fs::path>& wanted) {
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  size_t found = 0;
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) == ARCHIVE_OK) {
    struct archive_entry* e;
    while (found < wanted.size() && archive_read_next_header(a, &e) == ARCHIVE_OK) {
      std::string name = archive_entry_pathname(e);
      if (name.rfind("./", 0) == 0) name = name.substr(2);
      auto it = wanted.find(name);
      if (it == wanted.end()) continue;
      std::ofstream out(it->second, std::ios::binary | std::ios::trunc);
      char buf[1 << 16];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0) out.write(buf, n);
      if (n < 0 || !out) break;
      ++found;
    }
  }
  std::string err = archive_error_string(a) ? archive_error_string(a) : "";
  archive_read_free(a);
  if (found < wanted.size())
    throw std::runtime_error(path + ": cannot read the tool outputs the snapshot carries" + (err.empty() ? "" : ": " + err));
}

// A carried output whose bytes differ from the manifest's digest was damaged
// or edited: the adapter must not read it as the tool's results.
void verify_inputs(const std::string& path, const std::vector<CarriedInput>& carried,
                   const std::map<std::string, fs::path>& targets) {
  for (const auto& c : carried) {
    if (c.sha256.empty()) continue;
    std::string got = sha256_of_file(targets.at(c.file).string());
    if (got != c.sha256)
      throw std::runtime_error(path + ": member " + c.file + " (--with " + c.tool + ") has SHA-256 " + got +
                               " but the manifest says " + c.sha256 + ": it was damaged or changed");
  }
}

}  // namespace

std::vector<std::string> snapshot_input_tools(const std::string& path) {
  std::vector<std::string> tools;
  auto add = [&](const std::string& tool) {
    if (std::find(tools.begin(), tools.end(), tool) == tools.end()) tools.push_back(tool);
  };
  for (const auto& c : carried_inputs(path)) add(c.tool);
  for (const auto& [tool, _] : snapshot_input_settings(path)) add(tool);
  return tools;
}

std::vector<std::pair<std::string, std::map<std::string, std::string>>> snapshot_input_settings(const std::string& path) {
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> out;
  for (const json::object& o : with_entries(path)) {
    const json::value* tool = o.if_contains("tool");
    const json::value* settings = o.if_contains("settings");
    if (!tool || !tool->is_string() || !plain_name(std::string(tool->as_string())) || !settings || !settings->is_object())
      continue;
    std::map<std::string, std::string> kept;
    for (const char* key : kCarriedWithSettings)
      if (const json::value* v = settings->as_object().if_contains(key); v && v->is_string()) kept[key] = std::string(v->as_string());
    if (kept.empty()) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == tool->as_string(); });
    if (it == out.end()) out.emplace_back(std::string(tool->as_string()), std::move(kept));
  }
  return out;
}

std::string private_temp_folder() { return temp_folders().make().string(); }

std::vector<std::pair<std::string, std::string>> snapshot_inputs(const std::string& path) {
  TempFolders& temp = temp_folders();
  std::vector<std::pair<std::string, std::string>> out;
  auto carried = carried_inputs(path);
  if (carried.empty()) return out;
  const fs::path dir = temp.make();
  std::map<std::string, fs::path> targets;  // member -> where it goes
  for (const auto& c : carried) {
    fs::create_directories(dir / c.tool);
    targets[c.file] = dir / c.tool / c.name;
    std::string input = c.folder ? (dir / c.tool).string() : (dir / c.tool / c.name).string();
    if (std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == c.tool; }) == out.end())
      out.emplace_back(c.tool, input);
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& [member, target] : targets) {
      fs::copy_file(fs::path(path) / member, target, fs::copy_options::overwrite_existing, ec);
      if (ec) throw std::runtime_error((fs::path(path) / member).string() + ": " + ec.message());
    }
  } else {
    unpack_from_tarball(path, targets);
  }
  verify_inputs(path, carried, targets);
  return out;
}


}  // namespace kinspect
