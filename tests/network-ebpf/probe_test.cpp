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
#include "tests/network-ebpf/loopback_port.h"

namespace json = boost::json;

namespace {

std::unique_ptr<kinspect::PluginRegistry> probe_registry() {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/network-ebpf.so"};
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

json::object probe(kinspect::PluginRegistry& reg, int port, const char* timeout) {
  auto rows = kinspect::testing::plugin_rows(reg, "net.tcp_probe", {json::value("127.0.0.1"), json::value(port), json::value(timeout)});
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? json::object() : rows[0];
}

}  // namespace

TEST(TcpProbe, OpenPortConnects) {
  auto reg = probe_registry();
  kitest::LoopbackPort server(kitest::LoopbackPort::Mode::kOpen);
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
    kitest::LoopbackPort bound_only(kitest::LoopbackPort::Mode::kBoundOnly);
    port = bound_only.port();
    auto r = probe(*reg, port, "2s");
    EXPECT_EQ(r["result"], "refused") << json::serialize(r);
    EXPECT_EQ(r["error"], "Connection refused");
  }
}

TEST(TcpProbe, PortThatNeverAnswersTimesOutWithinItsBound) {
  auto reg = probe_registry();
  kitest::LoopbackPort server(kitest::LoopbackPort::Mode::kSilent);
  const auto start = std::chrono::steady_clock::now();
  auto r = probe(*reg, server.port(), "700ms");
  const double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
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
