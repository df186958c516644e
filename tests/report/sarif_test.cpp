// SARIF: valid against the official SARIF 2.1.0 schema (tests/data/sarif/),
// rules are the checks, results the findings, and checks that could not run
// are notifications of an unsuccessful invocation.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/report/baseline.h"
#include "core/report/render.h"
#include "tests/report/sample_report.h"
#include "tests/report/test_util.h"

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

const std::string kSarifSchema = std::string(KINSPECT_SOURCE_DIR) + "/tests/data/sarif/sarif-schema-2.1.0.json";

// Validates a file with python3-jsonschema (the schema is draft-04); returns
// the validator's output, "" when valid.
std::string validate_sarif(const std::string& file, int* exit_code) {
  const char* script =
      "import json, sys, jsonschema\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "jsonschema.Draft4Validator.check_schema(schema)\n"
      "doc = json.load(open(sys.argv[2]))\n"
      "v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())\n"
      "errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))\n"
      "for e in errs: print('/'.join(str(p) for p in e.path) + ': ' + e.message)\n"
      "sys.exit(1 if errs else 0)\n";
  auto r = run_command(std::string(kPython) + " -c " + sh_quote(script) + " " + sh_quote(kSarifSchema) + " " +
                       sh_quote(file));
  *exit_code = r.exit_code;
  return r.out + r.err;
}

// Every check skipped for lack of data: nothing was checked.
Report nothing_checked() {
  Report r = sample_report();
  for (auto& c : r.checks) {
    c.status = Status::Skipped;
    c.cause = "not captured";
    c.reason = "the snapshot does not hold the table";
    c.findings.clear();
  }
  return r;
}

Report with_baseline() {
  Report before = sample_report();
  before.checks[3].findings.pop_back();  // kube-proxy on worker-1 is new
  Report now = sample_report();
  now.baseline = "reports/yesterday.json";
  apply_baseline(now, before);
  return now;
}

TEST(ReportSarif, ValidatesAgainstTheOfficialSchema) {
  if (!python_has("jsonschema"))
    GTEST_SKIP() << "python3-jsonschema is not installed (apt-get install python3-jsonschema): " << kPython
                 << " cannot import jsonschema";
  int n = 0;
  for (const Report& r : {sample_report(), with_baseline(), nothing_checked(), Report{}}) {
    std::string file = out_dir() + "/report-" + std::to_string(n++) + ".sarif";
    write_file(file, render_sarif(r));
    int rc = -1;
    std::string out = validate_sarif(file, &rc);
    EXPECT_EQ(rc, 0) << file << ":\n" << out;
  }
}

// The validation is not vacuous: a level SARIF does not know is refused.
TEST(ReportSarif, SchemaRefusesAnUnknownLevel) {
  if (!python_has("jsonschema")) GTEST_SKIP() << "python3-jsonschema is not installed";
  std::string text = render_sarif(sample_report());
  auto at = text.find("\"level\": \"error\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 16, "\"level\": \"critical\"");
  std::string file = out_dir() + "/report-bad.sarif";
  write_file(file, text);
  int rc = -1;
  std::string out = validate_sarif(file, &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("'critical' is not one of"), std::string::npos) << out;
}

TEST(ReportSarif, RulesResultsAndNotifications) {
  const Report r = sample_report();
  json::value doc = json::parse(render_sarif(r));
  EXPECT_EQ(doc.at("version").as_string(), "2.1.0");
  const auto& runs = doc.at("runs").as_array();
  ASSERT_EQ(runs.size(), 1u);
  const auto& run = runs[0].as_object();
  const auto& driver = run.at("tool").at("driver").as_object();
  EXPECT_EQ(driver.at("name").as_string(), "kinspect");
  EXPECT_EQ(driver.at("version").as_string(), "0.1.0");
  const auto& rules = driver.at("rules").as_array();
  ASSERT_EQ(rules.size(), static_cast<size_t>(kChecks));
  const auto& node_ready = rules[0].as_object();
  EXPECT_EQ(node_ready.at("id").as_string(), "node-ready");
  EXPECT_EQ(node_ready.at("shortDescription").at("text").as_string(), "Nodes are Ready");
  EXPECT_EQ(node_ready.at("defaultConfiguration").at("level").as_string(), "error");
  EXPECT_EQ(node_ready.at("helpUri").as_string(), "https://kubernetes.io/docs/concepts/architecture/nodes/#condition");
  EXPECT_NE(std::string(node_ready.at("help").at("text").as_string()).find("journalctl -u kubelet"), std::string::npos);
  EXPECT_EQ(node_ready.at("properties").at("category").as_string(), "nodes");
  EXPECT_EQ(rules[1].at("defaultConfiguration").at("level").as_string(), "warning");  // node-pressure
  EXPECT_EQ(rules[2].at("defaultConfiguration").at("level").as_string(), "note");     // node-kernel-version, info

  const auto& results = run.at("results").as_array();
  ASSERT_EQ(results.size(), static_cast<size_t>(kFindings));
  const auto& first = results[0].as_object();
  EXPECT_EQ(first.at("ruleId").as_string(), "node-ready");
  EXPECT_EQ(first.at("ruleIndex").as_int64(), 0);
  EXPECT_EQ(first.at("level").as_string(), "error");
  EXPECT_EQ(first.at("message").at("text").as_string(), r.checks[0].findings[0].message);
  const auto& loc = first.at("locations").at(0).at("logicalLocations").at(0).as_object();
  EXPECT_EQ(loc.at("fullyQualifiedName").as_string(), "node/worker-2");
  EXPECT_EQ(loc.at("kind").as_string(), "node");
  EXPECT_EQ(loc.at("name").as_string(), "worker-2");
  EXPECT_EQ(first.at("partialFingerprints").at("kinspect/v1").as_string(),
            r.checks[0].findings[0].fingerprint("node-ready"));

  // etcd-health errored (not checked), pv-bound is not applicable: both are
  // there, and the run did not execute successfully.
  const auto& inv = run.at("invocations").at(0).as_object();
  EXPECT_FALSE(inv.at("executionSuccessful").as_bool());
  EXPECT_EQ(inv.at("endTimeUtc").as_string(), "2026-11-25T04:00:00Z");
  const auto& notes = inv.at("toolExecutionNotifications").as_array();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].at("associatedRule").at("id").as_string(), "etcd-health");
  EXPECT_EQ(notes[0].at("level").as_string(), "error");
  EXPECT_TRUE(notes[0].at("properties").at("notChecked").as_bool());
  EXPECT_NE(std::string(notes[0].at("message").at("text").as_string()).find("table etcd.members failed"),
            std::string::npos);
  EXPECT_EQ(notes[1].at("associatedRule").at("id").as_string(), "pv-bound");
  EXPECT_EQ(notes[1].at("level").as_string(), "note");
  EXPECT_FALSE(notes[1].at("properties").at("notChecked").as_bool());

  const auto& props = run.at("properties").as_object();
  EXPECT_EQ(props.at("cluster").at("name").as_string(), "prod-east");
  EXPECT_EQ(props.at("score").at("value").as_int64(), 26);
  EXPECT_TRUE(props.at("score").at("incomplete").as_bool());
}

TEST(ReportSarif, CompleteRunIsSuccessfulAndNothingCheckedIsNot) {
  Report r = sample_report();
  std::erase_if(r.checks, [](const CheckResult& c) { return c.status == Status::Error; });
  json::value doc = json::parse(render_sarif(r));
  const auto& inv = doc.at("runs").at(0).at("invocations").at(0);
  EXPECT_TRUE(inv.at("executionSuccessful").as_bool()) << "a not-applicable skip leaves the run complete";
  EXPECT_EQ(inv.at("toolExecutionNotifications").as_array().size(), 1u);

  doc = json::parse(render_sarif(nothing_checked()));
  const auto& none = doc.at("runs").at(0).as_object();
  EXPECT_FALSE(none.at("invocations").at(0).at("executionSuccessful").as_bool());
  EXPECT_EQ(none.at("invocations").at(0).at("toolExecutionNotifications").as_array().size(),
            static_cast<size_t>(kChecks));
  EXPECT_TRUE(none.at("results").as_array().empty());
  EXPECT_TRUE(none.at("properties").at("score").at("value").is_null()) << "nothing checked must not score";
}

TEST(ReportSarif, BaselineStateFollowsTheBaseline) {
  json::value doc = json::parse(render_sarif(with_baseline()));
  size_t fresh = 0, unchanged = 0;
  for (const auto& res : doc.at("runs").at(0).at("results").as_array()) {
    const auto& st = res.at("baselineState").as_string();
    fresh += st == "new";
    unchanged += st == "unchanged";
  }
  EXPECT_EQ(fresh, 1u);
  EXPECT_EQ(unchanged, static_cast<size_t>(kFindings) - 1);
}

}  // namespace
}  // namespace kinspect::report
