// Waivers: reading files (with file:line:column errors), matching findings
// by check and object, expiry against the run's time, waivers that matched
// nothing, and the report formats showing waived findings apart.
#include <gtest/gtest.h>

#include "core/report/render.h"
#include "core/util/time.h"
#include "core/waiver/waiver.h"

using namespace kinspect;
using report::Finding;
using RStatus = report::Status;

namespace {

report::CheckResult check(std::string id, std::vector<std::string> objects) {
  report::CheckResult c;
  c.id = std::move(id);
  c.title = "a check";
  c.status = objects.empty() ? RStatus::Pass : RStatus::Fail;
  for (auto& o : objects) {
    Finding f;
    f.object = o;
    f.message = "restarting";
    c.findings.push_back(std::move(f));
  }
  return c;
}

std::vector<waiver::Waiver> parse(const std::string& yaml) {
  auto w = waiver::parse_waivers(yaml, "w.yaml");
  EXPECT_TRUE(w) << (w ? "" : w.error().format());
  return w ? *w : std::vector<waiver::Waiver>{};
}

double at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

const char* kCrashloop = R"(waivers:
  - check: pod-crashloop          # id or glob
    object: pod/shop/checkout-*   # kind/namespace/name, globs allowed
    reason: "known, fix in sprint 12"
    owner: team-shop
    expires: 2027-01-31
)";

std::vector<std::string> objects(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.object);
  return out;
}

}  // namespace

TEST(Waiver, MatchesCheckAndObjectGlobsOnly) {
  report::Report r;
  r.checks.push_back(check("pod-crashloop", {"pod/shop/checkout-1", "pod/shop/cart-1", "pod/web/checkout-2"}));
  r.checks.push_back(check("pod-pending", {"pod/shop/checkout-1"}));
  waiver::apply(r, parse(kCrashloop), {}, at("2026-12-01T00:00:00Z"));
  const auto& c = r.checks[0];
  EXPECT_EQ(objects(c.findings), (std::vector<std::string>{"pod/shop/cart-1", "pod/web/checkout-2"}));
  ASSERT_EQ(c.waived.size(), 1u);
  EXPECT_EQ(c.waived[0].finding.object, "pod/shop/checkout-1");
  EXPECT_EQ(c.waived[0].waiver.reason, "known, fix in sprint 12");
  EXPECT_EQ(c.waived[0].waiver.owner, "team-shop");
  EXPECT_EQ(c.waived[0].waiver.expires, "2027-01-31");
  EXPECT_EQ(c.waived[0].waiver.origin, "w.yaml:2:5");
  EXPECT_EQ(c.status, RStatus::Fail);  // two findings are not waived
  EXPECT_EQ(r.checks[1].findings.size(), 1u) << "another check's finding on the same object is not waived";
  EXPECT_TRUE(r.unmatched_waivers.empty());
  EXPECT_EQ(r.summary().waived, 1u);
  EXPECT_EQ(r.summary().findings, 3u);
}

TEST(Waiver, ACheckWhoseFindingsAreAllWaivedPasses) {
  report::Report r;
  r.checks.push_back(check("pod-crashloop", {"pod/shop/checkout-1", "pod/shop/checkout-2"}));
  waiver::apply(r, parse(kCrashloop), {}, at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(r.checks[0].status, RStatus::Pass);
  EXPECT_TRUE(r.checks[0].findings.empty());
  EXPECT_EQ(r.checks[0].waived.size(), 2u);
  EXPECT_EQ(r.summary().failed, 0u);
  EXPECT_EQ(r.summary().waived, 2u);
}

TEST(Waiver, SeparateFieldsAndLabelsNeedTheObjectsLabels) {
  auto w = parse(R"(waivers:
  - check: "pod-*"
    kind: Pod
    namespace: shop
    name: "*"
    labels: {app: checkout}
    reason: r
    owner: o
    expires: 2027-01-31
)");
  report::Report r;
  r.checks.push_back(check("pod-crashloop", {"pod/shop/a", "pod/shop/b", "pod/shop/c/sidecar"}));
  waiver::ObjectIndex idx;
  idx["pod/shop/a"].labels = {{"app", "checkout"}};
  idx["pod/shop/b"].labels = {{"app", "cart"}};
  idx["pod/shop/c"].labels = {{"app", "checkout"}, {"tier", "web"}};
  waiver::apply(r, w, idx, at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(objects(r.checks[0].findings), (std::vector<std::string>{"pod/shop/b"}));
  EXPECT_EQ(r.checks[0].waived.size(), 2u) << "a finding on a container of the pod is the pod's";
}

TEST(Waiver, ExpiryIsJudgedAtTheRunsTimeToTheEndOfTheDay) {
  auto w = parse(kCrashloop);
  report::Report last_day;
  last_day.checks.push_back(check("pod-crashloop", {"pod/shop/checkout-1"}));
  waiver::apply(last_day, w, {}, at("2027-01-31T23:59:59Z"));
  EXPECT_EQ(last_day.checks[0].waived.size(), 1u);
  EXPECT_TRUE(last_day.expired_waivers.empty());

  report::Report after;
  after.checks.push_back(check("pod-crashloop", {"pod/shop/checkout-1"}));
  waiver::apply(after, w, {}, at("2027-02-01T00:00:00Z"));
  EXPECT_TRUE(after.checks[0].waived.empty()) << "an expired waiver applies to nothing";
  EXPECT_EQ(after.checks[0].status, RStatus::Fail);
  ASSERT_EQ(after.expired_waivers.size(), 1u);
  EXPECT_EQ(after.expired_waivers[0].check, "pod-crashloop");
  EXPECT_EQ(after.expired_waivers[0].object, "pod/shop/checkout-*");
  EXPECT_EQ(after.expired_waivers[0].waiver.origin, "w.yaml:2:5");
  EXPECT_TRUE(after.unmatched_waivers.empty()) << "expired, not also unmatched";
  EXPECT_EQ(after.summary().expired_waivers, 1u);
}

TEST(Waiver, AWaiverMatchingNothingIsReported) {
  auto w = parse(std::string(kCrashloop) + R"(  - check: node-not-ready
    object: node/worker-9
    reason: decommissioned
    owner: ops
    expires: 2027-06-30T12:00:00Z
)");
  report::Report r;
  r.checks.push_back(check("pod-crashloop", {"pod/shop/checkout-1"}));
  r.checks.push_back(check("node-not-ready", {"node/worker-2"}));
  waiver::apply(r, w, {}, at("2026-12-01T00:00:00Z"));
  ASSERT_EQ(r.unmatched_waivers.size(), 1u);
  EXPECT_EQ(r.unmatched_waivers[0].check, "node-not-ready");
  EXPECT_EQ(r.unmatched_waivers[0].object, "node/worker-9");
  EXPECT_EQ(r.unmatched_waivers[0].waiver.origin, "w.yaml:7:5");
  EXPECT_EQ(r.summary().unmatched_waivers, 1u);
}

TEST(Waiver, AnnotationOnTheObjectWaivesItsListedChecks) {
  report::Report r;
  r.checks.push_back(check("pod-crashloop", {"pod/shop/a", "pod/shop/b"}));
  r.checks.push_back(check("pod-pending", {"pod/shop/a"}));
  waiver::ObjectIndex idx;
  idx["pod/shop/a"].annotations = {{"kinspect.io/waive", "pod-crashloop, image-*"},
                                   {"kinspect.io/waive-reason", "batch job, restarts by design"}};
  waiver::apply(r, {}, idx, at("2026-12-01T00:00:00Z"));
  ASSERT_EQ(r.checks[0].waived.size(), 1u);
  EXPECT_EQ(r.checks[0].waived[0].waiver.reason, "batch job, restarts by design");
  EXPECT_EQ(r.checks[0].waived[0].waiver.origin, "annotation kinspect.io/waive on pod/shop/a");
  EXPECT_EQ(r.checks[1].findings.size(), 1u) << "pod-pending is not listed in the annotation";
}

TEST(Waiver, MalformedFilesGiveFileLineAndColumn) {
  struct Case {
    std::string yaml, expect;
  } cases[] = {
      {"waivers:\n  - check: a\n    reason: r\n    owner: o\n    expires: soon\n",
       "w.yaml:5:14: field 'waivers[0].expires': error: takes a date such as 2027-01-31"},
      {"waivers:\n  - check: a\n    reasn: r\n    owner: o\n    expires: 2027-01-01\n",
       "w.yaml:3:5: field 'waivers[0].reasn': error: unknown key 'reasn'"},
      {"waivers:\n  - check: a\n    owner: o\n    expires: 2027-01-01\n", "w.yaml:2:5: field 'waivers[0]': error: missing 'reason'"},
      {"waivers:\n  - check: a\n    object: pod/a/b/c\n    reason: r\n    owner: o\n    expires: 2027-01-01\n",
       "w.yaml:3:13: field 'waivers[0].object': error: takes KIND/NAMESPACE/NAME"},
      {"waivers:\n  - check: [a\n", "w.yaml:3:1"},
      {"waiver:\n  - check: a\n", "w.yaml:1:1: field 'waiver': error: unknown key 'waiver'"},
  };
  for (const auto& c : cases) {
    auto w = waiver::parse_waivers(c.yaml, "w.yaml");
    ASSERT_FALSE(w) << c.yaml;
    EXPECT_NE(w.error().format().find(c.expect), std::string::npos) << w.error().format();
  }
  auto missing = waiver::load_waivers("/nonexistent/waivers.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().format().find("/nonexistent/waivers.yaml"), std::string::npos);
}

TEST(Waiver, DefaultPathFollowsXdgConfigHome) {
  ::setenv("XDG_CONFIG_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(waiver::default_waivers_path(), "/tmp/xdg-test/kinspect/waivers.yaml");
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", "/tmp/home-test", 1);
  EXPECT_EQ(waiver::default_waivers_path(), "/tmp/home-test/.config/kinspect/waivers.yaml");
}

// Every format shows waived findings apart from the failures, and JSON
// reads them back.
TEST(WaiverReport, EveryFormatShowsWaivedFindingsAndNotes) {
  report::Report r;
  r.checks.push_back(check("pod-crashloop", {"pod/shop/checkout-1", "pod/shop/cart-1"}));
  r.scope.namespaces = {"shop"};
  r.waiver_files = {"w.yaml"};
  auto w = parse(std::string(kCrashloop) + R"(  - check: gone
    reason: r
    owner: o
    expires: 2026-01-01
)");
  waiver::apply(r, w, {}, at("2026-12-01T00:00:00Z"));
  ASSERT_EQ(r.expired_waivers.size(), 1u);

  auto back = report::parse_report_json(report::render_json(r), "r.json");
  ASSERT_TRUE(back) << back.error().format();
  ASSERT_EQ(back->checks[0].waived.size(), 1u);
  EXPECT_EQ(back->checks[0].waived[0].finding.object, "pod/shop/checkout-1");
  EXPECT_EQ(back->checks[0].waived[0].waiver.owner, "team-shop");
  EXPECT_EQ(back->checks[0].findings.size(), 1u);
  ASSERT_EQ(back->expired_waivers.size(), 1u);
  EXPECT_EQ(back->expired_waivers[0].check, "gone");
  EXPECT_EQ(back->scope.namespaces, std::vector<std::string>{"shop"});
  EXPECT_EQ(back->waiver_files, std::vector<std::string>{"w.yaml"});
  EXPECT_EQ(report::render_json(*back), report::render_json(r));

  report::TerminalOptions topts;
  std::string text = report::render_terminal(r, topts);
  EXPECT_NE(text.find("[waived] pod/shop/checkout-1"), std::string::npos) << text;
  EXPECT_NE(text.find("known, fix in sprint 12; owner team-shop; until 2027-01-31"), std::string::npos) << text;
  EXPECT_NE(text.find("expired gone on any object"), std::string::npos) << text;
  EXPECT_NE(text.find("Scope     namespaces shop"), std::string::npos) << text;
  EXPECT_NE(text.find("1 waived"), std::string::npos) << text;

  std::string junit = report::render_junit(r);
  EXPECT_NE(junit.find("Waived: 1 finding\n"), std::string::npos) << junit;
  EXPECT_NE(junit.find("waived: pod/shop/checkout-1"), std::string::npos) << junit;
  std::string prom = report::render_prometheus(r);
  EXPECT_NE(prom.find("kinspect_waived_findings{cluster=\"\",check=\"pod-crashloop\"} 1"), std::string::npos) << prom;
  EXPECT_NE(prom.find("kinspect_waivers{cluster=\"\",state=\"expired\"} 1"), std::string::npos) << prom;
  std::string html = report::render_html(r);
  EXPECT_NE(html.find("Waived (1)"), std::string::npos);
  EXPECT_NE(html.find("Waivers that did not apply"), std::string::npos);
}
