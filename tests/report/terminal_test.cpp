// The terminal page: order, group lines, remedy once, colour only when asked.
#include <gtest/gtest.h>

#include "core/report/baseline.h"
#include "core/report/render.h"
#include "tests/report/sample_report.h"

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

size_t pos(const std::string& hay, const std::string& needle) {
  size_t at = hay.find(needle);
  EXPECT_NE(at, std::string::npos) << "missing: " << needle << "\n" << hay;
  return at;
}

TEST(ReportTerminal, HeaderHasClusterFacts) {
  std::string t = render_terminal(sample_report(), {});
  EXPECT_EQ(t.rfind("Cluster prod-east\n", 0), 0u) << t;
  EXPECT_NE(t.find("  Version   v1.29.4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  Type      self-hosted\n"), std::string::npos);
  EXPECT_EQ(t.find("  Detected"), std::string::npos) << "how facts were found is for -v";
  TerminalOptions o;
  o.verbose = true;
  const std::string v = render_terminal(sample_report(), o);
  EXPECT_NE(v.find("  Detected  version v1.29.4 from /version\n"), std::string::npos);
  EXPECT_NE(v.find("            type self-hosted: 3 control-plane nodes visible"), std::string::npos);
  EXPECT_NE(t.find("  Profile   default, scenario inspection\n"), std::string::npos);
  EXPECT_NE(t.find("  Size      6 nodes, 143 pods\n"), std::string::npos);
}

TEST(ReportTerminal, WhatToActOnFirstBySeverity) {
  std::string t = render_terminal(sample_report(), {});
  // The verdict, then critical, warning and info failures, then what could
  // not be checked, then one line per category.
  size_t critical = pos(t, "\nCritical (3 checks)\n"), warning = pos(t, "\nWarning (2 checks)\n"),
         info = pos(t, "\nInfo (1 check)\n"), unchecked = pos(t, "\nNot checked\n"),
         categories = pos(t, "\nok 5 checks passed in 7 categories (--show-passed lists them)\n");
  EXPECT_LT(pos(t, "  Verdict"), critical);
  EXPECT_LT(critical, warning);
  EXPECT_LT(warning, info);
  EXPECT_LT(info, unchecked);
  EXPECT_LT(unchecked, categories);
  // Inside a severity, the categories' order: nodes before control plane.
  size_t node_ready = pos(t, "FAIL critical node-ready"), proxy = pos(t, "FAIL critical kube-proxy-healthy");
  EXPECT_LT(critical, node_ready);
  EXPECT_LT(node_ready, proxy);
  EXPECT_LT(proxy, warning);
  EXPECT_LT(warning, pos(t, "FAIL warning pod-crashloop"));
  // An info check is one line, its findings behind -v.
  EXPECT_NE(t.find("    FAIL image-pull-policy - Images with :latest use imagePullPolicy Always (1 finding)\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("(-v lists info findings)"), std::string::npos);
  EXPECT_LT(unchecked, pos(t, "    ERR etcd-health - etcd members are healthy\n        error: table etcd.members failed"));
  EXPECT_EQ(t.find("By category"), std::string::npos);
  TerminalOptions o;
  o.show_passed = true;
  t = render_terminal(sample_report(), o);
  EXPECT_LT(pos(t, "\nNot checked\n"), pos(t, "\nBy category\n"));
  EXPECT_NE(t.find("  Nodes - abnormal (1 failed, 2 passed)\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  Storage - not applicable (1 not applicable)\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  Upgrade - normal (1 passed)\n"), std::string::npos) << t;
}

TEST(ReportTerminal, ChecksNotCheckedAreGroupedByCause) {
  Report r = sample_report();
  for (const char* id : {"webhook-a", "webhook-b"}) {
    CheckResult c;
    c.id = id;
    c.category = "control-plane";
    c.status = Status::Skipped;
    c.cause = "not served";
    c.reason = "needs table k8s.validating_webhooks, which this API server does not serve";
    r.checks.push_back(c);
  }
  std::string t = render_terminal(r, {});
  EXPECT_NE(t.find("    skip not checked (not served): 2 checks: webhook-a, webhook-b\n"
                   "        needs table k8s.validating_webhooks, which this API server does not serve\n"),
            std::string::npos) << t;
  TerminalOptions o;
  o.verbose = true;
  t = render_terminal(r, o);
  EXPECT_NE(t.find("    skip webhook-a\n        not checked (not served): needs table"), std::string::npos) << t;
}

TEST(ReportTerminal, FindingsRemedyOnceAndReasons) {
  std::string t = render_terminal(sample_report(), {});
  EXPECT_NE(t.find("    FAIL critical kube-proxy-healthy - kube-proxy is healthy on every node (2 findings)\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("        node/cp-1      kube-proxy healthz failed: connection refused on :10256\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("        node/worker-1  kube-proxy healthz failed"), std::string::npos);
  EXPECT_EQ(count(t, "Restart kube-proxy on the node"), 1u) << "the remedy is shown once per check";
  EXPECT_EQ(count(t, "remedy: "), static_cast<size_t>(kFailed - 1)) << "every critical and warning check's remedy";
  EXPECT_NE(t.find("    ERR etcd-health - etcd members are healthy\n        error: table etcd.members failed"),
            std::string::npos) << t;
  // Tables that failed are listed once.
  EXPECT_NE(t.find("Tables that failed\n  ERR etcd.members from etcd: dial tcp"), std::string::npos) << t;
  // Cluster text is printed as it is (a terminal does not interpret markup).
  EXPECT_NE(t.find(kScriptObject), std::string::npos);
}

TEST(ReportTerminal, PassingChecksAreCountedUnlessShown) {
  std::string t = render_terminal(sample_report(), {});
  EXPECT_EQ(t.find("node-pressure"), std::string::npos);
  EXPECT_EQ(t.find("pv-bound"), std::string::npos) << "a check the profile disables is only counted";
  TerminalOptions o;
  o.show_passed = true;
  std::string v = render_terminal(sample_report(), o);
  size_t nodes = pos(v, "  Nodes - abnormal");
  EXPECT_LT(nodes, pos(v, "    ok node-pressure - No memory, disk or PID pressure\n"));
  EXPECT_LT(pos(v, "    ok node-pressure"), pos(v, "  Control plane - "));
  EXPECT_NE(v.find("    skip pv-bound - PersistentVolumes are Bound\n        skipped: the profile disables it"),
            std::string::npos) << v;
  o = {};
  o.verbose = true;
  v = render_terminal(sample_report(), o);
  EXPECT_NE(v.find("    ok node-pressure"), std::string::npos) << "-v shows everything";
  EXPECT_NE(v.find("    FAIL info image-pull-policy"), std::string::npos) << v;
}

TEST(ReportTerminal, FindingLimit) {
  std::string t = render_terminal(sample_report(), {});
  EXPECT_NE(t.find("        ... and 5 more\n"), std::string::npos) << t;
  EXPECT_NE(t.find("pod/shop/cart-1019"), std::string::npos);
  EXPECT_EQ(t.find("pod/shop/cart-1020"), std::string::npos) << "only 20 findings per check by default";
  TerminalOptions o;
  o.max_findings = 3;
  t = render_terminal(sample_report(), o);
  EXPECT_NE(t.find("        ... and 22 more\n"), std::string::npos);
  o.max_findings = 0;
  t = render_terminal(sample_report(), o);
  EXPECT_EQ(t.find("more\n"), std::string::npos);
  EXPECT_NE(t.find("pod/shop/cart-1024"), std::string::npos);
}

TEST(ReportTerminal, SummaryLine) {
  std::string t = render_terminal(sample_report(), {});
  std::string want = "\n13 checks: 5 passed, 6 failed (3 critical, 2 warning, 1 info), 1 error, 1 skipped; " +
                     std::to_string(kFindings) + " findings; score 26/100 (incomplete: 1 not checked)\n";
  size_t at = t.find(want);
  ASSERT_NE(at, std::string::npos) << t;
  // The verdict closes the page, as it opens it: what to read first.
  std::string tail = t.substr(at + want.size());
  EXPECT_EQ(tail.rfind("  Verdict   4 critical and 26 warning findings; 1 of 13 checks not checked\n", 0), 0u) << tail;
  EXPECT_NE(tail.find("not checked: 1 check error"), std::string::npos) << tail;
  EXPECT_NE(tail.find("            critical node/"), std::string::npos) << "the end names the worst objects" << tail;
  EXPECT_EQ(t.substr(0, t.find("\nCritical (")).find("critical node/"), std::string::npos)
      << "the top leaves that to the critical section right below it";
  EXPECT_EQ(t.find("  Verdict"), t.find("  Run") + t.substr(t.find("  Run")).find('\n') + 1) << "and opens it";

  Report empty;
  t = render_terminal(empty, {});
  EXPECT_NE(t.find("0 checks: 0 passed, 0 failed, 0 errors, 0 skipped; 0 findings; score n/a (nothing checked)\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("nothing was checked"), std::string::npos) << t;
}

TEST(ReportTerminal, ColourAndSymbols) {
  std::string plain = render_terminal(sample_report(), {});
  EXPECT_EQ(plain.find('\x1b'), std::string::npos) << "no escapes unless asked";
  EXPECT_EQ(plain.find("\xE2\x9C\x97"), std::string::npos) << "ASCII symbols without colour";

  TerminalOptions o;
  o.colour = true;
  std::string c = render_terminal(sample_report(), o);
  EXPECT_NE(c.find("\x1b[31m\xE2\x9C\x97\x1b[0m"), std::string::npos) << "a red cross";
  o.show_passed = true;
  c = render_terminal(sample_report(), o);
  EXPECT_NE(c.find("\x1b[32m\xE2\x9C\x93\x1b[0m"), std::string::npos) << "a green tick";
  EXPECT_NE(c.find(" \xE2\x80\x94 "), std::string::npos) << "em dash in group lines";

  // UTF-8 without colour, when the caller asks.
  o.colour = false;
  o.symbols = TerminalOptions::Symbols::Unicode;
  std::string u = render_terminal(sample_report(), o);
  EXPECT_EQ(u.find('\x1b'), std::string::npos);
  EXPECT_NE(u.find("    \xE2\x9C\x97 critical node-ready"), std::string::npos) << u;
  EXPECT_NE(u.find("    ! etcd-health"), std::string::npos);
  EXPECT_NE(u.find("    \xE2\x80\x93 pv-bound"), std::string::npos);
  EXPECT_NE(u.find("  Control plane \xE2\x80\x94 abnormal (1 failed, 1 error, 1 passed)"), std::string::npos) << u;

  // Forced ASCII with colour.
  o.colour = true;
  o.symbols = TerminalOptions::Symbols::Ascii;
  std::string a = render_terminal(sample_report(), o);
  EXPECT_NE(a.find("FAIL"), std::string::npos);
  EXPECT_NE(a.find('\x1b'), std::string::npos);
}

TEST(ReportTerminal, BaselineMarks) {
  Report before = sample_report();
  before.checks[3].findings.pop_back();  // kube-proxy on worker-1 is new
  before.checks[0].findings.push_back({"node/worker-5", "node is NotReady", Severity::Critical, nullptr, Change::None});
  Report now = sample_report();
  now.baseline = "yesterday.json";
  apply_baseline(now, before);
  std::string t = render_terminal(now, {});
  EXPECT_NE(t.find("              node/cp-1      kube-proxy healthz failed: connection refused on :10256\n        [new] node/worker-1  kube-proxy healthz failed"), std::string::npos) << t;
  EXPECT_EQ(t.find("[new] node/cp-1"), std::string::npos);
  EXPECT_NE(t.find("        [resolved] node/worker-5  node is NotReady\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  Baseline  yesterday.json\n"), std::string::npos);
  EXPECT_NE(t.find(" findings (1 new, 1 resolved); score "), std::string::npos) << t;
}

}  // namespace
}  // namespace kinspect::report
