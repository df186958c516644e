// The score: severity-weighted share of passed checks among those that ran,
// never 100 for a run that checked nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/report/render.h"
#include "core/report/score.h"
#include "tests/report/sample_report.h"

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;

const Score* category(const Scores& s, std::string_view name) {
  for (const auto& k : s.categories)
    if (k.category == name) return &k.score;
  return nullptr;
}

CheckResult check(std::string id, std::string category, Severity sev, Status st) {
  CheckResult c;
  c.id = std::move(id);
  c.category = std::move(category);
  c.severity = sev;
  c.status = st;
  return c;
}

// The sample, by hand: passed weight 13 (node-pressure 3, node-kernel-version
// 1, apiserver-cert-expiry 3, coredns-replicas 3, deprecated-apis 3); failed
// weight 37 (3 critical 30, 2 warning 6, 1 info 1); 13 / 50 = 26%. etcd-health errored: left out, incomplete; pv-bound is not
// applicable: left out, not incomplete.
TEST(ReportScore, SampleReportByHand) {
  Scores s = compute_scores(sample_report());
  ASSERT_TRUE(s.cluster.value);
  EXPECT_EQ(*s.cluster.value, 26u);
  EXPECT_EQ(s.cluster.passed_weight, 13u);
  EXPECT_EQ(s.cluster.scored_weight, 50u);
  EXPECT_EQ(s.cluster.scored_checks, 11u);
  EXPECT_EQ(s.cluster.not_checked, 1u);
  EXPECT_TRUE(s.cluster.incomplete());
  EXPECT_EQ(score_text(s.cluster), "26/100 (incomplete: 1 not checked)");

  ASSERT_EQ(s.categories.size(), 7u);
  EXPECT_EQ(s.categories[0].category, "nodes");
  EXPECT_EQ(*category(s, "nodes")->value, 28u);           // 4 / 14, rounded down
  EXPECT_EQ(*category(s, "control-plane")->value, 23u);   // 3 / 13, etcd left out
  EXPECT_TRUE(category(s, "control-plane")->incomplete());
  EXPECT_FALSE(category(s, "nodes")->incomplete());
  EXPECT_EQ(*category(s, "addons")->value, 50u);
  EXPECT_EQ(*category(s, "network")->value, 0u);
  EXPECT_EQ(*category(s, "upgrade")->value, 100u);
  EXPECT_FALSE(category(s, "storage")->value) << "only a not-applicable check: no score";
  EXPECT_FALSE(category(s, "storage")->incomplete());
}

TEST(ReportScore, NothingCheckedIsNotOneHundred) {
  Report r = sample_report();
  for (auto& c : r.checks) {
    c.status = Status::Skipped;
    c.cause = "forbidden";
    c.findings.clear();
  }
  Scores s = compute_scores(r);
  EXPECT_FALSE(s.cluster.value);
  EXPECT_EQ(s.cluster.not_checked, static_cast<uint64_t>(kChecks));
  EXPECT_EQ(score_text(s.cluster), "n/a (nothing could be checked)");
  for (const auto& k : s.categories) EXPECT_FALSE(k.score.value) << k.category;
  // Also in every format that shows it.
  boost::json::value j = boost::json::parse(render_json(r));
  EXPECT_TRUE(j.at("score").at("value").is_null());
  EXPECT_EQ(render_prometheus(r).find("\nkinspect_score{"), std::string::npos);
  EXPECT_NE(render_terminal(r).find("score n/a (nothing could be checked)"), std::string::npos);
  EXPECT_EQ(score_text(compute_scores(Report{}).cluster), "n/a (nothing checked)");
}

TEST(ReportScore, AnyFailureKeepsItBelowOneHundred) {
  Report r;
  for (int i = 0; i < 200; ++i) r.checks.push_back(check("c" + std::to_string(i), "nodes", Severity::Critical, Status::Pass));
  EXPECT_EQ(*compute_scores(r).cluster.value, 100u);
  r.checks.push_back(check("small", "nodes", Severity::Info, Status::Fail));
  EXPECT_EQ(*compute_scores(r).cluster.value, 99u) << "2000/2001 rounds down";
}

TEST(ReportScore, WeightsFollowSeverity) {
  Report r;
  r.checks.push_back(check("a", "x", Severity::Critical, Status::Fail));
  r.checks.push_back(check("b", "x", Severity::Info, Status::Pass));
  EXPECT_EQ(*compute_scores(r).cluster.value, 9u);  // 1 / 11
  r.checks[0].severity = Severity::Info;
  r.checks[1].severity = Severity::Critical;
  EXPECT_EQ(*compute_scores(r).cluster.value, 90u);  // 10 / 11, rounded down
  // An optional check that errored is left out without making it incomplete.
  CheckResult opt = check("c", "x", Severity::Critical, Status::Error);
  opt.optional = true;
  r.checks.push_back(opt);
  EXPECT_FALSE(compute_scores(r).cluster.incomplete());
  EXPECT_EQ(*compute_scores(r).cluster.value, 90u);
}

TEST(ReportScore, ShownInEveryFormat) {
  const Report r = sample_report();
  boost::json::value j = boost::json::parse(render_json(r));
  EXPECT_EQ(j.at("score").at("value").as_int64(), 26);
  EXPECT_EQ(j.at("score").at("categories").at(0).at("category").as_string(), "nodes");
  EXPECT_EQ(j.at("score").at("categories").at(0).at("value").as_int64(), 28);
  EXPECT_NE(render_terminal(r).find("; score 26/100 (incomplete: 1 not checked)\n"), std::string::npos);
  EXPECT_NE(render_html(r).find("id=\"score\" data-score=\"26\""), std::string::npos);
  const std::string prom = render_prometheus(r);
  EXPECT_NE(prom.find("\nkinspect_score{cluster=\"prod-east\"} 26\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("\nkinspect_score{cluster=\"prod-east\",category=\"nodes\"} 28\n"), std::string::npos);
  EXPECT_NE(render_junit(r).find("<property name=\"score\" value=\"28/100\"/>"), std::string::npos);
}

}  // namespace
}  // namespace kinspect::report
