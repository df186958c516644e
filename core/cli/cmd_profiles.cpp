// kinspect profiles list | show
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <iostream>

#include "core/cli/cli.h"
#include "core/profile/profile.h"
#include "core/run/runner.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

Expected<ProfileSet> load(const po::variables_map& vm) {
  return ProfileSet::load(vm.count("profiles") ? vm["profiles"].as<std::vector<std::string>>() : default_profile_paths());
}

int list_profiles(const po::variables_map& vm) {
  auto set = load(vm);
  if (!set) {
    std::cerr << set.error().format() << '\n';
    return kExitUsage;
  }
  TextTable t({"NAME", "SCENARIOS", "TYPES", "VERSIONS", "EXTENDS", "DESCRIPTION"});
  for (const auto& p : set->profiles()) {
    if (p->abstract && !vm.count("all")) continue;
    t.add({p->name, p->scenarios.empty() ? "any" : join(p->scenarios), p->types.empty() ? "any" : join(p->types),
           p->versions.any() ? "any" : p->versions.text(), p->extends.empty() ? "-" : p->extends, p->description});
  }
  std::cout << t.render(term::stdout_colour());
  return kExitOk;
}

int show(const po::variables_map& vm) {
  auto set = load(vm);
  if (!set) {
    std::cerr << set.error().format() << '\n';
    return kExitUsage;
  }
  if (!vm.count("name")) {
    std::cerr << "kinspect profiles show: give a profile name; 'kinspect profiles list' shows them\n";
    return kExitUsage;
  }
  const std::string name = vm["name"].as<std::string>();
  const Profile* p = set->find(name);
  if (!p) {
    std::vector<std::string> names;
    for (const auto& x : set->profiles()) names.push_back(x->name);
    std::string hint = closest_match(name, names);
    std::cerr << "kinspect profiles show: no profile '" << name << "'" << (hint.empty() ? "" : " (did you mean '" + hint + "'?)")
              << '\n';
    return kExitUsage;
  }
  std::cout << "name:        " << p->name << (p->abstract ? "  (abstract: only a base for others)" : "") << '\n'
            << "file:        " << p->file << '\n'
            << "description: " << p->description << '\n'
            << "extends:     " << (p->extends.empty() ? "-" : p->extends) << '\n'
            << "matches:     scenarios " << (p->scenarios.empty() ? "any" : join(p->scenarios)) << "; types "
            << (p->types.empty() ? "any" : join(p->types)) << "; versions " << (p->versions.any() ? "any" : p->versions.text())
            << '\n'
            << "plugins:     " << (p->plugins.empty() ? "all" : join(p->plugins)) << '\n'
            << "include:     " << (p->include.empty() ? "all" : join(p->include, " ")) << '\n'
            << "exclude:     " << (p->exclude.empty() ? "-" : join(p->exclude, " ")) << '\n'
            << "timeouts:    check " << p->check_timeout_seconds << "s, table " << p->driver_timeout_seconds << "s\n";
  if (!p->params.empty()) {
    std::cout << "params:\n";
    for (const auto& [k, v] : p->params) std::cout << "  " << k << " = " << boost::json::serialize(v) << '\n';
  }
  if (!p->severity.empty()) {
    std::cout << "severity:\n";
    for (const auto& [k, v] : p->severity) std::cout << "  " << k << " -> " << v << '\n';
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> profile_commands() {
  Command l;
  l.name = "profiles list";
  l.summary = "List the profiles and what clusters and scenarios they match";
  l.examples = "  kinspect profiles list\n  kinspect profiles list --all --profiles ./my-profiles";
  l.options = [](po::options_description& d, po::positional_options_description&) {
    d.add_options()("profiles", po::value<std::vector<std::string>>()->composing(), "profile files or folders")(
        "all", "include abstract base profiles");
  };
  l.run = list_profiles;
  Command s;
  s.name = "profiles show";
  s.summary = "Show one profile as resolved (after extends): match, checks, parameters, severities";
  s.examples = "  kinspect profiles show self-hosted-pre-upgrade";
  s.options = [](po::options_description& d, po::positional_options_description& pos) {
    d.add_options()("name", po::value<std::string>(), "profile name")(
        "profiles", po::value<std::vector<std::string>>()->composing(), "profile files or folders");
    pos.add("name", 1);
  };
  s.run = show;
  return {l, s};
}

}  // namespace kinspect::cli
