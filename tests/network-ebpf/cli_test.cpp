// `kinspect trace drops` and `kinspect query` as a user runs them, against
// drops planted in the namespaces of kebpf_fixture.h: the JSON view has the
// drops with reason, location and 5-tuple, --reason filters them, and a query
// joining net.drops with the network plugin's net.iptables_rules names the
// rule that dropped them.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "kebpf_fixture.h"

namespace json = boost::json;
using namespace kebpf_test;
using kinspect::testing::sh_quote;

namespace {

const std::string kKinspect = std::string(KINSPECT_BIN) + " --color never";

bool attached() {
  for (int i = 0; i < 150; ++i) {
    if (tracer_objects().find("kinspect_kfree_") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Runs `cmd` in the background and, once the tracer is attached, `traffic`.
kinspect::testing::CommandResult run_while(const std::string& cmd, const std::function<void()>& traffic) {
  auto result = std::async(std::launch::async, [&] { return run_command(cmd); });
  EXPECT_TRUE(attached()) << "the tracer never attached for: " << cmd;
  traffic();
  return result.get();
}

class DropsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (missing_prerequisite().empty()) world_ = new TwoNamespaces();
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    if (auto why = missing_prerequisite(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(world_ && world_->ok());
  }
  static const TwoNamespaces& ns() { return *world_; }
  static TwoNamespaces* world_;
};
TwoNamespaces* DropsCli::world_ = nullptr;

}  // namespace

TEST_F(DropsCli, TraceDropsPrintsJsonWithReasonLocationAndFlow) {
  auto r = run_while(kKinspect + " trace drops --duration 6s --netns " + ns().a(), [&] {
    ns().send("udp 10.78.0.1 9999 40");
  });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = json::parse(r.out);
  ASSERT_TRUE(v.is_array()) << r.out;
  const json::object* hit = nullptr;
  for (const auto& row : v.as_array())
    if (row.at("reason") == "NETFILTER_DROP" && row.at("dport") == 9999) hit = &row.as_object();
  ASSERT_TRUE(hit) << r.out;
  EXPECT_EQ(hit->at("protocol"), "udp");
  EXPECT_EQ(hit->at("src"), "10.78.0.2");
  EXPECT_EQ(hit->at("dst"), "10.78.0.1");
  const std::string location(hit->at("location").as_string());
  EXPECT_TRUE(location.rfind("nft_do_chain+0x", 0) == 0 || location.rfind("nf_hook_slow+0x", 0) == 0) << location;
  EXPECT_GE(hit->at("packets").as_int64(), 38);
  EXPECT_EQ(hit->at("netns").as_int64(), ns().inode_a());
}

TEST_F(DropsCli, TraceDropsReasonFilterKeepsOnlyThatReason) {
  auto r = run_while(kKinspect + " trace drops --duration 7s --reason no_socket --netns " + ns().a(), [&] {
    ns().send("udp 10.78.0.1 9999 10");  // NETFILTER_DROP: filtered out
    ns().send("udp 10.78.0.1 9995 10");  // nothing listens: NO_SOCKET
  });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = json::parse(r.out);
  ASSERT_TRUE(v.is_array() && !v.as_array().empty()) << r.out;
  for (const auto& row : v.as_array()) EXPECT_EQ(row.at("reason"), "NO_SOCKET") << json::serialize(row);
}

TEST_F(DropsCli, TraceDropsRefusesABadDuration) {
  auto r = run_command(kKinspect + " trace drops --duration soon");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--duration takes a duration such as 10s"), std::string::npos) << r.err;
}

TEST_F(DropsCli, QueryJoiningDropsWithIptablesRulesNamesTheRule) {
  // The first packet of a flow may take another kernel path (another stack,
  // so another row of net.drops): the rows are added up per rule.
  const std::string q =
      "SELECT sum(d.packets) AS packets, d.dport AS dport, r.chain AS chain, r.position AS position, r.rule AS rule "
      "FROM net.drops('6s', '" + ns().a() + "') d "
      "JOIN net.iptables_rules r ON r.target = 'DROP' AND r.protocol = d.protocol "
      "JOIN UNNEST(r.dports) AS p ON d.dport BETWEEN p.from AND p.to "
      "WHERE d.reason = 'NETFILTER_DROP' GROUP BY d.dport, r.chain, r.position, r.rule";
  auto r = run_while(kKinspect + " query --format json --set network.netns=" + ns().a() + " " + sh_quote(q), [&] {
    ns().send("udp 10.78.0.1 9999 30");
  });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = json::parse(r.out);
  ASSERT_EQ(v.as_array().size(), 1u) << r.out;
  const auto& row = v.as_array()[0].as_object();
  EXPECT_EQ(row.at("chain"), "INPUT");
  EXPECT_EQ(row.at("position"), 1);
  EXPECT_EQ(row.at("dport"), 9999);
  EXPECT_NE(std::string(row.at("rule").as_string()).find("--dport 9999"), std::string::npos) << row.at("rule");
  EXPECT_GE(row.at("packets").as_int64(), 28);
}
