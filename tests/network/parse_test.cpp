// The network plugin's parsers on real dumps (tests/data/network, see
// SOURCES.md) and on malformed lines: every bad line is reported with its
// file and line, and the rest of the dump is still read.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "iptables.h"
#include "nft.h"
#include "procnet.h"

namespace {

using namespace network;

std::string slurp(const std::string& name) {
  std::ifstream in(std::string(NETWORK_DATA_DIR) + "/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const IptRule* find_rule(const IptDump& d, const std::string& table, const std::string& chain, int64_t pos) {
  for (const auto& r : d.rules)
    if (r.table == table && r.chain == chain && r.position == pos) return &r;
  return nullptr;
}

const IptMatch* find_match(const IptRule& r, const std::string& module) {
  for (const auto& m : r.matches)
    if (m.module == module) return &m;
  return nullptr;
}

}  // namespace

TEST(IptablesSave, RealServerDumpWithCounters) {
  IptDump d = parse_iptables_save(slurp("retailnext_server_iptables-save-c_filter-mangle-nat.txt"), "server.txt", "ipv4");
  EXPECT_TRUE(d.errors.empty()) << d.errors[0].file << ":" << d.errors[0].line << ": " << d.errors[0].message;
  EXPECT_EQ(d.backend, "legacy") << "v1.6.0 predates the nf_tables backend";
  EXPECT_EQ(d.version, "v1.6.0");
  EXPECT_EQ(d.rules.size(), 8u);
  const IptRule* r = find_rule(d, "filter", "INPUT", 2);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->protocol, "tcp");
  ASSERT_EQ(r->dports.size(), 1u);
  EXPECT_EQ(r->dports[0].from, 9160);
  EXPECT_EQ(r->target, "ACCEPT");
  EXPECT_EQ(r->packets, 1335166082);
  EXPECT_EQ(r->bytes, 279365222746);
  EXPECT_EQ(r->line, 7u);
  const IptRule* out = find_rule(d, "filter", "OUTPUT", 1);
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(out->sports.size(), 1u);
  EXPECT_EQ(out->sports[0].from, 7000);
  EXPECT_TRUE(out->dports.empty());
  size_t mangle_chains = 0;
  for (const auto& c : d.chains) {
    if (c.table == "mangle") ++mangle_chains;
    if (c.table == "filter" && c.chain == "INPUT") {
      EXPECT_EQ(c.policy, "ACCEPT");
      EXPECT_EQ(c.packets, 8202915326);
      EXPECT_EQ(c.rules, 4);
    }
  }
  EXPECT_EQ(mangle_chains, 5u);
}

TEST(IptablesSave, KubeProxyShapedDump) {
  IptDump d = parse_iptables_save(slurp("kube-proxy-iptables-save.txt"), "kp.txt", "ipv4");
  ASSERT_TRUE(d.errors.empty()) << d.errors[0].line << ": " << d.errors[0].message;
  EXPECT_EQ(d.backend, "nf_tables");
  // The firewall's DROP on the kubelet port: position 5 of INPUT.
  const IptRule* drop = find_rule(d, "filter", "INPUT", 5);
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->target, "DROP");
  ASSERT_EQ(drop->dports.size(), 1u);
  EXPECT_EQ(drop->dports[0].from, 10250);
  EXPECT_EQ(drop->text, "-p tcp -m tcp --dport 10250 -j DROP");
  // multiport with a range, and the target's options.
  const IptRule* rej = find_rule(d, "filter", "INPUT", 6);
  ASSERT_NE(rej, nullptr);
  ASSERT_EQ(rej->dports.size(), 3u);
  EXPECT_EQ(rej->dports[2].from, 51820);
  EXPECT_EQ(rej->dports[2].to, 51821);
  ASSERT_EQ(rej->target_options.size(), 1u);
  EXPECT_EQ(rej->target_options[0].first, "--reject-with");
  EXPECT_EQ(rej->target_options[0].second, "icmp-port-unreachable");
  // Negated source and interfaces.
  const IptRule* fwd = find_rule(d, "filter", "FORWARD", 3);
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->source, "!10.244.0.0/16");
  EXPECT_EQ(fwd->in_interface, "eth0");
  EXPECT_EQ(fwd->out_interface, "cni0");
  // A negated match option and a quoted comment with spaces.
  const IptRule* lo = find_rule(d, "filter", "KUBE-FIREWALL", 1);
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(lo->comment, "block incoming localnet connections");
  const IptMatch* ct = find_match(*lo, "conntrack");
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(ct->options[0].first, "--ctstate");
  EXPECT_EQ(ct->options[0].second, "!RELATED,ESTABLISHED,DNAT");
  // statistic options, DNAT's destination, goto, an escaped quote.
  const IptRule* stat = find_rule(d, "nat", "KUBE-SVC-ERIFXISQEP7F7OF4", 2);
  ASSERT_NE(stat, nullptr);
  const IptMatch* st = find_match(*stat, "statistic");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->options.size(), 2u);
  EXPECT_EQ(st->options[1].second, "0.50000000000");
  const IptRule* dnat = find_rule(d, "nat", "KUBE-SEP-ABCDEF1234567890", 2);
  ASSERT_NE(dnat, nullptr);
  EXPECT_EQ(dnat->target, "DNAT");
  EXPECT_EQ(dnat->target_options[0].second, "10.0.0.11:6443");
  const IptRule* go = find_rule(d, "nat", "KUBE-SVC-NPX46M4PTMTKRN6Y", 1);
  ASSERT_NE(go, nullptr);
  EXPECT_TRUE(go->goto_target);
  EXPECT_EQ(go->target, "KUBE-SEP-ABCDEF1234567890");
  EXPECT_EQ(go->comment, "say \"hi\" -> 10.0.0.11:6443");
  const IptRule* masq = find_rule(d, "nat", "KUBE-POSTROUTING", 3);
  ASSERT_NE(masq, nullptr);
  EXPECT_EQ(masq->target_options[0].first, "--random-fully");
  EXPECT_EQ(masq->target_options[0].second, "");
  for (const auto& c : d.chains)
    if (c.table == "nat" && c.chain == "KUBE-SERVICES") {
      EXPECT_EQ(c.rules, 3);
    }
}

TEST(IptablesSave, MalformedLinesAreReportedAndTheRestIsRead) {
  IptDump d = parse_iptables_save(slurp("malformed-iptables-save.txt"), "bad.txt", "ipv4");
  EXPECT_EQ(d.backend, "legacy");
  std::vector<std::pair<size_t, std::string>> want = {
      {2, "line outside a table"},
      {5, "chain counters are not [PACKETS:BYTES]"},
      {8, "invalid port list '99999'"},
      {9, "chain NOPE, which is not declared in table filter"},
      {10, "rule counters are not [PACKETS:BYTES]"},
      {11, "unterminated quoted string"},
      {12, "unknown option --bogus"}};
  ASSERT_EQ(d.errors.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(d.errors[i].file, "bad.txt");
    EXPECT_EQ(d.errors[i].line, want[i].first);
    EXPECT_NE(d.errors[i].message.find(want[i].second), std::string::npos) << d.errors[i].message;
  }
  ASSERT_EQ(d.rules.size(), 2u);
  EXPECT_EQ(d.rules[1].line, 13u);
  // Lines 7, 8, 10, 11 and 12 are INPUT's rules 1 to 5 in the kernel even
  // where this parser cannot read them, so line 13 is rule 6, the number
  // `iptables -L --line-numbers` shows; NOPE is no chain and counts nowhere.
  EXPECT_EQ(d.rules[1].position, 6);
  for (const auto& c : d.chains)
    if (c.chain == "INPUT") {
      EXPECT_EQ(c.rules, 6);
    }
  EXPECT_EQ(d.rules[1].dports[0].from, 53);
}

TEST(IptablesSave, TruncatedDumpAndPortLists) {
  IptDump d = parse_iptables_save("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n", "cut.txt", "ipv6");
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_NE(d.errors[0].message.find("has no COMMIT"), std::string::npos);
  EXPECT_EQ(d.rules.size(), 1u);
  EXPECT_EQ(d.rules[0].packets, std::nullopt);
  auto ports = parse_port_list("80,443,8000:8080,:100,60000:");
  ASSERT_TRUE(ports);
  ASSERT_EQ(ports->size(), 5u);
  EXPECT_EQ((*ports)[3].from, 0);
  EXPECT_EQ((*ports)[4].to, 65535);
  EXPECT_FALSE(parse_port_list("80,"));
  EXPECT_FALSE(parse_port_list("90:80"));
  EXPECT_FALSE(parse_port_list("http"));
}

TEST(NftJson, RulesChainsAndFacts) {
  const char* text = R"({"nftables": [
    {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
    {"table": {"family": "inet", "name": "fw", "handle": 1}},
    {"chain": {"family": "inet", "table": "fw", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
    {"rule": {"family": "inet", "table": "fw", "chain": "input", "handle": 4, "comment": "ssh",
      "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}}, {"accept": null}]}},
    {"rule": {"family": "inet", "table": "fw", "chain": "input", "handle": 5,
      "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}},
               {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 8}}}},
               {"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": {"set": [8472, {"range": [30000, 32767]}]}}},
               {"counter": {"packets": 7, "bytes": 420}}, {"drop": null}]}},
    {"rule": {"family": "inet", "table": "fw", "chain": "nochain", "handle": 6, "expr": []}},
    {"rule": {"family": "inet", "table": "fw", "chain": "input", "handle": 7, "expr": [{"jump": {"target": "other"}}]}},
    42
  ]})";
  NftRuleset rs = parse_nft_json(text, "ruleset.json");
  ASSERT_EQ(rs.chains.size(), 1u);
  EXPECT_EQ(rs.chains[0].policy, "drop");
  EXPECT_EQ(rs.chains[0].rules, 3);
  ASSERT_EQ(rs.rules.size(), 3u);
  EXPECT_EQ(rs.rules[0].comment, "ssh");
  EXPECT_EQ(rs.rules[0].verdict, "accept");
  const NftRule& d = rs.rules[1];
  EXPECT_EQ(d.position, 2);
  EXPECT_EQ(d.verdict, "drop");
  ASSERT_EQ(d.dports.size(), 2u);
  EXPECT_EQ(d.dports[1].from, 30000);
  EXPECT_EQ(d.dports[1].to, 32767);
  EXPECT_EQ(d.protocols, std::vector<std::string>{"udp"});
  EXPECT_EQ(d.saddr, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(d.iifname, std::vector<std::string>{"eth0"});
  EXPECT_EQ(d.packets, 7);
  EXPECT_EQ(rs.rules[2].verdict, "jump");
  EXPECT_EQ(rs.rules[2].verdict_target, "other");
  ASSERT_EQ(rs.errors.size(), 2u);
  EXPECT_NE(rs.errors[0].message.find("nftables[5]: rule in chain nochain"), std::string::npos) << rs.errors[0].message;
  EXPECT_NE(rs.errors[1].message.find("nftables[7]: not an object"), std::string::npos) << rs.errors[1].message;
}

TEST(NftJson, NotJsonNamesTheFileAndOffset) {
  try {
    parse_nft_json("{\"nftables\": [", "dump.json");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("dump.json: not JSON at byte"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_nft_json("{\"tables\": []}", "dump.json"), std::runtime_error);
}

TEST(ProcNet, IpvsCorpus) {
  Warnings w;
  auto svcs = parse_ip_vs(slurp("proc_net_ip_vs"), "proc_net_ip_vs", w);
  EXPECT_EQ(w.count, 0u) << w.summary();
  ASSERT_EQ(svcs.size(), 4u);
  EXPECT_EQ(svcs[0].protocol, "TCP");
  EXPECT_EQ(svcs[0].address, "192.168.0.22");
  EXPECT_EQ(svcs[0].port, 3306);
  EXPECT_EQ(svcs[0].scheduler, "wlc");
  ASSERT_EQ(svcs[0].reals.size(), 3u);
  EXPECT_EQ(svcs[0].reals[0].address, "192.168.82.22");
  EXPECT_EQ(svcs[0].reals[0].forward, "Tunnel");
  EXPECT_EQ(svcs[0].reals[0].active, 248);
  EXPECT_EQ(svcs[3].protocol, "FWM");
  EXPECT_EQ(svcs[3].fwmark, 0x10001000);
  EXPECT_EQ(svcs[3].reals.size(), 2u);
}

// kube-proxy in IPVS mode (bench/network/run --mode ipvs): its iptables rules
// match ipsets instead of naming Services, and the Services are IPVS virtual
// servers in /proc/net/ip_vs.
TEST(KubeProxyIpvs, IptablesRulesWithIpsetMatches) {
  IptDump d = parse_iptables_save(slurp("kube-proxy-ipvs-iptables-save.txt"), "ipvs.txt", "ipv4");
  ASSERT_TRUE(d.errors.empty()) << d.errors[0].line << ": " << d.errors[0].message;
  EXPECT_EQ(d.rules.size(), 19u);
  const IptRule* masq = find_rule(d, "nat", "KUBE-SERVICES", 1);
  ASSERT_NE(masq, nullptr);
  EXPECT_EQ(masq->source, "!10.244.0.0/16");
  EXPECT_EQ(masq->target, "KUBE-MARK-MASQ");
  const IptMatch* set = find_match(*masq, "set");
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->options.size(), 1u);
  EXPECT_EQ(set->options[0].first, "--match-set");
  EXPECT_EQ(set->options[0].second, "KUBE-CLUSTER-IP dst,dst") << "the set and its flags are one value";
  const IptRule* accept = find_rule(d, "nat", "KUBE-SERVICES", 3);
  ASSERT_NE(accept, nullptr);
  EXPECT_EQ(accept->target, "ACCEPT");
  const IptRule* loop = find_rule(d, "nat", "KUBE-POSTROUTING", 1);
  ASSERT_NE(loop, nullptr);
  ASSERT_NE(find_match(*loop, "set"), nullptr);
  EXPECT_EQ(find_match(*loop, "set")->options[0].second, "KUBE-LOOP-BACK dst,dst,src");
  const IptRule* unmark = find_rule(d, "nat", "KUBE-POSTROUTING", 2);
  ASSERT_NE(unmark, nullptr);
  EXPECT_EQ(find_match(*unmark, "mark")->options[0].second, "!0x4000/0x4000");
  for (const auto& c : d.chains)
    if (c.table == "nat" && c.chain == "KUBE-SERVICES") {
      EXPECT_EQ(c.rules, 3);
    }
}

TEST(KubeProxyIpvs, VirtualServersOfServicesAndNodePorts) {
  Warnings w;
  auto svcs = parse_ip_vs(slurp("kube-proxy-ipvs-proc_net_ip_vs"), "ip_vs", w);
  EXPECT_EQ(w.count, 0u) << w.summary();
  ASSERT_EQ(svcs.size(), 4u) << "3 cluster IPs and the first Service's NodePort";
  EXPECT_EQ(svcs[0].address, "10.96.0.1");
  EXPECT_EQ(svcs[0].port, 80);
  EXPECT_EQ(svcs[0].scheduler, "rr");
  ASSERT_EQ(svcs[0].reals.size(), 2u);
  EXPECT_EQ(svcs[0].reals[1].address, "10.244.0.3");
  EXPECT_EQ(svcs[0].reals[1].port, 8080);
  EXPECT_EQ(svcs[0].reals[1].forward, "Masq");
  EXPECT_EQ(svcs[1].address, "192.168.0.10");
  EXPECT_EQ(svcs[1].port, 30000);
  EXPECT_EQ(svcs[1].reals.size(), 2u) << "the NodePort leads to the same endpoints";
}

TEST(KubeProxyIpvs, MalformedIpVsLinesAreNamedAndTheRestIsRead) {
  std::string text = slurp("kube-proxy-ipvs-proc_net_ip_vs");
  // Break the second virtual server's address and one real server's port.
  size_t vs = text.find("TCP  C0A8000A:7530");
  ASSERT_NE(vs, std::string::npos);
  text.replace(vs, 18, "TCP  C0A8000A:ZZZZ");
  size_t real = text.find("0AF40006:1F90");
  ASSERT_NE(real, std::string::npos);
  text.replace(real, 13, "0AF40006");
  Warnings w;
  auto svcs = parse_ip_vs(text, "ip_vs", w);
  EXPECT_GE(w.count, 2u) << w.summary();
  EXPECT_NE(w.summary().find("ip_vs:"), std::string::npos) << w.summary();
  size_t good = 0;
  for (const auto& s : svcs)
    if (s.address.rfind("10.96.", 0) == 0) ++good;
  EXPECT_EQ(good, 3u) << "the three cluster IPs are still read";
}

TEST(ProcNet, SocketsAndAddresses) {
  const char* tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1165 1 0 100 0 0 10 0\n"
      "   1: 0100007F:0CEA 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 1166 1 0 100 0 0 10 0\n"
      "   2: garbage\n";
  Warnings w;
  auto s = parse_proc_net_sockets(tcp, "/proc/net/tcp", "tcp", w);
  ASSERT_EQ(s.size(), 1u) << "only the listening socket";
  EXPECT_EQ(s[0].address, "127.0.0.1");
  EXPECT_EQ(s[0].port, 3306);
  EXPECT_EQ(s[0].inode, 1165);
  EXPECT_EQ(w.count, 1u);
  EXPECT_NE(w.summary().find("/proc/net/tcp:4"), std::string::npos) << w.summary();
  EXPECT_EQ(proc_net_address("00000000000000000000000001000000"), "::1");
  EXPECT_EQ(proc_net_address("zz"), "");
}

TEST(ProcNet, ResolvConf) {
  Warnings w;
  auto rc = parse_resolv_conf("# comment\nnameserver 10.0.0.2\nnameserver fd00::53\ndomain old.example\nsearch a.example b.example\n"
                              "options ndots:5 timeout:1\nbogus line\nnameserver\n",
                              "/etc/resolv.conf", w);
  EXPECT_EQ(rc.nameservers, (std::vector<std::string>{"10.0.0.2", "fd00::53"}));
  EXPECT_EQ(rc.search, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(rc.ndots, 5);
  EXPECT_EQ(rc.options.size(), 2u);
  EXPECT_EQ(w.count, 2u);
}

// Random damage to real dumps: the parsers report or skip, never crash, hang
// or throw anything but the documented error, and what they return is sane.
TEST(Robustness, MutatedDumpsNeverCrash) {
  const std::string ipt = slurp("kube-proxy-iptables-save.txt");
  const std::string nft = slurp("ruleset.json");
  const std::string alphabet = "\"!-[]:*# \n\\{}0,/";
  std::mt19937 rng(20261203);
  size_t errors = 0, throws = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string a = ipt, b = nft;
    for (int k = std::uniform_int_distribution<int>(1, 8)(rng); k > 0; --k) {
      a[std::uniform_int_distribution<size_t>(0, a.size() - 1)(rng)] = alphabet[rng() % alphabet.size()];
      b[std::uniform_int_distribution<size_t>(0, b.size() - 1)(rng)] = alphabet[rng() % alphabet.size()];
    }
    IptDump d = parse_iptables_save(a, "m.txt", "ipv4");
    errors += d.errors.size();
    for (const auto& r : d.rules) {
      ASSERT_GE(r.position, 1);
      for (const auto& p : r.dports) ASSERT_LE(p.from, p.to);
    }
    try {
      NftRuleset rs = parse_nft_json(b, "m.json");
      for (const auto& r : rs.rules) ASSERT_GE(r.position, 1);
    } catch (const std::runtime_error&) {
      ++throws;
    }
  }
  EXPECT_GT(errors, 0u) << "the damage must have been noticed somewhere";
  EXPECT_GT(throws, 0u);
}
