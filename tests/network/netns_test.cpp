// The network plugin in real network namespaces: two namespaces joined by a
// veth pair, with a VXLAN link (unbound, so its MTU may exceed what the
// default route's device leaves room for), routes, a policy rule, a blackhole, a FAILED
// neighbour, sysctls, a listening socket, an iptables DROP on 10250/tcp and
// an nftables drop on 8472/udp planted in the first. The tables are read
// with network.netns set, and `kinspect run --profile network` names the
// planted rule, its chain, its position and the port. Traffic stays inside
// these namespaces; they are removed when the test ends, failed or not.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <thread>

#include "core/plugin/registry.h"
#include "network_test_util.h"
#include "tests/common/run_command.h"

namespace json = boost::json;
using kinspect::testing::run_command;
using namespace network_test;

namespace {

// Why this machine cannot run the namespace tests, or "".
std::string missing_prerequisite() {
  if (::geteuid() != 0) return "creating network namespaces needs root";
  for (const char* tool : {"ip", "iptables", "nft", "python3"})
    if (run_command(std::string("command -v ") + tool).exit_code != 0) return std::string(tool) + " is not installed (scripts/setup installs it)";
  return "";
}

bool sh(const std::string& cmd) {
  auto r = run_command(cmd);
  if (r.exit_code != 0) ADD_FAILURE() << cmd << ": exit " << r.exit_code << ": " << r.err;
  return r.exit_code == 0;
}

// Two namespaces, "a" with the planted problems and "b" as its peer.
class PlantedNamespaces {
 public:
  PlantedNamespaces() : a_("kinspect-net-" + std::to_string(::getpid()) + "-a"), b_("kinspect-net-" + std::to_string(::getpid()) + "-b") {
    ok_ = sh("ip netns add " + a_) && sh("ip netns add " + b_) && plant();
  }
  ~PlantedNamespaces() {
    if (listener_ > 0) run_command("kill " + std::to_string(listener_));
    run_command("ip netns del " + a_);
    run_command("ip netns del " + b_);
  }
  bool ok() const { return ok_; }
  const std::string& a() const { return a_; }

 private:
  bool plant() {
    const std::string A = "ip -n " + a_ + " ", B = "ip -n " + b_ + " ", inA = "ip netns exec " + a_ + " ";
    bool ok = sh(A + "link set lo up") && sh(B + "link set lo up") &&
              sh(A + "link add kn-va type veth peer name kn-vb netns " + b_) &&
              sh(A + "addr add 10.77.0.1/24 dev kn-va") && sh(B + "addr add 10.77.0.2/24 dev kn-vb") &&
              sh(A + "link set kn-va up") && sh(B + "link set kn-vb up") &&
              sh(A + "link add kn-vx type vxlan id 42 dstport 8472 local 10.77.0.1") &&
              sh(A + "link set kn-vx mtu 1500 up") && sh(A + "route add blackhole 10.98.0.0/24") &&
              sh(A + "route add default via 10.77.0.2") && sh(A + "route add 10.244.2.0/24 via 10.77.0.2 table 100") &&
              sh(A + "rule add from 10.77.0.0/24 lookup 100 priority 100") &&
              // One ARP probe 100 ms apart: an unanswered neighbour turns FAILED at once.
              sh(inA + "sysctl -qw net.ipv4.neigh.kn-va.mcast_solicit=1 net.ipv4.neigh.kn-va.retrans_time_ms=100") &&
              sh(inA + "sysctl -qw net.ipv4.ip_forward=0") && sh(inA + "sysctl -qw net.core.somaxconn=64") &&
              sh(inA + "iptables -A INPUT -p tcp --dport 22 -j ACCEPT") &&
              sh(inA + "iptables -A INPUT -p tcp -m comment --comment 'hardening script' --dport 10250 -j DROP") &&
              sh(inA + "nft add table inet kntest") &&
              sh(inA + "nft add chain inet kntest input '{ type filter hook input priority 0; policy accept; }'") &&
              sh(inA + "nft add rule inet kntest input udp dport 8472 counter drop");
    if (!ok) return false;
    // A listener owned by a process we know, and a neighbour that never answers.
    auto r = run_command(inA + "sh -c 'exec python3 -c \"import socket,time; s=socket.socket(); s.bind((\\\"127.0.0.1\\\", 10259)); s.listen(); time.sleep(60)\" >/dev/null 2>&1 & echo $!'");
    listener_ = std::atoi(r.out.c_str());
    // One datagram to an address nobody has: ARP asks on kn-va, gets no answer, FAILED.
    run_command(inA + "python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('10.77.0.9', 9))\"");
    for (int i = 0; i < 50; ++i) {
      if (run_command(A + "neigh show 10.77.0.9").out.find("FAILED") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (int i = 0; i < 50; ++i) {
      if (run_command(inA + "cat /proc/net/tcp").out.find(":2813") != std::string::npos) break;  // 10259
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  std::string a_, b_;
  bool ok_ = false;
  int listener_ = 0;
};

// The namespaces are planted once for the suite and removed after it, also
// when a test fails.
class Netns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (missing_prerequisite().empty()) planted_ = new PlantedNamespaces();
  }
  static void TearDownTestSuite() {
    delete planted_;
    planted_ = nullptr;
  }
  void SetUp() override {
    if (auto why = missing_prerequisite(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(planted_ && planted_->ok());
  }
  static const PlantedNamespaces& ns() { return *planted_; }
  static PlantedNamespaces* planted_;
};
PlantedNamespaces* Netns::planted_ = nullptr;

}  // namespace

TEST_F(Netns, KernelTablesReadInsideTheNamespace) {
  auto reg = network_registry({{"netns", ns().a()}});

  auto links = rows(*reg, "net.links");
  const json::object* vx = find_row(links, "name", "kn-vx");
  ASSERT_NE(vx, nullptr);
  EXPECT_EQ(vx->at("kind"), "vxlan");
  EXPECT_EQ(vx->at("vni"), 42);
  EXPECT_EQ(vx->at("udp_port"), 8472);
  EXPECT_TRUE(vx->at("parent").is_null()) << "no underlay device given: the kernel caps a bound VXLAN's MTU";
  EXPECT_EQ(vx->at("mtu"), 1500);
  const json::object* va = find_row(links, "name", "kn-va");
  ASSERT_NE(va, nullptr);
  EXPECT_EQ(va->at("kind"), "veth");
  EXPECT_EQ(va->at("driver"), "veth");
  EXPECT_EQ(va->at("parent_in_other_netns"), true);
  EXPECT_EQ(find_row(links, "name", "eth0"), nullptr) << "the host's links must not show";

  auto addrs = rows(*reg, "net.addresses");
  const json::object* a = find_row(addrs, "cidr", "10.77.0.1/24");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->at("interface"), "kn-va");

  auto routes = rows(*reg, "net.routes");
  const json::object* bh = find_row(routes, "destination", "10.98.0.0/24");
  ASSERT_NE(bh, nullptr);
  EXPECT_EQ(bh->at("type"), "blackhole");
  const json::object* t100 = find_row(routes, "destination", "10.244.2.0/24");
  ASSERT_NE(t100, nullptr);
  EXPECT_EQ(t100->at("table"), "100");
  EXPECT_EQ(t100->at("gateway"), "10.77.0.2");
  EXPECT_EQ(t100->at("device"), "kn-va");

  auto rules = rows(*reg, "net.rules");
  const json::object* pr = find_row(rules, "priority", 100);
  ASSERT_NE(pr, nullptr);
  EXPECT_EQ(pr->at("source"), "10.77.0.0/24");
  EXPECT_EQ(pr->at("table"), "100");

  auto neigh = rows(*reg, "net.neighbors");
  const json::object* n = find_row(neigh, "address", "10.77.0.9");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->at("state"), "FAILED");
}

TEST_F(Netns, FilesAndRulesetsReadInsideTheNamespace) {
  auto reg = network_registry({{"netns", ns().a()}});
  auto sysctls = rows(*reg, "net.sysctl");
  ASSERT_NE(find_row(sysctls, "name", "net.ipv4.ip_forward"), nullptr);
  EXPECT_EQ(find_row(sysctls, "name", "net.ipv4.ip_forward")->at("value_int"), 0);
  EXPECT_EQ(find_row(sysctls, "name", "net.core.somaxconn")->at("value_int"), 64);
  ASSERT_NE(find_row(sysctls, "name", "net.ipv4.conf.kn-va.rp_filter"), nullptr);

  auto socks = rows(*reg, "net.sockets");
  const json::object* s = find_row(socks, "port", 10259);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->at("address"), "127.0.0.1");
  EXPECT_EQ(s->at("process"), "python3");

  auto ipt = rows(*reg, "net.iptables_rules");
  const json::object* drop = find_row(ipt, "target", "DROP");
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->at("chain"), "INPUT");
  EXPECT_EQ(drop->at("position"), 2);
  EXPECT_EQ(drop->at("comment"), "hardening script");
  EXPECT_EQ(json::serialize(drop->at("dports")), R"([{"from":10250,"to":10250}])");
  EXPECT_NE(std::string(drop->at("source_file").as_string()).find("in network namespace " + ns().a()), std::string::npos);

  auto nft = rows(*reg, "net.nft_rules");
  const json::object* nd = find_row(nft, "table", "kntest");
  ASSERT_NE(nd, nullptr);
  EXPECT_EQ(nd->at("verdict"), "drop");
  EXPECT_EQ(json::serialize(nd->at("dports")), R"([{"from":8472,"to":8472}])");
  EXPECT_EQ(rows(*reg, "net.dump_errors").size(), 0u);
}

TEST_F(Netns, ProfileNamesThePlantedRuleAndItsPort) {
  auto r = run_command(std::string(KINSPECT_BIN) + " run --profile network --plugin-dir " + PLUGIN_DIR +
                       " --set network.netns=" + ns().a() + " --format json");
  EXPECT_EQ(r.exit_code, 1) << "critical findings fail the run: " << r.err;
  json::value rep = json::parse(r.out);
  std::map<std::string, std::vector<std::string>> fired;
  for (const auto& c : rep.at("checks").as_array()) {
    EXPECT_NE(c.at("status"), "error") << c.at("id") << ": " << c.at("reason");
    for (const auto& f : c.at("findings").as_array()) fired[std::string(c.at("id").as_string())].emplace_back(f.at("message").as_string());
  }
  ASSERT_EQ(fired["net-iptables-blocks-kubelet"].size(), 1u);
  EXPECT_EQ(fired["net-iptables-blocks-kubelet"][0],
            "rule 2 of chain INPUT (table filter, ipv4, nf_tables) drops tcp port 10250 (the kubelet API port): "
            "-A INPUT -p tcp -m comment --comment \"hardening script\" -m tcp --dport 10250 -j DROP");
  ASSERT_EQ(fired["net-nft-blocks-vxlan"].size(), 1u);
  EXPECT_NE(fired["net-nft-blocks-vxlan"][0].find("of chain input in table inet kntest drops udp port 8472"), std::string::npos);
  EXPECT_EQ(fired["net-ip-forward-disabled"].size(), 1u);
  EXPECT_EQ(fired["net-somaxconn-low"].size(), 1u);
  EXPECT_EQ(fired["net-blackhole-route"].size(), 1u);
  EXPECT_EQ(fired["net-neighbor-failed"].size(), 1u);
  ASSERT_EQ(fired["net-overlay-mtu-too-large"].size(), 1u);
  EXPECT_NE(fired["net-overlay-mtu-too-large"][0].find("vxlan link kn-vx has MTU 1500, but its underlay kn-va has 1500"), std::string::npos);
  // Nothing planted for these: they must stay silent.
  for (const char* quiet : {"net-iptables-blocks-apiserver", "net-default-route-missing", "net-forward-policy-drop", "net-dump-unparseable"})
    EXPECT_EQ(fired[quiet].size(), 0u) << quiet;
}

// Drops that rise now: frames of an EtherType no protocol handles (0x88b5,
// IEEE's local experimental one) sent through AF_PACKET from "a" are counted
// as received-and-dropped by the veth peer in "b". While a sender runs,
// net.link_counters in "b" sees kn-vb's rx_dropped rise and the
// network-drops profile's net-link-drops-rising names the link; kn-va, which
// only sends, stays silent.
TEST_F(Netns, LinkCountersSeeDropsRiseWhileTheyHappen) {
  const std::string b = ns().a().substr(0, ns().a().size() - 1) + "b";
  const std::string sender =
      "ip netns exec " + ns().a() + " python3 -c \"import socket,time\n"
      "s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('kn-va', 0))\n"
      "f=bytes.fromhex('ffffffffffff020000000001' '88b5') + bytes(46)\n"
      "end=time.time()+15\n"
      "while time.time() < end:\n"
      "  s.send(f); time.sleep(0.002)\n\" >/dev/null 2>&1 & echo $!";
  auto started = run_command(sender);
  const int pid = std::atoi(started.out.c_str());
  ASSERT_GT(pid, 0) << started.err;
  // The window opens only once frames flow: on a loaded machine the sender's
  // start can take longer than the window.
  auto rx_dropped = [&] {
    return std::atoll(run_command("ip netns exec " + b + " cat /sys/class/net/kn-vb/statistics/rx_dropped").out.c_str());
  };
  const long long first = rx_dropped();
  for (int i = 0; i < 100 && rx_dropped() == first; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_GT(rx_dropped(), first) << "the sender's frames never reached kn-vb within 10 s";
  auto r = run_command(std::string(KINSPECT_BIN) + " run --profile network-drops --check net-link-drops-rising --plugin-dir " +
                       PLUGIN_DIR + " --param net-link-drops-rising.window=2s --set network.netns=" + b +
                       " --format json --fail-on none");
  auto reg = network_registry({{"netns", b}});
  auto rises = kinspect::testing::plugin_rows(*reg, "net.link_counters", {json::value("1s")});
  run_command("kill " + std::to_string(pid));
  json::value rep = json::parse(r.out);
  const auto& check = rep.at("checks").as_array().at(0).as_object();
  ASSERT_EQ(check.at("status"), "fail") << r.err << json::serialize(check);
  const auto& findings = check.at("findings").as_array();
  ASSERT_EQ(findings.size(), 1u) << json::serialize(findings);
  const std::string message(findings[0].at("message").as_string());
  EXPECT_EQ(message.rfind("link kn-vb (veth) dropped ", 0), 0u) << message;
  const json::object* vb = find_row(rises, "name", "kn-vb");
  ASSERT_NE(vb, nullptr);
  // About 500 frames a second were sent; scheduling on a busy machine may
  // slow the sender, not stop it.
  EXPECT_GE(vb->at("rx_dropped").as_int64(), 50) << json::serialize(*vb);
  EXPECT_GE(vb->at("window_seconds").as_double(), 1.0);
  const json::object* lo = find_row(rises, "name", "lo");
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(lo->at("rx_dropped").as_int64(), 0) << "nothing drops on loopback here";
}

TEST(NetnsMissing, AMissingNamespaceFailsTheTablesWithTheReason) {
  auto reg = network_registry({{"netns", "kinspect-net-no-such-namespace"}});
  for (const char* t : {"net.links", "net.iptables_rules", "net.sysctl"}) {
    std::string err = scan_error(*reg, t);
    EXPECT_NE(err.find("network namespace 'kinspect-net-no-such-namespace' cannot be opened"), std::string::npos) << t << ": " << err;
  }
  auto r = run_command(std::string(KINSPECT_BIN) + " run --profile network --plugin-dir " + PLUGIN_DIR +
                       " --set network.netns=kinspect-net-no-such-namespace --format json");
  EXPECT_EQ(r.exit_code, 3) << "a table that cannot be read fails the run: " << r.err;
  json::value rep = json::parse(r.out);
  size_t errors = 0;
  for (const auto& c : rep.at("checks").as_array()) {
    EXPECT_NE(c.at("status"), "pass") << c.at("id") << " passed without its tables";
    errors += c.at("status") == "error";
  }
  EXPECT_GT(errors, 30u);
}
