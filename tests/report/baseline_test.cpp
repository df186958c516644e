// Baselines and diffs on a crafted pair of reports.
#include <gtest/gtest.h>

#include "core/report/baseline.h"
#include "core/report/render.h"

namespace kinspect::report {
namespace {

Finding f(std::string object, std::string message = "broken") {
  return {std::move(object), std::move(message), Severity::Warning, nullptr, Change::None};
}

CheckResult c(std::string id, Status s, std::vector<Finding> fs = {}) {
  CheckResult r;
  r.id = std::move(id);
  r.title = "Check " + r.id;
  r.category = "nodes";
  r.component = "kubelet";
  r.status = s;
  r.findings = std::move(fs);
  if (s == Status::Error) r.reason = "table failed";
  return r;
}

// Yesterday and today:
//  a: fail {x, y}      -> fail {y, z}      x resolved, y unchanged, z new
//  b: fail {q}         -> error            q neither resolved nor unchanged
//  c: pass             -> fail {p}         p new
//  d: fail {w}         -> pass             w resolved
//  e: (absent)         -> fail {n}         n new (a check new to the profile)
//  f: error            -> fail {m}         m new (the baseline could not vouch)
//  g: fail {k, k}      -> fail {k}         one unchanged, one resolved
//  h: fail {s}         -> skipped          nothing resolved
//  i: fail {u}         -> (absent)         nothing resolved
Report yesterday() {
  Report r;
  r.cluster.name = "prod";
  r.generated_at = "2026-11-24T04:00:00Z";
  r.checks = {c("a", Status::Fail, {f("node/x"), f("node/y")}), c("b", Status::Fail, {f("node/q")}),
              c("c", Status::Pass), c("d", Status::Fail, {f("node/w")}), c("f", Status::Error),
              c("g", Status::Fail, {f("node/k"), f("node/k")}), c("h", Status::Fail, {f("node/s")}),
              c("i", Status::Fail, {f("node/u")})};
  return r;
}

Report today() {
  Report r;
  r.cluster.name = "prod";
  r.generated_at = "2026-11-25T04:00:00Z";
  r.checks = {c("a", Status::Fail, {f("node/y"), f("node/z")}), c("b", Status::Error),
              c("c", Status::Fail, {f("node/p")}), c("d", Status::Pass),
              c("e", Status::Fail, {f("node/n")}), c("f", Status::Fail, {f("node/m")}),
              c("g", Status::Fail, {f("node/k")}), c("h", Status::Skipped)};
  return r;
}

const CheckResult& check(const Report& r, const std::string& id) {
  for (const auto& x : r.checks)
    if (x.id == id) return x;
  throw std::runtime_error("no check " + id);
}

TEST(ReportBaseline, MarksNewUnchangedResolved) {
  Report now = today();
  apply_baseline(now, yesterday());
  EXPECT_EQ(check(now, "a").findings[0].change, Change::Unchanged);
  EXPECT_EQ(check(now, "a").findings[1].change, Change::New);
  EXPECT_EQ(check(now, "c").findings[0].change, Change::New);
  EXPECT_EQ(check(now, "e").findings[0].change, Change::New);
  EXPECT_EQ(check(now, "f").findings[0].change, Change::New);
  EXPECT_EQ(check(now, "g").findings[0].change, Change::Unchanged);

  ASSERT_EQ(now.resolved.size(), 3u);
  ASSERT_EQ(now.resolved.at("a").size(), 1u);
  EXPECT_EQ(now.resolved.at("a")[0].object, "node/x");
  EXPECT_EQ(now.resolved.at("a")[0].change, Change::Resolved);
  EXPECT_EQ(now.resolved.at("d")[0].object, "node/w");
  EXPECT_EQ(now.resolved.at("g").size(), 1u);
  EXPECT_EQ(now.resolved.count("b"), 0u) << "an error now resolves nothing";
  EXPECT_EQ(now.resolved.count("h"), 0u) << "a skip now resolves nothing";
  EXPECT_EQ(now.resolved.count("i"), 0u) << "a check gone from the profile resolves nothing";

  Summary s = now.summary();
  EXPECT_EQ(s.new_findings, 4u);
  EXPECT_EQ(s.resolved_findings, 3u);
  EXPECT_EQ(s.findings, 6u);
}

TEST(ReportBaseline, ReapplyingReplacesTheOldMarks) {
  Report now = today();
  apply_baseline(now, yesterday());
  apply_baseline(now, now);  // against itself: nothing new, nothing resolved
  EXPECT_TRUE(now.resolved.empty());
  for (const auto& x : now.checks)
    for (const auto& fi : x.findings) EXPECT_EQ(fi.change, Change::Unchanged) << x.id;
}

TEST(ReportBaseline, MessageChangeIsNewPlusResolved) {
  Report before, now;
  before.checks = {c("a", Status::Fail, {f("node/x", "disk 91% full")})};
  now.checks = {c("a", Status::Fail, {f("node/x", "disk 93% full")})};
  apply_baseline(now, before);
  EXPECT_EQ(now.checks[0].findings[0].change, Change::New);
  EXPECT_EQ(now.resolved.at("a")[0].message, "disk 91% full");
}

TEST(ReportDiff, CountsAndStatusChanges) {
  Diff d = diff_reports(yesterday(), today());
  EXPECT_EQ(d.added, 4u);
  EXPECT_EQ(d.removed, 3u);
  EXPECT_EQ(d.unchanged, 2u);
  // b fail->error, c pass->fail, d fail->pass, e absent->fail, f error->fail,
  // h fail->skipped, i fail->absent.
  EXPECT_EQ(d.status_changes, 7u);
  ASSERT_EQ(d.checks.size(), 9u);
  EXPECT_EQ(d.checks.back().id, "i") << "checks only in a come last";
  const CheckDiff& b = d.checks[1];
  EXPECT_EQ(b.id, "b");
  EXPECT_FALSE(b.compared);
  EXPECT_TRUE(b.removed.empty());
  EXPECT_FALSE(d.empty());
  EXPECT_TRUE(diff_reports(today(), today()).empty());
}

TEST(ReportDiff, Rendering) {
  std::string t = render_diff(diff_reports(yesterday(), today()), false);
  EXPECT_EQ(t.find('\x1b'), std::string::npos);
  EXPECT_NE(t.find("  before: prod at 2026-11-24T04:00:00Z\n  after:  prod at 2026-11-25T04:00:00Z\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("Status changes\n  b: fail -> error (its findings were not re-checked)\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("  e: absent -> fail\n"), std::string::npos);
  EXPECT_NE(t.find("  i: fail -> absent\n"), std::string::npos);
  EXPECT_NE(t.find("New findings\n  a (Check a)\n    + node/z  broken\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Resolved findings\n  a (Check a)\n    - node/x  broken\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  check    new  resolved  unchanged  status\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  a          1         1          1  fail\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\n4 new, 3 resolved, 2 unchanged; 7 status changes\n"), std::string::npos) << t;
  EXPECT_NE(render_diff(diff_reports(yesterday(), today()), true).find('\x1b'), std::string::npos);

  std::string same = render_diff(diff_reports(today(), today()), false);
  EXPECT_EQ(same.find("Status changes"), std::string::npos);
  EXPECT_NE(same.find("0 new, 0 resolved, 6 unchanged; 0 status changes\n"), std::string::npos) << same;
}

}  // namespace
}  // namespace kinspect::report
