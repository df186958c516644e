// The run's last stage for each check: its results, KCQL rows or a plugin's
// native findings, become report findings by one rule.
//
// Severity: the profile's override for the check wins; else the finding's
// own severity (a KCQL check's SEVERITY expression, a native finding's
// "severity"); else the check's severity.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kcql/check.h"
#include "core/report/report.h"

namespace kinspect {

// "critical", "warning" or "info"; anything else reads as warning.
report::Severity severity_of(std::string_view s);

report::Severity finding_severity(std::string_view own, report::Severity check_severity,
                                  const std::optional<std::string>& profile_override);

// Appends a KCQL check's finding to `result`, at the result's severity
// (the profile's override already in it).
void add_kcql_finding(report::CheckResult& result, kcql::Finding&& f);

// Appends a native check's findings, given as the JSON objects its plugin
// wrote (ki_check_request: object, message, severity, details); an object
// that does not parse is an error naming the plugin.
Status add_native_findings(report::CheckResult& result, std::string_view batches, std::string_view plugin,
                           const std::optional<std::string>& profile_override);

}  // namespace kinspect
