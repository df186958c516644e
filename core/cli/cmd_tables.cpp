// kinspect tables [NAME]
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/program_options.hpp>

#include <iostream>

#include "core/cli/cli.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace json = boost::json;

static json::object table_json(const TableSchema& t) {
  json::object o;
  o["name"] = t.name;
  o["plugin"] = t.plugin;
  o["doc"] = t.doc;
  json::array cols, args, ex;
  for (const auto& c : t.columns)
    cols.emplace_back(json::object{{"name", c.name}, {"type", to_string(c.type)}, {"doc", c.doc}, {"hidden", c.hidden}});
  for (const auto& a : t.arguments)
    args.emplace_back(json::object{{"name", a.name}, {"type", to_string(a.type)}, {"doc", a.doc}, {"required", a.required}});
  for (const auto& e : t.examples) ex.emplace_back(e);
  o["columns"] = std::move(cols);
  o["arguments"] = std::move(args);
  o["examples"] = std::move(ex);
  return o;
}

static void print_table(const TableSchema& t, bool colour) {
  std::string sig = t.name;
  if (!t.arguments.empty()) {
    sig += '(';
    for (size_t i = 0; i < t.arguments.size(); ++i) {
      if (i) sig += ", ";
      sig += t.arguments[i].name + " " + std::string(to_string(t.arguments[i].type));
      if (!t.arguments[i].required) sig += "?";
    }
    sig += ')';
  }
  std::cout << (colour ? term::kBold : "") << sig << (colour ? term::kReset : "") << "  (plugin " << t.plugin << ")\n";
  if (!t.doc.empty()) std::cout << "  " << t.doc << "\n";
  std::cout << '\n';
  TextTable cols({"COLUMN", "TYPE", "DESCRIPTION"});
  for (const auto& c : t.columns) cols.add({c.name + (c.hidden ? " (hidden)" : ""), std::string(to_string(c.type)), c.doc});
  std::cout << cols.render(colour);
  if (!t.arguments.empty()) {
    std::cout << '\n';
    TextTable args({"ARGUMENT", "TYPE", "DESCRIPTION"});
    for (const auto& a : t.arguments)
      args.add({a.name + (a.required ? "" : " (optional)"), std::string(to_string(a.type)), a.doc});
    std::cout << args.render(colour);
  }
  if (!t.examples.empty()) {
    std::cout << "\nExamples:\n";
    for (const auto& e : t.examples) std::cout << "  kinspect query \"" << e << "\"\n";
  }
}

static int tables(const po::variables_map& vm) {
  // Listing what is there goes on past a plugin that does not load (the
  // problem is printed); only commands that inspect refuse to.
  std::vector<LoadProblem> problems;
  auto reg = load_plugins(vm, vm.count("discover") > 0, &problems);
  const bool as_json = vm["format"].as<std::string>() == "json";
  const bool colour = term::stdout_colour();
  if (vm.count("name")) {
    const std::string name = vm["name"].as<std::string>();
    const TableSchema* t = reg->find(name);
    if (!t) {
      std::string hint = closest_match(name, reg->names());
      std::cerr << "kinspect tables: no table '" << name << "'" << (hint.empty() ? "" : " (did you mean '" + hint + "'?)")
                << "; 'kinspect tables' lists them\n";
      return kExitUsage;
    }
    if (as_json) std::cout << json::serialize(table_json(*t)) << '\n';
    else print_table(*t, colour);
    return kExitOk;
  }
  if (as_json) {
    json::array all;
    for (const auto& n : reg->names()) all.emplace_back(table_json(*reg->find(n)));
    std::cout << json::serialize(all) << '\n';
    return kExitOk;
  }
  if (vm.count("all")) {
    bool first = true;
    for (const auto& n : reg->names()) {
      if (!first) std::cout << '\n';
      first = false;
      print_table(*reg->find(n), colour);
    }
    return kExitOk;
  }
  TextTable t({"TABLE", "PLUGIN", "DESCRIPTION"});
  for (const auto& n : reg->names()) {
    const TableSchema* s = reg->find(n);
    std::string name = n;
    if (!s->arguments.empty()) name += "(...)";
    std::string doc = s->doc.substr(0, s->doc.find('\n'));
    t.add({name, s->plugin, doc});
  }
  std::cout << t.render(colour);
  return kExitOk;
}

std::vector<Command> table_commands() {
  Command c;
  c.name = "tables";
  c.summary = "List the tables plugins declare, or show one table's columns and docs";
  c.details =
      "Without NAME, lists every table. With NAME, shows its columns with types and docs,\n"
      "its arguments if it is a table function, and example queries (like osquery's .schema).\n"
      "Columns of type json hold documents: KCQL reads into them with paths such as\n"
      "metadata.labels['app'] or status.conditions[type = 'Ready'].status.";
  c.examples =
      "  kinspect tables\n"
      "  kinspect tables k8s.nodes\n"
      "  kinspect tables --all --format json > schema.json\n"
      "  kinspect tables --discover --kubeconfig ~/.kube/config   # CRDs of a live cluster too";
  c.options = [](po::options_description& d, po::positional_options_description& pos) {
    add_source_options(d);
    d.add_options()("name", po::value<std::string>(), "table to show")(
        "format,o", po::value<std::string>()->default_value("text"), "text or json")(
        "all", "show every table's columns")("discover", "let drivers contact their sources to find more tables");
    pos.add("name", 1);
  };
  c.run = tables;
  return {c};
}

}  // namespace kinspect::cli
