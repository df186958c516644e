#include "core/kcql/binder.h"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "core/kcql/evaluator.h"

namespace kinspect::kcql {

namespace json = boost::json;
using ast::ExprKind;
using plan::Node;
using plan::NodeKind;
using plan::NodePtr;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string prefix_join(const std::string& path, const std::string& field) {
  return path.empty() ? field : path + "." + field;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string m = closest_match(word, candidates);
  return m.empty() ? std::string() : "did you mean '" + m + "'?";
}

// Whether an expression needs nothing of the row but its computed outputs
// (and constants, parameters, deterministic functions of those): then it has
// the same value for every row with the same outputs.
bool reads_only_outputs(const plan::Node& n) {
  switch (n.kind) {
    case NodeKind::Output:
      return true;  // not its expression: the value is already there
    case NodeKind::Const:
    case NodeKind::Param:
    case NodeKind::Unary:
    case NodeKind::Binary:
    case NodeKind::Between:
    case NodeKind::Like:
    case NodeKind::IsNull:
    case NodeKind::InList:
    case NodeKind::Case:
    case NodeKind::Path:
      break;
    case NodeKind::Call:
      if (n.fn && n.fn->is_volatile) return false;
      break;
    default:
      return false;  // rows, elements, aggregates, subqueries
  }
  for (const auto& a : n.args)
    if (a && !reads_only_outputs(*a)) return false;
  for (const auto& st : n.steps)
    if (st.filter && !reads_only_outputs(*st.filter)) return false;
  return true;
}

// Which rows of the query an expression reads: bit i for source i of this
// level; `outer` when it reads an enclosing query's rows.
struct Refs {
  uint64_t mask = 0;
  bool outer = false;
  bool aggregate = false;
};

int highest_bit(uint64_t m) { return m ? 63 - __builtin_clzll(m) : -1; }

class Binder {
 public:
  explicit Binder(const BindInput& in) : in_(in), source_(in.query->source) {
    plan_ = std::make_shared<plan::PlanImpl>();
    plan_->source = source_;
    plan_->param_names = in.param_names;
    plan_->param_values = in.param_values;
  }

  Expected<std::shared_ptr<plan::PlanImpl>> run();

 private:
  // A FROM item as names see it.
  struct ScopeSource {
    std::string alias;
    const TableSchema* schema = nullptr;  // null for UNNEST and for unknown tables
    bool unnest = false;
    bool broken = false;  // unknown table: references to it are already reported
    bool cross_keyword = false;  // written CROSS JOIN (ast::FromItem::cross_keyword)
    int use = -1;         // index in uses_
    SourcePos pos;
    // UNNEST of a plain path into a table (p.spec.containers): the elements'
    // fields that are read become paths below it, so the scan keeps
    // spec.containers.image rather than whole containers.
    int origin_use = -1;
    std::string origin_path;
    // A Kubernetes object's rows, or an UNNEST of an array in one: the schema
    // type of a row or an element ("V1Pod", "V1Container"), the kind
    // ("v1/Pod") and where the elements are in it ("spec.containers[]").
    std::string kube_type, kube_kind, kube_where;
  };
  struct Scope {
    Scope* outer = nullptr;
    std::vector<ScopeSource> sources;
    size_t visible = 0;
    plan::Select* select = nullptr;
    plan::Subquery* subquery = nullptr;  // null for the top level
    std::map<std::string, NodePtr> output_aliases;
  };
  // What an expression may contain where it appears.
  struct Ctx {
    Scope* scope;
    const char* clause;  // "WHERE", for messages
    bool aggregates = false;
    bool aliases = false;
    // The select's outputs are computed before this expression (extras and
    // ORDER BY keys): an alias reads the computed value (NodeKind::Output).
    bool outputs_ready = false;
    bool in_filter = false;
  };
  // One table scan being planned: what it reads.
  struct TableUse {
    std::string table;
    std::vector<json::value> args;
    std::set<std::string> paths;
    bool all = false;
  };

  NodePtr error(SourcePos pos, std::string message, std::string hint = {}) {
    diags_.push_back(source_.at(pos, std::move(message), std::move(hint)));
    return constant(Value(), pos, "NULL");
  }
  NodePtr constant(Value v, SourcePos pos, std::string text) {
    auto n = std::make_shared<Node>();
    n->kind = NodeKind::Const;
    n->value = v;
    n->pos = pos;
    n->text = std::move(text);
    return n;
  }

  void bind_select(const ast::Select& s, Scope& scope, plan::Select& out, bool root);
  void bind_with(const ast::Select& s);
  int find_with(const ast::FromItem& item, bool& reported);
  void bind_with_source(const ast::FromItem& item, int with, plan::Source& src, ScopeSource& ss);
  std::string where_is(SourcePos pos) const {
    return source_.file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  }
  void bind_from(const ast::FromItem& item, Scope& scope, plan::Select& out, size_t index,
                 std::vector<std::vector<NodePtr>>& on_conjuncts);
  void bind_outputs(const ast::Select& s, Scope& scope, plan::Select& out);
  void place_filters(Scope& scope, plan::Select& out, const std::vector<std::vector<NodePtr>>& on_conjuncts,
                     const std::vector<NodePtr>& where);
  void hash_unnest_groups(plan::Select& out);
  void mark_before_last(plan::Select& out) const;
  void bind_union(const ast::Select& s, Scope& scope, plan::Select& out, bool root);
  void warn_quadratic_joins(const Scope& scope, const plan::Select& out);
  int bind_subquery(const ast::Select& s, plan::Subquery::Kind kind, const Ctx& ctx, SourcePos pos);

  NodePtr bind(const ast::Expr& e, const Ctx& ctx);
  // Warns of what binds but cannot mean what it says: `x = NULL` (never
  // true) and `x IN (array)` (compares x with the whole array).
  void lint_meaning(const ast::Expr& e);
  // Adds a warning once: an expression may be bound more than once (a LET
  // used twice, a stepped plan).
  void warn(Diagnostic d) {
    for (const auto& w : plan_->warnings)
      if (w.pos.line == d.pos.line && w.pos.column == d.pos.column && w.message == d.message) return;
    plan_->warnings.push_back(std::move(d));
  }
  NodePtr bind_path(const ast::Expr& e, const Ctx& ctx);
  NodePtr bind_presence_test(const ast::Expr& operand, const Ctx& ctx);
  NodePtr resolve(const std::string& name, SourcePos pos, const std::vector<ast::PathStep>& steps, const Ctx& ctx,
                  const std::string& text);
  NodePtr bind_call(const ast::Expr& e, const Ctx& ctx);
  NodePtr bind_let(const std::string& name, const ast::Expr& let, SourcePos pos,
                   const std::vector<ast::PathStep>& steps, const Ctx& ctx, const std::string& text);
  NodePtr bind_aggregate(const ast::Expr& e, const std::string& name, const Ctx& ctx);
  NodePtr with_steps(NodePtr base, const std::vector<ast::PathStep>& steps, size_t from, const Ctx& ctx,
                     std::string text, const std::string* leading_field = nullptr);
  NodePtr fold(std::shared_ptr<Node> n);
  bool find_alias(const std::string& name, const Ctx& ctx, Scope*& scope, int& depth, int& index);
  NodePtr output_ref(const Scope& scope, const std::string& name, const NodePtr& expr);
  void note_outer(const Ctx& ctx, int depth, int source);
  void note_path(const ScopeSource& src, const std::string& column, const std::vector<ast::PathStep>& steps,
                 size_t from);
  void record_path(int use, std::string path, bool complete);
  // Follows a path from a value of schema type `type` found at `where` in an
  // object of `kind`; reports a field the type does not have. Returns the
  // type reached, or "" once nothing is known (a scalar, a free-form object).
  std::string follow_kube_fields(std::string type, std::string where, const std::string& kind,
                                 const std::vector<ast::PathStep>& steps, size_t from);
  // The same from a table row's column (`col`, then steps[from...]).
  void check_kube_column(const ScopeSource& src, const std::string& col, const std::vector<ast::PathStep>& steps,
                         size_t from);
  bool element_fields(const ast::Expr& e, const std::string& base, std::vector<std::string>& out);

  Refs refs(const Node& n) const;
  void split_and(const NodePtr& n, std::vector<NodePtr>& out);
  void push_constraints();

  const BindInput& in_;
  SourceText source_;
  std::shared_ptr<plan::PlanImpl> plan_;
  std::deque<plan::Subquery> subqueries_;
  std::deque<TableUse> uses_;
  // While an UNNEST expression binds, the paths it reads are held here to
  // decide whether the UNNEST can project its elements' fields.
  std::vector<std::pair<int, std::string>>* capture_ = nullptr;
  bool capture_complete_ = true;
  std::vector<plan::Select*> selects_;
  std::vector<Diagnostic> diags_;
  // The schema type (and place) the last path into a Kubernetes object
  // reached, so an UNNEST of it knows its elements' type.
  std::string kube_reached_, kube_reached_where_, kube_reached_kind_;
  // An array filter on a Kubernetes object's array (`containers[name = 'x']`):
  // the element's type, where it is and the kind, so the bare names in the
  // filter (fields of the element) are checked too; and the filter binding.
  std::map<const ast::Expr*, std::array<std::string, 3>> filter_shapes_;
  const ast::Expr* binding_filter_ = nullptr;
  // The WITH queries' columns, as tables of JSON columns, and how many are
  // bound so far: a query reads only those defined before it.
  std::vector<std::string> lets_binding_;  // LETs being bound, outermost first
  std::deque<TableSchema> with_schemas_;
  size_t with_bound_ = 0;
  bool binding_with_ = false;
};

Expected<std::shared_ptr<plan::PlanImpl>> Binder::run() {
  Scope root;
  root.select = &plan_->root;
  bind_with(*in_.query->select);
  bind_select(*in_.query->select, root, plan_->root, true);
  if (!diags_.empty()) return error_from(std::move(diags_));

  // One scan per distinct table and arguments; paths merged.
  std::map<std::string, int> by_key;
  std::vector<int> scan_of_use(uses_.size());
  for (size_t u = 0; u < uses_.size(); ++u) {
    ScanSpec spec;
    spec.table = uses_[u].table;
    spec.args = uses_[u].args;
    auto [it, inserted] = by_key.emplace(spec.key(), int(plan_->scans.size()));
    if (inserted) plan_->scans.push_back(std::move(spec));
    scan_of_use[u] = it->second;
  }
  std::vector<std::set<std::string>> paths(plan_->scans.size());
  std::vector<bool> all(plan_->scans.size(), false);
  for (size_t u = 0; u < uses_.size(); ++u) {
    int s = scan_of_use[u];
    all[size_t(s)] = all[size_t(s)] || uses_[u].all;
    paths[size_t(s)].insert(uses_[u].paths.begin(), uses_[u].paths.end());
  }
  for (size_t s = 0; s < plan_->scans.size(); ++s) {
    if (all[s]) continue;
    // "status" covers "status.conditions": keep only the shortest prefixes.
    std::string last;
    for (const auto& p : paths[s]) {
      if (!last.empty() && p.size() > last.size() && p.compare(0, last.size(), last) == 0 && p[last.size()] == '.')
        continue;
      plan_->scans[s].paths.push_back(p);
      last = p;
    }
  }
  for (auto* sel : selects_)
    for (auto& src : sel->sources)
      if (src.kind == plan::Source::Kind::Table && src.with < 0) src.scan = scan_of_use[size_t(src.scan)];
  push_constraints();
  plan_->subqueries.assign(std::make_move_iterator(subqueries_.begin()), std::make_move_iterator(subqueries_.end()));
  return plan_;
}

// What a source's lookups ask of its scan: per path, the lookup with the
// fewest values (`ns = 'a' AND ns IN ('a', 'b')` needs only 'a').
static std::vector<ScanConstraint> constraints_of(const plan::Source& src) {
  std::map<std::string, std::vector<std::string>> by_path;
  for (const auto& l : src.lookups) {
    std::vector<std::string> values = l.values;
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    auto [it, fresh] = by_path.emplace(l.dotted, values);
    if (!fresh && values.size() < it->second.size()) it->second = std::move(values);
  }
  std::vector<ScanConstraint> out;
  for (auto& [path, values] : by_path) out.push_back({path, std::move(values)});
  return out;
}

// A scan read by several FROM items (a self-join, a subquery) brings the
// rows every one of them needs: only what they all constrain is pushed.
void Binder::push_constraints() {
  std::vector<std::optional<std::vector<ScanConstraint>>> common(plan_->scans.size());
  for (auto* sel : selects_)
    for (const auto& src : sel->sources) {
      if (src.kind != plan::Source::Kind::Table || src.scan < 0) continue;
      auto& c = common[size_t(src.scan)];
      c = c ? narrowest_common(*c, constraints_of(src)) : constraints_of(src);
    }
  for (size_t s = 0; s < plan_->scans.size(); ++s)
    if (common[s]) plan_->scans[s].constraints = std::move(*common[s]);
}

// Each WITH query is bound in a scope of its own, in order; its columns are
// its select list's names. A WITH query may not have a table's name: a name
// in FROM then always means one thing.
void Binder::bind_with(const ast::Select& s) {
  plan_->with.reserve(s.with.size());  // selects_ points into it
  for (size_t i = 0; i < s.with.size(); ++i) {
    const ast::WithQuery& w = s.with[i];
    for (size_t j = 0; j < i; ++j)
      if (s.with[j].name == w.name)
        error(w.pos, "duplicate WITH query name '" + w.name + "'", "the first is at " + where_is(s.with[j].pos));
    if (in_.catalog->find(w.name))
      error(w.pos, "WITH query '" + w.name + "' has the name of a table", "give it another name");
    plan_->with.push_back({w.name, {}});
    plan::WithQuery& out = plan_->with.back();
    Scope scope;
    scope.select = &out.select;
    with_bound_ = i;
    binding_with_ = true;
    bind_select(*w.select, scope, out.select, false);
    TableSchema schema;
    schema.name = w.name;
    for (const auto& o : out.select.outputs) {
      if (schema.column(o.name)) {
        error(w.pos, "WITH query '" + w.name + "' has two columns named '" + o.name + "'",
              "name each column with AS");
        continue;
      }
      ColumnSchema c;
      c.name = o.name;
      c.type = ColumnType::Json;
      schema.columns.push_back(std::move(c));
    }
    with_schemas_.push_back(std::move(schema));
  }
  with_bound_ = s.with.size();
  binding_with_ = false;
}

// The WITH query a FROM item names (the first of that name), or -1 for a
// table. One defined later, or the one being bound, is an error (`reported`).
int Binder::find_with(const ast::FromItem& item, bool& reported) {
  const auto& with = in_.query->select->with;
  for (size_t i = 0; i < with.size(); ++i) {
    if (with[i].name != item.table) continue;
    if (i < with_bound_) return int(i);
    reported = true;
    if (binding_with_ && i == with_bound_)
      error(item.pos, "WITH query '" + item.table + "' refers to itself",
            "WITH is not recursive: a query reads only the WITH queries defined before it");
    else
      error(item.pos, "WITH query '" + item.table + "' is used before it is defined (at " + where_is(with[i].pos) + ")",
            "define it before the WITH query that reads it");
    return -1;
  }
  return -1;
}

void Binder::bind_with_source(const ast::FromItem& item, int with, plan::Source& src, ScopeSource& ss) {
  src.table = item.table;
  src.with = with;
  src.alias = item.alias.empty() ? item.table : item.alias;
  if (with < 0) {
    ss.broken = true;  // reported by find_with
    return;
  }
  ss.schema = &with_schemas_[size_t(with)];
  if (item.call)
    error(item.pos, "WITH query '" + item.table + "' takes no arguments", "write FROM " + item.table + " " + src.alias);
}

void Binder::split_and(const NodePtr& n, std::vector<NodePtr>& out) {
  if (n->kind == NodeKind::Binary && n->op == ast::Op::And) {
    split_and(n->args[0], out);
    split_and(n->args[1], out);
  } else if (!(n->kind == NodeKind::Const && n->value.is_bool() && n->value.as_bool())) {
    out.push_back(n);
  }
}

void Binder::bind_select(const ast::Select& s, Scope& scope, plan::Select& out, bool root) {
  selects_.push_back(&out);
  out.pos = s.pos;
  // Filters are placed with a bit set of the FROM items they read.
  constexpr size_t kMaxFromItems = 32;
  if (s.from.size() > kMaxFromItems) {
    error(s.from[kMaxFromItems].pos, "too many FROM items (limit " + std::to_string(kMaxFromItems) + ")");
    return;
  }
  std::vector<std::vector<NodePtr>> on_conjuncts(s.from.size());
  for (size_t i = 0; i < s.from.size(); ++i) bind_from(s.from[i], scope, out, i, on_conjuncts);
  scope.visible = scope.sources.size();

  std::vector<NodePtr> where;
  if (s.where) split_and(bind(*s.where, Ctx{&scope, "WHERE"}), where);

  // A check's `FROM ... WHERE ...` outputs its template placeholders, not every column.
  if (!(root && in_.outputs_from_extras)) bind_outputs(s, scope, out);

  Ctx grouping{&scope, "GROUP BY"};
  grouping.aliases = true;
  for (const auto& g : s.group_by) {
    // GROUP BY 2: the second item of the select list, as in SQL and as
    // ORDER BY 2 (grouping by the constant 2 would put every row in one group).
    if (g->kind == ExprKind::Literal && g->literal.kind == ast::Literal::Kind::Int) {
      const int64_t k = g->literal.i;
      const ast::SelectItem* item = k >= 1 && k <= int64_t(s.items.size()) ? &s.items[size_t(k - 1)] : nullptr;
      if (!item || !item->expr) {
        error(g->pos, "GROUP BY position " + std::to_string(k) + " is not an expression of the select list (1.." +
                          std::to_string(s.items.size()) + ")",
              "group by the expression itself, or by its alias");
        continue;
      }
      out.group_keys.push_back(bind(*item->expr, grouping));
      continue;
    }
    out.group_keys.push_back(bind(*g, grouping));
  }

  Ctx late{&scope, "HAVING"};
  late.aggregates = true;
  late.aliases = true;
  if (s.having) out.having = bind(*s.having, late);
  late.clause = "ORDER BY";
  late.outputs_ready = true;  // project() computes the outputs, then the ORDER BY keys and extras
  // Over a UNION, ORDER BY and LIMIT belong to the union (bind_union).
  for (const auto& o : s.order_by) {
    if (!s.unions.empty()) break;
    // ORDER BY 2: the second output column.
    if (o.expr->kind == ExprKind::Literal && o.expr->literal.kind == ast::Literal::Kind::Int) {
      int64_t k = o.expr->literal.i;
      if (k < 1 || k > int64_t(out.outputs.size())) {
        error(o.expr->pos, "ORDER BY position " + std::to_string(k) + " is not in the select list (1.." +
                               std::to_string(out.outputs.size()) + ")");
        continue;
      }
      out.order.emplace_back(out.outputs[size_t(k - 1)].expr, o.desc);
      continue;
    }
    out.order.emplace_back(bind(*o.expr, late), o.desc);
  }
  if (root) {
    late.clause = "a template";
    for (const auto* e : in_.extras) out.extras.push_back(bind(*e, late));
    if (in_.outputs_from_extras) {
      out.outputs.clear();
      std::set<std::string> named;
      for (size_t i = 0; i < out.extras.size(); ++i)
        if (named.insert(in_.extra_names[i]).second) out.outputs.push_back({in_.extra_names[i], out.extras[i]});
    }
  }
  out.distinct = s.distinct;
  out.extras_after_distinct = s.distinct && s.unions.empty() && !out.extras.empty() &&
                              std::all_of(out.extras.begin(), out.extras.end(), [](const NodePtr& e) { return reads_only_outputs(*e); });
  if (s.unions.empty()) out.limit = s.limit;
  if (s.limit && *s.limit < 0) error(s.limit_pos, "LIMIT must not be negative");
  out.aggregate = !out.aggregates.empty() || !out.group_keys.empty();
  if (s.having && !out.aggregate)
    error(s.having->pos, "HAVING needs GROUP BY or an aggregate", "use WHERE to filter rows");
  place_filters(scope, out, on_conjuncts, where);
  hash_unnest_groups(out);
  mark_before_last(out);
  warn_quadratic_joins(scope, out);
  if (!s.unions.empty()) bind_union(s, scope, out, root);
}

// The branches after the first: each in a scope of its own (its aliases are
// not the first branch's), at the same depth, so a branch of a subquery sees
// the same outer queries. Columns are named by the first branch; a check's
// templates name those columns, and are bound in each branch to its own
// expression at that position.
void Binder::bind_union(const ast::Select& s, Scope& scope, plan::Select& out, bool root) {
  for (const auto& u : s.unions) {
    auto branch = std::make_shared<plan::Select>();
    Scope inner;
    inner.outer = scope.outer;
    inner.select = branch.get();
    inner.subquery = scope.subquery;
    bind_select(*u.select, inner, *branch, false);
    if (branch->outputs.size() != out.outputs.size()) {
      error(u.select->pos, "this branch of the UNION selects " + std::to_string(branch->outputs.size()) +
                               " column" + (branch->outputs.size() == 1 ? "" : "s") + ", the first (at " +
                               source_.file + ":" + std::to_string(s.pos.line) + ":" +
                               std::to_string(s.pos.column) + ") " + std::to_string(out.outputs.size()),
            "every branch of a UNION selects as many columns");
      continue;
    }
    if (root && !in_.extras.empty()) {
      inner.output_aliases.clear();
      for (size_t i = 0; i < out.outputs.size(); ++i) inner.output_aliases[out.outputs[i].name] = branch->outputs[i].expr;
      Ctx late{&inner, "a template"};
      late.aggregates = true;
      late.aliases = true;
      late.outputs_ready = true;
      for (const auto* e : in_.extras) branch->extras.push_back(bind(*e, late));
    }
    out.branches.push_back({branch, u.all});
  }
  for (const auto& o : s.order_by) {
    const ast::Expr& e = *o.expr;
    size_t k = out.outputs.size();
    if (e.kind == ExprKind::Literal && e.literal.kind == ast::Literal::Kind::Int) {
      if (e.literal.i >= 1 && e.literal.i <= int64_t(out.outputs.size())) k = size_t(e.literal.i - 1);
    } else if (e.kind == ExprKind::Name) {
      for (size_t i = 0; i < out.outputs.size() && k == out.outputs.size(); ++i)
        if (out.outputs[i].name == e.name) k = i;
    }
    if (k == out.outputs.size()) {
      std::vector<std::string> names;
      for (const auto& c : out.outputs) names.push_back(c.name);
      std::string hint = e.kind == ExprKind::Name ? did_you_mean(e.name, names) : "";
      error(e.pos, "ORDER BY after a UNION names an output column of the first branch or its position (1.." +
                       std::to_string(out.outputs.size()) + ")",
            hint.empty() ? "write the expression as a column of every branch and order by its name" : hint);
      continue;
    }
    out.union_order.emplace_back(k, o.desc);
  }
  out.union_limit = s.limit;
}

void Binder::bind_from(const ast::FromItem& item, Scope& scope, plan::Select& out, size_t index,
                       std::vector<std::vector<NodePtr>>& on_conjuncts) {
  plan::Source src;
  src.pos = item.pos;
  src.join = item.join;
  ScopeSource ss;
  ss.pos = item.pos;
  ss.cross_keyword = item.cross_keyword;
  bool with_reported = false;
  const int with = item.kind == ast::FromItem::Kind::Table ? find_with(item, with_reported) : -1;
  if (with >= 0 || with_reported) {
    bind_with_source(item, with, src, ss);
  } else if (item.kind == ast::FromItem::Kind::Unnest) {
    src.kind = plan::Source::Kind::Unnest;
    scope.visible = index;
    std::vector<std::pair<int, std::string>> captured;
    auto* saved = capture_;
    bool saved_complete = capture_complete_;
    capture_ = &captured;
    capture_complete_ = true;
    kube_reached_.clear();
    src.unnest = bind(*item.unnest, Ctx{&scope, "UNNEST"});
    bool complete = capture_complete_;
    capture_ = saved;
    capture_complete_ = saved_complete;
    // A plain path (fields only) can project its elements; anything else
    // (a function, a filter, [*]) needs what it read, whole.
    bool plain = src.unnest->kind == NodeKind::Column ||
                 (src.unnest->kind == NodeKind::Path && !src.unnest->args.empty() &&
                  (src.unnest->args[0]->kind == NodeKind::Column || src.unnest->args[0]->kind == NodeKind::Row) &&
                  std::all_of(src.unnest->steps.begin(), src.unnest->steps.end(),
                              [](const plan::Step& st) { return st.kind == ast::PathStep::Kind::Field && !st.filter; }));
    if (plain && kube_reached_.size() > 1 && kube_reached_[0] == '[') {
      ss.kube_type = kube_reached_.substr(1);
      ss.kube_where = kube_reached_where_ + "[]";
      ss.kube_kind = kube_reached_kind_;
    }
    if (plain && complete && captured.size() == 1) {
      ss.origin_use = captured[0].first;
      ss.origin_path = captured[0].second;
      // "#" is a key no object has: it keeps the array and every element
      // (as {}), so UNNEST yields as many rows even if no field is read.
      record_path(ss.origin_use, ss.origin_path + ".#", true);
    } else {
      for (auto& [use, path] : captured) record_path(use, std::move(path), true);
    }
    ss.unnest = true;
    src.alias = item.alias;
  } else {
    src.table = item.table;
    ss.schema = in_.catalog->find(item.table);
    if (ss.schema && in_.kube_schema && !ss.schema->row_kind.empty()) {
      ss.kube_type = in_.kube_schema->kind_type(ss.schema->row_kind);
      ss.kube_kind = ss.schema->row_kind;
    }
    TableUse use;
    use.table = item.table;
    if (!ss.schema) {
      ss.broken = true;
      error(item.pos, "unknown table '" + item.table + "'", did_you_mean(item.table, in_.catalog->names()));
    } else {
      const auto& params = ss.schema->arguments;
      size_t required = size_t(std::count_if(params.begin(), params.end(), [](const auto& a) { return a.required; }));
      if (params.empty() && !item.args.empty()) {
        error(item.args[0]->pos, "table " + item.table + " takes no arguments");
      } else if (item.args.size() < required || item.args.size() > params.size()) {
        std::string expected;
        for (const auto& a : params) {
          if (!expected.empty()) expected += ", ";
          expected += a.name + " " + std::string(to_string(a.type)) + (a.required ? "" : " (optional)");
        }
        error(item.pos, "table function " + item.table + " takes " +
                            (required == params.size() ? std::to_string(required)
                                                       : std::to_string(required) + " to " + std::to_string(params.size())) +
                            " argument" + (params.size() == 1 ? "" : "s") + " (" + expected + "), got " +
                            std::to_string(item.args.size()),
              "write e.g. " + item.table + "(" + (params.empty() ? "" : "'...'") + ")");
      } else {
        Scope empty;
        for (size_t i = 0; i < item.args.size(); ++i) {
          NodePtr arg = bind(*item.args[i], Ctx{&empty, "a table argument"});
          Value v = arg->value;
          if (arg->kind == NodeKind::Param) v = Value::json(plan_->constants->keep(plan_->param_values[size_t(arg->slot)]));
          else if (arg->kind != NodeKind::Const) {
            error(item.args[i]->pos, "argument '" + params[i].name + "' of " + item.table + " must be a constant");
            continue;
          }
          bool ok = true;
          switch (params[i].type) {
            case ColumnType::Text: ok = v.is_string(); break;
            case ColumnType::Integer: ok = v.is_int(); break;
            case ColumnType::Real: case ColumnType::Timestamp: ok = v.is_number(); break;
            case ColumnType::Boolean: ok = v.is_bool(); break;
            case ColumnType::Json: ok = true; break;
          }
          if (!ok)
            error(item.args[i]->pos, "argument '" + params[i].name + "' of " + item.table + " must be " +
                                         std::string(to_string(params[i].type)) + ", got " +
                                         std::string(kind_name(v)));
          use.args.push_back(to_json(v));
        }
      }
    }
    src.alias = item.alias.empty() ? item.table.substr(item.table.rfind('.') + 1) : item.alias;
    uses_.push_back(std::move(use));
    ss.use = int(uses_.size() - 1);
    src.scan = ss.use;
  }
  ss.alias = src.alias;
  for (const auto& other : scope.sources)
    if (other.alias == ss.alias)
      error(item.alias.empty() ? item.pos : item.alias_pos, "duplicate alias '" + ss.alias + "' in FROM",
            "give each table its own alias: FROM k8s.pods a JOIN k8s.pods b ON ...");
  scope.sources.push_back(ss);
  scope.visible = scope.sources.size();
  out.sources.push_back(std::move(src));
  if (item.on) split_and(bind(*item.on, Ctx{&scope, "ON"}), on_conjuncts[index]);
}

void Binder::bind_outputs(const ast::Select& s, Scope& scope, plan::Select& out) {
  Ctx ctx{&scope, "SELECT"};
  ctx.aggregates = true;
  auto star_of = [&](size_t i) {
    const ScopeSource& src = scope.sources[i];
    if (src.broken) return;
    auto row = std::make_shared<Node>();
    row->kind = NodeKind::Row;
    row->source = int(i);
    row->text = src.alias;
    if (src.unnest) {
      out.outputs.push_back({src.alias, row});
      return;
    }
    if (src.use >= 0) uses_[size_t(src.use)].all = true;
    for (const auto& c : src.schema->columns) {
      if (c.hidden) continue;
      auto col = std::make_shared<Node>();
      col->kind = NodeKind::Column;
      col->source = int(i);
      col->column = c.name;
      col->key_id = packed::intern(c.name);
      col->text = src.alias + "." + c.name;
      out.outputs.push_back({c.name, col});
    }
  };
  for (const auto& item : s.items) {
    if (item.star) {
      if (item.qualifier.empty()) {
        for (size_t i = 0; i < scope.sources.size(); ++i) star_of(i);
        continue;
      }
      bool found = false;
      for (size_t i = 0; i < scope.sources.size(); ++i)
        if (scope.sources[i].alias == item.qualifier) {
          star_of(i);
          found = true;
        }
      if (!found) {
        std::vector<std::string> aliases;
        for (const auto& src : scope.sources) aliases.push_back(src.alias);
        error(item.pos, "unknown alias '" + item.qualifier + "' in " + item.qualifier + ".*",
              did_you_mean(item.qualifier, aliases));
      }
      continue;
    }
    NodePtr e = bind(*item.expr, ctx);
    std::string name = item.alias;
    if (name.empty()) {
      const ast::Expr& x = *item.expr;
      if (x.kind == ExprKind::Path && !x.steps.empty() && x.steps.back().kind == ast::PathStep::Kind::Field)
        name = x.steps.back().field;
      else if (x.kind == ExprKind::Name)
        name = x.name;
      else
        name = ast::render(x);
    } else {
      scope.output_aliases[name] = e;
    }
    out.outputs.push_back({name, e});
  }
}

Refs Binder::refs(const Node& n) const {
  Refs r;
  auto merge = [&](const Refs& o) {
    r.mask |= o.mask;
    r.outer = r.outer || o.outer;
    r.aggregate = r.aggregate || o.aggregate;
  };
  switch (n.kind) {
    case NodeKind::Column:
    case NodeKind::Row:
      if (n.depth == 0) r.mask |= uint64_t(1) << n.source;
      else r.outer = true;
      break;
    case NodeKind::Aggregate:
      r.aggregate = true;
      break;
    case NodeKind::Exists:
    case NodeKind::InSubquery:
    case NodeKind::ScalarSubquery:
      for (const auto& [depth, source] : subqueries_[size_t(n.slot)].outer_refs) {
        if (depth == 0) r.mask |= uint64_t(1) << source;
        else r.outer = true;
      }
      break;
    default:
      break;
  }
  for (const auto& a : n.args) merge(refs(*a));
  for (const auto& s : n.steps)
    if (s.filter) merge(refs(*s.filter));
  return r;
}

// See plan::Select::output_before_last. Subqueries count the rows they read
// of this query (Refs); an aggregate's value belongs to a group, not a tuple.
void Binder::mark_before_last(plan::Select& out) const {
  const size_t n = out.sources.size();
  if (n < 2 || n > 64) return;
  auto before_last = [&](const NodePtr& e) {
    const Refs r = refs(*e);
    return !r.aggregate && (r.mask >> (n - 1)) == 0;
  };
  for (const auto& o : out.outputs) out.output_before_last.push_back(before_last(o.expr));
  for (const auto& k : out.group_keys) out.key_before_last.push_back(before_last(k));
}

void Binder::place_filters(Scope& scope, plan::Select& out, const std::vector<std::vector<NodePtr>>& on_conjuncts,
                           const std::vector<NodePtr>& where) {
  auto& sources = out.sources;
  // A source is nullable when a LEFT JOIN brings it: a WHERE condition on it
  // must see the NULL-extended rows, so it cannot move into its scan.
  auto as_key = [&](const NodePtr& c, size_t k, NodePtr& build, NodePtr& probe) {
    if (c->kind != NodeKind::Binary || c->op != ast::Op::Eq) return false;
    Refs l = refs(*c->args[0]), r = refs(*c->args[1]);
    uint64_t self = uint64_t(1) << k, earlier = self - 1;
    if (l.outer || r.outer || l.aggregate || r.aggregate) return false;
    if ((l.mask & self) && !(l.mask & ~self) && r.mask && !(r.mask & ~earlier)) {
      build = c->args[0], probe = c->args[1];
      return true;
    }
    if ((r.mask & self) && !(r.mask & ~self) && l.mask && !(l.mask & ~earlier)) {
      build = c->args[1], probe = c->args[0];
      return true;
    }
    return false;
  };
  // cidr_contains(network of this source, address from earlier ones): the
  // executor looks addresses up in an index of the networks instead of
  // testing every pair (5,000 nodes against 5,000 pod CIDRs is 25M pairs).
  auto note_network_key = [&](const NodePtr& c, size_t k) {
    plan::Source& src = sources[k];
    if (src.kind != plan::Source::Kind::Table || src.network_build || c->kind != NodeKind::Call || !c->fn ||
        c->fn->name != "cidr_contains" || c->args.size() != 2)
      return;
    Refs net = refs(*c->args[0]), addr = refs(*c->args[1]);
    uint64_t self = uint64_t(1) << k, earlier = self - 1;
    if (net.outer || addr.outer || net.aggregate || addr.aggregate) return;
    if (net.mask == self && addr.mask && !(addr.mask & ~earlier)) {
      src.network_build = c->args[0];
      src.network_probe = c->args[1];
    }
  };
  // `path = 'text'` or `path IN ('a', 'b')` on a plain field path of this
  // source: the executor reads only the rows the table's index gives.
  auto note_lookup = [&](const NodePtr& c, size_t k) {
    plan::Source& src = sources[k];
    std::optional<plan::FieldPath> path;
    auto text = [](const Node& n) { return n.kind == NodeKind::Const && n.value.is_string(); };
    std::vector<std::string> values;
    if (c->kind == NodeKind::Binary && c->op == ast::Op::Eq) {
      for (int side = 0; side < 2 && values.empty(); ++side)
        if (text(*c->args[size_t(1 - side)]) && (path = plan::field_path(*c->args[size_t(side)], int(k))))
          values.emplace_back(c->args[size_t(1 - side)]->value.as_string());
    } else if (c->kind == NodeKind::InList && !c->negated && (path = plan::field_path(*c->args[0], int(k)))) {
      for (size_t i = 1; i < c->args.size(); ++i) {
        if (!text(*c->args[i])) return;
        values.emplace_back(c->args[i]->value.as_string());
      }
    }
    if (values.empty()) return;
    src.lookups.push_back({std::move(path->keys), std::move(values), c->text, std::move(path->dotted)});
  };
  // A subquery that unnests the outer row's arrays runs per outer row, so
  // references to that row are placed like any other (it is in scope).
  plan::Subquery* sub = scope.subquery;
  for (const auto& src : sources)
    if (sub && src.unnest && refs(*src.unnest).outer) sub->per_row = true;
  const bool per_row = sub && sub->per_row;
  for (size_t k = 0; k < sources.size(); ++k) {
    for (const auto& c : on_conjuncts[k]) {
      Refs r = refs(*c);
      if (r.outer && !per_row) {
        error(c->pos, "a correlated reference to the outer query is only supported in the WHERE clause of EXISTS",
              "or in a subquery whose FROM unnests an array of the outer row");
        continue;
      }
      NodePtr build, probe;
      if (r.mask == (uint64_t(1) << k) && sources[k].kind == plan::Source::Kind::Table) {
        sources[k].scan_filter.push_back(c);
        note_lookup(c, k);
      } else if (sources[k].kind == plan::Source::Kind::Table && as_key(c, k, build, probe)) {
        sources[k].build_keys.push_back(build);
        sources[k].probe_keys.push_back(probe);
      } else {
        sources[k].join_filter.push_back(c);
        note_network_key(c, k);
      }
    }
  }
  for (const auto& c : where) {
    Refs r = refs(*c);
    if (r.aggregate) {
      error(c->pos, "aggregate functions are not allowed in WHERE", "use HAVING");
      continue;
    }
    if (r.outer && !per_row) {
      // Only EXISTS is decorrelated; the other kinds were refused earlier.
      NodePtr inner, outer;
      if (c->kind == NodeKind::Binary && c->op == ast::Op::Eq) {
        Refs a = refs(*c->args[0]), b = refs(*c->args[1]);
        if (a.outer && !a.mask && b.mask && !b.outer) inner = c->args[1], outer = c->args[0];
        else if (b.outer && !b.mask && a.mask && !a.outer) inner = c->args[0], outer = c->args[1];
      }
      if (sub && inner) {
        sub->inner_keys.push_back(inner);
        sub->outer_keys.push_back(outer);
      } else if (sub) {
        sub->residual.push_back(c);
      }
      continue;
    }
    int last = highest_bit(r.mask);
    if (last < 0 && sources.empty()) {
      error(c->pos, "WHERE needs a FROM clause");
      continue;
    }
    if (last < 0) {
      sources.front().after.push_back(c);
      continue;
    }
    size_t k = size_t(last);
    bool nullable = false;
    for (size_t j = 0; j < sources.size(); ++j)
      if (sources[j].join == ast::JoinKind::Left && (r.mask >> j) & 1) nullable = true;
    NodePtr build, probe;
    if (r.mask == (uint64_t(1) << k) && sources[k].kind == plan::Source::Kind::Table && !nullable) {
      sources[k].scan_filter.push_back(c);
      note_lookup(c, k);
    } else if (sources[k].kind == plan::Source::Kind::Table && sources[k].join != ast::JoinKind::Left &&
               !nullable && as_key(c, k, build, probe)) {
      sources[k].build_keys.push_back(build);
      sources[k].probe_keys.push_back(probe);
    } else {
      sources[k].after.push_back(c);
      if (!nullable && sources[k].join != ast::JoinKind::Left) note_network_key(c, k);
    }
  }
}

// A table followed by UNNESTs of its own rows, joined to earlier sources by
// an equality on the UNNESTs' elements (`b, UNNEST(b.spec.ports) pb WHERE
// pb.nodePort = pa.nodePort`): without this, the equality is decided only
// after every b has met every earlier row. Here the table's rows, expanded by
// those UNNESTs, become the build side of a hash join on that equality. Only
// inner joins: a LEFT JOIN's NULL-extended rows would need every unmatched
// build row, and a WHERE condition on a nullable source must see them.
void Binder::hash_unnest_groups(plan::Select& out) {
  auto& sources = out.sources;
  uint64_t left = 0;
  for (size_t j = 0; j < sources.size(); ++j)
    if (sources[j].join == ast::JoinKind::Left) left |= uint64_t(1) << j;
  for (size_t k = 1; k < sources.size(); ++k) {
    if (sources[k].kind != plan::Source::Kind::Table || sources[k].join == ast::JoinKind::Left) continue;
    const uint64_t earlier = (uint64_t(1) << k) - 1;
    // The UNNESTs that read only this table's row and the UNNESTs before them.
    uint64_t group = uint64_t(1) << k;
    size_t last = k;
    while (last + 1 < sources.size() && sources[last + 1].kind == plan::Source::Kind::Unnest &&
           sources[last + 1].join != ast::JoinKind::Left) {
      Refs u = refs(*sources[last + 1].unnest);
      if (u.outer || u.aggregate || (u.mask & ~group)) break;
      group |= uint64_t(1) << ++last;
    }
    // An equality between an expression of the group and one of the earlier sources.
    auto key_of = [&](const NodePtr& c, uint64_t members, NodePtr& build, NodePtr& probe) {
      if (c->kind != NodeKind::Binary || c->op != ast::Op::Eq) return false;
      Refs l = refs(*c->args[0]), r = refs(*c->args[1]);
      if (l.outer || r.outer || l.aggregate || r.aggregate || ((l.mask | r.mask) & left)) return false;
      auto fits = [](uint64_t m, uint64_t within) { return m && !(m & ~within); };
      if (fits(l.mask, members) && fits(r.mask, earlier)) build = c->args[0], probe = c->args[1];
      else if (fits(r.mask, members) && fits(l.mask, earlier)) build = c->args[1], probe = c->args[0];
      else return false;
      return true;
    };
    // The group ends at the last UNNEST that an equality needs.
    size_t end = k;
    uint64_t members = uint64_t(1) << k;
    for (size_t j = k + 1; j <= last; ++j) {
      members |= uint64_t(1) << j;
      NodePtr build, probe;
      for (const auto* list : {&sources[j].join_filter, &sources[j].after})
        for (const auto& c : *list)
          if (key_of(c, members, build, probe)) end = j;
    }
    if (end == k) continue;
    members = uint64_t(1) << k;
    for (size_t j = k + 1; j <= end; ++j) {
      members |= uint64_t(1) << j;
      std::vector<NodePtr> pool = std::move(sources[j].join_filter);
      pool.insert(pool.end(), sources[j].after.begin(), sources[j].after.end());
      sources[j].join_filter.clear();
      sources[j].after.clear();
      for (auto& c : pool) {
        NodePtr build, probe;
        Refs r = refs(*c);
        if (key_of(c, members, build, probe)) {
          sources[k].build_keys.push_back(build);
          sources[k].probe_keys.push_back(probe);
        } else if (!r.outer && !r.aggregate && !(r.mask & ~members)) {
          sources[j].join_filter.push_back(std::move(c));  // decided while building
        } else {
          sources[j].after.push_back(std::move(c));
        }
      }
    }
    sources[k].expand = int(end - k);
    k = end;
  }
}

// A join that tries every row of one table against every row of another:
// fine on a test cluster, a stopped query (row budget) on a large one.
// A table whose scan keeps only the rows with one value of a field
// (`name = 'x'`, `minor = semver_minor(param.v)`) is assumed small, and an
// explicit CROSS JOIN is taken as meant (a one-row table).
void Binder::warn_quadratic_joins(const Scope& scope, const plan::Select& out) {
  const auto& sources = out.sources;
  auto narrowed = [&](const plan::Source& src, size_t k) {
    if (!src.lookups.empty()) return true;
    for (const auto& c : src.scan_filter) {
      if (c->kind != NodeKind::Binary || c->op != ast::Op::Eq) continue;
      Refs l = refs(*c->args[0]), r = refs(*c->args[1]);
      auto constant = [](const Refs& x) { return !x.mask && !x.outer && !x.aggregate; };
      uint64_t self = uint64_t(1) << k;
      if ((constant(l) && r.mask == self) || (constant(r) && l.mask == self)) return true;
    }
    return false;
  };
  for (size_t k = 1; k < sources.size() && k < scope.sources.size(); ++k) {
    const plan::Source& src = sources[k];
    if (src.kind != plan::Source::Kind::Table || !src.build_keys.empty() || src.network_build ||
        scope.sources[k].cross_keyword || narrowed(src, k))
      continue;
    std::string others;
    for (size_t j = 0; j < k; ++j)
      if (sources[j].kind == plan::Source::Kind::Table && !narrowed(sources[j], j))
        others += (others.empty() ? "" : ", ") + sources[j].table + " AS " + sources[j].alias;
    if (others.empty()) continue;
    plan_->warnings.push_back(source_.at(
        scope.sources[k].pos,
        "nested-loop join of " + src.table + " AS " + src.alias + " with " + others +
            ": every row of one is tried against every row of the other, so its cost is the product of the "
            "tables' sizes",
        "join on an equality between an expression of " + src.alias +
            " (or of its UNNESTs) and one of the earlier sources, which runs as a hash join; if one side has a "
            "single row (k8s.version), write CROSS JOIN to say the cross product is meant"));
  }
}

int Binder::bind_subquery(const ast::Select& s, plan::Subquery::Kind kind, const Ctx& ctx, SourcePos pos) {
  subqueries_.emplace_back();
  int slot = int(subqueries_.size() - 1);
  plan::Subquery& sub = subqueries_.back();
  sub.kind = kind;
  sub.pos = pos;
  Scope scope;
  scope.outer = ctx.scope;
  scope.select = &sub.select;
  scope.subquery = &sub;
  bind_select(s, scope, sub.select, false);
  if (sub.per_row && !sub.select.branches.empty()) {
    error(pos, "a subquery that unnests an array of the outer row cannot use UNION",
          "write one EXISTS per branch, joined with OR");
  } else if (!sub.outer_refs.empty() && !sub.per_row) {
    if (kind != plan::Subquery::Kind::Exists)
      error(pos, std::string(kind == plan::Subquery::Kind::In ? "IN (SELECT ...)" : "a scalar subquery") +
                     " cannot refer to the outer query",
            "use EXISTS (SELECT ... WHERE inner = outer), or a JOIN");
    else if (sub.select.aggregate || sub.select.limit || sub.select.distinct || !sub.select.branches.empty())
      error(pos, "a correlated EXISTS cannot aggregate, use DISTINCT, LIMIT or UNION",
            "move the correlation into a JOIN of the outer query");
  }
  if (kind != plan::Subquery::Kind::Exists && sub.select.outputs.size() != 1)
    error(pos, "the subquery must select exactly one column, it selects " + std::to_string(sub.select.outputs.size()));
  return slot;
}

NodePtr Binder::fold(std::shared_ptr<Node> n) {
  // A call whose arguments are parameters, constants or such calls has the
  // same value for every row: the executor computes it once per execution,
  // e.g. split(param.excluded_namespaces, ',').
  bool invariant = n->kind == NodeKind::Call && !n->fn->is_volatile && n->steps.empty();
  bool constant_args = true;
  for (const auto& a : n->args) {
    invariant = invariant && (a->kind == NodeKind::Const || a->kind == NodeKind::Param || a->memo >= 0);
    constant_args = constant_args && a->kind == NodeKind::Const;
  }
  if (invariant && !constant_args) {
    n->memo = plan_->memo_slots++;
    return n;
  }
  for (const auto& a : n->args)
    if (a->kind != NodeKind::Const) return n;
  for (const auto& s : n->steps)
    if (s.filter) return n;
  if (n->kind == NodeKind::Call && n->fn->is_volatile) return n;
  Runtime rt;
  std::string problem;
  rt.function_error = &problem;
  Value v = evaluate(*n, Frame{}, rt);
  if (!problem.empty()) return error(n->pos, problem);
  // The runtime's arena dies here; keep the value in the plan's.
  Value kept;
  if (v.is_string()) kept = plan_->constants->string(v.as_string());
  else if (v.is_json()) kept = Value::json(plan_->constants->keep(v));
  else kept = v;
  return constant(kept, n->pos, n->text);
}

namespace {
bool is_null_literal(const ast::Expr& e) { return e.kind == ExprKind::Literal && e.literal.kind == ast::Literal::Kind::Null; }

// Whether `e` gives an array whatever its input: a path through [*] or a
// filter, or a function whose signature returns one.
bool gives_array(const ast::Expr& e) {
  if (e.kind == ExprKind::Path && !e.parenthesized)
    for (const auto& step : e.steps)
      if (step.kind == ast::PathStep::Kind::Wildcard || step.kind == ast::PathStep::Kind::Filter) return true;
  if (e.kind != ExprKind::Call) return false;
  const FunctionDef* f = find_function(e.name);
  return f && f->signature.ends_with("-> array");
}
}  // namespace

namespace {
void conjuncts(const ast::Expr& e, std::vector<const ast::Expr*>& out) {
  if (e.kind == ExprKind::Binary && e.op == ast::Op::And) {
    conjuncts(*e.args[0], out);
    conjuncts(*e.args[1], out);
  } else {
    out.push_back(&e);
  }
}

// `x = 'a'` as (x, 'a'): an equality of an expression and a constant.
std::optional<std::pair<std::string, std::string>> equals_constant(const ast::Expr& e) {
  if (e.kind != ExprKind::Binary || e.op != ast::Op::Eq) return std::nullopt;
  const ast::Expr* lit = e.args[1].get();
  const ast::Expr* other = e.args[0].get();
  if (lit->kind != ExprKind::Literal) std::swap(lit, other);
  if (lit->kind != ExprKind::Literal || other->kind == ExprKind::Literal || is_null_literal(*lit)) return std::nullopt;
  return std::make_pair(ast::render(*other), ast::render(*lit));
}

// A size (count, length, array_length) compared as below zero, which it never is.
bool size_below_zero(const ast::Expr& e) {
  if (e.kind != ExprKind::Binary || (e.op != ast::Op::Lt && e.op != ast::Op::Gt)) return false;
  const ast::Expr& size = *e.args[e.op == ast::Op::Lt ? 0 : 1];
  const ast::Expr& bound = *e.args[e.op == ast::Op::Lt ? 1 : 0];
  if (size.kind != ExprKind::Call || bound.kind != ExprKind::Literal) return false;
  std::string f = size.name;
  for (char& c : f) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool sized = f == "count" || f == "length" || f == "array_length";
  const auto& l = bound.literal;
  return sized && ((l.kind == ast::Literal::Kind::Int && l.i <= 0) || (l.kind == ast::Literal::Kind::Real && l.d <= 0));
}
}  // namespace

void Binder::lint_meaning(const ast::Expr& e) {
  if (e.kind == ExprKind::Binary && e.op == ast::Op::And) {
    // `x = 'a' AND x = 'b'`: one value cannot equal two constants.
    std::vector<const ast::Expr*> all;
    conjuncts(e, all);
    std::map<std::string, std::string> seen;
    for (const ast::Expr* c : all)
      if (auto eq = equals_constant(*c)) {
        auto [it, fresh] = seen.emplace(eq->first, eq->second);
        // Only two constants of one kind: 1 and 1.0 are the same number.
        if (!fresh && it->second != eq->second && (it->second[0] == '\'') == (eq->second[0] == '\''))
          warn(source_.at(c->pos, "`" + eq->first + "` cannot equal both " + it->second + " and " + eq->second +
                                      ": the condition is never true",
                          "write " + eq->first + " IN (" + it->second + ", " + eq->second + ") for either"));
      }
  }
  if (size_below_zero(e))
    warn(source_.at(e.pos, "a count or length is never below zero: the comparison is never true",
                    "compare with 0 using = 0 or > 0"));
  const bool comparison = e.kind == ExprKind::Binary && e.op >= ast::Op::Eq && e.op <= ast::Op::Ge;
  if (comparison && (is_null_literal(*e.args[0]) || is_null_literal(*e.args[1])))
    warn(source_.at(e.pos, std::string("comparison with NULL is never true (its result is NULL)"),
                                         e.op == ast::Op::Ne ? "write x IS NOT NULL" : "write x IS NULL"));
  if (e.kind == ExprKind::InList && e.args.size() == 2 && gives_array(*e.args[1]))
    warn(source_.at(
        e.args[1]->pos,
        std::string("`") + (e.negated ? "NOT IN" : "IN") + " (...)` with one array compares the value with the whole array, so it is " +
            (e.negated ? "always true" : "never true"),
        std::string(e.negated ? "write NOT contains(array, x)" : "write contains(array, x)") +
            " to test membership, or list the values: x IN ('a', 'b')"));
}

NodePtr Binder::bind(const ast::Expr& e, const Ctx& ctx) {
  lint_meaning(e);
  auto n = std::make_shared<Node>();
  n->pos = e.pos;
  n->text = ast::render(e);
  switch (e.kind) {
    case ExprKind::Literal: {
      const auto& l = e.literal;
      switch (l.kind) {
        case ast::Literal::Kind::Null: n->value = Value(); break;
        case ast::Literal::Kind::Bool: n->value = Value::boolean(l.b); break;
        case ast::Literal::Kind::Int: n->value = Value::integer(l.i); break;
        case ast::Literal::Kind::Real: n->value = Value::real(l.d); break;
        case ast::Literal::Kind::String: n->value = plan_->constants->string(l.s); break;
      }
      return n;
    }
    case ExprKind::Name:
      return resolve(e.name, e.pos, {}, ctx, e.name);
    case ExprKind::Element:
      if (!ctx.in_filter)
        return error(e.pos, "'@' stands for the element inside an array filter such as args[@ LIKE '--%']");
      n->kind = NodeKind::Element;
      return n;
    case ExprKind::Path:
      return bind_path(e, ctx);
    case ExprKind::Unary:
    case ExprKind::Binary:
      n->kind = e.kind == ExprKind::Unary ? NodeKind::Unary : NodeKind::Binary;
      n->op = e.op;
      for (const auto& a : e.args) n->args.push_back(bind(*a, ctx));
      return fold(n);
    case ExprKind::IsNull:
      n->kind = NodeKind::IsNull;
      n->negated = e.negated;
      n->args.push_back(bind_presence_test(*e.args[0], ctx));
      return fold(n);
    case ExprKind::Between:
    case ExprKind::Like:
    case ExprKind::InList:
    case ExprKind::Case:
      n->kind = e.kind == ExprKind::Between ? NodeKind::Between
                : e.kind == ExprKind::Like  ? NodeKind::Like
                : e.kind == ExprKind::IsNull ? NodeKind::IsNull
                : e.kind == ExprKind::InList ? NodeKind::InList
                                             : NodeKind::Case;
      n->negated = e.negated;
      n->has_operand = e.has_operand;
      n->has_else = e.has_else;
      for (const auto& a : e.args) n->args.push_back(bind(*a, ctx));
      return fold(n);
    case ExprKind::InSelect:
      n->kind = NodeKind::InSubquery;
      n->negated = e.negated;
      n->args.push_back(bind(*e.args[0], ctx));
      n->slot = bind_subquery(*e.subquery, plan::Subquery::Kind::In, ctx, e.pos);
      return n;
    case ExprKind::Exists:
      n->kind = NodeKind::Exists;
      n->slot = bind_subquery(*e.subquery, plan::Subquery::Kind::Exists, ctx, e.pos);
      return n;
    case ExprKind::Subquery:
      n->kind = NodeKind::ScalarSubquery;
      n->slot = bind_subquery(*e.subquery, plan::Subquery::Kind::Scalar, ctx, e.pos);
      return n;
    case ExprKind::Call:
      return bind_call(e, ctx);
  }
  return n;
}

NodePtr Binder::bind_path(const ast::Expr& e, const Ctx& ctx) {
  if (e.base->kind == ExprKind::Name) return resolve(e.base->name, e.base->pos, e.steps, ctx, ast::render(e));
  NodePtr base;
  if (e.base->kind == ExprKind::Call && lower(e.base->name) == "condition") base = bind_call(*e.base, ctx);
  else base = bind(*e.base, ctx);
  return with_steps(base, e.steps, 0, ctx, ast::render(e));
}

namespace {

// Whether a bound expression reads an array element (`@`, or a bare name
// inside `[...]`): `[name = 'x']` does and is a filter; `[lower('NAME')]` or
// `[param.i]` does not and is a key or an index computed from the row.
bool reads_element(const Node& n) {
  if (n.kind == NodeKind::Element) return true;
  for (const auto& a : n.args)
    if (a && reads_element(*a)) return true;
  for (const auto& st : n.steps)
    if (st.filter && reads_element(*st.filter)) return true;
  return false;
}

}  // namespace

NodePtr Binder::with_steps(NodePtr base, const std::vector<ast::PathStep>& steps, size_t from, const Ctx& ctx,
                           std::string text, const std::string* leading_field) {
  if (from >= steps.size() && !leading_field) return base;
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::Path;
  n->pos = base->pos;
  n->text = std::move(text);
  n->args.push_back(base);
  Ctx filter_ctx = ctx;
  filter_ctx.in_filter = true;
  filter_ctx.clause = "an array filter";
  if (leading_field) {
    plan::Step s;
    s.field = *leading_field;
    s.key_id = packed::intern(s.field);
    n->steps.push_back(std::move(s));
  }
  for (size_t i = from; i < steps.size(); ++i) {
    plan::Step s;
    s.kind = steps[i].kind;
    s.field = steps[i].field;
    if (s.kind == ast::PathStep::Kind::Field) s.key_id = packed::intern(s.field);
    s.index = steps[i].index;
    if (steps[i].filter) {
      const ast::Expr* saved = binding_filter_;
      binding_filter_ = steps[i].filter.get();
      s.filter = bind(*steps[i].filter, filter_ctx);
      binding_filter_ = saved;
      s.computed = !reads_element(*s.filter);
    }
    n->steps.push_back(std::move(s));
  }
  return fold(n);
}

bool Binder::find_alias(const std::string& name, const Ctx& ctx, Scope*& scope, int& depth, int& index) {
  depth = 0;
  for (Scope* s = ctx.scope; s; s = s->outer, ++depth) {
    for (size_t i = 0; i < s->visible && i < s->sources.size(); ++i)
      if (s->sources[i].alias == name) {
        scope = s;
        index = int(i);
        return true;
      }
  }
  return false;
}

// A reference to output `name` where the outputs are already computed: the
// row's value, not the expression again. A Const stays itself.
NodePtr Binder::output_ref(const Scope& scope, const std::string& name, const NodePtr& expr) {
  if (expr->kind == NodeKind::Const || !scope.select) return expr;
  const auto& outputs = scope.select->outputs;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].expr == expr) {
      auto n = std::make_shared<Node>();
      n->kind = NodeKind::Output;
      n->pos = expr->pos;
      n->slot = int(i);
      n->text = name;
      n->args.push_back(expr);  // for analyses that look through it (refs, refers_to)
      return n;
    }
  return expr;
}

void Binder::note_outer(const Ctx& ctx, int depth, int source) {
  Scope* s = ctx.scope;
  for (int j = 0; j < depth && s; ++j, s = s->outer)
    if (s->subquery) s->subquery->outer_refs.emplace_back(depth - j - 1, source);
}

// Records the JSON path a reference reads so the scan can fetch just that.
void Binder::note_path(const ScopeSource& src, const std::string& column, const std::vector<ast::PathStep>& steps,
                       size_t from) {
  if (src.use < 0) return;
  std::string path = column;
  bool fields_only = true;
  for (size_t i = from; i < steps.size(); ++i) {
    const ast::PathStep& st = steps[i];
    if (st.kind == ast::PathStep::Kind::Field) {
      // A key with dots ('app.kubernetes.io/name') cannot be a path step:
      // keep the map it is in.
      if (st.field.empty() || st.field.find('.') != std::string::npos) {
        record_path(src.use, std::move(path), false);
        return;
      }
      path += '.';
      path += st.field;
      continue;
    }
    fields_only = false;
    // Arrays are transparent to projection: [0] and [*] keep every element's
    // fields below. A filter [pred] also needs the fields pred reads.
    if (st.kind == ast::PathStep::Kind::Filter) {
      std::vector<std::string> fields;
      // No element field read: a computed key or index, which may name any
      // field, so the whole value is kept.
      if (!st.filter || !element_fields(*st.filter, path, fields) || fields.empty()) {
        record_path(src.use, std::move(path), false);
        return;
      }
      for (auto& f : fields) record_path(src.use, std::move(f), false);
    }
  }
  record_path(src.use, std::move(path), fields_only);
}

// The paths below `base` that an array filter's predicate reads of the
// element (bare names and @.x are element fields); false if it reads the
// element whole or in a way not followed here.
bool Binder::element_fields(const ast::Expr& e, const std::string& base, std::vector<std::string>& out) {
  switch (e.kind) {
    case ast::ExprKind::Literal:
      return true;
    case ast::ExprKind::Element:
      return false;
    case ast::ExprKind::Name:
      if (e.name != "param") out.push_back(base + "." + e.name);
      return true;
    case ast::ExprKind::Path: {
      if (e.base && (e.base->kind == ast::ExprKind::Name || e.base->kind == ast::ExprKind::Element)) {
        if (e.base->kind == ast::ExprKind::Name && e.base->name == "param") return true;
        std::string p = e.base->kind == ast::ExprKind::Name ? base + "." + e.base->name : base;
        size_t fields = 0;
        for (const auto& st : e.steps) {
          if (st.kind != ast::PathStep::Kind::Field || st.field.empty() || st.field.find('.') != std::string::npos) break;
          p += "." + st.field;
          ++fields;
        }
        if (e.base->kind == ast::ExprKind::Element && fields == 0) return false;
        out.push_back(std::move(p));
        return true;
      }
      return false;
    }
    case ast::ExprKind::Exists:
    case ast::ExprKind::Subquery:
    case ast::ExprKind::InSelect:
      return false;
    default:
      for (const auto& a : e.args)
        if (a && !element_fields(*a, base, out)) return false;
      return !e.base || element_fields(*e.base, base, out);
  }
}

// IS [NOT] NULL on a plain path needs to know only whether a value is
// there: the path is projected with "#" (a key no object has, as for UNNEST),
// which keeps an object as {}, an array's elements as {} and a scalar or a
// null as it is. A container's probes or ports are then not kept whole for
// container-no-liveness-probe; a check that reads them otherwise still
// gets them whole (a whole path subsumes the shell).
NodePtr Binder::bind_presence_test(const ast::Expr& operand, const Ctx& ctx) {
  std::vector<std::pair<int, std::string>> captured;
  auto* saved = capture_;
  const bool saved_complete = capture_complete_;
  capture_ = &captured;
  capture_complete_ = true;
  NodePtr n = bind(operand, ctx);
  const bool complete = capture_complete_;
  capture_ = saved;
  capture_complete_ = saved_complete;
  const bool plain = n->kind == NodeKind::Column ||
                     (n->kind == NodeKind::Path && !n->steps.empty() &&
                      std::all_of(n->steps.begin(), n->steps.end(), [](const plan::Step& st) {
                        return st.kind == ast::PathStep::Kind::Field && !st.filter;
                      }));
  if (plain && complete && captured.size() == 1) {
    record_path(captured[0].first, captured[0].second + ".#", true);
  } else {
    for (auto& [use, path] : captured) record_path(use, std::move(path), complete);
  }
  return n;
}

void Binder::record_path(int use, std::string path, bool complete) {
  if (capture_) {
    capture_->emplace_back(use, std::move(path));
    capture_complete_ = capture_complete_ && complete;
    return;
  }
  uses_[size_t(use)].paths.insert(std::move(path));
}

void Binder::check_kube_column(const ScopeSource& src, const std::string& col,
                               const std::vector<ast::PathStep>& steps, size_t from) {
  if (src.kube_type.empty()) return;
  const auto* fields = in_.kube_schema->fields(src.kube_type);
  // A column the driver adds that the object does not have is its own.
  if (!fields || !fields->count(col)) return;
  follow_kube_fields(fields->at(col), col, src.kube_kind, steps, from);
}

std::string Binder::follow_kube_fields(std::string type, std::string where, const std::string& kind,
                                       const std::vector<ast::PathStep>& steps, size_t from) {
  using K = ast::PathStep::Kind;
  for (size_t i = from; i < steps.size() && !type.empty(); ++i) {
    const ast::PathStep& st = steps[i];
    if (type[0] == '[') {  // an index, [*] or a filter picks elements; a field reads each element's
      type.erase(0, 1);
      where += "[]";
      if (st.kind == K::Filter && st.filter) filter_shapes_[st.filter.get()] = {type, where, kind};
      if (st.kind != K::Field) continue;
    }
    if (type[0] == '{') {  // a map: any key
      type.erase(0, 1);
      where += "[key]";
      continue;
    }
    const auto* fields = in_.kube_schema->fields(type);
    if (st.kind != K::Field || !fields) return {};
    auto f = fields->find(st.field);
    if (f == fields->end()) {
      std::vector<std::string> names;
      for (const auto& [n, t] : *fields) names.push_back(n);
      const std::string prefix = where.empty() ? "" : where + ".";
      const std::string name = kind.substr(kind.rfind('/') + 1);
      std::string close = closest_match(st.field, names);
      // `kubectl explain pod.spec.containers` names arrays and maps plainly.
      std::string explain = lower(name) + (where.empty() ? "" : ".");
      for (size_t at = 0; at < where.size(); ++at)
        if (where[at] == '[') at = where.find(']', at);
        else explain += where[at];
      error(st.pos, "unknown field '" + prefix + st.field + "' in a " + name + " (" + kind + ")",
            close.empty() ? "`kubectl explain " + explain + "` lists the fields there"
                          : "did you mean " + prefix + close + "?");
      return {};
    }
    where = prefix_join(where, st.field);
    type = f->second;
  }
  kube_reached_ = type;
  kube_reached_where_ = where;
  kube_reached_kind_ = kind;
  return type;
}

NodePtr Binder::resolve(const std::string& name, SourcePos pos, const std::vector<ast::PathStep>& steps,
                        const Ctx& ctx, const std::string& text) {
  Scope* scope = nullptr;
  int depth = 0, index = -1;
  bool is_alias = find_alias(name, ctx, scope, depth, index);

  // Inside [ ... ] a bare name is a field of the element being tested, even
  // when a FROM alias has that name (`containers[name = 'x']` with a source
  // aliased `name`); `alias.field` still reaches the outer row, as in
  // `statuses[name = c.name]`.
  if (ctx.in_filter && (!is_alias || steps.empty()) && name != "param") {
    auto el = std::make_shared<Node>();
    el->kind = NodeKind::Element;
    el->pos = pos;
    el->text = "@";
    if (auto shape = filter_shapes_.find(binding_filter_); binding_filter_ && shape != filter_shapes_.end()) {
      const auto& [type, where, kind] = shape->second;
      std::vector<ast::PathStep> field(1);  // the bare name, then its steps
      field[0].field = name;
      field[0].pos = pos;
      std::string reached = follow_kube_fields(type, where, kind, field, 0);
      if (!reached.empty()) follow_kube_fields(reached, kube_reached_where_, kind, steps, 0);
    }
    return with_steps(el, steps, 0, ctx, text, &name);
  }

  if (!is_alias && name == "param") {
    if (steps.empty() || steps[0].kind != ast::PathStep::Kind::Field)
      return error(pos, "'param' must be followed by a parameter name, as in param.max_restarts");
    const std::string& p = steps[0].field;
    auto it = std::find(in_.param_names.begin(), in_.param_names.end(), p);
    if (it == in_.param_names.end()) {
      std::string hint = did_you_mean(p, in_.param_names);
      if (hint.empty())
        hint = in_.param_names.empty() ? "declare it with PARAM " + p + " = <default>"
                                       : "declared parameters: " + [&] {
                                           std::string s;
                                           for (const auto& n : in_.param_names) s += (s.empty() ? "" : ", ") + n;
                                           return s;
                                         }();
      return error(steps[0].pos, "unknown parameter '" + p + "'", hint);
    }
    auto n = std::make_shared<Node>();
    n->kind = NodeKind::Param;
    n->pos = pos;
    n->slot = int(it - in_.param_names.begin());
    n->text = "param." + p;
    return with_steps(n, steps, 1, ctx, text);
  }

  if (is_alias) {
    const ScopeSource& src = scope->sources[size_t(index)];
    if (depth > 0) note_outer(ctx, depth, index);
    if (src.broken) return constant(Value(), pos, text);
    auto n = std::make_shared<Node>();
    n->pos = pos;
    n->depth = depth;
    n->source = index;
    if (src.unnest) {
      n->kind = NodeKind::Row;
      n->text = name;
      if (src.origin_use >= 0) {
        ScopeSource origin;
        origin.use = src.origin_use;
        note_path(origin, src.origin_path, steps, 0);
      }
      if (!src.kube_type.empty()) follow_kube_fields(src.kube_type, src.kube_where, src.kube_kind, steps, 0);
      return with_steps(n, steps, 0, ctx, text);
    }
    if (steps.empty()) {
      n->kind = NodeKind::Row;
      n->text = name;
      if (src.use >= 0) uses_[size_t(src.use)].all = true;
      return n;
    }
    if (steps[0].kind != ast::PathStep::Kind::Field)
      return error(steps[0].pos, "'" + name + "' is a table row; name a column first, as in " + name + ".metadata");
    const std::string& col = steps[0].field;
    const ColumnSchema* column = src.schema->column(col);
    if (!column && !src.schema->open_columns) {
      std::vector<std::string> names;
      for (const auto& c : src.schema->columns) names.push_back(c.name);
      return error(steps[0].pos, "unknown column '" + col + "' in table " + src.schema->name, did_you_mean(col, names));
    }
    // An open table's undeclared field is a JSON column like any other.
    if (column && steps.size() > 1 && column->type != ColumnType::Json)
      return error(steps[1].pos, "column '" + col + "' of " + src.schema->name + " is " +
                                     std::string(to_string(column->type)) + " and has no fields");
    n->kind = NodeKind::Column;
    n->column = col;
    n->key_id = packed::intern(col);
    n->text = name + "." + col;
    note_path(src, col, steps, 1);
    check_kube_column(src, col, steps, 1);
    return with_steps(n, steps, 1, ctx, text);
  }

  // Output aliases (ORDER BY, HAVING, templates) name the selected expression.
  if (ctx.aliases) {
    auto it = ctx.scope->output_aliases.find(name);
    if (it != ctx.scope->output_aliases.end())
      return with_steps(ctx.outputs_ready ? output_ref(*ctx.scope, name, it->second) : it->second, steps, 0, ctx, text);
  }

  for (const auto& [let_name, let] : in_.lets)
    if (let_name == name) return bind_let(name, *let, pos, steps, ctx, text);

  // An unqualified column: it must belong to exactly one table in the nearest
  // query level that has it.
  depth = 0;
  for (Scope* s = ctx.scope; s; s = s->outer, ++depth) {
    std::vector<size_t> owners;
    for (size_t i = 0; i < s->visible && i < s->sources.size(); ++i)
      if (s->sources[i].schema && s->sources[i].schema->column(name)) owners.push_back(i);
    if (owners.empty()) continue;
    if (owners.size() > 1) {
      std::string list;
      for (size_t i : owners)
        list += (list.empty() ? "" : ", ") + s->sources[i].alias + " (" + s->sources[i].schema->name + ")";
      return error(pos, "column '" + name + "' is ambiguous: it is in " + list,
                   "qualify it, e.g. " + s->sources[owners[0]].alias + "." + name);
    }
    const ScopeSource& src = s->sources[owners[0]];
    const ColumnSchema* column = src.schema->column(name);
    if (!steps.empty() && column->type != ColumnType::Json)
      return error(steps[0].pos, "column '" + name + "' of " + src.schema->name + " is " +
                                     std::string(to_string(column->type)) + " and has no fields");
    if (depth > 0) note_outer(ctx, depth, int(owners[0]));
    auto n = std::make_shared<Node>();
    n->kind = NodeKind::Column;
    n->pos = pos;
    n->depth = depth;
    n->source = int(owners[0]);
    n->column = name;
    n->key_id = packed::intern(name);
    n->text = name;
    note_path(src, name, steps, 0);
    check_kube_column(src, name, steps, 0);
    return with_steps(n, steps, 0, ctx, text);
  }

  // Nothing by that name: suggest what is in scope.
  std::vector<std::string> candidates;
  const TableSchema* only_table = nullptr;
  size_t tables = 0;
  for (Scope* s = ctx.scope; s; s = s->outer)
    for (size_t i = 0; i < s->visible && i < s->sources.size(); ++i) {
      const auto& src = s->sources[i];
      candidates.push_back(src.alias);
      if (src.broken) return constant(Value(), pos, text);  // already reported
      if (src.schema) {
        ++tables;
        only_table = src.schema;
        for (const auto& c : src.schema->columns) candidates.push_back(c.name);
      }
    }
  for (const auto& [alias, node] : ctx.scope->output_aliases) candidates.push_back(alias);
  if (tables == 1 && ctx.scope->sources.size() == 1)
    return error(pos, "unknown column '" + name + "' in table " + only_table->name, did_you_mean(name, candidates));
  return error(pos, "unknown column or alias '" + name + "'", did_you_mean(name, candidates));
}

// A LET name is its expression, bound where the name is used: in WHERE it
// reads the rows there, in a template the finding's row (aggregates allowed
// where they are). A LET may use the ones before or after it, not itself.
NodePtr Binder::bind_let(const std::string& name, const ast::Expr& let, SourcePos pos,
                         const std::vector<ast::PathStep>& steps, const Ctx& ctx, const std::string& text) {
  if (std::find(lets_binding_.begin(), lets_binding_.end(), name) != lets_binding_.end()) {
    std::string chain;
    for (const auto& l : lets_binding_) chain += l + " -> ";
    return error(pos, "LET " + name + " refers to itself (" + chain + name + ")",
                 "a LET may use other LETs, but not in a cycle");
  }
  lets_binding_.push_back(name);
  NodePtr value = bind(let, ctx);
  lets_binding_.pop_back();
  return with_steps(value, steps, 0, ctx, text);
}

NodePtr Binder::bind_aggregate(const ast::Expr& e, const std::string& name, const Ctx& ctx) {
  const AggregateDef* def = find_aggregate(name);
  if (!ctx.aggregates)
    return error(e.pos, "aggregate function " + name + "() is not allowed in " + ctx.clause,
                 std::string(ctx.clause) == "WHERE" ? "filter groups with HAVING" : "");
  if (e.star && name != "count") return error(e.pos, name + "(*) is not allowed; only count(*) takes *");
  int n = int(e.args.size());
  if (!e.star && (n < def->min_args || n > def->max_args))
    return error(e.pos, name + "() takes " + std::to_string(def->min_args == def->max_args ? def->min_args : def->max_args) +
                            " argument" + (def->max_args == 1 ? "" : "s") + ", got " + std::to_string(n),
                 std::string(def->signature));
  plan::Aggregate agg;
  agg.name = name;
  agg.distinct = e.distinct;
  agg.text = ast::render(e);
  Ctx inner = ctx;
  inner.aggregates = false;
  inner.clause = "an aggregate's argument";
  if (!e.args.empty()) agg.arg = bind(*e.args[0], inner);
  if (name == "string_agg") {
    NodePtr sep = bind(*e.args[1], inner);
    if (sep->kind != NodeKind::Const || !sep->value.is_string())
      return error(e.args[1]->pos, "the separator of string_agg() must be a constant string");
    agg.separator = sep->value;
  }
  if (name == "max_by" || name == "min_by") {
    if (e.distinct) return error(e.pos, name + "() does not take DISTINCT");
    agg.key = bind(*e.args[1], inner);
  }
  if (!e.order_by.empty() && name != "array_agg" && name != "string_agg")
    return error(e.order_by[0].expr->pos, "ORDER BY is only allowed in array_agg() and string_agg(), not in " + name + "()",
                 "the other aggregates do not depend on the order of their inputs");
  for (const auto& item : e.order_by) agg.order.emplace_back(bind(*item.expr, inner), item.desc);
  auto& aggs = ctx.scope->select->aggregates;
  aggs.push_back(std::move(agg));
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::Aggregate;
  node->pos = e.pos;
  node->slot = int(aggs.size() - 1);
  node->text = aggs.back().text;
  return node;
}

NodePtr Binder::bind_call(const ast::Expr& e, const Ctx& ctx) {
  std::string name = lower(e.name);
  if (find_aggregate(name)) return bind_aggregate(e, name, ctx);
  const FunctionDef* fn = find_function(name);
  if (!fn) return error(e.pos, "unknown function '" + e.name + "'", did_you_mean(name, function_names()));
  if (e.star) return error(e.pos, name + "(*) is not allowed; only count(*) takes *");
  if (e.distinct) return error(e.pos, "DISTINCT is only allowed in aggregate functions");
  if (!e.order_by.empty())
    return error(e.order_by[0].expr->pos, "ORDER BY is only allowed in the aggregates array_agg() and string_agg(), not in " +
                                             name + "()");
  int n = int(e.args.size());
  if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
    std::string takes = fn->max_args < 0 ? "at least " + std::to_string(fn->min_args)
                        : fn->min_args == fn->max_args
                            ? std::to_string(fn->min_args)
                            : std::to_string(fn->min_args) + " to " + std::to_string(fn->max_args);
    return error(e.pos, "function " + name + "() takes " + takes + " argument" +
                            (fn->max_args == 1 && fn->min_args == 1 ? "" : "s") + ", got " + std::to_string(n),
                 "usage: " + std::string(fn->signature));
  }
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::Call;
  node->pos = e.pos;
  node->fn = fn;
  node->text = ast::render(e);
  for (size_t i = 0; i < e.args.size(); ++i) {
    const ast::Expr& a = *e.args[i];
    // condition(n, 'Ready') on a table row reads only n.status.conditions.
    Scope* scope;
    int depth, index;
    if (i == 0 && name == "condition" && a.kind == ExprKind::Name && find_alias(a.name, ctx, scope, depth, index) &&
        scope->sources[size_t(index)].schema && scope->sources[size_t(index)].schema->column("status")) {
      std::vector<ast::PathStep> steps(2);
      steps[0].field = "status";
      steps[1].field = "conditions";
      steps[0].pos = steps[1].pos = a.pos;
      node->args.push_back(resolve(a.name, a.pos, steps, ctx, a.name + ".status.conditions"));
      continue;
    }
    node->args.push_back(bind(a, ctx));
  }
  if (fn->prepare && fn->prepare_arg < n) {
    const NodePtr& arg = node->args[size_t(fn->prepare_arg)];
    if (arg->kind == NodeKind::Const && !arg->value.is_null()) {
      std::string problem = fn->prepare(arg->value, node->prepared);
      if (!problem.empty()) return error(arg->pos, problem);
    }
  }
  return fold(node);
}

}  // namespace

Expected<std::shared_ptr<plan::PlanImpl>> bind_plan(const BindInput& input) {
  Binder binder(input);
  try {
    return binder.run();
  } catch (const packed::KeyDictionaryFull& e) {
    return Error(std::string("cannot bind the query: ") + e.what());
  }
}

}  // namespace kinspect::kcql
