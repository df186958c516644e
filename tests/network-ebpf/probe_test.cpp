// net.tcp_probe against servers this test starts on loopback: an open port,
// a closed port (refused), and a listener whose accept queue is full, so it
// never answers a new SYN (the probe must time out within its bound). No
// traffic leaves loopback.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <thread>

#include "core/plugin/registry.h"
#include "tests/common/plugin_rows.h"

namespace json = boost::json;

namespace {

std::unique_ptr<kinspect::PluginRegistry> probe_registry() {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/network-ebpf.so"};
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

// A TCP socket on 127.0.0.1 (port chosen by the kernel), listening with
// `backlog` when asked to; closes on destruction.
class Loopback {
 public:
  explicit Loopback(bool listen, int backlog = 16) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (listen) {
      EXPECT_EQ(::listen(fd_, backlog), 0);
    }
  }
  ~Loopback() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

json::object probe(kinspect::PluginRegistry& reg, int port, const char* timeout) {
  auto rows = kinspect::testing::plugin_rows(reg, "net.tcp_probe", {json::value("127.0.0.1"), json::value(port), json::value(timeout)});
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? json::object() : rows[0];
}

}  // namespace

TEST(TcpProbe, OpenPortConnects) {
  auto reg = probe_registry();
  Loopback server(true);
  auto r = probe(*reg, server.port(), "2s");
  EXPECT_EQ(r["result"], "open") << json::serialize(r);
  EXPECT_EQ(r["address"], "127.0.0.1");
  EXPECT_TRUE(r["error"].is_null());
  EXPECT_LT(r["latency_ms"].to_number<double>(), 1000);
}

TEST(TcpProbe, ClosedPortIsRefused) {
  auto reg = probe_registry();
  int port;
  {
    Loopback bound_only(false);  // bound, never listening: the kernel answers RST
    port = bound_only.port();
    auto r = probe(*reg, port, "2s");
    EXPECT_EQ(r["result"], "refused") << json::serialize(r);
    EXPECT_EQ(r["error"], "Connection refused");
  }
}

TEST(TcpProbe, PortThatNeverAnswersTimesOutWithinItsBound) {
  auto reg = probe_registry();
  Loopback server(true, 0);  // accept queue of one; nobody accepts
  // Fill the accept queue: then the listener drops every new SYN unanswered.
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(server.port()));
    ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    clients.push_back(c);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  auto r = probe(*reg, server.port(), "700ms");
  const double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (int c : clients) ::close(c);
  EXPECT_EQ(r["result"], "timeout") << json::serialize(r);
  EXPECT_GE(r["latency_ms"].to_number<double>(), 650);
  EXPECT_LT(took, 2500) << "the probe outlived its 700 ms bound";
  EXPECT_EQ(r["timeout_ms"], 700);
}

TEST(TcpProbe, BadArgumentsAreRefusedWithTheCall) {
  auto reg = probe_registry();
  auto st = reg->scan_table(kinspect::ScanSpec{"net.tcp_probe", {json::value("127.0.0.1"), json::value(0)}, {}},
                            [](std::string_view) { return kinspect::Status::Ok(); }, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("port from 1 to 65535"), std::string::npos) << st.error().message();
}
