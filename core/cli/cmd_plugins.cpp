// kinspect plugins list
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/program_options.hpp>

#include <iostream>

#include "core/cli/cli.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace json = boost::json;

static json::array settings_json(const std::vector<SettingSchema>& settings) {
  json::array out;
  for (const auto& s : settings)
    out.emplace_back(json::object{{"name", s.name}, {"type", std::string(to_string(s.type))}, {"default", s.default_json},
                                  {"doc", s.doc}});
  return out;
}

// What `--set PLUGIN.KEY=VALUE` accepts, plugin by plugin.
static void print_settings(const PluginRegistry& reg) {
  TextTable t({"SETTING", "TYPE", "DEFAULT", "MEANING"});
  size_t rows = 0;
  for (const auto& p : reg.plugins()) {
    if (!p->description().declares_settings) {
      t.add({std::string(p->name()) + ".*", "-", "-", "not declared (ABI 1.0 plugin): passed unchecked"});
      ++rows;
      continue;
    }
    for (const auto& s : p->description().settings) {
      t.add({std::string(p->name()) + "." + s.name, std::string(to_string(s.type)), s.default_json, s.doc});
      ++rows;
    }
  }
  if (rows) std::cout << "\nSettings (--set PLUGIN.KEY=VALUE):\n" << t.render(term::stdout_colour());
}

static int plugins_list(const po::variables_map& vm) {
  std::vector<LoadProblem> problems;
  auto reg = load_plugins(vm, false, &problems);
  const std::string format = vm["format"].as<std::string>();
  if (format == "json") {
    json::object root;
    json::array plugins;
    for (const auto& p : reg->plugins()) {
      json::object o;
      o["name"] = p->name();
      o["version"] = p->version();
      o["abi"] = std::to_string(p->abi_major()) + "." + std::to_string(p->abi_minor());
      o["kind"] = kinds_to_string(p->kinds());
      o["description"] = p->description_text();
      o["path"] = p->path();
      json::array tables, checks;
      for (const auto& t : p->description().tables) tables.emplace_back(t.name);
      for (const auto& c : p->description().checks) checks.emplace_back(c.id);
      o["tables"] = std::move(tables);
      o["checks"] = std::move(checks);
      if (p->description().declares_settings) o["settings"] = settings_json(p->description().settings);
      else o["settings"] = nullptr;  // an ABI 1.0 plugin: settings not declared, passed unchecked
      plugins.emplace_back(std::move(o));
    }
    json::array probs;
    for (const auto& p : problems) probs.emplace_back(json::object{{"path", p.path}, {"reason", p.reason}});
    root["plugins"] = std::move(plugins);
    root["problems"] = std::move(probs);
    std::cout << json::serialize(root) << '\n';
  } else if (format == "table") {
    TextTable t({"NAME", "VERSION", "ABI", "KIND", "TABLES", "PATH"});
    for (const auto& p : reg->plugins()) {
      // A long list would make the table unreadable; `kinspect tables` has them all.
      std::string tables;
      const auto& all = p->description().tables;
      for (size_t i = 0; i < all.size() && i < 4; ++i) tables += (tables.empty() ? "" : ",") + all[i].name;
      if (all.size() > 4) tables += ",+" + std::to_string(all.size() - 4) + " more";
      if (!p->description().checks.empty())
        tables += (tables.empty() ? "" : " ") + std::string("+") + std::to_string(p->description().checks.size()) + " checks";
      t.add({std::string(p->name()), std::string(p->version()),
             std::to_string(p->abi_major()) + "." + std::to_string(p->abi_minor()), kinds_to_string(p->kinds()),
             tables.empty() ? "-" : tables, p->path()});
    }
    std::cout << t.render(term::stdout_colour());
    if (reg->plugins().empty()) std::cout << "(no plugins found; pass --plugin-dir or set KINSPECT_PLUGIN_PATH)\n";
    print_settings(*reg);
  } else {
    std::cerr << "kinspect plugins list: --format takes table or json, not '" << format << "'\n";
    return kExitUsage;
  }
  // Listing succeeded even if some plugin did not load; --strict makes that
  // an error for CI jobs that must have every plugin.
  return vm.count("strict") && !problems.empty() ? kExitIncomplete : kExitOk;
}

std::vector<Command> plugin_commands() {
  Command list;
  list.name = "plugins list";
  list.summary = "List the plugins kinspect loads: name, version, ABI, kind and tables";
  list.details =
      "Searches the plugin folders, loads every *.so that is a kinspect plugin, and lists\n"
      "each with the ABI version it was built against, the tables it declares and the\n"
      "settings it accepts (--set PLUGIN.KEY=VALUE; a key not listed is refused).\n"
      "A file that cannot be loaded (not a plugin, wrong ABI major, failing init,\n"
      "a table another plugin already declares) is reported on stderr with the reason;\n"
      "the others still load.";
  list.examples =
      "  kinspect plugins list\n"
      "  kinspect plugins list --plugin-dir ./my-plugins --format json\n"
      "  KINSPECT_PLUGIN_PATH=./my-plugins kinspect plugins list --strict";
  list.options = [](po::options_description& d, po::positional_options_description&) {
    add_source_options(d);
    d.add_options()("format,o", po::value<std::string>()->default_value("table"), "table or json")(
        "strict", "exit 3 if any plugin failed to load");
  };
  list.run = plugins_list;
  return {list};
}

}  // namespace kinspect::cli
