// The cloud plugin's readers on the fixtures of tests/data/cloud, written in
// the shapes of the providers' published responses (SOURCES.md): every table
// for both providers, the provider IDs nodes carry, a call that was not saved
// (unavailable, never empty), and malformed outputs (the file and the field).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "common/time.h"
#include "providers.h"

namespace {

namespace fs = std::filesystem;
namespace ks = kinspect::sdk;
using namespace cloud;

std::vector<json::object> rows_of(const Rows& rows) {
  std::vector<json::object> out;
  for (const auto& r : rows) out.push_back(json::parse(r).as_object());
  return out;
}

std::vector<json::object> aws(std::string_view table) {
  return rows_of(aws_rows(CallDir("cloud.aws_dir", CLOUD_DATA_DIR "/aws"), table));
}
std::vector<json::object> aliyun(std::string_view table) {
  return rows_of(aliyun_rows(CallDir("cloud.aliyun_dir", CLOUD_DATA_DIR "/aliyun"), table));
}

const json::object& find(const std::vector<json::object>& rows, std::string_view key, std::string_view value) {
  for (const auto& r : rows)
    if (r.contains(key) && r.at(key).is_string() && r.at(key).as_string() == value) return r;
  throw std::runtime_error("no row with " + std::string(key) + " = " + std::string(value));
}

// A scratch folder of saved outputs, removed at the end of the test.
struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("kinspect-cloud-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(AwsReader, InstancesWithProviderIdsAddressesAndGroups) {
  auto rows = aws("cloud.instances");
  ASSERT_EQ(rows.size(), 8u);
  const auto& m1 = find(rows, "name", "master-1");
  EXPECT_EQ(m1.at("provider"), "aws");
  EXPECT_EQ(m1.at("instance_id"), "i-0a11000000000cp01");
  EXPECT_EQ(m1.at("provider_id"), "aws:///us-east-1a/i-0a11000000000cp01");
  EXPECT_EQ(m1.at("state"), "running");
  EXPECT_EQ(m1.at("region"), "us-east-1");
  EXPECT_EQ(m1.at("private_ip"), "10.0.0.11");
  EXPECT_EQ(m1.at("private_ips"), json::parse(R"(["10.0.0.11"])"));
  EXPECT_EQ(m1.at("security_group_ids"), json::parse(R"(["sg-0cp0000000000a001"])"));
  EXPECT_EQ(m1.at("vcpus"), 2);
  EXPECT_TRUE(m1.at("expires_at").is_null());
  EXPECT_EQ(m1.at("launched_at"), "2025-11-02T08:15:30Z") << "AWS's +00:00 is written in UTC as every time is";
  EXPECT_EQ(m1.at("tags").at("kubernetes.io/cluster/example"), "owned");
  EXPECT_EQ(find(rows, "name", "worker-4").at("state"), "stopped");
}

TEST(AwsReader, SecurityGroupRulesOneRowPerPeer) {
  auto groups = aws("cloud.security_groups");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(find(groups, "group_id", "sg-0cp0000000000a001").at("ingress_permissions"), 5);
  auto rules = aws("cloud.security_group_rules");
  int api_peers = 0;
  for (const auto& r : rules) {
    if (r.at("group_id") == "sg-0cp0000000000a001" && r.at("direction") == "ingress" && r.at("port_from") == 6443) {
      ++api_peers;
      EXPECT_EQ(r.at("protocol"), "tcp");
      EXPECT_EQ(r.at("policy"), "accept");
    }
    if (r.at("protocol") == "all") {
      EXPECT_EQ(r.at("direction"), "egress");
      EXPECT_EQ(r.at("port_from"), 0);
      EXPECT_EQ(r.at("port_to"), 65535);
      EXPECT_EQ(r.at("peer_cidr"), "0.0.0.0/0");
    }
  }
  EXPECT_EQ(api_peers, 3) << "two groups and one CIDR open 6443 on the control plane";
  const auto& kubelet = find(rules, "description", "kubelet from the control plane");
  EXPECT_EQ(kubelet.at("peer_group_id"), "sg-0cp0000000000a001");
  EXPECT_TRUE(kubelet.at("peer_cidr").is_null());
  EXPECT_TRUE(kubelet.at("priority").is_null());
}

TEST(AwsReader, RoutesVpcsSubnets) {
  auto tables = aws("cloud.route_tables");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].at("main"), true);
  auto routes = aws("cloud.routes");
  EXPECT_EQ(routes.size(), 9u) << "local, the NAT default and seven pod CIDR routes";
  const auto& pod = find(routes, "destination", "10.244.1.0/24");
  EXPECT_EQ(pod.at("target_type"), "instance");
  EXPECT_EQ(pod.at("target_id"), "i-0a12000000000cp02");
  EXPECT_EQ(pod.at("state"), "active");
  EXPECT_EQ(pod.at("vpc_id"), "vpc-0a1b2c3d4e5f60718");
  EXPECT_EQ(find(routes, "destination", "10.0.0.0/16").at("target_type"), "local");
  EXPECT_EQ(find(routes, "destination", "0.0.0.0/0").at("target_type"), "nat-gateway");
  auto vpcs = aws("cloud.vpcs");
  ASSERT_EQ(vpcs.size(), 1u);
  EXPECT_EQ(vpcs[0].at("cidr_blocks"), json::parse(R"(["10.0.0.0/16"])"));
  EXPECT_EQ(vpcs[0].at("state"), "available");
  auto subnets = aws("cloud.subnets");
  ASSERT_EQ(subnets.size(), 2u);
  EXPECT_EQ(find(subnets, "subnet_id", "subnet-0c0ffee000000b002").at("cidr_block"), "10.0.1.0/24");
}

TEST(AwsReader, LoadBalancerWithListenerAndTargetHealth) {
  auto lbs = aws("cloud.load_balancers");
  ASSERT_EQ(lbs.size(), 1u);
  const auto& lb = lbs[0];
  EXPECT_EQ(lb.at("name"), "example-apiserver");
  EXPECT_EQ(lb.at("state"), "active");
  EXPECT_EQ(lb.at("listeners"), json::parse(R"([{"port":6443,"protocol":"TCP","target_groups":["example-apiserver"]}])"));
  const auto& backends = lb.at("backends").as_array();
  ASSERT_EQ(backends.size(), 3u);
  EXPECT_EQ(backends[2].at("instance_id"), "i-0a13000000000cp03");
  EXPECT_EQ(backends[2].at("health"), "unhealthy");
  EXPECT_EQ(backends[2].at("reason"), "Target.FailedHealthChecks");
  EXPECT_EQ(backends[2].at("listener_port"), 6443);
}

TEST(AliyunReader, InstancesWithSubscriptionEndAndAckProviderIds) {
  auto rows = aliyun("cloud.instances");
  ASSERT_EQ(rows.size(), 6u);
  const auto& w1 = find(rows, "instance_id", "i-bp1w0rker000000001");
  EXPECT_EQ(w1.at("provider"), "aliyun");
  EXPECT_EQ(w1.at("provider_id"), "cn-hangzhou.i-bp1w0rker000000001");
  EXPECT_EQ(w1.at("state"), "running");
  EXPECT_EQ(w1.at("charge_type"), "PrePaid");
  EXPECT_EQ(w1.at("expires_at"), "2026-11-23T16:00:00Z") << "minutes-only times get seconds, for ts()";
  EXPECT_EQ(w1.at("vcpus"), 8);
  EXPECT_EQ(w1.at("memory_mib"), 32768);
  EXPECT_EQ(w1.at("subnet_id"), "vsw-bp1s5fnvk4gn2tws0b002");
  EXPECT_EQ(w1.at("private_ips"), json::parse(R"(["192.168.1.20"])"));
  const auto& m1 = find(rows, "instance_id", "i-bp1c0ntr01p1ane0001");
  EXPECT_TRUE(m1.at("expires_at").is_null()) << "a pay-as-you-go instance does not expire";
  EXPECT_EQ(find(rows, "instance_id", "i-bp1w0rker000000002").at("state"), "stopped");
}

TEST(AliyunReader, SecurityGroupsWithPriorityPolicyAndInnerAccess) {
  auto groups = aliyun("cloud.security_groups");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(find(groups, "group_id", "sg-bp1gxw6bznjjvhu30001").at("inner_access_policy"), "accept");
  auto rules = aliyun("cloud.security_group_rules");
  EXPECT_EQ(rules.size(), 8u);
  const auto& api = find(rules, "description", "kube-apiserver");
  EXPECT_EQ(api.at("protocol"), "tcp");
  EXPECT_EQ(api.at("port_from"), 6443);
  EXPECT_EQ(api.at("port_to"), 6443);
  EXPECT_EQ(api.at("peer_cidr"), "192.168.0.0/16");
  EXPECT_EQ(api.at("policy"), "accept");
  EXPECT_EQ(api.at("priority"), 1);
  EXPECT_EQ(find(rules, "description", "ssh").at("priority"), 1) << "a priority given as text";
  EXPECT_TRUE(find(rules, "description", "ping").at("port_from").is_null()) << "ICMP has no ports";
  const auto& pods = find(rules, "description", "pods");
  EXPECT_EQ(pods.at("port_from"), 0);
  EXPECT_EQ(pods.at("port_to"), 65535);
}

TEST(AliyunReader, RouteEntriesTablesVpcsVSwitches) {
  auto routes = aliyun("cloud.routes");
  EXPECT_EQ(routes.size(), 7u);
  const auto& pod = find(routes, "destination", "172.20.1.128/25");
  EXPECT_EQ(pod.at("target_type"), "instance");
  EXPECT_EQ(pod.at("target_id"), "i-bp1w0rker000000001");
  EXPECT_EQ(pod.at("state"), "active");
  EXPECT_EQ(pod.at("vpc_id"), "vpc-bp1opxu1zkhn00gzv0001") << "from DescribeRouteTableList";
  auto tables = aliyun("cloud.route_tables");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].at("main"), true);
  EXPECT_EQ(tables[0].at("subnet_ids").as_array().size(), 2u);
  auto vpcs = aliyun("cloud.vpcs");
  ASSERT_EQ(vpcs.size(), 1u);
  EXPECT_EQ(vpcs[0].at("state"), "available");
  EXPECT_EQ(vpcs[0].at("region"), "cn-hangzhou");
  EXPECT_EQ(aliyun("cloud.subnets").size(), 2u);
}

TEST(AliyunReader, LoadBalancerHealthPerListener) {
  auto lbs = aliyun("cloud.load_balancers");
  ASSERT_EQ(lbs.size(), 1u);
  EXPECT_EQ(lbs[0].at("state"), "active");
  EXPECT_EQ(lbs[0].at("scheme"), "intranet");
  EXPECT_EQ(lbs[0].at("listeners"), json::parse(R"([{"port":6443,"protocol":"tcp","target_groups":[]}])"));
  const auto& backends = lbs[0].at("backends").as_array();
  ASSERT_EQ(backends.size(), 2u);
  EXPECT_EQ(backends[0].at("health"), "healthy") << "normal reads as healthy";
  EXPECT_EQ(backends[0].at("listener_port"), 6443);
}

TEST(CallDir, ACallNotSavedMakesItsTablesUnavailable) {
  ScratchDir d;
  d.write("describe-instances.json", R"({"Reservations": []})");
  CallDir dir("cloud.aws_dir", d.path.string());
  EXPECT_TRUE(aws_rows(dir, "cloud.instances").empty()) << "a saved call that returned nothing is zero rows";
  try {
    aws_rows(dir, "cloud.vpcs");
    FAIL() << "no describe-vpcs.json must not read as no VPCs";
  } catch (const ks::Unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("not provided"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("describe-vpcs.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("aws ec2 describe-vpcs"), std::string::npos) << e.what();
  }
}

TEST(CallDir, SeveralFilesPerCallAndOnePerTargetGroup) {
  ScratchDir d;
  d.write("describe-vpcs-page1.json", R"({"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "State": "available"}]})");
  d.write("describe-vpcs-page2.json", R"({"Vpcs": [{"VpcId": "vpc-2", "CidrBlock": "10.1.0.0/16", "State": "pending"}]})");
  d.write("describe-vpc-endpoints.json", R"({"VpcEndpoints": "not a vpc list"})");
  CallDir dir("cloud.aws_dir", d.path.string());
  auto vpcs = rows_of(aws_rows(dir, "cloud.vpcs"));
  ASSERT_EQ(vpcs.size(), 2u);
  EXPECT_EQ(vpcs[1].at("state"), "pending");
  // A listener whose target group's health was not saved: unavailable.
  d.write("describe-load-balancers.json", R"({"LoadBalancers": [{"LoadBalancerArn": "arn:lb", "LoadBalancerName": "api"}]})");
  d.write("describe-listeners.json", R"({"Listeners": [{"LoadBalancerArn": "arn:lb", "Port": 6443, "DefaultActions":
      [{"Type": "forward", "TargetGroupArn": "arn:aws:elasticloadbalancing:r:1:targetgroup/api-tg/abc"}]}]})");
  CallDir again("cloud.aws_dir", d.path.string());
  std::string e = error_of([&] { aws_rows(again, "cloud.load_balancers"); });
  EXPECT_NE(e.find("describe-target-health-api-tg.json"), std::string::npos) << e;
}

TEST(CallDir, MalformedOutputsNameTheFileAndTheField) {
  ScratchDir d;
  d.write("DescribeInstances.json", R"({"Instances": {"Instance": [{"InstanceId": "i-1", "VpcAttributes": "vpc-1"}]}})");
  d.write("DescribeVpcs.json", "{\"Vpcs\": {\"Vpc\": [\n  {\"VpcId\": \"vpc-1\",}\n]}}");
  d.write("DescribeSecurityGroupAttribute-sg-1.json",
          R"({"SecurityGroupId": "sg-1", "Permissions": {"Permission": [{"Direction": "ingress", "IpProtocol": "TCP", "PortRange": "6443", "Priority": "high"}]}})");
  d.write("DescribeVSwitches.json", R"(["not", "an", "object"])");
  CallDir dir("cloud.aliyun_dir", d.path.string());
  std::string e = error_of([&] { aliyun_rows(dir, "cloud.instances"); });
  EXPECT_NE(e.find("DescribeInstances.json: Instances.Instance[0].VpcAttributes: expected an object, got a string"), std::string::npos) << e;
  e = error_of([&] { aliyun_rows(dir, "cloud.vpcs"); });
  EXPECT_NE(e.find("DescribeVpcs.json:2:"), std::string::npos) << "line and column: " << e;
  e = error_of([&] { aliyun_rows(dir, "cloud.security_group_rules"); });
  EXPECT_NE(e.find("Permissions.Permission[0].PortRange: expected FROM/TO"), std::string::npos) << e;
  e = error_of([&] { aliyun_rows(dir, "cloud.subnets"); });
  EXPECT_NE(e.find("DescribeVSwitches.json: expected a JSON object"), std::string::npos) << e;
}

TEST(CallDir, ATimeThatIsNotATimeIsAnErrorNamingItsField) {
  ScratchDir d;
  d.write("DescribeInstances.json",
          R"({"Instances": {"Instance": [{"InstanceId": "i-1", "CreationTime": "yesterday at noon"}]}})");
  std::string e = error_of([&] { aliyun_rows(CallDir("cloud.aliyun_dir", d.path.string()), "cloud.instances"); });
  EXPECT_NE(e.find("Instances.Instance[0].CreationTime: expected an RFC 3339 time, got \"yesterday at noon\""),
            std::string::npos)
      << e;
}

TEST(CallDir, OnlyProviderReadersAcceptTimesThatStopAtTheMinute) {
  using plugin_common::Seconds;
  EXPECT_FALSE(plugin_common::parse_rfc3339_us("2017-12-10T16:00Z")) << "RFC 3339 itself requires seconds";
  EXPECT_EQ(plugin_common::parse_rfc3339_us("2017-12-10T16:00Z", Seconds::optional),
            plugin_common::parse_rfc3339_us("2017-12-10T16:00:00Z"));
  EXPECT_EQ(plugin_common::parse_rfc3339_us("2017-12-11T00:00+08:00", Seconds::optional),
            plugin_common::parse_rfc3339_us("2017-12-10T16:00:00Z"));
  EXPECT_FALSE(plugin_common::parse_rfc3339_us("2017-12-10T16:00", Seconds::optional)) << "a zone is still required";
}

TEST(CallDir, AFolderThatIsNotThereIsAClearError) {
  std::string e = error_of([] { CallDir("cloud.aws_dir", "/nonexistent/kinspect-cloud"); });
  EXPECT_EQ(e, "cloud.aws_dir: /nonexistent/kinspect-cloud: no such folder");
  e = error_of([] { CallDir("cloud.aws_dir", CLOUD_DATA_DIR "/aws/describe-vpcs.json"); });
  EXPECT_NE(e.find("not a folder"), std::string::npos) << e;
}
