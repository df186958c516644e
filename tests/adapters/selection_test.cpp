// Which adapter checks run: those of the tools whose results were given
// (--with TOOL), whatever the profile includes; and every check in
// checks/adapters/ is built so that this rule applies to it.
#include "core/profile/profile.h"
#include "harness.h"

namespace adapters_test {
namespace {

using kinspect::CheckInfo;
using kinspect::Profile;
using kinspect::ProfileSet;

std::vector<std::string> ids(const std::vector<const CheckInfo*>& selected) {
  std::vector<std::string> out;
  for (const auto* c : selected) out.push_back(c->id);
  return out;
}

const std::vector<CheckInfo> kChecks = {
    {"privileged-container", "security", {"security"}, {}},
    {"kube-bench-failed", "adapters", {"with-kube-bench", "cis"}, {}},
    {"polaris-danger", "adapters", {"with-polaris"}, {}},
};

TEST(AdapterSelection, OnlyTheToolsGivenWhateverTheProfileIncludes) {
  Profile p;
  p.include = {"category:security"};
  EXPECT_EQ(ids(ProfileSet::select_checks(p, kChecks)), (std::vector<std::string>{"privileged-container"}));
  EXPECT_EQ(ids(ProfileSet::select_checks(p, kChecks, {"kube-bench"})),
            (std::vector<std::string>{"privileged-container", "kube-bench-failed"}));
  Profile everything;  // no include list: every check, but still no adapter check without its input
  EXPECT_EQ(ids(ProfileSet::select_checks(everything, kChecks)), (std::vector<std::string>{"privileged-container"}));
  Profile greedy;
  greedy.include = {"category:adapters", "kube-bench-*"};
  EXPECT_TRUE(ids(ProfileSet::select_checks(greedy, kChecks)).empty()) << "including them by name is not enough";
  Profile no_polaris;
  no_polaris.include = {"category:security"};
  no_polaris.exclude = {"tag:with-polaris"};
  EXPECT_EQ(ids(ProfileSet::select_checks(no_polaris, kChecks, {"polaris", "kube-bench"})),
            (std::vector<std::string>{"privileged-container", "kube-bench-failed"}))
      << "a profile may still turn a tool off";
}

TEST(AdapterSelection, EveryAdapterCheckNamesItsToolAndBindsAgainstItsPlugin) {
  ASSERT_GE(adapter_checks().size(), 11u);
  for (const auto& c : adapter_checks()) {
    SCOPED_TRACE(c.id + " (" + c.file + ")");
    EXPECT_EQ(c.category, "adapters");
    std::vector<std::string> tools;
    for (const auto& t : c.tags)
      if (t.rfind("with-", 0) == 0) tools.push_back(t.substr(5));
    ASSERT_EQ(tools.size(), 1u) << "one with-TOOL tag";
    EXPECT_EQ(fs::path(c.file).stem().string(), tools[0]) << "checks/adapters/<tool>.kcql";
    EXPECT_EQ(c.component, tools[0]);
    EXPECT_FALSE(c.remedy.empty());
    EXPECT_EQ(c.doc_url.rfind("https://", 0), 0u);
    // Binding against the tool's plugin alone: it reads nothing else.
    auto reg = adapter(tools[0], "");
    auto bound = kcql::bind_check(c, *reg, {});
    EXPECT_TRUE(bound.ok()) << (bound.ok() ? "" : bound.error().format());
  }
}

TEST(AdapterSelection, DocsNameEveryCheckAndTable) {
  const std::string doc = slurp(std::string(KINSPECT_SOURCE_DIR) + "/docs/adapters.md");
  for (const auto& c : adapter_checks()) EXPECT_NE(doc.find("`" + c.id + "`"), std::string::npos) << c.id;
  for (const char* tool : {"kube-bench", "sonobuoy", "polaris", "kube-hunter", "popeye"}) {
    auto reg = adapter(tool, "");
    for (const auto& t : reg->names()) EXPECT_NE(doc.find("`" + t + "`"), std::string::npos) << t;
  }
}

}  // namespace
}  // namespace adapters_test
