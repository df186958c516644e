// Internals shared by the renderers: ordering and grouping of checks, number
// and duration formatting. Not part of the library's API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/report/report.h"

namespace kinspect::report::detail {

// Display order of a check: 0 critical fail, 1 warning fail, 2 info fail,
// 3 error, 4 skipped, 5 pass.
int order_rank(const CheckResult& c);
inline constexpr int kRankError = 3, kRankSkipped = 4, kRankPass = 5;

struct Counts {
  uint64_t checks = 0, passed = 0, failed = 0, errors = 0, skipped = 0, findings = 0;
  uint64_t not_checked = 0;  // errors and skips that count against completeness (counts_as_not_checked)
  uint64_t unchecked_skips = 0, other_skips = 0;  // skipped: counting against completeness, or not (not applicable, optional)
  uint64_t critical = 0, warning = 0, info = 0;  // failed checks by severity
  void add(const CheckResult& c);
};

struct ComponentGroup {
  std::string name;  // "" becomes "general"
  std::vector<const CheckResult*> checks;  // failures first
  int worst = kRankPass;
  Counts counts;
};

struct CategoryGroup {
  std::string name;
  std::vector<ComponentGroup> components;  // failures first
  int worst = kRankPass;
  Counts counts;
};

// Categories, failures first, then the usual order (nodes, control-plane,
// addons, network, workloads, storage, security, upgrade, node-host), then
// others as they appear; components by worst result then first appearance;
// checks by order_rank, stable.
std::vector<CategoryGroup> group_checks(const Report& r);

// "control-plane" -> "Control plane"; unknown names are returned as they are.
std::string category_title(std::string_view category);
// A group's state word: "abnormal" (a failure), "not checked" (no check of
// the group could run), "incomplete" (some could not), "normal" (every check
// that was meant to run passed).
std::string_view group_state(const Counts& c);

// Shortest round-trip text for a double ("1500", "3.25"); integers without ".0".
std::string format_number(double v);
// "850 ms", "3.2 s", "2 min 5 s".
std::string format_duration(double ms);
// The text with every byte sequence that is not valid UTF-8 replaced by U+FFFD
// (JSON and XML readers reject such bytes; cluster data may carry them).
std::string valid_utf8(std::string_view s);
// `s` as a JSON string literal, invalid UTF-8 replaced by U+FFFD: the same
// text as serializing valid_utf8(s) with Boost.JSON, without building a value.
void append_json_string(std::string& out, std::string_view s);

// Text or an attribute value for HTML: markup characters escaped, invalid
// UTF-8 and control characters (but newline and tab) replaced by U+FFFD.
std::string esc(std::string_view text);

// "1 finding" / "3 findings".
std::string plural(uint64_t n, std::string_view one, std::string_view many = {});

}  // namespace kinspect::report::detail
