// JUnit XML as Jenkins, GitLab and GitHub test reporters read it.
#include <map>

#include "core/report/detail.h"
#include "core/report/render.h"

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

std::string seconds(double ms) { return detail::format_number(ms / 1000.0); }

}  // namespace

std::string render_junit(const Report& r) {
  Summary s = r.summary();
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string name = "kinspect";
  if (!r.cluster.name.empty()) name += " " + r.cluster.name;
  if (!r.profile.empty()) name += " (" + r.profile + ")";
  out += "<testsuites name=\"" + xml(name, true) + "\" tests=\"" + std::to_string(s.checks) + "\" failures=\"" +
         std::to_string(s.failed) + "\" errors=\"" + std::to_string(s.errors) + "\" skipped=\"" +
         std::to_string(s.skipped) + "\" time=\"" + seconds(r.duration_ms) + "\"";
  if (!r.generated_at.empty()) out += " timestamp=\"" + xml(r.generated_at, true) + "\"";
  out += ">\n";

  // One suite per category, in the order categories first appear.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const CheckResult*>> by_cat;
  for (const auto& c : r.checks) {
    auto& v = by_cat[c.category];
    if (v.empty()) order.push_back(c.category);
    v.push_back(&c);
  }
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
    for (const auto* c : by_cat[cat]) {
      std::string classname = suite + "." + (c->component.empty() ? "general" : c->component);
      out += "    <testcase name=\"" + xml(c->id, true) + "\" classname=\"" + xml(classname, true) + "\" time=\"" +
             seconds(c->duration_ms) + "\"";
      // "checks/nodes.kcql:12" -> file and line, for reporters that link to
      // the source; "plugin:foo" is not a file.
      if (!c->source.empty() && c->source.rfind("plugin:", 0) != 0) {
        std::string file = c->source, line;
        size_t colon = file.rfind(':');
        if (colon != std::string::npos && colon + 1 < file.size() &&
            file.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
          line = file.substr(colon + 1);
          file.resize(colon);
        }
        out += " file=\"" + xml(file, true) + "\"";
        if (!line.empty()) out += " line=\"" + line + "\"";
      }
      if (c->status == Status::Pass && c->waived.empty()) {
        out += "/>\n";
        continue;
      }
      out += ">\n";
      if (!c->waived.empty())
        out += "      <properties><property name=\"waived\" value=\"" + std::to_string(c->waived.size()) +
               "\"/></properties>\n";
      if (c->status == Status::Fail) {
        std::string msg = std::string(to_string(c->severity)) + ": " + (c->title.empty() ? c->id : c->title) + " (" +
                          detail::plural(c->findings.size(), "finding") +
                          (c->merged ? ", " + std::to_string(c->merged) + " more shown with the equivalent checks' findings" : "") + ")";
        std::string text;
        for (const auto& f : c->findings) {
          text += f.object + ": " + f.message;
          if (f.change == Change::New) text += " [new]";
          text += "\n";
          for (const auto& a : f.also) text += "  also " + a.check_id + " (" + a.tool_id + "): " + a.message + "\n";
        }
        if (!c->remedy.empty()) text += "\nRemedy: " + c->remedy + "\n";
        if (!c->doc.empty()) text += "Docs: " + c->doc + "\n";
        out += "      <failure message=\"" + xml(msg, true) + "\" type=\"" + std::string(to_string(c->severity)) +
               "\">" + xml(text) + "</failure>\n";
      } else if (c->status == Status::Error) {
        out += "      <error message=\"" + xml(c->reason, true) + "\" type=\"error\">" + xml(c->reason) + "</error>\n";
      } else {
        std::string why = counts_as_not_checked(*c) ? "not checked (" + c->cause + "): " + c->reason : c->reason;
        out += "      <skipped message=\"" + xml(why, true) + "\"/>\n";
      }
      std::string props;
      if (!c->title.empty()) props += c->title + "\n";
      // Waived findings are not failures, but they are in the report.
      if (!c->waived.empty()) {
        for (const auto& w : c->waived)
          props += "waived: " + w.finding.object + ": " + w.finding.message + " (" + w.waiver.reason +
                   (w.waiver.owner.empty() ? "" : "; owner " + w.waiver.owner) +
                   (w.waiver.expires.empty() ? "" : "; until " + w.waiver.expires) + "; " + w.waiver.origin + ")\n";
      }
      if (!props.empty()) out += "      <system-out>" + xml(props) + "</system-out>\n";
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace kinspect::report
