// Checks: the *.kcql files operators write. A file holds any number of
// checks; each is a block of clauses, one keyword at the start of a line:
//
//   CHECK node-not-ready
//     TITLE    "Node is not Ready"
//     CATEGORY nodes
//     SEVERITY critical
//     FROM     k8s.nodes n
//     WHERE    condition(n, 'Ready').status != 'True'
//     OBJECT   "node/{n.metadata.name}"
//     MESSAGE  "node {n.metadata.name} is not Ready"
//
// Every result row of the check's query is a finding; OBJECT and MESSAGE are
// templates whose {placeholders} are KCQL expressions over that row.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/kcql/executor.h"
#include "core/kcql/kcql.h"

namespace kinspect::kcql {

struct ParamDef {
  std::string name;
  boost::json::value default_value;
  std::string doc;
  SourcePos pos;
};

// `LET name = expr`: a name for an expression, usable in the query and the
// templates as if the expression were written there.
struct LetDef {
  std::string name;
  std::shared_ptr<const ast::Expr> expr;
  SourcePos pos;  // of the name
};

// "node {n.metadata.name} not Ready": literal text and placeholders.
struct Template {
  struct Part {
    std::string literal;                     // when expr is null
    std::shared_ptr<const ast::Expr> expr;   // a placeholder
    std::string text;                        // the placeholder's source text
  };
  std::vector<Part> parts;
  SourcePos pos;
  bool empty() const { return parts.empty(); }
};

struct CheckDef {
  std::string id;
  std::string title;
  std::string category;
  std::string severity;  // critical, warning or info
  std::string component;
  std::string doc_url;
  std::string description;
  std::string remedy;
  std::vector<std::string> tags;
  std::vector<ParamDef> params;
  std::vector<LetDef> lets;
  Query query;
  Template object;
  Template message;
  // Findings reported twice, once by kinspect and once by another tool through
  // its adapter, are shown as one (docs/checks.md, "Equivalent findings"):
  // SAME_AS lists the other tools' check ids this check detects too
  // ("polaris:runAsPrivileged"); TARGET renders the Kubernetes object a finding
  // is about, "<namespace>/<kind>/<name>[/<container>]" (kind in lower case);
  // TOOL_ID renders an adapter finding's own tool id ("polaris:{r.check}").
  std::vector<std::string> same_as;
  Template target;
  Template tool_id;
  std::string file;
  SourcePos pos;  // of the CHECK keyword
};

// The categories a check may name (reports group by them).
const std::vector<std::string>& known_categories();
const std::vector<std::string>& known_severities();

// Parses every check of one file; reports every problem found, each with its
// file:line:col.
Expected<std::vector<CheckDef>> parse_checks(std::string_view text, std::string_view file,
                                             const ParseLimits& limits = {});
// A *.kcql file, or every *.kcql file below a directory (sorted by path).
// Also reports check ids defined twice across the files.
Expected<std::vector<CheckDef>> load_checks(const std::filesystem::path& path_or_dir);

struct BoundCheck {
  std::shared_ptr<const CheckDef> def;
  Plan plan;
  // Template parts: literal text, or the index of a plan extra.
  struct Part {
    std::string literal;
    int extra = -1;
  };
  std::vector<Part> object;
  std::vector<Part> message;
  std::vector<Part> target;   // empty when the check has no TARGET
  std::vector<Part> tool_id;  // empty when the check has no TOOL_ID
};

// Binds a check with its declared parameters; `overrides` (e.g. from a
// profile) replace defaults, and naming an undeclared parameter is an error.
Expected<BoundCheck> bind_check(const CheckDef& check, const Catalog& catalog, const Params& overrides = {});

// One row of a check's result, rendered. What every finding of a check
// shares (its id, severity, category) stays on the check: 150,000 findings
// of one check would otherwise carry 150,000 copies.
struct Finding {
  std::string object;
  std::string message;
  std::string target;   // TARGET rendered, or ""
  std::string tool_id;  // TOOL_ID rendered, or ""
  boost::json::object row;  // the query's output columns
};

// ExecOptions::label defaults to "check <id>" when left as "query".
// Turns the rows of a check's plan into findings (run_plan's sink), for
// callers that drive the plan themselves (a SteppedRun).
// Collects a check's findings within a byte budget (ExecOptions::
// output_budget, counted as JSON): a check that would fill memory with
// findings stops with an error naming the bound instead.
class FindingsCollector {
 public:
  // Where each finding goes as soon as it is made; unset: kept here for
  // take(). A caller that turns findings into something else (a report)
  // then never holds a check's findings twice.
  using Keep = std::function<void(Finding&&)>;
  // Told how many rows the check's query gave before they become findings
  // (at most that many findings follow), to make room for them once.
  using Expect = std::function<void(size_t findings)>;
  FindingsCollector(const BoundCheck& check, const ExecOptions& options, Keep keep = {}, Expect expect = {})
      : check_(check), options_(options), keep_(std::move(keep)), expect_(std::move(expect)) {}
  RowSink sink();
  // The findings kept here, or the budget's error: then whatever a Keep
  // took is to be thrown away too.
  Expected<std::vector<Finding>> take();

 private:
  const BoundCheck& check_;
  ExecOptions options_;
  Keep keep_;
  Expect expect_;
  std::vector<Finding> findings_;
  uint64_t bytes_ = 0;
  bool over_ = false;
};
Expected<std::vector<Finding>> run_check(const BoundCheck& check, TableProvider& provider,
                                         const ExecOptions& options = {}, FindingsCollector::Keep keep = {},
                                         FindingsCollector::Expect expect = {});

// Binds every check and returns every diagnostic (none: all good). With
// `warnings`, also collects what binds but may run badly (Plan::warnings),
// each message starting "check <id>: ".
std::vector<Diagnostic> lint_checks(const std::vector<CheckDef>& checks, const Catalog& catalog,
                                    std::vector<Diagnostic>* warnings = nullptr);
// load_checks + lint_checks.
std::vector<Diagnostic> lint_path(const std::filesystem::path& path_or_dir, const Catalog& catalog,
                                  std::vector<Diagnostic>* warnings = nullptr);
// A warning as Diagnostic::format() prints an error: "file:line:col: warning: ...".
std::string format_warning(const Diagnostic& warning);

}  // namespace kinspect::kcql
