// The node-problem-detector adapter (plugins/adapters/node-problem-detector):
// npd.problems from NPD's real /metrics sample, a folder of per-node pages and
// a live scrape of a loopback server; pages that are not NPD's or do not parse
// are errors with line numbers, never empty tables; and its checks over a
// small cluster (NPD's node condition and events, read by checks/nodes.kcql and
// checks/node/nodes.kcql) and a page with a problem.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/plugin/registry.h"
#include "fake_servers.h"
#include "tests/common/plugin_rows.h"
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

namespace {

const std::string kSample = std::string(NODE_DATA_DIR) + "/npd/metrics/npd_prometheus_metrics_sample.txt";

std::unique_ptr<kinspect::PluginRegistry> npd_with(json::object cfg) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node-problem-detector.so"};
  o.config["node-problem-detector"] = json::serialize(cfg);
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

size_t lines_starting(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    n += text.compare(pos, prefix.size(), prefix) == 0;
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return n;
}

}  // namespace

TEST(NpdAdapter, ReadsNpdsMetricsSample) {
  auto reg = npd_with({{"input", kSample}});
  auto rows = kinspect::testing::plugin_rows(*reg, "npd.problems");
  const std::string text = slurp(kSample);
  const size_t counters = lines_starting(text, "problem_counter{"), gauges = lines_starting(text, "problem_gauge{");
  ASSERT_GT(counters, 0u);
  ASSERT_GT(gauges, 0u);
  EXPECT_EQ(rows.size(), counters + gauges);
  size_t with_condition = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(r.at("source").as_string(), kSample);
    EXPECT_TRUE(r.at("node").is_null());
    if (r.at("metric") == "problem_gauge") with_condition += r.at("condition").is_string();
    if (r.at("reason") == "DockerHung" && r.at("metric") == "problem_gauge") {
      EXPECT_EQ(r.at("condition"), "KernelDeadlock");
    }
  }
  EXPECT_EQ(with_condition, gauges);
}

TEST(NpdAdapter, AFolderOfPagesIsOnePerNode) {
  const std::string dir = ::testing::TempDir() + "/npd-pages";
  fs::create_directories(dir);
  fs::copy_file(kSample, dir + "/worker-1.txt", fs::copy_options::overwrite_existing);
  std::ofstream(dir + "/worker-2.txt") << "# TYPE problem_gauge gauge\nproblem_gauge{reason=\"FilesystemIsReadOnly\",type=\"ReadonlyFilesystem\"} 1\n";
  auto reg = npd_with({{"input", dir}});
  auto rows = kinspect::testing::plugin_rows(*reg, "npd.problems");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().at("node"), "worker-2");
  EXPECT_EQ(rows.back().at("condition"), "ReadonlyFilesystem");
  EXPECT_EQ(rows.back().at("value").to_number<double>(), 1.0);
  EXPECT_EQ(rows.front().at("node"), "worker-1");
}

TEST(NpdAdapter, NotNpdOrMalformedIsAnErrorWithItsLine) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/other.prom") << "# TYPE up gauge\nup 1\n";
  std::ofstream(dir + "/bad.prom") << "problem_counter{reason=\"OOMKilling\"} 1\nproblem_counter{reason=\"TaskHung} 2\n";
  std::ofstream(dir + "/noreason.prom") << "problem_counter{kind=\"x\"} 1\n";
  auto err = [&](const std::string& file) {
    auto reg = npd_with({{"input", dir + "/" + file}});
    return kinspect::testing::scan_error(*reg, "npd.problems");
  };
  EXPECT_NE(err("other.prom").find("other.prom: not node-problem-detector's metrics: no problem_counter or problem_gauge"),
            std::string::npos) << err("other.prom");
  EXPECT_NE(err("bad.prom").find("bad.prom:2:"), std::string::npos) << err("bad.prom");
  EXPECT_NE(err("noreason.prom").find("noreason.prom:1: problem_counter sample without a reason label"), std::string::npos)
      << err("noreason.prom");
  auto none = npd_with({});
  EXPECT_NE(kinspect::testing::scan_error(*none, "npd.problems").find("no input: pass --with node-problem-detector=PATH"),
            std::string::npos);
}

TEST(NpdAdapter, ScrapesALiveNpd) {
  auto npd = node_test::FakeServer::tcp(node_test::http_answer(200, slurp(kSample)));
  auto reg = npd_with({{"live", true}, {"url", npd.url("/metrics")}});
  auto rows = kinspect::testing::plugin_rows(*reg, "npd.problems");
  EXPECT_EQ(rows.size(), lines_starting(slurp(kSample), "problem_"));
  auto down = node_test::FakeServer::tcp(node_test::http_answer(503, "not ready"));
  auto reg2 = npd_with({{"live", true}, {"url", down.url("/metrics")}});
  EXPECT_NE(kinspect::testing::scan_error(*reg2, "npd.problems").find("/metrics: HTTP 503"), std::string::npos);
}

TEST(NpdAdapter, ChecksFindNpdsConditionEventsAndMetrics) {
  const std::string page = ::testing::TempDir() + "/npd-problem.prom";
  // NPD's sample with DockerHung holding KernelDeadlock (the sample has it at 0).
  std::ofstream(page) << slurp(kSample) << "problem_gauge{reason=\"DockerHung\",type=\"KernelDeadlock\"} 1\n";
  auto r = run_command(std::string(KINSPECT_BIN) + " run --plugin-dir " + PLUGIN_DIR + " --snapshot " +
                       sh_quote(std::string(NODE_DATA_DIR) + "/npd/cluster.json") + " --with node-problem-detector=" +
                       sh_quote(page) + " --check 'npd-*' --check node-npd-warning-events --check node-kernel-deadlock --format json --fail-on none");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  std::map<std::string, std::string> found;
  for (const auto& c : rep.at("checks").as_array()) {
    std::string msgs;
    if (c.as_object().contains("findings"))
      for (const auto& f : c.at("findings").as_array()) msgs += std::string(f.at("message").as_string()) + "\n";
    found[std::string(c.at("id").as_string())] = std::string(c.at("status").as_string()) + ": " + msgs;
  }
  // NPD's condition, as checks/nodes.kcql reads it.
  EXPECT_EQ(found["node-kernel-deadlock"].rfind("fail: ", 0), 0u) << found["node-kernel-deadlock"];
  EXPECT_NE(found["node-kernel-deadlock"].find("worker-1"), std::string::npos) << found["node-kernel-deadlock"];
  EXPECT_EQ(found["node-npd-warning-events"],
            "fail: node-problem-detector reported OOMKilling on worker-1 3 time(s): Killed process 1012 (heapster) "
            "total-vm:327128kB, anon-rss:306328kB, file-rss:11132kB\n");
  EXPECT_EQ(found["npd-metric-condition"].rfind("fail: node-problem-detector holds KernelDeadlock (DockerHung) (", 0), 0u)
      << found["npd-metric-condition"];
  // The sample counts only ContainerdStart and DockerStart, which are not problems.
  EXPECT_EQ(found["npd-metric-problems"], "pass: ");
}
