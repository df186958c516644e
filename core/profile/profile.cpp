#include "core/profile/profile.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace kinspect {

namespace fs = std::filesystem;
namespace json = boost::json;

const std::vector<std::string>& known_cluster_types() {
  static const std::vector<std::string> t = {"managed", "self-hosted", "serverless", "edge", "gpu"};
  return t;
}

bool glob_match(std::string_view p, std::string_view t) {
  // Iterative matcher with backtracking to the last star: linear in practice.
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi, ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++, mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1, ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

namespace {

struct Parser {
  std::string file;
  std::string text;
  std::vector<Diagnostic>& errors;
  unsigned line_offset = 0;  // lines of the file before the document being read

  SourcePos pos(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.line < 0) return {};
    return {static_cast<unsigned>(m.line + 1) + line_offset, static_cast<unsigned>(m.column + 1)};
  }
  void fail(const YAML::Node& n, std::string field, std::string message, std::string hint = "") {
    Diagnostic d;
    d.file = file;
    d.pos = pos(n);
    d.field = std::move(field);
    d.message = std::move(message);
    d.hint = std::move(hint);
    d.source_line = std::string(line_of(text, d.pos.line));
    errors.push_back(std::move(d));
  }
  bool scalar(const YAML::Node& n, const std::string& field, std::string& out) {
    if (!n.IsScalar()) {
      fail(n, field, "must be a single value");
      return false;
    }
    out = n.Scalar();
    return true;
  }
  std::vector<std::string> list(const YAML::Node& n, const std::string& field) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());  // a single value is a list of one
    } else if (n.IsSequence()) {
      for (size_t i = 0; i < n.size(); ++i) {
        std::string s;
        if (scalar(n[i], field + "[" + std::to_string(i) + "]", s)) out.push_back(s);
      }
    } else if (!n.IsNull()) {
      fail(n, field, "must be a list");
    }
    return out;
  }
  void unknown_keys(const YAML::Node& map, const std::string& where, const std::vector<std::string>& allowed) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string k = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        std::string hint = closest_match(k, allowed);
        fail(it->first, where.empty() ? k : where + "." + k, "unknown key '" + k + "'",
             hint.empty() ? "" : "did you mean '" + hint + "'?");
      }
    }
  }

  static json::value to_json(const YAML::Node& n) {
    if (n.IsNull()) return nullptr;
    if (n.IsSequence()) {
      json::array a;
      for (const auto& e : n) a.push_back(to_json(e));
      return a;
    }
    if (n.IsMap()) {
      json::object o;
      for (auto it = n.begin(); it != n.end(); ++it) o[it->first.Scalar()] = to_json(it->second);
      return o;
    }
    const std::string& s = n.Scalar();
    // Plain scalars keep their YAML meaning (numbers, booleans); quoted
    // ones stay text.
    if (n.Tag() == "!") return json::value(s);
    if (s == "true" || s == "false") return s == "true";
    char* end = nullptr;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0') return i;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') return d;
    return json::value(s);
  }

  double seconds(const YAML::Node& n, const std::string& field) {
    std::string s;
    if (!scalar(n, field, s)) return 0;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    std::string unit = end ? end : "";
    double mul = unit.empty() || unit == "s" ? 1 : unit == "ms" ? 0.001 : unit == "m" ? 60 : -1;
    if (end == s.c_str() || mul < 0 || v <= 0) {
      fail(n, field, "'" + s + "' is not a duration (want e.g. 30s, 500ms, 2m)");
      return 0;
    }
    return v * mul;
  }

  std::shared_ptr<Profile> profile(const YAML::Node& root) {
    auto p = std::make_shared<Profile>();
    p->file = file;
    if (!root.IsMap()) {
      fail(root, "", "a profile is a map with at least 'name'");
      return nullptr;
    }
    unknown_keys(root, "", {"name", "description", "extends", "abstract", "priority", "match", "plugins", "checks",
                            "params", "severity", "timeouts"});
    if (!root["name"]) {
      fail(root, "name", "is required");
      return nullptr;
    }
    scalar(root["name"], "name", p->name);
    if (auto n = root["description"]) scalar(n, "description", p->description);
    if (auto n = root["extends"]) scalar(n, "extends", p->extends), p->positions["extends"] = pos(n);
    if (auto n = root["abstract"]) p->abstract = n.IsScalar() && n.Scalar() == "true";
    if (auto n = root["priority"]) {
      std::string s;
      if (scalar(n, "priority", s)) p->priority = std::atoi(s.c_str());
    }
    if (auto m = root["match"]) {
      if (!m.IsMap()) {
        fail(m, "match", "must be a map with versions, types and/or scenarios");
      } else {
        unknown_keys(m, "match", {"versions", "types", "scenarios"});
        if (auto v = m["versions"]) {
          std::string s;
          if (scalar(v, "match.versions", s)) {
            auto r = VersionRange::parse(s);
            if (!r) fail(v, "match.versions", r.error().message());
            else p->versions = std::move(r.value());
          }
        }
        if (auto t = m["types"]) {
          p->types = list(t, "match.types");
          for (size_t i = 0; i < p->types.size(); ++i) {
            const auto& known = known_cluster_types();
            if (std::find(known.begin(), known.end(), p->types[i]) == known.end()) {
              std::string hint = closest_match(p->types[i], known);
              fail(t.IsSequence() ? t[i] : t, "match.types", "unknown cluster type '" + p->types[i] + "'",
                   hint.empty() ? "known types: managed, self-hosted, serverless, edge, gpu"
                                : "did you mean '" + hint + "'?");
            }
          }
        }
        if (auto s = m["scenarios"]) p->scenarios = list(s, "match.scenarios");
      }
    }
    if (auto n = root["plugins"]) p->plugins = list(n, "plugins");
    if (auto c = root["checks"]) {
      if (!c.IsMap()) {
        fail(c, "checks", "must be a map with include, exclude and/or optional");
      } else {
        unknown_keys(c, "checks", {"include", "exclude", "optional"});
        auto sel = [&](const char* key, std::vector<std::string>& out) {
          if (auto n = c[key]) {
            out = list(n, std::string("checks.") + key);
            for (size_t i = 0; i < out.size(); ++i)
              p->positions[std::string(key) + ":" + out[i]] = pos(n.IsSequence() ? n[i] : n);
          }
        };
        sel("include", p->include);
        sel("exclude", p->exclude);
        sel("optional", p->optional);
      }
    }
    if (auto n = root["params"]) {
      if (!n.IsMap()) fail(n, "params", "must be a map of parameter: value");
      else
        for (auto it = n.begin(); it != n.end(); ++it) {
          p->params[it->first.Scalar()] = to_json(it->second);
          p->positions["param:" + it->first.Scalar()] = pos(it->first);
        }
    }
    if (auto n = root["severity"]) {
      if (!n.IsMap()) fail(n, "severity", "must be a map of check: severity");
      else
        for (auto it = n.begin(); it != n.end(); ++it) {
          std::string sev = it->second.IsScalar() ? it->second.Scalar() : "";
          if (sev != "critical" && sev != "warning" && sev != "info")
            fail(it->second, "severity." + it->first.Scalar(), "must be critical, warning or info, not '" + sev + "'");
          p->severity[it->first.Scalar()] = sev;
          p->positions["severity:" + it->first.Scalar()] = pos(it->first);
        }
    }
    if (auto t = root["timeouts"]) {
      if (!t.IsMap()) {
        fail(t, "timeouts", "must be a map with check and/or driver");
      } else {
        unknown_keys(t, "timeouts", {"check", "driver"});
        if (t["check"]) p->check_timeout_seconds = seconds(t["check"], "timeouts.check");
        if (t["driver"]) p->driver_timeout_seconds = seconds(t["driver"], "timeouts.driver");
      }
    }
    return p;
  }
};

// The YAML documents of a file, each with the number of lines before it.
// Split here, on the "---" and "..." markers that YAML itself recognises at
// the start of a line, rather than with YAML::LoadAll: yaml-cpp 0.7 loops
// forever on some malformed documents ("&a, b" at the top of one), and
// YAML::Load of one document does not.
std::vector<std::pair<std::string, unsigned>> split_documents(const std::string& text) {
  std::vector<std::pair<std::string, unsigned>> docs{{std::string(), 0}};
  unsigned line = 0;
  for (size_t start = 0; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    std::string_view l(text.data() + start, (end == std::string::npos ? text.size() : end) - start);
    start = end == std::string::npos ? text.size() : end + 1;
    auto marker = [&](std::string_view m) {
      return l.substr(0, 3) == m && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    };
    if (marker("---")) {
      docs.emplace_back("   " + std::string(l.substr(3)) + "\n", line);  // "--- x": x is the content, in its column
      continue;
    }
    if (marker("...")) {
      docs.emplace_back(std::string(), line + 1);
      continue;
    }
    docs.back().first.append(l).push_back('\n');
  }
  return docs;
}

// Where a second document starts in `doc`, which holds one by construction
// (split_documents): yaml-cpp's Load reads the first and silently drops
// what it could not parse after it ("&a, b" loads as null).
std::optional<YAML::Mark> trailing_content(const std::string& doc) {
  struct FirstMark final : YAML::EventHandler {
    std::optional<YAML::Mark> mark;
    void OnDocumentStart(const YAML::Mark& m) override { mark = m; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };
  std::istringstream in(doc);
  YAML::Parser parser(in);
  FirstMark first, second;
  if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) return std::nullopt;
  return second.mark ? second.mark : YAML::Mark();
}

// Every profile in the parser's text; problems go to parser.errors.
void read_documents(Parser& parser, std::vector<std::shared_ptr<Profile>>& out) {
  for (const auto& [doc, lines_before] : split_documents(parser.text)) {
    parser.line_offset = lines_before;
    try {
      YAML::Node node = YAML::Load(doc);
      if (auto extra = trailing_content(doc))
        throw YAML::ParserException(*extra, "this is not YAML that continues the document (a property such as "
                                            "'&anchor' or '!tag' followed by ','?)");
      if (node.IsNull()) continue;
      if (auto p = parser.profile(node)) out.push_back(std::move(p));
    } catch (const YAML::Exception& e) {
      Diagnostic d;
      d.file = parser.file;
      d.pos = {static_cast<unsigned>(e.mark.line + 1) + lines_before, static_cast<unsigned>(e.mark.column + 1)};
      d.message = "invalid YAML: " + e.msg;
      d.source_line = std::string(line_of(parser.text, d.pos.line));
      parser.errors.push_back(std::move(d));
    }
  }
}

Status load_file(const std::string& path, std::vector<std::shared_ptr<Profile>>& out, std::vector<Diagnostic>& errors) {
  std::ifstream f(path);
  if (!f) {
    errors.push_back(Diagnostic{path, {}, "cannot read file", "", "", ""});
    return {};
  }
  std::stringstream ss;
  ss << f.rdbuf();
  Parser parser{path, ss.str(), errors};
  read_documents(parser, out);
  return {};
}

Error collect(std::vector<Diagnostic> errors) {
  std::string summary = std::to_string(errors.size()) + (errors.size() == 1 ? " problem" : " problems") + " in profiles";
  return Error(summary, std::move(errors));
}

// Copies what the child leaves unset from the parent.
void inherit(Profile& child, const Profile& parent) {
  if (child.description.empty()) child.description = parent.description;
  if (child.versions.any()) child.versions = parent.versions;
  if (child.types.empty()) child.types = parent.types;
  if (child.scenarios.empty()) child.scenarios = parent.scenarios;
  if (child.plugins.empty()) child.plugins = parent.plugins;
  std::vector<std::string> inc = parent.include, exc = parent.exclude;
  inc.insert(inc.end(), child.include.begin(), child.include.end());
  exc.insert(exc.end(), child.exclude.begin(), child.exclude.end());
  child.include = std::move(inc);
  child.exclude = std::move(exc);
  child.optional.insert(child.optional.begin(), parent.optional.begin(), parent.optional.end());
  for (const auto& [k, v] : parent.params) child.params.emplace(k, v);      // child wins
  for (const auto& [k, v] : parent.severity) child.severity.emplace(k, v);  // child wins
  for (const auto& [k, v] : parent.positions) child.positions.emplace(k, v);
  if (child.check_timeout_seconds == Profile().check_timeout_seconds) child.check_timeout_seconds = parent.check_timeout_seconds;
  if (child.driver_timeout_seconds == Profile().driver_timeout_seconds)
    child.driver_timeout_seconds = parent.driver_timeout_seconds;
}

}  // namespace

Status ProfileSet::resolve_extends(std::vector<Diagnostic>& errors) {
  std::map<std::string, std::shared_ptr<Profile>> by_name;
  for (const auto& p : profiles_) {
    auto [it, fresh] = by_name.emplace(p->name, p);
    if (!fresh) errors.push_back({p->file, {}, "profile '" + p->name + "' is also defined in " + it->second->file, "", "", "name"});
  }
  std::set<std::string> done;
  // Depth-first so a parent is resolved before its children; a cycle is an error.
  std::function<void(Profile&, std::vector<std::string>&)> resolve = [&](Profile& p, std::vector<std::string>& chain) {
    if (done.count(p.name) || p.extends.empty()) {
      done.insert(p.name);
      return;
    }
    if (std::find(chain.begin(), chain.end(), p.name) != chain.end()) {
      std::string cycle;
      for (const auto& c : chain) cycle += c + " -> ";
      errors.push_back({p.file, p.positions["extends"], "profiles extend each other in a cycle: " + cycle + p.name, "", "", "extends"});
      done.insert(p.name);
      return;
    }
    auto parent = by_name.find(p.extends);
    if (parent == by_name.end()) {
      std::vector<std::string> names;
      for (const auto& [n, _] : by_name) names.push_back(n);
      std::string hint = closest_match(p.extends, names);
      errors.push_back({p.file, p.positions["extends"], "extends unknown profile '" + p.extends + "'",
                        hint.empty() ? "" : "did you mean '" + hint + "'?", "", "extends"});
      done.insert(p.name);
      return;
    }
    chain.push_back(p.name);
    resolve(*parent->second, chain);
    chain.pop_back();
    inherit(p, *parent->second);
    done.insert(p.name);
  };
  for (const auto& p : profiles_) {
    std::vector<std::string> chain;
    resolve(*p, chain);
  }
  return {};
}

Expected<ProfileSet> ProfileSet::load(const std::vector<std::string>& paths) {
  ProfileSet set;
  std::vector<Diagnostic> errors;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::recursive_directory_iterator(path, ec))
        if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) (void)load_file(f, set.profiles_, errors);
    } else {
      (void)load_file(path, set.profiles_, errors);
    }
  }
  (void)set.resolve_extends(errors);
  if (!errors.empty()) return collect(std::move(errors));
  return set;
}

Expected<ProfileSet> ProfileSet::parse(std::string_view yaml, std::string_view file) {
  ProfileSet set;
  std::vector<Diagnostic> errors;
  Parser parser{std::string(file), std::string(yaml), errors};
  read_documents(parser, set.profiles_);
  (void)set.resolve_extends(errors);
  if (!errors.empty()) return collect(std::move(errors));
  return set;
}

const Profile* ProfileSet::find(std::string_view name) const {
  for (const auto& p : profiles_)
    if (p->name == name) return p.get();
  return nullptr;
}

namespace {

bool selector_matches(std::string_view sel, const CheckInfo& c) {
  if (sel.starts_with("tag:")) return std::find(c.tags.begin(), c.tags.end(), sel.substr(4)) != c.tags.end();
  if (sel.starts_with("category:")) return c.category == sel.substr(9);
  return glob_match(sel, c.id);
}

bool is_plain_id(std::string_view sel) {
  return !sel.starts_with("tag:") && !sel.starts_with("category:") && sel.find_first_of("*?") == std::string_view::npos;
}

}  // namespace

Status ProfileSet::validate(const std::vector<CheckInfo>& checks, References refs) const {
  const bool strict = refs == References::Strict;
  std::vector<Diagnostic> errors;
  std::vector<std::string> ids;
  std::set<std::string> all_params;
  for (const auto& c : checks) {
    ids.push_back(c.id);
    all_params.insert(c.params.begin(), c.params.end());
  }
  auto find_check = [&](std::string_view id) -> const CheckInfo* {
    for (const auto& c : checks)
      if (c.id == id) return &c;
    return nullptr;
  };
  for (const auto& p : profiles_) {
    auto at = [&](const std::string& key) {
      auto it = p->positions.find(key);
      return it == p->positions.end() ? SourcePos{} : it->second;
    };
    auto add = [&](const std::string& key, std::string field, std::string message, std::string hint) {
      errors.push_back({p->file, at(key), "profile '" + p->name + "': " + message, std::move(hint), "", std::move(field)});
    };
    for (const char* kind : {"include", "exclude", "optional"}) {
      const std::string k = kind;
      const auto& list = k == "include" ? p->include : k == "exclude" ? p->exclude : p->optional;
      for (const auto& sel : list) {
        if (is_plain_id(sel) && !find_check(sel)) {
          if (!strict) continue;
          std::string hint = closest_match(sel, ids);
          add(std::string(kind) + ":" + sel, std::string("checks.") + kind, "unknown check '" + sel + "'",
              hint.empty() ? "" : "did you mean '" + hint + "'?");
        } else if (!is_plain_id(sel)) {
          bool any = false;
          for (const auto& c : checks) any = any || selector_matches(sel, c);
          if (!any && strict) add(std::string(kind) + ":" + sel, std::string("checks.") + kind, "'" + sel + "' selects no check", "");
        }
      }
    }
    for (const auto& [key, _] : p->params) {
      size_t dot = key.find('.');
      if (dot != std::string::npos && find_check(key.substr(0, dot))) {
        const CheckInfo* c = find_check(key.substr(0, dot));
        std::string param = key.substr(dot + 1);
        if (std::find(c->params.begin(), c->params.end(), param) == c->params.end()) {
          std::string hint = closest_match(param, c->params);
          add("param:" + key, "params." + key, "check '" + c->id + "' has no parameter '" + param + "'",
              hint.empty() ? "" : "did you mean '" + hint + "'?");
        }
      } else if (!all_params.count(key) && strict) {
        std::string hint = closest_match(key, std::vector<std::string>(all_params.begin(), all_params.end()));
        add("param:" + key, "params." + key, "no check declares parameter '" + key + "'",
            hint.empty() ? "use CHECK-ID.PARAM or a parameter some check declares" : "did you mean '" + hint + "'?");
      }
    }
    for (const auto& [sel, _] : p->severity) {
      bool any = false;
      for (const auto& c : checks) any = any || selector_matches(sel, c);
      if (!any && strict) {
        std::string hint = closest_match(sel, ids);
        add("severity:" + sel, "severity." + sel, "unknown check '" + sel + "'", hint.empty() ? "" : "did you mean '" + hint + "'?");
      }
    }
  }
  if (!errors.empty()) return collect(std::move(errors));
  return {};
}

Expected<ProfileMatch> ProfileSet::select(const ProfileTarget& t) const {
  const Profile* best = nullptr;
  int best_score = -1;
  std::string best_why;
  std::vector<std::string> rejected;
  for (const auto& p : profiles_) {
    if (p->abstract) continue;
    int score = 0;
    std::vector<std::string> why;
    if (!p->scenarios.empty()) {
      if (std::find(p->scenarios.begin(), p->scenarios.end(), t.scenario) == p->scenarios.end()) continue;
      score += 4;
      why.push_back("scenario " + t.scenario);
    }
    if (!p->types.empty()) {
      bool hit = false;
      for (const auto& ty : t.types) hit = hit || std::find(p->types.begin(), p->types.end(), ty) != p->types.end();
      if (!hit) continue;
      score += 2;
      std::string tys;
      for (const auto& ty : p->types) tys += (tys.empty() ? "" : "/") + ty;
      why.push_back("type " + tys);
    }
    if (!p->versions.any()) {
      if (!t.version || !p->versions.contains(*t.version)) continue;
      score += 1;
      why.push_back("version " + p->versions.text());
    }
    auto better = [&] {
      if (score != best_score) return score > best_score;
      if (p->priority != best->priority) return p->priority > best->priority;
      return p->name < best->name;
    };
    if (!best || better()) {
      best = p.get();
      best_score = score;
      std::string w;
      for (const auto& s : why) w += (w.empty() ? "" : ", ") + s;
      best_why = w.empty() ? "matches any cluster" : "matched " + w;
    }
  }
  if (!best) {
    std::string types;
    for (const auto& ty : t.types) types += (types.empty() ? "" : "/") + ty;
    return Error("no profile matches scenario '" + t.scenario + "', type " + (types.empty() ? "unknown" : types) +
                 ", version " + (t.version ? t.version->str() : "unknown") + "; pass --profile or add a profile");
  }
  return ProfileMatch{best, best_why};
}

namespace {

// For an adapter check: is one of the tools it reads among the inputs?
bool adapter_input_given(const CheckInfo& c, const std::vector<std::string>& inputs) {
  for (const auto& tag : c.tags)
    if (tag.starts_with(kAdapterTagPrefix) &&
        std::find(inputs.begin(), inputs.end(), tag.substr(kAdapterTagPrefix.size())) != inputs.end())
      return true;
  return false;
}

}  // namespace

std::vector<const CheckInfo*> ProfileSet::select_checks(const Profile& p, const std::vector<CheckInfo>& checks,
                                                        const std::vector<std::string>& inputs) {
  std::vector<const CheckInfo*> out;
  for (const auto& c : checks) {
    bool in = p.include.empty();  // no include list: everything
    for (const auto& s : p.include) in = in || selector_matches(s, c);
    if (c.category == kAdapterCategory) in = adapter_input_given(c, inputs);
    for (const auto& s : p.exclude) in = in && !selector_matches(s, c);
    if (in) out.push_back(&c);
  }
  return out;
}

bool ProfileSet::is_optional(const Profile& p, const CheckInfo& c) {
  for (const auto& s : p.optional)
    if (selector_matches(s, c)) return true;
  return false;
}

const json::value* ProfileSet::param_override(const Profile& p, std::string_view id, std::string_view param) {
  auto it = p.params.find(std::string(id) + "." + std::string(param));
  if (it != p.params.end()) return &it->second;
  it = p.params.find(std::string(param));
  return it != p.params.end() ? &it->second : nullptr;
}

std::optional<std::string> ProfileSet::severity_override(const Profile& p, std::string_view id) {
  auto exact = p.severity.find(std::string(id));
  if (exact != p.severity.end()) return exact->second;
  for (const auto& [sel, sev] : p.severity)
    if (glob_match(sel, id)) return sev;
  return std::nullopt;
}

}  // namespace kinspect
