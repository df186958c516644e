// merge_equivalent_findings: a problem kinspect and a tool both report on the
// same object becomes one finding naming both; nothing else moves.
#include <gtest/gtest.h>

#include "core/report/report.h"

namespace kinspect::report {
namespace {

Finding finding(std::string object, std::string target, std::string tool_id = {}, Severity s = Severity::Info) {
  Finding f;
  f.object = std::move(object);
  f.message = "message of " + f.object;
  f.target = std::move(target);
  f.tool_id = std::move(tool_id);
  f.severity = s;
  return f;
}

CheckResult check(std::string id, std::vector<std::string> same_as, std::vector<Finding> findings) {
  CheckResult c;
  c.id = std::move(id);
  c.same_as = std::move(same_as);
  c.status = findings.empty() ? Status::Pass : Status::Fail;
  c.findings = std::move(findings);
  return c;
}

Report two_sources() {
  Report r;
  r.checks.push_back(check("run-as-non-root-not-enforced", {"polaris:runAsRootAllowed"},
                           {finding("deployment/frontend/app@shop", "shop/deployment/frontend/app"),
                            finding("deployment/cart/app@search", "search/deployment/cart/app")}));
  r.checks.push_back(check("polaris-danger", {},
                           {finding("deployment/frontend/app@shop#runAsRootAllowed", "shop/deployment/frontend/app",
                                     "polaris:runAsRootAllowed", Severity::Warning),
                            finding("deployment/frontend/app@shop#runAsPrivileged", "shop/deployment/frontend/app",
                                    "polaris:runAsPrivileged", Severity::Warning),
                            finding("deployment/other/app@shop#runAsRootAllowed", "shop/deployment/other/app",
                                    "polaris:runAsRootAllowed", Severity::Warning)}));
  return r;
}

TEST(ReportEquivalents, SameToolIdOnTheSameTargetIsOneFinding) {
  Report r = two_sources();
  const uint64_t before = r.summary().findings;
  merge_equivalent_findings(r);
  const CheckResult& native = r.checks[0];
  const CheckResult& polaris = r.checks[1];
  ASSERT_EQ(native.findings.size(), 2u);
  ASSERT_EQ(native.findings[0].also.size(), 1u);
  EXPECT_EQ(native.findings[0].also[0].check_id, "polaris-danger");
  EXPECT_EQ(native.findings[0].also[0].tool_id, "polaris:runAsRootAllowed");
  EXPECT_EQ(native.findings[0].also[0].object, "deployment/frontend/app@shop#runAsRootAllowed");
  EXPECT_EQ(native.findings[0].also[0].message, "message of deployment/frontend/app@shop#runAsRootAllowed");
  EXPECT_EQ(native.findings[0].severity, Severity::Warning) << "the higher of the two";
  EXPECT_TRUE(native.findings[1].also.empty()) << "Polaris said nothing about cart";
  // Another id on the same object, and the same id on another object, stay.
  ASSERT_EQ(polaris.findings.size(), 2u);
  EXPECT_EQ(polaris.findings[0].tool_id, "polaris:runAsPrivileged");
  EXPECT_EQ(polaris.findings[1].target, "shop/deployment/other/app");
  EXPECT_EQ(polaris.merged, 1u);
  EXPECT_EQ(polaris.status, Status::Fail);
  EXPECT_EQ(r.summary().findings, before - 1) << "counted once";
}

TEST(ReportEquivalents, NothingMovesWithoutADeclaration) {
  Report r = two_sources();
  r.checks[0].same_as.clear();
  merge_equivalent_findings(r);
  EXPECT_EQ(r.checks[1].findings.size(), 3u);
  EXPECT_EQ(r.checks[1].merged, 0u);
  for (const auto& f : r.checks[0].findings) EXPECT_TRUE(f.also.empty());
}

TEST(ReportEquivalents, AHigherNativeSeverityIsKept) {
  Report r = two_sources();
  r.checks[0].findings[0].severity = Severity::Critical;
  merge_equivalent_findings(r);
  EXPECT_EQ(r.checks[0].findings[0].severity, Severity::Critical);
  EXPECT_EQ(r.checks[0].findings[0].also.at(0).severity, Severity::Warning);
}

}  // namespace
}  // namespace kinspect::report
