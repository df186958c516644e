// net.dns_probe end to end: `kinspect query` asks a DNS server this test runs
// on loopback (tests/network-ebpf/dns_server.h) for answers, a slow answer
// (past the timeout), NXDOMAIN, REFUSED, SERVFAIL, a truncated answer (retried
// over TCP), a malformed answer and a port nobody listens on; and, with no
// server, the nameservers of a resolv.conf under --set network-ebpf.root.
// No traffic leaves loopback.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "tests/common/run_command.h"
#include "tests/network-ebpf/dns_server.h"

namespace json = boost::json;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

namespace {

const std::string kKinspect = std::string(KINSPECT_BIN) + " --color never";

struct QueryResult {
  json::array rows;
  double seconds = 0;
  std::string err;
};

// Runs `kinspect query --format json SQL` and returns its rows and wall time.
QueryResult query(const std::string& sql, const std::string& options = "") {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_command(kKinspect + " query --format json " + options + " " + sh_quote(sql));
  QueryResult q;
  q.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  q.err = r.err;
  EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  json::error_code ec;
  json::value v = json::parse(r.out, ec);
  if (!ec && v.is_array()) q.rows = v.as_array();
  else ADD_FAILURE() << "not a JSON array: " << r.out << r.err;
  return q;
}

json::object probe(const dnstest::Server& s, const std::string& name, const std::string& type, const std::string& timeout = "2s") {
  auto q = query("SELECT * FROM net.dns_probe('" + name + "', '" + s.address() + "', '" + type + "', '" + timeout + "')");
  EXPECT_EQ(q.rows.size(), 1u) << json::serialize(q.rows);
  return q.rows.empty() ? json::object() : q.rows[0].as_object();
}

}  // namespace

TEST(DnsProbe, AnswersARecordsOverUdp) {
  dnstest::Server s;
  auto r = probe(s, "ok.test", "A");
  EXPECT_EQ(r["status"], "ok") << json::serialize(r);
  EXPECT_EQ(r["rcode"], "NOERROR");
  EXPECT_EQ(r["transport"], "udp");
  EXPECT_EQ(r["server"], json::value(s.address()));
  EXPECT_EQ(r["name"], "ok.test");
  EXPECT_EQ(r["type"], "A");
  EXPECT_EQ(r["answer_count"], 1);
  EXPECT_EQ(r["data"], json::array({"192.0.2.10"}));
  const auto& a = r["answers"].as_array().at(0).as_object();
  EXPECT_EQ(a.at("name"), "ok.test.");
  EXPECT_EQ(a.at("type"), "A");
  EXPECT_EQ(a.at("ttl"), 60);
  EXPECT_TRUE(r["error"].is_null());
  EXPECT_LT(r["latency_ms"].to_number<double>(), 1000);
  EXPECT_EQ(r["timeout_ms"], 2000);
}

TEST(DnsProbe, AnswersAaaaCnameAndSrv) {
  dnstest::Server s;
  EXPECT_EQ(probe(s, "ok.test", "AAAA")["data"], json::array({"2001:db8::10"}));
  EXPECT_EQ(probe(s, "alias.test", "cname")["data"], json::array({"ok.test."}));
  auto srv = probe(s, "_https._tcp.ok.test", "SRV");
  EXPECT_EQ(srv["data"], json::array({"0 5 443 ok.test."})) << json::serialize(srv);
  EXPECT_EQ(srv["answers"].as_array().at(0).at("type"), "SRV");
}

TEST(DnsProbe, NxdomainIsAnAnswer) {
  dnstest::Server s;
  auto r = probe(s, "missing.test", "A");
  EXPECT_EQ(r["status"], "ok") << json::serialize(r);
  EXPECT_EQ(r["rcode"], "NXDOMAIN");
  EXPECT_EQ(r["answer_count"], 0);
}

TEST(DnsProbe, RefusedAndServfail) {
  dnstest::Server s;
  auto refused = probe(s, "refuse.test", "A");
  EXPECT_EQ(refused["status"], "refused") << json::serialize(refused);
  EXPECT_EQ(refused["rcode"], "REFUSED");
  EXPECT_EQ(refused["error"], json::value(s.address() + " answered REFUSED"));
  auto fail = probe(s, "fail.test", "A");
  EXPECT_EQ(fail["status"], "error") << json::serialize(fail);
  EXPECT_EQ(fail["rcode"], "SERVFAIL");
}

TEST(DnsProbe, SlowServerTimesOutWithinTheBound) {
  dnstest::Server s(3000);  // answers after 3 s
  auto q = query("SELECT * FROM net.dns_probe('slow.test', '" + s.address() + "', 'A', '500ms')");
  ASSERT_EQ(q.rows.size(), 1u);
  const auto& r = q.rows[0].as_object();
  EXPECT_EQ(r.at("status"), "timeout") << json::serialize(r);
  EXPECT_TRUE(r.at("rcode").is_null());
  EXPECT_GE(r.at("latency_ms").to_number<double>(), 480);
  EXPECT_LT(r.at("latency_ms").to_number<double>(), 700);
  EXPECT_LT(q.seconds, 2.5) << "the whole query outlived the 500 ms bound by far";
}

TEST(DnsProbe, TruncatedAnswerIsAskedAgainOverTcp) {
  dnstest::Server s;
  auto r = probe(s, "big.test", "A");
  EXPECT_EQ(r["status"], "ok") << json::serialize(r);
  EXPECT_EQ(r["transport"], "tcp");
  EXPECT_EQ(r["answer_count"], 40);
  EXPECT_EQ(s.tcp_queries(), 1u);
}

TEST(DnsProbe, MalformedAnswerIsAnError) {
  dnstest::Server s;
  auto r = probe(s, "garbage.test", "A");
  EXPECT_EQ(r["status"], "error") << json::serialize(r);
  EXPECT_NE(std::string(r["error"].as_string()).find("cannot be parsed"), std::string::npos) << r["error"];
}

TEST(DnsProbe, PortWithoutServerIsRefused) {
  int port;
  {
    dnstest::Server gone;  // a port that was just free, now closed again
    port = gone.port();
  }
  auto q = query("SELECT status, error FROM net.dns_probe('ok.test', '127.0.0.1:" + std::to_string(port) + "')");
  ASSERT_EQ(q.rows.size(), 1u);
  EXPECT_EQ(q.rows[0].at("status"), "refused") << json::serialize(q.rows);
}

TEST(DnsProbe, WithoutServerAsksEachNameserverOfResolvConfUnderRoot) {
  // resolv.conf has no port: the server must be on 53. Loopback addresses
  // other than 127.0.0.1 are ours to bind; the second nameserver has no server.
  std::unique_ptr<dnstest::Server> s;
  std::string ip;
  for (int i = 2; i < 10 && !s; ++i) {
    try {
      ip = "127.0.0." + std::to_string(i);
      s = std::make_unique<dnstest::Server>(1500, ip, 53);
    } catch (const std::exception&) {
    }
  }
  if (!s) GTEST_SKIP() << "port 53 is taken on 127.0.0.2 to 127.0.0.9 (binding it needs root)";
  const std::string root = std::filesystem::temp_directory_path() / ("kinspect-dns-root-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root + "/etc");
  std::ofstream(root + "/etc/resolv.conf") << "search cluster.local\nnameserver " << ip << "\nnameserver 127.0.0.99\noptions ndots:5\n";
  auto q = query("SELECT server, status, data FROM net.dns_probe('ok.test') ORDER BY server", "--set network-ebpf.root=" + root);
  std::filesystem::remove_all(root);
  ASSERT_EQ(q.rows.size(), 2u) << json::serialize(q.rows);
  EXPECT_EQ(q.rows[0].at("server"), json::value(ip + ":53"));
  EXPECT_EQ(q.rows[0].at("status"), "ok");
  EXPECT_EQ(q.rows[0].at("data"), json::array({"192.0.2.10"}));
  EXPECT_EQ(q.rows[1].at("server"), "127.0.0.99:53");
  EXPECT_EQ(q.rows[1].at("status"), "refused");
}

TEST(DnsProbe, BadArgumentsFailWithTheCall) {
  auto r = run_command(kKinspect + " query " + sh_quote("SELECT * FROM net.dns_probe('ok.test', '127.0.0.1', 'BOGUS')"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("type must be a DNS record type"), std::string::npos) << r.err;
  r = run_command(kKinspect + " query " + sh_quote("SELECT * FROM net.dns_probe('ok.test', 'dns.example')"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("server must be a numeric address"), std::string::npos) << r.err;
  r = run_command(kKinspect + " query " + sh_quote("SELECT * FROM net.dns_probe('ok.test', '', 'A')") +
                  " --set network-ebpf.root=/nonexistent-root");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/nonexistent-root/etc/resolv.conf cannot be read"), std::string::npos) << r.err;
}
