// The user's configuration file for `kinspect run`'s defaults:
// $XDG_CONFIG_HOME/kinspect/config.yaml (else ~/.config/kinspect/config.yaml),
// or the file --config names; --no-config ignores it. Its keys (profile,
// waivers, format, output, fail-on) are defaults: a flag on the command line
// wins over them. See docs/configuration.md.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace kinspect::cli {

namespace po = boost::program_options;

// One key of the file as the option it stands for.
struct ConfigDefault {
  std::string option;               // "fail-on"
  std::vector<std::string> values;  // one for single-valued options
  SourcePos pos;                    // where the value is in the file
};

struct UserConfig {
  std::string path;  // empty: no file was read
  std::vector<ConfigDefault> defaults;
};

// The keys a file may hold, in the order `kinspect run --help` names them.
const std::vector<std::string>& user_config_keys();

// Where the file is looked for when --config is not given (it need not exist).
std::string default_user_config_path();

// Adds --config FILE and --no-config to a command that takes defaults.
void add_user_config_options(po::options_description& desc);

// Reads the file --config names, else the default one if it exists; nothing
// with --no-config. Bad YAML, an unknown key or a value of the wrong shape is
// an Error whose diagnostics name the file, line and column.
Expected<UserConfig> load_user_config(const po::variables_map& vm);

// Puts the file's values into `vm` for the options of `desc` the command line
// did not give (options it lacks are left alone). Returns what was applied.
std::vector<ConfigDefault> apply_user_config(const UserConfig& config, const po::options_description& desc,
                                             po::variables_map& vm);

// "<file>:<line>:<col>", where `option`'s value came from, if it came from the file.
std::optional<std::string> config_origin(const UserConfig& config, const std::vector<ConfigDefault>& applied,
                                         const std::string& option);

}  // namespace kinspect::cli
