// JUnit XML as Jenkins, GitLab and GitHub test reporters read it, valid
// against the Jenkins xunit plugin's JUnit schema (tests/data/junit/): only
// the attributes it declares, times in fixed point.
#include <cmath>
#include <cstdio>
#include <map>

#include "core/report/detail.h"
#include "core/report/render.h"
#include "core/report/score.h"

namespace kinspect::report {
namespace {

// Escapes for XML text and attribute values. Characters XML 1.0 cannot carry
// (control characters other than tab, newline and carriage return) become
// U+FFFD; newlines in attributes are kept as character references.
std::string xml(std::string_view text, bool attribute = false) {
  std::string valid = detail::valid_utf8(text);
  std::string_view s = valid;
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\'': out += attribute ? "&apos;" : "'"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += "\xEF\xBF\xBD";
        else out += ch;
    }
  }
  return out;
}

// Seconds as the Jenkins xunit schema's SUREFIRE_TIME wants them: fixed
// point with at most three decimals, never an exponent ("0.000", not "1e-05").
std::string seconds(double ms) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", ms > 0 && std::isfinite(ms) ? ms / 1000.0 : 0.0);
  return buf;
}

void property(std::string& out, std::string_view name, const std::string& value) {
  out += "      <property name=\"" + xml(name, true) + "\" value=\"" + xml(value, true) + "\"/>\n";
}

// The cluster and the category's score, for reporters that show a suite's
// properties.
void suite_properties(std::string& out, const Report& r, const Score& score) {
  out += "    <properties>\n";
  property(out, "cluster", r.cluster.name);
  if (!r.cluster.version.empty()) property(out, "cluster.version", r.cluster.version);
  if (!r.profile.empty()) property(out, "profile", r.profile);
  property(out, "score", score_text(score));
  out += "    </properties>\n";
}

// One check: <failure> for a failed check with its findings, <error> for an
// error, <skipped> with the cause for a check that did not run.
void testcase(std::string& out, const CheckResult& c, const std::string& suite) {
  std::string classname = suite + "." + (c.component.empty() ? "general" : c.component);
  out += "    <testcase name=\"" + xml(c.id, true) + "\" classname=\"" + xml(classname, true) + "\" time=\"" +
         seconds(c.duration_ms) + "\">\n";
  if (c.status == Status::Fail) {
    std::string msg = std::string(to_string(c.severity)) + ": " + (c.title.empty() ? c.id : c.title) + " (" +
                      detail::plural(c.findings.size(), "finding") +
                      (c.merged ? ", " + std::to_string(c.merged) + " more shown with the equivalent checks' findings" : "") + ")";
    std::string text;
    for (const auto& f : c.findings) {
      text += f.object + ": " + f.message;
      if (f.change == Change::New) text += " [new]";
      text += "\n";
      for (const auto& a : f.also) text += "  also " + a.check_id + " (" + a.tool_id + "): " + a.message + "\n";
    }
    if (!c.remedy.empty()) text += "\nRemedy: " + c.remedy + "\n";
    if (!c.doc.empty()) text += "Docs: " + c.doc + "\n";
    out += "      <failure message=\"" + xml(msg, true) + "\" type=\"" + std::string(to_string(c.severity)) +
           "\">" + xml(text) + "</failure>\n";
  } else if (c.status == Status::Error) {
    out += "      <error message=\"" + xml(c.reason, true) + "\" type=\"error\">" + xml(c.reason) + "</error>\n";
  } else if (c.status == Status::Skipped) {
    const std::string cause = c.cause.empty() ? "skipped" : c.cause;
    std::string why = counts_as_not_checked(c) ? "not checked (" + cause + "): " + c.reason : c.reason;
    out += "      <skipped message=\"" + xml(why, true) + "\" type=\"" + xml(cause, true) + "\"/>\n";
  }
  // The title and where the check is defined: the schema has no
  // attribute for a test's file.
  std::string about;
  if (!c.title.empty()) about += c.title + "\n";
  if (!c.source.empty()) about += "Source: " + c.source + "\n";
  // Waived findings are not failures, but they are in the report (the
  // schema has no properties on a test case).
  if (!c.waived.empty()) about += "Waived: " + detail::plural(c.waived.size(), "finding") + "\n";
  for (const auto& w : c.waived)
    about += "waived: " + w.finding.object + ": " + w.finding.message + " (" + w.waiver.reason +
             (w.waiver.owner.empty() ? "" : "; owner " + w.waiver.owner) +
             (w.waiver.expires.empty() ? "" : "; until " + w.waiver.expires) + "; " + w.waiver.origin + ")\n";
  if (!about.empty()) out += "      <system-out>" + xml(about) + "</system-out>\n";
  out += "    </testcase>\n";
}

}  // namespace

std::string render_junit(const Report& r) {
  Summary s = r.summary();
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string name = "kinspect";
  if (!r.cluster.name.empty()) name += " " + r.cluster.name;
  if (!r.profile.empty()) name += " (" + r.profile + ")";
  out += "<testsuites name=\"" + xml(name, true) + "\" tests=\"" + std::to_string(s.checks) + "\" failures=\"" +
         std::to_string(s.failed) + "\" errors=\"" + std::to_string(s.errors) + "\" time=\"" + seconds(r.duration_ms) +
         "\">\n";

  // One suite per category, in the order categories first appear.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const CheckResult*>> by_cat;
  for (const auto& c : r.checks) {
    auto& v = by_cat[c.category];
    if (v.empty()) order.push_back(c.category);
    v.push_back(&c);
  }
  const Scores scores = compute_scores(r);
  for (const auto& cat : order) {
    detail::Counts n;
    double ms = 0;
    for (const auto* c : by_cat[cat]) {
      n.add(*c);
      ms += c->duration_ms;
    }
    std::string suite = cat.empty() ? "other" : cat;
    out += "  <testsuite name=\"" + xml(suite, true) + "\" tests=\"" + std::to_string(n.checks) + "\" failures=\"" +
           std::to_string(n.failed) + "\" errors=\"" + std::to_string(n.errors) + "\" skipped=\"" +
           std::to_string(n.skipped) + "\" time=\"" + seconds(ms) + "\"";
    if (!r.generated_at.empty()) out += " timestamp=\"" + xml(r.generated_at, true) + "\"";
    out += ">\n";
    for (const auto& k : scores.categories)
      if (k.category == cat) suite_properties(out, r, k.score);
    for (const auto* c : by_cat[cat]) testcase(out, *c, suite);
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace kinspect::report
