// The reports a daemon keeps: the last N per cluster, all of them together
// under a size bound, on disk under <state-dir>/reports/<cluster>/ so a
// restart loses nothing. Each report is its JSON form (render_json), written
// to a temporary file and renamed into place, so a crash leaves the old
// history or the new one, never half a report.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/report/report.h"

namespace kinspect::daemon {

// What the list endpoints show of a report without reading it.
struct ReportEntry {
  std::string id;  // "<cluster>-<sequence>", unique over restarts
  std::string cluster, profile, generated_at;
  uint64_t sequence = 0;
  uint64_t bytes = 0;
  report::Summary summary;
};

class History {
 public:
  // dir "" keeps reports in memory only.
  History(std::string dir, size_t per_cluster, size_t max_bytes);

  // Reads what an earlier run of the daemon left; the files it could not
  // read (named, with the reason), which it leaves where they are.
  std::vector<std::string> load();

  // Stores `r` (rendered once, as JSON); its entry. Drops the oldest past the bounds.
  Expected<ReportEntry> add(const std::string& cluster, const report::Report& r);

  std::vector<ReportEntry> list(const std::string& cluster) const;  // newest first; "" = every cluster
  std::optional<ReportEntry> latest(const std::string& cluster) const;
  // The report's JSON text, or nothing for an unknown id.
  std::optional<std::string> json(const std::string& id) const;
  uint64_t total_bytes() const;

 private:
  struct Stored {
    ReportEntry entry;
    std::string path;  // "" in memory
    std::shared_ptr<const std::string> text;  // in memory only
  };
  void enforce_bounds();                                        // with mutex_ held
  std::string latest_unlocked(const std::string& cluster) const;  // with mutex_ held
  std::string dir_;
  size_t per_cluster_, max_bytes_;
  mutable std::mutex mutex_;
  std::map<std::string, Stored> by_id_;
  std::map<std::string, uint64_t> next_sequence_;  // per cluster
};

}  // namespace kinspect::daemon
