// The labels and annotations of the objects a report's findings name, read
// through the run's drivers, and the waivers applied with them: shared by
// `kinspect run` and `kinspect serve`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/plugin/registry.h"
#include "core/report/report.h"
#include "core/waiver/waiver.h"

namespace kinspect::waiver {

// The metadata of the objects of the report's findings whose kinds have a
// k8s.* table. `narrow`: the source answers each read with a new request (a
// live cluster, not watched), so ask as narrowly as the findings allow;
// otherwise (a snapshot, or tables a daemon keeps current with WATCH) read
// each table whole, once. `labels`: some waiver selects by label, so every
// object's labels are wanted; otherwise only the objects that carry the
// kinspect.io/waive annotation are read into the index. A table that cannot
// be read is warned about: its objects then have no labels or annotations.
class RunObjects;
ObjectIndex read_finding_objects(PluginRegistry& reg, const report::Report& rep, bool narrow, bool labels,
                                 const RunObjects* run_objects = nullptr);

// What the waivers want of the object tables the run itself reads, taken
// when the run is done with each (RunConfig::on_object_table), so that no
// table is read a second time for the waivers: at 150,000 pods that second
// read cost a quarter of the run.
class RunObjects {
 public:
  // `labels`: as for read_finding_objects.
  RunObjects(const Catalog& catalog, bool labels) : catalog_(catalog), labels_(labels) {}
  // The paths the run must read its object tables with (RunConfig::object_paths).
  std::vector<std::string> paths() const;
  // The wanted rows of `table`, read with paths(). Safe from several threads.
  void take(const std::string& table, std::shared_ptr<const TableData> data);
  // take() as RunConfig::on_object_table; `this` must outlive the run.
  std::function<void(const std::string&, std::shared_ptr<const TableData>)> taker() {
    return [this](const std::string& table, std::shared_ptr<const TableData> data) { take(table, std::move(data)); };
  }
  // The rows taken from `table` (namespace, name, labels, annotations), or null.
  const std::vector<boost::json::array>* rows(const std::string& table) const;

 private:
  const Catalog& catalog_;
  bool labels_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<boost::json::array>> rows_;
};

// Whether some waiver selects objects by label: every object's labels are then wanted.
bool labels_wanted(const std::vector<Waiver>& waivers);

// apply() with the objects read so, warning on stderr of each expired waiver.
void apply_with_objects(PluginRegistry& reg, report::Report& rep, const std::vector<Waiver>& waivers, double as_of,
                        bool narrow, const RunObjects* run_objects = nullptr);

}  // namespace kinspect::waiver
