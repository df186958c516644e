// What clients actually call: the API server's apiserver_requested_deprecated_apis
// gauge (GET /metrics) as k8s.deprecated_api_requests, and the check
// removed-api-called over it, against the test HTTPS server: a finding per
// called API that the target removes, none for the others, the same answer
// from a snapshot, and a role without /metrics is not checked, never passed.
#include "fixture.h"

#include "tests/common/report_json.h"
#include "tests/common/run_command.h"

using namespace kapitest;
using kinspect::testing::messages_of;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

namespace {

// A /metrics body as kube-apiserver 1.29 serves it: other families around
// the one read (one of them a histogram), the family's HELP and TYPE, and
// its samples, one of them for a subresource and one for an API whose
// removal the target does not reach.
const char* kMetrics =
    "# HELP apiserver_request_total [STABLE] Counter of apiserver requests.\n"
    "# TYPE apiserver_request_total counter\n"
    "apiserver_request_total{code=\"200\",component=\"apiserver\",resource=\"pods\",verb=\"LIST\",version=\"v1\"} 42\n"
    "# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by "
    "API group, version, resource, subresource, and removed_release.\n"
    "# TYPE apiserver_requested_deprecated_apis gauge\n"
    "apiserver_requested_deprecated_apis{group=\"flowcontrol.apiserver.k8s.io\",removed_release=\"1.32\",resource=\"flowschemas\","
    "subresource=\"\",version=\"v1beta3\"} 1\n"
    "apiserver_requested_deprecated_apis{group=\"flowcontrol.apiserver.k8s.io\",removed_release=\"1.32\","
    "resource=\"prioritylevelconfigurations\",subresource=\"status\",version=\"v1beta3\"} 1\n"
    "apiserver_requested_deprecated_apis{group=\"storage.k8s.io\",removed_release=\"1.99\",resource=\"csistoragecapacities\","
    "subresource=\"\",version=\"v1beta1\"} 1\n"
    "# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution.\n"
    "# TYPE apiserver_request_duration_seconds histogram\n"
    "apiserver_request_duration_seconds_bucket{verb=\"GET\",le=\"0.1\"} 3\n"
    "apiserver_request_duration_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 4\n"
    "apiserver_request_duration_seconds_sum{verb=\"GET\"} 0.5\n"
    "apiserver_request_duration_seconds_count{verb=\"GET\"} 4\n";

std::string kinspect_cmd(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
}

const std::string kRun = "run --format json --fail-on none --scenario pre-upgrade --target-version 1.32 --check removed-api-called ";

const json::object* check_of(const json::value& report, const std::string& id) {
  for (const auto& c : report.at("checks").as_array())
    if (c.at("id") == json::value(id)) return &c.as_object();
  return nullptr;
}

}  // namespace

TEST(DeprecatedApis, EachCalledApiTheTargetRemovesIsAFinding) {
  Cluster c("deprecated-apis");
  c.server->set_metrics(kMetrics);
  const std::string kc = c.cert_kubeconfig();
  auto rows = run_command(kinspect_cmd("query --format json --kubeconfig " + sh_quote(kc) +
                                       " \"SELECT group_version, resource, subresource, removed_release, value "
                                       "FROM k8s.deprecated_api_requests ORDER BY resource\""));
  ASSERT_EQ(rows.exit_code, 0) << rows.err;
  EXPECT_EQ(json::parse(rows.out),
            json::parse(R"([{"group_version":"storage.k8s.io/v1beta1","resource":"csistoragecapacities","subresource":"","removed_release":"1.99","value":1},
                            {"group_version":"flowcontrol.apiserver.k8s.io/v1beta3","resource":"flowschemas","subresource":"","removed_release":"1.32","value":1},
                            {"group_version":"flowcontrol.apiserver.k8s.io/v1beta3","resource":"prioritylevelconfigurations","subresource":"status","removed_release":"1.32","value":1}])"))
      << rows.out;

  auto live = run_command(kinspect_cmd(kRun + "--kubeconfig " + sh_quote(kc)));
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const json::value report = json::parse(live.out);
  const std::string messages = messages_of(report, "removed-api-called");
  EXPECT_NE(messages.find("clients have called flowcontrol.apiserver.k8s.io/v1beta3 flowschemas since the API server "
                          "started, and Kubernetes 1.32 removes it"),
            std::string::npos)
      << messages;
  EXPECT_NE(messages.find("flowcontrol.apiserver.k8s.io/v1beta3 prioritylevelconfigurations/status"), std::string::npos) << messages;
  EXPECT_EQ(messages.find("csistoragecapacities"), std::string::npos) << "1.32 does not remove it:\n" << messages;

  // A snapshot carries the table and answers the same, with no server.
  const std::string snap = c.dir + "/snap";
  auto taken = run_command(kinspect_cmd("snapshot -o " + sh_quote(snap) + " --kubeconfig " + sh_quote(kc) +
                                        " --table k8s.deprecated_api_requests --table k8s.api_resources --table k8s.version"));
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  c.server.reset();
  auto offline = run_command(kinspect_cmd(kRun + "--snapshot " + sh_quote(snap)));
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(messages_of(json::parse(offline.out), "removed-api-called"), messages);
}

TEST(DeprecatedApis, ARoleWithoutMetricsIsNotCheckedAndSaysWhatToGrant) {
  Cluster c("deprecated-apis-403");
  c.server->set_metrics("forbidden", 403);
  auto run = run_command(kinspect_cmd(kRun + "--kubeconfig " + sh_quote(c.cert_kubeconfig())));
  EXPECT_EQ(run.exit_code, 3) << "incomplete, never passed: " << run.err;
  const json::value report = json::parse(run.out);
  const json::object* ch = check_of(report, "removed-api-called");
  ASSERT_TRUE(ch) << run.out;
  EXPECT_EQ(ch->at("status"), "skipped") << json::serialize(*ch);
  EXPECT_EQ(ch->at("cause"), "forbidden") << json::serialize(*ch);
  EXPECT_NE(std::string(ch->at("reason").as_string()).find("nonResourceURLs [\"/metrics\"]"), std::string::npos)
      << ch->at("reason");
}

TEST(DeprecatedApis, AMalformedSampleNamesItsLine) {
  Cluster c("deprecated-apis-bad");
  c.server->set_metrics(std::string(kMetrics) + "apiserver_requested_deprecated_apis{group=\"x\" 1\n");
  auto r = run_command(kinspect_cmd("query --kubeconfig " + sh_quote(c.cert_kubeconfig()) +
                                    " \"SELECT * FROM k8s.deprecated_api_requests\""));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/metrics:15:47: expected"), std::string::npos) << r.err;
}
