#include "core/waiver/waiver.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <regex>
#include <set>

#include "core/profile/profile.h"  // glob_match
#include "core/util/input_file.h"
#include "core/util/time.h"

namespace kinspect::waiver {

namespace {

const std::vector<std::string> kEntryKeys = {"check", "object", "kind", "namespace", "name",
                                             "labels", "reason", "owner", "expires"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Reads one file's entries, collecting every problem rather than stopping at
// the first.
struct Reader {
  std::string file;
  std::string_view text;
  std::vector<Diagnostic> errors;

  SourcePos pos(const YAML::Mark& m) const {
    if (m.line < 0) return {};
    return {static_cast<unsigned>(m.line + 1), static_cast<unsigned>(m.column + 1)};
  }
  void fail(const YAML::Mark& m, std::string field, std::string message, std::string hint = "") {
    Diagnostic d;
    d.file = file;
    d.pos = pos(m);
    d.field = std::move(field);
    d.message = std::move(message);
    d.hint = std::move(hint);
    d.source_line = std::string(line_of(text, d.pos.line));
    errors.push_back(std::move(d));
  }
  std::string origin(const YAML::Mark& m) const {
    SourcePos p = pos(m);
    return file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
  }

  // A text value that must be there and not be empty.
  std::string required(const YAML::Node& entry, const char* key, const std::string& where) {
    const YAML::Node v = entry[key];
    if (!v) {
      fail(entry.Mark(), where, std::string("missing '") + key + "'");
      return {};
    }
    return text_of(v, where + "." + key, true);
  }
  std::string text_of(const YAML::Node& v, const std::string& field, bool need) {
    if (!v.IsScalar()) {
      fail(v.Mark(), field, "must be a single value");
      return {};
    }
    if (need && trimmed(v.Scalar()).empty()) fail(v.Mark(), field, "must not be empty");
    return v.Scalar();
  }

  void selector(const YAML::Node& entry, const std::string& where, ObjectSelector& sel) {
    if (const YAML::Node obj = entry["object"]) {
      for (const char* k : {"kind", "namespace", "name"})
        if (entry[k]) fail(entry[k].Mark(), where + "." + k, std::string("give either 'object' or '") + k + "', not both");
      std::vector<std::string> parts = split(text_of(obj, where + ".object", true), '/');
      if (parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); }))
        fail(obj.Mark(), where + ".object", "takes KIND/NAMESPACE/NAME or KIND/NAME (globs allowed), not '" +
                                                 obj.Scalar() + "'");
      else if (parts.size() == 1) sel.kind = parts[0];
      else if (parts.size() == 2) sel.kind = parts[0], sel.name = parts[1];
      else sel.kind = parts[0], sel.ns = parts[1], sel.name = parts[2];
    }
    if (entry["kind"]) sel.kind = text_of(entry["kind"], where + ".kind", true);
    if (entry["namespace"]) sel.ns = text_of(entry["namespace"], where + ".namespace", true);
    if (entry["name"]) sel.name = text_of(entry["name"], where + ".name", true);
    if (const YAML::Node labels = entry["labels"]) {
      if (!labels.IsMap()) return fail(labels.Mark(), where + ".labels", "must be a map of label: value");
      for (auto it = labels.begin(); it != labels.end(); ++it)
        sel.labels[it->first.Scalar()] = text_of(it->second, where + ".labels." + it->first.Scalar(), false);
    }
  }

  // "2027-01-31" lasts to the end of that day (UTC); an RFC 3339 time ends at itself.
  void expiry(const YAML::Node& entry, const std::string& where, Waiver& w) {
    w.expires = required(entry, "expires", where);
    if (w.expires.empty()) return;
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    auto t = parse_rfc3339(w.expires);
    if (!t) return fail(entry["expires"].Mark(), where + ".expires",
                        "takes a date such as 2027-01-31 or an RFC 3339 time, not '" + w.expires + "'");
    w.expires_at = *t + (std::regex_match(w.expires, date) ? 86400 : 0);
  }

  void entry(const YAML::Node& e, size_t i, std::vector<Waiver>& out) {
    const std::string where = "waivers[" + std::to_string(i) + "]";
    if (!e.IsMap()) return fail(e.Mark(), where, "must be a map with check, object, reason, owner and expires");
    for (auto it = e.begin(); it != e.end(); ++it) {
      std::string k = it->first.Scalar();
      if (std::find(kEntryKeys.begin(), kEntryKeys.end(), k) != kEntryKeys.end()) continue;
      std::string hint = closest_match(k, kEntryKeys);
      fail(it->first.Mark(), where + "." + k, "unknown key '" + k + "'", hint.empty() ? "" : "did you mean '" + hint + "'?");
    }
    Waiver w;
    w.origin = origin(e.Mark());
    w.check = required(e, "check", where);
    selector(e, where, w.object);
    w.reason = required(e, "reason", where);
    w.owner = required(e, "owner", where);
    expiry(e, where, w);
    out.push_back(std::move(w));
  }

  std::vector<Waiver> document(const YAML::Node& root) {
    std::vector<Waiver> out;
    if (!root || root.IsNull()) return out;  // an empty file waives nothing
    if (!root.IsMap()) {
      fail(root.Mark(), "", "a waiver file is a map with a 'waivers' list");
      return out;
    }
    for (auto it = root.begin(); it != root.end(); ++it)
      if (it->first.Scalar() != "waivers")
        fail(it->first.Mark(), it->first.Scalar(), "unknown key '" + it->first.Scalar() + "'",
             "a waiver file has one key, 'waivers'");
    const YAML::Node list = root["waivers"];
    if (!list || list.IsNull()) return out;
    if (!list.IsSequence()) {
      fail(list.Mark(), "waivers", "must be a list of waivers");
      return out;
    }
    for (size_t i = 0; i < list.size(); ++i) entry(list[i], i, out);
    return out;
  }
};

bool matches(const ObjectSelector& sel, const ObjectRef& ref, const ObjectIndex& objects) {
  if (!sel.kind.empty() && !glob_match(lower(sel.kind), lower(ref.kind))) return false;
  if (!sel.ns.empty() && sel.ns != "*" && !glob_match(sel.ns, ref.ns)) return false;
  if (!sel.name.empty() && !glob_match(sel.name, ref.name)) return false;
  if (sel.labels.empty()) return true;
  auto it = objects.find(ref.key());
  if (it == objects.end()) return false;  // labels unknown: not this object
  for (const auto& [k, v] : sel.labels) {
    auto l = it->second.labels.find(k);
    if (l == it->second.labels.end() || !glob_match(v, l->second)) return false;
  }
  return true;
}

// The object's own waiver of the check (kinspect.io/waive lists check ids or
// globs), if any.
std::optional<report::WaiverRef> annotation_waiver(const std::string& check_id, const ObjectRef& ref,
                                                   const ObjectIndex& objects) {
  auto it = objects.find(ref.key());
  if (it == objects.end()) return std::nullopt;
  const auto& ann = it->second.annotations;
  auto waive = ann.find(std::string(kWaiveAnnotation));
  if (waive == ann.end()) return std::nullopt;
  for (const auto& id : split(waive->second, ',')) {
    std::string pattern = trimmed(id);
    if (pattern.empty() || !glob_match(pattern, check_id)) continue;
    auto reason = ann.find(std::string(kReasonAnnotation));
    report::WaiverRef w;
    w.reason = reason != ann.end() && !trimmed(reason->second).empty()
                   ? reason->second
                   : "no reason given (the object has no " + std::string(kReasonAnnotation) + " annotation)";
    w.origin = "annotation " + std::string(kWaiveAnnotation) + " on " + ref.key();
    return w;
  }
  return std::nullopt;
}

report::WaiverNote note(const Waiver& w) { return {w.check, w.object.text(), w.ref()}; }

}  // namespace

std::string ObjectSelector::text() const {
  std::string out;
  if (kind.empty() && ns.empty() && name.empty()) out = "any object";
  else out = (kind.empty() ? "*" : kind) + (ns.empty() ? "" : "/" + ns) + "/" + (name.empty() ? "*" : name);
  std::string l;
  for (const auto& [k, v] : labels) l += (l.empty() ? "" : ",") + k + "=" + v;
  return l.empty() ? out : out + " with labels " + l;
}

std::string ObjectRef::key() const {
  return lower(kind) + (ns.empty() ? "" : "/" + ns) + "/" + name;
}

ObjectRef parse_object(std::string_view object) {
  std::vector<std::string> parts = split(object, '/');
  if (parts.size() == 1) return {"", "", parts[0]};
  if (parts.size() == 2) return {parts[0], "", parts[1]};
  return {parts[0], parts[1], parts[2]};  // a container or other part after the name is not the object's
}

Expected<std::vector<Waiver>> parse_waivers(std::string_view text, const std::string& file) {
  Reader r{file, text, {}};
  std::vector<Waiver> out;
  try {
    out = r.document(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    r.fail(e.mark, "", e.msg);
  }
  if (r.errors.empty()) return out;
  std::string summary = r.errors.size() == 1 ? r.errors[0].format()
                                             : file + ": " + std::to_string(r.errors.size()) + " problems in the waivers";
  return Error(summary, std::move(r.errors));
}

Expected<std::vector<Waiver>> load_waivers(const std::string& path) {
  auto text = read_input_file(path);
  if (!text) return Error("waivers: " + text.error().message());
  return parse_waivers(*text, path);
}

std::string default_waivers_path() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/kinspect/waivers.yaml";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/kinspect/waivers.yaml";
}

std::set<std::string> finding_kinds(const report::Report& r) {
  std::set<std::string> kinds;
  std::string_view last;  // a check's findings are mostly of one kind: one set lookup each run of them
  for (const auto& c : r.checks)
    for (const auto& f : c.findings) {
      const size_t slash = f.object.find('/');
      if (slash == std::string::npos || slash == 0) continue;  // a bare name has no kind (parse_object)
      const std::string_view kind = std::string_view(f.object).substr(0, slash);
      if (kind == last) continue;
      last = kind;
      kinds.insert(lower(std::string(kind)));
    }
  return kinds;
}

std::vector<ObjectRef> finding_objects(const report::Report& r, const std::string& kind) {
  std::vector<ObjectRef> objects;
  std::set<std::string> seen;
  for (const auto& c : r.checks)
    for (const auto& f : c.findings) {
      ObjectRef o = parse_object(f.object);
      o.kind = lower(o.kind);
      if (o.kind == kind && seen.insert(o.key()).second) objects.push_back(std::move(o));
    }
  return objects;
}

void apply(report::Report& r, const std::vector<Waiver>& waivers, const ObjectIndex& objects, double as_of) {
  std::vector<const Waiver*> live;
  for (const auto& w : waivers) {
    if (w.expires_at > 0 && as_of >= w.expires_at) r.expired_waivers.push_back(note(w));
    else live.push_back(&w);
  }
  // No waiver in force and no object that waives a check itself: nothing to
  // look at (a run can have 150,000 findings).
  if (live.empty() && objects.empty()) return;
  std::vector<size_t> used(live.size(), 0);
  for (auto& c : r.checks) {
    const bool failed = c.status == report::Status::Fail && !c.findings.empty();
    size_t kept = 0;  // findings not waived move up in place, in their order
    for (size_t n = 0; n < c.findings.size(); ++n) {
      report::Finding& f = c.findings[n];
      ObjectRef ref = parse_object(f.object);
      std::optional<report::WaiverRef> by;
      for (size_t i = 0; i < live.size() && !by; ++i)
        if (glob_match(live[i]->check, c.id) && matches(live[i]->object, ref, objects)) {
          by = live[i]->ref();
          ++used[i];
        }
      if (!by) by = annotation_waiver(c.id, ref, objects);
      if (by) c.waived.push_back({std::move(f), std::move(*by)});
      else if (kept++ != n) c.findings[kept - 1] = std::move(f);
    }
    c.findings.erase(c.findings.begin() + static_cast<std::ptrdiff_t>(kept), c.findings.end());
    if (failed && c.findings.empty()) c.status = report::Status::Pass;
  }
  for (size_t i = 0; i < live.size(); ++i)
    if (!used[i]) r.unmatched_waivers.push_back(note(*live[i]));
}

}  // namespace kinspect::waiver
