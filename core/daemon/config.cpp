#include "core/daemon/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace kinspect::daemon {

Expected<Seconds> parse_duration(const std::string& text) {
  // A sequence of NUMBER UNIT (h, m, s, ms); a bare number is seconds.
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(text.substr(i), &used);
    } catch (const std::exception&) {
      return Error("'" + text + "' is not a duration (want e.g. 30s, 10m, 1h30m, 500ms)");
    }
    i += used;
    size_t unit_end = i;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) ++unit_end;
    const std::string unit = text.substr(i, unit_end - i);
    double mul = unit.empty() || unit == "s" ? 1 : unit == "ms" ? 0.001 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
    if (mul < 0 || v < 0 || (unit.empty() && unit_end < text.size()))
      return Error("'" + text + "' is not a duration (want e.g. 30s, 10m, 1h30m, 500ms)");
    total += v * mul;
    i = unit_end;
    any = true;
  }
  if (!any) return Error("an empty duration (want e.g. 30s, 10m, 1h30m, 500ms)");
  return Seconds(total);
}

namespace {

// Reads one file's fields, collecting every problem with its position.
struct Reader {
  std::string file, text;
  std::vector<Diagnostic> errors;

  void fail(const YAML::Node& n, const std::string& field, const std::string& message, const std::string& hint = "") {
    Diagnostic d;
    d.file = file;
    YAML::Mark m = n.Mark();
    if (m.line >= 0) d.pos = {unsigned(m.line + 1), unsigned(m.column + 1)};
    d.field = field;
    d.message = message;
    d.hint = hint;
    d.source_line = std::string(line_of(text, d.pos.line));
    errors.push_back(std::move(d));
  }
  void keys(const YAML::Node& map, const std::string& where, const std::vector<std::string>& allowed) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string hint = closest_match(k, allowed);
      fail(it->first, where.empty() ? k : where + "." + k, "unknown key '" + k + "'",
           hint.empty() ? "" : "did you mean '" + hint + "'?");
    }
  }
  void text_of(const YAML::Node& n, const std::string& field, std::string& out) {
    if (!n) return;
    if (!n.IsScalar()) return fail(n, field, "must be a single value");
    out = n.Scalar();
  }
  void list_of(const YAML::Node& n, const std::string& field, std::vector<std::string>& out) {
    if (!n) return;
    if (n.IsScalar()) return out.push_back(n.Scalar());
    if (!n.IsSequence()) return fail(n, field, "must be a list");
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) fail(n[i], field + "[" + std::to_string(i) + "]", "must be a single value");
      else out.push_back(n[i].Scalar());
    }
  }
  template <class N>
  void number_of(const YAML::Node& n, const std::string& field, N& out) {
    if (!n) return;
    std::string s;
    text_of(n, field, s);
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end || v <= 0) return fail(n, field, "'" + s + "' is not a positive whole number");
    out = N(v);
  }
  void duration_of(const YAML::Node& n, const std::string& field, Seconds& out) {
    if (!n) return;
    std::string s;
    text_of(n, field, s);
    auto d = parse_duration(s);
    if (!d) fail(n, field, d.error().message());
    else out = *d;
  }

  // A cron-like schedule; its error points at the column of the bad field.
  void schedule_of(const YAML::Node& n, const std::string& field, ClusterConfig& c) {
    if (!n) return;
    text_of(n, field, c.schedule);
    if (!n.IsScalar()) return;  // text_of said so
    CronError e;
    if (c.schedule.empty()) e = {1, "an empty schedule (want e.g. \"*/15 * * * *\" or @hourly)"};
    else if ((c.cron = parse_cron(c.schedule, e))) return;
    fail(n, field, e.message);
    // Within the value: past an opening quote, then to the field.
    Diagnostic& d = errors.back();
    const std::string_view line = d.source_line;
    const unsigned col = d.pos.column;
    const bool quoted = col >= 1 && col <= line.size() && (line[col - 1] == '"' || line[col - 1] == '\'');
    d.pos.column = col + (quoted ? 1 : 0) + unsigned(e.column) - 1;
  }
  void bool_of(const YAML::Node& n, const std::string& field, bool& out) {
    if (!n) return;
    std::string s;
    text_of(n, field, s);
    if (s == "true") out = true;
    else if (s == "false") out = false;
    else fail(n, field, "'" + s + "' is not true or false");
  }
  void write_back(const YAML::Node& n, const std::string& where, WriteBack& out);
  ClusterConfig cluster(const YAML::Node& n, const std::string& where);
  void limits(const YAML::Node& n, Limits& out);
  void root(const YAML::Node& n, DaemonConfig& out);
};

void Reader::write_back(const YAML::Node& n, const std::string& where, WriteBack& out) {
  if (!n) return;
  if (!n.IsMap()) return fail(n, where, "must be a map (docs/daemon.md, \"Write-back\")");
  keys(n, where, {"enabled", "events", "node_conditions", "min_severity", "max_writes", "kubeconfig", "context"});
  out.enabled = true;  // the block turns it on, unless it says `enabled: false`
  bool_of(n["enabled"], where + ".enabled", out.enabled);
  bool_of(n["events"], where + ".events", out.events);
  bool_of(n["node_conditions"], where + ".node_conditions", out.node_conditions);
  number_of(n["max_writes"], where + ".max_writes", out.max_writes);
  text_of(n["kubeconfig"], where + ".kubeconfig", out.kubeconfig);
  text_of(n["context"], where + ".context", out.context);
  std::string severity;
  text_of(n["min_severity"], where + ".min_severity", severity);
  if (!severity.empty() && !report::parse_severity(severity, out.min_severity))
    fail(n["min_severity"], where + ".min_severity", "'" + severity + "' is not critical, warning or info");
  if (out.enabled && !out.events && !out.node_conditions)
    fail(n, where, "write-back is on but writes neither events nor node_conditions");
}

ClusterConfig Reader::cluster(const YAML::Node& n, const std::string& where) {
  ClusterConfig c;
  if (!n.IsMap()) {
    fail(n, where, "must be a map with name and snapshot or kubeconfig");
    return c;
  }
  keys(n, where, {"name", "snapshot", "kubeconfig", "context", "profiles", "interval", "schedule", "settings",
                  "namespaces", "exclude_namespaces", "selector", "write_back"});
  text_of(n["name"], where + ".name", c.name);
  text_of(n["snapshot"], where + ".snapshot", c.snapshot);
  text_of(n["kubeconfig"], where + ".kubeconfig", c.kubeconfig);
  text_of(n["context"], where + ".context", c.context);
  list_of(n["profiles"], where + ".profiles", c.profiles);
  duration_of(n["interval"], where + ".interval", c.interval);
  schedule_of(n["schedule"], where + ".schedule", c);
  list_of(n["namespaces"], where + ".namespaces", c.scope.namespaces);
  list_of(n["exclude_namespaces"], where + ".exclude_namespaces", c.scope.exclude_namespaces);
  text_of(n["selector"], where + ".selector", c.scope.label_selector);
  for (const auto& ns : c.scope.exclude_namespaces)
    if (std::find(c.scope.namespaces.begin(), c.scope.namespaces.end(), ns) != c.scope.namespaces.end())
      fail(n["exclude_namespaces"], where + ".exclude_namespaces", "namespace '" + ns + "' is also in `namespaces`");
  if (n["schedule"] && n["interval"]) fail(n["schedule"], where, "give a cluster `schedule` or `interval`, not both");
  if (const YAML::Node s = n["settings"]; s && !s.IsMap()) fail(s, where + ".settings", "must be a map PLUGIN: {KEY: VALUE}");
  else if (s)
    for (auto p = s.begin(); p != s.end(); ++p) {
      if (!p->second.IsMap()) {
        fail(p->second, where + ".settings." + p->first.Scalar(), "must be a map KEY: VALUE");
        continue;
      }
      for (auto kv = p->second.begin(); kv != p->second.end(); ++kv)
        c.settings[p->first.Scalar()][kv->first.Scalar()] = kv->second.IsScalar() ? kv->second.Scalar() : "";
    }
  write_back(n["write_back"], where + ".write_back", c.write_back);
  if (c.write_back.enabled && !c.snapshot.empty())
    fail(n["write_back"], where + ".write_back", "write-back needs a live cluster; this one is a snapshot");
  if (c.name.empty()) fail(n, where + ".name", "every cluster needs a name");
  // Neither: a live cluster found as kubectl finds it ($KUBECONFIG, ~/.kube/config, in-cluster).
  if (!c.snapshot.empty() && (!c.kubeconfig.empty() || !c.context.empty()))
    fail(n, where, "give a cluster `snapshot` or `kubeconfig`/`context`, not both");
  return c;
}

void Reader::limits(const YAML::Node& n, Limits& out) {
  if (!n) return;
  if (!n.IsMap()) return fail(n, "limits", "must be a map");
  keys(n, "limits", {"max_body_bytes", "max_header_bytes", "max_connections", "request_timeout"});
  number_of(n["max_body_bytes"], "limits.max_body_bytes", out.max_body_bytes);
  number_of(n["max_header_bytes"], "limits.max_header_bytes", out.max_header_bytes);
  number_of(n["max_connections"], "limits.max_connections", out.max_connections);
  duration_of(n["request_timeout"], "limits.request_timeout", out.request_timeout);
}

void Reader::root(const YAML::Node& n, DaemonConfig& out) {
  if (!n.IsMap()) return fail(n, "", "the configuration must be a map (see docs/daemon.md)");
  keys(n, "", {"listen", "interval", "token_file", "tls", "state_dir", "history", "queue",
               "shutdown_timeout", "checks", "profiles", "plugin_dirs", "waivers", "clusters", "limits"});
  text_of(n["listen"], "listen", out.listen);
  duration_of(n["interval"], "interval", out.interval);
  text_of(n["token_file"], "token_file", out.token_file);
  if (const YAML::Node t = n["tls"]; t && !t.IsMap()) fail(t, "tls", "must be a map {cert_file: FILE, key_file: FILE}");
  else if (t) {
    keys(t, "tls", {"cert_file", "key_file"});
    text_of(t["cert_file"], "tls.cert_file", out.tls_cert);
    text_of(t["key_file"], "tls.key_file", out.tls_key);
    if (out.tls_cert.empty() != out.tls_key.empty()) fail(t, "tls", "TLS needs both cert_file and key_file");
  }
  text_of(n["state_dir"], "state_dir", out.state_dir);
  if (const YAML::Node h = n["history"]) {
    keys(h, "history", {"reports", "bytes"});
    number_of(h["reports"], "history.reports", out.history_reports);
    number_of(h["bytes"], "history.bytes", out.history_bytes);
  }
  number_of(n["queue"], "queue", out.queue);
  duration_of(n["shutdown_timeout"], "shutdown_timeout", out.shutdown_timeout);
  list_of(n["checks"], "checks", out.check_paths);
  list_of(n["profiles"], "profiles", out.profile_paths);
  list_of(n["plugin_dirs"], "plugin_dirs", out.plugin_dirs);
  list_of(n["waivers"], "waivers", out.waiver_files);
  limits(n["limits"], out.limits);
  if (const YAML::Node cs = n["clusters"]; cs && !cs.IsSequence()) fail(cs, "clusters", "must be a list");
  else if (cs)
    for (size_t i = 0; i < cs.size(); ++i) out.clusters.push_back(cluster(cs[i], "clusters[" + std::to_string(i) + "]"));
}

}  // namespace

Expected<DaemonConfig> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(path + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  Reader r{path, ss.str(), {}};
  DaemonConfig config;
  try {
    r.root(YAML::Load(r.text), config);
  } catch (const YAML::Exception& e) {
    Diagnostic d;
    d.file = path;
    d.pos = {unsigned(e.mark.line + 1), unsigned(e.mark.column + 1)};
    d.message = "invalid YAML: " + e.msg;
    d.source_line = std::string(line_of(r.text, d.pos.line));
    r.errors.push_back(std::move(d));
  }
  if (!r.errors.empty()) {
    // Counted first: the vector may be moved from before the text is built.
    const std::string summary = path + ": " + std::to_string(r.errors.size()) + " problem(s)";
    return Error(summary, std::move(r.errors));
  }
  return config;
}

std::string validate(const DaemonConfig& config) {
  if (config.clusters.empty()) return "no cluster to inspect: give --snapshot, --kubeconfig/--context, or `clusters:` in --config";
  std::set<std::string> names;
  for (const auto& c : config.clusters) {
    if (!names.insert(c.name).second) return "cluster name '" + c.name + "' is used twice; each cluster needs its own";
    // The name is a folder of the history: letters, digits, '.', '_', '-' only.
    bool plain = c.name.size() <= 63 && c.name != "." && c.name != "..";
    for (char ch : c.name) plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-');
    if (!plain) return "cluster name '" + c.name + "' may hold only letters, digits, '.', '_' and '-' (at most 63)";
  }
  if (config.interval.count() <= 0) return "the interval must be more than 0";
  if (config.tls_cert.empty() != config.tls_key.empty())
    return "TLS needs both a certificate and a key: --tls-cert FILE --tls-key FILE (or tls: {cert_file, key_file})";
  return "";
}

}  // namespace kinspect::daemon
