#include "core/run/findings.h"

#include <boost/json/parser.hpp>

#include <cctype>

namespace kinspect {

namespace json = boost::json;

report::Severity severity_of(std::string_view s) {
  report::Severity out = report::Severity::Warning;
  report::parse_severity(s, out);
  return out;
}

report::Severity finding_severity(std::string_view own, report::Severity check_severity,
                                  const std::optional<std::string>& profile_override) {
  if (profile_override) return severity_of(*profile_override);
  return own.empty() ? check_severity : severity_of(own);
}

void add_kcql_finding(report::CheckResult& result, kcql::Finding&& f) {
  report::Finding rf;
  rf.object = std::move(f.object);
  rf.message = std::move(f.message);
  rf.severity = result.severity;
  rf.target = std::move(f.target);
  rf.tool_id = std::move(f.tool_id);
  rf.details = std::move(f.row);
  result.findings.push_back(std::move(rf));
}

namespace {

std::string string_member(const json::value& v, const char* key) {
  const json::value* m = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return m && m->is_string() ? std::string(m->as_string()) : std::string();
}

}  // namespace

Status add_native_findings(report::CheckResult& result, std::string_view batches, std::string_view plugin,
                           const std::optional<std::string>& profile_override) {
  json::parser p;
  for (size_t pos = 0; pos < batches.size();) {
    if (std::isspace(static_cast<unsigned char>(batches[pos]))) {
      ++pos;
      continue;
    }
    json::error_code ec;
    p.reset();
    pos += p.write_some(batches.data() + pos, batches.size() - pos, ec);
    if (ec) return Error("plugin '" + std::string(plugin) + "' returned an invalid finding: " + ec.message());
    json::value v = p.release();
    report::Finding rf;
    rf.object = string_member(v, "object");
    rf.message = string_member(v, "message");
    rf.severity = finding_severity(string_member(v, "severity"), result.severity, profile_override);
    if (const json::value* d = v.is_object() ? v.as_object().if_contains("details") : nullptr) rf.details = *d;
    result.findings.push_back(std::move(rf));
  }
  return Status::Ok();
}

}  // namespace kinspect
