// kinspect: entry point and subcommand dispatch.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>

#include "core/cli/cli.h"
#include "core/cli/user_config.h"
#include "core/util/huge_pages.h"
#include "core/util/log.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> v;
    for (auto part : {run_commands(), query_commands(), snapshot_commands(), check_commands(), profile_commands(),
                      plugin_commands(), table_commands(), serve_commands(), trace_commands(), version_commands(),
                      completion_commands()})
      v.insert(v.end(), part.begin(), part.end());
    return v;
  }();
  return all;
}

#ifndef KINSPECT_VERSION
#define KINSPECT_VERSION "0.0.0"
#endif

namespace {

constexpr const char* kOverview = R"(kinspect finds what is wrong with a Kubernetes cluster before its operators do.

Data-driver plugins expose tables of facts (k8s.pods, node.mounts, ...);
checks written in KCQL, a small SQL-like language, run over those tables.

Usage: kinspect <command> [options]
       kinspect <command> --help     options and examples of one command
)";

constexpr const char* kExitCodes = R"(Exit codes:
  0  success, no findings at or above --fail-on
  1  findings at or above --fail-on
  2  usage or configuration error
  3  the run could not complete (a needed source failed)
)";

constexpr const char* kGlobalOptions = R"(  -v, --verbose        more log lines on stderr (-vv for debug)
  -q, --quiet          errors only
  --color WHEN         auto (default: colour on a terminal), always, never
  -V, --version        print kinspect's version
)";

bool holds_tables(const Command& cmd) {
  return cmd.name == "run" || cmd.name == "query" || cmd.name == "snapshot" || cmd.name == "serve";
}

void print_overview() {
  std::cout << kOverview << "\nCommands:\n";
  size_t w = 0;
  for (const auto& c : commands()) w = std::max(w, c.name.size());
  for (const auto& c : commands()) std::cout << "  " << c.name << std::string(w + 2 - c.name.size(), ' ') << c.summary << '\n';
  std::cout << "\nGlobal options (any command):\n" << kGlobalOptions << '\n' << kExitCodes;
}

// Finds the longest command name that prefixes argv[1..]: "plugins list"
// before "plugins".
const Command* match(const std::vector<std::string>& args, size_t& used) {
  const Command* best = nullptr;
  size_t best_words = 0;
  for (const auto& c : commands()) {
    std::vector<std::string> words;
    size_t start = 0;
    while (start < c.name.size()) {
      size_t sp = c.name.find(' ', start);
      words.push_back(c.name.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
      if (sp == std::string::npos) break;
      start = sp + 1;
    }
    if (words.size() > args.size() || words.size() <= best_words) continue;
    if (std::equal(words.begin(), words.end(), args.begin())) best = &c, best_words = words.size();
  }
  used = best_words;
  return best;
}

// `kinspect run` reads its defaults from the user's configuration file.
bool takes_user_config(const Command& c) { return c.name == "run"; }

void add_global(po::options_description& d) {
  d.add_options()
      ("help,h", "show this help")
      ("verbose,v", po::value<std::vector<bool>>()->zero_tokens()->composing(), "more log lines")
      ("quiet,q", "errors only")
      ("version,V", "print kinspect's version")
      ("color", po::value<std::string>()->default_value("auto"), "auto, always or never");
}

void print_command_help(const Command& c) {
  po::options_description desc("Options");
  po::positional_options_description pos;
  command_options(c, desc, pos);
  std::cout << "Usage: kinspect " << c.name;
  for (unsigned i = 0; i < pos.max_total_count() && i < 8; ++i) std::cout << " [" << pos.name_for_position(i) << "]";
  if (pos.max_total_count() > 8) std::cout << " [" << pos.name_for_position(0) << "...]";
  std::cout << " [options]\n\n" << c.summary << "\n";
  if (!c.details.empty()) std::cout << '\n' << c.details << '\n';
  std::cout << '\n' << desc << '\n';
  if (!c.examples.empty()) std::cout << "Examples:\n" << c.examples << '\n';
}

// Global options may stand before the command ("kinspect -v run"): they are
// moved behind it, where the command's parser reads them with its own.
std::vector<std::string> global_options_last(std::vector<std::string> args) {
  std::vector<std::string> global;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool flag = (a.size() >= 2 && a[0] == '-' && a.find_first_not_of('v', 1) == std::string::npos) || a == "--verbose" || a == "-q" || a == "--quiet" || a.rfind("--color=", 0) == 0;
    if (flag) {
      global.push_back(a);
    } else if (a == "--color" && i + 1 < args.size()) {
      global.push_back(a);
      global.push_back(args[++i]);
    } else {
      break;
    }
  }
  std::vector<std::string> out(args.begin() + static_cast<long>(i), args.end());
  out.insert(out.end(), global.begin(), global.end());
  return out;
}

// How many -v the command line holds ("-vv" is two). Counted from the
// words themselves: the parser's value for a flag without tokens is empty,
// however many times it is given.
int verbosity(const std::vector<std::string>& args) {
  int n = 0;
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "--verbose") ++n;
    else if (a.size() >= 2 && a[0] == '-' && a.find_first_not_of('v', 1) == std::string::npos) n += int(a.size() - 1);
  }
  return n;
}

// "kinspect run: --fail-on takes ..." gains where a value from the
// configuration file stood, when the option it names came from there.
std::string with_config_origin(std::string message, const UserConfig& config,
                               const std::vector<ConfigDefault>& applied) {
  for (const auto& d : applied)
    if (message.find("--" + d.option) != std::string::npos)
      if (auto origin = config_origin(config, applied, d.option))
        return message + " (--" + d.option + " came from " + *origin + ")";
  return message;
}

}  // namespace

const char* help_overview() { return kOverview; }
const char* help_exit_codes() { return kExitCodes; }
const char* help_global_options() { return kGlobalOptions; }

void command_options(const Command& c, po::options_description& desc, po::positional_options_description& pos) {
  if (c.options) c.options(desc, pos);
  if (takes_user_config(c)) add_user_config_options(desc);
  add_global(desc);
}

int main(int argc, char** argv) {
  restore_environment_after_restart();
  // A plugin worker (see core/plugin/isolated.h) is this same executable.
  if (argc == 2 && std::string_view(argv[1]) == kWorkerCommand) return run_plugin_worker(kWorkerFd);
  std::vector<std::string> args = global_options_last(std::vector<std::string>(argv + 1, argv + argc));
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || (args[0] == "help" && args.size() == 1)) {
    print_overview();
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    std::cout << "kinspect " KINSPECT_VERSION "\n";
    return kExitOk;
  }
  // The man page, made at build time from these same help texts.
  if (args.size() == 1 && args[0] == kManCommand) {
    std::cout << man_page();
    return kExitOk;
  }
  bool help_cmd = args[0] == "help";
  if (help_cmd) args.erase(args.begin());
  size_t used = 0;
  const Command* cmd = match(args, used);
  if (!cmd) {
    // A group name alone ("plugins") lists its subcommands.
    bool group = false;
    for (const auto& c : commands())
      if (c.name.rfind(args[0] + " ", 0) == 0) {
        if (!group) std::cout << "Commands under '" << args[0] << "':\n";
        group = true;
        std::cout << "  kinspect " << c.name << "  " << c.summary << '\n';
      }
    if (group) return help_cmd ? kExitOk : kExitUsage;
    std::vector<std::string> names;
    for (const auto& c : commands()) names.push_back(c.name.substr(0, c.name.find(' ')));
    std::string hint = closest_match(args[0], names);
    std::cerr << "kinspect: unknown command '" << args[0] << "'"
              << (hint.empty() ? "" : " (did you mean '" + hint + "'?)") << "; see 'kinspect --help'\n";
    return kExitUsage;
  }
  if (help_cmd) {
    print_command_help(*cmd);
    return kExitOk;
  }
  // Commands that hold a cluster's tables start again with their heap on huge
  // pages (core/util/huge_pages.h), before any line is printed.
  if (holds_tables(*cmd)) restart_with_huge_pages(argv);
  std::vector<std::string> rest(args.begin() + static_cast<long>(used), args.end());
  po::options_description desc("Options");
  po::positional_options_description pos;
  command_options(*cmd, desc, pos);
  po::variables_map vm;
  UserConfig config;
  std::vector<ConfigDefault> from_config;
  try {
    po::store(po::command_line_parser(rest).options(desc).positional(pos).run(), vm);
    if (takes_user_config(*cmd)) {
      auto loaded = load_user_config(vm);
      if (!loaded) {
        std::cerr << "kinspect " << cmd->name << ": " << loaded.error().format() << '\n';
        return kExitUsage;
      }
      config = std::move(loaded.value());
      from_config = apply_user_config(config, desc, vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "kinspect " << cmd->name << ": " << e.what() << "; see 'kinspect " << cmd->name << " --help'\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    print_command_help(*cmd);
    return kExitOk;
  }
  if (vm.count("version")) {
    std::cout << "kinspect " KINSPECT_VERSION "\n";
    return kExitOk;
  }
  const std::string colour = vm["color"].as<std::string>();
  if (colour == "always") term::set_colour_mode(term::ColourMode::Always);
  else if (colour == "never") term::set_colour_mode(term::ColourMode::Never);
  else if (colour != "auto") {
    std::cerr << "kinspect: --color takes auto, always or never, not '" << colour << "'\n";
    return kExitUsage;
  }
  if (vm.count("quiet")) log::set_level(log::Level::Error);
  if (int v = verbosity(args); v > 0) log::set_level(v > 1 ? log::Level::Debug : log::Level::Info);
  log::export_level();
  if (heap_on_huge_pages()) log::debug("memory", "the heap asks for transparent huge pages (glibc.malloc.hugetlb=1)");
  try {
    return cmd->run(vm);
  } catch (const UsageError& e) {
    std::cerr << "kinspect " << cmd->name << ": " << with_config_origin(e.what(), config, from_config) << '\n';
    return kExitUsage;
  } catch (const po::error& e) {
    std::cerr << "kinspect " << cmd->name << ": " << with_config_origin(e.what(), config, from_config)
              << "; see 'kinspect " << cmd->name << " --help'\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "kinspect " << cmd->name << ": " << e.what() << '\n';
    return kExitIncomplete;
  }
}

}  // namespace kinspect::cli
