// Expression evaluation over one tuple of rows. The Runtime holds what an
// execution shares (arena, parameters, budgets); the executor derives from it
// to answer subqueries. The binder uses a bare Runtime to fold constants.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/kcql/plan.h"
#include "core/kcql/value.h"

namespace kinspect::kcql {

// The rows bound at one query level: tuple[i] is source i's row (or UNNEST
// element), nullptr for a NULL-extended row. `outer` is the enclosing query's
// frame for correlated subqueries.
struct Frame {
  const packed::Ref* tuple = nullptr;
  const Frame* outer = nullptr;
};

class Runtime {
 public:
  Runtime() = default;
  virtual ~Runtime() = default;

  // Where computed values go; a subquery being built switches it to its own
  // arena so that releasing a filter's scratch memory cannot free its data.
  Arena* arena = &own_arena_;
  double now = 0;
  std::vector<packed::Ref> params;  // by slot, packed into the arena
  std::unordered_map<std::string, std::shared_ptr<const void>> function_cache;
  // Values of calls on parameters and constants only (plan::Node::memo), and
  // the arena they live in, which no per-row release touches.
  std::vector<std::pair<bool, Value>> memo;
  Arena memo_arena;
  // Set while evaluating the outputs of a group: the group's aggregate values.
  const Value* group = nullptr;
  // Set while an array filter tests an element.
  packed::Ref element;
  // Set while a row's extras and ORDER BY keys are computed: where that
  // row's outputs are, which plan::NodeKind::Output reads rather than
  // evaluating its expression again (a check's template names an output
  // three times: OBJECT, TARGET, MESSAGE).
  const std::vector<Value>* row_outputs = nullptr;
  size_t row_outputs_at = 0;
  // The first fatal error (budget exceeded...); evaluation stops once set.
  std::string error;
  // Where in the query that error arose (line 0: nowhere in particular, as
  // for a table that could not be fetched), so that it can be reported as
  // file:line:col like a bind error.
  SourcePos error_pos;
  // The construct whose rows are being read (a FROM item, an EXISTS probing
  // its inner rows): a budget running out is reported there.
  SourcePos reading;
  // Where a function's complaint about its input goes; null while evaluating
  // rows (bad data gives NULL), set when folding constants at bind time.
  std::string* function_error = nullptr;

  // Counts one examined row; false once a budget is exceeded.
  bool tick() {
    ++examined_;
    if (examined_ > row_budget_) return over_row_budget();
    // A countdown, not examined_ % interval: a division for every row of
    // every check was a percent of a whole run.
    if (--until_clock_ == 0) {
      until_clock_ = check_interval_;
      if (!within_deadline()) return false;
    }
    return error.empty();
  }
  bool failed() const { return !error.empty(); }
  void fail(std::string message) { fail_at({}, std::move(message)); }
  void fail_at(SourcePos pos, std::string message) {
    if (!error.empty()) return;
    error = std::move(message);
    error_pos = pos;
  }
  uint64_t examined() const { return examined_; }
  void set_budget(uint64_t rows, std::chrono::milliseconds time, unsigned interval, std::string label);
  // A stepped run moves its deadline so that only its own time counts.
  void extend_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }

  virtual Value exists(int slot, const Frame& frame) { return {}; }
  // `frame` is the caller's row, read by a subquery run per outer row.
  virtual Value in_subquery(int slot, const Value& v, const Frame& frame) { return {}; }
  virtual Value scalar_subquery(int slot, const Frame& frame) { return {}; }

 private:
  Arena own_arena_;
  bool within_deadline();
  bool over_row_budget();
  uint64_t examined_ = 0;
  uint64_t row_budget_ = UINT64_MAX;
  unsigned check_interval_ = 1024;
  unsigned until_clock_ = 1024;  // rows left before the deadline is looked at again
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds time_budget_{0};
  std::string label_ = "query";
};

Value evaluate(const plan::Node& node, const Frame& frame, Runtime& rt);

// SQL LIKE: % any run, _ one character; case-sensitive.
bool like_match(std::string_view text, std::string_view pattern);

}  // namespace kinspect::kcql
