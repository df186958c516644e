#include "core/daemon/history.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/report/render.h"

namespace kinspect::daemon {

namespace fs = std::filesystem;

namespace {

std::string padded(uint64_t n) {
  std::string s = std::to_string(n);
  return std::string(s.size() < 8 ? 8 - s.size() : 0, '0') + s;
}

ReportEntry entry_of(const std::string& cluster, uint64_t sequence, const report::Report& r, uint64_t bytes) {
  return {cluster + "-" + padded(sequence), cluster, r.profile, r.generated_at, sequence, bytes, r.summary()};
}

// Writes `text` to `path` whole or not at all.
Status write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Error("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Error("cannot rename " + tmp.string() + ": " + ec.message());
  return {};
}

std::optional<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

History::History(std::string dir, size_t per_cluster, size_t max_bytes)
    : dir_(std::move(dir)), per_cluster_(std::max<size_t>(1, per_cluster)), max_bytes_(max_bytes) {}

std::vector<std::string> History::load() {
  std::vector<std::string> problems;
  if (dir_.empty()) return problems;
  std::error_code ec;
  const fs::path root = fs::path(dir_) / "reports";
  for (const auto& c : fs::directory_iterator(root, ec)) {
    if (!c.is_directory()) continue;
    const std::string cluster = c.path().filename().string();
    for (const auto& f : fs::directory_iterator(c.path(), ec)) {
      if (f.path().extension() != ".json") continue;  // a .tmp left by a crash is not a report
      auto text = read_whole(f.path().string());
      auto r = text ? report::parse_report_json(*text, f.path().string()) : Expected<report::Report>(Error("cannot read"));
      uint64_t seq = std::strtoull(f.path().stem().string().c_str(), nullptr, 10);
      if (!r || seq == 0) {
        problems.push_back(f.path().string() + ": " + (r ? "not a history file name" : r.error().message()));
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      ReportEntry e = entry_of(cluster, seq, *r, text->size());
      by_id_[e.id] = {e, f.path().string(), nullptr};
      next_sequence_[cluster] = std::max(next_sequence_[cluster], seq + 1);
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  enforce_bounds();
  return problems;
}

Expected<ReportEntry> History::add(const std::string& cluster, const report::Report& r) {
  std::string text = report::render_json(r);
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t& next = next_sequence_[cluster];
  if (next == 0) next = 1;
  ReportEntry e = entry_of(cluster, next++, r, text.size());
  Stored s{e, "", nullptr};
  if (dir_.empty()) {
    s.text = std::make_shared<const std::string>(std::move(text));
  } else {
    const fs::path folder = fs::path(dir_) / "reports" / cluster;
    std::error_code ec;
    fs::create_directories(folder, ec);
    const fs::path path = folder / (padded(e.sequence) + ".json");
    Status st = write_atomically(path, text);
    if (!st.ok()) return st.error();
    s.path = path.string();
  }
  by_id_[e.id] = std::move(s);
  enforce_bounds();
  return e;
}

void History::enforce_bounds() {
  // Oldest first: per cluster past N, then anything past the byte bound
  // (never the newest report of a cluster).
  std::vector<Stored*> all;
  for (auto& [id, s] : by_id_) all.push_back(&s);
  std::sort(all.begin(), all.end(), [](const Stored* a, const Stored* b) {
    return a->entry.cluster != b->entry.cluster ? a->entry.cluster < b->entry.cluster : a->entry.sequence > b->entry.sequence;
  });
  std::map<std::string, size_t> seen;
  std::vector<std::string> drop;
  uint64_t bytes = 0;
  for (Stored* s : all) {
    size_t rank = seen[s->entry.cluster]++;
    if (rank >= per_cluster_) drop.push_back(s->entry.id);
    else bytes += s->entry.bytes;
  }
  std::sort(all.begin(), all.end(), [](const Stored* a, const Stored* b) { return a->entry.generated_at < b->entry.generated_at; });
  for (Stored* s : all) {
    if (bytes <= max_bytes_) break;
    if (std::find(drop.begin(), drop.end(), s->entry.id) != drop.end()) continue;
    if (latest_unlocked(s->entry.cluster) == s->entry.id) continue;
    drop.push_back(s->entry.id);
    bytes -= s->entry.bytes;
  }
  for (const auto& id : drop) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    std::error_code ec;
    if (!it->second.path.empty()) fs::remove(it->second.path, ec);
    by_id_.erase(it);
  }
}

std::string History::latest_unlocked(const std::string& cluster) const {
  const Stored* best = nullptr;
  for (const auto& [id, s] : by_id_)
    if ((cluster.empty() || s.entry.cluster == cluster) && (!best || s.entry.generated_at > best->entry.generated_at ||
                                                            (s.entry.generated_at == best->entry.generated_at &&
                                                             s.entry.sequence > best->entry.sequence)))
      best = &s;
  return best ? best->entry.id : "";
}

std::vector<ReportEntry> History::list(const std::string& cluster) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ReportEntry> out;
  for (const auto& [id, s] : by_id_)
    if (cluster.empty() || s.entry.cluster == cluster) out.push_back(s.entry);
  std::sort(out.begin(), out.end(), [](const ReportEntry& a, const ReportEntry& b) {
    return a.generated_at != b.generated_at ? a.generated_at > b.generated_at : a.sequence > b.sequence;
  });
  return out;
}

std::optional<ReportEntry> History::latest(const std::string& cluster) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string id = latest_unlocked(cluster);
  if (id.empty()) return std::nullopt;
  return by_id_.at(id).entry;
}

std::optional<std::string> History::json(const std::string& id) const {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    if (it->second.text) return *it->second.text;
    path = it->second.path;
  }
  return read_whole(path);
}

uint64_t History::total_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t n = 0;
  for (const auto& [id, s] : by_id_) n += s.entry.bytes;
  return n;
}

}  // namespace kinspect::daemon
