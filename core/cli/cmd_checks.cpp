// kinspect checks list | lint | explain
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <iostream>
#include <map>

#include "core/cli/cli.h"
#include "core/kcql/check.h"
#include "core/kcql/kube_schema.h"
#include "core/run/runner.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace json = boost::json;

namespace {

// Loads checks from every path; prints every problem; false if any.
bool load_all(const std::vector<std::string>& paths, std::vector<kcql::CheckDef>& out) {
  bool ok = true;
  for (const auto& p : paths) {
    auto loaded = kcql::load_checks(p);
    if (!loaded) {
      std::cerr << loaded.error().format() << '\n';
      ok = false;
      continue;
    }
    for (auto& c : loaded.value()) out.push_back(std::move(c));
  }
  return ok;
}

int list_checks(const po::variables_map& vm) {
  std::vector<kcql::CheckDef> checks;
  if (!load_all(check_paths(vm), checks)) return kExitUsage;
  if (vm["format"].as<std::string>() == "json") {
    json::array out;
    for (const auto& c : checks) {
      json::array tags(c.tags.begin(), c.tags.end());
      json::object params;
      for (const auto& p : c.params) params[p.name] = p.default_value;
      out.emplace_back(json::object{{"id", c.id}, {"title", c.title}, {"category", c.category},
                                    {"severity", c.severity}, {"component", c.component}, {"tags", std::move(tags)},
                                    {"params", std::move(params)}, {"doc", c.doc_url},
                                    {"source", c.file + ":" + std::to_string(c.pos.line)}});
    }
    std::cout << json::serialize(out) << '\n';
    return kExitOk;
  }
  TextTable t({"ID", "SEVERITY", "CATEGORY", "TITLE"});
  for (const auto& c : checks) t.add({c.id, c.severity, c.category, c.title});
  std::cout << t.render(term::stdout_colour());
  std::cout << "(" << checks.size() << " checks)\n";
  return kExitOk;
}

int lint(const po::variables_map& vm) {
  std::vector<std::string> paths = vm.count("paths") ? vm["paths"].as<std::vector<std::string>>() : default_check_paths();
  std::vector<LoadProblem> load_problems;  // printed; linting goes on without that plugin
  auto reg = load_plugins(vm, false, &load_problems);
  size_t problems = 0, files = 0;
  std::vector<Diagnostic> warnings;
  for (const auto& p : paths) {
    auto diags = kcql::lint_path(p, *reg, &warnings);
    ++files;
    for (const auto& d : diags) std::cerr << d.format() << '\n';
    problems += diags.size();
  }
  // Without the Kubernetes schema a misspelt field is not caught: say so.
  if (std::string why; !kcql::default_kube_schema(&why))
    warnings.push_back(Diagnostic{"kinspect", {}, why, "set KINSPECT_KUBERNETES_SCHEMA to the file", {}, {}});
  // Warnings do not fail the lint unless --strict: the check binds and
  // runs, but may be slow on a large cluster or not mean what it says.
  for (const auto& w : warnings) std::cerr << kcql::format_warning(w) << '\n';
  if (vm.count("strict")) problems += warnings.size();
  if (problems) {
    std::cerr << problems << (problems == 1 ? " problem" : " problems") << " found\n";
    return kExitFindings;
  }
  std::cout << "ok: every check parses and binds against the loaded tables";
  if (!warnings.empty()) std::cout << " (" << warnings.size() << (warnings.size() == 1 ? " warning" : " warnings") << ")";
  std::cout << '\n';
  return kExitOk;
}

// A run fetches each table once for every check that reads it, so it pushes
// only what they all agree on (ScanSpec::merge): this shows what a run of
// every check would push for the tables of `bound`.
void explain_run_push(const kcql::BoundCheck& bound, const std::vector<kcql::CheckDef>& checks, const Catalog& catalog) {
  std::map<std::string, ScanSpec> fetch;
  std::map<std::string, size_t> readers;
  for (const auto& s : bound.plan.scans()) fetch.emplace(s.key(), s);
  for (const auto& c : checks) {
    auto other = kcql::bind_check(c, catalog);
    if (!other) continue;  // cannot run without its plugin: reads nothing
    for (const auto& s : other->plan.scans())
      if (auto it = fetch.find(s.key()); it != fetch.end()) {
        ++readers[s.key()];
        it->second.merge(s);
      }
  }
  std::cout << "\nin a run of every check (each table fetched once for all its readers):\n";
  for (const auto& [key, s] : fetch) {
    std::string pushed;
    for (const auto& c : s.constraints) pushed += (pushed.empty() ? "" : " AND ") + c.text();
    std::cout << "  " << key << ": read by " << readers[key] << " check(s); pushed to the source: "
              << (pushed.empty() ? "nothing" : pushed) << '\n';
  }
}

// What a reader needs before the plan: what the check finds, how bad it is,
// how to fix it and where to read more.
void print_check_card(const kcql::CheckDef& c) {
  std::cout << "check " << c.id << "  (" << c.file << ":" << c.pos.line << ")\n" << c.title << "\n\n";
  auto row = [](std::string_view label, const std::string& value) {
    if (value.empty()) return;
    std::string l(label);
    l.resize(12, ' ');
    std::cout << l << value << '\n';
  };
  row("severity", c.severity);
  row("category", c.category + (c.component.empty() ? "" : " / " + c.component));
  row("description", c.description);
  row("remedy", c.remedy);
  row("docs", c.doc_url);
  std::string params;
  for (const auto& p : c.params) params += (params.empty() ? "" : ", ") + p.name + " = " + json::serialize(p.default_value);
  row("parameters", params);
  std::cout << "\nplan:\n";
}

int explain(const po::variables_map& vm) {
  if (!vm.count("id")) {
    std::cerr << "kinspect checks explain: give a check id; 'kinspect checks list' shows them\n";
    return kExitUsage;
  }
  const std::string id = vm["id"].as<std::string>();
  std::vector<kcql::CheckDef> checks;
  if (!load_all(check_paths(vm), checks)) return kExitUsage;
  std::vector<std::string> ids;
  for (const auto& c : checks) {
    ids.push_back(c.id);
    if (c.id != id) continue;
    std::vector<LoadProblem> problems;  // printed; linting goes on without that plugin
    auto reg = load_plugins(vm, false, &problems);
    auto bound = kcql::bind_check(c, *reg);
    print_check_card(c);
    if (!bound) {
      std::cerr << bound.error().format() << '\n';
      return kExitUsage;
    }
    std::cout << bound->plan.explain() << '\n';
    explain_run_push(*bound, checks, *reg);
    return kExitOk;
  }
  std::string hint = closest_match(id, ids);
  std::cerr << "kinspect checks explain: no check '" << id << "'" << (hint.empty() ? "" : " (did you mean '" + hint + "'?)")
            << '\n';
  return kExitUsage;
}

}  // namespace

std::vector<Command> check_commands() {
  Command l;
  l.name = "checks list";
  l.summary = "List the checks: id, severity, category, title";
  l.examples = "  kinspect checks list\n  kinspect checks list --checks ./my-checks --format json";
  l.options = [](po::options_description& d, po::positional_options_description&) {
    add_check_options(d);
    d.add_options()("format,o", po::value<std::string>()->default_value("table"), "table or json");
  };
  l.run = list_checks;

  Command n;
  n.name = "checks lint";
  n.summary = "Parse and bind every check; report every error at once (exit 1 if any)";
  n.details =
      "Each problem is printed as file:line:col with the source line and a caret, and a\n"
      "\"did you mean\" where a name is close to a known table, column, function or parameter.\n"
      "A path into a Kubernetes object (k8s.pods p: p.metadata.lables) must name fields its kind\n"
      "has (schemas/kubernetes.json): another is an error, with the closest field as a hint.\n"
      "Warnings, which do not change the exit status unless --strict:\n"
      "  - a join that tries every row of one table against every row of another (no equality\n"
      "    to hash on): its cost is the product of the tables' sizes;\n"
      "  - a comparison with NULL (x = NULL is never true: write x IS NULL);\n"
      "  - x IN (array) or x NOT IN (array), which compares x with the whole array (never\n"
      "    true, or always true): write contains(array, x).";
  n.examples = "  kinspect checks lint\n  kinspect checks lint ./my-checks/ --plugin-dir ./build/plugins\n"
               "  kinspect checks lint --strict ./my-checks/    # warnings fail the lint too (CI)";
  n.options = [](po::options_description& d, po::positional_options_description& pos) {
    add_source_options(d);
    d.add_options()("paths", po::value<std::vector<std::string>>()->composing(), "check files or folders");
    d.add_options()("strict", "count warnings as problems: exit 1 if there is any");
    pos.add("paths", -1);
  };
  n.run = lint;

  Command e;
  e.name = "checks explain";
  e.summary = "Show a check: severity, description, remedy and docs, then how it runs (tables, filters, joins)";
  e.details =
      "'pushed to the source' lists the filters the check's query passes to the plugin (the\n"
      "API-server driver then LISTs one namespace or sends a field or label selector). A run\n"
      "fetches each table once for every check that reads it, so it pushes only what they all\n"
      "agree on: the last lines show what a run of every check would push for this one's tables.";
  e.examples = "  kinspect checks explain node-not-ready";
  e.options = [](po::options_description& d, po::positional_options_description& pos) {
    add_source_options(d);
    add_check_options(d);
    d.add_options()("id", po::value<std::string>(), "check id");
    pos.add("id", 1);
  };
  e.run = explain;
  return {l, n, e};
}

}  // namespace kinspect::cli
