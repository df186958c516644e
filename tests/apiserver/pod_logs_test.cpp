// k8s.pod_logs and `kinspect run --with kube-bench` (no PATH): kube-bench's
// Job pod logs read from the HTTPS test server through the pods/log
// subresource, GET only, and turned into kube-bench's findings. The logs
// are real kube-bench outputs (tests/data/adapters/kube-bench/); the real
// kubectl reads the same logs from the same server.
#include "fixture.h"

#include <unistd.h>

#include <sstream>

using namespace kapitest;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace json = boost::json;

namespace {

const std::string kAdapters = std::string(KINSPECT_SOURCE_DIR) + "/tests/data/adapters/kube-bench/";
// kube-bench's own integration test output, the log of its Job on kind.
const std::string kTextLog = kAdapters + "kube-bench_text-output_kind_cis-default.txt";
// `kube-bench --json` (wrapped, with totals), the worker's log.
const std::string kJsonLog = kAdapters + "kube-bench_wrapped-format_master-etcd-controlplane_with_totals.json";
// An older run's output on the control plane: the newer pod's log wins.
const std::string kOldLog = kAdapters + "kube-bench_array-format_etcd-controlplane-master.json";

// A cluster whose pods are kube-bench's Job pods, with their logs.
struct KubeBenchCluster : Cluster {
  explicit KubeBenchCluster(const std::string& name) : Cluster(name) {
    server->add_collection_file("/api/v1/pods", data("kube-bench_job_PodList.json"));
    server->add_pod_log("default", "kube-bench-master-9xq2v", "kube-bench", read_file(kTextLog));
    server->add_pod_log("default", "kube-bench-master-2kd8w", "kube-bench", read_file(kOldLog));
    server->add_pod_log("default", "kube-bench-node-x7p4m", "kube-bench", read_file(kJsonLog));
    server->add_pod_log("default", "unrelated-batch-lq9vd", "kube-bench", "not kube-bench's output\n");
    // kube-bench-node-q5rtz is Pending: the server has no log for it (400).
  }
};

// Results per status as the files state them: `[FAIL] ...` lines of the
// console output, "status" of each JSON result.
size_t text_count(const std::string& file, const std::string& status) {
  std::istringstream in(read_file(file));
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.rfind("[" + status + "] ", 0) == 0;
  return n;
}
size_t json_count(const std::string& file, const std::string& status) {
  size_t n = 0;
  const json::value doc = json::parse(read_file(file));
  for (const auto& c : doc.at("Controls").as_array())
    for (const auto& t : c.at("tests").as_array())
      for (const auto& r : t.at("results").as_array()) n += r.at("status").as_string() == status;
  return n;
}

std::string kinspect_cmd(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
}

std::map<std::string, json::object> checks_by_id(const std::string& report) {
  std::map<std::string, json::object> out;
  const json::value doc = json::parse(report);  // alive for the whole loop
  for (const auto& c : doc.at("checks").as_array()) out[std::string(c.at("id").as_string())] = c.as_object();
  return out;
}

// `run --with sonobuoy` against cluster `c`: sonobuoy's per-test checks
// are not checked (exit 3), for a reason that holds `why`.
void expect_sonobuoy_not_checked(Cluster& c, const std::string& why) {
  auto r = run_command(kinspect_cmd("run --with sonobuoy --check 'sonobuoy-*' --format json --fail-on none --kubeconfig " +
                                    sh_quote(c.cert_kubeconfig())));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto checks = checks_by_id(r.out);
  ASSERT_TRUE(checks.count("sonobuoy-test-failed")) << r.out;
  EXPECT_EQ(checks["sonobuoy-test-failed"].at("status"), "skipped");
  EXPECT_NE(std::string(checks["sonobuoy-test-failed"].at("reason").as_string()).find(why), std::string::npos)
      << checks["sonobuoy-test-failed"].at("reason");
}

std::string server_log(const Server& s) {
  std::string out;
  for (const auto& l : s.log()) out += "  " + l + "\n";
  return out;
}

}  // namespace

TEST(PodLogs, EachContainersLogThroughPodsLog) {
  KubeBenchCluster c("podlogs-table");
  auto p = plugin(c.config(c.cert_kubeconfig()));
  auto r = p->scan("k8s.pod_logs", {"app=kube-bench"});
  ASSERT_TRUE(r.ok) << r.error;
  std::map<std::string, json::object> by_pod;
  for (const auto& row : r.rows) by_pod[str(row, "pod")] = row.as_object();
  ASSERT_EQ(by_pod.size(), 4u) << "the four app=kube-bench pods, not the unrelated one";
  EXPECT_EQ(by_pod["kube-bench-master-9xq2v"].at("log").as_string(), read_file(kTextLog));
  EXPECT_EQ(by_pod["kube-bench-master-9xq2v"].at("node").as_string(), "kind-control-plane");
  EXPECT_EQ(by_pod["kube-bench-master-9xq2v"].at("phase").as_string(), "Succeeded");
  EXPECT_EQ(by_pod["kube-bench-master-9xq2v"].at("container").as_string(), "kube-bench");
  EXPECT_EQ(by_pod["kube-bench-node-x7p4m"].at("log").as_string(), read_file(kJsonLog));
  EXPECT_FALSE(by_pod["kube-bench-node-x7p4m"].at("truncated").as_bool());
  // The Pending pod: no log, and an error naming it.
  const json::object& pending = by_pod["kube-bench-node-q5rtz"];
  EXPECT_TRUE(pending.at("log").is_null());
  EXPECT_TRUE(pending.at("node").is_null());
  EXPECT_NE(std::string(pending.at("error").as_string()).find("pod default/kube-bench-node-q5rtz container kube-bench"),
            std::string::npos) << pending.at("error");

  // Read-only: GETs of the pod list and of each pod's log subresource, each bounded.
  size_t logs = 0;
  for (const auto& l : c.server->log()) {
    EXPECT_EQ(l.rfind("GET ", 0), 0u) << l;
    if (l.find("/log?") == std::string::npos) continue;
    ++logs;
    EXPECT_EQ(l.rfind("GET /api/v1/namespaces/default/pods/kube-bench-", 0), 0u) << l;
    EXPECT_NE(l.find("limitBytes=16777217"), std::string::npos) << l;
  }
  EXPECT_EQ(logs, 4u) << server_log(*c.server);
  EXPECT_EQ(c.server->count("GET /api/v1/pods"), 1u) << server_log(*c.server);
}

TEST(PodLogs, ALogLongerThanTheBoundIsCutThere) {
  KubeBenchCluster c("podlogs-bound");
  auto p = plugin(c.config(c.cert_kubeconfig(), ",\"pod_log_max_bytes\":1000"));
  auto r = p->scan("k8s.pod_logs", {"app=kube-bench", "default"});
  ASSERT_TRUE(r.ok) << r.error;
  size_t cut = 0;
  for (const auto& row : r.rows) {
    if (row.at("log").is_null()) continue;
    // Every log here is longer than 1000 bytes: cut there, and said so.
    EXPECT_EQ(row.at("log").as_string().size(), 1000u);
    cut += row.at("truncated").as_bool();
  }
  EXPECT_EQ(cut, 3u);
  // The server is asked for one byte past the bound, to tell a cut log from a whole one.
  for (const auto& l : c.server->log())
    if (l.find("/log?") != std::string::npos) {
      EXPECT_NE(l.find("limitBytes=1001"), std::string::npos) << l;
    }

  // A server ignoring limitBytes: the client stops reading past the bound.
  c.server->hook([](const Request& req, Response& out) {
    if (req.path.find("/log") == std::string::npos) return false;
    out.content_type = "text/plain";
    out.body = std::string(5000, 'x');
    return true;
  });
  r = p->scan("k8s.pod_logs", {"app=kube-bench", "default"});
  ASSERT_TRUE(r.ok) << r.error;
  for (const auto& row : r.rows) {
    EXPECT_EQ(row.at("log").as_string().size(), 1000u);
    EXPECT_TRUE(row.at("truncated").as_bool());
  }
}

TEST(PodLogs, BadArgumentsAreRefusedBeforeAnyRequest) {
  KubeBenchCluster c("podlogs-args");
  auto p = plugin(c.config(c.cert_kubeconfig()));
  auto r = p->scan("k8s.pod_logs", {});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("k8s.pod_logs(label_selector[, namespace])"), std::string::npos) << r.error;
  r = p->scan("k8s.pod_logs", {"app=kube-bench&x=1"});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("invalid label selector 'app=kube-bench&x=1'"), std::string::npos) << r.error;
  r = p->scan("k8s.pod_logs", {"app=kube-bench", "../kube-system"});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("invalid namespace '../kube-system'"), std::string::npos) << r.error;
  EXPECT_TRUE(c.server->log().empty()) << server_log(*c.server);
}

TEST(PodLogs, ForbiddenIsUnavailableNotEmpty) {
  KubeBenchCluster c("podlogs-403");
  forbid_cluster_pod_list(*c.server);
  auto p = plugin(c.config(c.cert_kubeconfig()));
  auto r = p->scan("k8s.pod_logs", {"app=kube-bench"});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.rc, KI_UNAVAILABLE) << r.error;
  EXPECT_NE(r.error.find("forbidden: cannot list pods (403)"), std::string::npos) << r.error;
}

TEST(PodLogs, ASnapshotHasNoLogs) {
  auto p = plugin("{\"snapshot\":" + kitest::q(kExample) + "}");
  auto r = p->scan("k8s.pod_logs", {"app=kube-bench"});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("not captured"), std::string::npos) << r.error;
}

TEST(PodLogs, KubectlLogsReadsTheSameLog) {
  const char* env = std::getenv("KINSPECT_TEST_KUBECTL");
  std::string kubectl = env && *env ? env : "/usr/bin/kubectl";
  if (access(kubectl.c_str(), X_OK) != 0) GTEST_SKIP() << "kubectl not found at " << kubectl << "; set KINSPECT_TEST_KUBECTL";
  EnvGuard guard{"KUBECONFIG", "HOME"};
  KubeBenchCluster c("podlogs-kubectl");
  setenv("HOME", c.dir.c_str(), 1);
  unsetenv("KUBECONFIG");
  auto r = run_command(kubectl + " --kubeconfig " + sh_quote(c.cert_kubeconfig()) + " --cache-dir " + sh_quote(c.dir + "/cache") +
                       " --request-timeout 20s logs -n default kube-bench-master-9xq2v");
  ASSERT_EQ(r.exit_code, 0) << r.err << server_log(*c.server);
  EXPECT_EQ(r.out, read_file(kTextLog));
  EXPECT_GE(c.server->count("GET /api/v1/namespaces/default/pods/kube-bench-master-9xq2v/log"), 1u) << server_log(*c.server);
}

TEST(PodLogs, RunWithKubeBenchAloneGivesItsFindings) {
  KubeBenchCluster c("podlogs-run");
  auto r = run_command(kinspect_cmd("run --with kube-bench --check 'kube-bench-*' --format json --fail-on none --kubeconfig " +
                                sh_quote(c.cert_kubeconfig())));
  ASSERT_EQ(r.exit_code, 0) << r.err << server_log(*c.server);
  auto checks = checks_by_id(r.out);
  ASSERT_TRUE(checks.count("kube-bench-failed")) << r.out;
  // The newest run per node: the console output on kind-control-plane, the
  // JSON on kind-worker; the older run's pod and the unrelated Job's are not read.
  const auto& failed = checks["kube-bench-failed"].at("findings").as_array();
  const auto& manual = checks["kube-bench-manual"].at("findings").as_array();
  EXPECT_EQ(failed.size(), text_count(kTextLog, "FAIL") + json_count(kJsonLog, "FAIL"));
  EXPECT_EQ(manual.size(), text_count(kTextLog, "WARN") + json_count(kJsonLog, "WARN"));
  ASSERT_GT(failed.size(), 0u);
  size_t on_control_plane = 0;
  for (const auto& f : failed) on_control_plane += json::serialize(f).find("\"node/kind-control-plane\"") != std::string::npos;
  EXPECT_EQ(on_control_plane, text_count(kTextLog, "FAIL")) << "each finding names the node its pod ran on";
  EXPECT_NE(r.err.find("kube-bench-node-q5rtz"), std::string::npos) << "the pod whose log could not be read is named: " << r.err;

  // Read-only: GETs only, of pods and pods/log (and discovery, /version).
  for (const auto& l : c.server->log()) EXPECT_EQ(l.rfind("GET ", 0), 0u) << l;
  EXPECT_EQ(c.server->count("GET /api/v1/namespaces/default/pods/kube-bench-master-9xq2v/log"), 1u) << server_log(*c.server);
  EXPECT_EQ(c.server->count("GET /api/v1/namespaces/default/pods/unrelated-batch-lq9vd"), 0u) << server_log(*c.server);
}

TEST(PodLogs, NoKubeBenchPodsIsNotCheckedNeverPassed) {
  Cluster c("podlogs-none");  // kind's kube-system pods: no kube-bench Job ran
  auto r = run_command(kinspect_cmd("run --with kube-bench --check 'kube-bench-*' --format json --fail-on none --kubeconfig " +
                                sh_quote(c.cert_kubeconfig())));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto checks = checks_by_id(r.out);
  for (const char* id : {"kube-bench-failed", "kube-bench-manual"}) {
    ASSERT_TRUE(checks.count(id)) << r.out;
    EXPECT_EQ(checks[id].at("status"), "skipped") << json::serialize(checks[id]);
    EXPECT_NE(std::string(checks[id].at("reason").as_string()).find("no pod matching the label selector 'app=kube-bench'"),
              std::string::npos) << checks[id].at("reason");
  }
}

// --with sonobuoy alone reads what `sonobuoy status` reads: the status
// annotation of the aggregator pod (a GET of the pod list), into
// sonobuoy.plugins; per-test results stay not checked, naming `sonobuoy retrieve`.
struct SonobuoyCluster : Cluster {
  explicit SonobuoyCluster(const std::string& name) : Cluster(name) {
    server->add_collection_file("/api/v1/pods", data("sonobuoy_aggregator_PodList.json"));
  }
};

// Per plugin, the counts the annotation states.
std::map<std::string, std::map<std::string, int64_t>> status_counts() {
  std::map<std::string, std::map<std::string, int64_t>> out;
  const json::value list = json::parse(read_file(data("sonobuoy_aggregator_PodList.json")));
  for (const auto& pod : list.at("items").as_array()) {
    const json::object& meta = pod.at("metadata").as_object();
    if (!meta.contains("annotations") || !meta.at("annotations").as_object().contains("sonobuoy.hept.io/status")) continue;
    const json::value status = json::parse(meta.at("annotations").at("sonobuoy.hept.io/status").as_string());
    for (const auto& p : status.at("plugins").as_array()) {
      auto& c = out[std::string(p.at("plugin").as_string())];
      for (const auto& [k, v] : p.at("result-counts").as_object()) c[std::string(k)] += v.as_int64(), c["total"] += v.as_int64();
    }
  }
  return out;
}

TEST(PodLogs, SonobuoyAloneReadsTheAggregatorStatus) {
  SonobuoyCluster c("podlogs-sonobuoy");
  auto want = status_counts();
  ASSERT_EQ(want.size(), 2u) << "e2e and systemd-logs";
  auto q = run_command(kinspect_cmd("query --with sonobuoy --format json --kubeconfig " + sh_quote(c.cert_kubeconfig()) +
                                    " \"SELECT plugin, status, source, passed, failed, skipped, total FROM sonobuoy.plugins\""));
  ASSERT_EQ(q.exit_code, 0) << q.err << server_log(*c.server);
  const json::value rows = json::parse(q.out);
  ASSERT_EQ(rows.as_array().size(), want.size()) << q.out;
  for (const auto& r : rows.as_array()) {
    const auto& w = want.at(std::string(r.at("plugin").as_string()));
    SCOPED_TRACE(json::serialize(r));
    EXPECT_EQ(r.at("source"), "status");
    EXPECT_EQ(r.at("status"), "passed") << "every plugin complete, none failed";
    for (const char* k : {"passed", "failed", "skipped", "total"})
      EXPECT_EQ(r.at(k).to_number<int64_t>(), w.count(k) ? w.at(k) : 0) << k;
  }
  size_t selected = 0;
  for (const auto& l : c.server->log()) {
    EXPECT_EQ(l.rfind("GET ", 0), 0u) << l;
    selected += l.find("labelSelector=sonobuoy-component%3Daggregator") != std::string::npos;
  }
  EXPECT_GE(selected, 1u) << "the selector goes to the API server:\n" << server_log(*c.server);

  expect_sonobuoy_not_checked(c, "run `sonobuoy retrieve`");
}

// The aggregator's status judged: the saved run (every plugin complete and
// passed) gives no finding; the same pod with e2e's results failed and
// systemd-logs still running gives one finding each, with the counts.
TEST(PodLogs, SonobuoyAloneJudgesEachPluginsState) {
  SonobuoyCluster passed("podlogs-sonobuoy-passed");
  auto run = [](Cluster& c) {
    auto r = run_command(kinspect_cmd("run --with sonobuoy --check sonobuoy-plugin-failed --check sonobuoy-plugin-not-finished --format json --fail-on none --kubeconfig " +
                                      sh_quote(c.cert_kubeconfig())));
    // 3: the per-test checks stay not checked (no tarball), whatever these find.
    EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
    return checks_by_id(r.out);
  };
  auto ok = run(passed);
  ASSERT_TRUE(ok.count("sonobuoy-plugin-failed") && ok.count("sonobuoy-plugin-not-finished"));
  EXPECT_EQ(ok["sonobuoy-plugin-failed"].at("status"), "pass");
  EXPECT_EQ(ok["sonobuoy-plugin-not-finished"].at("status"), "pass");

  json::value list = json::parse(read_file(data("sonobuoy_aggregator_PodList.json")));
  int64_t e2e_total = 0;
  for (auto& pod : list.at("items").as_array()) {
    json::object& meta = pod.at("metadata").as_object();
    if (!meta.contains("annotations") || !meta.at("annotations").as_object().contains("sonobuoy.hept.io/status")) continue;
    json::value status = json::parse(meta.at("annotations").at("sonobuoy.hept.io/status").as_string());
    for (auto& p : status.at("plugins").as_array()) {
      json::object& o = p.as_object();
      if (o.at("plugin") == "e2e") {
        o["result-status"] = "failed";
        json::object& counts = o["result-counts"].as_object();
        counts["failed"] = 2;
        for (const auto& [_, v] : counts) e2e_total += v.as_int64();
      } else {
        o["status"] = "running";
      }
    }
    meta["annotations"].as_object()["sonobuoy.hept.io/status"] = json::serialize(status);
  }
  Cluster broken("podlogs-sonobuoy-failed");
  const std::string file = broken.dir + "/aggregator.json";
  write_file(file, json::serialize(list));
  broken.server->add_collection_file("/api/v1/pods", file);
  auto bad = run(broken);
  const json::array& failed = bad["sonobuoy-plugin-failed"].at("findings").as_array();
  ASSERT_EQ(failed.size(), 1u) << json::serialize(bad["sonobuoy-plugin-failed"]);
  EXPECT_EQ(failed[0].at("object"), "sonobuoy/e2e");
  EXPECT_NE(std::string(failed[0].at("message").as_string()).find("2 of " + std::to_string(e2e_total) + " results failed"),
            std::string::npos) << failed[0].at("message");
  const json::array& running = bad["sonobuoy-plugin-not-finished"].at("findings").as_array();
  ASSERT_EQ(running.size(), 1u) << json::serialize(bad["sonobuoy-plugin-not-finished"]);
  EXPECT_EQ(running[0].at("object"), "sonobuoy/systemd-logs");
  EXPECT_NE(std::string(running[0].at("message").as_string()).find("is running"), std::string::npos);
}

TEST(PodLogs, SonobuoyAloneWithoutItsAggregatorIsNotChecked) {
  Cluster c("podlogs-no-sonobuoy");  // kind's kube-system pods: sonobuoy never ran
  expect_sonobuoy_not_checked(
      c, "no pod labelled sonobuoy-component=aggregator (any namespace) has the annotation sonobuoy.hept.io/status");
}

TEST(PodLogs, ASnapshotRunWithKubeBenchAloneIsNotChecked) {
  auto r = run_command(kinspect_cmd("run --with kube-bench --check 'kube-bench-*' --format json --fail-on none --snapshot " +
                                sh_quote(kExample)));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto checks = checks_by_id(r.out);
  ASSERT_TRUE(checks.count("kube-bench-failed")) << r.out;
  EXPECT_EQ(checks["kube-bench-failed"].at("status"), "skipped");
  EXPECT_NE(std::string(checks["kube-bench-failed"].at("reason").as_string()).find("not captured"), std::string::npos)
      << checks["kube-bench-failed"].at("reason");
}

TEST(PodLogs, TheSelectorIsASetting) {
  // Pods labelled otherwise: --set kube-bench.live_pods picks them. Here it
  // picks a Job that is not kube-bench, whose log the adapter then refuses,
  // naming the node's file: an error, never a pass.
  KubeBenchCluster c("podlogs-selector");
  auto r = run_command(kinspect_cmd("run --with kube-bench --set kube-bench.live_pods=app=backup --check 'kube-bench-*' "
                                    "--format json --fail-on none --kubeconfig " + sh_quote(c.cert_kubeconfig())));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto checks = checks_by_id(r.out);
  ASSERT_TRUE(checks.count("kube-bench-failed")) << r.out;
  EXPECT_EQ(checks["kube-bench-failed"].at("status"), "error");
  EXPECT_NE(json::serialize(checks["kube-bench-failed"]).find("kind-worker2.log"), std::string::npos)
      << json::serialize(checks["kube-bench-failed"]);
  EXPECT_EQ(c.server->count("GET /api/v1/pods?limit=500&labelSelector=app%3Dbackup"), 1u) << server_log(*c.server);
  EXPECT_EQ(c.server->count("GET /api/v1/namespaces/default/pods/unrelated-batch-lq9vd/log"), 1u) << server_log(*c.server);
}

// `kinspect snapshot --with TOOL` carries what it read from the cluster, so
// the offline run over the snapshot (no --with, no server) reports the same.
std::string take_snapshot(Cluster& c, const std::string& tool, const std::string& out) {
  auto s = run_command(kinspect_cmd("snapshot --with " + tool + " --table k8s.nodes --table k8s.version -o " + sh_quote(out) +
                                    " --kubeconfig " + sh_quote(c.cert_kubeconfig())));
  EXPECT_EQ(s.exit_code, 0) << s.err << server_log(*c.server);
  return out;
}

TEST(PodLogs, ASnapshotCarriesTheKubeBenchLogsItRead) {
  KubeBenchCluster c("podlogs-snapshot");
  const std::string checks = "--check 'kube-bench-*' --format json --fail-on none";
  auto live = run_command(kinspect_cmd("run --with kube-bench " + checks + " --kubeconfig " + sh_quote(c.cert_kubeconfig())));
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const std::string snap = take_snapshot(c, "kube-bench", c.dir + "/with-kube-bench.tar.gz");
  const size_t requests = c.server->log().size();

  auto offline = run_command(kinspect_cmd("run --snapshot " + sh_quote(snap) + " " + checks));
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(c.server->log().size(), requests) << "the offline run asks the server nothing";
  auto want = checks_by_id(live.out), got = checks_by_id(offline.out);
  for (const char* id : {"kube-bench-failed", "kube-bench-manual"}) {
    ASSERT_TRUE(got.count(id)) << offline.out;
    EXPECT_EQ(got[id].at("status"), want[id].at("status")) << id;
    EXPECT_EQ(got[id].at("findings"), want[id].at("findings")) << id;
  }
  EXPECT_EQ(got["kube-bench-failed"].at("findings").as_array().size(), text_count(kTextLog, "FAIL") + json_count(kJsonLog, "FAIL"));
}

TEST(PodLogs, ASnapshotCarriesSonobuoysStatusAndWhyThereWasNone) {
  SonobuoyCluster c("podlogs-snapshot-sonobuoy");
  const std::string snap = take_snapshot(c, "sonobuoy", c.dir + "/with-sonobuoy");
  auto q = run_command(kinspect_cmd("query --snapshot " + sh_quote(snap) +
                                    " --format json \"SELECT plugin, source, total FROM sonobuoy.plugins\""));
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto want = status_counts();
  const json::value rows = json::parse(q.out);
  ASSERT_EQ(rows.as_array().size(), want.size()) << q.out;
  for (const auto& r : rows.as_array()) {
    EXPECT_EQ(r.at("source"), "status") << "read as the aggregator's annotation again: " << json::serialize(r);
    EXPECT_EQ(r.at("total").to_number<int64_t>(), want.at(std::string(r.at("plugin").as_string())).at("total"));
  }

  // Nothing found when the snapshot was taken: the offline run says why,
  // as not checked, never as passed.
  Cluster none("podlogs-snapshot-no-sonobuoy");
  const std::string empty = take_snapshot(none, "sonobuoy", none.dir + "/without-sonobuoy");
  auto r = run_command(kinspect_cmd("run --snapshot " + sh_quote(empty) + " --check 'sonobuoy-*' --format json --fail-on none"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto checks = checks_by_id(r.out);
  ASSERT_TRUE(checks.count("sonobuoy-plugin-failed")) << r.out;
  EXPECT_EQ(checks["sonobuoy-plugin-failed"].at("status"), "skipped");
  EXPECT_NE(std::string(checks["sonobuoy-plugin-failed"].at("reason").as_string()).find("no pod labelled sonobuoy-component=aggregator"),
            std::string::npos) << checks["sonobuoy-plugin-failed"].at("reason");
}
