// `kinspect run --profile cloud` as a user runs it (docs/cloud.md): over the
// example cluster with the AWS outputs that describe it, over the Alibaba
// Cloud cluster of tests/data/cloud, with no folder (every check not checked,
// never passed) and with a folder that is not there (a usage error).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <fstream>

#include "tables.h"
#include "tests/common/run_command.h"

namespace {

using kinspect::testing::run_command;
namespace json = boost::json;

std::string kinspect_run(const std::string& args) {
  return std::string(KINSPECT_BIN) + " run --profile cloud --profiles " KINSPECT_SOURCE_DIR "/profiles --checks " KINSPECT_SOURCE_DIR
         "/checks " + args;
}

// The findings of a JSON report, as "check-id object" strings.
std::vector<std::string> findings(const std::string& report) {
  std::vector<std::string> out;
  json::value v = json::parse(report);
  for (const auto& c : v.at("checks").as_array())
    for (const auto& f : c.at("findings").as_array())
      out.push_back(std::string(c.at("id").as_string()) + " " + std::string(f.at("object").as_string()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(CloudRun, TheExampleClusterOnAwsFindsThePlantedProblems) {
  auto r = run_command(kinspect_run("--snapshot " KINSPECT_SOURCE_DIR "/examples/cluster --set cloud.aws_dir=" CLOUD_DATA_DIR
                                    "/aws --format json --fail-on none"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> got = findings(r.out);
  for (const char* want : {"cloud-node-instance-not-running node/worker-4", "cloud-node-not-allowed-to-apiserver node/worker-5",
                           "cloud-sg-kubelet-closed-to-control-plane node/worker-5", "cloud-pod-cidr-route-missing node/worker-3",
                           "cloud-node-instance-type-unsupported node/worker-3",
                           "cloud-apiserver-lb-backend-unhealthy loadbalancer/aws/example-apiserver/i-0a13000000000cp03"})
    EXPECT_NE(std::find(got.begin(), got.end(), want), got.end()) << want << "\n" << r.out.substr(0, 2000);
  EXPECT_EQ(got.size(), 14u);
}

TEST(CloudRun, AnAlibabaCloudClusterFindsThePlantedProblems) {
  auto r = run_command(kinspect_run("--snapshot " CLOUD_DATA_DIR "/aliyun-cluster --set cloud.aliyun_dir=" CLOUD_DATA_DIR
                                    "/aliyun --now 2026-11-20T08:00:00Z --format json --fail-on none --allow-incomplete"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> got = findings(r.out);
  std::vector<std::string> want = {
      "cloud-apiserver-lb-control-plane-missing node/cn-hangzhou.192.168.0.12",
      "cloud-node-instance-expiring node/cn-hangzhou.192.168.1.20",
      "cloud-node-instance-not-running node/cn-hangzhou.192.168.1.21",
      "cloud-node-instance-type-unsupported node/cn-hangzhou.192.168.1.22",
      "cloud-pod-cidr-route-missing node/cn-hangzhou.192.168.1.21",
      "cloud-sg-cni-port-closed-between-nodes node/cn-hangzhou.192.168.1.22",
      "cloud-sg-kubelet-closed-to-control-plane node/cn-hangzhou.192.168.1.22"};
  EXPECT_EQ(got, want);
}

TEST(CloudRun, WithoutAFolderEveryCheckIsNotCheckedNeverPassed) {
  auto r = run_command(kinspect_run("--snapshot " KINSPECT_SOURCE_DIR "/examples/cluster --format json"));
  EXPECT_EQ(r.exit_code, 3) << "nothing was checked: " << r.err;
  EXPECT_NE(r.err.find("not provided"), std::string::npos) << r.err;
  json::value v = json::parse(r.out);
  size_t checks = 0;
  for (const auto& c : v.at("checks").as_array()) {
    ++checks;
    EXPECT_NE(c.at("status"), "passed") << c.at("id");
    EXPECT_TRUE(c.at("findings").as_array().empty());
  }
  EXPECT_EQ(checks, 16u);
}

TEST(CloudRun, AFolderThatIsNotThereIsAUsageError) {
  auto r = run_command(kinspect_run("--snapshot " KINSPECT_SOURCE_DIR "/examples/cluster --set cloud.aws_dir=/nonexistent/kinspect-cloud"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cloud.aws_dir: /nonexistent/kinspect-cloud: no such folder"), std::string::npos) << r.err;
}

TEST(CloudRun, EveryTableExampleRunsOverTheExampleCluster) {
  size_t examples = 0;
  for (const auto& t : cloud::table_specs())
    for (const auto& q : t.examples) {
      ++examples;
      auto r = run_command(std::string(KINSPECT_BIN) + " query " + kinspect::testing::sh_quote(q) + " --snapshot " KINSPECT_SOURCE_DIR
                           "/examples/cluster --set cloud.aws_dir=" CLOUD_DATA_DIR "/aws --format json");
      EXPECT_EQ(r.exit_code, 0) << t.name << ": " << q << "\n" << r.err;
      EXPECT_FALSE(json::parse(r.out).as_array().empty()) << t.name << ": " << q << " returns no row on the example";
    }
  EXPECT_GE(examples, 8u);
}

TEST(CloudRun, NodesMatchTheirInstanceByEveryProviderIdFormOrByAddress) {
  // One node per form Kubernetes' cloud providers write, and one without a providerID.
  std::string dir = "/tmp/kinspect-cloud-nodes-" + std::to_string(::getpid());
  ASSERT_EQ(run_command("mkdir -p " + dir).exit_code, 0);
  std::ofstream(dir + "/nodes.json") << R"({"kind": "NodeList", "apiVersion": "v1", "items": [
    {"metadata": {"name": "ack-form"}, "spec": {"providerID": "cn-hangzhou.i-bp1w0rker000000001"}},
    {"metadata": {"name": "alicloud-form"}, "spec": {"providerID": "alicloud://cn-hangzhou.i-bp1w0rker000000002"}},
    {"metadata": {"name": "by-address"}, "spec": {}, "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.22"}]}},
    {"metadata": {"name": "elsewhere"}, "spec": {"providerID": "gce://project/zone/elsewhere"}}]})";
  auto r = run_command(std::string(KINSPECT_BIN) + " query " + kinspect::testing::sh_quote(
      "SELECT n.metadata.name AS node, i.instance_id FROM cloud.instances i, UNNEST(i.node_keys) AS k JOIN k8s.nodes n "
      "ON k = coalesce(regex_extract(n.spec.providerID, '[/.](i-[0-9a-z]+)$'), n.status.addresses[type = 'InternalIP'].address) "
      "ORDER BY node") + " --snapshot " + dir + " --set cloud.aliyun_dir=" CLOUD_DATA_DIR "/aliyun --format json");
  run_command("rm -rf " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(R"([{"node": "ack-form", "instance_id": "i-bp1w0rker000000001"},
      {"node": "alicloud-form", "instance_id": "i-bp1w0rker000000002"},
      {"node": "by-address", "instance_id": "i-bp1w0rker000000003"}])"));
}
