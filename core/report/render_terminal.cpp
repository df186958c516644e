#include <algorithm>

#include "core/report/detail.h"
#include "core/report/render.h"
#include "core/report/score.h"
#include "core/util/terminal.h"

namespace kinspect::report {
namespace {

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
                             : c.not_checked ? term::kYellow
                             : c.passed     ? term::kGreen
                                            : term::kDim;
    std::string parts;
    auto add = [&](uint64_t n, std::string_view what) {
      if (!n) return;
      if (!parts.empty()) parts += ", ";
      parts += std::to_string(n) + " " + std::string(what);
    };
    add(c.failed, "failed");
    add(c.errors, c.errors == 1 ? "error" : "errors");
    add(c.unchecked_skips, "not checked");
    add(c.other_skips, "not applicable");
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
    // How each fact was found: for whoever doubts one (-v).
    if (o_.verbose)
      for (size_t i = 0; i < r.cluster.detected.size(); ++i) row(i == 0 ? "Detected" : "", r.cluster.detected[i]);
    std::string profile = r.profile;
    if (!r.scenario.empty()) profile += (profile.empty() ? "" : ", ") + std::string("scenario ") + r.scenario;
    if (!r.target_version.empty()) profile += " to " + r.target_version;
    row("Profile", profile);
    row("Baseline", r.baseline);
    // A narrowed run must never read as a whole-cluster one.
    if (!r.scope.whole_cluster()) row("Scope", describe(r.scope));
    std::string files;
    for (const auto& f : r.waiver_files) files += (files.empty() ? "" : ", ") + f;
    row("Waivers", files);
    std::string run = r.generated_at;
    if (r.duration_ms > 0) run += (run.empty() ? "" : ", ") + std::string("took ") + detail::format_duration(r.duration_ms);
    if (!r.kinspect_version.empty()) run += (run.empty() ? "" : ", ") + std::string("kinspect ") + r.kinspect_version;
    row("Run", run);
    verdict(out, r, false);
  }

  // What an operator reads first, at the top and again at the end: the
  // counts, what could not be checked, and what the exit code means. At the
  // end (`objects`) it names the worst findings' objects too, for the tail of
  // a CI log; at the top the critical section right below names them.
  void verdict(std::string& out, const Report& r, bool objects) const {
    Summary s = r.summary();
    std::string head;
    if (s.critical || s.warning) {
      head = std::to_string(count_findings(r, Severity::Critical)) + " critical and " +
             std::to_string(count_findings(r, Severity::Warning)) + " warning findings";
    } else {
      head = s.passed + s.failed ? "no critical or warning findings" : "nothing was checked";
    }
    if (s.not_checked) head += "; " + std::to_string(s.not_checked) + " of " + plural(s.checks, "check") + " not checked";
    std::string_view style = s.critical ? term::kRed : (s.warning || s.not_checked) ? term::kYellow : term::kGreen;
    out += "  " + dim(pad("Verdict")) + paint(style, head) + "\n";
    if (objects) {
      objects_line(out, r, Severity::Critical, "critical");
      objects_line(out, r, Severity::Warning, "warning");
    }
    for (const auto& k : s.causes)
      out += "  " + pad("") + dim("not checked: " + plural(k.checks, "check") + " " + k.cause) + "\n";
    if (o_.exit_code >= 0)
      out += "  " + pad("") + dim("exit " + std::to_string(o_.exit_code) + ": " + o_.exit_meaning) + "\n";
  }

  static size_t count_findings(const Report& r, Severity sev) {
    size_t n = 0;
    for (const auto& c : r.checks)
      for (const auto& f : c.findings) n += f.severity == sev;
    return n;
  }

  void objects_line(std::string& out, const Report& r, Severity sev, std::string_view label) const {
    constexpr size_t kShown = 4;
    std::string line;
    size_t n = 0;
    for (const auto& c : r.checks)
      for (const auto& f : c.findings) {
        if (f.severity != sev) continue;
        if (n++ < kShown) line += (line.empty() ? "" : ", ") + f.object + " (" + c.id + ")";
      }
    if (!n) return;
    if (n > kShown) line += ", and " + std::to_string(n - kShown) + " more objects";
    out += "  " + pad("") + paint(sev == Severity::Critical ? term::kRed : term::kYellow, std::string(label)) + " " +
           line + "\n";
  }

  static std::string pad(std::string_view label) {
    std::string l(label);
    l.resize(10, ' ');
    return l;
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
      for (const auto& a : f.also)
        out += std::string(indent) + (marks ? "      " : "") + dim("  also " + a.check_id + " (" + a.tool_id + "): ") +
               term::printable(a.message) + "\n";
    }
    if (shown < c.findings.size())
      out += std::string(indent) + dim("... and " + std::to_string(c.findings.size() - shown) + " more") + "\n";
  }

  static std::string waiver_text(const WaiverRef& w) {
    std::string t = w.reason;
    if (!w.owner.empty()) t += "; owner " + w.owner;
    if (!w.expires.empty()) t += "; until " + w.expires;
    return t + "; " + w.origin;
  }

  void waived_lines(std::string& out, const CheckResult& c, std::string_view indent) const {
    size_t shown = c.waived.size();
    if (o_.max_findings && shown > o_.max_findings) shown = o_.max_findings;
    for (size_t i = 0; i < shown; ++i) {
      const WaivedFinding& w = c.waived[i];
      out += std::string(indent) + dim("[waived] ") + term::printable(w.finding.object) + "  " +
             term::printable(w.finding.message) + dim(" (" + term::printable(waiver_text(w.waiver)) + ")") + "\n";
    }
    if (shown < c.waived.size())
      out += std::string(indent) + dim("... and " + std::to_string(c.waived.size() - shown) + " more waived") + "\n";
  }

  // Waivers that did not apply: an expired one is a warning (its findings
  // fail again), one that matched nothing is likely stale.
  void waiver_notes(std::string& out, const Report& r) const {
    if (r.expired_waivers.empty() && r.unmatched_waivers.empty()) return;
    out += "\n" + bold("Waivers that did not apply") + "\n";
    for (const auto& n : r.expired_waivers)
      out += "  " + paint(term::kYellow, "expired") + " " + term::printable(n.check + " on " + n.object) + dash() +
             term::printable(waiver_text(n.waiver)) + "\n";
    for (const auto& n : r.unmatched_waivers)
      out += "  " + dim("matched nothing") + " " + term::printable(n.check + " on " + n.object) + dash() +
             term::printable(waiver_text(n.waiver)) + "\n";
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
    if (c.status == Status::Fail)
      line += dim(" (" + plural(c.findings.size(), "finding") +
                  (c.merged ? ", " + std::to_string(c.merged) + " more shown with the equivalent checks' findings" : "") +
                  (c.waived.empty() ? "" : ", " + std::to_string(c.waived.size()) + " waived") + ")");
    else if (!c.waived.empty())
      line += dim(" (" + std::to_string(c.waived.size()) + " waived)");
    out += line + "\n";
    const std::string indent = "        ";
    if (c.status == Status::Error || c.status == Status::Skipped) {
      std::string label = c.status == Status::Error ? "error: "
                          : counts_as_not_checked(c) ? "not checked (" + c.cause + "): "
                                                     : "skipped: ";
      out += indent + paint(c.status == Status::Error ? term::kRed : term::kDim, label) +
             printable_lines(short_reason(c.reason), indent + "  ") + "\n";
    }
    finding_lines(out, c, indent);
    waived_lines(out, c, indent);
    if (c.status == Status::Fail || o_.verbose) resolved_lines(out, r, c, indent);
    if (c.status == Status::Fail) {
      if (!c.remedy.empty()) out += indent + paint(term::kCyan, "remedy: ") + c.remedy + "\n";
      if (!c.doc.empty() && o_.verbose) out += indent + dim("docs:   " + c.doc) + "\n";
    }
  }

  // Every failed check of one severity (critical, warning), worst category
  // first, each with its findings, remedy and docs: what an operator acts on.
  void failed_section(std::string& out, const Report& r, int rank, std::string_view title) const {
    std::vector<const CheckResult*> shown = checks_ranked(r, rank);
    if (shown.empty()) return;
    out += "\n" + bold(std::string(title)) + dim(" (" + plural(shown.size(), "check") + ")") + "\n";
    for (const CheckResult* c : shown) check(out, r, *c);
  }

  // Info findings inform, so each info check takes one line unless asked
  // (-v): at the end of a long page they used to push the critical ones off
  // the screen.
  void info_section(std::string& out, const Report& r) const {
    std::vector<const CheckResult*> shown = checks_ranked(r, 2);
    if (shown.empty()) return;
    out += "\n" + bold("Info") + dim(" (" + plural(shown.size(), "check") + ")") + "\n";
    for (const CheckResult* c : shown) {
      if (o_.verbose) {
        check(out, r, *c);
        continue;
      }
      out += "    " + symbol(c->status, Severity::Info) + " " + bold(c->id) + dash() + c->title +
             dim(" (" + plural(c->findings.size(), "finding") + ")") + "\n";
    }
    if (!o_.verbose) out += "    " + dim("(-v lists info findings)") + "\n";
  }

  // Checks that pass only because waivers accept their findings: the waived
  // findings are listed, never dropped (a failing check lists its own).
  void waived_section(std::string& out, const Report& r) const {
    std::vector<const CheckResult*> shown;
    for (const CheckResult* c : checks_ranked(r, detail::kRankPass))
      if (!c->waived.empty()) shown.push_back(c);
    if (shown.empty()) return;
    out += "\n" + bold("Waived") + dim(" (" + plural(shown.size(), "check") + " passing with waived findings)") + "\n";
    for (const CheckResult* c : shown) check(out, r, *c);
  }

  // Errors one by one (each has its own reason); checks the source could not
  // answer grouped by cause, since a cause ("not served") usually takes many.
  void not_checked_section(std::string& out, const Report& r) const {
    std::vector<const CheckResult*> errors = checks_ranked(r, detail::kRankError);
    std::vector<std::pair<std::string, std::vector<const CheckResult*>>> by_cause;
    for (const CheckResult* c : checks_ranked(r, detail::kRankSkipped)) {
      if (!counts_as_not_checked(*c)) continue;
      auto it = std::find_if(by_cause.begin(), by_cause.end(), [&](const auto& g) { return g.first == c->cause; });
      if (it == by_cause.end()) it = by_cause.insert(by_cause.end(), {c->cause, {}});
      it->second.push_back(c);
    }
    if (errors.empty() && by_cause.empty()) return;
    out += "\n" + bold("Not checked") + "\n";
    for (const CheckResult* c : errors) check(out, r, *c);
    for (const auto& [cause, cs] : by_cause) {
      if (o_.verbose) {
        for (const CheckResult* c : cs) check(out, r, *c);
        continue;
      }
      std::string ids;
      constexpr size_t kNamed = 6;
      for (size_t i = 0; i < cs.size() && i < kNamed; ++i) ids += (i ? ", " : "") + cs[i]->id;
      if (cs.size() > kNamed) ids += ", and " + std::to_string(cs.size() - kNamed) + " more";
      const std::string label = "not checked" + (cause.empty() ? std::string() : " (" + cause + ")");
      out += "    " + symbol(Status::Skipped, Severity::Info) + " " + paint(term::kYellow, label) + ": " +
             plural(cs.size(), "check") + ": " + ids + "\n";
      out += "        " + dim(printable_lines(short_reason(cs.front()->reason), "        ")) + "\n";
    }
  }

  // What was looked at and found normal: a count, or with --show-passed one
  // line per category with its passing checks (and those the profile leaves
  // out) under it.
  void categories(std::string& out, const Report& r) const {
    auto groups = detail::group_checks(r);
    if (groups.empty()) return;
    if (!o_.show_passed && !o_.verbose) {
      const Summary s = r.summary();
      if (s.passed)
        out += "\n" + symbol(Status::Pass, Severity::Info) + " " + plural(s.passed, "check") + " passed in " +
               plural(groups.size(), "category", "categories") + dim(" (--show-passed lists them)") + "\n";
      return;
    }
    out += "\n" + bold("By category") + "\n";
    for (const auto& g : groups) {
      out += "  " + detail::category_title(g.name) + dash() + state_line(g.counts) + "\n";
      if (!o_.show_passed && !o_.verbose) continue;
      for (const auto& comp : g.components)
        for (const CheckResult* c : comp.checks)
          if (c->status == Status::Pass || (c->status == Status::Skipped && !counts_as_not_checked(*c)))
            check(out, r, *c);
    }
  }

  // Checks of one display rank (detail::order_rank), in the categories'
  // order, worst first. A failed check stands with its worst finding: an
  // info check carrying a warning (another tool's finding merged into it)
  // is shown with the warnings, not folded away with the info checks.
  static std::vector<const CheckResult*> checks_ranked(const Report& r, int rank) {
    std::vector<const CheckResult*> out;
    for (const auto& g : detail::group_checks(r))
      for (const auto& comp : g.components)
        for (const CheckResult* c : comp.checks)
          if (display_rank(*c) == rank) out.push_back(c);
    return out;
  }

  static int display_rank(const CheckResult& c) {
    int rank = detail::order_rank(c);
    if (c.status != Status::Fail) return rank;
    for (const auto& f : c.findings) rank = std::min(rank, 2 - report::rank(f.severity));
    return rank;
  }

  // One line per failure, however many tables it took down: a refused
  // connection or an expired token fails every table the same way.
  void failed_tables(std::string& out, const Report& r) const {
    struct Failure {
      std::string plugin, message;
      std::vector<std::string> tables;
    };
    std::vector<Failure> failures;
    for (const auto& t : r.tables) {
      if (t.error.empty() || !t.cause.empty()) continue;
      std::string message = without_table_prefix(t.error);
      auto it = std::find_if(failures.begin(), failures.end(),
                             [&](const Failure& f) { return f.plugin == t.plugin && f.message == message; });
      if (it == failures.end()) it = failures.insert(failures.end(), Failure{t.plugin, message, {}});
      it->tables.push_back(t.name);
    }
    if (failures.empty()) return;
    out += "\n" + bold("Tables that failed") + "\n";
    for (const auto& f : failures) {
      std::string which = f.tables.size() == 1 ? f.tables[0] : plural(f.tables.size(), "table") + " (" + f.tables[0] + ", ...)";
      out += "  " + symbol(Status::Error, Severity::Critical) + " " + which +
             (f.plugin.empty() ? "" : " from " + f.plugin) + ": " + f.message + "\n";
    }
  }

  // A reason of several lines (a check's error at file:line:column, then the
  // source line and a caret) stays lines, each printable, the later ones indented.
  static std::string printable_lines(std::string_view text, const std::string& indent) {
    std::string out;
    for (size_t start = 0;;) {
      size_t nl = text.find('\n', start);
      out += term::printable(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
      if (nl == std::string_view::npos || nl + 1 == text.size()) return out;
      out += "\n" + indent;
      start = nl + 1;
    }
  }
  // A failed table's error is printed once, under "Tables that failed", not
  // again under each of the checks that needed it.
  static std::string short_reason(const std::string& reason) {
    if (reason.empty()) return "(no reason given)";
    constexpr std::string_view kUnread = ", which could not be read: ";
    size_t at = reason.rfind("needs table ", 0) == 0 ? reason.find(kUnread) : std::string::npos;
    return at == std::string::npos ? reason : reason.substr(0, at) + ", which could not be read (see below)";
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
    if (s.waived) line += ", " + std::to_string(s.waived) + " waived";
    if (s.expired_waivers) line += ", " + plural(s.expired_waivers, "expired waiver");
    line += "; score " + score_text(compute_scores(r).cluster);
    std::string_view style = s.failed ? (s.critical ? term::kRed : term::kYellow)
                             : s.not_checked ? term::kYellow
                                             : term::kGreen;
    out += "\n" + paint(style, line) + "\n";
    verdict(out, r, true);
  }

 private:
  const TerminalOptions& o_;
  bool unicode_;
};

}  // namespace

std::string render_terminal(const Report& r, const TerminalOptions& options) {
  Writer w(options);
  std::string out;
  // The verdict first, then what to act on by severity, then what could not
  // be looked at, then one line per category for what was found normal.
  w.header(out, r);
  w.failed_section(out, r, 0, "Critical");
  w.failed_section(out, r, 1, "Warning");
  w.info_section(out, r);
  w.waived_section(out, r);
  w.not_checked_section(out, r);
  w.categories(out, r);
  // Tables that could not be fetched explain most errors; list them once.
  // Tables the source does not have (not served, not captured) are in the
  // "Not checked" lines, by cause.
  w.failed_tables(out, r);
  w.waiver_notes(out, r);
  w.summary(out, r);
  return out;
}

}  // namespace kinspect::report
