// The fleet renderers: the worst exit code wins, the JSON document carries
// each report as the one-cluster JSON and validates against
// docs/fleet-schema.json, the terminal and HTML forms show every cluster.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/report/fleet.h"
#include "tests/report/sample_report.h"
#include "tests/report/test_util.h"

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

// Two clusters: "prod-east" (the sample, with findings, exit 1) and
// "staging", which could not be read (every check skipped, exit 3).
Fleet sample_fleet() {
  Fleet f;
  f.kinspect_version = "0.1.0";
  f.generated_at = "2026-12-04T15:00:00Z";
  FleetMember prod{sample_report(), "prod-east", 1, "findings at or above --fail-on critical", ""};
  Report down;
  down.kinspect_version = "0.1.0";
  down.cluster.name = "staging";
  down.profile = "generic";
  for (const char* id : {"node-not-ready", "pod-crashloop"}) {
    CheckResult c;
    c.id = id;
    c.status = Status::Skipped;
    c.cause = "error";
    c.reason = "connection refused";
    down.checks.push_back(c);
  }
  FleetMember staging{down, "staging-ctx", 3, "nothing was checked: none of the 2 selected checks could run", ""};
  f.clusters = {prod, staging};
  return f;
}

TEST(ReportFleet, ExitCodeIsTheWorstClusters) {
  auto with = [](std::vector<int> codes) {
    Fleet f;
    for (int c : codes) f.clusters.push_back(FleetMember{Report{}, "", c, "", ""});
    return fleet_exit_code(f);
  };
  EXPECT_EQ(with({0, 0}), 0);
  EXPECT_EQ(with({0, 1, 0}), 1);
  EXPECT_EQ(with({1, 3, 0}), 3);
  EXPECT_EQ(with({3, 1}), 3);
  EXPECT_EQ(with({}), 3) << "a fleet of nothing checked nothing";
}

TEST(ReportFleet, JsonHoldsEachReportAndItsRow) {
  const Fleet f = sample_fleet();
  json::value doc = json::parse(render_fleet_json(f));
  EXPECT_EQ(doc.at("schema").as_string(), kFleetSchemaVersion);
  EXPECT_EQ(doc.at("summary").at("exit_code").as_int64(), 3);
  EXPECT_EQ(doc.at("summary").at("clusters").as_int64(), 2);
  const auto& members = doc.at("summary").at("members").as_array();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].at("name").as_string(), "prod-east");
  EXPECT_EQ(members[0].at("context").as_string(), "prod-east");
  EXPECT_EQ(members[0].at("passed").as_int64(), kPassed);
  EXPECT_EQ(members[0].at("failed").as_int64(), kFailed);
  EXPECT_EQ(members[0].at("exit_code").as_int64(), 1);
  EXPECT_EQ(members[1].at("context").as_string(), "staging-ctx");
  EXPECT_EQ(members[1].at("not_checked").as_int64(), 2);
  EXPECT_EQ(members[1].at("exit_code").as_int64(), 3);
  EXPECT_EQ(doc.at("summary").at("totals").at("passed").as_int64(), kPassed);
  // Each cluster's report is the one-cluster JSON: it reads back as it was.
  const auto& clusters = doc.at("clusters").as_array();
  ASSERT_EQ(clusters.size(), 2u);
  for (size_t i = 0; i < clusters.size(); ++i) {
    auto back = parse_report_json(json::serialize(clusters[i]), "fleet.json");
    ASSERT_TRUE(back.ok()) << back.error().format();
    EXPECT_EQ(render_json(*back), render_json(f.clusters[i].report));
  }
}

TEST(ReportFleet, TerminalShowsEveryReportThenTheTable) {
  std::string t = render_fleet_terminal(sample_fleet());
  size_t prod = t.find("Cluster prod-east"), staging = t.find("Cluster staging"), table = t.find("CLUSTER");
  ASSERT_NE(prod, std::string::npos);
  ASSERT_NE(staging, std::string::npos);
  ASSERT_NE(table, std::string::npos);
  EXPECT_LT(prod, staging);
  EXPECT_LT(staging, table);
  EXPECT_NE(t.find("exit 1: findings at or above --fail-on critical"), std::string::npos) << "each report keeps its verdict";
  EXPECT_NE(t.find("2 clusters, exit 3 (incomplete: staging)"), std::string::npos) << t.substr(table);
  // The row of prod-east: version, profile and its counts, lined up.
  std::string row = t.substr(t.find("\n  prod-east", table) + 1);
  row = row.substr(0, row.find('\n'));
  std::vector<std::string> cells;
  for (size_t at = 0; (at = row.find_first_not_of(' ', at)) != std::string::npos;) {
    size_t end = row.find("  ", at);
    cells.push_back(row.substr(at, end - at));
    at = end;
  }
  ASSERT_EQ(cells.size(), 9u) << row;
  EXPECT_EQ(cells[1], "v1.29.4");
  EXPECT_EQ(cells[3], std::to_string(kPassed));
  EXPECT_EQ(cells[4], std::to_string(kFailed));
  EXPECT_EQ(cells[8], "1");
}

TEST(ReportFleet, NotInspectedClusterSaysWhy) {
  Fleet f = sample_fleet();
  f.clusters[1].report.checks.clear();
  f.clusters[1].error = "no profile matches version v1.9";
  EXPECT_NE(render_fleet_terminal(f).find("staging: not inspected: no profile matches version v1.9"), std::string::npos);
  json::value doc = json::parse(render_fleet_json(f));
  EXPECT_EQ(doc.at("summary").at("members").at(1).at("error").as_string(), "no profile matches version v1.9");
  EXPECT_NE(render_fleet_html(f).find("not inspected: no profile matches version v1.9"), std::string::npos);
}

TEST(ReportFleet, HtmlFramesEachReportBelowTheTable) {
  const Fleet f = sample_fleet();
  std::string h = render_fleet_html(f);
  size_t table = h.find("id=\"fleet-table\"");
  ASSERT_NE(table, std::string::npos);
  EXPECT_NE(h.find("<a href=\"#cluster-2\">staging</a>"), std::string::npos);
  EXPECT_EQ(h.find("<script>alert(1)"), std::string::npos) << "cluster data must be escaped, frames included";
  size_t frames = 0;
  for (size_t at = 0; (at = h.find("<iframe ", at)) != std::string::npos; ++at) ++frames;
  EXPECT_EQ(frames, 2u);
  // The frame holds the whole report page, escaped into the attribute.
  std::string page = render_html(f.clusters[0].report);
  std::string start = page.substr(0, 40);
  std::string escaped;
  for (char c : start) escaped += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : std::string(1, c);
  EXPECT_NE(h.find("srcdoc=\"" + escaped), std::string::npos) << escaped;
}

const std::string kReportSchema = std::string(KINSPECT_SOURCE_DIR) + "/docs/report-schema.json";
const std::string kFleetSchema = std::string(KINSPECT_SOURCE_DIR) + "/docs/fleet-schema.json";

// python3-jsonschema with the report schema registered, so the fleet
// schema's $ref to it resolves (through `referencing` from jsonschema 4.18,
// RefResolver before: Debian 12 has 4.10); "" when valid.
std::string validate_fleet(const std::string& file, int* exit_code) {
  const char* script =
      "import json, sys, jsonschema\n"
      "report = json.load(open(sys.argv[1])); fleet = json.load(open(sys.argv[2]))\n"
      "jsonschema.Draft202012Validator.check_schema(fleet)\n"
      "try:\n"
      "  from referencing import Registry, Resource\n"
      "  v = jsonschema.Draft202012Validator(fleet, registry=Registry().with_resource(report['$id'], Resource.from_contents(report)))\n"
      "except ImportError:\n"
      "  v = jsonschema.Draft202012Validator(fleet, resolver=jsonschema.RefResolver.from_schema(fleet, store={report['$id']: report}))\n"
      "doc = json.load(open(sys.argv[3]))\n"
      "errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))\n"
      "for e in errs: print('/'.join(str(p) for p in e.path) + ': ' + e.message)\n"
      "sys.exit(1 if errs else 0)\n";
  auto r = run_command(std::string(kPython) + " -c " + sh_quote(script) + " " + sh_quote(kReportSchema) + " " +
                       sh_quote(kFleetSchema) + " " + sh_quote(file));
  *exit_code = r.exit_code;
  return r.out + r.err;
}

TEST(ReportFleet, JsonValidatesAgainstPublishedSchema) {
  if (!python_has("jsonschema"))
    GTEST_SKIP() << "python3-jsonschema is not installed (apt-get install python3-jsonschema)";
  Fleet empty;
  int n = 0;
  for (const Fleet& f : {sample_fleet(), empty}) {
    std::string file = out_dir() + "/fleet-" + std::to_string(n++) + ".json";
    write_file(file, render_fleet_json(f));
    int rc = -1;
    std::string out = validate_fleet(file, &rc);
    EXPECT_EQ(rc, 0) << file << ":\n" << out;
  }
  // And the schema refuses what is wrong, down into a cluster's report.
  const std::string good = render_fleet_json(sample_fleet());
  struct Case {
    std::string from, to, expect;
  } cases[] = {
      {"\"exit_code\": 3,", "\"exit_code\": 2,", "summary/exit_code"},
      {"\"schema\": \"kinspect.fleet/v1\"", "\"schema\": \"kinspect.fleet/v2\"", "schema"},
      {"\"status\": \"fail\"", "\"status\": \"broken\"", "clusters/0/checks/0/status"},
      {"\"context\": \"staging-ctx\"", "\"context\": 7", "summary/members/1/context"},
  };
  for (const auto& c : cases) {
    std::string text = good;
    size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    std::string file = out_dir() + "/fleet-bad-" + std::to_string(n++) + ".json";
    write_file(file, text);
    int rc = -1;
    std::string out = validate_fleet(file, &rc);
    EXPECT_EQ(rc, 1) << c.expect << ":\n" << out;
    EXPECT_NE(out.find(c.expect), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace kinspect::report
