// The kinspect command line: a table of subcommands, each with its own
// options, help text and examples.
#pragma once

#include <boost/json/value.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/plugin/registry.h"
#include "core/snapshot/writer.h"
#include "core/waiver/objects.h"
#include "core/waiver/waiver.h"

namespace kinspect::cli {

// Exit codes, documented in `kinspect --help` and the README; CI gates on them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;   // findings at or above --fail-on
inline constexpr int kExitUsage = 2;      // bad usage or configuration
inline constexpr int kExitIncomplete = 3; // the run could not complete

namespace po = boost::program_options;

// A usage or configuration problem found while a command runs (a plugin that
// cannot start, an unknown --set): main prints it and exits kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Command {
  std::string name;      // "plugins list"
  std::string summary;   // one line
  std::string details;   // paragraphs for --help
  std::string examples;  // lines for --help
  // Adds the command's options (and positional names) to `desc`/`pos`.
  std::function<void(po::options_description& desc, po::positional_options_description& pos)> options;
  std::function<int(const po::variables_map& vm)> run;
};

// Every command, in the order `kinspect --help` lists them.
const std::vector<Command>& commands();

// Options shared by commands that load plugins and read data.
void add_source_options(po::options_description& desc);
// --checks (repeatable) and --no-bundled-checks, for commands that load checks.
void add_check_options(po::options_description& desc);
// The checks those options ask for: the bundled catalog, then every --checks
// path (custom checks add to the catalog); with --no-bundled-checks only the
// --checks paths. A folder named twice, the bundled one included, is read once.
std::vector<std::string> check_paths(const po::variables_map& vm);
bool bundled_checks(const po::variables_map& vm);
// -n/--namespace, -A/--all-namespaces, --exclude-namespace, -l/--selector
// (run, query, snapshot); load_plugins hands them to the kube-apiserver
// driver, which narrows its LISTs (or the snapshot it reads) to them.
void add_scope_options(po::options_description& desc);
// The scope those options give (all namespaces when none are given); a
// contradiction (-A with -n) is a UsageError.
report::Scope scope_of(const po::variables_map& vm);
// Loads the plugins the options name. With `problems` null, a plugin that
// cannot load or start, or a --set naming an unknown plugin or setting,
// throws UsageError (a run must not go on without a plugin it was given);
// otherwise the problems are returned there for the caller to show.
// `discover`: let drivers contact their sources while describing tables.
// `isolate`: run plugins in worker processes (see core/plugin/isolated.h).
// `only`: load just these plugins (by name), when not empty.
// `settled`: where --with TOOL alone read the tool's results from the live
// cluster, what it read (for `snapshot` to carry; see settle_live_with).
std::unique_ptr<PluginRegistry> load_plugins(const po::variables_map& vm, bool discover,
                                             std::vector<LoadProblem>* problems = nullptr, bool isolate = false,
                                             const std::vector<std::string>& only = {},
                                             std::vector<SnapshotInput>* settled = nullptr);

// The tools named with --with TOOL[=PATH], and those whose outputs the
// --snapshot carries: their adapter checks run (RunConfig::inputs).
// load_plugins passes each PATH to plugin TOOL as its setting `input`.
std::vector<std::string> with_tools(const po::variables_map& vm);
// --with TOOL alone, for each such tool whose adapter declares `live_pods`
// (the label selector of the pods whose logs are its output): reads those
// logs through k8s.pod_logs into a private folder of <node>.log files and
// sets the tool's `input` to it in `config`, or `live_unavailable` to why
// there is none. A tool declaring neither `live_pods` nor `live` is a
// UsageError saying how to pass its results as a file. Returns true when
// `config` changed (the adapter must load again). live_with.cpp.
bool settle_live_with(const std::vector<std::string>& live_tools, PluginRegistry& reg,
                      std::map<std::string, std::string>& config);
// The --with TOOL=PATH pairs, PATH made absolute (for `snapshot` to carry).
std::vector<SnapshotInput> with_inputs(const po::variables_map& vm);

// A command-line value: JSON when it parses as JSON (5, true, ["a"]), else
// the text itself, so --param max_restarts=5 is a number and name=foo text.
boost::json::value json_or_text(const std::string& text);
// The NAME=VALUE pairs of a repeatable option (--param), values as above;
// throws po::error naming the option for a pair without '='.
std::map<std::string, boost::json::value> parse_assignments(const po::variables_map& vm, const char* option);

// The waiver files of `run`: each --waivers FILE, else the default file
// (waiver::default_waivers_path) when it exists. waivers.cpp.
std::vector<std::string> waiver_files(const po::variables_map& vm);
// Their waivers; a file that is missing or malformed is a UsageError with
// its file, line and column.
std::vector<waiver::Waiver> read_waivers(const std::vector<std::string>& files);
// Applies them to the report as of `as_of` (epoch seconds), with the
// labels and annotations of the objects findings name: those of the tables
// the run read whole from `run_objects`, the others read from the registry,
// narrowly from a live cluster (`live`), in one read from a snapshot.
void apply_waivers(const std::vector<std::string>& files, const std::vector<waiver::Waiver>& waivers,
                   PluginRegistry& reg, report::Report& rep, double as_of, bool live,
                   const waiver::RunObjects& run_objects);

// A table cell for people: strings as they are, null empty, anything else as JSON.
std::string json_cell(const boost::json::value& v);

// A plain text table for terminals: columns padded to the widest cell.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render(bool colour) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Declared by each cmd_*.cpp; commands() gathers them.
std::vector<Command> plugin_commands();
std::vector<Command> table_commands();
std::vector<Command> version_commands();
std::vector<Command> run_commands();
std::vector<Command> query_commands();
std::vector<Command> check_commands();
std::vector<Command> profile_commands();
std::vector<Command> snapshot_commands();
std::vector<Command> serve_commands();
std::vector<Command> trace_commands();
std::vector<Command> completion_commands();

// A command's options as its parser sees them: its own, the configuration
// file's (run), and the global ones.
void command_options(const Command& c, po::options_description& desc, po::positional_options_description& pos);

// The texts of `kinspect --help`, for the man page.
const char* help_overview();
const char* help_exit_codes();
const char* help_global_options();

// The man page and shell completions, all made from the commands' help texts
// (help_export.cpp). `kinspect __man` prints the page (the build installs it
// as kinspect.1); `kinspect completion bash|zsh` prints the scripts.
inline constexpr const char* kManCommand = "__man";
std::string man_page();
std::string bash_completion();
std::string zsh_completion();

// The whole command line, as the executable runs it (tests call it too).
int main(int argc, char** argv);

}  // namespace kinspect::cli
