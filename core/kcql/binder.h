// Syntax tree + catalog → plan. Resolves names (reporting unknown tables,
// columns, functions and parameters with "did you mean"), folds constants,
// compiles constant regular expressions, places each filter at the earliest
// scan or join that can decide it, extracts hash-join keys, decorrelates
// EXISTS, and computes the paths each table scan must provide.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/kcql/kube_schema.h"
#include "core/kcql/parser.h"
#include "core/kcql/plan.h"

namespace kinspect::kcql {

struct BindInput {
  const Query* query = nullptr;
  const Catalog* catalog = nullptr;
  std::vector<std::string> param_names;
  std::vector<boost::json::value> param_values;
  // Expressions evaluated for each result row besides the outputs (the
  // placeholders of a check's templates), bound like SELECT items.
  std::vector<const ast::Expr*> extras;
  // For a check written as `FROM ... WHERE ...`: the outputs are the extras,
  // named by extra_names, rather than every column.
  bool outputs_from_extras = false;
  std::vector<std::string> extra_names;
  // A check's LET names: a bare name that is none of the FROM aliases is
  // bound as its expression, where it is used.
  std::vector<std::pair<std::string, const ast::Expr*>> lets;
  // When set, a path into the rows of a table whose driver names their
  // Kubernetes kind (TableSchema::row_kind), or into the elements of an
  // UNNEST of such a path, must name fields the kind has: another is an error
  // with the closest field as a hint. Checks are bound with it; ad-hoc
  // queries are not (a field newer than the schema would stop them).
  const KubeSchema* kube_schema = nullptr;
};

Expected<std::shared_ptr<plan::PlanImpl>> bind_plan(const BindInput& input);

}  // namespace kinspect::kcql
