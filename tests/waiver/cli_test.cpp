// `kinspect run --waivers` end to end on a copy of examples/cluster: an
// annotation waiver on a pod, a file waiver judged at the snapshot's capture
// time (2026-11-20), and bad waiver files stopping the run with file:line:col.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

namespace {

class WaiverCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kinspect-waiver-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "xdg");
    fs::copy(fs::path(KINSPECT_SOURCE_DIR) / "examples" / "cluster", dir_ / "cluster", fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Annotates one pod of the snapshot, as a team owning its manifest would.
  void annotate_pod(const std::string& name, const std::string& checks, const std::string& reason) {
    fs::path p = dir_ / "cluster" / "pods.json";
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    json::value v = json::parse(ss.str());
    bool found = false;
    for (auto& item : v.at("items").as_array()) {
      auto& meta = item.at("metadata").as_object();
      if (meta.at("name").as_string() != name) continue;
      if (!meta.contains("annotations") || !meta["annotations"].is_object()) meta["annotations"] = json::object();
      meta["annotations"].as_object()["kinspect.io/waive"] = checks;
      meta["annotations"].as_object()["kinspect.io/waive-reason"] = reason;
      found = true;
    }
    ASSERT_TRUE(found) << name;
    std::ofstream(p, std::ios::trunc) << json::serialize(v);
  }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  kinspect::testing::CommandResult run(const std::string& args) {
    return run_command("XDG_CONFIG_HOME=" + sh_quote((dir_ / "xdg").string()) + " " + KINSPECT_BIN +
                       " run --snapshot " + sh_quote((dir_ / "cluster").string()) + " --plugin-dir " +
                       sh_quote(PLUGIN_DIR) + " --check pod-crashloop --fail-on warning " + args);
  }

  static const json::object& crashloop(const json::value& rep) {
    for (const auto& c : rep.at("checks").as_array())
      if (c.at("id").as_string() == "pod-crashloop") return c.as_object();
    throw std::runtime_error("no pod-crashloop in the report");
  }

  fs::path dir_;
};

// The example's one crashlooping pod the check reports (kube-proxy pods are
// left to the add-on checks).
const std::string kCheckout = "pod/payments/checkout-bg8zrrc7h-mlzbv";

size_t on_checkout(const json::value& findings) {
  size_t n = 0;
  for (const auto& f : findings.as_array()) n += f.at("object").as_string().subview().starts_with(kCheckout);
  return n;
}

}  // namespace

TEST_F(WaiverCli, AnnotationFromASnapshotWaivesThatPodsFinding) {
  auto before = run("--format json");
  ASSERT_EQ(before.exit_code, 1) << before.err;
  const size_t found = crashloop(json::parse(before.out)).at("findings").as_array().size();
  ASSERT_EQ(on_checkout(crashloop(json::parse(before.out)).at("findings")), 1u) << before.out;

  annotate_pod("checkout-bg8zrrc7h-mlzbv", "image-*, pod-crashloop", "known, fix in sprint 12");
  auto after = run("--format json");
  json::value rep = json::parse(after.out);
  const auto& c = crashloop(rep);
  EXPECT_EQ(on_checkout(c.at("findings")), 0u);
  EXPECT_EQ(c.at("findings").as_array().size(), found - 1);
  ASSERT_EQ(c.at("waived").as_array().size(), 1u) << after.out;
  EXPECT_EQ(on_checkout(c.at("waived")), 1u);
  const auto& w = c.at("waived").as_array()[0].as_object();
  EXPECT_EQ(w.at("waiver").at("reason").as_string(), "known, fix in sprint 12");
  EXPECT_EQ(w.at("waiver").at("origin").as_string(), "annotation kinspect.io/waive on " + kCheckout);
  EXPECT_EQ(rep.at("summary").at("waived").to_number<uint64_t>(), 1u);
  if (found == 1) {
    EXPECT_EQ(c.at("status").as_string(), "pass");
    EXPECT_EQ(after.exit_code, 0) << after.err;
  }
}

TEST_F(WaiverCli, FileWaiversAreJudgedAtTheSnapshotTimeAndAllWaivedPasses) {
  std::string file = write("waivers.yaml", R"(waivers:
  - check: pod-crashloop
    object: pod/payments/checkout-*
    reason: known, fix in sprint 12
    owner: team-payments
    expires: 2027-01-31
  - check: pod-crashloop
    object: pod/*/*
    reason: this one ran out
    owner: team-platform
    expires: 2026-11-19
  - check: no-such-check
    reason: stale
    owner: nobody
    expires: 2027-01-31
)");
  auto r = run("--format json --waivers " + sh_quote(file));
  json::value rep = json::parse(r.out);
  const auto& c = crashloop(rep);
  // The expired catch-all waives nothing; the checkout waiver takes its pod.
  EXPECT_EQ(on_checkout(c.at("waived")), 1u) << r.out;
  EXPECT_EQ(on_checkout(c.at("findings")), 0u);
  if (c.at("findings").as_array().empty()) {
    EXPECT_EQ(c.at("status").as_string(), "pass") << "a check whose findings are all waived passes";
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  const auto& waivers = rep.at("waivers").as_object();
  ASSERT_EQ(waivers.at("expired").as_array().size(), 1u);
  EXPECT_EQ(waivers.at("expired").as_array()[0].at("expires").as_string(), "2026-11-19");
  EXPECT_EQ(waivers.at("expired").as_array()[0].at("origin").as_string(), file + ":7:5");
  ASSERT_EQ(waivers.at("unmatched").as_array().size(), 1u);
  EXPECT_EQ(waivers.at("unmatched").as_array()[0].at("check").as_string(), "no-such-check");
  EXPECT_NE(r.err.find("expired on 2026-11-19"), std::string::npos) << r.err;

  auto text = run("--format terminal --waivers " + sh_quote(file));
  EXPECT_NE(text.out.find("[waived] " + kCheckout), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("expired pod-crashloop on pod/*/*"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("matched nothing no-such-check"), std::string::npos) << text.out;
}

TEST_F(WaiverCli, BadOrMissingWaiverFilesStopTheRun) {
  std::string bad = write("bad.yaml", "waivers:\n  - check: pod-crashloop\n    reason: r\n    owner: o\n    expires: someday\n");
  auto r = run("--waivers " + sh_quote(bad));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad + ":5:14"), std::string::npos) << r.err;
  auto missing = run("--waivers " + sh_quote((dir_ / "none.yaml").string()));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.yaml"), std::string::npos) << missing.err;
}

TEST_F(WaiverCli, TheDefaultFileIsReadWhenNoWaiversAreGiven) {
  fs::create_directories(dir_ / "xdg" / "kinspect");
  write("xdg/kinspect/waivers.yaml", R"(waivers:
  - check: pod-crashloop
    object: pod/payments/checkout-bg8zrrc7h-mlzbv
    reason: default file
    owner: me
    expires: 2027-01-31
)");
  auto r = run("--format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(crashloop(rep).at("waived").as_array().size(), 1u);
  EXPECT_EQ(rep.at("waivers").at("files").as_array()[0].as_string(), (dir_ / "xdg/kinspect/waivers.yaml").string());
}

// Labels are read only when a waiver selects by label; the objects' own
// annotation waivers apply either way, and both kinds together too.
TEST_F(WaiverCli, LabelAndAnnotationWaiversTogether) {
  annotate_pod("checkout-bg8zrrc7h-mlzbv", "pod-crashloop", "annotated");
  auto annotated_only = run("--format json");
  EXPECT_EQ(on_checkout(crashloop(json::parse(annotated_only.out)).at("waived")), 1u) << annotated_only.out;

  std::string file = write("labels.yaml", R"(waivers:
  - check: pod-crashloop
    kind: Pod
    labels:
      app: check*
    reason: by label
    owner: team-payments
    expires: 2027-01-31
  - check: pod-crashloop
    kind: Pod
    labels:
      app: no-such-app
    reason: matches nothing
    owner: nobody
    expires: 2027-01-31
)");
  auto both = run("--format json --waivers " + sh_quote(file));
  json::value rep = json::parse(both.out);
  const auto& waived = crashloop(rep).at("waived").as_array();
  ASSERT_EQ(on_checkout(crashloop(rep).at("waived")), 1u) << both.out;
  // The file's label waiver comes first; the annotation would have taken it otherwise.
  EXPECT_EQ(waived[0].at("waiver").at("reason").as_string(), "by label") << both.out;
  const auto& unmatched = rep.at("waivers").at("unmatched").as_array();
  ASSERT_EQ(unmatched.size(), 1u) << both.out;
}
