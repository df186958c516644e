// The errors a Popeye report records: scans it could not finish (a resource
// it may not list, a metrics server it could not reach).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kinspect::adapters::popeye {

// Every error in `text`'s popeye.errors, in order. From v0.20 Popeye writes
// them as one object with the key "error" repeated, {"error": "a",
// "error": "b"} (its report.Errors.MarshalJSON), of which a JSON object keeps
// only the last, so they are read from the text itself. Before v0.20 they
// are an array of Go errors, each written as {} with no message: each is
// kept as "" (the caller says Popeye gave no message). Empty when the
// report has none. `text` has already parsed as JSON.
std::vector<std::string> report_errors(std::string_view text);

}  // namespace kinspect::adapters::popeye
