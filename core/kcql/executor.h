// Runs a plan: fetches its scans, joins, filters, groups, sorts, and hands
// each result row to a sink while the row's values are still alive.
#pragma once

#include <functional>
#include <type_traits>
#include <memory>
#include <string>

#include "core/kcql/kcql.h"
#include "core/kcql/plan.h"
#include "core/kcql/value.h"

namespace kinspect::kcql {

// Where a query's result rows go. `row` is called once per result row with
// the outputs and the extras (see plan::Select::extras); the values live
// until run_plan returns. `expect`, when set, is told first how many rows
// come, so that whoever keeps them makes room once (a check's 75,000
// findings would otherwise be moved through a dozen growing arrays).
struct RowSink {
  using Row = std::function<void(const Value* outputs, const Value* extras)>;
  using Expect = std::function<void(size_t rows)>;
  template <class F>
    requires std::is_invocable_v<F&, const Value*, const Value*>
  RowSink(F row_fn, Expect expect_fn = {}) : row(std::move(row_fn)), expect(std::move(expect_fn)) {}
  Row row;
  Expect expect;
};

// Returns the number of rows examined.
Expected<uint64_t> run_plan(const plan::PlanImpl& plan, TableProvider& provider, const ExecOptions& options,
                            const RowSink& sink);

// A plan run in steps, for shared scans: the rows of its root query's first
// table are fed a range at a time, so that many plans can walk one large
// table together while each range is still in cache, instead of each plan
// pulling the whole table through memory on its own. Feeding every range
// once, in order, then finish() gives exactly what run_plan gives.
class SteppedRun {
 public:
  virtual ~SteppedRun() = default;
  // How many rows the table has (it is fetched now if need be).
  virtual size_t rows() = 0;
  // Rows [begin, end) of the table; false once the run has failed (finish()
  // then says why). The time budget counts only time spent in this run.
  virtual bool feed(size_t begin, size_t end) = 0;
  // The rest of the query over everything fed, its rows to `sink`.
  virtual Expected<uint64_t> finish(const RowSink& sink) = 0;
};

// The scan key (ScanSpec::key()) of the table a plan can be fed in steps:
// its root query's first source, when that reads a table without an index
// lookup. "" when the plan cannot be stepped.
std::string steppable_table(const plan::PlanImpl& plan);
Expected<std::unique_ptr<SteppedRun>> start_stepped(const plan::PlanImpl& plan, TableProvider& provider,
                                                    const ExecOptions& options);

}  // namespace kinspect::kcql
