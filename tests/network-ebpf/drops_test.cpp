// The drop tracer on the real kernel: packets sent between two namespaces
// (kebpf_fixture.h) and dropped by a planted iptables rule, by strict
// rp_filter and for want of a socket are counted by net.drops with their
// reason, location, 5-tuple and namespace; net.drop_stacks has their stacks.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <future>
#include <map>

#include <sys/utsname.h>

#include <cstdio>
#include <thread>

#include "core/plugin/registry.h"
#include "kebpf_fixture.h"
#include "tests/common/plugin_rows.h"

namespace json = boost::json;
using namespace kebpf_test;

namespace {

std::unique_ptr<kinspect::PluginRegistry> tracer_registry(const json::object& settings = {}) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/network-ebpf.so"};
  o.config["network-ebpf"] = json::serialize(settings);
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

// Waits until the tracer's program is in the kernel (it is attached right
// after it is loaded), at most 10 s.
bool tracer_attached() {
  for (int i = 0; i < 100; ++i) {
    if (tracer_objects().find("kinspect_kfree_") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Reads `table` over a window of `seconds` on namespace a, running `traffic`
// once the tracer is attached. The windows leave seconds to spare: each send
// starts a Python, which takes long on a loaded machine, and traffic sent
// after the window would be missed.
std::vector<json::object> trace(kinspect::PluginRegistry& reg, const std::string& table, const std::string& netns,
                                int seconds, const std::function<void()>& traffic) {
  auto rows = std::async(std::launch::async, [&] {
    return kinspect::testing::plugin_rows(reg, table, {json::value(std::to_string(seconds) + "s"), json::value(netns)});
  });
  EXPECT_TRUE(tracer_attached()) << "the tracer's program never appeared in `bpftool prog list`";
  traffic();
  return rows.get();
}

struct Sum {
  int64_t packets = 0;
  const json::object* first = nullptr;
};

// The packets of rows whose fields equal `want`.
Sum sum_where(const std::vector<json::object>& rows, const json::object& want) {
  Sum s;
  for (const auto& r : rows) {
    bool match = true;
    for (const auto& kv : want) match = match && r.contains(kv.key()) && r.at(kv.key()) == kv.value();
    if (!match) continue;
    s.packets += r.at("packets").as_int64();
    if (!s.first) s.first = &r;
  }
  return s;
}

void expect_within_5_percent(int64_t got, int64_t sent, const std::string& what) {
  EXPECT_GE(got, sent * 95 / 100) << what;
  EXPECT_LE(got, sent * 105 / 100) << what;
}

class Drops : public ::testing::Test {
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
TwoNamespaces* Drops::world_ = nullptr;

}  // namespace

TEST_F(Drops, PlantedIptablesDropIsNetfilterDropWithFlowAndNamespace) {
  auto reg = tracer_registry();
  auto rows = trace(*reg, "net.drops", ns().a(), 7, [&] {
    ns().send("udp 10.78.0.1 9999 200");
    ns().send("syn 10.78.0.1 9998 50");
  });
  const int64_t netns = ns().inode_a();
  Sum udp = sum_where(rows, {{"reason", "NETFILTER_DROP"}, {"protocol", "udp"}, {"dport", 9999}});
  expect_within_5_percent(udp.packets, 200, "UDP datagrams to the dropped port");
  ASSERT_TRUE(udp.first);
  EXPECT_EQ(udp.first->at("src"), "10.78.0.2");
  EXPECT_EQ(udp.first->at("dst"), "10.78.0.1");
  EXPECT_EQ(udp.first->at("family"), "inet");
  EXPECT_EQ(udp.first->at("netns").as_int64(), netns);
  // iptables-nft drops in nft_do_chain, legacy iptables in nf_hook_slow.
  const std::string fn(udp.first->at("function").as_string());
  EXPECT_TRUE(fn == "nft_do_chain" || fn == "nf_hook_slow") << json::serialize(*udp.first);
  EXPECT_EQ(std::string(udp.first->at("location").as_string()).rfind(fn + "+0x", 0), 0u) << udp.first->at("location");
  EXPECT_TRUE(udp.first->at("sport").is_int64());
  EXPECT_TRUE(udp.first->at("ifindex").is_int64());

  Sum syn = sum_where(rows, {{"reason", "NETFILTER_DROP"}, {"protocol", "tcp"}, {"dport", 9998}, {"tcp_flags", "SYN"}});
  expect_within_5_percent(syn.packets, 50, "TCP SYNs to the dropped port");
  ASSERT_TRUE(syn.first);
  EXPECT_EQ(syn.first->at("src"), "10.78.0.2");
  EXPECT_EQ(syn.first->at("netns").as_int64(), netns);
  // Only namespace a was traced.
  for (const auto& r : rows) EXPECT_EQ(r.at("netns").as_int64(), netns) << json::serialize(r);
}

TEST_F(Drops, StacksOfTheSameWindowAreSymbolized) {
  auto reg = tracer_registry();
  auto drops = trace(*reg, "net.drops", ns().a(), 4, [&] { ns().send("udp 10.78.0.1 9999 20"); });
  // The stacks table with the same arguments reads the same window.
  auto stacks = kinspect::testing::plugin_rows(*reg, "net.drop_stacks", {json::value("4s"), json::value(ns().a())});
  Sum udp = sum_where(drops, {{"reason", "NETFILTER_DROP"}, {"dport", 9999}});
  ASSERT_TRUE(udp.first && udp.first->at("stack_id").is_int64());
  const json::object* stack = nullptr;
  for (const auto& s : stacks)
    if (s.at("stack_id") == udp.first->at("stack_id")) stack = &s;
  ASSERT_TRUE(stack) << "no net.drop_stacks row for stack " << udp.first->at("stack_id");
  const std::string line(stack->at("stack").as_string());
  EXPECT_NE(line.find("nf_hook_slow"), std::string::npos) << line;
  EXPECT_NE(line.find("ip_local_deliver"), std::string::npos) << line;
  EXPECT_GE(stack->at("packets").as_int64(), 19);
}

TEST_F(Drops, RemovingTheRuleStopsNetfilterDropsAndLeavesNoSocketDrops) {
  auto reg = tracer_registry();
  ASSERT_TRUE(ns().remove_rules());
  auto rows = trace(*reg, "net.drops", ns().a(), 7, [&] {
    ns().send("udp 10.78.0.1 9999 100");
    ns().send("syn 10.78.0.1 9998 20");
  });
  ASSERT_TRUE(ns().add_rules());
  EXPECT_EQ(sum_where(rows, {{"reason", "NETFILTER_DROP"}}).packets, 0);
  // Nothing listens there: the same datagrams now die for want of a socket.
  Sum udp = sum_where(rows, {{"reason", "NO_SOCKET"}, {"protocol", "udp"}, {"dport", 9999}});
  expect_within_5_percent(udp.packets, 100, "UDP datagrams to a port without a socket");
  ASSERT_TRUE(udp.first);
  EXPECT_EQ(udp.first->at("src"), "10.78.0.2");
  Sum tcp = sum_where(rows, {{"reason", "NO_SOCKET"}, {"protocol", "tcp"}, {"dport", 9998}});
  expect_within_5_percent(tcp.packets, 20, "TCP SYNs to a port without a socket");
  if (tcp.packets == 0)
    for (const auto& r : rows) ADD_FAILURE() << json::serialize(r);
}

TEST_F(Drops, SpoofedSourceIsAnRpFilterDrop) {
  auto reg = tracer_registry();
  auto rows = trace(*reg, "net.drops", ns().a(), 5, [&] { ns().send("udp 10.78.0.1 9997 30 10.79.0.5"); });
  Sum rp = sum_where(rows, {{"reason", "IP_RPFILTER"}, {"src", "10.79.0.5"}});
  expect_within_5_percent(rp.packets, 30, "datagrams from a source namespace a has no route back to");
  ASSERT_TRUE(rp.first);
  EXPECT_EQ(rp.first->at("dst"), "10.78.0.1");
  EXPECT_EQ(rp.first->at("dport"), 9997);
}

// Each CPU counts its current flow on its own and adds it to the shared map
// when another flow's drop comes: flows that take turns must still add up,
// each under its own source port.
TEST_F(Drops, FlowsTakingTurnsAreEachCountedWhole) {
  auto reg = tracer_registry();
  auto rows = trace(*reg, "net.drops", ns().a(), 6, [&] { ns().send("flows 10.78.0.1 9999 3 40"); });
  std::map<int64_t, int64_t> by_port;
  for (const auto& r : rows)
    if (r.at("reason") == "NETFILTER_DROP" && r.at("dport") == 9999) by_port[r.at("sport").as_int64()] += r.at("packets").as_int64();
  ASSERT_EQ(by_port.size(), 3u) << "one row per source port";
  for (const auto& [port, packets] : by_port) expect_within_5_percent(packets, 40, "flow from port " + std::to_string(port));
}

// More flows than max_keys: the window keeps exactly max_keys of them, whole,
// and never more; the rest are counted as lost (a warning), not dropped silently.
TEST_F(Drops, TheKeyBoundKeepsThatManyFlows) {
  auto reg = tracer_registry({{"max_keys", 16}});
  auto rows = trace(*reg, "net.drops", ns().a(), 6, [&] { ns().send("flows 10.78.0.1 9999 40 2"); });
  EXPECT_EQ(rows.size(), 16u);
  // 40 flows of 2 datagrams: a kept flow has both of its own. (A stray drop
  // of the namespace's own, such as IPv6 neighbour discovery, may take a key.)
  size_t flows = 0;
  for (const auto& r : rows) {
    if (r.at("dport") != 9999) continue;
    ++flows;
    EXPECT_EQ(r.at("packets").as_int64(), 2) << json::serialize(r);
  }
  EXPECT_GE(flows, 14u);
}

// The program that reads packets with bpf_probe_read_kernel is the one older
// kernels get; packet_reads = probe_read makes this kernel run
// it too, and it must count and name the drops as the direct-load one does.
TEST_F(Drops, ThePortableProgramCountsTheSameDrops) {
  auto reg = tracer_registry({{"packet_reads", "probe_read"}});
  std::string attached;
  auto rows = trace(*reg, "net.drops", ns().a(), 7, [&] {
    attached = tracer_objects();
    ns().send("udp 10.78.0.1 9999 200");
    ns().send("flows 10.78.0.1 9999 3 20");
    ns().send("syn 10.78.0.1 9998 50");
  });
  EXPECT_NE(attached.find("name kinspect_kfree_skb_probe_read"), std::string::npos) << attached;
  Sum udp = sum_where(rows, {{"reason", "NETFILTER_DROP"}, {"protocol", "udp"}, {"dport", 9999}});
  expect_within_5_percent(udp.packets, 260, "UDP datagrams to the dropped port");
  ASSERT_TRUE(udp.first);
  EXPECT_EQ(udp.first->at("src"), "10.78.0.2");
  EXPECT_EQ(udp.first->at("dst"), "10.78.0.1");
  Sum syn = sum_where(rows, {{"reason", "NETFILTER_DROP"}, {"protocol", "tcp"}, {"dport", 9998}, {"tcp_flags", "SYN"}});
  expect_within_5_percent(syn.packets, 50, "TCP SYNs to the dropped port");
}

// By default the cheaper program runs where the verifier accepts it: on 6.18
// (where it was measured) it must; on older kernels either may, by version.
TEST_F(Drops, TheDirectLoadProgramRunsWhereTheKernelAllowsIt) {
  auto reg = tracer_registry();
  std::string attached;
  trace(*reg, "net.drops", ns().a(), 2, [&] { attached = tracer_objects(); });
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  const bool direct = major > 6 || (major == 6 && minor >= 18);
  const bool has_direct = attached.find("name kinspect_kfree_skb \n") != std::string::npos;
  const bool has_probe = attached.find("name kinspect_kfree_skb_probe_read") != std::string::npos;
  EXPECT_NE(has_direct, has_probe) << "exactly one of the two programs is attached:\n" << attached;
  if (direct) {
    EXPECT_TRUE(has_direct) << "kernel " << u.release << ":\n" << attached;
  }
}

TEST_F(Drops, BadArgumentsFailAtOnceNamingTheArgument) {
  auto reg = tracer_registry();
  auto err = [&](std::vector<json::value> args) {
    std::string msg;
    auto st = reg->scan_table(kinspect::ScanSpec{"net.drops", std::move(args), {}}, [](std::string_view) {
      return kinspect::Status::Ok();
    }, nullptr);
    return st.ok() ? std::string() : st.error().message();
  };
  EXPECT_NE(err({json::value("soon")}).find("duration must be a window"), std::string::npos);
  EXPECT_NE(err({json::value("0s")}).find("above 0"), std::string::npos);
  EXPECT_NE(err({json::value("10m")}).find("at most 300s"), std::string::npos);
  EXPECT_NE(err({json::value("1s"), json::value("kebpf-no-such-ns")}).find("'kebpf-no-such-ns' cannot be opened"), std::string::npos);
}
