// Errors that carry where they come from. The core reports failures as values
// (Expected<T>) rather than exceptions, the way osquery's Status does, so that
// every layer can add context and nothing is lost on the way to the user.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kinspect {

// A place in an input: 1-based line and column; 0 means "not known".
struct SourcePos {
  unsigned line = 0;
  unsigned column = 0;
};

// One problem found in an input (a KCQL file, a profile, a kubeconfig...).
// format() prints "file:line:col: error: message", the offending source line
// with a caret under the column, and a hint such as "did you mean 'nodes'?".
struct Diagnostic {
  std::string file;         // path or a name such as "<query>"
  SourcePos pos;
  std::string message;
  std::string hint;         // optional
  std::string source_line;  // optional: the text of line pos.line
  std::string field;        // optional: a dotted field path for structured inputs

  std::string format() const;
};

// `text` without the library source locations Boost appends to exception
// messages (" [boost.json:3 at ./boost/json/...hpp:2750 in function ...]"):
// they name our dependencies' files, not the user's input.
std::string without_source_locations(std::string text);

// A table error without the "plugin 'p', table t: " the host puts in front
// (core/plugin), so one failure that took down many tables reads the same
// for each: "plugin 'k', table k8s.pods: connection refused" -> "connection refused".
std::string without_table_prefix(const std::string& error);

// An error: a summary and, for inputs, every diagnostic found (we report all
// problems at once rather than stopping at the first).
class Error {
 public:
  Error() = default;
  explicit Error(std::string message) : message_(without_source_locations(std::move(message))) {}
  Error(std::string message, std::vector<Diagnostic> diagnostics)
      : message_(without_source_locations(std::move(message))), diagnostics_(std::move(diagnostics)) {}
  static Error from(Diagnostic d) {
    std::string m = d.format();
    return Error(std::move(m), {std::move(d)});
  }
  // The source cannot provide the data here (a plugin's KI_UNAVAILABLE): the
  // resource is not served, forbidden, not captured. `cause` is a few words
  // ("not served") that reports group by; checks needing the data are "not
  // checked", neither errors nor passes.
  static Error unavailable(std::string cause, std::string message) {
    Error e(std::move(message));
    e.cause_ = std::move(cause);
    return e;
  }

  const std::string& message() const { return message_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  bool is_unavailable() const { return !cause_.empty(); }
  // For unavailable errors: the short cause ("not served"); "" otherwise.
  const std::string& cause() const { return cause_; }
  // The message and, when it is not already the same text, every diagnostic.
  std::string format() const;
  // Prefix the summary with context, e.g. "loading profiles/x.yaml: ".
  Error& context(std::string_view what);

 private:
  std::string message_;
  std::vector<Diagnostic> diagnostics_;
  std::string cause_;  // set only for unavailable errors
};

// Value-or-error, in the spirit of C++23 std::expected.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// For operations with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)), failed_(true) {}
  static Status Ok() { return {}; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

// Returns the line `line` (1-based) of text, without its newline; "" if absent.
std::string_view line_of(std::string_view text, unsigned line);

// The candidate closest to `word` by edit distance, if it is close enough to be
// a plausible typo; "" otherwise. Used for "did you mean" hints.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace kinspect
