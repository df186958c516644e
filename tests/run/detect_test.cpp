// Cluster detection: version and type from the facts, each with its reason.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/run/detect.h"

using namespace kinspect;
namespace json = boost::json;

namespace {

TableData table(const char* rows_json) {
  TableData t;
  json::value parsed = json::parse(rows_json);  // keep it alive through the loop
  for (auto& v : parsed.as_array()) t.add(v);
  return t;
}

std::string types(const ClusterDetection& d) {
  std::string s;
  for (const auto& t : d.types) s += (s.empty() ? "" : ",") + t;
  return s;
}

}  // namespace

TEST(Detect, SelfHostedFromControlPlaneNodes) {
  auto version = table(R"([{"gitVersion":"v1.29.4","major":"1","minor":"29"}])");
  auto nodes = table(R"([
    {"metadata":{"name":"m1","labels":{"node-role.kubernetes.io/control-plane":""}}},
    {"metadata":{"name":"w1","labels":{}}}])");
  auto d = detect_cluster(&version, &nodes);
  ASSERT_TRUE(d.version);
  EXPECT_EQ(d.version->minor, 29);
  EXPECT_EQ(types(d), "self-hosted");
  EXPECT_EQ(d.control_plane_nodes, 1u);
  EXPECT_EQ(d.why[1], "type self-hosted: 1 control-plane node visible (label node-role.kubernetes.io/control-plane)");
}

TEST(Detect, ManagedWithGpuAndEdge) {
  auto version = table(R"([{"gitVersion":"v1.30.2-eks-1552ad0"}])");
  auto nodes = table(R"([
    {"metadata":{"name":"a","labels":{"openyurt.io/is-edge-worker":"true"}}},
    {"metadata":{"name":"b"},"status":{"capacity":{"nvidia.com/gpu":"8","cpu":"64"}}},
    {"metadata":{"name":"c"},"status":{"capacity":{"nvidia.com/gpu":"0"}}}])");
  auto d = detect_cluster(&version, &nodes);
  EXPECT_EQ(d.version_text, "v1.30.2-eks-1552ad0");
  EXPECT_EQ(types(d), "managed,edge,gpu");
  EXPECT_EQ(d.why.back(), "gpu: 1 node with nvidia.com/gpu capacity");
}

TEST(Detect, ServerlessWhenEveryNodeIsVirtual) {
  auto nodes = table(R"([
    {"metadata":{"name":"virtual-kubelet-cn-hangzhou-h","labels":{"type":"virtual-kubelet"}}},
    {"metadata":{"name":"vk2"},"spec":{"taints":[{"key":"virtual-kubelet.io/provider","value":"alibabacloud"}]}}])");
  auto d = detect_cluster(nullptr, &nodes);
  EXPECT_FALSE(d.version);
  EXPECT_EQ(types(d), "serverless");
  EXPECT_EQ(d.why[0], "version unknown (no /version answer)");
}

TEST(Detect, NothingReadable) {
  auto d = detect_cluster(nullptr, nullptr);
  EXPECT_TRUE(d.types.empty());
  EXPECT_EQ(d.why.back(), "type unknown (nodes could not be read)");
}
