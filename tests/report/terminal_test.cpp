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
  EXPECT_NE(t.find("  Detected  version v1.29.4 from /version\n"), std::string::npos);
  EXPECT_NE(t.find("            type self-hosted: 3 control-plane nodes visible"), std::string::npos);
  EXPECT_NE(t.find("  Profile   default, scenario inspection\n"), std::string::npos);
  EXPECT_NE(t.find("  Size      6 nodes, 143 pods\n"), std::string::npos);
}

TEST(ReportTerminal, FailuresFirst) {
  std::string t = render_terminal(sample_report(), {});
  // Categories: critical failures (in the usual order), then warnings, then
  // the skipped one, then all-pass.
  size_t nodes = pos(t, "\nNodes - abnormal"), cp = pos(t, "\nControl plane - abnormal"),
         net = pos(t, "\nNetwork - abnormal"), addons = pos(t, "\nAdd-ons - abnormal"),
         work = pos(t, "\nWorkloads - abnormal"), storage = pos(t, "\nStorage - not applicable (1 not applicable)"),
         upgrade = pos(t, "\nUpgrade - normal (1 passed)");
  EXPECT_LT(nodes, cp);
  EXPECT_LT(cp, net);
  EXPECT_LT(net, addons);
  EXPECT_LT(addons, work);
  EXPECT_LT(work, storage);
  EXPECT_LT(storage, upgrade);
  // Inside control plane: the failed component, then the error, then passes.
  size_t proxy = pos(t, "  kube-proxy - abnormal (1 failed)\n"), etcd = pos(t, "  etcd - not checked (1 error)\n"),
         api = pos(t, "  kube-apiserver - normal (1 passed)\n");
  EXPECT_LT(cp, proxy);
  EXPECT_LT(proxy, etcd);
  EXPECT_LT(etcd, api);
  // Inside workloads/pods: the warning before the info.
  EXPECT_LT(pos(t, "FAIL warning pod-crashloop"), pos(t, "FAIL info image-pull-policy"));
  EXPECT_NE(t.find("  pods - abnormal (2 failed)\n"), std::string::npos);
  EXPECT_NE(t.find("  kubelet - abnormal (1 failed, 1 passed)\n"), std::string::npos);
}

TEST(ReportTerminal, FindingsRemedyOnceAndReasons) {
  std::string t = render_terminal(sample_report(), {});
  EXPECT_NE(t.find("    FAIL critical kube-proxy-healthy - kube-proxy is healthy on every node (2 findings)\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("        node/cp-1      kube-proxy healthz failed: connection refused on :10256\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("        node/worker-1  kube-proxy healthz failed"), std::string::npos);
  EXPECT_EQ(count(t, "Restart kube-proxy on the node"), 1u) << "the remedy is shown once per check";
  EXPECT_EQ(count(t, "remedy: "), static_cast<size_t>(kFailed));
  EXPECT_NE(t.find("    ERR etcd-health - etcd members are healthy\n        error: table etcd.members failed"),
            std::string::npos) << t;
  EXPECT_NE(t.find("    skip pv-bound - PersistentVolumes are Bound\n        skipped: the profile disables it"),
            std::string::npos) << t;
  // Tables that failed are listed once.
  EXPECT_NE(t.find("Tables that failed\n  ERR etcd.members from etcd: dial tcp"), std::string::npos) << t;
  // Cluster text is printed as it is (a terminal does not interpret markup).
  EXPECT_NE(t.find(kScriptObject), std::string::npos);
}

TEST(ReportTerminal, PassingChecksAreCountedUnlessVerbose) {
  std::string t = render_terminal(sample_report(), {});
  EXPECT_EQ(t.find("node-pressure"), std::string::npos);
  EXPECT_NE(t.find("  kubelet - abnormal (1 failed, 1 passed)\n"), std::string::npos);
  EXPECT_NE(t.find("    ok 1 check passed\n"), std::string::npos) << t;
  TerminalOptions o;
  o.verbose = true;
  std::string v = render_terminal(sample_report(), o);
  EXPECT_NE(v.find("    ok node-pressure - No memory, disk or PID pressure\n"), std::string::npos) << v;
  EXPECT_EQ(v.find("check passed"), std::string::npos);
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
  EXPECT_NE(u.find("  kube-proxy \xE2\x80\x94 abnormal (1 failed)"), std::string::npos);

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
