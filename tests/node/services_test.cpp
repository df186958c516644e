// The node's services asked within a timeout (node.kubelet_health,
// node.container_runtimes) against real local sockets: a kubelet healthz on
// loopback answering 200, 500 or never; container runtimes played by real
// gRPC servers (python3-grpcio: containerd with and without its CRI plugin,
// CRI-O in CRI v1 and v1alpha2, a runtime failing with a gRPC status, a slow
// one), sockets that accept and never answer (a timeout within its bound, not
// a hang), answer HTTP/1, garbage, or HTTP/2 whose gRPC prefix lies, and
// dockerd's /version; and node.cpu on the fixture host.
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
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using node_test::FakeServer;
using node_test::GrpcRuntimeServer;
using node_test::h2_grpc_answer;
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
  fs::create_directories(root + "/run/crio");
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

TEST(ContainerRuntime, ASettingsFrameAloneIsNoAnswerAndDockerGivesItsVersion) {
  const std::string root = fresh_root("answer");
  // A live HTTP/2 server's first bytes (an empty SETTINGS frame), then it hangs up without answering the call.
  auto containerd = FakeServer::unix_socket(root + "/run/containerd/containerd.sock", std::string("\0\0\0\4\0\0\0\0\0", 9));
  auto docker = FakeServer::unix_socket(root + "/run/docker.sock", http_answer(200, R"({"Version":"24.0.7","ApiVersion":"1.43"})"));
  auto reg = node_with({{"root", root}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("runtime"), "containerd");
  EXPECT_EQ(rows[0].at("status"), "error");
  EXPECT_NE(std::string(rows[0].at("error").as_string()).find("closed the connection before answering the call"),
            std::string::npos) << rows[0].at("error");
  EXPECT_EQ(rows[1].at("runtime"), "docker");
  EXPECT_EQ(rows[1].at("status"), "ok") << rows[1].at("error");
  EXPECT_EQ(rows[1].at("version"), "24.0.7");
  fs::remove_all(root);
}

TEST(ContainerRuntime, Http1AnswerIsNotGrpc) {
  const std::string root = fresh_root("notgrpc");
  auto containerd = FakeServer::unix_socket(root + "/run/containerd/containerd.sock", "HTTP/1.1 400 Bad Request\r\n\r\n");
  auto crio = FakeServer::unix_socket(root + "/run/crio/crio.sock", http_answer(404, "404 page not found\n"));
  auto reg = node_with({{"root", root}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("status"), "error") << row;
    EXPECT_NE(std::string(row.at("error").as_string()).find("answered in HTTP/1 ('HTTP/1.1 4"), std::string::npos) << row;
    EXPECT_NE(std::string(row.at("error").as_string()).find("not a gRPC server"), std::string::npos) << row;
    EXPECT_TRUE(row.at("version").is_null());
  }
  fs::remove_all(root);
}

namespace {

// The one row of a root whose only runtime socket is `socket`.
json::object only_row(const std::string& root) {
  auto reg = node_with({{"root", root}, {"probe_timeout_ms", 1500}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_LT(took, 3.0) << "every call of a row shares probe_timeout_ms (1.5 s)";
  return rows.empty() ? json::object{} : rows[0];
}

}  // namespace

TEST(ContainerRuntime, GarbageIsNotHttp2) {
  const std::string root = fresh_root("garbage");
  auto crio = FakeServer::unix_socket(root + "/run/crio/crio.sock", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + " not a frame");
  auto row = only_row(root);
  EXPECT_EQ(row.at("runtime"), "cri-o");
  EXPECT_EQ(row.at("status"), "error");
  const std::string error(row.at("error").as_string());
  EXPECT_NE(error.find("the answer is not HTTP/2"), std::string::npos) << error;
  EXPECT_NE(error.find("its first bytes: 16 03 01 02 00 01 00 01"), std::string::npos) << error;
  fs::remove_all(root);
}

TEST(ContainerRuntime, AnOversizedGrpcLengthPrefixIsRefusedBeforeItIsRead) {
  const std::string root = fresh_root("oversized");
  // Valid HTTP/2 and a 200 answer whose gRPC prefix declares a 4 GiB message.
  auto crio = FakeServer::unix_socket(root + "/run/crio/crio.sock", h2_grpc_answer(std::string("\0\xff\xff\xff\xff", 5), "0"));
  auto row = only_row(root);
  EXPECT_EQ(row.at("status"), "error");
  EXPECT_NE(std::string(row.at("error").as_string()).find("declares a 4294967295-byte message; at most 65536 are accepted"),
            std::string::npos) << row.at("error");
  fs::remove_all(root);
}

TEST(ContainerRuntime, AMalformedProtobufAnswerNamesItsByte) {
  const std::string root = fresh_root("badproto");
  // One message, well framed, whose field 1 declares 100 bytes of which 3 came.
  const std::string message = std::string("\x0a\x64", 2) + "abc";
  auto crio = FakeServer::unix_socket(root + "/run/crio/crio.sock",
                                      h2_grpc_answer(std::string("\0\0\0\0", 4) + static_cast<char>(message.size()) + message, "0"));
  auto row = only_row(root);
  EXPECT_EQ(row.at("status"), "error");
  EXPECT_NE(std::string(row.at("error").as_string())
                .find("runtime.v1.RuntimeService/Version: protobuf message, byte 0: field 1 declares 100 bytes; 3 are left"),
            std::string::npos) << row.at("error");
  fs::remove_all(root);
}

TEST(ContainerRuntime, GrpcSilenceIsATimeoutWithinItsBound) {
  const std::string root = fresh_root("grpchang");
  auto crio = FakeServer::unix_socket(root + "/run/crio/crio.sock", "");
  auto reg = node_with({{"root", root}, {"probe_timeout_ms", 300}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "timeout");
  EXPECT_NE(std::string(rows[0].at("error").as_string()).find("accepted the connection but did not answer in time"),
            std::string::npos) << rows[0].at("error");
  EXPECT_GE(rows[0].at("seconds").as_double(), 0.29);
  EXPECT_LT(took, 1.3) << "the scan must end at the timeout (0.3 s), not hang";
  fs::remove_all(root);
}

TEST(ContainerRuntime, ContainerdAndCriOGiveTheirVersionsOverGrpc) {
  const std::string root = fresh_root("grpc");
  GrpcRuntimeServer containerd(root + "/run/containerd/containerd.sock", {"containerd", "1.7.13", "7c3aca7a610df76212171d200ca3811ff6096eb8"});
  GrpcRuntimeServer crio(root + "/run/crio/crio.sock", {"cri", "cri-o", "1.29.1", "v1"});
  if (!containerd.ready() || !crio.ready()) GTEST_SKIP() << GrpcRuntimeServer::why();
  auto reg = node_with({{"root", root}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("runtime"), "containerd");
  EXPECT_EQ(rows[0].at("status"), "ok") << rows[0].at("error");
  EXPECT_EQ(rows[0].at("version"), "1.7.13");
  EXPECT_EQ(rows[0].at("revision"), "7c3aca7a610df76212171d200ca3811ff6096eb8");
  EXPECT_EQ(rows[0].at("runtime_name"), "containerd");
  EXPECT_EQ(rows[0].at("cri_api"), "v1");
  EXPECT_TRUE(rows[0].at("cri_error").is_null()) << rows[0].at("cri_error");
  EXPECT_EQ(rows[1].at("runtime"), "cri-o");
  EXPECT_EQ(rows[1].at("status"), "ok") << rows[1].at("error");
  EXPECT_EQ(rows[1].at("version"), "1.29.1");
  EXPECT_EQ(rows[1].at("runtime_name"), "cri-o");
  EXPECT_EQ(rows[1].at("runtime_api_version"), "v1");
  EXPECT_EQ(rows[1].at("cri_api"), "v1");
  EXPECT_TRUE(rows[1].at("revision").is_null());
  for (const auto& row : rows) {
    EXPECT_TRUE(row.at("error").is_null()) << row;
    EXPECT_TRUE(row.at("grpc_status").is_null()) << row;
    EXPECT_GT(row.at("seconds").as_double(), 0.0);
    EXPECT_LT(row.at("seconds").as_double(), 2.0);
  }
  // The same rows as a user asks for them.
  auto q = kinspect::testing::run_command(std::string(KINSPECT_BIN) + " query --plugin-dir " + PLUGIN_DIR +
                                          " --set node.root=" + kinspect::testing::sh_quote(root) +
                                          " --format csv 'SELECT runtime, status, version, cri_api FROM node.container_runtimes'");
  EXPECT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(q.out, "runtime,status,version,cri_api\r\ncontainerd,ok,1.7.13,v1\r\ncri-o,ok,1.29.1,v1\r\n") << q.err;
  fs::remove_all(root);
}

TEST(ContainerRuntime, ContainerdWithoutItsCriPluginStillAnswers) {
  const std::string root = fresh_root("nocri");
  GrpcRuntimeServer containerd(root + "/run/containerd/containerd.sock", {"containerd", "1.6.28", "ae07eda36dd25f8a1b98dfbf587313b99c0190bb", "none"});
  if (!containerd.ready()) GTEST_SKIP() << GrpcRuntimeServer::why();
  auto row = only_row(root);
  EXPECT_EQ(row.at("status"), "ok") << row.at("error");
  EXPECT_EQ(row.at("version"), "1.6.28");
  EXPECT_TRUE(row.at("cri_api").is_null());
  const std::string why(row.at("cri_error").as_string());
  EXPECT_NE(why.find("neither CRI v1 nor v1alpha2 is served: "), std::string::npos) << why;
  EXPECT_NE(why.find("runtime.v1alpha2.RuntimeService/Version: gRPC status 12 UNIMPLEMENTED"), std::string::npos) << why;
  fs::remove_all(root);
}

TEST(ContainerRuntime, ARuntimeOfCriV1alpha2IsAskedInItsOwnApi) {
  const std::string root = fresh_root("v1alpha2");
  GrpcRuntimeServer crio(root + "/run/crio/crio.sock", {"cri", "cri-o", "1.22.5", "v1alpha2"});
  if (!crio.ready()) GTEST_SKIP() << GrpcRuntimeServer::why();
  auto row = only_row(root);
  EXPECT_EQ(row.at("status"), "ok") << row.at("error");
  EXPECT_EQ(row.at("version"), "1.22.5");
  EXPECT_EQ(row.at("cri_api"), "v1alpha2");
  EXPECT_EQ(row.at("runtime_api_version"), "v1alpha2");
  fs::remove_all(root);
}

TEST(ContainerRuntime, AGrpcErrorStatusIsAnErrorRowThatSaysIt) {
  const std::string root = fresh_root("status");
  GrpcRuntimeServer crio(root + "/run/crio/crio.sock", {"status", "14", "shutting down: 100% of workers busy"});
  GrpcRuntimeServer containerd(root + "/run/containerd/containerd.sock", {"status", "7", "permission denied"});
  if (!crio.ready() || !containerd.ready()) GTEST_SKIP() << GrpcRuntimeServer::why();
  auto reg = node_with({{"root", root}});
  auto [rows, took] = timed_rows(*reg, "node.container_runtimes");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("status"), "error");
  EXPECT_EQ(rows[0].at("grpc_status").as_int64(), 7);
  EXPECT_NE(std::string(rows[0].at("error").as_string())
                .find("containerd.services.version.v1.Version/Version: gRPC status 7 PERMISSION_DENIED: permission denied"),
            std::string::npos) << rows[0].at("error");
  EXPECT_EQ(rows[1].at("status"), "error");
  EXPECT_EQ(rows[1].at("grpc_status").as_int64(), 14);
  EXPECT_NE(std::string(rows[1].at("error").as_string())
                .find("runtime.v1.RuntimeService/Version: gRPC status 14 UNAVAILABLE: shutting down: 100% of workers busy"),
            std::string::npos) << rows[1].at("error");
  fs::remove_all(root);
}

TEST(ContainerRuntime, SecondsIsTheFirstAnswersLatency) {
  const std::string root = fresh_root("slow");
  GrpcRuntimeServer crio(root + "/run/crio/crio.sock", {"--delay-ms", "250", "cri", "cri-o", "1.29.1", "v1"});
  if (!crio.ready()) GTEST_SKIP() << GrpcRuntimeServer::why();
  auto row = only_row(root);
  EXPECT_EQ(row.at("status"), "ok") << row.at("error");
  EXPECT_GE(row.at("seconds").as_double(), 0.25);
  EXPECT_LT(row.at("seconds").as_double(), 1.5);
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

TEST(ContainerRuntime, NodeProfileReportsContainerdWithoutItsCri) {
  // The fixture host (a node: /var/lib/kubelet exists) with a containerd whose CRI plugin is disabled, as a
  // user runs kinspect on it: exactly that check fails.
  const std::string root = "/tmp/kinspect-svc-e2e";
  fs::remove_all(root);
  fs::copy(std::string(NODE_DATA_DIR) + "/healthy", root, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::create_directories(root + "/run/containerd");
  GrpcRuntimeServer containerd(root + "/run/containerd/containerd.sock", {"containerd", "1.6.28", "ae07eda36dd25f8a1b98dfbf587313b99c0190bb", "none"});
  if (!containerd.ready()) GTEST_SKIP() << GrpcRuntimeServer::why();
  auto kubelet = FakeServer::tcp(http_answer(200, "ok"));
  auto r = kinspect::testing::run_command(std::string(KINSPECT_BIN) + " run --profile node --plugin-dir " + PLUGIN_DIR +
                                          " --set node.root=" + kinspect::testing::sh_quote(root) +
                                          " --set node.kubelet_healthz_url=" + kubelet.url("/healthz") + " --format json");
  EXPECT_EQ(r.exit_code, 1) << "a critical finding fails the run: " << r.err;
  json::value rep = json::parse(r.out);
  std::string fired, report;
  for (const auto& c : rep.at("checks").as_array())
    if (c.at("status") == "fail") fired += std::string(c.at("id").as_string()) + " ", report += json::serialize(c);
  EXPECT_EQ(fired, "node-containerd-cri-disabled ");
  EXPECT_NE(report.find("containerd 1.6.28 at /run/containerd/containerd.sock answers but does not serve the CRI: "
                        "neither CRI v1 nor v1alpha2 is served"), std::string::npos) << report;
  fs::remove_all(root);
}
