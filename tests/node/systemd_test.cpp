// node.systemd_units against real D-Bus: a private dbus-daemon started per
// test with a fake systemd (tests/node/fake_systemd.cpp, sd-bus's vtable API)
// on it, read end to end through `kinspect query --set node.systemd_bus=...`;
// the same fake on its own socket under a host root, as systemd serves
// /run/systemd/private; a socket that accepts and never answers (ends within
// probe_timeout_ms); and a root without systemd (not applicable, with why).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/plugin/registry.h"
#include "fake_servers.h"
#include "systemd_test_support.h"
#include "tests/common/plugin_rows.h"
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
using node_test::Child;
using node_test::PrivateBus;

namespace {

// The units the fake serves in these tests: one healthy, one failed and
// restarting; crio, docker and cri-docker are not installed (not-found).
const std::vector<std::string> kUnits = {
    "kubelet.service=loaded,active,running,enabled,0,0,0,success,812",
    "containerd.service=loaded,failed,failed,enabled,7,1,1,exit-code,0",
    "etcd.service=loaded,active,running,disabled,0,0,0,success,99",
};

std::string query_cmd(const std::string& sets) {
  return std::string(KINSPECT_BIN) + " query --plugin-dir " + PLUGIN_DIR + " --format json " + sets +
         " 'SELECT * FROM node.systemd_units'";
}

std::unique_ptr<kinspect::PluginRegistry> node_with(json::object cfg) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  o.config["node"] = json::serialize(cfg);
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

std::string temp_root(const std::string& name) {
  std::string root = ::testing::TempDir() + "/kinspect-systemd-" + name;
  fs::remove_all(root);
  fs::create_directories(root + "/proc/1");
  return root;
}

}  // namespace

TEST(SystemdUnits, RowsFromAFakeSystemdOnAPrivateBusThroughKinspectQuery) {
  PrivateBus bus;
  if (!bus.skip_reason().empty()) GTEST_SKIP() << bus.skip_reason();
  Child systemd = node_test::start_fake_systemd({"--bus", bus.address()}, kUnits);
  ASSERT_TRUE(systemd.ready()) << systemd.error();
  auto r = run_command(query_cmd("--set node.systemd_bus=" + sh_quote(bus.address()) + " --set node.systemd_units=etcd"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::array rows = json::parse(r.out).as_array();
  ASSERT_EQ(rows.size(), 6u) << r.out;
  std::vector<std::string> names;
  for (const auto& row : rows) names.push_back(std::string(row.at("unit").as_string()));
  EXPECT_EQ(names, (std::vector<std::string>{"kubelet.service", "containerd.service", "crio.service", "docker.service",
                                             "cri-docker.service", "etcd.service"}));
  const auto& kubelet = rows[0].as_object();
  EXPECT_EQ(kubelet.at("load_state"), "loaded");
  EXPECT_EQ(kubelet.at("active_state"), "active");
  EXPECT_EQ(kubelet.at("sub_state"), "running");
  EXPECT_EQ(kubelet.at("unit_file_state"), "enabled");
  EXPECT_EQ(kubelet.at("n_restarts").as_int64(), 0);
  EXPECT_EQ(kubelet.at("main_pid").as_int64(), 812);
  EXPECT_EQ(kubelet.at("active_enter_time"), "2024-12-04T08:13:20Z");
  EXPECT_EQ(kubelet.at("fragment_path"), "/lib/systemd/system/kubelet.service");
  EXPECT_TRUE(kubelet.at("exec_main_code").is_null());
  EXPECT_EQ(kubelet.at("manager"), "systemd");
  EXPECT_EQ(kubelet.at("bus"), json::value(bus.address()));
  const auto& containerd = rows[1].as_object();
  EXPECT_EQ(containerd.at("active_state"), "failed");
  EXPECT_EQ(containerd.at("n_restarts").as_int64(), 7);
  EXPECT_EQ(containerd.at("exec_main_code"), "exited");
  EXPECT_EQ(containerd.at("exec_main_status").as_int64(), 1);
  EXPECT_EQ(containerd.at("result"), "exit-code");
  EXPECT_TRUE(containerd.at("active_enter_time").is_null()) << "never active: NULL, not 1970";
  EXPECT_TRUE(containerd.at("main_pid").is_null());
  // Not installed is a fact, not an error.
  const auto& crio = rows[2].as_object();
  EXPECT_EQ(crio.at("load_state"), "not-found");
  EXPECT_EQ(crio.at("active_state"), "inactive");
  EXPECT_TRUE(crio.at("unit_file_state").is_null());
  EXPECT_EQ(rows[5].at("unit_file_state"), "disabled");
}

TEST(SystemdUnits, DirectlyOnSystemdsOwnSocketUnderTheRootByDefault) {
  if (::geteuid() != 0) GTEST_SKIP() << "systemd's own socket is used only as root (as systemctl does); this runs as uid " << ::geteuid();
  const std::string root = temp_root("direct");
  fs::create_directories(root + "/run/systemd/system");
  Child systemd = node_test::start_fake_systemd({"--listen", root + "/run/systemd/private"}, kUnits);
  ASSERT_TRUE(systemd.ready()) << systemd.error();
  auto reg = node_with({{"root", root}});
  auto rows = kinspect::testing::plugin_rows(*reg, "node.systemd_units");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].at("bus"), json::value(root + "/run/systemd/private"));
  EXPECT_EQ(rows[0].at("active_state"), "active");
  EXPECT_EQ(rows[1].at("n_restarts").as_int64(), 7);
  // A bus path given as a setting is spoken to the same way.
  auto reg2 = node_with({{"root", "/"}, {"systemd_bus", root + "/run/systemd/private"}});
  EXPECT_EQ(kinspect::testing::plugin_rows(*reg2, "node.systemd_units").size(), 5u);
  fs::remove_all(root);
}

TEST(SystemdUnits, ABusThatNeverAnswersEndsWithinTheTimeout) {
  const std::string dir = temp_root("silent");
  auto silent = node_test::FakeServer::unix_socket(dir + "/bus", "");  // accepts, never a byte
  for (const std::string& address : {"unix:path=" + dir + "/bus", dir + "/bus"}) {
    SCOPED_TRACE(address);
    auto start = std::chrono::steady_clock::now();
    auto r = run_command(query_cmd("--set node.systemd_bus=" + sh_quote(address) + " --set node.probe_timeout_ms=300"));
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(address + " did not answer LoadUnit in time (probe_timeout_ms)"), std::string::npos) << r.err;
    EXPECT_LT(took, 2.0) << "the query must end at the 0.3 s timeout (plus start-up), not hang";
  }
  fs::remove_all(dir);
}

TEST(SystemdUnits, WithoutSystemdTheTableIsNotApplicableAndSaysWhy) {
  const std::string root = temp_root("none");
  std::ofstream(root + "/proc/1/comm") << "tini\n";
  auto reg = node_with({{"root", root}});
  std::string err = kinspect::testing::scan_error(*reg, "node.systemd_units");
  EXPECT_EQ(err.rfind("not applicable: ", 0), 0u) << err;  // the cause the report groups by
  EXPECT_NE(err.find("systemd is not running on this host (" + root + "/run/systemd/system does not exist; PID 1 is tini)"),
            std::string::npos) << err;
  // This machine too, where systemd is not PID 1.
  if (!fs::is_directory("/run/systemd/system")) {
    std::ifstream comm("/proc/1/comm");
    std::string pid1;
    std::getline(comm, pid1);
    auto here = node_with({{"root", "/"}});
    std::string e2 = kinspect::testing::scan_error(*here, "node.systemd_units");
    EXPECT_NE(e2.find("PID 1 is " + pid1 + "): unit states not read"), std::string::npos) << e2;
  }
  fs::remove_all(root);
}

TEST(SystemdUnits, SystemdRunningButItsBusMissingIsAnErrorNamingIt) {
  const std::string root = temp_root("nobus");
  fs::create_directories(root + "/run/systemd/system");
  auto reg = node_with({{"root", root}});
  std::string err = kinspect::testing::scan_error(*reg, "node.systemd_units");
  EXPECT_EQ(err.find("not applicable"), std::string::npos) << "systemd runs: a bus we cannot reach is an error";
  EXPECT_NE(err.find("cannot connect (systemd at unix:path=" + root + "/run/dbus/system_bus_socket): No such file or directory"),
            std::string::npos) << err;
  fs::remove_all(root);
}

TEST(SystemdUnits, BadSettingsNameTheSetting) {
  for (auto [cfg, want] : std::vector<std::pair<std::string, std::string>>{
           {R"({"systemd_units":"kube let"})", "setting systemd_units: 'kube let' holds ' '"},
           {R"({"systemd_units":3})", "setting systemd_units must be text"},
           {R"({"systemd_bus":"system"})", "setting systemd_bus must be a D-Bus address"}}) {
    std::string why = kinspect::testing::settings_refusal(std::string(PLUGIN_DIR) + "/node.so", "node", cfg);
    EXPECT_NE(why.find(want), std::string::npos) << why;
  }
}

// A host without systemd, as a user runs the node profile: the systemd checks
// are skipped as not applicable with the reason, never passed, and the run is
// still complete (exit 0): nothing about the host went unchecked that it has.
TEST(SystemdUnits, TheNodeProfileOnAHostWithoutSystemdSaysNotApplicable) {
  const std::string root = ::testing::TempDir() + "/kinspect-systemd-profile";
  fs::remove_all(root);
  fs::copy(std::string(NODE_DATA_DIR) + "/healthy", root, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto kubelet = node_test::FakeServer::tcp(node_test::http_answer(200, "ok"));
  auto r = run_command(std::string(KINSPECT_BIN) + " run --profile node --plugin-dir " + PLUGIN_DIR + " --set node.root=" +
                       sh_quote(root) + " --set node.kubelet_healthz_url=" + kubelet.url("/healthz") + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  size_t systemd_checks = 0;
  for (const auto& c : rep.at("checks").as_array()) {
    const std::string id(c.at("id").as_string());
    if (id != "node-kubelet-unit-not-active" && id != "node-container-runtime-unit-failed" &&
        id != "node-systemd-unit-restarting" && id != "node-kubelet-unit-not-enabled") {
      EXPECT_EQ(c.at("status"), "pass") << id << ": " << json::serialize(c);
      continue;
    }
    ++systemd_checks;
    EXPECT_EQ(c.at("status"), "skipped") << json::serialize(c);
    EXPECT_EQ(c.at("cause"), "not applicable") << json::serialize(c);
    EXPECT_NE(std::string(c.at("reason").as_string()).find("node.systemd_units: systemd is not running on this host"),
              std::string::npos) << json::serialize(c);
  }
  EXPECT_EQ(systemd_checks, 4u);
  EXPECT_EQ(rep.at("summary").at("not_checked").as_int64(), 0) << json::serialize(rep.at("summary"));
  fs::remove_all(root);
}
