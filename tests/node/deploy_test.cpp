// deploy/node-daemonset.yaml: the host mounted read-only, no privilege, only
// CAP_SYSLOG, limits set, no API token; and its kinspect command line, run as
// the pod runs it against the fixture host root, writes the report.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "fake_servers.h"
#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

TEST(DeployDaemonSet, LeastPrivilegeAndReadOnlyHost) {
  auto docs = YAML::LoadAllFromFile(std::string(KINSPECT_SOURCE_DIR) + "/deploy/node-daemonset.yaml");
  ASSERT_EQ(docs.size(), 2u);
  const YAML::Node ds = docs[1];
  ASSERT_EQ(ds["kind"].as<std::string>(), "DaemonSet");
  const YAML::Node pod = ds["spec"]["template"]["spec"];
  EXPECT_FALSE(pod["automountServiceAccountToken"].as<bool>());
  EXPECT_TRUE(pod["hostPID"].as<bool>());
  EXPECT_TRUE(pod["hostNetwork"].as<bool>());
  std::set<std::string> host_volumes;
  for (const auto& v : pod["volumes"])
    if (v["hostPath"]) host_volumes.insert(v["name"].as<std::string>());
  ASSERT_EQ(pod["containers"].size(), 1u);
  const YAML::Node c = pod["containers"][0];
  for (const auto& m : c["volumeMounts"]) {
    if (host_volumes.count(m["name"].as<std::string>())) {
      EXPECT_TRUE(m["readOnly"].as<bool>()) << m["name"];
    }
  }
  const YAML::Node sc = c["securityContext"];
  EXPECT_FALSE(sc["privileged"].as<bool>());
  EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>());
  EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>());
  ASSERT_EQ(sc["capabilities"]["drop"].size(), 1u);
  EXPECT_EQ(sc["capabilities"]["drop"][0].as<std::string>(), "ALL");
  ASSERT_EQ(sc["capabilities"]["add"].size(), 1u);
  EXPECT_EQ(sc["capabilities"]["add"][0].as<std::string>(), "SYSLOG");
  EXPECT_TRUE(c["resources"]["limits"]["memory"]);
  EXPECT_TRUE(c["resources"]["limits"]["cpu"]);
}

TEST(DeployDaemonSet, ItsCommandRunsAgainstAHostRoot) {
  auto docs = YAML::LoadAllFromFile(std::string(KINSPECT_SOURCE_DIR) + "/deploy/node-daemonset.yaml");
  std::string script = docs[1]["spec"]["template"]["spec"]["containers"][0]["command"][2].as<std::string>();
  size_t start = script.find("kinspect run"), end = script.find("--fail-on none");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string cmd = script.substr(start, end + 14 - start);
  // The pod's paths, pointed at this test's: the fixture host and a report file.
  const std::string out = ::testing::TempDir() + "/kinspect-node-report.json";
  std::filesystem::remove(out);
  auto kubelet = node_test::FakeServer::tcp(node_test::http_answer(200, "ok"));
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"kinspect run", std::string(KINSPECT_BIN) + " run --plugin-dir " + PLUGIN_DIR},
           {"/host", std::string(NODE_DATA_DIR) + "/healthy"},
           {"$KINSPECT_ARGS", "--set node.kubelet_healthz_url=" + kubelet.url("/healthz")},
           {"/var/run/kinspect/node.json", out},
           {"\\\n", " "}})
    for (size_t p = 0; (p = cmd.find(from, p)) != std::string::npos; p += to.size()) cmd.replace(p, from.size(), to);
  auto r = run_command(cmd);
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  EXPECT_NE(r.out.find("checks:"), std::string::npos) << r.out;  // the terminal report, for kubectl logs
  std::ifstream in(out);
  ASSERT_TRUE(in) << "no JSON report at " << out;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto rep = boost::json::parse(text);
  EXPECT_EQ(rep.at("profile"), "node");
}
