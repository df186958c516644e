#include "core/report/baseline.h"

#include <map>
#include <set>

#include "core/report/detail.h"
#include "core/util/terminal.h"

namespace kinspect::report {
namespace {

bool has_verdict(Status s) { return s == Status::Pass || s == Status::Fail; }

// Matches findings of one check by fingerprint, as multisets (two identical
// findings in a and one in b: one unchanged, one removed).
struct Match {
  std::vector<size_t> added;    // indexes into b
  std::vector<size_t> removed;  // indexes into a
  std::vector<size_t> unchanged;  // indexes into b
};

Match match(const std::string& id, const std::vector<Finding>& a, const std::vector<Finding>& b) {
  std::map<std::string, std::vector<size_t>> in_a;
  for (size_t i = 0; i < a.size(); ++i) in_a[a[i].fingerprint(id)].push_back(i);
  std::map<std::string, size_t> used;
  std::set<size_t> a_matched;
  Match m;
  for (size_t i = 0; i < b.size(); ++i) {
    std::string fp = b[i].fingerprint(id);
    auto it = in_a.find(fp);
    size_t& u = used[fp];
    if (it != in_a.end() && u < it->second.size()) {
      a_matched.insert(it->second[u++]);
      m.unchanged.push_back(i);
    } else {
      m.added.push_back(i);
    }
  }
  for (size_t i = 0; i < a.size(); ++i)
    if (!a_matched.count(i)) m.removed.push_back(i);
  return m;
}

std::string label(const Report& r) {
  std::string s = r.cluster.name.empty() ? std::string("(unnamed cluster)") : r.cluster.name;
  if (!r.cluster.version.empty()) s += " " + r.cluster.version;
  if (!r.generated_at.empty()) s += " at " + r.generated_at;
  return s;
}

}  // namespace

void apply_baseline(Report& current, const Report& baseline) {
  current.resolved.clear();
  std::map<std::string, const CheckResult*> before;
  for (const auto& c : baseline.checks) before.emplace(c.id, &c);
  for (auto& c : current.checks) {
    for (auto& f : c.findings) f.change = Change::New;
    auto it = before.find(c.id);
    if (it == before.end()) continue;
    const CheckResult& b = *it->second;
    // No verdict now: nothing is known about the baseline's findings.
    if (!has_verdict(c.status)) continue;
    // No verdict then: today's findings stay New.
    if (!has_verdict(b.status)) continue;
    Match m = match(c.id, b.findings, c.findings);
    for (size_t i : m.unchanged) c.findings[i].change = Change::Unchanged;
    if (!m.removed.empty()) {
      auto& gone = current.resolved[c.id];
      for (size_t i : m.removed) {
        Finding f = b.findings[i];
        f.change = Change::Resolved;
        gone.push_back(std::move(f));
      }
    }
  }
}

Diff diff_reports(const Report& a, const Report& b) {
  Diff d;
  d.a_label = label(a);
  d.b_label = label(b);
  std::map<std::string, const CheckResult*> in_a;
  for (const auto& c : a.checks) in_a.emplace(c.id, &c);
  std::set<std::string> seen;
  auto compare = [&](const CheckResult* ca, const CheckResult* cb) {
    CheckDiff cd;
    const CheckResult& any = cb ? *cb : *ca;
    cd.id = any.id;
    cd.title = any.title;
    cd.severity = any.severity;
    cd.in_a = ca != nullptr;
    cd.in_b = cb != nullptr;
    if (ca) cd.status_a = ca->status;
    if (cb) cd.status_b = cb->status;
    cd.compared = ca && cb && has_verdict(ca->status) && has_verdict(cb->status);
    if (cd.compared) {
      Match m = match(any.id, ca->findings, cb->findings);
      for (size_t i : m.added) {
        cd.added.push_back(cb->findings[i]);
        cd.added.back().change = Change::New;
      }
      for (size_t i : m.removed) {
        cd.removed.push_back(ca->findings[i]);
        cd.removed.back().change = Change::Resolved;
      }
      cd.unchanged = m.unchanged.size();
    } else if (cb && has_verdict(cb->status)) {
      // A check absent from a, or without a verdict there: a cannot vouch for
      // b's findings, so all are new (as apply_baseline does).
      for (const auto& f : cb->findings) {
        cd.added.push_back(f);
        cd.added.back().change = Change::New;
      }
    }
    d.added += cd.added.size();
    d.removed += cd.removed.size();
    d.unchanged += cd.unchanged;
    if (cd.status_changed()) ++d.status_changes;
    d.checks.push_back(std::move(cd));
  };
  for (const auto& cb : b.checks) {
    if (!seen.insert(cb.id).second) continue;
    auto it = in_a.find(cb.id);
    compare(it == in_a.end() ? nullptr : it->second, &cb);
  }
  for (const auto& ca : a.checks)
    if (seen.insert(ca.id).second) compare(&ca, nullptr);
  return d;
}

std::string render_diff(const Diff& d, bool colour) {
  auto paint = [&](std::string_view style, const std::string& text) {
    return colour ? std::string(style) + text + term::kReset : text;
  };
  auto state = [](bool present, Status s) { return present ? std::string(to_string(s)) : std::string("absent"); };
  std::string out;
  out += paint(term::kBold, "kinspect diff") + "\n";
  out += "  before: " + d.a_label + "\n";
  out += "  after:  " + d.b_label + "\n";

  bool any = false;
  for (const auto& c : d.checks) {
    if (!c.status_changed()) continue;
    if (!any) out += "\n" + paint(term::kBold, "Status changes") + "\n";
    any = true;
    bool worse = c.in_b && (c.status_b == Status::Fail || c.status_b == Status::Error);
    out += "  " + c.id + ": " + state(c.in_a, c.status_a) + " -> " +
           paint(worse ? term::kRed : term::kGreen, state(c.in_b, c.status_b));
    if (c.in_a && c.in_b && has_verdict(c.status_a) && !has_verdict(c.status_b))
      out += " (its findings were not re-checked)";
    out += "\n";
  }

  auto list = [&](const char* title, bool added, std::string_view style, std::string_view mark) {
    bool header = false;
    for (const auto& c : d.checks) {
      const auto& fs = added ? c.added : c.removed;
      if (fs.empty()) continue;
      if (!header) out += "\n" + paint(term::kBold, title) + "\n";
      header = true;
      out += "  " + c.id + (c.title.empty() ? "" : " (" + c.title + ")") + "\n";
      for (const auto& f : fs) out += "    " + paint(style, std::string(mark)) + " " + f.object + "  " + f.message + "\n";
    }
  };
  list("New findings", true, term::kRed, "+");
  list("Resolved findings", false, term::kGreen, "-");

  // Per-check counts, for checks with anything to say.
  std::vector<const CheckDiff*> rows;
  size_t width = 5;
  for (const auto& c : d.checks) {
    if (c.added.empty() && c.removed.empty() && c.unchanged == 0 && !c.status_changed()) continue;
    rows.push_back(&c);
    width = std::max(width, c.id.size());
  }
  if (!rows.empty()) {
    auto pad = [](std::string s, size_t w) {
      if (s.size() < w) s.insert(0, w - s.size(), ' ');
      return s;
    };
    std::string h = "check";
    h.resize(width, ' ');
    out += "\n" + paint(term::kBold, "  " + h + "    new  resolved  unchanged  status") + "\n";
    for (const auto* c : rows) {
      std::string id = c->id;
      id.resize(width, ' ');
      std::string status = c->status_changed() ? state(c->in_a, c->status_a) + " -> " + state(c->in_b, c->status_b)
                                               : state(c->in_b, c->status_b);
      out += "  " + id + pad(std::to_string(c->added.size()), 7) + pad(std::to_string(c->removed.size()), 10) +
             pad(std::to_string(c->unchanged), 11) + "  " + status + "\n";
    }
  }
  std::string summary = std::to_string(d.added) + " new, " + std::to_string(d.removed) + " resolved, " +
                        std::to_string(d.unchanged) + " unchanged; " + detail::plural(d.status_changes, "status change");
  out += "\n" + paint(d.added || d.status_changes ? term::kYellow : term::kGreen, summary) + "\n";
  return out;
}

}  // namespace kinspect::report
