// `kinspect serve` against the live test API server and the example
// snapshot at once: two named clusters, each inspected on the schedule.
#include "fixture.h"

#include <filesystem>
#include <fstream>

#include "tests/daemon/serve_process.h"

using namespace kapitest;
using namespace kinspect::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

TEST(ServeLive, InspectsTheLiveServerAndASnapshotOnASchedule) {
  Cluster c("serve-live");
  serve_example(c);
  const std::string kc = c.cert_kubeconfig();
  const fs::path dir = c.dir;
  std::ofstream(dir / "serve.yaml") << "interval: 1s\n"
                                       "clusters:\n"
                                       "  - name: live\n    kubeconfig: " << kc << "\n    context: test\n"
                                       "  - name: snapshot\n    snapshot: " << kExample << "\n";
  ServeProcess serve({"--config", (dir / "serve.yaml").string(), "--plugin-dir", KAPI_PLUGIN_DIR, "--state-dir",
                      (dir / "state").string()},
                     (dir / "serve.log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  auto reports = [&](const std::string& cluster) {
    json::error_code ec;
    json::value v = json::parse(http(port, "GET", "/api/v1/reports?cluster=" + cluster).body, ec);
    return ec || !v.is_array() ? size_t(0) : v.as_array().size();
  };
  ASSERT_TRUE(eventually([&] { return reports("live") >= 2 && reports("snapshot") >= 2; }, std::chrono::seconds(90)))
      << serve.log();
  json::value live = json::parse(http(port, "GET", "/api/v1/reports/latest?cluster=live").body);
  json::value snap = json::parse(http(port, "GET", "/api/v1/reports/latest?cluster=snapshot").body);
  EXPECT_EQ(live.at("cluster").at("name").as_string(), "live");
  EXPECT_EQ(snap.at("cluster").at("name").as_string(), "snapshot");
  // The live server answered: the report read its nodes and pods, and no check went unchecked.
  EXPECT_GT(live.at("cluster").at("nodes").as_int64(), 0);
  EXPECT_EQ(live.at("summary").at("not_checked").as_int64(), 0) << http(port, "GET", "/readyz").body;
  EXPECT_EQ(live.at("summary").at("checks").as_int64(), snap.at("summary").at("checks").as_int64());
  // Nodes were LISTed in the first run only (detection's projection, then the
  // checks' wider one) and then followed by WATCH (watch_test.cpp has the rest).
  EXPECT_LE(c.server->lists("/api/v1/nodes"), 2u);
  EXPECT_GE(c.server->watches("/api/v1/nodes"), 1u);
  auto metrics = http(port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("kinspect_runs_total{cluster=\"live\",profile=\"\",result=\"ok\"}"), std::string::npos);
  EXPECT_NE(metrics.find("kinspect_runs_total{cluster=\"snapshot\",profile=\"\",result=\"ok\"}"), std::string::npos);
}
