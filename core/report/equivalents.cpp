// Equivalent findings (report.h, merge_equivalent_findings): one entry for a
// problem kinspect and another tool both report on the same object.
#include <map>
#include <set>
#include <utility>

#include "core/report/report.h"

namespace kinspect::report {

namespace {

struct Where {
  size_t check = 0, finding = 0;
};

// (tool id, target) -> the first finding of a check that lists the tool id
// in SAME_AS, in report order, so the result does not depend on timing.
// Only the tool ids some finding carries (an adapter's) are indexed: a run
// without adapters has none, and its 150,000 findings are not looked at.
std::map<std::pair<std::string, std::string>, Where> equivalents_index(const Report& r) {
  std::set<std::string> tool_ids;
  for (const CheckResult& check : r.checks)
    for (const Finding& f : check.findings)
      if (!f.tool_id.empty() && !f.target.empty()) tool_ids.insert(f.tool_id);
  std::map<std::pair<std::string, std::string>, Where> index;
  if (tool_ids.empty()) return index;
  for (size_t c = 0; c < r.checks.size(); ++c) {
    const CheckResult& check = r.checks[c];
    std::vector<const std::string*> ids;  // this check's SAME_AS that some finding carries
    for (const auto& id : check.same_as)
      if (tool_ids.count(id)) ids.push_back(&id);
    if (ids.empty()) continue;
    for (size_t f = 0; f < check.findings.size(); ++f) {
      const Finding& finding = check.findings[f];
      if (finding.target.empty() || !finding.tool_id.empty()) continue;  // an adapter finding is never the one kept
      for (const std::string* id : ids) index.emplace(std::pair{*id, finding.target}, Where{c, f});
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
    for (size_t i = 0; i < check.findings.size(); ++i) {
      const Finding& f = check.findings[i];
      auto it = f.tool_id.empty() || f.target.empty() ? index.end() : index.find({f.tool_id, f.target});
      if (it == index.end() || it->second.check == c) continue;
      Finding& native = r.checks[it->second.check].findings[it->second.finding];
      if (rank(f.severity) > rank(native.severity)) native.severity = f.severity;
      native.also.push_back({check.id, f.tool_id, f.object, f.message, f.severity});
      moved[c].resize(check.findings.size());
      moved[c][i] = true;
    }
  }
  for (size_t c = 0; c < r.checks.size(); ++c) {
    if (moved[c].empty()) continue;  // nothing of this check moved
    CheckResult& check = r.checks[c];
    size_t kept = 0;  // the findings left move up in place, in their order
    for (size_t i = 0; i < check.findings.size(); ++i)
      if (!moved[c][i] && kept++ != i) check.findings[kept - 1] = std::move(check.findings[i]);
    check.merged += check.findings.size() - kept;
    check.findings.erase(check.findings.begin() + static_cast<std::ptrdiff_t>(kept), check.findings.end());
  }
}

}  // namespace kinspect::report
