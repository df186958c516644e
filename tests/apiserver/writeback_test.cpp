// Write-back (publish.h, the kube-writeback plugin): findings written to the
// HTTPS test server as Events and a node condition, read back through the
// server and the real kubectl; the read-only client cannot write; a role
// without write rights, and the write bound, are reported, not hidden.
#include "fixture.h"
#include "publish.h"

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/daemon/serve_process.h"

using namespace kapitest;
using namespace kinspect::testing;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

json::object finding(const std::string& check, const std::string& severity, const std::string& object) {
  return json::object{{"check_id", check}, {"title", check}, {"severity", severity}, {"object", object},
                      {"message", check + " on " + object}, {"remedy", "fix it"}};
}

json::object request(json::array findings, json::array resolved = {}) {
  return json::object{{"cluster", "test"}, {"findings", std::move(findings)}, {"resolved", std::move(resolved)}};
}

struct Written {
  std::vector<kapi::PublishOutcome> outcomes;
  size_t count(const std::string& write, const std::string& result) const {
    size_t n = 0;
    for (const auto& o : outcomes) n += o.write == write && o.result == result;
    return n;
  }
};

Written publish(kapi::ApiClient& client, const json::object& req, const std::string& now,
                kapi::PublishOptions options = {}) {
  Written w;
  kapi::publish(client, options, req, now, [&](const kapi::PublishOutcome& o) { w.outcomes.push_back(o); },
                [] { return false; });
  return w;
}

std::unique_ptr<kapi::ApiClient> writer(Cluster& c, bool allow_writes = true) {
  kapi::ResolveOptions ro;
  ro.kubeconfig = c.cert_kubeconfig();
  auto conn = kapi::resolve_connection(ro, [](int, const std::string&) {});
  kapi::ClientOptions co;
  co.allow_writes = allow_writes;
  co.timeout_seconds = 10;
  co.max_retries = 1;
  return std::make_unique<kapi::ApiClient>(std::move(*conn), co, nullptr);
}

json::value get(kapi::ApiClient& client, const std::string& path) { return json::parse(client.get_all(path)); }

// The condition of `type` on node `name` as the server now has it.
json::object node_condition(kapi::ApiClient& client, const std::string& node, const std::string& type) {
  json::value n = get(client, "/api/v1/nodes/" + node);
  for (const auto& c : n.at("status").at("conditions").as_array())
    if (c.at("type").as_string() == type) return c.as_object();
  return {};
}

// The Events write-back made in namespace `ns` ("" = all namespaces).
std::vector<json::object> kinspect_events(kapi::ApiClient& client, const std::string& ns) {
  std::vector<json::object> out;
  json::value list = get(client, ns.empty() ? "/api/v1/events" : "/api/v1/namespaces/" + ns + "/events");
  for (const auto& e : list.at("items").as_array()) {
    const json::value* labels = e.at("metadata").as_object().if_contains("labels");
    if (labels && labels->as_object().contains("app.kubernetes.io/managed-by")) out.push_back(e.as_object());
  }
  return out;
}

}  // namespace

TEST(Writeback, ObjectsOfFindingsMapToKubernetesObjects) {
  auto pod = kapi::object_ref("pod/shop/web-1/nginx");  // a container is not part of the object
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->api_version, "v1");
  EXPECT_EQ(pod->kind, "Pod");
  EXPECT_EQ(pod->ns, "shop");
  EXPECT_EQ(pod->name, "web-1");
  auto node = kapi::object_ref("node/n1");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->ns, "");
  EXPECT_EQ(kapi::object_ref("deployment/shop/web")->api_version, "apps/v1");
  // Not Kubernetes objects, or not whole: no Event is attached to a guess.
  EXPECT_FALSE(kapi::object_ref("cluster/control-plane"));
  EXPECT_FALSE(kapi::object_ref("sysctl/net.ipv4.ip_forward"));
  EXPECT_FALSE(kapi::object_ref("pod/web-1"));
  EXPECT_FALSE(kapi::object_ref("pod//web-1"));
  EXPECT_FALSE(kapi::object_ref("node"));
  EXPECT_EQ(kapi::event_reason("privileged-container"), "PrivilegedContainer");
}

TEST(Writeback, FindingsBecomeEventsAndANodeConditionThatClearsWhenResolved) {
  Cluster c("writeback-events");
  c.server->allow_writes("admin");
  auto client = writer(c);
  const size_t events_before = get(*client, "/api/v1/namespaces/kube-system/events").at("items").as_array().size();
  const json::object ready_before = node_condition(*client, "kind-worker", "Ready");

  json::object req = request({finding("privileged-container", "critical", "pod/kube-system/coredns-74ff55c5b-cpfqs"),
                              finding("node-disk-pressure", "warning", "node/kind-worker"),
                              finding("apiserver-no-audit", "critical", "cluster/control-plane")});
  Written first = publish(*client, req, "2026-12-05T10:00:00Z");
  EXPECT_EQ(first.count("event", "created"), 2u);  // the pod's and the node's; the cluster is no object
  EXPECT_EQ(first.count("condition", "created"), 1u);
  EXPECT_EQ(first.outcomes.size(), 3u);

  auto events = kinspect_events(*client, "kube-system");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(get(*client, "/api/v1/namespaces/kube-system/events").at("items").as_array().size(), events_before + 1);
  const json::object& e = events[0];
  EXPECT_EQ(e.at("involvedObject").at("kind").as_string(), "Pod");
  EXPECT_EQ(e.at("involvedObject").at("name").as_string(), "coredns-74ff55c5b-cpfqs");
  EXPECT_EQ(e.at("reason").as_string(), "PrivilegedContainer");
  EXPECT_EQ(e.at("type").as_string(), "Warning");
  EXPECT_EQ(e.at("count").as_int64(), 1);
  EXPECT_NE(std::string(e.at("message").as_string()).find("privileged-container on pod/kube-system"), std::string::npos);
  // A Node's Event goes to "default", as the kubelet's do.
  auto node_events = kinspect_events(*client, "default");
  ASSERT_EQ(node_events.size(), 1u);
  EXPECT_EQ(node_events[0].at("involvedObject").at("kind").as_string(), "Node");

  json::object cond = node_condition(*client, "kind-worker", "KinspectProblem");
  ASSERT_FALSE(cond.empty());
  EXPECT_EQ(cond.at("status").as_string(), "True");
  EXPECT_EQ(cond.at("reason").as_string(), "NodeDiskPressure");
  EXPECT_EQ(cond.at("lastTransitionTime").as_string(), "2026-12-05T10:00:00Z");
  // The kubelet's own conditions are untouched by the strategic merge.
  EXPECT_EQ(node_condition(*client, "kind-worker", "Ready"), ready_before);
  EXPECT_TRUE(node_condition(*client, "kind-worker2", "KinspectProblem").empty());

  // The next report with the same findings counts the same Events again
  // and keeps the condition's transition time.
  Written second = publish(*client, req, "2026-12-05T10:10:00Z");
  EXPECT_EQ(second.count("event", "updated"), 2u);
  EXPECT_EQ(second.count("condition", "updated"), 1u);
  events = kinspect_events(*client, "kube-system");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("count").as_int64(), 2);
  EXPECT_EQ(events[0].at("lastTimestamp").as_string(), "2026-12-05T10:10:00Z");
  cond = node_condition(*client, "kind-worker", "KinspectProblem");
  EXPECT_EQ(cond.at("lastTransitionTime").as_string(), "2026-12-05T10:00:00Z");
  EXPECT_EQ(cond.at("lastHeartbeatTime").as_string(), "2026-12-05T10:10:00Z");

  // Resolved: the condition goes back to False; a node never marked is left alone.
  Written third = publish(*client, request({}, {"node/kind-worker", "node/kind-worker2"}), "2026-12-05T10:20:00Z");
  EXPECT_EQ(third.count("condition", "cleared"), 1u);
  EXPECT_EQ(third.outcomes.size(), 1u);
  cond = node_condition(*client, "kind-worker", "KinspectProblem");
  EXPECT_EQ(cond.at("status").as_string(), "False");
  EXPECT_EQ(cond.at("reason").as_string(), "NoProblems");
  EXPECT_EQ(cond.at("lastTransitionTime").as_string(), "2026-12-05T10:20:00Z");
  EXPECT_TRUE(node_condition(*client, "kind-worker2", "KinspectProblem").empty());
}

TEST(Writeback, KubectlSeesTheEventsAndTheCondition) {
  const char* kubectl = std::getenv("KINSPECT_TEST_KUBECTL");
  const std::string exe = kubectl && *kubectl ? kubectl : "/usr/bin/kubectl";
  if (access(exe.c_str(), X_OK) != 0) GTEST_SKIP() << "kubectl not found at " << exe << "; set KINSPECT_TEST_KUBECTL";
  Cluster c("writeback-kubectl");
  c.server->allow_writes("admin");
  auto client = writer(c);
  publish(*client, request({finding("privileged-container", "critical", "pod/kube-system/coredns-74ff55c5b-cpfqs"),
                            finding("node-disk-pressure", "warning", "node/kind-worker")}),
          "2026-12-05T10:00:00Z");
  const std::string base = exe + " --kubeconfig " + c.cert_kubeconfig() + " --cache-dir " + c.dir +
                           "/cache --request-timeout 20s ";
  auto events = run_command(base + "get events -n kube-system -l app.kubernetes.io/managed-by=kinspect -o json");
  ASSERT_EQ(events.exit_code, 0) << events.err;
  json::value ev = json::parse(events.out);
  ASSERT_EQ(ev.at("items").as_array().size(), 1u) << events.out;
  EXPECT_EQ(ev.at("items").at(0).at("reason").as_string(), "PrivilegedContainer");
  auto cond = run_command(base + "get node kind-worker -o jsonpath='{.status.conditions[?(@.type==\"KinspectProblem\")].status}'");
  ASSERT_EQ(cond.exit_code, 0) << cond.err;
  EXPECT_EQ(cond.out, "True");
}

TEST(Writeback, TheReadOnlyClientRefusesToWrite) {
  Cluster c("writeback-readonly");
  c.server->allow_writes("admin");
  auto reader = writer(c, /*allow_writes=*/false);
  EXPECT_THROW(reader->write("POST", "/api/v1/namespaces/default/events", "{}", "application/json"), std::logic_error);
  Written w = publish(*reader, request({finding("privileged-container", "critical", "pod/kube-system/coredns-74ff55c5b-cpfqs")}),
                      "2026-12-05T10:00:00Z");
  ASSERT_EQ(w.outcomes.size(), 1u);
  EXPECT_EQ(w.outcomes[0].result, "failed");
  EXPECT_NE(w.outcomes[0].error.find("only reads"), std::string::npos) << w.outcomes[0].error;
  EXPECT_EQ(c.server->writes(), 0u);
  for (const auto& line : c.server->log()) EXPECT_EQ(line.rfind("GET ", 0), 0u) << line;
}

TEST(Writeback, AForbiddenWriteIsReportedAndTheRestSkipped) {
  Cluster c("writeback-forbidden");  // no writer: RBAC as the read-only role answers
  auto client = writer(c);
  Written w = publish(*client, request({finding("a-check", "critical", "pod/kube-system/coredns-74ff55c5b-cpfqs"),
                                        finding("b-check", "warning", "pod/kube-system/coredns-74ff55c5b-vk77h"),
                                        finding("c-check", "warning", "node/kind-worker")}),
                      "2026-12-05T10:00:00Z");
  ASSERT_EQ(w.count("event", "failed"), 1u);
  EXPECT_EQ(w.count("event", "skipped"), 2u);
  EXPECT_EQ(w.count("condition", "failed"), 1u);
  for (const auto& o : w.outcomes)
    if (o.result == "failed") {
      EXPECT_NE(o.error.find("HTTP 403"), std::string::npos) << o.error;
      EXPECT_NE(o.error.find("rbac-write-back.yaml"), std::string::npos) << o.error;
    }
  EXPECT_EQ(c.server->writes(), 0u);
}

TEST(Writeback, TheWriteBoundKeepsTheMostSevere) {
  Cluster c("writeback-bound");
  c.server->allow_writes("admin");
  auto client = writer(c);
  kapi::PublishOptions o;
  o.max_writes = 1;
  o.node_conditions = false;
  Written w = publish(*client, request({finding("warn-check", "warning", "pod/kube-system/coredns-74ff55c5b-vk77h"),
                                        finding("crit-check", "critical", "pod/kube-system/coredns-74ff55c5b-cpfqs")}),
                      "2026-12-05T10:00:00Z", o);
  ASSERT_EQ(w.outcomes.size(), 2u);
  EXPECT_EQ(w.outcomes[0].result, "created");
  EXPECT_EQ(w.outcomes[0].object, "pod/kube-system/coredns-74ff55c5b-cpfqs");
  EXPECT_EQ(w.outcomes[1].result, "skipped");
  EXPECT_NE(w.outcomes[1].error.find("max_writes"), std::string::npos);
  EXPECT_EQ(c.server->writes(), 1u);
}

// The daemon end to end: `kinspect serve` with write-back on publishes each
// report's findings through the kube-writeback plugin, and says so in /metrics.
TEST(Writeback, ServeWithWriteBackPublishesEachReport) {
  Cluster c("writeback-serve");
  c.server->allow_writes("admin");
  const std::string kc = c.cert_kubeconfig();
  const fs::path dir = c.dir;
  std::ofstream(dir / "serve.yaml") << "interval: 1s\n"
                                       "clusters:\n"
                                       "  - name: live\n    kubeconfig: " << kc << "\n    context: test\n"
                                       "    write_back:\n      min_severity: warning\n      max_writes: 50\n";
  ServeProcess serve({"--config", (dir / "serve.yaml").string(), "--plugin-dir", KAPI_PLUGIN_DIR, "--state-dir",
                      (dir / "state").string()},
                     (dir / "serve.log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  ASSERT_TRUE(eventually([&] { return c.server->writes() > 0; }, std::chrono::seconds(90))) << serve.log();
  // What the report found at warning or above is what was published.
  json::value latest = json::parse(http(port, "GET", "/api/v1/reports/latest?cluster=live").body);
  size_t published = 0;
  for (const auto& check : latest.at("checks").as_array())
    for (const auto& f : check.at("findings").as_array())
      if (f.at("severity").as_string() != "info" && kapi::object_ref(std::string(f.at("object").as_string())))
        ++published;
  ASSERT_GT(published, 0u) << "the example findings should include some on Kubernetes objects";
  auto client = writer(c);
  EXPECT_GE(kinspect_events(*client, "").size(), 1u);
  ASSERT_TRUE(eventually([&] {
    return http(port, "GET", "/metrics").body.find("kinspect_writeback_writes_total{cluster=\"live\",write=\"event\"") !=
           std::string::npos;
  }, std::chrono::seconds(30)));
  const std::string metrics = http(port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("kinspect_writeback_writes_total{cluster=\"live\",write=\"event\",result=\"created\"}"),
            std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("kinspect_writeback_writes_total{cluster=\"live\",write=\"event\",result=\"failed\"}"),
            std::string::npos) << http(port, "GET", "/readyz").body;
  json::value ready = json::parse(http(port, "GET", "/readyz").body);
  EXPECT_EQ(ready.at("write_back").at("live").at("last_error").as_string(), "") << ready;
}
