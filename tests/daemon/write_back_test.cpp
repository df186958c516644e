// Write-back's configuration and the request the daemon hands the
// publisher (core/daemon/write_back.h); the writes themselves are tested
// against the HTTPS test server in tests/apiserver/writeback_test.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/daemon/config.h"
#include "core/daemon/write_back.h"

using namespace kinspect;
using namespace kinspect::daemon;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

Expected<DaemonConfig> config_of(const std::string& yaml) {
  const fs::path file = fs::temp_directory_path() / ("kinspect-wb-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << yaml;
  auto c = load_config(file.string());
  fs::remove(file);
  return c;
}

report::CheckResult check(const std::string& id, std::vector<std::pair<report::Severity, std::string>> findings) {
  report::CheckResult c;
  c.id = id;
  c.title = id;
  c.status = findings.empty() ? report::Status::Pass : report::Status::Fail;
  for (auto& [sev, object] : findings) {
    report::Finding f;
    f.severity = sev;
    f.object = object;
    f.message = id + " on " + object;
    c.findings.push_back(f);
  }
  return c;
}

}  // namespace

TEST(WriteBackConfig, OffUnlessConfiguredAndOnWithItsBlock) {
  auto off = config_of("clusters:\n  - name: a\n    kubeconfig: /k\n");
  ASSERT_TRUE(bool(off)) << off.error().format();
  EXPECT_FALSE(off->clusters[0].write_back.enabled);
  auto on = config_of("clusters:\n  - name: a\n    kubeconfig: /k\n    write_back:\n      min_severity: critical\n"
                      "      node_conditions: false\n      max_writes: 20\n");
  ASSERT_TRUE(bool(on)) << on.error().format();
  const WriteBack& wb = on->clusters[0].write_back;
  EXPECT_TRUE(wb.enabled);
  EXPECT_TRUE(wb.events);
  EXPECT_FALSE(wb.node_conditions);
  EXPECT_EQ(wb.min_severity, report::Severity::Critical);
  EXPECT_EQ(wb.max_writes, 20u);
  auto disabled = config_of("clusters:\n  - name: a\n    kubeconfig: /k\n    write_back:\n      enabled: false\n");
  ASSERT_TRUE(bool(disabled));
  EXPECT_FALSE(disabled->clusters[0].write_back.enabled);
}

TEST(WriteBackConfig, MistakesNameTheFieldLineAndColumn) {
  auto c = config_of("clusters:\n"
                     "  - name: snap\n"
                     "    snapshot: /x\n"
                     "    write_back: {}\n"
                     "  - name: live\n"
                     "    kubeconfig: /k\n"
                     "    write_back:\n"
                     "      min_severity: urgent\n"
                     "      evnets: true\n");
  ASSERT_FALSE(bool(c));
  const auto& d = c.error().diagnostics();
  ASSERT_EQ(d.size(), 3u) << c.error().format();
  EXPECT_EQ(d[0].field, "clusters[0].write_back");
  EXPECT_NE(d[0].message.find("needs a live cluster"), std::string::npos);
  EXPECT_EQ(d[1].field, "clusters[1].write_back.evnets");
  EXPECT_EQ(d[1].hint, "did you mean 'events'?");
  EXPECT_EQ(d[2].field, "clusters[1].write_back.min_severity");
  EXPECT_EQ(d[2].pos.line, 8u);
  EXPECT_EQ(d[2].pos.column, 21u);
}

TEST(WriteBackRequest, PublishesFindingsAboveTheFloorAndWhatWasResolved) {
  report::Report before, now;
  before.checks.push_back(check("disk", {{report::Severity::Warning, "node/n1"}, {report::Severity::Warning, "node/n2"}}));
  before.checks.push_back(check("hint", {{report::Severity::Info, "node/n3"}}));
  now.checks.push_back(check("disk", {{report::Severity::Warning, "node/n2"}, {report::Severity::Info, "node/n4"}}));
  now.checks.push_back(check("priv", {{report::Severity::Critical, "pod/a/b"}}));
  report::WaivedFinding waived;
  waived.finding.object = "pod/a/waived";
  waived.finding.severity = report::Severity::Critical;
  now.checks.back().waived.push_back(waived);
  WriteBack wb;
  wb.enabled = true;
  json::value req = json::parse(publish_request("prod", now, &before, wb));
  std::vector<std::string> objects;
  for (const auto& f : req.at("findings").as_array()) objects.emplace_back(f.at("object").as_string());
  // Warning and above, never a waived finding.
  EXPECT_EQ(objects, (std::vector<std::string>{"node/n2", "pod/a/b"}));
  EXPECT_EQ(req.at("findings").at(1).at("check_id").as_string(), "priv");
  EXPECT_EQ(req.at("findings").at(1).at("severity").as_string(), "critical");
  // n1 had a published finding and has none now; n3's was below the floor.
  EXPECT_EQ(req.at("resolved"), json::parse(R"(["node/n1"])"));
  EXPECT_EQ(req.at("cluster").as_string(), "prod");
  // The first report of a cluster resolves nothing.
  EXPECT_TRUE(json::parse(publish_request("prod", now, nullptr, wb)).at("resolved").as_array().empty());
}
