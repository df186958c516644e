// Runs a plan: fetches its scans, joins, filters, groups, sorts, and hands
// each result row to a sink while the row's values are still alive.
#pragma once

#include <functional>

#include "core/kcql/kcql.h"
#include "core/kcql/plan.h"
#include "core/kcql/value.h"

namespace kinspect::kcql {

// Called once per result row with the outputs and the extras (see
// plan::Select::extras). The values live until run_plan returns.
using RowSink = std::function<void(const Value* outputs, const Value* extras)>;

// Returns the number of rows examined.
Expected<uint64_t> run_plan(const plan::PlanImpl& plan, TableProvider& provider, const ExecOptions& options,
                            const RowSink& sink);

}  // namespace kinspect::kcql
