#include "npd.h"

#include <dirent.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json/stream_parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

namespace json = boost::json;

namespace node {

namespace {

std::string line_col(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

json::object parse_object(std::string_view text, const std::string& file) {
  json::stream_parser p;
  json::error_code ec;
  size_t n = p.write_some(text.data(), text.size(), ec);
  if (!ec && n == text.size()) p.finish(ec);
  else if (!ec) ec = json::make_error_code(json::error::extra_data);
  if (ec) throw std::runtime_error(file + ":" + line_col(text, n) + ": not valid JSON: " + ec.message());
  json::value v = p.release();
  if (!v.is_object()) throw std::runtime_error(file + ":1:1: expected a JSON object (an NPD monitor configuration)");
  return std::move(v.as_object());
}

std::string text_field(const json::object& o, const char* key, const std::string& where) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return "";
  if (!it->value().is_string())
    throw std::runtime_error(where + key + ": expected a string, got " + json::serialize(it->value()));
  return std::string(it->value().as_string());
}

// Whether a Go pattern may match across lines of the buffer (or must see the
// buffer's start, as '^' does outside multi-line mode): such rules are run on
// the joined buffer, the others on each line alone, which is the same result.
bool needs_buffer(const std::string& p) {
  for (const char* s : {"\\n", "\\s", "(?s", "[^", "\\D", "\\W", "\\x0", "\\x{", "\\0", "\\P", "\\p", "[[:", "^", "\n"})
    if (p.find(s) != std::string::npos) return true;
  return false;
}

std::string infer_plugin(const std::string& log_path) {
  if (log_path.find("kmsg") != std::string::npos) return "kmsg";
  if (log_path.find("journal") != std::string::npos) return "journald";
  return "filelog";
}

void decide_applies(NpdConfig& c, const json::object& plugin_config) {
  std::string base = c.log_path.substr(c.log_path.rfind('/') + 1);
  std::string journal_source;
  if (auto it = plugin_config.find("source"); it != plugin_config.end() && it->value().is_string())
    journal_source = std::string(it->value().as_string());
  if (c.plugin == "kmsg") c.applies = true;
  else if (c.plugin == "filelog" && base == "kern.log") c.applies = true;
  else if (c.plugin == "journald" && journal_source == "kernel") c.applies = true;
  else if (c.plugin == "custom")
    c.not_applied = "a custom plugin monitor: its rules run programs (path), which kinspect does not do";
  else if (c.plugin == "journald")
    c.not_applied = "reads the journal of " + (journal_source.empty() ? std::string("?") : journal_source) +
                    ", not the kernel log";
  else c.not_applied = "reads " + c.log_path + ", not the kernel log";
}

NpdRule parse_rule(const json::value& v, size_t i, const std::string& where) {
  const std::string at = where + "rules[" + std::to_string(i) + "].";
  if (!v.is_object()) throw std::runtime_error(where + "rules[" + std::to_string(i) + "]: expected an object");
  const auto& o = v.as_object();
  NpdRule r;
  r.index = i;
  r.type = text_field(o, "type", at);
  r.condition = text_field(o, "condition", at);
  r.reason = text_field(o, "reason", at);
  r.pattern = text_field(o, "pattern", at);
  if (r.type != "temporary" && r.type != "permanent")
    r.status = "error: type must be temporary or permanent, got '" + r.type + "'";
  else if (r.type == "permanent" && r.condition.empty())
    r.status = "error: a permanent rule needs the condition it sets";
  else if (r.reason.empty())
    r.status = "error: no reason";
  r.multiline = needs_buffer(r.pattern);
  return r;
}

}  // namespace

NpdConfig parse_npd_config(std::string_view text, const std::string& file) {
  json::object o = parse_object(text, file);
  const std::string where = file + ": ";
  NpdConfig c;
  c.file = file;
  c.source = text_field(o, "source", where);
  c.log_path = text_field(o, "logPath", where);
  c.lookback = text_field(o, "lookback", where);
  c.plugin = text_field(o, "plugin", where);
  if (c.plugin.empty() && !c.log_path.empty()) c.plugin = infer_plugin(c.log_path);  // before v0.4
  if (auto it = o.find("bufferSize"); it != o.end()) {
    if (!it->value().is_int64() || it->value().as_int64() < 1)
      throw std::runtime_error(where + "bufferSize: expected a positive integer, got " + json::serialize(it->value()));
    c.buffer_size = std::min<int64_t>(it->value().as_int64(), 1000);
  }
  if (auto it = o.find("conditions"); it != o.end() && it->value().is_array())
    for (const auto& cv : it->value().as_array())
      if (cv.is_object()) c.condition_types.push_back(text_field(cv.as_object(), "type", where + "conditions[]."));
  json::object plugin_config;
  if (auto it = o.find("pluginConfig"); it != o.end() && it->value().is_object()) plugin_config = it->value().as_object();
  auto rules = o.find("rules");
  if (rules == o.end()) {
    c.not_applied = "not a problem monitor: no rules (a system-stats-monitor configuration, for example)";
    return c;
  }
  if (!rules->value().is_array())
    throw std::runtime_error(where + "rules: expected an array, got " + json::serialize(rules->value()));
  for (size_t i = 0; i < rules->value().as_array().size(); ++i)
    c.rules.push_back(parse_rule(rules->value().as_array()[i], i, where));
  decide_applies(c, plugin_config);
  for (auto& r : c.rules) {
    if (!c.applies && r.status == "ok") r.status = "not applied: " + c.not_applied;
    else if (c.applies && r.status == "ok" && r.pattern.empty()) r.status = "error: no pattern";
  }
  return c;
}

std::vector<NpdConfig> parse_npd_configmap(std::string_view text, const std::string& file) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                             ": not valid YAML: " + e.msg);
  }
  if (!doc.IsMap() || !doc["data"] || !doc["data"].IsMap())
    throw std::runtime_error(file + ": expected a ConfigMap with a data: map of NPD configurations");
  std::vector<NpdConfig> out;
  for (const auto& kv : doc["data"]) {
    const std::string key = kv.first.as<std::string>();
    if (key.size() < 5 || key.substr(key.size() - 5) != ".json" || !kv.second.IsScalar()) continue;
    out.push_back(parse_npd_config(kv.second.Scalar(), file + ":data." + key));
  }
  return out;
}

std::vector<NpdConfig> load_npd_dir(const std::string& dir, std::vector<std::string>& errors) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw std::runtime_error("cannot read NPD configuration folder " + dir + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<NpdConfig> out;
  auto ends = [](const std::string& s, const char* suf) {
    size_t n = std::strlen(suf);
    return s.size() >= n && s.compare(s.size() - n, n, suf) == 0;
  };
  for (const auto& n : names) {
    const bool is_json = ends(n, ".json"), is_yaml = ends(n, ".yaml") || ends(n, ".yml");
    if (!is_json && !is_yaml) continue;
    const std::string path = dir + "/" + n;
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) {
      errors.push_back(path + ": cannot read");
      continue;
    }
    if (ss.str().size() > (4u << 20)) {
      errors.push_back(path + ": larger than 4 MiB; not an NPD configuration");
      continue;
    }
    try {
      if (is_json) out.push_back(parse_npd_config(ss.str(), path));
      else for (auto& c : parse_npd_configmap(ss.str(), path)) out.push_back(std::move(c));
    } catch (const std::exception& e) {
      errors.push_back(e.what());
    }
  }
  return out;
}

// ---------------------------------------------------------------- matching

struct NpdMatcher::PerConfig {
  NpdConfig* config;
  std::vector<NpdProblem> found;                 // one per rule
  std::unique_ptr<RE2::Set> single;              // single-line rules, each "(?:p)\z"
  std::vector<size_t> single_rule;               // set index -> rule index
  std::vector<std::pair<size_t, std::unique_ptr<RE2>>> buffered;  // rule index, "(?:p)\z"
  std::deque<std::string> buffer;                // the newest bufferSize lines
  std::string joined;
};

namespace {
RE2::Options go_like() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}
}  // namespace

NpdMatcher::NpdMatcher(std::vector<NpdConfig>& configs) {
  for (auto& c : configs) {
    if (!c.applies) continue;
    auto pc = std::make_unique<PerConfig>();
    pc->config = &c;
    pc->single = std::make_unique<RE2::Set>(go_like(), RE2::UNANCHORED);
    for (auto& r : c.rules) {
      pc->found.push_back(NpdProblem{&c, &r});
      if (r.status != "ok") continue;
      RE2 check(r.pattern, go_like());
      if (!check.ok()) {
        r.status = "error: RE2 cannot compile the pattern: " + check.error();
        continue;
      }
      const std::string anchored = "(?:" + r.pattern + ")\\z";
      if (r.multiline) {
        pc->buffered.emplace_back(r.index, std::make_unique<RE2>(anchored, go_like()));
      } else {
        std::string err;
        if (pc->single->Add(anchored, &err) < 0) r.status = "error: RE2 cannot compile the pattern: " + err;
        else pc->single_rule.push_back(r.index);
      }
    }
    if (!pc->single_rule.empty() && !pc->single->Compile()) {
      for (size_t i : pc->single_rule) c.rules[i].status = "error: RE2 ran out of memory compiling the rules";
      pc->single_rule.clear();
    }
    per_.push_back(std::move(pc));
  }
}

NpdMatcher::~NpdMatcher() = default;

namespace {
void record_match(NpdProblem& p, const KernelRecord& r, std::vector<std::string> lines) {
  if (p.count++ == 0) p.first_boot_us = r.boot_us, p.first_wall_us = r.wall_us;
  p.last_boot_us = r.boot_us, p.last_wall_us = r.wall_us;
  if (lines.size() > NpdProblem::kMaxLines) lines.erase(lines.begin(), lines.end() - NpdProblem::kMaxLines);
  for (auto& l : lines) l.resize(std::min<size_t>(l.size(), 1024));
  p.lines = std::move(lines);
}
}  // namespace

void NpdMatcher::line(std::string_view text, const KernelRecord& r) {
  std::vector<int> hits;
  for (auto& pc : per_) {
    if (!pc->single_rule.empty() && pc->single->Match(text, &hits)) {
      for (int h : hits) record_match(pc->found[pc->single_rule[static_cast<size_t>(h)]], r, {std::string(text)});
      hits.clear();
    }
    if (pc->buffered.empty()) continue;
    pc->buffer.emplace_back(text.substr(0, kMaxLineBytes));
    if (pc->buffer.size() > static_cast<size_t>(pc->config->buffer_size)) pc->buffer.pop_front();
    pc->joined.clear();
    for (size_t i = 0; i < pc->buffer.size(); ++i) (i ? pc->joined.append("\n") : pc->joined).append(pc->buffer[i]);
    for (auto& [rule, re] : pc->buffered) {
      re2::StringPiece m;
      if (!re->Match(pc->joined, 0, pc->joined.size(), RE2::UNANCHORED, &m, 1)) continue;
      // The lines the match covers: from the one holding its start to the newest.
      size_t start = static_cast<size_t>(m.data() - pc->joined.data());
      size_t before = static_cast<size_t>(std::count(pc->joined.begin(), pc->joined.begin() + start, '\n'));
      record_match(pc->found[rule], r, {pc->buffer.begin() + before, pc->buffer.end()});
    }
  }
}

void NpdMatcher::add(const KernelRecord& r) {
  std::string_view m = r.message;
  while (true) {
    size_t nl = m.find('\n');
    line(m.substr(0, nl), r);
    if (nl == std::string_view::npos) break;
    m.remove_prefix(nl + 1);
  }
}

std::vector<NpdProblem> NpdMatcher::problems() const {
  std::vector<NpdProblem> out;
  for (const auto& pc : per_)
    for (const auto& p : pc->found)
      if (p.count > 0) out.push_back(p);
  return out;
}

}  // namespace node
