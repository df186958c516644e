// KCQL: the query language checks are written in. This header is the engine's
// public face: parse a query, bind it against the catalog into a Plan (which
// tells what to fetch), execute the plan over fetched tables.
//
//   auto q = kcql::parse_query("SELECT n.metadata.name FROM k8s.nodes n");
//   auto plan = kcql::bind_query(*q, catalog);
//   for (auto& scan : plan->scans()) ...        // what the drivers must fetch
//   auto rows = kcql::execute(*plan, provider);
//
// Checks (check-file parsing, findings) are in core/kcql/check.h.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kcql/parser.h"
#include "core/table/table.h"
#include "core/util/error.h"

namespace kinspect::kcql {

namespace plan {
struct PlanImpl;
}

// Parameter values by name (`param.max_restarts`), e.g. from a profile.
using Params = std::map<std::string, boost::json::value, std::less<>>;

struct ExecOptions {
  // What now() returns, in epoch seconds; 0 takes the clock once at the start.
  double now = 0;
  // Rows examined (scanned, joined, unnested, probed) before the query is stopped.
  uint64_t row_budget = 10'000'000;
  // Bytes of results (as JSON) before the query is stopped: a join that
  // multiplies whole objects would otherwise fill memory before any row
  // budget is reached.
  uint64_t output_budget = 64ull << 20;
  // Wall time before the query is stopped; checked every `check_interval` rows.
  std::chrono::milliseconds time_budget{10'000};
  unsigned check_interval = 1024;
  // Overrides of the plan's parameters; naming an unknown one is an error.
  Params params;
  // Who is running, for error messages: "check node-not-ready".
  std::string label = "query";
};

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<boost::json::array> rows;  // one value per column
  uint64_t rows_examined = 0;
};

// A bound query. Cheap to copy; immutable.
class Plan {
 public:
  Plan() = default;
  explicit Plan(std::shared_ptr<const plan::PlanImpl> impl) : impl_(std::move(impl)) {}

  // One spec per distinct table and arguments, with the JSON paths the plan
  // reads (an empty path list means every column).
  const std::vector<ScanSpec>& scans() const;
  std::vector<std::string> columns() const;
  const std::vector<std::string>& parameters() const;
  // A readable description of the plan for `kinspect checks explain`.
  std::string explain() const;
  // What binds but may run badly, such as a join whose cost is the product
  // of two tables' sizes; `kinspect checks lint` prints them.
  const std::vector<Diagnostic>& warnings() const;

  const plan::PlanImpl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const plan::PlanImpl> impl_;
};

// Binds a query (named so as not to meet std::bind through argument-dependent
// lookup): every `param.NAME` it uses must be in `params`.
Expected<Plan> bind_query(const Query& query, const Catalog& catalog, const Params& params = {});

// Errors found while running (a budget exceeded, a scalar subquery with
// several rows) are reported like bind errors, at the query's file:line:col
// (see Runtime::reading); a table the provider cannot give is not.
Expected<ResultSet> execute(const Plan& plan, TableProvider& provider, const ExecOptions& options = {});

// "LABEL exceeded its output budget of 64 MiB of results after N rows",
// without a position: execute() and run_check() add theirs.
Error output_budget_error(const ExecOptions& options, size_t before, const char* what);

}  // namespace kinspect::kcql
