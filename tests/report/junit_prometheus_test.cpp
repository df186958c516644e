// JUnit XML parses (python3's xml.etree) with the right counts and is valid
// against the Jenkins xunit plugin's schema (xmllint); Prometheus text follows
// the exposition grammar with the right values and passes promtool.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/report/render.h"
#include "tests/report/sample_report.h"
#include "tests/report/test_util.h"

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

// Parses the file with xml.etree and prints one line per fact.
std::string junit_facts(const std::string& file, int* rc) {
  const char* script =
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "print('root', root.tag, root.get('tests'), root.get('failures'), root.get('errors'), root.get('skipped'))\n"
      "for s in root.findall('testsuite'):\n"
      "  cases = s.findall('testcase')\n"
      "  print('suite', s.get('name'), s.get('tests'), len(cases), s.get('failures'), s.get('errors'), s.get('skipped'))\n"
      "  for c in cases:\n"
      "    kind = 'pass'\n"
      "    for k in ('failure', 'error', 'skipped'):\n"
      "      e = c.find(k)\n"
      "      if e is not None: kind = k + '|' + (e.get('message') or '') + '|' + (e.text or '').replace('\\n', '\\\\n')\n"
      "    print('case', c.get('classname'), c.get('name'), kind)\n"
      "    out = c.find('system-out')\n"
      "    print('about', c.get('name'), (out.text if out is not None else '').replace('\\n', '|'))\n";
  auto r = run_command(std::string(kPython) + " -c " + sh_quote(script) + " " + sh_quote(file));
  *rc = r.exit_code;
  return r.out + r.err;
}

TEST(ReportJunit, ParsesWithTheRightCounts) {
  if (!command_works(std::string(kPython) + " -c 'import xml.etree.ElementTree'"))
    GTEST_SKIP() << kPython << " with xml.etree is missing (apt-get install python3)";
  std::string file = out_dir() + "/junit.xml";
  write_file(file, render_junit(sample_report()));
  int rc = -1;
  std::string facts = junit_facts(file, &rc);
  ASSERT_EQ(rc, 0) << facts;
  EXPECT_NE(facts.find("root testsuites 13 6 1 None\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite nodes 3 3 1 0 0\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite control-plane 3 3 1 1 0\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite workloads 2 2 2 0 0\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite storage 1 1 0 0 1\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("case nodes.kubelet node-pressure pass\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("case control-plane.etcd etcd-health error|table etcd.members failed"), std::string::npos);
  EXPECT_NE(facts.find("case storage.persistent-volumes pv-bound skipped|the profile disables it"), std::string::npos);
  EXPECT_NE(facts.find("case nodes.kubelet node-pressure pass\n"), std::string::npos) << "a pass has no <skipped>";
  EXPECT_NE(facts.find("case nodes.kubelet node-ready failure|critical: Nodes are Ready (1 finding)|"
                       "node/worker-2: node is NotReady"),
            std::string::npos) << facts;
  // Markup in cluster data arrives as the same text.
  EXPECT_NE(facts.find(std::string(kScriptObject) + ": " + kTrickyMessage), std::string::npos) << facts;
  EXPECT_NE(facts.find("about node-ready Nodes are Ready|Source: checks/nodes.kcql:20|\n"), std::string::npos) << facts;
  size_t cases = 0;
  std::istringstream in(facts);
  for (std::string line; std::getline(in, line);) cases += line.rfind("case ", 0) == 0;
  EXPECT_EQ(cases, static_cast<size_t>(kChecks));
}

TEST(ReportJunit, ControlCharactersStayValidXml) {
  if (!command_works(std::string(kPython) + " -c 'import xml.etree.ElementTree'")) GTEST_SKIP() << "no python3";
  Report r = sample_report();
  r.checks[0].findings[0].message = std::string("bell\x07 and nul-free \x1b[31m escape, bad byte \xff");
  r.checks[4].reason = "multi\nline \"reason\" <&>";
  std::string file = out_dir() + "/junit-control.xml";
  write_file(file, render_junit(r));
  int rc = -1;
  std::string facts = junit_facts(file, &rc);
  EXPECT_EQ(rc, 0) << facts;
  EXPECT_NE(facts.find("error|multi\nline \"reason\" <&>|"), std::string::npos) << facts;
}

const std::string kXunitSchema = std::string(KINSPECT_SOURCE_DIR) + "/tests/data/junit/junit-10.xsd";

// xmllint's verdict on the file against the Jenkins xunit JUnit schema.
kinspect::testing::CommandResult xunit_validate(const std::string& file) {
  return run_command("xmllint --noout --schema " + sh_quote(kXunitSchema) + " " + sh_quote(file));
}

TEST(ReportJunit, ValidAgainstTheJenkinsXunitSchema) {
  if (!command_works("command -v xmllint"))
    GTEST_SKIP() << "xmllint is not installed (Debian package libxml2-utils; scripts/setup installs it)";
  Report tiny = sample_report();
  // Durations that once came out as "1e-05" and "1.5e+06".
  tiny.checks[0].duration_ms = 0.01;
  tiny.checks[1].duration_ms = 1.5e9;
  tiny.duration_ms = 0.004;
  Report nothing = sample_report();
  for (auto& c : nothing.checks) {
    c.status = Status::Skipped;
    c.cause = "not captured";
    c.findings.clear();
  }
  int n = 0;
  for (const Report& r : {sample_report(), tiny, nothing, Report{}}) {
    std::string file = out_dir() + "/junit-xunit-" + std::to_string(n++) + ".xml";
    write_file(file, render_junit(r));
    auto v = xunit_validate(file);
    EXPECT_EQ(v.exit_code, 0) << file << ":\n" << v.out << v.err;
  }
  std::string text = render_junit(tiny);
  EXPECT_EQ(text.find("e-0"), std::string::npos) << "no scientific notation";
  EXPECT_NE(text.find("time=\"0.000\""), std::string::npos);
  EXPECT_NE(text.find("time=\"1500000.000\""), std::string::npos);
}

// The schema check is not vacuous: the attributes kinspect used to write are refused.
TEST(ReportJunit, XunitSchemaRefusesWhatItDoesNotDeclare) {
  if (!command_works("command -v xmllint")) GTEST_SKIP() << "xmllint is not installed (libxml2-utils)";
  std::string text = render_junit(sample_report());
  auto at = text.find("<testcase name=\"node-ready\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 9, " file=\"checks/nodes.kcql\"");
  std::string file = out_dir() + "/junit-xunit-bad.xml";
  write_file(file, text);
  auto v = xunit_validate(file);
  EXPECT_NE(v.exit_code, 0);
  EXPECT_NE((v.out + v.err).find("attribute 'file' is not allowed"), std::string::npos) << v.out << v.err;
}

TEST(ReportJunit, NotCheckedSkipsCarryTheirCause) {
  Report r = sample_report();
  r.checks[11].cause = "forbidden";  // pv-bound
  r.checks[11].reason = "listing persistentvolumes is forbidden";
  std::string text = render_junit(r);
  EXPECT_NE(text.find("<skipped message=\"not checked (forbidden): listing persistentvolumes is forbidden\" "
                      "type=\"forbidden\"/>"),
            std::string::npos) << text;
}

// The exposition format's line grammar.
const std::regex kHelp(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
const std::regex kSample(
    R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|NaN|[-+]Inf))");

// Checks every line; returns samples as "name{labels}" -> value.
std::map<std::string, std::string> parse_exposition(const std::string& text) {
  std::map<std::string, std::string> samples;
  std::set<std::string> typed;
  std::istringstream in(text);
  std::smatch m;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (std::regex_match(line, kHelp)) continue;
    if (std::regex_match(line, m, kType)) {
      EXPECT_TRUE(typed.insert(m[1]).second) << "TYPE twice for " << m[1];
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      ADD_FAILURE() << "line " << n << " is not exposition format: " << line;
      continue;
    }
    EXPECT_TRUE(typed.count(m[1])) << "sample before its TYPE: " << line;
    std::string key = line.substr(0, line.rfind(' '));
    EXPECT_TRUE(samples.emplace(key, line.substr(line.rfind(' ') + 1)).second) << "duplicate series " << key;
  }
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  return samples;
}

TEST(ReportPrometheus, GrammarAndValues) {
  auto s = parse_exposition(render_prometheus(sample_report()));
  auto status = [&](std::string_view check, std::string_view rest, std::string_view st) {
    return s["kinspect_check_status{cluster=\"prod-east\",check=\"" + std::string(check) + "\"," + std::string(rest) +
             ",status=\"" + std::string(st) + "\"}"];
  };
  // One-hot: 1 for the status the check had, 0 for the four others.
  const std::string node_ready = "category=\"nodes\",component=\"kubelet\",severity=\"critical\"";
  EXPECT_EQ(status("node-ready", node_ready, "fail"), "1");
  EXPECT_EQ(status("node-ready", node_ready, "pass"), "0");
  EXPECT_EQ(status("node-ready", node_ready, "error"), "0");
  EXPECT_EQ(status("node-ready", node_ready, "not_checked"), "0");
  EXPECT_EQ(status("node-pressure", "category=\"nodes\",component=\"kubelet\",severity=\"warning\"", "pass"), "1");
  const std::string etcd = "category=\"control-plane\",component=\"etcd\",severity=\"critical\"";
  EXPECT_EQ(status("etcd-health", etcd, "error"), "1");
  EXPECT_EQ(status("etcd-health", etcd, "pass"), "0");
  EXPECT_EQ(status("pv-bound", "category=\"storage\",component=\"persistent-volumes\",severity=\"warning\"", "skipped"),
            "1");
  EXPECT_EQ(s["kinspect_findings{cluster=\"prod-east\",check=\"kube-proxy-healthy\",severity=\"critical\"}"], "2");
  EXPECT_EQ(s["kinspect_findings{cluster=\"prod-east\",check=\"pod-crashloop\",severity=\"warning\"}"],
            std::to_string(kCrashLoopFindings));
  EXPECT_EQ(s["kinspect_findings{cluster=\"prod-east\",check=\"coredns-replicas\",severity=\"warning\"}"], "0");
  EXPECT_EQ(s.count("kinspect_findings{cluster=\"prod-east\",check=\"etcd-health\",severity=\"critical\"}"), 0u)
      << "no verdict, no count";
  EXPECT_EQ(s["kinspect_checks{cluster=\"prod-east\",status=\"pass\"}"], "5");
  EXPECT_EQ(s["kinspect_checks{cluster=\"prod-east\",status=\"fail\"}"], "6");
  EXPECT_EQ(s["kinspect_checks{cluster=\"prod-east\",status=\"error\"}"], "1");
  EXPECT_EQ(s["kinspect_checks{cluster=\"prod-east\",status=\"not_checked\"}"], "0");
  EXPECT_EQ(s["kinspect_checks{cluster=\"prod-east\",status=\"skipped\"}"], "1");
  EXPECT_EQ(s["kinspect_check_not_checked{cluster=\"prod-east\",check=\"etcd-health\",cause=\"error\"}"], "1");
  EXPECT_EQ(s["kinspect_run_incomplete{cluster=\"prod-east\"}"], "1");
  EXPECT_EQ(s["kinspect_run_duration_seconds{cluster=\"prod-east\"}"], "3.25");
  EXPECT_EQ(s["kinspect_last_run_timestamp_seconds{cluster=\"prod-east\"}"], "1795579200");  // 2026-11-25T04:00:00Z
  EXPECT_EQ(s["kinspect_report_info{cluster=\"prod-east\",version=\"v1.29.4\",type=\"self-hosted\",profile=\"default\","
              "scenario=\"inspection\",kinspect_version=\"0.1.0\"}"], "1");
  size_t statuses = 0;
  for (const auto& [k, v] : s) {
    statuses += k.rfind("kinspect_check_status{", 0) == 0;
    EXPECT_EQ(k.find("{cluster=\"prod-east\""), k.find('{')) << "every sample carries the cluster label: " << k;
  }
  EXPECT_EQ(statuses, static_cast<size_t>(kChecks) * std::size(kMetricStatuses));
}

// Distinct values for pass, fail, error and not checked: each status sums
// to its count of checks.
TEST(ReportPrometheus, StatusesAreDistinct) {
  Report r = sample_report();
  r.checks[11].cause = "forbidden";  // pv-bound: not checked rather than not applicable
  auto s = parse_exposition(render_prometheus(r));
  std::map<std::string, int> ones;
  for (const auto& [k, v] : s)
    if (k.rfind("kinspect_check_status{", 0) == 0 && v == "1") ++ones[k.substr(k.find("status=\""))];
  EXPECT_EQ(ones["status=\"pass\"}"], kPassed);
  EXPECT_EQ(ones["status=\"fail\"}"], kFailed);
  EXPECT_EQ(ones["status=\"error\"}"], kErrors);
  EXPECT_EQ(ones["status=\"not_checked\"}"], 1);
  EXPECT_EQ(ones["status=\"skipped\"}"], 0);
  EXPECT_EQ(s["kinspect_checks{cluster=\"prod-east\",status=\"not_checked\"}"], "1");
}

// promtool (Debian's prometheus package) accepts the page: names, types,
// HELP, no _total on a gauge.
TEST(ReportPrometheus, PromtoolAcceptsIt) {
  if (!command_works("command -v promtool"))
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus; scripts/setup installs it)";
  Report baseline = sample_report();
  baseline.baseline = "reports/yesterday.json";
  Report nothing = sample_report();
  for (auto& c : nothing.checks) {
    c.status = Status::Skipped;
    c.cause = "not served";
    c.findings.clear();
  }
  int n = 0;
  for (const Report& r : {sample_report(), baseline, nothing, Report{}}) {
    std::string file = out_dir() + "/metrics-" + std::to_string(n++) + ".prom";
    write_file(file, render_prometheus(r));
    auto check = run_command("promtool check metrics < " + sh_quote(file));
    EXPECT_EQ(check.exit_code, 0) << file << ":\n" << check.out << check.err;
    EXPECT_EQ(check.out + check.err, "") << file << ": promtool has remarks";
  }
}

// The check is not vacuous: promtool refuses the suffix the old page had.
TEST(ReportPrometheus, PromtoolRefusesTotalOnAGauge) {
  if (!command_works("command -v promtool")) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  std::string file = out_dir() + "/metrics-bad.prom";
  write_file(file, "# HELP kinspect_checks_total Checks by status.\n# TYPE kinspect_checks_total gauge\n"
                   "kinspect_checks_total{status=\"pass\"} 5\n");
  auto check = run_command("promtool check metrics < " + sh_quote(file));
  EXPECT_NE(check.exit_code, 0) << check.out << check.err;
}

TEST(ReportPrometheus, LabelEscaping) {
  Report r = sample_report();
  r.checks[0].id = "quote\"back\\slash\nnewline";
  std::string text = render_prometheus(r);
  auto s = parse_exposition(text);
  EXPECT_NE(text.find("check=\"quote\\\"back\\\\slash\\nnewline\""), std::string::npos) << text;
}

}  // namespace
}  // namespace kinspect::report

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;

// A run with no checks at all (an empty profile) still renders everywhere.
TEST(ReportFormats, EmptyReport) {
  Report r;
  EXPECT_NE(render_html(r).find(">Healthy</div>"), std::string::npos);
  EXPECT_NE(render_junit(r).find("<testsuites name=\"kinspect\" tests=\"0\" failures=\"0\" errors=\"0\" time=\"0.000\">"),
            std::string::npos);
  auto s = parse_exposition(render_prometheus(r));
  EXPECT_EQ(s["kinspect_checks{cluster=\"\",status=\"pass\"}"], "0");
  EXPECT_EQ(s["kinspect_run_duration_seconds{cluster=\"\"}"], "0");
  if (command_works(std::string(kPython) + " -c 'import xml.etree.ElementTree'")) {
    std::string file = out_dir() + "/junit-empty.xml";
    write_file(file, render_junit(r));
    EXPECT_TRUE(command_works(std::string(kPython) + " -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' " +
                              kinspect::testing::sh_quote(file)));
  }
}

}  // namespace
}  // namespace kinspect::report
