#include "core/report/report.h"

#include <algorithm>

#include "core/report/detail.h"

namespace kinspect::report {

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::Critical: return "critical";
    case Severity::Warning: return "warning";
    case Severity::Info: return "info";
  }
  return "warning";
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::Pass: return "pass";
    case Status::Fail: return "fail";
    case Status::Error: return "error";
    case Status::Skipped: return "skipped";
  }
  return "error";
}

std::string_view to_string(Change c) {
  switch (c) {
    case Change::None: return "none";
    case Change::New: return "new";
    case Change::Unchanged: return "unchanged";
    case Change::Resolved: return "resolved";
  }
  return "none";
}

bool parse_severity(std::string_view s, Severity& out) {
  if (s == "critical") out = Severity::Critical;
  else if (s == "warning") out = Severity::Warning;
  else if (s == "info") out = Severity::Info;
  else return false;
  return true;
}

bool parse_status(std::string_view s, Status& out) {
  if (s == "pass") out = Status::Pass;
  else if (s == "fail") out = Status::Fail;
  else if (s == "error") out = Status::Error;
  else if (s == "skipped") out = Status::Skipped;
  else return false;
  return true;
}

bool parse_change(std::string_view s, Change& out) {
  if (s == "none") out = Change::None;
  else if (s == "new") out = Change::New;
  else if (s == "unchanged") out = Change::Unchanged;
  else if (s == "resolved") out = Change::Resolved;
  else return false;
  return true;
}

// FNV-1a 64 over "check\x1fobject\x1fmessage", as 16 hex digits: stable across
// platforms and versions (it is stored in reports and compared with old ones).
std::string Finding::fingerprint(std::string_view check_id) const {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto feed = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
  };
  // Over the text as reports store it (invalid UTF-8 replaced), so a finding
  // read back from a file has the same identity as when it was found. ASCII
  // text is its own stored form: no copy (a report can hold 150,000).
  auto feed_text = [&feed](std::string_view s) {
    if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x80; })) feed(s);
    else feed(detail::valid_utf8(s));
  };
  feed_text(check_id);
  feed("\x1f");
  feed_text(object);
  feed("\x1f");
  feed_text(message);
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) hex[size_t(i)] = "0123456789abcdef"[h & 15];
  return hex;
}

std::string describe(const Scope& s) {
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  std::string out = s.namespaces.empty() ? "all namespaces" : "namespaces " + list(s.namespaces);
  if (!s.exclude_namespaces.empty()) out += " except " + list(s.exclude_namespaces);
  if (!s.label_selector.empty()) out += "; objects with labels " + s.label_selector;
  return out;
}

bool counts_as_not_checked(const CheckResult& c) {
  if (c.status != Status::Error && c.status != Status::Skipped) return false;
  return !c.optional && c.cause != kNotApplicable;
}

namespace {
void add_cause(std::vector<CauseCount>& causes, const CheckResult& c) {
  std::string cause = c.status == Status::Error ? "error" : c.cause.empty() ? "skipped" : c.cause;
  auto it = std::find_if(causes.begin(), causes.end(), [&](const CauseCount& k) { return k.cause == cause; });
  if (it == causes.end()) it = causes.insert(causes.end(), CauseCount{cause, 0, c.reason});
  ++it->checks;
}
}  // namespace

Summary Report::summary() const {
  Summary s;
  for (const auto& c : checks) {
    ++s.checks;
    if (counts_as_not_checked(c)) {
      ++s.not_checked;
      add_cause(s.causes, c);
    }
    switch (c.status) {
      case Status::Pass: ++s.passed; break;
      case Status::Fail:
        ++s.failed;
        if (c.severity == Severity::Critical) ++s.critical;
        else if (c.severity == Severity::Warning) ++s.warning;
        else ++s.info;
        break;
      case Status::Error: ++s.errors; break;
      case Status::Skipped: ++s.skipped; break;
    }
    s.findings += c.findings.size();
    s.waived += c.waived.size();
    for (const auto& f : c.findings)
      if (f.change == Change::New) ++s.new_findings;
  }
  for (const auto& [id, fs] : resolved) s.resolved_findings += fs.size();
  s.expired_waivers = expired_waivers.size();
  s.unmatched_waivers = unmatched_waivers.size();
  std::stable_sort(s.causes.begin(), s.causes.end(),
                   [](const CauseCount& a, const CauseCount& b) { return a.checks > b.checks; });
  return s;
}

}  // namespace kinspect::report
