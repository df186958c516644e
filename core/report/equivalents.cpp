// Equivalent findings (report.h, merge_equivalent_findings): one entry for a
// problem kinspect and another tool both report on the same object.
#include <map>
#include <utility>

#include "core/report/report.h"

namespace kinspect::report {

namespace {

struct Where {
  size_t check = 0, finding = 0;
};

// (tool id, target) -> the first finding of a check that lists the tool id
// in SAME_AS, in report order, so the result does not depend on timing.
std::map<std::pair<std::string, std::string>, Where> equivalents_index(const Report& r) {
  std::map<std::pair<std::string, std::string>, Where> index;
  for (size_t c = 0; c < r.checks.size(); ++c) {
    const CheckResult& check = r.checks[c];
    for (size_t f = 0; f < check.findings.size(); ++f) {
      const Finding& finding = check.findings[f];
      if (finding.target.empty() || !finding.tool_id.empty()) continue;  // an adapter finding is never the one kept
      for (const auto& id : check.same_as) index.emplace(std::pair{id, finding.target}, Where{c, f});
    }
  }
  return index;
}

}  // namespace

void merge_equivalent_findings(Report& r) {
  const auto index = equivalents_index(r);
  if (index.empty()) return;
  // Findings are attached first and removed after, so the index stays valid.
  std::vector<std::vector<bool>> moved(r.checks.size());
  for (size_t c = 0; c < r.checks.size(); ++c) {
    CheckResult& check = r.checks[c];
    moved[c].resize(check.findings.size());
    for (size_t i = 0; i < check.findings.size(); ++i) {
      const Finding& f = check.findings[i];
      auto it = f.tool_id.empty() || f.target.empty() ? index.end() : index.find({f.tool_id, f.target});
      if (it == index.end() || it->second.check == c) continue;
      Finding& native = r.checks[it->second.check].findings[it->second.finding];
      if (rank(f.severity) > rank(native.severity)) native.severity = f.severity;
      native.also.push_back({check.id, f.tool_id, f.object, f.message, f.severity});
      moved[c][i] = true;
    }
  }
  for (size_t c = 0; c < r.checks.size(); ++c) {
    CheckResult& check = r.checks[c];
    std::vector<Finding> kept;
    for (size_t i = 0; i < check.findings.size(); ++i)
      if (!moved[c][i]) kept.push_back(std::move(check.findings[i]));
    check.merged += check.findings.size() - kept.size();
    check.findings = std::move(kept);
  }
}

}  // namespace kinspect::report
