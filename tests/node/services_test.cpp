// The node's services asked within a timeout (node.kubelet_health,
// node.container_runtimes) against real local sockets: a kubelet healthz on
// loopback answering 200, 500 or never; a runtime socket that accepts and
// never answers (a timeout within its bound, not a hang), a gRPC server's
// HTTP/2 SETTINGS answer and dockerd's /version; and node.cpu on the fixture
// host.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/plugin/registry.h"
#include "fake_servers.h"
#include "kubelet_config.h"
#include "services.h"
#include "tests/common/plugin_rows.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using node_test::FakeServer;
using node_test::http_answer;

namespace {

std::unique_ptr<kinspect::PluginRegistry> node_with(json::object cfg) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  if (!cfg.contains("root")) cfg["root"] = "/";
  o.config["node"] = json::serialize(cfg);
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

// Scans `table` once; returns its rows and how long the scan took.
std::pair<std::vector<json::object>, double> timed_rows(kinspect::PluginRegistry& reg, const std::string& table) {
  auto start = std::chrono::steady_clock::now();
  auto rows = kinspect::testing::plugin_rows(reg, table);
  return {rows, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

// A host root with the runtime sockets the test plants.
std::string fresh_root(const std::string& name) {
  std::string root = "/tmp/kinspect-svc-" + name;
  fs::remove_all(root);
  fs::create_directories(root + "/run/containerd");
  fs::create_directories(root + "/var");
  fs::create_symlink("../run", root + "/var/run");
  return root;
}

}  // namespace

TEST(KubeletHealth, HealthyAnswer) {
  auto server = FakeServer::tcp(http_answer(200, "ok"));
  auto reg = node_with({{"kubelet_healthz_url", server.url("/healthz")}});
  auto [rows, took] = timed_rows(*reg, "node.kubelet_health");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "ok");
  EXPECT_EQ(rows[0].at("http_status").as_int64(), 200);
  EXPECT_EQ(rows[0].at("healthy"), true);
}

TEST(KubeletHealth, AnswerOf500IsUnhealthy) {
  auto server = FakeServer::tcp(http_answer(500, "[-]ping failed: reason withheld\nhealthz check failed"));
  auto reg = node_with({{"kubelet_healthz_url", server.url("/healthz")}});
  auto [rows, took] = timed_rows(*reg, "node.kubelet_health");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "ok");
  EXPECT_EQ(rows[0].at("http_status").as_int64(), 500);
  EXPECT_EQ(rows[0].at("healthy"), false);
  EXPECT_NE(std::string(rows[0].at("body").as_string()).find("healthz check failed"), std::string::npos);
}

TEST(KubeletHealth, AHangingKubeletIsATimeoutWithinItsBound) {
  auto server = FakeServer::tcp("");  // accepts, never answers
  auto reg = node_with({{"kubelet_healthz_url", server.url("/healthz")}, {"probe_timeout_ms", 300}});
  auto [rows, took] = timed_rows(*reg, "node.kubelet_health");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "timeout");
  EXPECT_EQ(rows[0].at("healthy"), false);
  EXPECT_NE(std::string(rows[0].at("error").as_string()).find("accepted the connection but did not answer in time"),
            std::string::npos) << rows[0].at("error");
  EXPECT_GE(rows[0].at("seconds").as_double(), 0.29);
  EXPECT_LT(took, 1.3) << "the scan must end at the timeout (0.3 s), not hang";
}

TEST(KubeletHealth, NothingListeningIsRefused) {
  int port;
  { port = FakeServer::tcp("x").port(); }  // a port that was free a moment ago
  auto reg = node_with({{"kubelet_healthz_url", "http://127.0.0.1:" + std::to_string(port) + "/healthz"}});
  auto [rows, took] = timed_rows(*reg, "node.kubelet_health");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "refused");
  EXPECT_EQ(rows[0].at("healthy"), false);
}

TEST(KubeletHealth, BadUrlIsRefusedAtLoad) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  o.config["node"] = R"({"kubelet_healthz_url": "https://kubelet:10250/healthz"})";
  auto problems = reg->load(o);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].format().find("kubelet_healthz_url: only http:// URLs are supported"), std::string::npos)
      << problems[0].format();
}

TEST(ContainerRuntime, ASocketThatNeverAnswersIsATimeoutNotAHang) {
  const std::string root = fresh_root("hang");
  auto server = FakeServer::unix_socket(root + "/run/containerd/containerd.sock", "");
  auto reg = node_with({{"root", root}, {"probe_timeout_ms", 300}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("runtime"), "containerd");
  EXPECT_EQ(rows[0].at("socket"), "/run/containerd/containerd.sock");
  EXPECT_EQ(rows[0].at("status"), "timeout");
  EXPECT_GE(rows[0].at("seconds").as_double(), 0.29);
  EXPECT_LT(took, 1.3) << "the scan must end at the timeout (0.3 s), not hang";
  fs::remove_all(root);
}

TEST(ContainerRuntime, GrpcSettingsFrameAndDockerVersionAnswer) {
  const std::string root = fresh_root("answer");
  // A gRPC server's first bytes: an empty SETTINGS frame (length 0, type 4).
  auto containerd = FakeServer::unix_socket(root + "/run/containerd/containerd.sock", std::string("\0\0\0\4\0\0\0\0\0", 9));
  auto docker = FakeServer::unix_socket(root + "/run/docker.sock", http_answer(200, R"({"Version":"24.0.7","ApiVersion":"1.43"})"));
  auto reg = node_with({{"root", root}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("runtime"), "containerd");
  EXPECT_EQ(rows[0].at("status"), "ok") << rows[0].at("error");
  EXPECT_EQ(rows[1].at("runtime"), "docker");
  EXPECT_EQ(rows[1].at("status"), "ok") << rows[1].at("error");
  EXPECT_EQ(rows[1].at("version"), "24.0.7");
  fs::remove_all(root);
}

TEST(ContainerRuntime, NotGrpcIsAnError) {
  const std::string root = fresh_root("notgrpc");
  auto server = FakeServer::unix_socket(root + "/run/containerd/containerd.sock", "HTTP/1.1 400 Bad Request\r\n\r\n");
  auto reg = node_with({{"root", root}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "error");
  EXPECT_NE(std::string(rows[0].at("error").as_string()).find("not a gRPC server"), std::string::npos);
  fs::remove_all(root);
}

TEST(NodeCpu, FixtureHostLoadAndSteal) {
  auto reg = node_with({{"root", std::string(NODE_DATA_DIR) + "/healthy"}});
  auto rows = kinspect::testing::plugin_rows(*reg, "node.cpu");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("cpus").as_int64(), 4);
  EXPECT_DOUBLE_EQ(rows[0].at("load5").as_double(), 0.61);
  EXPECT_NEAR(rows[0].at("load5_per_cpu").as_double(), 0.1525, 1e-9);
  // steal / total of the first line: 40211 / (1843295+1203+601233+98213321+20433+0+10233+40211).
  EXPECT_NEAR(rows[0].at("steal_percent").as_double(), 100.0 * 40211 / 100729929, 1e-9);
  EXPECT_EQ(rows[0].at("procs_running").as_int64(), 2);
  EXPECT_FALSE(node::parse_proc_stat_cpu("cpu 1 2 x\n"));
}

TEST(BlockDevices, FixtureHostAndAPlantedError) {
  auto reg = node_with({{"root", std::string(NODE_DATA_DIR) + "/healthy"}});
  auto rows = kinspect::testing::plugin_rows(*reg, "node.block_devices");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("name"), "sda");
  EXPECT_EQ(rows[0].at("size_bytes").as_int64(), 41943040ll * 512);
  EXPECT_EQ(rows[0].at("state"), "running");
  EXPECT_EQ(rows[0].at("io_errors").as_int64(), 0);
  EXPECT_EQ(rows[0].at("io_requests").as_int64(), 0x1f4a2);
  const std::string root = fresh_root("blk");
  fs::create_directories(root + "/sys/block/sdb/device");
  std::ofstream(root + "/sys/block/sdb/device/ioerr_cnt") << "0x1a\n";
  std::ofstream(root + "/sys/block/sdb/device/state") << "offline\n";
  fs::create_directories(root + "/sys/block/nvme0n1");
  auto reg2 = node_with({{"root", root}});
  auto rows2 = kinspect::testing::plugin_rows(*reg2, "node.block_devices");
  ASSERT_EQ(rows2.size(), 2u);
  EXPECT_EQ(rows2[0].at("name"), "nvme0n1");
  EXPECT_TRUE(rows2[0].at("io_errors").is_null());  // not a SCSI device: unknown, not zero
  EXPECT_EQ(rows2[1].at("io_errors").as_int64(), 26);
  EXPECT_EQ(rows2[1].at("state"), "offline");
  fs::remove_all(root);
  // No /sys under the root: unavailable, not "no devices".
  const std::string bare = fresh_root("bare");
  auto reg3 = node_with({{"root", bare}});
  EXPECT_NE(kinspect::testing::scan_error(*reg3, "node.block_devices").find("not mounted"), std::string::npos);
  fs::remove_all(bare);
}

TEST(KubeletConfig, ReadsTheFixtureHostsFileWithYamlCpp) {
  auto reg = node_with({{"root", std::string(NODE_DATA_DIR) + "/healthy"}});
  auto rows = kinspect::testing::plugin_rows(*reg, "node.kubelet_config");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("kind"), "KubeletConfiguration");
  EXPECT_EQ(rows[0].at("anonymous_auth"), false);
  EXPECT_EQ(rows[0].at("authorization_mode"), "Webhook");
  EXPECT_EQ(rows[0].at("read_only_port").as_int64(), 0);
  EXPECT_EQ(rows[0].at("rotate_certificates"), true);
  EXPECT_TRUE(rows[0].at("server_tls_bootstrap").is_null());
  EXPECT_EQ(rows[0].at("eviction_hard").at("nodefs.available"), "10%");
  EXPECT_EQ(rows[0].at("document").at("clusterDomain"), "cluster.local");
  // A bad file names its line; a missing one is no row (not a node).
  const std::string root = fresh_root("kcfg");
  fs::create_directories(root + "/var/lib/kubelet");
  std::ofstream(root + "/var/lib/kubelet/config.yaml") << "kind: KubeletConfiguration\nreadOnlyPort: [1\n";
  auto bad = node_with({{"root", root}});
  EXPECT_NE(kinspect::testing::scan_error(*bad, "node.kubelet_config").find(root + "/var/lib/kubelet/config.yaml:"),
            std::string::npos) << kinspect::testing::scan_error(*bad, "node.kubelet_config");
  std::ofstream(root + "/var/lib/kubelet/config.yaml") << "rotateCertificates: maybe\n";
  auto bad2 = node_with({{"root", root}});
  EXPECT_NE(kinspect::testing::scan_error(*bad2, "node.kubelet_config").find("config.yaml:1: rotate_certificates: expected true or false"),
            std::string::npos) << kinspect::testing::scan_error(*bad2, "node.kubelet_config");
  fs::remove(root + "/var/lib/kubelet/config.yaml");
  auto none = node_with({{"root", root}});
  EXPECT_TRUE(kinspect::testing::plugin_rows(*none, "node.kubelet_config").empty());
  fs::remove_all(root);
}
