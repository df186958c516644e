// The run's third stage: fetch every table of the schedule once and run
// every unit as soon as its tables are in, on `threads` threads. Each task's
// result gets its verdict: pass or fail with findings, error (a query or a
// table failed), or skipped (the table is not available: not served,
// forbidden, not captured). Returns what each fetch did, for the report.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/run/prepare.h"
#include "core/run/schedule.h"

namespace kinspect {

// Each table of schedule.object_fetches that was read goes to
// `on_object_table` (if set) instead of being freed when its last check is done.
using ObjectTableSink = std::function<void(const std::string& table, std::shared_ptr<const TableData> rows)>;

std::vector<report::TableFetch> execute(PreparedRun& run, const Schedule& schedule, PluginRegistry& registry,
                                        unsigned threads, const std::function<void(const RunProgress&)>& progress,
                                        const ObjectTableSink& on_object_table = {});

}  // namespace kinspect
