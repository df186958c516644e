#include <algorithm>

#include "core/report/detail.h"
#include "core/report/render.h"
#include "core/util/terminal.h"

namespace kinspect::report {
namespace {

using detail::CategoryGroup;
using detail::ComponentGroup;
using detail::Counts;
using detail::plural;

class Writer {
 public:
  Writer(const TerminalOptions& o)
      : o_(o),
        unicode_(o.symbols == TerminalOptions::Symbols::Unicode ||
                 (o.symbols == TerminalOptions::Symbols::Auto && o.colour)) {}

  // Wraps text in an ANSI style when colour is on.
  std::string paint(std::string_view style, std::string_view text) const {
    if (!o_.colour || text.empty()) return std::string(text);
    return std::string(style) + std::string(text) + term::kReset;
  }
  std::string bold(std::string_view t) const { return paint(term::kBold, t); }
  std::string dim(std::string_view t) const { return paint(term::kDim, t); }

  std::string_view status_style(Status s, Severity sev) const {
    switch (s) {
      case Status::Pass: return term::kGreen;
      case Status::Fail: return sev == Severity::Critical ? term::kRed : sev == Severity::Warning ? term::kYellow : term::kBlue;
      case Status::Error: return term::kRed;
      case Status::Skipped: return term::kDim;
    }
    return term::kReset;
  }

  // ✓ ✗ ! – or ok FAIL ERR skip.
  std::string symbol(Status s, Severity sev) const {
    std::string_view t;
    switch (s) {
      case Status::Pass: t = unicode_ ? "✓" : "ok"; break;
      case Status::Fail: t = unicode_ ? "✗" : "FAIL"; break;
      case Status::Error: t = unicode_ ? "!" : "ERR"; break;
      case Status::Skipped: t = unicode_ ? "–" : "skip"; break;
    }
    return paint(status_style(s, sev), t);
  }

  std::string dash() const { return unicode_ ? " — " : " - "; }
  std::string bullet() const { return unicode_ ? "·" : "-"; }

  std::string state_line(const Counts& c) const {
    std::string_view state = detail::group_state(c);
    std::string_view style = c.failed ? (c.critical ? term::kRed : c.warning ? term::kYellow : term::kBlue)
                             : (c.errors || c.skipped) ? term::kYellow
                                                       : term::kGreen;
    std::string parts;
    auto add = [&](uint64_t n, std::string_view what) {
      if (!n) return;
      if (!parts.empty()) parts += ", ";
      parts += std::to_string(n) + " " + std::string(what);
    };
    add(c.failed, "failed");
    add(c.errors, c.errors == 1 ? "error" : "errors");
    add(c.skipped, "skipped");
    add(c.passed, "passed");
    return paint(style, state) + " (" + parts + ")";
  }

  void header(std::string& out, const Report& r) const {
    out += bold("Cluster " + (r.cluster.name.empty() ? std::string("(unnamed)") : term::printable(r.cluster.name))) + "\n";
    auto row = [&](std::string_view label, const std::string& value) {
      if (value.empty()) return;
      std::string l(label);
      l.resize(10, ' ');
      out += "  " + dim(l) + term::printable(value) + "\n";
    };
    row("Version", r.cluster.version);
    row("Type", r.cluster.type);
    if (r.cluster.nodes || r.cluster.pods)
      row("Size", plural(r.cluster.nodes, "node") + ", " + plural(r.cluster.pods, "pod"));
    for (size_t i = 0; i < r.cluster.detected.size(); ++i)
      row(i == 0 ? "Detected" : "", r.cluster.detected[i]);
    std::string profile = r.profile;
    if (!r.scenario.empty()) profile += (profile.empty() ? "" : ", ") + std::string("scenario ") + r.scenario;
    if (!r.target_version.empty()) profile += " to " + r.target_version;
    row("Profile", profile);
    row("Baseline", r.baseline);
    std::string run = r.generated_at;
    if (r.duration_ms > 0) run += (run.empty() ? "" : ", ") + std::string("took ") + detail::format_duration(r.duration_ms);
    if (!r.kinspect_version.empty()) run += (run.empty() ? "" : ", ") + std::string("kinspect ") + r.kinspect_version;
    row("Run", run);
  }

  void finding_lines(std::string& out, const CheckResult& c, std::string_view indent) const {
    size_t shown = c.findings.size();
    if (o_.max_findings && shown > o_.max_findings) shown = o_.max_findings;
    size_t width = 0;
    for (size_t i = 0; i < shown; ++i) width = std::max(width, c.findings[i].object.size());
    width = std::min<size_t>(width, 40);
    // With a baseline, new findings are marked and the others indented alike.
    bool marks = false;
    for (size_t i = 0; i < shown; ++i) marks = marks || c.findings[i].change == Change::New;
    for (size_t i = 0; i < shown; ++i) {
      const Finding& f = c.findings[i];
      std::string line(indent);
      if (f.change == Change::New) line += paint(term::kYellow, "[new] ");
      else if (marks) line += "      ";
      std::string obj = term::printable(f.object);
      if (obj.size() < width) obj.resize(width, ' ');
      line += bold(obj) + "  " + term::printable(f.message);
      if (f.severity != c.severity) line += " " + dim("(" + std::string(to_string(f.severity)) + ")");
      out += line + "\n";
    }
    if (shown < c.findings.size())
      out += std::string(indent) + dim("... and " + std::to_string(c.findings.size() - shown) + " more") + "\n";
  }

  void resolved_lines(std::string& out, const Report& r, const CheckResult& c, std::string_view indent) const {
    auto it = r.resolved.find(c.id);
    if (it == r.resolved.end() || it->second.empty()) return;
    size_t limit = o_.max_findings ? o_.max_findings : it->second.size();
    size_t n = 0;
    for (const auto& f : it->second) {
      if (n++ == limit) {
        out += std::string(indent) + dim("... and " + std::to_string(it->second.size() - limit) + " more resolved") + "\n";
        break;
      }
      out += std::string(indent) + paint(term::kGreen, "[resolved] ") + term::printable(f.object) + "  " +
             dim(term::printable(f.message)) + "\n";
    }
  }

  void check(std::string& out, const Report& r, const CheckResult& c) const {
    std::string line = "    " + symbol(c.status, c.severity) + " ";
    if (c.status == Status::Fail) line += paint(status_style(c.status, c.severity), to_string(c.severity)) + " ";
    line += bold(c.id);
    if (!c.title.empty()) line += dash() + c.title;
    if (c.status == Status::Fail) line += dim(" (" + plural(c.findings.size(), "finding") + ")");
    out += line + "\n";
    const std::string indent = "        ";
    if (c.status == Status::Error || c.status == Status::Skipped) {
      std::string label = c.status == Status::Error ? "error: " : "skipped: ";
      out += indent + paint(c.status == Status::Error ? term::kRed : term::kDim, label) +
             (c.reason.empty() ? std::string("(no reason given)") : term::printable(c.reason)) + "\n";
    }
    finding_lines(out, c, indent);
    if (c.status == Status::Fail || o_.verbose) resolved_lines(out, r, c, indent);
    if (c.status == Status::Fail) {
      if (!c.remedy.empty()) out += indent + paint(term::kCyan, "remedy: ") + c.remedy + "\n";
      if (!c.doc.empty()) out += indent + dim("docs:   " + c.doc) + "\n";
    }
  }

  void component(std::string& out, const Report& r, const ComponentGroup& g) const {
    out += "  " + bold(g.name) + dash() + state_line(g.counts) + "\n";
    uint64_t passed_hidden = 0, resolved_hidden = 0;
    for (const CheckResult* c : g.checks) {
      if (c->status == Status::Pass && !o_.verbose) {
        ++passed_hidden;
        if (auto it = r.resolved.find(c->id); it != r.resolved.end()) resolved_hidden += it->second.size();
        continue;
      }
      check(out, r, *c);
    }
    if (passed_hidden) {
      std::string line = "    " + symbol(Status::Pass, Severity::Info) + " " + plural(passed_hidden, "check") + " passed";
      if (resolved_hidden) line += dim(" (" + std::to_string(resolved_hidden) + " resolved since the baseline)");
      out += line + "\n";
    }
  }

  void category(std::string& out, const Report& r, const CategoryGroup& g) const {
    out += "\n" + bold(detail::category_title(g.name)) + dash() + state_line(g.counts) + "\n";
    for (const auto& comp : g.components) component(out, r, comp);
  }

  void summary(std::string& out, const Report& r) const {
    Summary s = r.summary();
    std::string line = plural(s.checks, "check") + ": " + std::to_string(s.passed) + " passed, " +
                       std::to_string(s.failed) + " failed";
    if (s.failed) {
      std::string sev;
      auto add = [&](uint64_t n, std::string_view what) {
        if (!n) return;
        if (!sev.empty()) sev += ", ";
        sev += std::to_string(n) + " " + std::string(what);
      };
      add(s.critical, "critical");
      add(s.warning, "warning");
      add(s.info, "info");
      line += " (" + sev + ")";
    }
    line += ", " + plural(s.errors, "error") + ", " + std::to_string(s.skipped) + " skipped; " +
            plural(s.findings, "finding");
    if (!r.baseline.empty() || s.new_findings || s.resolved_findings)
      line += " (" + std::to_string(s.new_findings) + " new, " + std::to_string(s.resolved_findings) + " resolved)";
    std::string_view style = s.failed ? (s.critical ? term::kRed : term::kYellow)
                             : s.errors ? term::kYellow
                                        : term::kGreen;
    out += "\n" + paint(style, line) + "\n";
  }

 private:
  const TerminalOptions& o_;
  bool unicode_;
};

}  // namespace

std::string render_terminal(const Report& r, const TerminalOptions& options) {
  Writer w(options);
  std::string out;
  w.header(out, r);
  for (const auto& cat : detail::group_checks(r)) w.category(out, r, cat);
  // Tables that could not be fetched explain most errors; list them once.
  bool any = false;
  for (const auto& t : r.tables) {
    if (t.error.empty()) continue;
    if (!any) out += "\n" + w.bold("Tables that failed") + "\n";
    any = true;
    out += "  " + w.symbol(Status::Error, Severity::Critical) + " " + t.name +
           (t.plugin.empty() ? "" : " (" + t.plugin + ")") + ": " + term::printable(t.error) + "\n";
  }
  w.summary(out, r);
  return out;
}

}  // namespace kinspect::report
