#include "core/kcql/kcql.h"

#include <boost/json/serialize.hpp>

#include "core/kcql/binder.h"
#include "core/kcql/executor.h"
#include "core/kcql/plan.h"

namespace kinspect::kcql {

const std::vector<ScanSpec>& Plan::scans() const { return impl_->scans; }

std::vector<std::string> Plan::columns() const {
  std::vector<std::string> names;
  for (const auto& o : impl_->root.outputs) names.push_back(o.name);
  return names;
}

const std::vector<std::string>& Plan::parameters() const { return impl_->param_names; }

std::string Plan::explain() const { return plan::explain(*impl_); }

const std::vector<Diagnostic>& Plan::warnings() const { return impl_->warnings; }

Expected<Plan> bind_query(const Query& query, const Catalog& catalog, const Params& params) {
  BindInput in;
  in.query = &query;
  in.catalog = &catalog;
  for (const auto& [name, value] : params) {
    in.param_names.push_back(name);
    in.param_values.push_back(value);
  }
  auto impl = bind_plan(in);
  if (!impl) return std::move(impl).error();
  return Plan(std::move(impl).value());
}

Error output_budget_error(const ExecOptions& options, size_t before, const char* what) {
  uint64_t b = options.output_budget;
  return Error(options.label + " exceeded its output budget of " +
               (b >= (1u << 20) ? std::to_string(b >> 20) + " MiB" : std::to_string(b) + " bytes") + " of results after " +
               std::to_string(before) + " " + what + "; select fewer columns or add a LIMIT or WHERE");
}

Expected<ResultSet> execute(const Plan& plan, TableProvider& provider, const ExecOptions& options) {
  ResultSet rs;
  rs.columns = plan.columns();
  size_t width = rs.columns.size();
  uint64_t produced = 0;
  bool over = false;
  size_t rows_before = 0;
  auto examined = run_plan(plan.impl(), provider, options, [&](const Value* outputs, const Value*) {
    if (over) return;
    boost::json::array row;
    row.reserve(width);
    for (size_t i = 0; i < width; ++i) row.push_back(to_json(outputs[i]));
    produced += json_bytes(row);
    if (produced > options.output_budget) {
      over = true;
      rows_before = rs.rows.size();
      rs.rows.clear();
      return;
    }
    rs.rows.push_back(std::move(row));
  });
  if (!examined) return std::move(examined).error();
  if (over) {
    const plan::PlanImpl& impl = plan.impl();
    return impl.source.error_at(impl.root.pos, output_budget_error(options, rows_before, "rows").message());
  }
  rs.rows_examined = *examined;
  return rs;
}

namespace plan {

static std::string list(const std::vector<NodePtr>& nodes, std::string_view sep = " AND ") {
  std::string out;
  for (const auto& n : nodes) {
    if (!out.empty()) out += sep;
    out += n->text;
  }
  return out;
}

static void explain_select(const PlanImpl& p, const Select& s, int indent, std::string& out);

static void explain_subqueries_in(const PlanImpl& p, const std::vector<NodePtr>& nodes, int indent, std::string& out);

static void line(std::string& out, int indent, const std::string& text) {
  out.append(size_t(indent) * 2, ' ');
  out += text;
  out += '\n';
}

static void collect_subqueries(const Node& n, std::vector<int>& out) {
  if (n.kind == NodeKind::Exists || n.kind == NodeKind::InSubquery || n.kind == NodeKind::ScalarSubquery)
    out.push_back(n.slot);
  for (const auto& a : n.args) collect_subqueries(*a, out);
  for (const auto& s : n.steps)
    if (s.filter) collect_subqueries(*s.filter, out);
}

static void explain_subqueries_in(const PlanImpl& p, const std::vector<NodePtr>& nodes, int indent, std::string& out) {
  std::vector<int> slots;
  for (const auto& n : nodes)
    if (n) collect_subqueries(*n, slots);
  for (int slot : slots) {
    const Subquery& sub = p.subqueries[size_t(slot)];
    const char* kind = sub.kind == Subquery::Kind::Exists ? "EXISTS" : sub.kind == Subquery::Kind::In ? "IN" : "SCALAR";
    std::string head = std::string("subquery #") + std::to_string(slot) + " " + kind;
    if (sub.per_row) head += " (run per outer row: unnests its arrays)";
    else if (sub.kind != Subquery::Kind::Exists || sub.outer_refs.empty()) head += " (evaluated once)";
    else if (!sub.outer_keys.empty()) head += " (hash semi-join on " + list(sub.inner_keys, ", ") + " = " + list(sub.outer_keys, ", ") + ")";
    else head += " (nested loop)";
    line(out, indent, head);
    if (!sub.residual.empty()) line(out, indent + 1, "recheck: " + list(sub.residual));
    explain_select(p, sub.select, indent + 1, out);
  }
}

static void explain_branch(const PlanImpl& p, const Select& s, int indent, std::string& out);

// A UNION prints each branch under its own heading, then what applies to the whole.
static void explain_select(const PlanImpl& p, const Select& s, int indent, std::string& out) {
  if (s.branches.empty()) return explain_branch(p, s, indent, out);
  line(out, indent, "union of " + std::to_string(s.branches.size() + 1) + " branches");
  line(out, indent + 1, "branch 1:");
  explain_branch(p, s, indent + 2, out);
  for (size_t b = 0; b < s.branches.size(); ++b) {
    line(out, indent + 1, "branch " + std::to_string(b + 2) +
                              (s.branches[b].all ? " (UNION ALL: duplicates kept):" : " (UNION: duplicates dropped):"));
    explain_select(p, *s.branches[b].select, indent + 2, out);
  }
  if (!s.union_order.empty()) {
    std::string keys;
    for (const auto& [k, desc] : s.union_order) keys += (keys.empty() ? "" : ", ") + s.outputs[k].name + (desc ? " DESC" : "");
    line(out, indent, "sort: " + keys);
  }
  if (s.union_limit) line(out, indent, "limit: " + std::to_string(*s.union_limit));
}

static void explain_branch(const PlanImpl& p, const Select& s, int indent, std::string& out) {
  size_t built_until = 0;  // UNNESTs k+1..built_until are in table k's build side
  for (size_t k = 0; k < s.sources.size(); ++k) {
    const Source& src = s.sources[k];
    const bool built = k <= built_until && k > 0 && src.kind == Source::Kind::Unnest;
    std::string head;
    if (built) {
      head = "build side: ";
    } else if (k > 0) {
      head = src.join == ast::JoinKind::Left ? "left " : "";
      if (src.kind == Source::Kind::Table)
        head += !src.build_keys.empty() ? "hash join " : src.network_build ? "network-index join " : "nested-loop join ";
      else head += "lateral ";
    }
    if (src.kind == Source::Kind::Table && src.with >= 0) {
      head += "scan WITH query " + src.table + " AS " + src.alias;
    } else if (src.kind == Source::Kind::Table) {
      const ScanSpec& scan = p.scans[size_t(src.scan)];
      head += "scan " + scan.key() + " AS " + src.alias;
      std::string paths;
      for (const auto& path : scan.paths) paths += (paths.empty() ? "" : ", ") + path;
      head += " [" + (scan.paths.empty() ? std::string("all columns") : paths) + "]";
    } else {
      head += "unnest " + src.unnest->text + " AS " + src.alias;
    }
    if (src.expand > 0) built_until = k + size_t(src.expand);
    line(out, indent + (built ? 1 : 0), head);
    if (built) ++indent;
    if (!src.scan_filter.empty()) line(out, indent + 1, "filter: " + list(src.scan_filter));
    if (!src.build_keys.empty())
      line(out, indent + 1, "keys: " + list(src.build_keys, ", ") + " = " + list(src.probe_keys, ", "));
    for (const auto& l : src.lookups) line(out, indent + 1, "index lookup: " + l.text);
    if (src.kind == Source::Kind::Table && src.with < 0 && !p.scans[size_t(src.scan)].constraints.empty()) {
      std::string pushed;
      for (const auto& c : p.scans[size_t(src.scan)].constraints) pushed += (pushed.empty() ? "" : " AND ") + c.text();
      line(out, indent + 1, "pushed to the source: " + pushed);
    }
    if (src.build_keys.empty() && src.network_build)
      line(out, indent + 1, "index: networks " + src.network_build->text + " containing " + src.network_probe->text);
    if (!src.join_filter.empty()) line(out, indent + 1, (built ? "filter: " : "on: ") + list(src.join_filter));
    if (!src.after.empty()) line(out, indent + 1, "then filter: " + list(src.after));
    explain_subqueries_in(p, src.scan_filter, indent + 1, out);
    explain_subqueries_in(p, src.join_filter, indent + 1, out);
    explain_subqueries_in(p, src.after, indent + 1, out);
    if (built) --indent;
  }
  if (s.aggregate) {
    std::string aggs;
    for (const auto& a : s.aggregates) aggs += (aggs.empty() ? "" : ", ") + a.text;
    line(out, indent, "aggregate" + (s.group_keys.empty() ? std::string() : " by " + list(s.group_keys, ", ")) +
                          (aggs.empty() ? "" : ": " + aggs));
    if (s.having) line(out, indent + 1, "having: " + s.having->text);
  }
  std::string outputs;
  for (const auto& o : s.outputs) outputs += (outputs.empty() ? "" : ", ") + o.expr->text + (o.expr->text == o.name ? "" : " AS " + o.name);
  line(out, indent, std::string(s.distinct ? "project distinct: " : "project: ") + outputs);
  std::vector<NodePtr> outs;
  for (const auto& o : s.outputs) outs.push_back(o.expr);
  explain_subqueries_in(p, outs, indent + 1, out);
  if (!s.order.empty()) {
    std::string keys;
    for (const auto& [k, desc] : s.order) keys += (keys.empty() ? "" : ", ") + k->text + (desc ? " DESC" : "");
    line(out, indent, "sort: " + keys);
  }
  if (s.limit) line(out, indent, "limit: " + std::to_string(*s.limit));
}

std::optional<FieldPath> field_path(const Node& n, int source) {
  const Node* col = &n;
  if (n.kind == NodeKind::Path) {
    col = n.args[0].get();
    for (const auto& st : n.steps)
      if (st.kind != ast::PathStep::Kind::Field) return std::nullopt;
  }
  if (col->kind != NodeKind::Column || col->depth != 0 || col->source != source) return std::nullopt;
  FieldPath out{{col->key_id}, col->column};
  if (n.kind == NodeKind::Path)
    for (const auto& st : n.steps) {
      out.keys.push_back(st.key_id);
      out.dotted += "." + st.field;
    }
  return out;
}

std::string explain(const PlanImpl& p) {
  std::string out;
  if (!p.param_names.empty()) {
    std::string params;
    for (size_t i = 0; i < p.param_names.size(); ++i)
      params += (params.empty() ? "" : ", ") + p.param_names[i] + " = " + boost::json::serialize(p.param_values[i]);
    line(out, 0, "parameters: " + params);
  }
  for (const auto& w : p.with) {
    line(out, 0, "WITH query " + w.name + " (evaluated once):");
    explain_select(p, w.select, 1, out);
  }
  explain_select(p, p.root, 0, out);
  return out;
}

}  // namespace plan

}  // namespace kinspect::kcql
