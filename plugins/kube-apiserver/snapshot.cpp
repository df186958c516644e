#include "snapshot.h"

#include "catalog.h"
#include <kinspect/snapshot_format.h>
#include "splitter.h"
#include "objects.h"
#include "yaml_json.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include <openssl/evp.h>
#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;
namespace ks = kinspect::sdk;
namespace snap = kinspect::snapshot;

namespace kapi {

bool safe_member_path(const std::string& p) {
  if (p.empty() || p[0] == '/' || p[0] == '\\') return false;
  if (p.size() > 1 && p[1] == ':') return false;  // C:...
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t e = p.find_first_of("/\\", pos);
    if (e == std::string::npos) e = p.size();
    if (p.compare(pos, e - pos, "..") == 0 && e - pos == 2) return false;
    pos = e + 1;
  }
  return true;
}

namespace {

constexpr size_t kChunk = 256 * 1024;

// A table the snapshot does not hold is not empty, it is unknown: its checks
// are "not checked". `cause` is what the capture recorded ("not served",
// "forbidden"), else "not captured".
[[noreturn]] void throw_not_captured(const std::string& snapshot, const std::string& table, const std::string& why,
                                     const std::string& cause = "") {
  throw ks::Unavailable(cause.empty() ? "not captured" : cause, "snapshot " + snapshot + " lacks " + table + ": " + why);
}

std::string string_member(const boost::json::object& o, const char* key, const char* fallback) {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string(fallback);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string base_name(const std::string& p) {
  size_t s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}
bool ends_with(const std::string& s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
bool is_yaml(const std::string& p) {
  std::string l = lower(p);
  return ends_with(l, ".yaml") || ends_with(l, ".yml");
}
bool is_json(const std::string& p) { return ends_with(lower(p), ".json"); }
bool is_archive(const std::string& p) {
  std::string l = lower(p);
  return ends_with(l, ".tar.gz") || ends_with(l, ".tgz") || ends_with(l, ".tar");
}

// Sequential access to the files of a snapshot.
class Walker {
 public:
  virtual ~Walker() = default;
  // Advances to the next member; false at the end. `path` is relative.
  virtual bool next(std::string& path) = 0;
  // Reads from the current member; 0 at its end.
  virtual size_t read(char* buf, size_t n) = 0;
  // Called when a scan stops before the end: an archive still checks what
  // it has not read, since the gzip CRC covers the members already read.
  virtual void finish() {}
  std::string read_all() {
    std::string s;
    char buf[65536];
    size_t n;
    while ((n = read(buf, sizeof buf)) > 0) s.append(buf, n);
    return s;
  }
};

// Opens `rel` under `root` for reading, refusing what would read outside
// the snapshot or never end: a symbolic link that resolves outside the
// folder, a hard link to another user's file (a snapshot's files are its
// writer's), and anything that is not a regular file (a FIFO, /dev/zero).
// `root` empty: `rel` is a file the user named, taken as it is.
std::FILE* open_snapshot_file(const std::string& root, const std::string& rel, const ReadLimits& limits) {
  std::string full = root.empty() ? rel : root + "/" + rel;
  std::error_code ec;
  if (!root.empty()) {
    fs::path real = fs::weakly_canonical(full, ec), base = fs::weakly_canonical(root, ec);
    auto [b, r] = std::mismatch(base.begin(), base.end(), real.begin(), real.end());
    if (ec || b != base.end())
      throw std::runtime_error("refusing " + full + ": it is a link to " + real.string() +
                               ", outside the snapshot " + root);
  }
  int fd = ::open(full.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + full + ": " + std::strerror(errno));
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0) why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "not a regular file";
  else if (!root.empty() && st.st_nlink > 1 && st.st_uid != ::geteuid())
    why = "a hard link to a file of another user, not part of the snapshot";
  else if (static_cast<uint64_t>(st.st_size) > limits.max_member_bytes)
    why = "larger than " + std::to_string(limits.max_member_bytes >> 20) + " MiB (max_member_bytes)";
  if (!why.empty()) {
    ::close(fd);
    throw std::runtime_error("refusing " + full + ": " + why);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::FILE* f = ::fdopen(fd, "rb");
  if (!f) ::close(fd);
  return f;
}

class FileWalker : public Walker {
 public:
  FileWalker(std::vector<std::string> files, std::string root, const ReadLimits& limits, bool contained = true)
      : files_(std::move(files)), root_(std::move(root)), limits_(limits), contained_(contained) {}
  ~FileWalker() override { close(); }
  bool next(std::string& path) override {
    close();
    if (i_ >= files_.size()) return false;
    path = files_[i_++];
    current_ = root_.empty() ? path : root_ + "/" + path;
    f_ = contained_ ? open_snapshot_file(root_, path, limits_) : open_snapshot_file("", current_, limits_);
    if (!f_) throw std::runtime_error("cannot open " + current_ + ": " + std::strerror(errno));
    return true;
  }
  size_t read(char* buf, size_t n) override {
    if (!f_) return 0;
    size_t r = std::fread(buf, 1, n, f_);
    if (r == 0 && std::ferror(f_)) throw std::runtime_error(current_ + ": read error: " + std::strerror(errno));
    total_ += r;
    if (total_ > limits_.max_snapshot_bytes)
      throw std::runtime_error(current_ + ": the snapshot holds more than " +
                               std::to_string(limits_.max_snapshot_bytes >> 20) +
                               " MiB (max_snapshot_bytes): refusing the rest");
    return r;
  }

 private:
  void close() {
    if (f_) std::fclose(f_);
    f_ = nullptr;
  }
  std::vector<std::string> files_;
  std::string root_, current_;
  ReadLimits limits_;
  bool contained_;
  size_t i_ = 0;
  uint64_t total_ = 0;
  std::FILE* f_ = nullptr;
};

// The bytes of a snapshot archive as tar reads them. gzip is inflated here
// with zlib, which checks the CRC and length in each gzip trailer
// (libarchive's own gzip reader does not), and every decompressed byte is
// counted against the limits: a gzip bomb ends after a few MiB, not after
// gigabytes. The CRC covers the whole stream and is known only at its end,
// so a scan that has its rows still reads the rest (Walker::finish): a
// damaged archive fails every table rather than giving corrupt rows.
class ArchiveSource {
 public:
  ArchiveSource(const std::string& file, const ReadLimits& limits) : file_(file), limits_(limits) {
    ReadLimits any_size = limits;
    any_size.max_member_bytes = UINT64_MAX;  // the archive itself: max_snapshot_bytes bounds what it holds
    f_ = open_snapshot_file("", file, any_size);  // a regular file: never wait on a FIFO
    in_.resize(kChunk);
    out_.resize(kChunk);
    size_t n = std::fread(in_.data(), 1, in_.size(), f_);
    zs_.next_in = in_.data();
    zs_.avail_in = static_cast<uInt>(n);
    in_total_ = n;
    gz_ = n >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    if (gz_ && inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error(file + ": zlib: cannot start");
  }
  ~ArchiveSource() {
    if (gz_) inflateEnd(&zs_);
    if (f_) std::fclose(f_);
  }
  // libarchive's read callback: bytes in *out, 0 at the end, -1 on error.
  static la_ssize_t callback(archive* a, void* self, const void** out) {
    auto* src = static_cast<ArchiveSource*>(self);
    la_ssize_t n = src->next(out);
    if (n < 0) archive_set_error(a, EIO, "%s", src->error_.c_str());
    return n;
  }
  // Reads what is left of the stream, so that the last gzip trailer is checked.
  void drain() {
    const void* p;
    la_ssize_t n;
    while ((n = next(&p)) > 0) {
    }
    if (n < 0) throw std::runtime_error(error_);
  }
  const std::string& error() const { return error_; }

 private:
  la_ssize_t next(const void** out);
  la_ssize_t inflate_some(const void** out);
  bool refill();
  la_ssize_t fail(const std::string& why) {
    error_ = file_ + ": " + why;
    return -1;
  }

  std::string file_;
  ReadLimits limits_;
  std::FILE* f_ = nullptr;
  bool gz_ = false, in_eof_ = false, stream_end_ = false, raw_first_ = true;
  z_stream zs_{};
  std::vector<unsigned char> in_, out_;
  uint64_t in_total_ = 0, out_total_ = 0;
  std::string error_;
};

bool ArchiveSource::refill() {
  if (in_eof_) return false;
  size_t n = std::fread(in_.data(), 1, in_.size(), f_);
  if (n == 0) {
    in_eof_ = true;
    return false;
  }
  in_total_ += n;
  zs_.next_in = in_.data();
  zs_.avail_in = static_cast<uInt>(n);
  return true;
}

la_ssize_t ArchiveSource::next(const void** out) {
  if (!error_.empty()) return -1;
  la_ssize_t n = 0;
  if (!gz_) {
    // A plain tar: the bytes already read first, then the rest of the file.
    if (!raw_first_ && !refill()) return std::ferror(f_) ? fail("read error") : 0;
    raw_first_ = false;
    *out = zs_.next_in;
    n = static_cast<la_ssize_t>(zs_.avail_in);
    zs_.avail_in = 0;
  } else {
    n = inflate_some(out);
    if (n <= 0) return n;
  }
  out_total_ += static_cast<uint64_t>(n);
  if (out_total_ > limits_.max_snapshot_bytes)
    return fail("more than " + std::to_string(limits_.max_snapshot_bytes >> 20) +
                " MiB decompressed (max_snapshot_bytes): refusing the rest");
  if (gz_ && out_total_ > limits_.ratio_after_bytes && out_total_ > limits_.max_compression_ratio * in_total_)
    return fail("decompresses to more than " + std::to_string(limits_.max_compression_ratio) +
                " times its size (max_compression_ratio), which no snapshot does: refusing it (a gzip bomb?)");
  return n;
}

la_ssize_t ArchiveSource::inflate_some(const void** out) {
  for (;;) {
    if (stream_end_) {
      // Another gzip member may follow (as `cat a.gz b.gz` makes); anything else ends the data.
      if (zs_.avail_in == 0 && !refill()) return 0;
      if (zs_.avail_in < 2 || zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b) return 0;
      inflateReset(&zs_);
      stream_end_ = false;
    }
    if (zs_.avail_in == 0 && !refill()) {
      if (std::ferror(f_)) return fail("read error");
      return fail("the gzip data ends early (a truncated archive)");
    }
    zs_.next_out = out_.data();
    zs_.avail_out = static_cast<uInt>(out_.size());
    int rc = inflate(&zs_, Z_NO_FLUSH);
    size_t produced = out_.size() - zs_.avail_out;
    if (rc == Z_STREAM_END) stream_end_ = true;
    else if (rc != Z_OK && rc != Z_BUF_ERROR)
      return fail(std::string("corrupt gzip data (") + (zs_.msg ? zs_.msg : "inflate error") + ")");
    if (produced > 0) {
      *out = out_.data();
      return static_cast<la_ssize_t>(produced);
    }
  }
}

class ArchiveWalker : public Walker {
 public:
  ArchiveWalker(const std::string& file, const ReadLimits& limits)
      : file_(file), limits_(limits), src_(std::make_unique<ArchiveSource>(file, limits)) {
    a_ = archive_read_new();
    archive_read_support_format_tar(a_);
    archive_read_support_format_gnutar(a_);
    if (archive_read_open(a_, src_.get(), nullptr, &ArchiveSource::callback, nullptr) != ARCHIVE_OK) {
      std::string e = err();
      archive_read_free(a_);
      a_ = nullptr;
      throw std::runtime_error("cannot open snapshot archive " + file + ": " + e);
    }
  }
  ~ArchiveWalker() override {
    if (a_) archive_read_free(a_);
  }
  bool next(std::string& path) override {
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(a_, &e);
      if (r == ARCHIVE_EOF) {
        finish();  // the tar ended: the gzip trailer still vouches for it
        return false;
      }
      if (r < ARCHIVE_WARN) throw std::runtime_error(failure());
      const char* name = archive_entry_pathname(e);
      std::string p = name ? name : "";
      if (!safe_member_path(p))
        throw std::runtime_error(file_ + ": refusing archive member with an absolute or '..' path: " + p);
      refuse_links(e, p);
      if (archive_entry_filetype(e) != AE_IFREG) continue;
      if (archive_entry_size_is_set(e) && static_cast<uint64_t>(archive_entry_size(e)) > limits_.max_member_bytes)
        throw std::runtime_error(file_ + ": member " + p + " is larger than " +
                                 std::to_string(limits_.max_member_bytes >> 20) + " MiB (max_member_bytes): refusing it");
      while (p.rfind("./", 0) == 0) p = p.substr(2);
      path = p;
      return true;
    }
  }
  size_t read(char* buf, size_t n) override {
    la_ssize_t r = archive_read_data(a_, buf, n);
    if (r < 0) throw std::runtime_error(failure());
    return static_cast<size_t>(r);
  }
  void finish() override {
    if (!drained_) src_->drain();
    drained_ = true;
  }

 private:
  // A snapshot holds regular files: a link may point anywhere (/etc/passwd),
  // and what it points to is not part of the snapshot.
  void refuse_links(archive_entry* e, const std::string& p) const {
    const char* sym = archive_entry_symlink(e);
    const char* hard = archive_entry_hardlink(e);
    if (sym || hard || archive_entry_filetype(e) == AE_IFLNK)
      throw std::runtime_error(file_ + ": refusing archive member " + p + ", a " +
                               (hard ? "hard" : "symbolic") + " link to " + (hard ? hard : sym ? sym : "?") +
                               ": a snapshot holds regular files only");
  }
  // The source's own error (CRC, truncation, a limit) says more than tar's.
  std::string failure() const {
    if (!src_->error().empty()) return src_->error();
    return file_ + ": " + err();
  }
  std::string err() const {
    const char* s = archive_error_string(a_);
    return s ? s : "archive error";
  }
  std::string file_;
  ReadLimits limits_;
  std::unique_ptr<ArchiveSource> src_;
  archive* a_ = nullptr;
  bool drained_ = false;
};

// The manifest of an archive whose first regular member is not the manifest
// (a `tar czf x.tar.gz dir/` keeps the folder's order): its path and text.
// Costs a pass over the archive up to it; nullopt when the manifest comes
// first (the scan reads it as it streams by) or there is none.
std::optional<std::pair<std::string, std::string>> find_late_manifest(const std::string& file, const ReadLimits& limits) {
  ArchiveWalker w(file, limits);
  std::string p;
  for (bool first = true; w.next(p); first = false) {
    if (base_name(p) != snap::kManifest || std::count(p.begin(), p.end(), '/') > 1) continue;
    if (first) return std::nullopt;
    return std::make_pair(p, w.read_all());
  }
  return std::nullopt;
}

std::vector<std::string> list_dir(const std::string& root) {
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.push_back(fs::relative(it->path(), root).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A manifest entry's "count", when it is a whole number.
std::optional<uint64_t> manifest_count(const boost::json::object& entry) {
  auto* n = entry.if_contains("count");
  if (n && n->is_uint64()) return n->as_uint64();
  if (n && n->is_int64() && n->as_int64() >= 0) return static_cast<uint64_t>(n->as_int64());
  return std::nullopt;
}

// A manifest entry's "sha256" (64 hex digits), or "" when it has none.
std::string manifest_sha256(const boost::json::object& entry, const std::string& where) {
  auto* d = entry.if_contains("sha256");
  if (!d) return {};
  bool hex = d->is_string() && d->as_string().size() == 64 &&
             std::all_of(d->as_string().begin(), d->as_string().end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (!hex) throw std::runtime_error(where + ": field 'sha256' must be 64 lowercase hex digits");
  return std::string(d->as_string());
}

// The SHA-256 of a member as it is read, to compare with the manifest's.
class MemberDigest {
 public:
  MemberDigest() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("cannot start a SHA-256 digest (OpenSSL)");
  }
  ~MemberDigest() { EVP_MD_CTX_free(ctx_); }
  MemberDigest(const MemberDigest&) = delete;
  MemberDigest& operator=(const MemberDigest&) = delete;
  void update(const char* p, size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, md, &n);
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      out += "0123456789abcdef"[md[i] >> 4];
      out += "0123456789abcdef"[md[i] & 15];
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

bool is_special_file(const std::string& base) {
  return base == snap::kManifest || base == snap::kVersionFile || base == snap::kApiResourcesFile ||
         base == "api_resources.json" || base == "readyz.json" || base == "livez.json" ||
         base == "deprecated_api_requests.json" || base == "helm_release_objects.json";
}

// The table a member's file name conventionally holds ("pods.json" -> k8s.pods).
std::string table_of_file(const std::string& base) {
  std::string b = lower(base);
  for (std::string_view ext : {".json", ".yaml", ".yml"})
    if (ends_with(b, ext)) {
      b.resize(b.size() - ext.size());
      break;
    }
  if (b == "api-resources") b = "api_resources";
  std::string t = "k8s." + b;
  if (find_by_table(t)) return t;
  for (std::string_view s : kServerFactTables)
    if (t == s) return t;
  return {};
}

// The table whose files hold a target's objects: k8s.resource('apps/v1',
// 'deployments') reads k8s.deployments, and ('metrics.k8s.io/v1beta1',
// 'nodes') reads k8s.node_metrics, not k8s.nodes.
std::string table_of_target(const Target& t) {
  if (t.table != "k8s.resource") return t.table;
  if (const Resource* r = find_by_resource(t.group_version, t.resource)) return r->table;
  return "k8s." + t.resource;
}

class SnapshotScan : public ks::Scan {
 public:
  SnapshotScan(std::unique_ptr<Walker> w, Target t, RowOptions opts, std::string display_root,
               std::vector<std::string> only_files, std::vector<std::string> skip_files,
               std::string manifest_version, bool by_name = true)
      : by_name_(by_name),
        w_(std::move(w)),
        t_(std::move(t)),
        opts_(opts),
        root_(std::move(display_root)),
        only_(std::move(only_files)),
        skip_(std::move(skip_files)),
        manifest_version_(std::move(manifest_version)),
        buf_(kChunk) {
    file_table_ = table_of_target(t_);
    generic_ = t_.table == "k8s.resource";
    objects_ = t_.special == Target::kObjects;
  }

  CancelCheck cancel_;
  bool archive_ = false;  // a tarball: learn the manifest when it streams by
  std::shared_ptr<const Scope> scope_;  // the run's scope, when it narrows anything
  std::map<std::string, uint64_t> counts_;  // member path -> objects the manifest says it holds
  std::map<std::string, std::string> digests_;  // member path -> its SHA-256 in the manifest
  // A manifest that is not the archive's first member (`tar czf x dir/`),
  // found before the scan: members before it are then routed by it too.
  void preload_manifest(const std::string& p, const std::string& text) { read_manifest(p, text, true); }

  bool next(ks::BatchWriter& out) override {
    cancel_.check();
    while (!out.full()) {
      if (!open_) {
        if (done_) {
          w_->finish();  // what was read is vouched for only by the end of the archive
          return end_of_scan(out);
        }
        std::string p;
        if (!w_->next(p)) return end_of_scan(out);
        if (!select(p, out)) continue;
      }
      if (yaml_) {
        std::string json;
        if (!yaml_->next(json)) {
          yaml_.reset();
          open_ = false;
          member_done();
          continue;
        }
        ListSplitter s(yaml_name_);
        s.feed(json.data(), json.size(), sink(out));
        s.finish(sink(out));
        continue;
      }
      size_t n = w_->read(buf_.data(), buf_.size());
      if (n == 0) {
        splitter_->finish(sink(out));
        check_count();
        check_digest();
        open_ = false;
        splitter_.reset();
        member_done();
        continue;
      }
      if (digest_) digest_->update(buf_.data(), n);
      splitter_->feed(buf_.data(), n, sink(out));
    }
    return true;
  }

 private:
  ListSplitter::Sink sink(ks::BatchWriter& out) {
    return [this, &out](const SplitItem& it) {
      // Rows of the special tables are not Kubernetes objects: no identity.
      const bool objects = t_.special == Target::kNone || objects_;
      ItemIdentity id = objects ? identify(it, hint_kind_, hint_api_) : ItemIdentity{};
      if (!matches(id)) return;
      if (scope_ && objects && !in_scope(it)) return;
      if (objects_) {
        const Resource* r = find_by_table(own_table_);
        std::string resource = r ? r->resource : own_table_.size() > 4 ? own_table_.substr(4) : lower(guess_plural(id.kind));
        write_item_with(out, it, id, opts_, object_members(resource, display_));
      } else {
        write_item(out, it, id, opts_);
      }
      ++rows_;
    };
  }

  // Read as a LIST narrowed to the scope would have answered.
  bool in_scope(const SplitItem& it) const {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(it.json, ec);
    if (ec || !v.is_object()) return true;  // not ours to judge: the row is written as it is
    const boost::json::value* meta = v.as_object().if_contains("metadata");
    return !meta || scope_->admits(*meta);
  }

  bool matches(const ItemIdentity& id) const {
    // A List's own envelope (`kind: List` after its items) is no object.
    if (objects_) return !id.kind.empty() && !ends_with(id.kind, "List");
    if (accept_all_) return true;
    if (t_.special != Target::kNone) return false;
    if (!t_.kind.empty()) return id.kind == t_.kind;
    if (!t_.group_version.empty() && id.api_version != t_.group_version) return false;
    return !id.kind.empty() && (guess_plural(id.kind) == t_.resource || lower(id.kind) == t_.resource);
  }

  // The manifest `text` of member `p`: the cluster version, and with
  // `learn` which members hold this table (once they are read, the rest
  // need not be parsed) and how many objects each holds.
  void read_manifest(const std::string& p, const std::string& text, bool learn) {
    std::string where = root_ + ":" + p;
    boost::json::value v;
    try {
      v = boost::json::parse(text);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": invalid JSON: " + e.what());
    }
    if (!v.is_object()) throw std::runtime_error(where + ": not a JSON object");
    if (auto* c = v.as_object().if_contains("cluster"); c && c->is_object())
      if (auto* ver = c->as_object().if_contains("version")) manifest_version_ = boost::json::serialize(*ver);
    if (!learn) return;
    std::string prefix = p.substr(0, p.size() - base_name(p).size());
    if (auto* r = v.as_object().if_contains("resources"); r && r->is_array())
      for (auto& e : r->as_array()) {
        auto* eo = e.if_object();
        auto* t = eo ? eo->if_contains("table") : nullptr;
        auto* f = eo ? eo->if_contains("file") : nullptr;
        if (!t || !f || !t->is_string() || !f->is_string()) continue;
        std::string file(f->as_string());
        if (!safe_member_path(file)) throw std::runtime_error(where + ": refusing absolute or '..' path " + file);
        bool ours = objects_ ? is_object_table(t->as_string()) : t->as_string() == file_table_;
        (ours ? only_ : skip_).push_back(prefix + file);
        if (auto count = manifest_count(*eo)) counts_[prefix + file] = *count;
        if (auto sum = manifest_sha256(*eo, where + ": resources entry for " + file); !sum.empty())
          digests_[prefix + file] = sum;
      }
    if (auto* f = v.as_object().if_contains("failed"); f && f->is_array())
      for (auto& e : f->as_array())
        if (auto* eo = e.if_object(); !objects_ && eo && eo->contains("table") && eo->at("table") == file_table_.c_str())
          throw_not_captured(root_, file_table_, string_member(*eo, "error", "unknown error"),
                             string_member(*eo, "cause", ""));
    manifest_mode_ = true;
    remaining_ = only_.size();
    if (only_.empty() && (t_.special == Target::kNone || objects_)) done_ = true;  // not captured (end_of_scan says so)
  }

  // Decides whether to read member `p`, and opens it if so.
  bool select(const std::string& p, ks::BatchWriter& out) {
    std::string base = base_name(p);
    std::string own = file_table(p);
    accept_all_ = false;
    hint_kind_.clear();
    hint_api_.clear();
    listed_ = false;
    if (base == snap::kManifest) {
      bool learn = archive_ && only_.empty() && !manifest_mode_;
      if ((t_.special == Target::kVersion && manifest_version_.empty()) || learn) read_manifest(p, w_->read_all(), learn);
      return false;
    }
    if (t_.special == Target::kReadyz || t_.special == Target::kLivez) {
      const char* txt = t_.special == Target::kReadyz ? "readyz.txt" : "livez.txt";
      if (base == txt && rows_ == 0) {
        own_member_seen_ = true;
        std::string text = w_->read_all();
        size_t before = out.size();
        write_health_rows(out, text);
        if (out.size() != before) ++rows_;
        return false;
      }
    }
    if (!only_.empty()) {
      if (std::find(only_.begin(), only_.end(), p) == only_.end()) return false;
      accept_all_ = !generic_;
      listed_ = true;
      own_member_seen_ = true;
    } else {
      if (std::find(skip_.begin(), skip_.end(), p) != skip_.end()) return false;
      if (by_name_ && !is_json(p) && !is_yaml(p)) return false;
      if (own == file_table_) {
        // The file conventionally holding this table: items without a kind are ours.
        own_member_seen_ = true;
        if (t_.special != Target::kNone) accept_all_ = true;
      } else if (objects_) {
        // Every file of objects: not the server's facts (version.json).
        if ((!own.empty() && !is_object_table(own)) || (by_name_ && is_special_file(base))) return false;
        own_member_seen_ = true;
      } else if (!own.empty()) {
        return false;  // another table's file
      } else if ((by_name_ && is_special_file(base)) || t_.special != Target::kNone) {
        return false;
      }
    }
    own_table_ = objects_ ? own : file_table_;
    if (const Resource* r = find_by_table(own_table_)) {
      hint_kind_ = r->kind;
      hint_api_ = r->group_version();
    }
    current_ = p;
    display_ = p.rfind(root_ + "/", 0) == 0 ? p.substr(root_.size() + 1) : p;
    digest_.reset();
    if (digests_.count(p)) digest_ = std::make_unique<MemberDigest>();
    std::string display = root_.empty() ? p : root_ + "/" + p;
    if (is_yaml(p)) {
      yaml_ = std::make_unique<YamlReader>(
          [this](char* b, size_t n) {
            size_t got = w_->read(b, n);
            if (digest_) digest_->update(b, got);
            if (got == 0) check_digest();
            return got;
          },
          display);
      yaml_name_ = display;
      open_ = true;
      return true;
    }
    splitter_ = std::make_unique<ListSplitter>(display);
    splitter_->skip_unread_strings(opts_.read_paths);
    open_ = true;
    return true;
  }

  // A file that holds fewer (or more) objects than the manifest says was
  // cut short or changed after the snapshot was taken.
  void check_count() const {
    auto c = counts_.find(current_);
    if (c == counts_.end() || c->second == splitter_->items()) return;
    throw std::runtime_error(root_ + "/" + current_ + " holds " + std::to_string(splitter_->items()) +
                             " objects but the manifest says " + std::to_string(c->second) +
                             ": the file is incomplete or was changed");
  }

  // A file whose bytes differ from those the manifest vouches for was
  // damaged or edited after the snapshot was taken; its rows are not used.
  void check_digest() {
    auto d = digests_.find(current_);
    if (d == digests_.end() || !digest_) return;
    std::string got = digest_->hex();
    digest_.reset();
    if (got != d->second)
      throw std::runtime_error(root_ + "/" + current_ + ": SHA-256 " + got + " differs from the manifest's " +
                               d->second + ": the file was damaged or changed after the snapshot was taken");
  }

  void member_done() {
    if (manifest_mode_ && listed_ && remaining_ > 0 && --remaining_ == 0) done_ = true;
    listed_ = false;
  }

  std::string file_table(const std::string& p) const { return by_name_ ? table_of_file(base_name(p)) : std::string(); }

  bool end_of_scan(ks::BatchWriter& out) {
    if (t_.special == Target::kVersion && rows_ == 0 && !manifest_version_.empty() && manifest_version_ != "null") {
      out.raw_row(manifest_version_);
      return false;
    }
    // No file named for the table, none the manifest lists, and no object
    // of its kind anywhere: the snapshot says nothing about this table.
    if (rows_ == 0 && !own_member_seen_)
      throw_not_captured(root_, file_table_,
                         manifest_mode_ ? "its manifest does not list it"
                                        : "no file is named for it and no object in the snapshot is of its kind");
    return false;
  }

  bool by_name_;
  std::string file_table_;  // the table whose files this scan reads ("k8s.resource" -> "k8s.<plural>")
  bool generic_ = false;
  bool objects_ = false;    // k8s.objects: every object of every file of objects
  std::string own_table_;   // the table the member being read holds, if known
  std::string display_;     // the member being read, relative to the snapshot
  std::unique_ptr<Walker> w_;
  Target t_;
  RowOptions opts_;
  std::string root_;
  std::vector<std::string> only_, skip_;
  std::string manifest_version_;
  std::vector<char> buf_;
  std::unique_ptr<ListSplitter> splitter_;
  std::unique_ptr<YamlReader> yaml_;
  std::string yaml_name_;
  bool open_ = false;
  bool accept_all_ = false;
  bool manifest_mode_ = false, listed_ = false, done_ = false;
  bool own_member_seen_ = false;  // a member listed for, or named for, this table
  size_t remaining_ = 0;
  std::string hint_kind_, hint_api_;
  size_t rows_ = 0;
  std::string current_;  // the member being read
  std::unique_ptr<MemberDigest> digest_;  // of current_, when the manifest gives one
};

}  // namespace

Snapshot::Snapshot(std::string path, RowOptions opts, const ks::Host& host, ReadLimits limits)
    : path_(std::move(path)), opts_(opts), limits_(limits), host_(host) {
  std::error_code ec;
  auto st = fs::status(path_, ec);
  if (ec || !fs::exists(st)) throw std::runtime_error("snapshot not found: " + path_);
  if (fs::is_directory(st)) {
    kind_ = Kind::kDir;
    fs::path m = fs::path(path_) / std::string(snap::kManifest);
    if (fs::exists(fs::symlink_status(m))) {
      FileWalker manifest({std::string(snap::kManifest)}, path_, limits_);
      std::string name;
      manifest.next(name);
      boost::json::value v;
      try {
        v = boost::json::parse(manifest.read_all());
      } catch (const std::exception& e) {
        throw std::runtime_error(m.string() + ": invalid JSON: " + e.what());
      }
      if (!v.is_object()) throw std::runtime_error(m.string() + ": not a JSON object");
      auto& o = v.as_object();
      if (auto* f = o.if_contains("format"); f && f->is_string() && f->as_string() != snap::kFormat)
        host_.warn(m.string() + ": unknown snapshot format '" + std::string(f->as_string()) + "', reading anyway");
      if (auto* c = o.if_contains("cluster"); c && c->is_object())
        if (auto* ver = c->as_object().if_contains("version")) manifest_version_ = boost::json::serialize(*ver);
      if (auto* r = o.if_contains("resources"); r && r->is_array()) {
        size_t i = 0;
        for (auto& e : r->as_array()) {
          auto* eo = e.if_object();
          auto* t = eo ? eo->if_contains("table") : nullptr;
          auto* f = eo ? eo->if_contains("file") : nullptr;
          if (!t || !f || !t->is_string() || !f->is_string())
            throw std::runtime_error(m.string() + ": field 'resources[" + std::to_string(i) +
                                     "]' needs string 'table' and 'file'");
          std::string file(f->as_string());
          if (!safe_member_path(file))
            throw std::runtime_error(m.string() + ": field 'resources[" + std::to_string(i) +
                                     "].file': refusing absolute or '..' path " + file);
          if (auto count = manifest_count(*eo)) manifest_counts_[file] = *count;
          if (auto sum = manifest_sha256(*eo, m.string() + ": field 'resources[" + std::to_string(i) + "]'");
              !sum.empty())
            manifest_digests_[file] = sum;
          manifest_files_.emplace_back(std::string(t->as_string()), file);
          manifest_tables_.push_back(std::string(t->as_string()));
          ++i;
        }
      }
      if (auto* f = o.if_contains("failed"); f && f->is_array())
        for (auto& e : f->as_array())
          if (auto* eo = e.if_object(); eo && eo->contains("table") && eo->at("table").is_string())
            manifest_failed_.push_back({std::string(eo->at("table").as_string()),
                                        string_member(*eo, "error", "unknown error"), string_member(*eo, "cause", "")});
      has_manifest_ = true;
    } else if (list_dir(path_).empty()) {
      throw std::runtime_error("snapshot " + path_ + " is empty: it has no manifest.json and no files to read");
    }
  } else if (is_archive(path_)) {
    kind_ = Kind::kArchive;
    // A manifest written first (as the snapshot writer does) names the
    // tables: read just that member, for the table list. Problems with the
    // archive are reported by the scans, not here.
    try {
      ArchiveWalker w(path_, limits_);
      std::string first;
      if (w.next(first) && base_name(first) == snap::kManifest) {
        auto v = boost::json::parse(w.read_all());
        if (auto* o = v.if_object())
          if (auto* r = o->if_contains("resources"); r && r->is_array())
            for (auto& e : r->as_array())
              if (auto* eo = e.if_object(); eo && eo->contains("table") && eo->at("table").is_string())
                manifest_tables_.emplace_back(eo->at("table").as_string());
      }
    } catch (const std::exception& e) {
      host_.log(KI_LOG_DEBUG, "kube-apiserver", path_ + ": no manifest read up front: " + e.what());
    }
  } else if (is_yaml(path_)) {
    kind_ = Kind::kYaml;
  } else {
    kind_ = Kind::kJson;
  }
}

std::unique_ptr<ks::Scan> Snapshot::scan(const Target& t, CancelCheck cancel, RowOptions opts, bool scoped) {
  std::vector<std::string> only, skip;
  std::unique_ptr<Walker> w;
  std::string root;
  switch (kind_) {
    case Kind::kDir: {
      std::string lookup = table_of_target(t);
      for (const auto& f : manifest_failed_)
        if (f.table == lookup) throw_not_captured(path_, f.table, f.why, f.cause);
      if (has_manifest_ && t.special == Target::kNone &&
          std::none_of(manifest_files_.begin(), manifest_files_.end(), [&](const auto& tf) { return tf.first == lookup; }))
        throw_not_captured(path_, lookup, "its manifest does not list it");
      for (auto& [table, file] : manifest_files_) {
        bool ours = t.special == Target::kObjects ? is_object_table(table) : table == lookup;
        (ours ? only : skip).push_back(file);
      }
      std::vector<std::string> files;
      if (!only.empty()) {
        for (const auto& f : only)
          if (!fs::exists(fs::path(path_) / f))
            throw std::runtime_error(path_ + "/" + std::string(snap::kManifest) + " lists " + f +
                                     " for " + t.table + " but the file is missing");
        files = only;
        // The manifest itself still feeds k8s.version's fallback.
      } else if (!has_manifest_) {
        files = list_dir(path_);  // a folder of manifests: route every file by kind
      } else {
        // With a manifest, a table it does not list was not captured: no
        // rows. Only the snapshot's optional files (version.json, readyz.txt,
        // ...) are still read; other files in the folder (notes,
        // planted.json) never are.
        for (std::string_view f : {snap::kVersionFile, snap::kReadyzFile, snap::kLivezFile, snap::kApiResourcesFile})
          if (fs::exists(fs::path(path_) / f)) files.emplace_back(f);
      }
      root = path_;
      w = std::make_unique<FileWalker>(std::move(files), path_, limits_);
      break;
    }
    case Kind::kArchive: {
      auto scan = std::make_unique<SnapshotScan>(std::make_unique<ArchiveWalker>(path_, limits_), t, opts, path_,
                                                 std::vector<std::string>{}, std::vector<std::string>{},
                                                 manifest_version_);
      scan->archive_ = true;
      scan->cancel_ = cancel;
      scan->scope_ = scoped ? scope_ : nullptr;
      if (auto late = find_late_manifest(path_, limits_)) scan->preload_manifest(late->first, late->second);
      return scan;
    }
    case Kind::kJson:
    case Kind::kYaml: {
      fs::path p(path_);
      root = p.parent_path().string();
      w = std::make_unique<FileWalker>(std::vector<std::string>{p.filename().string()}, root, limits_, false);
      // A single file holds whatever it holds: route by kind, never by name.
      Target tt = t;
      auto scan = std::make_unique<SnapshotScan>(std::move(w), std::move(tt), opts, root, std::vector<std::string>{},
                                                 std::vector<std::string>{}, manifest_version_, false);
      scan->cancel_ = cancel;
      scan->scope_ = scoped ? scope_ : nullptr;
      return scan;
    }
  }
  auto scan = std::make_unique<SnapshotScan>(std::move(w), t, opts, root, std::move(only), std::move(skip),
                                             manifest_version_);
  scan->cancel_ = cancel;
  scan->scope_ = scoped ? scope_ : nullptr;
  scan->counts_ = manifest_counts_;
  scan->digests_ = manifest_digests_;
  return scan;
}

}  // namespace kapi
