// net.probe_matrix and the checks over it, as a user runs them: the real
// kinspect against the API server test double (tests/apiserver), which
// serves Nodes whose InternalIPs are loopback addresses (127.0.0.x) with
// kubelet ports this test opens (one listening, one closed, one whose
// accept queue is full so it never answers), the default/kubernetes
// Endpoints and the cluster DNS Service. Also k8s.connection, the address
// the matrix reads. No traffic leaves loopback: every address probed is one
// of the objects served here.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "test_server.h"
#include "tests/common/report_json.h"
#include "tests/common/run_command.h"

namespace json = boost::json;
using kinspect::testing::messages_of;
using kinspect::testing::run_command;

namespace {

sockaddr_in loopback(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// A TCP socket bound to a loopback address (port chosen by the kernel):
// listening, bound only (the kernel refuses connects), or listening with a
// full accept queue (new SYNs are dropped: a connect never completes).
class Port {
 public:
  enum Mode { kOpen, kClosed, kSilent };
  Port(const std::string& ip, Mode mode) : ip_(ip), fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a = loopback(ip, 0);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << ip;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (mode == kOpen) {
      EXPECT_EQ(::listen(fd_, 64), 0);
    }
    if (mode != kSilent) return;
    EXPECT_EQ(::listen(fd_, 0), 0);
    for (int i = 0; i < 3; ++i) {  // fill the queue of one
      int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in to = loopback(ip, port_);
      ::connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to);
      fillers_.push_back(c);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ~Port() {
    for (int c : fillers_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string at() const { return ip_ + ":" + std::to_string(port_); }

 private:
  std::string ip_;
  int fd_;
  int port_ = 0;
  std::vector<int> fillers_;
};

// An HTTP CONNECT proxy on 127.0.0.1 that tunnels every CONNECT to one
// loopback port, whatever it names: the kubeconfig's server can then be an
// address that refuses direct connects (a failed load balancer) while the
// driver still reaches the API server through the proxy.
class RedirectingProxy {
 public:
  explicit RedirectingProxy(int to_port) : to_(to_port), fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a = loopback("127.0.0.1", 0);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    accepter_ = std::thread([this] { accept_loop(); });
  }
  ~RedirectingProxy() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    accepter_.join();
    for (auto& t : tunnels_) t.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      tunnels_.emplace_back([this, c] { tunnel(c); });
    }
  }
  void tunnel(int client) {
    std::string head;
    char buf[16384];
    while (head.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(client, buf, sizeof buf);
      if (n <= 0) return (void)::close(client);
      head.append(buf, static_cast<size_t>(n));
    }
    int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback("127.0.0.1", to_);
    if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return (void)(::close(up), ::close(client));
    const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    ::write(client, ok.data(), ok.size());
    pollfd p[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
    while (!stop_ && ::poll(p, 2, 200) >= 0) {
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (!p[i].revents) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        done = n <= 0 || ::write(p[1 - i].fd, buf, static_cast<size_t>(n)) != n;
      }
      if (done) break;
    }
    ::close(up);
    ::close(client);
  }
  int to_;
  int fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accepter_;
  std::vector<std::thread> tunnels_;
};

std::string node(const std::string& name, const std::string& ip, int kubelet_port) {
  std::string addresses = R"({"type":"Hostname","address":")" + name + "\"}";
  if (!ip.empty()) addresses += R"(,{"type":"InternalIP","address":")" + ip + "\"}";
  return R"({"metadata":{"name":")" + name + R"("},"status":{"addresses":[)" + addresses +
         R"(],"daemonEndpoints":{"kubeletEndpoint":{"Port":)" + std::to_string(kubelet_port) + "}}}}";
}

// The objects of one test: API server, kubelet ports, endpoints, DNS.
struct Cluster {
  std::string dir = kapitest::temp_dir("probe-matrix");
  kapitest::Certs certs = kapitest::make_certs(dir);
  kapitest::Server api{certs};
  Port open{"127.0.0.2", Port::kOpen};
  Port closed{"127.0.0.3", Port::kClosed};
  Port silent{"127.0.0.4", Port::kSilent};
  Port lb_closed{"127.0.0.8", Port::kClosed};
  static constexpr const char* kToken = "matrix-secret-token";

  explicit Cluster(bool with_spare_node = false) {
    api.add_token(kToken, "admin");
    std::vector<std::string> nodes = {node("node-a", "127.0.0.2", open.port()), node("node-b", "127.0.0.3", closed.port()),
                                      node("node-c", "127.0.0.4", silent.port()), node("node-d", "", 10250)};
    if (with_spare_node) nodes.push_back(node("node-e", "127.0.0.2", open.port()));
    api.add_collection("/api/v1/nodes", "NodeList", "v1", nodes);
    const std::string endpoints = R"({"metadata":{"namespace":"default","name":"kubernetes"},"subsets":[)"
                                  R"({"addresses":[{"ip":"127.0.0.1"}],"ports":[{"name":"https","port":)" + std::to_string(api.port()) +
                                  R"(,"protocol":"TCP"}]},)"
                                  R"({"addresses":[{"ip":"127.0.0.3"}],"ports":[{"name":"https","port":)" + std::to_string(closed.port()) +
                                  R"(,"protocol":"TCP"}]}]})";
    api.add_collection("/api/v1/endpoints", "EndpointsList", "v1", {endpoints});
    const std::string dns = R"({"metadata":{"namespace":"kube-system","name":"kube-dns","labels":{"k8s-app":"kube-dns"}},)"
                            R"("spec":{"clusterIP":"127.0.0.2","ports":[{"name":"dns","port":53,"protocol":"UDP"},)"
                            R"({"name":"dns-tcp","port":)" + std::to_string(open.port()) + R"(,"protocol":"TCP"}]}})";
    api.add_collection("/api/v1/services", "ServiceList", "v1", {dns});
  }
  // The kubeconfig's server is the API server itself (the load balancer answers).
  std::string kubeconfig() {
    return kapitest::write_kubeconfig(dir + "/kubeconfig", api.url(), "    certificate-authority: " + certs.ca_file + "\n",
                                      std::string("    token: ") + kToken + "\n", "matrix");
  }
  // The server is 127.0.0.8 on a closed port (a failed load balancer); the
  // driver reaches the API server through `proxy` all the same.
  std::string failed_lb_kubeconfig(const RedirectingProxy& proxy) {
    return kapitest::write_kubeconfig(dir + "/kubeconfig-lb", "https://" + lb_closed.at(),
                                      "    certificate-authority: " + certs.ca_file + "\n    tls-server-name: localhost\n" +
                                          "    proxy-url: " + proxy.url() + "\n",
                                      std::string("    token: ") + kToken + "\n", "matrix-lb");
  }
};

std::string kinspect_bin() { return KINSPECT_BIN; }

json::array query(const std::string& sql, const std::string& kubeconfig) {
  const std::string cmd = kinspect_bin() + " query \"" + sql + "\" --kubeconfig " + kubeconfig + " --format json";
  auto r = run_command(cmd);
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  json::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_TRUE(!ec && v.is_array()) << r.out;
  return !ec && v.is_array() ? v.as_array() : json::array();
}

// Rows of net.probe_matrix by "kind target host".
std::map<std::string, json::object> matrix(const std::string& args, const std::string& kubeconfig) {
  std::map<std::string, json::object> by;
  for (const auto& row : query("SELECT kind, target, host, port, status, error, latency_ms FROM net.probe_matrix(" + args + ")", kubeconfig)) {
    const auto& r = row.as_object();
    std::string key = std::string(r.at("kind").as_string()) + " " + std::string(r.at("target").as_string()) + " " +
                      (r.at("host").is_string() ? std::string(r.at("host").as_string()) : "-");
    EXPECT_EQ(by.count(key), 0u) << "two rows for " << key;
    by[key] = r;
  }
  return by;
}

const char* kMatrixChecks[] = {"net-apiserver-lb-unreachable", "net-apiserver-endpoint-unreachable", "net-kubelet-unreachable",
                               "net-probe-matrix-not-probed"};

json::value run_matrix_checks(const std::string& kubeconfig) {
  std::string cmd = kinspect_bin() + " run --profile network-cluster --kubeconfig " + kubeconfig + " --fail-on none --format json";
  for (const char* id : kMatrixChecks) cmd += std::string(" --check ") + id + " --param " + id + ".timeout=700ms";
  auto r = run_command(cmd);
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  json::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << r.out << r.err;
  return ec ? json::value(json::object{{"checks", json::array()}}) : v;
}

}  // namespace

TEST(Connection, KubeconfigServerContextAndClusterWithoutCredentials) {
  Cluster c;
  auto rows = query("SELECT source, server, host, port, context, cluster, origin FROM k8s.connection", c.kubeconfig());
  ASSERT_EQ(rows.size(), 1u);
  json::object got = rows[0].as_object();
  const std::string origin = got["origin"].is_string() ? std::string(got["origin"].as_string()) : "";
  EXPECT_NE(origin.find("kubeconfig "), std::string::npos) << origin;
  EXPECT_NE(origin.find("kubeconfig, context matrix"), std::string::npos) << origin;
  got.erase("origin");
  EXPECT_EQ(got, json::parse(R"({"source":"kubeconfig","server":")" + c.api.url() + R"(","host":"127.0.0.1","port":)" +
                             std::to_string(c.api.port()) + R"(,"context":"matrix","cluster":"test-cluster"})"));
  auto all = run_command(kinspect_bin() + " query \"SELECT * FROM k8s.connection\" --kubeconfig " + c.kubeconfig() + " --format json");
  EXPECT_EQ(all.out.find(Cluster::kToken), std::string::npos) << all.out;
  EXPECT_EQ(all.err.find(Cluster::kToken), std::string::npos) << all.err;
}

TEST(Connection, SnapshotRecordsNoAddress) {
  auto r = run_command(kinspect_bin() + " query \"SELECT source, server, host, port, context FROM k8s.connection\" --snapshot " +
                       KINSPECT_SOURCE_DIR + "/examples/cluster --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(R"([{"source":"snapshot","server":null,"host":null,"port":null,"context":null}])")) << r.out;
}

// A snapshot that captured k8s.connection (`kinspect snapshot --table
// k8s.connection`, or --all) gives the address it was taken through.
TEST(Connection, SnapshotThatCapturedItGivesTheRecordedAddress) {
  Cluster c;
  const std::string snap = c.dir + "/snap";
  auto w = run_command(kinspect_bin() + " snapshot --table k8s.connection --table k8s.nodes -o " + snap + " --kubeconfig " + c.kubeconfig());
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto r = run_command(kinspect_bin() + " query \"SELECT * FROM k8s.connection\" --snapshot " + snap + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rows = json::parse(r.out);
  ASSERT_EQ(rows.as_array().size(), 1u) << r.out;
  json::object got = rows.as_array()[0].as_object();
  const std::string origin(got["origin"].as_string());
  EXPECT_EQ(origin.rfind("snapshot " + snap + ", taken through kubeconfig ", 0), 0u) << origin;
  got.erase("origin");
  EXPECT_EQ(got, json::parse(R"({"source":"snapshot","server":")" + c.api.url() + R"(","host":"127.0.0.1","port":)" +
                             std::to_string(c.api.port()) + R"(,"context":"matrix","cluster":"test-cluster"})"));
  EXPECT_EQ(kapitest::read_file(snap + "/connection.json").find(Cluster::kToken), std::string::npos);
}

TEST(ProbeMatrix, OneRowPerTargetWithItsOutcome) {
  Cluster c;
  auto m = matrix("'700ms'", c.kubeconfig());
  EXPECT_EQ(m.size(), 8u);
  auto status = [&](const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? std::string("(no row)") : std::string(it->second.at("status").as_string());
  };
  EXPECT_EQ(status("apiserver-lb " + c.api.url() + " 127.0.0.1"), "ok");
  EXPECT_EQ(status("apiserver-endpoint default/kubernetes 127.0.0.1"), "ok");
  EXPECT_EQ(status("apiserver-endpoint default/kubernetes 127.0.0.3"), "refused");
  EXPECT_EQ(status("cluster-dns kube-system/kube-dns 127.0.0.2"), "ok");
  EXPECT_EQ(status("kubelet node-a 127.0.0.2"), "ok");
  EXPECT_EQ(status("kubelet node-b 127.0.0.3"), "refused");
  EXPECT_EQ(status("kubelet node-c 127.0.0.4"), "timeout");
  EXPECT_EQ(status("kubelet node-d -"), "not-probed");
  const auto& silent = m["kubelet node-c 127.0.0.4"];
  EXPECT_EQ(silent.at("port"), c.silent.port());
  EXPECT_GE(silent.at("latency_ms").to_number<double>(), 650);
  EXPECT_LT(silent.at("latency_ms").to_number<double>(), 2000);
  EXPECT_EQ(m["kubelet node-d -"]["error"], "the node has no InternalIP address");
  EXPECT_TRUE(m["kubelet node-d -"]["latency_ms"].is_null());
  EXPECT_EQ(m["kubelet node-b 127.0.0.3"]["error"], "Connection refused");
  EXPECT_EQ(m["cluster-dns kube-system/kube-dns 127.0.0.2"]["port"], c.open.port()) << "the DNS Service's TCP port";
}

TEST(ProbeMatrix, ABudgetLeavesNotProbedRowsNotGaps) {
  Cluster c(true);
  // One connect at a time: node-c's never-answering port takes the whole
  // 700 ms timeout, past the 300 ms budget, so node-e is never started.
  auto m = matrix("'700ms', '300ms', 1", c.kubeconfig());
  EXPECT_EQ(m.size(), 9u) << "every target has a row";
  ASSERT_TRUE(m.count("kubelet node-e 127.0.0.2"));
  const auto& e = m["kubelet node-e 127.0.0.2"];
  EXPECT_EQ(e.at("status"), "not-probed");
  EXPECT_EQ(e.at("error"), "the matrix's budget of 300ms ran out before this target was probed");
  EXPECT_TRUE(e.at("latency_ms").is_null());
  EXPECT_EQ(m["kubelet node-c 127.0.0.4"]["status"], "timeout");
}

TEST(ProbeMatrixChecks, LoadBalancerDownWhileAnEndpointAnswers) {
  Cluster c;
  RedirectingProxy proxy(c.api.port());
  json::value rep = run_matrix_checks(c.failed_lb_kubeconfig(proxy));
  const std::string api_endpoint = "127.0.0.1:" + std::to_string(c.api.port());

  const std::string lb = messages_of(rep, "net-apiserver-lb-unreachable");
  EXPECT_EQ(lb, "the API server address https://" + c.lb_closed.at() + " (" + c.lb_closed.at() +
                    ") does not accept connections from this node (refused: Connection refused) while API server endpoints " +
                    api_endpoint + " do: the load balancer in front of the API servers is failing, not the API servers\n");

  const std::string ep = messages_of(rep, "net-apiserver-endpoint-unreachable");
  EXPECT_EQ(ep, "API server endpoint " + c.closed.at() +
                    " (default/kubernetes) does not accept connections from this node (refused: Connection refused) while endpoints " +
                    api_endpoint + " do\n");

  const std::string kubelets = messages_of(rep, "net-kubelet-unreachable");
  EXPECT_NE(kubelets.find("the kubelet port " + c.closed.at() + " of node node-b does not accept connections from this node: refused"),
            std::string::npos) << kubelets;
  EXPECT_NE(kubelets.find("the kubelet port " + c.silent.at() + " of node node-c does not accept connections from this node: timeout"),
            std::string::npos) << kubelets;
  EXPECT_EQ(kubelets.find("node-a"), std::string::npos) << kubelets;
  EXPECT_EQ(std::count(kubelets.begin(), kubelets.end(), '\n'), 2) << kubelets;

  EXPECT_EQ(messages_of(rep, "net-probe-matrix-not-probed"),
            "1 kubelet targets were not checked: the node has no InternalIP address (node-d)\n");
}

TEST(ProbeMatrixChecks, LoadBalancerThatAnswersIsNotReported) {
  Cluster c;
  json::value rep = run_matrix_checks(c.kubeconfig());
  EXPECT_EQ(messages_of(rep, "net-apiserver-lb-unreachable"), "");
  const std::string ep = messages_of(rep, "net-apiserver-endpoint-unreachable");
  EXPECT_EQ(ep, "API server endpoint " + c.closed.at() +
                    " (default/kubernetes) does not accept connections from this node (refused: Connection refused) while endpoints 127.0.0.1:" +
                    std::to_string(c.api.port()) + " and the load balancer address " + c.api.url() + " do\n");
  for (const auto& check : rep.at("checks").as_array())
    if (check.at("id") == "net-apiserver-lb-unreachable") {
      EXPECT_EQ(check.at("status"), "pass");
    }
}

TEST(ProbeMatrix, WithoutTheClusterTablesTheScanFailsAndSaysWhy) {
  const std::string home = kapitest::temp_dir("probe-matrix-home");
  auto r = run_command("env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST HOME=" + home + " " + kinspect_bin() +
                       " query \"SELECT * FROM net.probe_matrix()\" --format json");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("net.probe_matrix needs the cluster's tables"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("k8s.connection"), std::string::npos) << r.err;
}

// docs/network.md's example of the matrix runs as written, with the
// kubeconfig of this test's cluster added.
TEST(ProbeMatrixDocs, ExampleRunsAsWritten) {
  Cluster c;
  std::ifstream in(std::string(KINSPECT_SOURCE_DIR) + "/docs/network.md");
  std::string line;
  size_t ran = 0;
  while (std::getline(in, line)) {
    if (line.rfind("kinspect query \"", 0) != 0 || line.find("net.probe_matrix(") == std::string::npos) continue;
    SCOPED_TRACE(line);
    auto r = run_command(kinspect_bin() + line.substr(std::string("kinspect").size()) + " --kubeconfig " + c.kubeconfig() + " --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json::error_code ec;
    json::value v = json::parse(r.out, ec);
    EXPECT_TRUE(!ec && v.is_array() && !v.as_array().empty()) << r.out;
    ++ran;
  }
  EXPECT_GE(ran, 1u) << "docs/network.md has no example of net.probe_matrix";
}
