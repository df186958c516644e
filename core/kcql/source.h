// A document being parsed or bound: its name and text, so that any layer can
// build a diagnostic with the offending line and a caret.
#pragma once

#include <memory>
#include <string>

#include "core/util/error.h"

namespace kinspect::kcql {

struct SourceText {
  std::string file;
  std::shared_ptr<const std::string> text;

  Diagnostic at(SourcePos pos, std::string message, std::string hint = {}) const {
    Diagnostic d;
    d.file = file;
    d.pos = pos;
    d.message = std::move(message);
    d.hint = std::move(hint);
    if (text) d.source_line = std::string(line_of(*text, pos.line));
    return d;
  }
  // An error found at `pos` once the query runs (a budget, a scalar
  // subquery's rows): reported as a bind error is.
  Error error_at(SourcePos pos, std::string message) const { return Error::from(at(pos, std::move(message))); }
};

// One Error carrying every diagnostic; the summary is the first one in full.
inline Error error_from(std::vector<Diagnostic> diags) {
  std::string summary = diags.empty() ? std::string("error") : diags.front().format();
  if (diags.size() > 1) summary += "\n(and " + std::to_string(diags.size() - 1) + " more errors)";
  return Error(std::move(summary), std::move(diags));
}

}  // namespace kinspect::kcql
