// The labels and annotations of the objects a report's findings name, read
// through the run's drivers, and the waivers applied with them: shared by
// `kinspect run` and `kinspect serve`.
#pragma once

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
ObjectIndex read_finding_objects(PluginRegistry& reg, const report::Report& rep, bool narrow, bool labels);

// apply() with the objects read so, warning on stderr of each expired waiver.
void apply_with_objects(PluginRegistry& reg, report::Report& rep, const std::vector<Waiver>& waivers, double as_of,
                        bool narrow);

}  // namespace kinspect::waiver
