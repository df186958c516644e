#include "core/cli/user_config.h"

#include <yaml-cpp/yaml.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kinspect::cli {

namespace fs = std::filesystem;

namespace {

struct KeySpec {
  const char* key;
  bool list;        // a list (or one value) rather than a single value
  bool file_paths;  // relative paths are relative to the file's folder
};

// Each key is named as the option it sets, so the file reads like the flags.
constexpr KeySpec kKeys[] = {
    {"profile", false, false},
    {"waivers", true, true},
    {"format", false, false},
    {"output", true, false},
    {"fail-on", false, false},
};

SourcePos pos_of(const YAML::Mark& m) {
  return m.line >= 0 ? SourcePos{unsigned(m.line + 1), unsigned(m.column + 1)} : SourcePos{};
}

struct Reader {
  std::string file, text, dir;
  std::vector<Diagnostic> errors;

  void fail(SourcePos pos, const std::string& field, const std::string& message, const std::string& hint = "") {
    Diagnostic d;
    d.file = file;
    d.pos = pos;
    d.field = field;
    d.message = message;
    d.hint = hint;
    d.source_line = std::string(line_of(text, pos.line));
    errors.push_back(std::move(d));
  }

  std::string value(const YAML::Node& n, const KeySpec& spec) {
    std::string v = n.Scalar();
    if (spec.file_paths && !v.empty() && fs::path(v).is_relative()) v = (fs::path(dir) / v).lexically_normal().string();
    return v;
  }

  void entry(const YAML::Node& key, const YAML::Node& val, std::vector<ConfigDefault>& out) {
    const std::string k = key.Scalar();
    const KeySpec* spec = nullptr;
    for (const auto& s : kKeys)
      if (k == s.key) spec = &s;
    if (!spec) {
      std::string hint = closest_match(k, user_config_keys());
      std::string valid;
      for (const auto& name : user_config_keys()) valid += (valid.empty() ? "" : ", ") + name;
      return fail(pos_of(key.Mark()), k, "unknown key '" + k + "' (valid keys: " + valid + ")",
                  hint.empty() ? "" : "did you mean '" + hint + "'?");
    }
    ConfigDefault d{k, {}, pos_of(val.Mark())};
    if (val.IsScalar() && !val.Scalar().empty()) {
      d.values.push_back(value(val, *spec));
    } else if (spec->list && val.IsSequence()) {
      for (size_t i = 0; i < val.size(); ++i) {
        if (val[i].IsScalar() && !val[i].Scalar().empty()) d.values.push_back(value(val[i], *spec));
        else fail(pos_of(val[i].Mark()), k + "[" + std::to_string(i) + "]", "must be a single value");
      }
    } else {
      return fail(pos_of(val.Mark()), k, spec->list ? "must be a value or a list of values" : "must be a single value");
    }
    if (!d.values.empty()) out.push_back(std::move(d));
  }

  std::vector<ConfigDefault> root(const YAML::Node& n) {
    std::vector<ConfigDefault> out;
    if (n.IsNull()) return out;  // an empty file sets nothing
    if (!n.IsMap()) {
      fail(pos_of(n.Mark()), "", "must be a map of keys such as 'profile: node' and 'fail-on: warning'");
      return out;
    }
    for (auto it = n.begin(); it != n.end(); ++it) entry(it->first, it->second, out);
    return out;
  }
};

Expected<UserConfig> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(path + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  Reader r{path, ss.str(), fs::absolute(path).parent_path().string(), {}};
  UserConfig config;
  config.path = path;
  try {
    config.defaults = r.root(YAML::Load(r.text));
  } catch (const YAML::Exception& e) {
    r.fail(pos_of(e.mark), "", "invalid YAML: " + e.msg);
  }
  if (!r.errors.empty()) {
    const std::string summary = path + ": " + std::to_string(r.errors.size()) + " problem(s)";
    return Error(summary, std::move(r.errors));
  }
  return config;
}

}  // namespace

const std::vector<std::string>& user_config_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> v;
    for (const auto& s : kKeys) v.emplace_back(s.key);
    return v;
  }();
  return keys;
}

std::string default_user_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg && fs::path(xdg).is_absolute())
    return (fs::path(xdg) / "kinspect" / "config.yaml").string();
  const char* home = std::getenv("HOME");
  if (!home || !*home) return "";
  return (fs::path(home) / ".config" / "kinspect" / "config.yaml").string();
}

void add_user_config_options(po::options_description& desc) {
  desc.add_options()
      ("config", po::value<std::string>(),
       "read defaults (profile, waivers, format, output, fail-on) from FILE instead of "
       "$XDG_CONFIG_HOME/kinspect/config.yaml; flags win over them")
      ("no-config", "ignore the configuration file");
}

Expected<UserConfig> load_user_config(const po::variables_map& vm) {
  if (vm.count("no-config")) {
    if (vm.count("config")) return Error("--config and --no-config contradict each other; give one");
    return UserConfig{};
  }
  if (vm.count("config")) return read_file(vm["config"].as<std::string>());
  const std::string path = default_user_config_path();
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return UserConfig{};
  return read_file(path);
}

std::vector<ConfigDefault> apply_user_config(const UserConfig& config, const po::options_description& desc,
                                             po::variables_map& vm) {
  std::vector<ConfigDefault> applied;
  po::parsed_options parsed(&desc);
  for (const auto& d : config.defaults) {
    if (!desc.find_nothrow(d.option, false)) continue;
    if (vm.count(d.option) && !vm[d.option].defaulted()) continue;  // the flag wins
    parsed.options.emplace_back(d.option, d.values);
    applied.push_back(d);
  }
  // A defaulted value is replaced by a stored one; no given flag is touched.
  po::store(parsed, vm);
  return applied;
}

std::optional<std::string> config_origin(const UserConfig& config, const std::vector<ConfigDefault>& applied,
                                         const std::string& option) {
  for (const auto& d : applied)
    if (d.option == option)
      return config.path + ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column);
  return std::nullopt;
}

}  // namespace kinspect::cli
