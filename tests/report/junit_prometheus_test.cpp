// JUnit XML parses (python3's xml.etree) with the right counts; Prometheus
// text follows the exposition grammar with the right values.
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
      "    print('where', c.get('name'), c.get('file'), c.get('line'))\n";
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
  EXPECT_NE(facts.find("root testsuites 13 6 1 1\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite nodes 3 3 1 0 0\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite control-plane 3 3 1 1 0\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite workloads 2 2 2 0 0\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("suite storage 1 1 0 0 1\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("case nodes.kubelet node-pressure pass\n"), std::string::npos) << facts;
  EXPECT_NE(facts.find("case control-plane.etcd etcd-health error|table etcd.members failed"), std::string::npos);
  EXPECT_NE(facts.find("case storage.persistent-volumes pv-bound skipped|the profile disables it"), std::string::npos);
  EXPECT_NE(facts.find("case nodes.kubelet node-ready failure|critical: Nodes are Ready (1 finding)|"
                       "node/worker-2: node is NotReady"),
            std::string::npos) << facts;
  // Markup in cluster data arrives as the same text.
  EXPECT_NE(facts.find(std::string(kScriptObject) + ": " + kTrickyMessage), std::string::npos) << facts;
  EXPECT_NE(facts.find("where node-ready checks/nodes.kcql 20\n"), std::string::npos) << facts;
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
  EXPECT_EQ(s["kinspect_check_status{check=\"node-ready\",category=\"nodes\",component=\"kubelet\",severity=\"critical\"}"], "0");
  EXPECT_EQ(s["kinspect_check_status{check=\"node-pressure\",category=\"nodes\",component=\"kubelet\",severity=\"warning\"}"], "1");
  EXPECT_EQ(s["kinspect_check_status{check=\"etcd-health\",category=\"control-plane\",component=\"etcd\",severity=\"critical\"}"], "0");
  EXPECT_EQ(s["kinspect_findings{check=\"kube-proxy-healthy\",severity=\"critical\"}"], "2");
  EXPECT_EQ(s["kinspect_findings{check=\"pod-crashloop\",severity=\"warning\"}"], std::to_string(kCrashLoopFindings));
  EXPECT_EQ(s["kinspect_findings{check=\"coredns-replicas\",severity=\"warning\"}"], "0");
  EXPECT_EQ(s.count("kinspect_findings{check=\"etcd-health\",severity=\"critical\"}"), 0u) << "no verdict, no count";
  EXPECT_EQ(s["kinspect_checks_total{status=\"pass\"}"], "5");
  EXPECT_EQ(s["kinspect_checks_total{status=\"fail\"}"], "6");
  EXPECT_EQ(s["kinspect_checks_total{status=\"error\"}"], "1");
  EXPECT_EQ(s["kinspect_checks_total{status=\"skipped\"}"], "1");
  EXPECT_EQ(s["kinspect_run_duration_seconds"], "3.25");
  EXPECT_EQ(s["kinspect_report_info{cluster=\"prod-east\",version=\"v1.29.4\",type=\"self-hosted\",profile=\"default\","
              "scenario=\"inspection\",kinspect_version=\"0.1.0\"}"], "1");
  size_t statuses = 0;
  for (const auto& [k, v] : s) statuses += k.rfind("kinspect_check_status{", 0) == 0;
  EXPECT_EQ(statuses, static_cast<size_t>(kChecks));
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
  EXPECT_NE(render_junit(r).find("<testsuites name=\"kinspect\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\""),
            std::string::npos);
  auto s = parse_exposition(render_prometheus(r));
  EXPECT_EQ(s["kinspect_checks_total{status=\"pass\"}"], "0");
  EXPECT_EQ(s["kinspect_run_duration_seconds"], "0");
  if (command_works(std::string(kPython) + " -c 'import xml.etree.ElementTree'")) {
    std::string file = out_dir() + "/junit-empty.xml";
    write_file(file, render_junit(r));
    EXPECT_TRUE(command_works(std::string(kPython) + " -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' " +
                              kinspect::testing::sh_quote(file)));
  }
}

}  // namespace
}  // namespace kinspect::report
