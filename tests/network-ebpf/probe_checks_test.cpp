// The probe checks (checks/network/network-host.kcql, tag probe) as a user
// runs them: `kinspect run --profile network-cluster` over the example
// cluster's snapshot, with the probes' parameters pointed at servers this
// test runs on loopback (a DNS server that answers late, a closed port, an
// API server double whose /readyz answers 500). The snapshot's cluster DNS
// Service (kube-system/coredns) and kubernetes Service have cluster IPs, not
// these loopback addresses, so each finding also says the probed address is
// not the Service's. No traffic
// leaves loopback: every probed address is a parameter set here.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <regex>

#include "test_server.h"
#include "tests/common/report_json.h"
#include "tests/common/run_command.h"
#include "tests/network-ebpf/dns_server.h"

namespace json = boost::json;
using kinspect::testing::messages_of;
using kinspect::testing::run_command;

namespace {

}  // namespace

TEST(ProbeChecks, NetworkClusterProfileReportsDnsAndReadyzFailures) {
  dnstest::Server dns(1500);  // slow.test answers after 1.5 s
  int closed;
  {
    dnstest::Server gone;
    closed = gone.port();
  }
  kapitest::Certs certs = kapitest::make_certs(kapitest::temp_dir("probe-checks"));
  kapitest::Server api(certs, true);
  api.allow_anonymous(true);
  api.set_readyz("[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n", 500);
  const std::string cmd = std::string(KINSPECT_BIN) + " run --profile network-cluster --snapshot " + KINSPECT_SOURCE_DIR +
                          "/examples/cluster --fail-on none --format json" +
                          // Not the probe matrix: it would connect to the snapshot's node and
                          // endpoint addresses (probe_matrix_test.cpp runs it on loopback).
                          " --check 'net-cluster-dns-*' --check net-apiserver-readyz-unreachable" +
                          " --param net-cluster-dns-not-answering.server=127.0.0.1:" + std::to_string(closed) +
                          " --param net-cluster-dns-slow.server=" + dns.address() + " --param net-cluster-dns-slow.name=slow.test" +
                          " --param net-apiserver-readyz-unreachable.url=" + api.url() + "/readyz";
  auto r = run_command(cmd);
  ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  json::value rep = json::parse(r.out);
  EXPECT_EQ(rep.at("profile"), "network-cluster");

  const std::string dead = messages_of(rep, "net-cluster-dns-not-answering");
  EXPECT_NE(dead.find("cluster DNS 127.0.0.1:" + std::to_string(closed) + " did not answer kubernetes.default.svc.cluster.local: refused"),
            std::string::npos) << dead;
  EXPECT_NE(dead.find("is not the cluster DNS Service kube-system/coredns (cluster IP 10.96.1.3)"), std::string::npos) << dead;

  const std::string slow = messages_of(rep, "net-cluster-dns-slow");
  EXPECT_NE(slow.find("cluster DNS " + dns.address() + " took 1"), std::string::npos) << slow;
  EXPECT_NE(slow.find("to answer slow.test (NOERROR), more than 200 ms"), std::string::npos) << slow;

  const std::string readyz = messages_of(rep, "net-apiserver-readyz-unreachable");
  EXPECT_NE(readyz.find(api.url() + "/readyz answered HTTP 500: [-]etcd failed: reason withheld (API server endpoints: "),
            std::string::npos) << readyz;
  EXPECT_NE(readyz.find("is not the kubernetes Service (cluster IP "), std::string::npos) << readyz;
}

// docs/network.md's `kinspect query` examples of the probes run as written,
// those that name only loopback addresses (the others probe a cluster's
// addresses, which are not this test's to reach).
TEST(ProbeDocs, LoopbackExamplesRunAsWritten) {
  std::ifstream in(std::string(KINSPECT_SOURCE_DIR) + "/docs/network.md");
  const std::regex address(R"(\b\d+\.\d+\.\d+\.\d+\b)");
  std::string line;
  size_t ran = 0;
  while (std::getline(in, line)) {
    if (line.rfind("kinspect query \"", 0) != 0 || line.find("_probe(") == std::string::npos) continue;
    size_t addresses = 0, loopback = 0;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), address); it != std::sregex_iterator(); ++it, ++addresses)
      loopback += it->str().rfind("127.", 0) == 0;
    if (addresses == 0 || loopback != addresses) continue;
    SCOPED_TRACE(line);
    auto r = run_command(std::string(KINSPECT_BIN) + line.substr(std::string("kinspect").size()) + " --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json::error_code ec;
    json::value v = json::parse(r.out, ec);
    EXPECT_TRUE(!ec && v.is_array() && v.as_array().size() == 1) << r.out;
    ++ran;
  }
  EXPECT_GE(ran, 4u) << "docs/network.md has fewer loopback examples of the probes than it had";
}
