// The syntax tree a KCQL text parses into. It knows nothing of tables: names
// are resolved by the binder. Every node keeps its position for diagnostics.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace kinspect::kcql::ast {

struct Select;
struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind : uint8_t {
  Literal,    // literal
  Name,       // name: an identifier (alias, column, `param`), resolved by the binder
  Element,    // `@`: the current element inside an array filter
  Path,       // base + steps: n.metadata.name, x[0], f(x).y
  Unary,      // op, args[0]
  Binary,     // op, args[0], args[1]
  Between,    // args: value, low, high; negated
  Like,       // args: value, pattern; negated
  IsNull,     // args[0]; negated
  InList,     // args[0] IN (args[1..]); negated
  InSelect,   // args[0] IN (subquery); negated
  Exists,     // EXISTS (subquery)
  Subquery,   // (SELECT ...) as a scalar
  Case,       // args: [operand] then when/then pairs then [else]; has_operand, has_else
  Call,       // name(args); distinct; star for count(*)
};

enum class Op : uint8_t {
  Not, Neg,
  And, Or,
  Eq, Ne, Lt, Le, Gt, Ge,
  Add, Sub, Mul, Div, Mod, Concat,
};
const char* op_text(Op op);

struct Literal {
  enum class Kind : uint8_t { Null, Bool, Int, Real, String } kind = Kind::Null;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

struct PathStep {
  enum class Kind : uint8_t { Field, Index, Wildcard, Filter } kind = Kind::Field;
  std::string field;     // Field: the key (from `.name` or `['key']`)
  int64_t index = 0;     // Index: negative counts from the end
  ExprPtr filter;        // Filter: predicate over the element
  bool bracketed = false;  // Field written as ['key']
  SourcePos pos;
};

// `ORDER BY expr [ASC|DESC]`: of a SELECT, or inside an aggregate call.
struct OrderItem {
  ExprPtr expr;
  bool desc = false;
};

struct Expr {
  ExprKind kind = ExprKind::Literal;
  SourcePos pos;
  Literal literal;
  std::string name;              // Name, Call
  Op op = Op::Not;               // Unary, Binary
  std::vector<ExprPtr> args;
  ExprPtr base;                  // Path
  std::vector<PathStep> steps;   // Path
  std::shared_ptr<Select> subquery;
  bool negated = false;
  bool distinct = false;         // Call: count(DISTINCT x)
  bool star = false;             // Call: count(*)
  std::vector<OrderItem> order_by;  // Call: array_agg(x ORDER BY y), aggregates only
  bool has_operand = false;      // Case
  bool has_else = false;         // Case
  // Written in parentheses: a path step after `(xs[*].a)` applies to the
  // array that path gives, not to each of its elements.
  bool parenthesized = false;
};

struct SelectItem {
  ExprPtr expr;            // null for * and alias.*
  std::string alias;       // AS name
  std::string qualifier;   // alias.* : the alias
  bool star = false;
  SourcePos pos;
};

enum class JoinKind : uint8_t { First, Cross, Inner, Left };

struct FromItem {
  enum class Kind : uint8_t { Table, Unnest } kind = Kind::Table;
  std::string table;             // Table: "k8s.pods"
  bool call = false;             // Table: written as a function, node.file('/x')
  std::vector<ExprPtr> args;     // Table: constant arguments
  ExprPtr unnest;                // Unnest: the array expression
  std::string alias;
  SourcePos alias_pos;
  JoinKind join = JoinKind::First;
  // Written `CROSS JOIN` rather than a comma: a cross product the author
  // means (with a one-row table such as k8s.version), which lint accepts.
  bool cross_keyword = false;
  ExprPtr on;                    // JOIN ... ON
  SourcePos pos;
};

struct Select;
// A SELECT after UNION [ALL]: bound in its own scope, its rows appended to
// those of the branches before it.
struct UnionBranch {
  std::shared_ptr<Select> select;
  bool all = false;  // UNION ALL keeps duplicate rows
  SourcePos pos;     // of the UNION keyword
};

// `WITH name AS (SELECT ...)`: a query named for the rest of the query.
struct WithQuery {
  std::string name;
  SourcePos pos;  // of the name
  std::shared_ptr<Select> select;
};

struct Select {
  SourcePos pos;
  bool implicit_select = false;  // a check's shorthand `FROM ... WHERE ...`
  bool distinct = false;
  std::vector<SelectItem> items;
  std::vector<FromItem> from;
  ExprPtr where;
  std::vector<ExprPtr> group_by;
  ExprPtr having;
  std::vector<OrderItem> order_by;
  std::optional<int64_t> limit;
  SourcePos limit_pos;
  // `SELECT ... UNION [ALL] SELECT ...`: the branches after this one. Then
  // order_by and limit (written after the last branch) apply to the union.
  std::vector<UnionBranch> unions;
  // `WITH a AS (...), b AS (...) SELECT ...`: only on a query's outermost
  // SELECT; each may read the ones before it.
  std::vector<WithQuery> with;
};

}  // namespace kinspect::kcql::ast

namespace kinspect::kcql::ast {
// Canonical KCQL text of an expression (used for EXPLAIN and column names).
std::string render(const Expr& e);
std::string render(const Select& s);
}  // namespace kinspect::kcql::ast
