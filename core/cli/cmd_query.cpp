// kinspect query
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <chrono>
#include <iostream>
#include <sstream>

#include "core/cli/cli.h"
#include "core/kcql/kcql.h"
#include "core/util/terminal.h"

namespace kinspect::cli {

namespace json = boost::json;

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

// The registry's tables, read under the query's --timeout: a slow server or
// a huge file ends at the same bound as a slow evaluation.
class TimedTables final : public TableProvider {
 public:
  TimedTables(PluginRegistry& registry, std::chrono::steady_clock::time_point started, double seconds)
      : registry_(registry), seconds_(seconds) {
    token_.deadline = started + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) override {
    auto data = registry_.fetch(spec, &token_);
    if (!data && token_.should_stop()) {
      std::ostringstream why;
      why << "the query did not finish within --timeout " << seconds_ << "s (it was reading table " << spec.table
          << ")";
      return Error(why.str());
    }
    return data;
  }
  std::chrono::milliseconds left() const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(token_.deadline - std::chrono::steady_clock::now());
    return std::max(ms, std::chrono::milliseconds(1));
  }

 private:
  PluginRegistry& registry_;
  double seconds_;
  CancelToken token_;
};

int query(const po::variables_map& vm) {
  const auto started = std::chrono::steady_clock::now();  // --timeout counts from here
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
  const double timeout = vm["timeout"].as<double>();
  if (timeout <= 0) {
    std::cerr << "kinspect query: --timeout takes a number of seconds above 0, not " << timeout << '\n';
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
  TimedTables tables(*reg, started, timeout);
  kcql::ExecOptions opts;
  opts.time_budget = tables.left();
  opts.params = params;
  opts.output_budget = static_cast<uint64_t>(std::max(0.0, vm["max-output"].as<double>()) * (1 << 20));
  auto rs = kcql::execute(*plan, tables, opts);
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
      for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? "," : "") << csv_field(json_cell(row[i]));
      std::cout << "\r\n";
    }
  } else {
    TextTable t(rs->columns);
    for (const auto& row : rs->rows) {
      std::vector<std::string> cells;
      for (const auto& v : row) cells.push_back(term::printable(json_cell(v)));  // cluster text: no terminal controls
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
    add_scope_options(d);
    d.add_options()("kcql", po::value<std::string>(), "the query")(
        "format,o", po::value<std::string>()->default_value("table"), "table, json or csv")(
        "param", po::value<std::vector<std::string>>()->composing(), "a parameter NAME=VALUE for param.NAME (repeatable)")(
        "timeout", po::value<double>()->default_value(60),
        "seconds before the query is stopped, reading its tables included")(
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
