#include "core/snapshot/writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "core/table/row_parser.h"
#include "core/util/sha256.h"
#include "core/util/time.h"
#include <kinspect/snapshot_format.h>

namespace kinspect {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool is_tarball(const std::string& p) {
  auto ends = [&](std::string_view s) { return p.size() >= s.size() && p.compare(p.size() - s.size(), s.size(), s) == 0; };
  return ends(".tar.gz") || ends(".tgz");
}

// Packs every file of `dir` (flat) into a gzip'd tar at `out`.
Status pack(const fs::path& dir, const std::string& out) {
  // 0600 from the start: the archive may hold Secret data.
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(out + ": cannot write: " + std::strerror(errno));
  ::fchmod(fd, 0600);  // an existing file keeps its mode otherwise
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
    std::string e = archive_error_string(a) ? archive_error_string(a) : "cannot open";
    archive_write_free(a);
    ::close(fd);
    return Error(out + ": " + e);
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  // The manifest goes first: a reader learns which members to read and can
  // stop decompressing as soon as it has the table it wants.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    bool am = a.filename() == snapshot::kManifest, bm = b.filename() == snapshot::kManifest;
    return am != bm ? am : a < b;
  });
  std::vector<char> buf(1 << 20);
  Status result;
  for (const auto& f : files) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, f.filename().c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(fs::file_size(f)));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, std::time(nullptr), 0);
    archive_write_header(a, e);
    std::ifstream in(f, std::ios::binary);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      if (in.gcount() > 0 && archive_write_data(a, buf.data(), static_cast<size_t>(in.gcount())) < 0) {
        result = Error(out + ": " + (archive_error_string(a) ? archive_error_string(a) : "write failed"));
        break;
      }
    }
    archive_entry_free(e);
    if (!result.ok()) break;
  }
  if (archive_write_close(a) != ARCHIVE_OK && result.ok())
    result = Error(out + ": " + (archive_error_string(a) ? archive_error_string(a) : "close failed"));
  archive_write_free(a);
  ::close(fd);
  return result;
}

json::value scope_json(const report::Scope& s) {
  return json::object{{"namespaces", json::value_from(s.namespaces)},
                      {"exclude_namespaces", json::value_from(s.exclude_namespaces)},
                      {"label_selector", s.label_selector}};
}

// Copies the inputs into `dir` as "with-<tool>-<n>-<name>" (a snapshot is a
// flat folder) and lists them for the manifest: tool, file, and the name the
// adapter saw (a node's name, for kube-bench's per-node outputs).
Expected<json::array> copy_inputs(const std::vector<SnapshotInput>& inputs, const fs::path& dir) {
  json::array out;
  for (const auto& in : inputs) {
    json::object settings;
    for (const auto& [k, v] : in.settings) settings[k] = v;
    if (in.path.empty()) {  // a live read that found nothing: only why
      out.emplace_back(json::object{{"tool", in.tool}, {"settings", std::move(settings)}});
      continue;
    }
    std::error_code ec;
    std::vector<fs::path> files;
    const bool folder = fs::is_directory(in.path, ec);
    if (folder) {
      for (fs::recursive_directory_iterator it(in.path, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file() && it->path().filename().string()[0] != '.') files.push_back(it->path());
      std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(in.path, ec)) {
      files.push_back(in.path);
    }
    if (ec || files.empty()) return Error("--with " + in.tool + "=" + in.path + ": nothing to carry in the snapshot" +
                                          (ec ? ": " + ec.message() : std::string()));
    for (size_t i = 0; i < files.size(); ++i) {
      std::string file = "with-" + in.tool + "-" + std::to_string(i) + "-" + files[i].filename().string();
      fs::copy_file(files[i], dir / file, fs::copy_options::overwrite_existing, ec);
      if (ec) return Error(files[i].string() + ": cannot copy into the snapshot: " + ec.message());
      json::object entry{{"tool", in.tool}, {"file", file}, {"name", files[i].filename().string()},
                         {"folder", folder}, {"sha256", sha256_of_file((dir / file).string())}};
      if (!settings.empty()) entry["settings"] = settings;
      out.emplace_back(std::move(entry));
    }
  }
  return out;
}

// A file only its owner reads (0600), made so before any row is in it.
std::ofstream private_file(const fs::path& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::error_code ec;
  if (out) fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, ec);
  if (ec) out.setstate(std::ios::failbit);
  return out;
}

}  // namespace

Expected<SnapshotResult> write_snapshot(PluginRegistry& registry, const std::vector<std::string>& tables,
                                        const std::string& output, double driver_timeout_seconds,
                                        const std::function<void(size_t, size_t, const std::string&)>& progress,
                                        const std::vector<SnapshotInput>& inputs, const std::string& cluster_name,
                                        const report::Scope& scope) {
  const bool tarball = is_tarball(output);
  fs::path dir = tarball ? fs::path(output + ".tmp-" + std::to_string(::getpid())) : fs::path(output);
  std::error_code ec;
  // A folder made here is private (0700): it may hold Secret data. One the
  // user made keeps its mode; its files are private all the same.
  if (fs::create_directories(dir, ec)) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec) return Error(dir.string() + ": cannot create: " + ec.message());
  if (!fs::is_empty(dir, ec) && !tarball && fs::exists(dir / snapshot::kManifest))
    fs::remove(dir / snapshot::kManifest, ec);  // rewritten at the end

  SnapshotResult result;
  json::value version;
  size_t done = 0;
  for (const auto& table : tables) {
    SnapshotResult::Table t;
    t.table = table;
    t.file = snapshot::file_for_table(table);
    fs::path path = dir / t.file;
    std::ofstream out = private_file(path);
    if (!out) return Error(path.string() + ": cannot write");
    Sha256 digest;  // of the file's bytes, for the manifest
    auto put = [&](std::string_view bytes) {
      out << bytes;
      digest.update(bytes);
    };
    put(snapshot::kListOpen);
    CancelToken budget;
    budget.deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(driver_timeout_seconds * 1000));
    std::string first_row;
    Status st = registry.scan_table(
        ScanSpec{table, {}, {}},
        [&](std::string_view batch) {
          bool whole = for_each_row_text(batch, [&](std::string_view row) {
            if (t.rows++) put(",\n");
            put(row);
            t.bytes += row.size();
            if (table == "k8s.version" && first_row.empty()) first_row = row;
          });
          if (!whole) return Status(Error("table " + table + ": a batch ended inside a row"));
          return out ? Status::Ok() : Status(Error(path.string() + ": write failed"));
        },
        &budget);
    put(snapshot::kListClose);
    out.close();
    t.sha256 = digest.hex();
    if (!st.ok()) {
      t.error = st.error().message();
      t.cause = st.error().cause();
      fs::remove(path, ec);
    } else if (!first_row.empty()) {
      version = json::parse(first_row, ec);
    }
    result.bytes += t.bytes;
    result.tables.push_back(std::move(t));
    if (progress) progress(++done, tables.size(), table);
  }

  json::object manifest;
  manifest["format"] = snapshot::kFormat;
  manifest["created"] = format_rfc3339(std::time(nullptr));
  manifest["cluster"] = json::object{{"version", version}};
  if (!cluster_name.empty()) manifest["cluster"].as_object()["name"] = cluster_name;
  json::array resources;
  for (const auto& t : result.tables)
    if (t.error.empty()) resources.emplace_back(
          json::object{{"table", t.table}, {"file", t.file}, {"count", t.rows}, {"sha256", t.sha256}});
  manifest["resources"] = std::move(resources);
  json::array failed;
  for (const auto& t : result.tables)
    if (!t.error.empty()) {
      json::object f{{"table", t.table}, {"error", t.error}};
      if (!t.cause.empty()) f["cause"] = t.cause;  // read back as the same "not checked" cause
      failed.emplace_back(std::move(f));
    }
  if (!failed.empty()) manifest["failed"] = std::move(failed);
  if (!scope.whole_cluster()) manifest["scope"] = scope_json(scope);
  if (!inputs.empty()) {
    auto with = copy_inputs(inputs, dir);
    if (!with) return std::move(with).error();
    manifest["with"] = std::move(*with);
  }
  {
    std::ofstream m = private_file(dir / snapshot::kManifest);
    m << json::serialize(manifest) << '\n';
    if (!m) return Error((dir / snapshot::kManifest).string() + ": write failed");
  }
  if (tarball) {
    Status st = pack(dir, output);
    fs::remove_all(dir, ec);
    if (!st.ok()) return st.error();
  }
  return result;
}

}  // namespace kinspect
