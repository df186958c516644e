// The network plugin as a user meets it: settings and their errors, saved
// dumps instead of live tools, a host root, a missing tool, docs/network.md's
// examples, and `kinspect run --profile network` on this machine.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/kcql/check.h"
#include "network_test_util.h"
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;
namespace kcql = kinspect::kcql;
using kinspect::testing::run_command;
using namespace network_test;

namespace {

const std::string kData = NETWORK_DATA_DIR;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/kinspect-network-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST(NetworkSettings, BadSettingsNameTheSetting) {
  auto load = [](const std::string& cfg) {
    kinspect::PluginRegistry reg;
    kinspect::RegistryOptions o;
    o.files = {std::string(PLUGIN_DIR) + "/network.so"};
    o.config["network"] = cfg;
    std::string all;
    for (const auto& p : reg.load(o)) all += p.format();
    return all;
  };
  EXPECT_NE(load(R"({"netns": "a/b"})").find("setting netns must be a name under /var/run/netns"), std::string::npos);
  EXPECT_NE(load(R"({"root": "/no/such/root"})").find("root /no/such/root is not a directory"), std::string::npos);
  EXPECT_NE(load(R"({"nft_json": 3})").find("setting nft_json must be a non-empty string"), std::string::npos);
  EXPECT_EQ(load(R"({"root": "/"})"), "");
}

// A misspelt setting is refused by the host, against the declared ones,
// with a did-you-mean, before anything runs.
TEST(NetworkSettings, MisspeltSettingIsRefusedWithADidYouMean) {
  auto r = kinspect::testing::run_command(std::string(KINSPECT_BIN) + " run --profile network --plugin-dir " + PLUGIN_DIR +
                                          " --set network.nets=x");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("plugin 'network' has no setting 'nets' (did you mean 'network.netns'?)"), std::string::npos)
      << r.err;
}

TEST(SavedDumps, RulesChainsAndUnparseableLinesFromFiles) {
  auto reg = network_registry({{"iptables_save", kData + "/malformed-iptables-save.txt"},
                               {"ip6tables_save", kData + "/kube-proxy-iptables-save.txt"}});
  auto rules = rows(*reg, "net.iptables_rules");
  size_t v4 = 0, v6 = 0;
  for (const auto& r : rules) (r.at("family") == "ipv4" ? v4 : v6)++;
  EXPECT_EQ(v4, 2u) << "the malformed dump's two good rules are still read";
  EXPECT_EQ(v6, 32u);
  auto errors = rows(*reg, "net.dump_errors");
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_EQ(errors[0].at("file"), json::value(kData + "/malformed-iptables-save.txt"));
  EXPECT_EQ(errors[0].at("line"), 2);
  EXPECT_EQ(errors[0].at("source"), "iptables");
  auto chains = rows(*reg, "net.iptables_chains");
  const json::object* fwd = nullptr;
  for (const auto& c : chains)
    if (c.at("family") == "ipv6" && c.at("chain") == "FORWARD") fwd = &c;
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->at("policy"), "DROP");
  EXPECT_EQ(fwd->at("backend"), "nf_tables");
  // Offline, nftables comes only from nft_json: without it the table fails.
  EXPECT_NE(scan_error(*reg, "net.nft_rules").find("nft_json is not"), std::string::npos);
}

TEST(SavedDumps, AMissingFileFailsWithItsName) {
  auto reg = network_registry({{"iptables_save", "/no/such/save.txt"}});
  EXPECT_NE(scan_error(*reg, "net.iptables_rules").find("cannot read /no/such/save.txt (setting network.iptables_save)"), std::string::npos);
}

TEST(LiveTools, AMissingBinaryFailsTheTableWithTheReason) {
  TempDir empty;
  std::string saved = getenv("PATH") ? getenv("PATH") : "";
  ::setenv("PATH", empty.path.c_str(), 1);
  auto reg = network_registry({});
  std::string ipt = scan_error(*reg, "net.iptables_rules");
  std::string nft = scan_error(*reg, "net.nft_rules");
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_NE(ipt.find("iptables-save: not found in PATH"), std::string::npos) << ipt;
  EXPECT_NE(nft.find("nft: not found in PATH"), std::string::npos) << nft;
}

TEST(HostRoot, FilesComeFromUnderTheRoot) {
  TempDir root;
  write(root.path / "etc/resolv.conf", "nameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\nnameserver 10.0.0.5\nsearch a.example\n");
  write(root.path / "proc/1/net/ip_vs", slurp(kData + "/proc_net_ip_vs"));
  auto reg = network_registry({{"root", root.path.string()}});
  auto rc = rows(*reg, "net.resolv_conf");
  ASSERT_EQ(rc.size(), 1u);
  EXPECT_EQ(rc[0].at("file"), json::value((root.path / "etc/resolv.conf").string()));
  EXPECT_EQ(rc[0].at("nameserver_count"), 4);
  EXPECT_EQ(rows(*reg, "net.ipvs").size(), 10u) << "4 virtual servers with 3, 3, 2 and 2 real servers";
  // No /proc/1/net/tcp under this root: the table fails rather than being empty.
  EXPECT_NE(scan_error(*reg, "net.sockets").find("cannot read " + (root.path / "proc/1/net/tcp").string()), std::string::npos);
}

TEST(RealHost, EveryTableReadsThisMachine) {
  auto reg = network_registry({});
  for (const auto& t : reg->names()) {
    SCOPED_TRACE(t);
    if (::geteuid() != 0 && (t == "net.iptables_rules" || t == "net.iptables_chains" || t == "net.nft_rules" ||
                             t == "net.nft_chains" || t == "net.dump_errors"))
      continue;  // the save tools need CAP_NET_ADMIN
    rows(*reg, t);
  }
  auto links = rows(*reg, "net.links");
  const json::object* lo = find_row(links, "name", "lo");
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(lo->at("mtu"), 65536);
  EXPECT_NE(find_row(rows(*reg, "net.rules"), "priority", 32766), nullptr) << "the main table's rule";
  EXPECT_NE(find_row(rows(*reg, "net.sysctl"), "name", "net.ipv4.ip_forward"), nullptr);
}

TEST(NetworkProfileCli, CompletesOnThisMachine) {
  if (::geteuid() != 0) GTEST_SKIP() << "iptables-save and nft need root";
  auto r = run_command(std::string(KINSPECT_BIN) + " run --profile network --fail-on none --format json --plugin-dir " + PLUGIN_DIR);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("profile"), "network");
  EXPECT_EQ(rep.at("cluster").at("type"), "host");
  size_t checks = 0;
  for (const auto& c : rep.at("checks").as_array()) {
    ++checks;
    EXPECT_TRUE(c.at("status") == "pass" || c.at("status") == "fail") << c.at("id") << ": " << json::serialize(c);
  }
  EXPECT_GE(checks, 39u);
  for (const auto& t : rep.at("tables").as_array()) EXPECT_EQ(t.at("error"), "") << json::serialize(t);
}

TEST(NetworkDocs, ExampleQueriesRunAndEveryTableIsDocumented) {
  const std::string doc = slurp(std::string(KINSPECT_SOURCE_DIR) + "/docs/network.md");
  size_t start = doc.find("```kcql-network\n");
  ASSERT_NE(start, std::string::npos) << "docs/network.md has no ```kcql-network block";
  start += 16;
  size_t end = doc.find("```", start);
  auto reg = network_registry({{"iptables_save", kData + "/kube-proxy-iptables-save.txt"}, {"nft_json", kData + "/ruleset.json"}});
  size_t ran = 0;
  for (size_t pos = start; pos < end;) {
    size_t nl = doc.find('\n', pos);
    std::string q = doc.substr(pos, nl - pos);
    pos = nl + 1;
    if (q.empty()) continue;
    SCOPED_TRACE(q);
    auto parsed = kcql::parse_query(q, "docs/network.md");
    ASSERT_TRUE(parsed.ok()) << parsed.error().format();
    auto plan = kcql::bind_query(*parsed, *reg);
    ASSERT_TRUE(plan.ok()) << plan.error().format();
    auto rs = kcql::execute(*plan, *reg);
    EXPECT_TRUE(rs.ok()) << rs.error().format();
    ++ran;
  }
  EXPECT_GE(ran, 10u);
  for (const auto& t : reg->names()) EXPECT_NE(doc.find("### `" + t), std::string::npos) << t << " is not in docs/network.md";
  // And every table's own examples bind and run.
  for (const auto& t : reg->names()) {
    const auto* schema = reg->find(t);
    ASSERT_NE(schema, nullptr);
    EXPECT_FALSE(schema->examples.empty()) << t;
    for (const auto& q : schema->examples) {
      SCOPED_TRACE(q);
      auto parsed = kcql::parse_query(q, t);
      ASSERT_TRUE(parsed.ok()) << parsed.error().format();
      auto plan = kcql::bind_query(*parsed, *reg);
      ASSERT_TRUE(plan.ok()) << plan.error().format();
      EXPECT_TRUE(kcql::execute(*plan, *reg).ok());
    }
  }
}
