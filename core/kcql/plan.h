// The bound form of a query: names resolved to (scope depth, source, column),
// functions to their definitions, constants folded, filters placed at the
// scan or join where they can first be decided, equi-join keys extracted.
// Built by the binder, read by the executor; immutable once built, so one plan
// can be executed any number of times, concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/kcql/ast.h"
#include "core/kcql/functions.h"
#include "core/kcql/source.h"
#include "core/kcql/value.h"
#include "core/table/table.h"

namespace kinspect::kcql::plan {

enum class NodeKind : uint8_t {
  Const,      // value
  Column,     // depth, source, column: a column of a table row
  Row,        // depth, source: the whole row (table) or element (UNNEST)
  Element,    // the element an array filter is testing
  Param,      // slot
  Path,       // args[0] then steps
  Unary,      // op: Not, Neg
  Binary,     // op
  Between, Like, IsNull, InList,  // as in the AST; negated
  InSubquery,      // args[0] IN subquery `slot`
  Exists,          // subquery `slot`
  ScalarSubquery,  // subquery `slot`
  Case,            // args as in the AST; has_operand, has_else
  Call,            // fn(args)
  Aggregate,       // the value of aggregate `slot` in the current group
  Output,          // output column `slot` of the row being projected (args[0]: its expression)
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct Step {
  ast::PathStep::Kind kind = ast::PathStep::Kind::Field;
  std::string field;
  uint32_t key_id = packed::kNoKey;  // Field: `field` in the packed key dictionary
  int64_t index = 0;
  NodePtr filter;
  // Filter whose expression does not read the element (`obj[lower('NAME')]`,
  // `a[param.i]`): a key or an index computed from the row, not a predicate.
  bool computed = false;
};

struct Node {
  NodeKind kind = NodeKind::Const;
  SourcePos pos;
  Value value;                   // Const
  int depth = 0;                 // Column, Row: scopes outwards (0 = this query)
  int source = -1;               // Column, Row
  std::string column;            // Column
  uint32_t key_id = packed::kNoKey;  // Column: `column` in the packed key dictionary
  int slot = -1;                 // Param, Aggregate, subqueries
  ast::Op op = ast::Op::Not;
  std::vector<NodePtr> args;
  std::vector<Step> steps;       // Path
  const FunctionDef* fn = nullptr;
  std::shared_ptr<const void> prepared;  // Call: FunctionDef::prepare's result
  int memo = -1;                 // Call on parameters and constants only: its slot in Runtime::memo
  bool negated = false;
  bool has_operand = false;
  bool has_else = false;
  std::string text;              // canonical text, for EXPLAIN and messages
};

struct Source {
  enum class Kind : uint8_t { Table, Unnest } kind = Kind::Table;
  SourcePos pos;  // of its FROM item: where a budget that runs out reading it is reported
  std::string alias;
  std::string table;             // Table
  int scan = -1;                 // Table: index in PlanImpl::scans
  // Table: a WITH query's rows (index in PlanImpl::with) rather than a
  // scan; each row an object keyed by its column names.
  int with = -1;
  ast::JoinKind join = ast::JoinKind::First;
  std::vector<NodePtr> scan_filter;   // Table: conjuncts on this source alone
  // Table: scan_filter conjuncts of the form `path = 'text'` or
  // `path IN ('a', ...)` on a plain field path (key ids from the row). The
  // executor scans only the rows the table's index gives for the one that
  // picks the fewest rows (every conjunct is still checked).
  struct Lookup {
    std::vector<uint32_t> path;
    std::vector<std::string> values;
    std::string text;    // for EXPLAIN
    std::string dotted;  // the path as a scan constraint names it ("metadata.namespace")
  };
  std::vector<Lookup> lookups;
  std::vector<NodePtr> build_keys;    // hash join: on this source...
  std::vector<NodePtr> probe_keys;    // ...equal to these on the earlier ones
  // Table: how many of the UNNESTs right after it (of its own rows) belong
  // to its hash join's build side. The build side is then this table's rows
  // expanded by those UNNESTs, and build_keys may read their elements too:
  // `b, UNNEST(b.spec.ports) pb ... pb.nodePort = pa.nodePort` hashes every
  // (b, pb) pair once instead of trying every b for every earlier row. Such
  // an UNNEST's join_filter holds only conditions on the build side's own
  // rows, checked while it is built.
  int expand = 0;
  std::vector<NodePtr> join_filter;   // rest of ON, decided per pair
  // cidr_contains(network_build, network_probe) joins through an index of
  // this source's networks (the condition itself stays in the filters).
  NodePtr network_build, network_probe;
  NodePtr unnest;                     // Unnest: the array
  std::vector<NodePtr> after;         // WHERE conjuncts decided once this source is joined
};

struct Aggregate {
  std::string name;  // count, sum, ...
  NodePtr arg;       // null for count(*)
  Value separator;   // string_agg
  NodePtr key;       // max_by, min_by: the value ordered by
  // array_agg(x ORDER BY y DESC), string_agg(x, s ORDER BY y): the inputs
  // sorted by these keys (expression, descending) before they are combined.
  std::vector<std::pair<NodePtr, bool>> order;
  bool distinct = false;
  std::string text;
};

struct Output {
  std::string name;
  NodePtr expr;
};

struct Select {
  SourcePos pos;  // of SELECT (or a check's FROM)
  std::vector<Source> sources;
  bool aggregate = false;
  std::vector<NodePtr> group_keys;
  std::vector<Aggregate> aggregates;
  NodePtr having;
  std::vector<Output> outputs;
  std::vector<NodePtr> extras;  // evaluated with the outputs (check templates)
  std::vector<std::pair<NodePtr, bool>> order;  // expression, descending
  // Per output, and per GROUP BY key: whether it reads none of the last
  // source's rows (a pod's owner in `FROM k8s.pods p, UNNEST(p.spec.containers)
  // c`). Consecutive tuples that share the rows before the last share its
  // value, so it is computed once for them (once per pod, not per container).
  // Empty with one source (or more than 64).
  std::vector<bool> output_before_last;
  std::vector<bool> key_before_last;
  bool distinct = false;
  // DISTINCT, and the extras read only outputs: they are computed once per
  // distinct row, after duplicates are dropped, not once per input row.
  bool extras_after_distinct = false;
  std::optional<int64_t> limit;
  // `UNION [ALL]`: the branches after this one, each bound in its own scope
  // with as many outputs (and extras) as this one. Their rows are appended
  // in order; a UNION without ALL then drops duplicate rows of everything so
  // far. union_order (output positions, descending) and union_limit apply
  // to the whole union; `order` and `limit` above are then empty.
  struct Branch {
    std::shared_ptr<Select> select;
    bool all = false;
  };
  std::vector<Branch> branches;
  std::vector<std::pair<size_t, bool>> union_order;
  std::optional<int64_t> union_limit;
};

struct Subquery {
  enum class Kind : uint8_t { Exists, In, Scalar } kind = Kind::Exists;
  SourcePos pos;  // of EXISTS, IN or the scalar subquery's '(': its runtime errors point there
  Select select;
  // Correlated EXISTS, decorrelated: the inner rows are computed once (with
  // the filters that need no outer row) and hashed on inner_keys; an outer
  // row probes with outer_keys and re-checks `residual` on each candidate.
  std::vector<NodePtr> inner_keys;
  std::vector<NodePtr> outer_keys;
  std::vector<NodePtr> residual;
  // (depth from the enclosing query, source) of every outer reference.
  std::vector<std::pair<int, int>> outer_refs;
  // Its FROM unnests an array of the outer row (`EXISTS (SELECT 1 FROM
  // UNNEST(p.spec.containers) c WHERE ...)`): it is run whole for each outer
  // row, with that row in scope, rather than computed once. Such arrays are
  // small, and nothing could be hashed: the inner rows are the outer row's.
  bool per_row = false;
};

// `WITH name AS (select)`: computed once per execution, on first use.
struct WithQuery {
  std::string name;
  Select select;
};

struct PlanImpl {
  SourceText source;
  // Bound in order, each reading only the ones before it; never resized once
  // bound (the binder keeps pointers to their selects).
  std::vector<WithQuery> with;
  Select root;
  std::vector<Subquery> subqueries;
  std::vector<ScanSpec> scans;
  std::vector<std::string> param_names;
  std::vector<boost::json::value> param_values;
  std::shared_ptr<Arena> constants = std::make_shared<Arena>();  // folded values and literals
  int memo_slots = 0;  // calls computed once per execution (see Node::memo)
  // What binds but may run badly: a join whose cost is the product of two
  // tables' sizes (`kinspect checks lint` prints these).
  std::vector<Diagnostic> warnings;
};

std::string explain(const PlanImpl& plan);

// A plain field path of source `source` of the query it is bound in
// (`p.metadata.labels`): its key ids, the column's first, and its dotted
// text. Nothing for any other node (an index or wildcard step, another
// source's column, an outer query's).
struct FieldPath {
  std::vector<uint32_t> keys;
  std::string dotted;
};
std::optional<FieldPath> field_path(const Node& n, int source);

}  // namespace kinspect::kcql::plan
