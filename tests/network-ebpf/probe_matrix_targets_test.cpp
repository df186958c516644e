// What net.probe_matrix probes, from rows given here instead of a cluster:
// the API server address of k8s.connection (and how its URL is split), the
// endpoints of default/kubernetes from Endpoints or EndpointSlices, the
// cluster DNS Service, the kubelets; targets without an address, and a
// cancelled run, give not-probed rows. Only the last test connects: to a
// listener of its own on 127.0.0.1.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>

#include "connection.h"
#include "probe_matrix.h"
#include "tests/network-ebpf/loopback_port.h"

namespace json = boost::json;
using network_ebpf::MatrixTarget;

namespace {

using Equals = std::vector<std::pair<std::string, std::string>>;

// Serves each table's rows (or throws its error) and records what was asked.
struct FakeTables {
  std::map<std::string, std::string> rows;    // table -> JSON array
  std::map<std::string, std::string> errors;  // table -> what reading it throws
  std::map<std::string, Equals> asked;
  network_ebpf::ReadRows reader() {
    return [this](const std::string& table, const std::vector<std::string>&, const Equals& equals) {
      asked[table] = equals;
      if (errors.count(table)) throw std::runtime_error(errors[table]);
      std::vector<json::object> out;
      json::value parsed = json::parse(rows.count(table) ? rows[table] : std::string("[]"));
      for (auto& v : parsed.as_array()) out.push_back(v.as_object());
      return out;
    };
  }
};

FakeTables cluster() {
  FakeTables t;
  t.rows["k8s.connection"] = R"([{"source":"kubeconfig","server":"https://api.example.com:6443","host":"api.example.com","port":6443}])";
  t.rows["k8s.endpoints"] = R"([{"metadata":{"namespace":"default","name":"kubernetes"},"subsets":[
      {"addresses":[{"ip":"10.0.0.11"},{"ip":"10.0.0.12"}],"ports":[{"name":"https","port":6443,"protocol":"TCP"}]}]}])";
  t.rows["k8s.services"] = R"([{"metadata":{"namespace":"kube-system","name":"metrics-server"},"spec":{"clusterIP":"10.96.0.20"}},
      {"metadata":{"namespace":"kube-system","name":"kube-dns","labels":{"k8s-app":"kube-dns"}},
       "spec":{"clusterIP":"10.96.0.10","ports":[{"name":"dns","port":53,"protocol":"UDP"},{"name":"dns-tcp","port":53,"protocol":"TCP"},
                                            {"name":"metrics","port":9153,"protocol":"TCP"}]}}])";
  t.rows["k8s.nodes"] = R"([{"metadata":{"name":"worker-2"},"status":{"addresses":[{"type":"InternalIP","address":"10.0.1.2"}]}},
      {"metadata":{"name":"worker-1"},"status":{"addresses":[{"type":"ExternalIP","address":"203.0.113.1"},{"type":"InternalIP","address":"10.0.1.1"}],
       "daemonEndpoints":{"kubeletEndpoint":{"Port":10255}}}},
      {"metadata":{"name":"worker-3"},"status":{"addresses":[{"type":"Hostname","address":"worker-3"}]}}])";
  return t;
}

std::string line(const MatrixTarget& t) {
  return t.kind + " " + t.target + " " + t.probe.host + ":" + std::to_string(t.probe.port) +
         (t.probe.result.empty() ? "" : " " + t.probe.result + " (" + t.probe.error + ")");
}

std::string lines(const std::vector<MatrixTarget>& ts) {
  std::string s;
  for (const auto& t : ts) s += line(t) + "\n";
  return s;
}

}  // namespace

TEST(ServerAddress, SplitsTheUrlsKubeconfigsHold) {
  auto a = kapi::server_address("https://api.example.com:6443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "api.example.com");
  EXPECT_EQ(a->port, 6443);
  a = kapi::server_address("https://[fd00::1]:8443/prefix");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "fd00::1");
  EXPECT_EQ(a->port, 8443);
  a = kapi::server_address("https://10.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 443);
  a = kapi::server_address("https://admin:secret@lb.example.com:6443/");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "lb.example.com");
  EXPECT_FALSE(kapi::server_address("https://:6443"));
  EXPECT_FALSE(kapi::server_address("https://h:99999"));
  EXPECT_FALSE(kapi::server_address("https://h:64x"));
}

TEST(MatrixTargets, EveryTargetInOrderWithItsPort) {
  FakeTables t = cluster();
  auto ts = network_ebpf::matrix_targets(t.reader());
  EXPECT_EQ(lines(ts),
            "apiserver-lb https://api.example.com:6443 api.example.com:6443\n"
            "apiserver-endpoint default/kubernetes 10.0.0.11:6443\n"
            "apiserver-endpoint default/kubernetes 10.0.0.12:6443\n"
            "cluster-dns kube-system/kube-dns 10.96.0.10:53\n"
            "kubelet worker-1 10.0.1.1:10255\n"
            "kubelet worker-2 10.0.1.2:10250\n"
            "kubelet worker-3 :0 not-probed (the node has no InternalIP address)\n");
  // The driver is asked for one Endpoints object and one namespace's Services.
  EXPECT_EQ(t.asked["k8s.endpoints"], (Equals{{"metadata.namespace", "default"}, {"metadata.name", "kubernetes"}}));
  EXPECT_EQ(t.asked["k8s.services"], (Equals{{"metadata.namespace", "kube-system"}}));
  EXPECT_EQ(t.asked.count("k8s.endpointslices"), 0u) << "Endpoints had the addresses";
}

TEST(MatrixTargets, InAPodTheServerIsTheKubernetesService) {
  FakeTables t = cluster();
  t.rows["k8s.connection"] = R"([{"source":"in-cluster","server":"https://10.96.0.1:443","host":"10.96.0.1","port":443}])";
  auto ts = network_ebpf::matrix_targets(t.reader());
  ASSERT_FALSE(ts.empty());
  EXPECT_EQ(line(ts[0]), "apiserver-lb https://10.96.0.1:443 (in-cluster) 10.96.0.1:443");
}

TEST(MatrixTargets, EndpointSlicesWhenEndpointsAreNotServed) {
  FakeTables t = cluster();
  t.errors["k8s.endpoints"] = "not served";
  t.rows["k8s.endpointslices"] = R"([{"metadata":{"namespace":"default","labels":{"kubernetes.io/service-name":"kubernetes"}},
      "endpoints":[{"addresses":["10.0.0.21"]},{"addresses":["10.0.0.22"]}],"ports":[{"name":"https","port":6443,"protocol":"TCP"}]}])";
  auto ts = network_ebpf::matrix_targets(t.reader());
  EXPECT_NE(lines(ts).find("apiserver-endpoint default/kubernetes 10.0.0.21:6443\napiserver-endpoint default/kubernetes 10.0.0.22:6443\n"),
            std::string::npos) << lines(ts);
  t.errors["k8s.endpointslices"] = "forbidden";
  EXPECT_THROW(network_ebpf::matrix_targets(t.reader()), std::runtime_error);
}

TEST(MatrixTargets, WhatHasNoAddressIsANotProbedRow) {
  FakeTables t = cluster();
  t.rows["k8s.connection"] = R"([{"source":"snapshot","server":null,"host":null,"port":null,"origin":"snapshot /s"}])";
  t.rows["k8s.endpoints"] = "[]";
  t.rows["k8s.services"] = R"([{"metadata":{"namespace":"kube-system","name":"coredns"},"spec":{"clusterIP":"None"}}])";
  auto ts = network_ebpf::matrix_targets(t.reader());
  const std::string got = lines(ts);
  EXPECT_NE(got.find("apiserver-lb snapshot /s :0 not-probed (the snapshot did not capture the API server address (k8s.connection))"),
            std::string::npos) << got;
  EXPECT_NE(got.find("apiserver-endpoint default/kubernetes :0 not-probed (the kubernetes Service has no endpoint addresses"),
            std::string::npos) << got;
  EXPECT_NE(got.find("cluster-dns kube-system/coredns :0 not-probed (the Service has no cluster IP)"), std::string::npos) << got;
}

TEST(MatrixTargets, AnUnreadableTableFailsTheMatrix) {
  FakeTables t = cluster();
  t.errors["k8s.nodes"] = "cannot read table k8s.nodes: forbidden";
  try {
    network_ebpf::matrix_targets(t.reader());
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot read table k8s.nodes: forbidden");
  }
}

TEST(ProbeMatrix, ACancelledRunProbesNothingAndSaysSo) {
  FakeTables t = cluster();
  auto ts = network_ebpf::matrix_targets(t.reader());
  network_ebpf::probe_matrix(ts, {}, [] { return true; });
  for (const auto& target : ts) {
    EXPECT_EQ(target.probe.result, "not-probed") << line(target);
    if (target.kind != "kubelet" || target.target != "worker-3") {
      EXPECT_EQ(target.probe.error, "the run was cancelled before this target was probed") << line(target);
    }
  }
}

namespace {

// A loopback port that never answers (kitest::LoopbackPort::Mode::kSilent),
// as kubelet targets of the matrix.
class SilentPort {
 public:
  // `n` kubelet targets, all at this port.
  std::vector<MatrixTarget> kubelets(size_t n) const {
    std::vector<MatrixTarget> ts(n);
    for (size_t i = 0; i < ts.size(); ++i) {
      ts[i].kind = "kubelet";
      ts[i].target = "node-" + std::to_string(i);
      ts[i].probe.host = "127.0.0.1";
      ts[i].probe.port = port_.port();
    }
    return ts;
  }

 private:
  kitest::LoopbackPort port_{kitest::LoopbackPort::Mode::kSilent};
};

size_t count_result(const std::vector<MatrixTarget>& ts, const std::string& result) {
  size_t n = 0;
  for (const auto& t : ts) n += t.probe.result == result;
  return n;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// Many targets that never answer finish in about (targets / concurrency)
// timeouts, not targets × timeout: the connects run side by side.
TEST(ProbeMatrix, ManySilentTargetsFinishInRoundsOfTheirTimeout) {
  SilentPort silent;
  std::vector<MatrixTarget> ts = silent.kubelets(1000);
  network_ebpf::MatrixOptions o;
  o.timeout = std::chrono::milliseconds(300);
  o.concurrency = 256;
  const auto start = std::chrono::steady_clock::now();
  network_ebpf::probe_matrix(ts, o, [] { return false; });
  const double took = seconds_since(start);
  EXPECT_EQ(count_result(ts, "timeout"), ts.size());
  EXPECT_GE(took, 1.0) << "4 rounds of 300 ms";
  EXPECT_LT(took, 4.0) << "1000 connects of 300 ms, 256 at a time, took " << took << " s";
}

// The everyday cluster: 5,000 kubelets that all time out are every one
// probed within the default budget with the default concurrency, even when
// the open-file soft limit (often 1024) is below what that needs.
TEST(ProbeMatrix, FiveThousandSilentKubeletsAreAllProbedWithTheDefaults) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max < 2200)
    GTEST_SKIP() << "the open-file hard limit (" << before.rlim_max << ") is below what 1024 connects at once need";
  rlimit low = before;
  low.rlim_cur = std::min<rlim_t>(1024, before.rlim_max);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  double took = 0;
  std::vector<MatrixTarget> ts;
  {
    SilentPort silent;
    ts = silent.kubelets(5000);
    network_ebpf::MatrixOptions o;  // the defaults: 1 s timeout, 10 s budget, 1024 at once
    const auto start = std::chrono::steady_clock::now();
    network_ebpf::probe_matrix(ts, o, [] { return false; });
    took = seconds_since(start);
  }
  ::setrlimit(RLIMIT_NOFILE, &before);
  EXPECT_EQ(count_result(ts, "not-probed"), 0u);
  EXPECT_EQ(count_result(ts, "timeout"), ts.size());
  EXPECT_LT(took, 11.0) << "5 rounds of 1 s";
}
