// kinspect query
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <iostream>

#include "core/cli/cli.h"
#include "core/kcql/kcql.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace json = boost::json;

namespace {

// A cell for people: strings as they are, everything else as JSON.
std::string cell(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

int query(const po::variables_map& vm) {
  if (!vm.count("kcql")) {
    std::cerr << "kinspect query: give a query, e.g. kinspect query \"SELECT metadata.name FROM k8s.nodes\"\n";
    return kExitUsage;
  }
  const std::string format = vm["format"].as<std::string>();
  if (format != "table" && format != "json" && format != "csv") {
    std::cerr << "kinspect query: --format takes table, json or csv, not '" << format << "'\n";
    return kExitUsage;
  }
  const std::string text = vm["kcql"].as<std::string>();
  auto q = kcql::parse_query(text, "<query>");
  if (!q) {
    std::cerr << q.error().format() << '\n';
    return kExitUsage;
  }
  auto reg = load_plugins(vm, false, nullptr, !vm.count("no-isolation"));
  kcql::Params params;
  for (auto& [name, value] : parse_assignments(vm, "param")) params.emplace(name, std::move(value));
  auto plan = kcql::bind_query(*q, *reg, params);
  if (!plan) {
    std::cerr << plan.error().format() << '\n';
    return kExitUsage;
  }
  kcql::ExecOptions opts;
  opts.time_budget = std::chrono::milliseconds(static_cast<int64_t>(vm["timeout"].as<double>() * 1000));
  opts.params = params;
  opts.output_budget = static_cast<uint64_t>(std::max(0.0, vm["max-output"].as<double>()) * (1 << 20));
  auto rs = kcql::execute(*plan, *reg, opts);
  if (!rs) {
    std::cerr << "kinspect query: " << rs.error().format() << '\n';
    return kExitIncomplete;
  }
  if (format == "json") {
    json::array out;
    for (const auto& row : rs->rows) {
      json::object o;
      for (size_t i = 0; i < rs->columns.size() && i < row.size(); ++i) o[rs->columns[i]] = row[i];
      out.emplace_back(std::move(o));
    }
    std::cout << json::serialize(out) << '\n';
  } else if (format == "csv") {
    for (size_t i = 0; i < rs->columns.size(); ++i) std::cout << (i ? "," : "") << csv_field(rs->columns[i]);
    std::cout << "\r\n";
    for (const auto& row : rs->rows) {
      for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? "," : "") << csv_field(cell(row[i]));
      std::cout << "\r\n";
    }
  } else {
    TextTable t(rs->columns);
    for (const auto& row : rs->rows) {
      std::vector<std::string> cells;
      for (const auto& v : row) cells.push_back(term::printable(cell(v)));  // cluster text: no terminal controls
      t.add(std::move(cells));
    }
    std::cout << t.render(term::stdout_colour());
    if (term::stdout_colour() || vm.count("count"))
      std::cout << "(" << rs->rows.size() << (rs->rows.size() == 1 ? " row)\n" : " rows)\n");
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> query_commands() {
  Command c;
  c.name = "query";
  c.summary = "Ask an ad-hoc KCQL question of the cluster's tables";
  c.details =
      "Runs one KCQL SELECT over the same tables checks read (see docs/kcql.md and\n"
      "'kinspect tables'). Table output for people, JSON or CSV for scripts.";
  c.examples =
      "  kinspect query \"SELECT metadata.name, status.nodeInfo.kubeletVersion FROM k8s.nodes\" --snapshot examples/cluster\n"
      "  kinspect query \"SELECT metadata.namespace AS ns, count(*) AS pods FROM k8s.pods GROUP BY ns ORDER BY pods DESC\"\n"
      "  kinspect query \"SELECT * FROM k8s.version\" --format json";
  c.options = [](po::options_description& d, po::positional_options_description& pos) {
    add_source_options(d);
    d.add_options()("kcql", po::value<std::string>(), "the query")(
        "format,o", po::value<std::string>()->default_value("table"), "table, json or csv")(
        "param", po::value<std::vector<std::string>>()->composing(), "a parameter NAME=VALUE for param.NAME (repeatable)")(
        "timeout", po::value<double>()->default_value(60), "seconds before the query is stopped")(
        "max-output", po::value<double>()->default_value(64),
        "MiB of results (as JSON) before the query is stopped with an error")(
        "count", "print the row count after the table")(
        "no-isolation", "load plugins into this process instead of worker processes");
    pos.add("kcql", 1);
  };
  c.run = query;
  return {c};
}

}  // namespace kinspect::cli
