// The run's second stage: in what order tables are fetched and checks run.
//
// Every table is fetched once, with the union of the paths its checks read.
// Fetches go first, the table most checks read first (that is where the big
// tables are); a check is ready as soon as the tables it reads are in, so
// checks on small tables run while a large one is still being parsed.
// Checks whose query starts by walking the same table form shared scans
// (kcql::SteppedRun), split over the threads, so each range of rows is read
// from memory once for all of them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/run/prepare.h"

namespace kinspect {

// A unit of work after the fetches: one check on its own, or a share of the
// checks walking one table together.
struct Unit {
  std::vector<size_t> tasks;  // indexes into PreparedRun::tasks
  bool shared_scan = false;
};

struct Schedule {
  std::vector<ScanSpec> fetches;                // in fetch order
  std::map<std::string, size_t> fetch_of;       // scan key -> index in fetches
  std::map<std::string, size_t> readers;        // scan key -> checks that read it
  std::vector<std::vector<size_t>> waits_for;   // per task: the fetches it needs
  std::vector<Unit> units;                      // in the order their tables arrive
  std::set<std::string> object_fetches;         // scan keys of whole object tables (read_objects_with)
};

Schedule make_schedule(const std::vector<Task>& tasks, unsigned threads);

// Widens the fetches of Kubernetes object tables (a row kind, no arguments)
// that are read whole (no constraint narrows them) to `paths` too, and
// lists them in object_fetches. Nothing when `paths` is empty.
void read_objects_with(Schedule& schedule, const Catalog& catalog, const std::vector<std::string>& paths);

}  // namespace kinspect
