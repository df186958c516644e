// `kinspect run|query --with TOOL=PATH` as a user runs them: adapter results
// next to the native checks in one report, adapter checks absent without
// their input, and a broken input making the run incomplete (exit 3) while
// everything else is still reported.
#include <unistd.h>

#include "core/snapshot/writer.h"
#include "harness.h"
#include "tests/common/run_command.h"

namespace adapters_test {
namespace {

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

const std::string kKubeBench = data("kube-bench/defectdojo_kube-bench_cis-1.6_all-targets_wrapped_with_totals.json");
const std::string kSonobuoy = data("sonobuoy/sonobuoy-v0.53.2_k8s-1.21.1_kind_e2e-4-failures_systemd-logs.tar.gz");
const std::string kPolaris = data("polaris/defectdojo_polaris_audit_many-failures.json");

std::string kinspect_run(const std::string& args) {
  return std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster") +
         " --plugin-dir " + PLUGIN_DIR + " --format json --fail-on none " + args;
}

std::map<std::string, json::object> checks_by_id(const json::value& report) {
  std::map<std::string, json::object> out;
  for (const auto& c : report.at("checks").as_array()) out[std::string(c.at("id").as_string())] = c.as_object();
  return out;
}

size_t kube_bench_fails(const std::string& file) {
  size_t n = 0;
  const json::value doc = json::parse(slurp(file));
  for (const auto& c : doc.at("Controls").as_array())
    for (const auto& t : c.at("tests").as_array())
      for (const auto& r : t.at("results").as_array()) n += r.at("status") == "FAIL";
  return n;
}

TEST(AdaptersCli, OneReportWithTheToolsNextToTheNativeChecks) {
  auto r = run_command(kinspect_run("--with kube-bench=" + sh_quote(kKubeBench) + " --with sonobuoy=" + sh_quote(kSonobuoy) +
                                    " --with polaris=" + sh_quote(kPolaris)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  auto checks = checks_by_id(rep);
  ASSERT_TRUE(checks.count("kube-bench-failed"));
  EXPECT_EQ(checks["kube-bench-failed"].at("category"), "adapters");
  EXPECT_EQ(checks["kube-bench-failed"].at("findings").as_array().size(), kube_bench_fails(kKubeBench));
  EXPECT_EQ(checks["sonobuoy-test-failed"].at("findings").as_array().size(), 4u);
  EXPECT_EQ(checks["polaris-danger"].at("status"), "fail");
  EXPECT_EQ(checks.count("kube-hunter-high"), 0u) << "kube-hunter was not given";
  EXPECT_EQ(checks.count("popeye-error"), 0u);
  // The native checks ran too: the example cluster has a pod in CrashLoopBackOff.
  ASSERT_TRUE(checks.count("pod-crashloop"));
  EXPECT_EQ(checks["pod-crashloop"].at("status"), "fail");
}

TEST(AdaptersCli, WithoutInputsNoAdapterCheckIsReported) {
  auto r = run_command(kinspect_run(""));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::value rep = json::parse(r.out);
  for (const auto& c : rep.at("checks").as_array())
    EXPECT_NE(c.at("category"), "adapters") << c.at("id") << " ran without its tool's results";
}

TEST(AdaptersCli, ABrokenInputMakesTheRunIncompleteAndTheRestIsReported) {
  fs::path bad = fs::temp_directory_path() / ("kinspect-broken-" + std::to_string(::getpid()) + ".json");
  const std::string text = slurp(kKubeBench);
  write(bad, text.substr(0, text.size() / 3));
  auto r = run_command(kinspect_run("--with kube-bench=" + sh_quote(bad.string()) + " --with polaris=" + sh_quote(kPolaris)));
  fs::remove(bad);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  json::value rep = json::parse(r.out);
  auto checks = checks_by_id(rep);
  EXPECT_EQ(checks["kube-bench-failed"].at("status"), "error");
  EXPECT_NE(json::serialize(checks["kube-bench-failed"]).find(bad.string()), std::string::npos)
      << "the error names the file: " << json::serialize(checks["kube-bench-failed"]);
  EXPECT_EQ(checks["polaris-danger"].at("status"), "fail");
  EXPECT_EQ(checks["pod-crashloop"].at("status"), "fail");
}

TEST(AdaptersCli, UnknownToolIsAUsageError) {
  auto r = run_command(kinspect_run("--with kube-bnech=x.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--with kube-bnech: no plugin named 'kube-bnech' is loaded (did you mean 'kube-bench'?)"), std::string::npos)
      << r.err;
}

TEST(AdaptersCli, QueryReadsTheInputAndSaysWhenThereIsNone) {
  const std::string q = std::string(KINSPECT_BIN) + " query --plugin-dir " + PLUGIN_DIR +
                        " \"SELECT count(*) AS n FROM kubebench.results WHERE status = 'FAIL'\" --format json";
  auto with = run_command(q + " --with kube-bench=" + sh_quote(kKubeBench));
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_NE(with.out.find(std::to_string(kube_bench_fails(kKubeBench))), std::string::npos) << with.out;
  auto without = run_command(q);
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.err.find("no input: pass --with kube-bench=PATH"), std::string::npos) << without.err;
}

}  // namespace
}  // namespace adapters_test

namespace adapters_test {
namespace {

// docs/adapters.md: every command of its first ```sh block runs from the
// repository's root and exits 0.
TEST(AdaptersDocs, ExamplesRun) {
  const std::string doc = slurp(std::string(KINSPECT_SOURCE_DIR) + "/docs/adapters.md");
  size_t start = doc.find("```sh\n");
  ASSERT_NE(start, std::string::npos);
  size_t end = doc.find("```", start + 6);
  std::string block = doc.substr(start + 6, end - start - 6);
  std::vector<std::string> commands;
  std::string cur;
  for (size_t p = 0; p < block.size();) {
    size_t nl = block.find('\n', p);
    std::string line = block.substr(p, nl - p);
    p = nl + 1;
    if (size_t hash = line.find("  #"); hash != std::string::npos) line = line.substr(0, hash);
    bool more = !line.empty() && line.back() == '\\';
    cur += more ? line.substr(0, line.size() - 1) : line;
    if (!more) {
      if (cur.find_first_not_of(' ') != std::string::npos) commands.push_back(cur);
      cur.clear();
    }
  }
  ASSERT_GE(commands.size(), 4u);
  for (auto c : commands) {
    ASSERT_EQ(c.rfind("kinspect ", 0), 0u) << c;
    c = "cd " + sh_quote(KINSPECT_SOURCE_DIR) + " && " + std::string(KINSPECT_BIN) + " " + c.substr(9) + " --plugin-dir " + PLUGIN_DIR;
    auto r = run_command(c);
    EXPECT_EQ(r.exit_code, 0) << c << "\n" << r.err;
    EXPECT_FALSE(r.out.empty()) << c;
  }
}

}  // namespace
}  // namespace adapters_test


namespace adapters_test {
namespace {

// A snapshot taken with --with carries the tools' outputs: `run --snapshot`
// over it reports them without --with, in a .tar.gz and in a folder, with a
// folder of per-node outputs keeping its node names.
TEST(AdaptersSnapshot, CarriesTheInputsForAnOfflineRun) {
  const std::string cluster = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";
  fs::path tmp = fs::temp_directory_path() / ("kinspect-snapwith-" + std::to_string(::getpid()));
  fs::create_directories(tmp / "per-node");
  fs::copy_file(kKubeBench, tmp / "per-node" / "master-1.json");
  fs::copy_file(data("kube-bench/kube-bench_text-output_kind_cis-default.txt"), tmp / "per-node" / "kind-worker.txt");
  // The example cluster's tables, read back through the API-server driver from its snapshot.
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/kube_apiserver.so"};
  o.config["kube-apiserver"] = json::serialize(json::object{{"snapshot", cluster}});
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  std::vector<std::string> tables;
  const json::value manifest = json::parse(slurp(cluster + "/manifest.json"));
  for (const auto& r : manifest.at("resources").as_array())
    tables.emplace_back(r.at("table").as_string());
  const std::vector<kinspect::SnapshotInput> inputs = {{"kube-bench", (tmp / "per-node").string()}, {"polaris", kPolaris}};
  for (const std::string& out : {(tmp / "snap.tar.gz").string(), (tmp / "snapdir").string()}) {
    SCOPED_TRACE(out);
    auto written = kinspect::write_snapshot(*reg, tables, out, 60, {}, inputs);
    ASSERT_TRUE(written.ok()) << written.error().message();
    auto r = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(out) + " --plugin-dir " + PLUGIN_DIR +
                         " --format json --fail-on none --now 2026-11-20T08:00:00Z");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json::value rep = json::parse(r.out);
    auto checks = checks_by_id(rep);
    ASSERT_TRUE(checks.count("kube-bench-failed")) << "the snapshot's kube-bench output counts as given";
    std::set<std::string> objects;
    for (const auto& f : checks["kube-bench-failed"].at("findings").as_array()) objects.insert(std::string(f.at("object").as_string()));
    EXPECT_TRUE(objects.count("node/kind-worker")) << "node names survive the trip";
    EXPECT_TRUE(objects.count("node/master-1"));
    EXPECT_EQ(checks["polaris-danger"].at("status"), "fail");
    EXPECT_EQ(checks["pod-crashloop"].at("status"), "fail");
    EXPECT_EQ(checks.count("sonobuoy-test-failed"), 0u);
  }
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------- side by side

// The real Polaris audit, its one controller moved onto a Deployment of the
// example cluster (frontend in shop, container app), so that Polaris and
// kinspect's own run-as-non-root-not-enforced flag the same container.
std::string polaris_on_frontend() {
  json::value doc = json::parse(slurp(kPolaris));
  json::object& res = doc.at("Results").as_array().at(0).as_object();
  res["Kind"] = "Deployment";
  res["Namespace"] = "shop";
  res["Name"] = "frontend";
  res.at("PodResult").at("ContainerResults").as_array().at(0).as_object()["Name"] = "app";
  fs::path out = fs::temp_directory_path() / ("kinspect-polaris-frontend-" + std::to_string(::getpid()) + ".json");
  write(out, json::serialize(doc));
  return out.string();
}

size_t failing(const json::value& doc, const char* severity) {
  size_t n = 0;
  for (const auto& r : doc.at("Results").as_array()) {
    const json::object& pod = r.at("PodResult").as_object();
    for (const json::value* set : {&r.at("Results"), &pod.at("Results")})
      for (const auto& [_, c] : set->as_object()) n += !c.at("Success").as_bool() && c.at("Severity") == severity;
    for (const auto& ctr : pod.at("ContainerResults").as_array())
      for (const auto& [_, c] : ctr.at("Results").as_object()) n += !c.at("Success").as_bool() && c.at("Severity") == severity;
  }
  return n;
}

// The finding on `object` whose message holds `text` (one object can have
// several findings of a check: one per Polaris check, say).
const json::object* finding_on(const json::object& check, const std::string& object, std::string_view text = "") {
  for (const auto& f : check.at("findings").as_array())
    if (f.at("object").as_string() == object && f.at("message").as_string().subview().find(text) != std::string::npos)
      return &f.as_object();
  return nullptr;
}

TEST(AdaptersCli, SameProblemOnTheSameObjectIsOneEntryNamingBothSources) {
  const std::string file = polaris_on_frontend();
  const json::value audit = json::parse(slurp(file));
  auto alone = run_command(kinspect_run(""));
  auto both = run_command(kinspect_run("--with polaris=" + sh_quote(file)));
  ASSERT_EQ(both.exit_code, 0) << both.err;
  auto before = checks_by_id(json::parse(alone.out));
  const json::value rep = json::parse(both.out);
  auto after = checks_by_id(rep);

  // kinspect's finding on frontend/app carries Polaris's, whole.
  const json::object* f = finding_on(after["run-as-non-root-not-enforced"], "deployment/shop/frontend", "container app ");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at("target"), "shop/deployment/frontend/app");
  const json::array& also = f->at("also_reported_by").as_array();
  ASSERT_EQ(also.size(), 1u) << json::serialize(*f);
  EXPECT_EQ(also[0].at("check"), "polaris-danger");
  EXPECT_EQ(also[0].at("tool_id"), "polaris:runAsRootAllowed");
  EXPECT_EQ(also[0].at("object"), "deployment/shop/frontend");
  EXPECT_NE(also[0].at("message").as_string().find("[Polaris runAsRootAllowed]"), std::string::npos);
  EXPECT_EQ(f->at("severity"), "warning") << "the higher of info (kinspect) and warning (Polaris danger)";

  // The issue's own example: Polaris's privilegeEscalationAllowed beside
  // kinspect's privilege-escalation-allowed, on the same container.
  const json::object* pe = finding_on(after["privilege-escalation-allowed"], "deployment/shop/frontend", "container app ");
  ASSERT_NE(pe, nullptr);
  const json::array& pe_also = pe->at("also_reported_by").as_array();
  ASSERT_EQ(pe_also.size(), 1u) << json::serialize(*pe);
  EXPECT_EQ(pe_also[0].at("tool_id"), "polaris:privilegeEscalationAllowed");
  EXPECT_EQ(pe->at("severity"), "warning");

  // Nothing twice, nothing lost: Polaris's other findings stay in its checks.
  const json::object& danger = after["polaris-danger"];
  EXPECT_EQ(danger.at("status"), "fail");
  EXPECT_EQ(danger.at("merged"), 2);
  EXPECT_EQ(danger.at("findings").as_array().size(), failing(audit, "danger") - 2);
  EXPECT_EQ(finding_on(danger, "deployment/shop/frontend", "[Polaris runAsRootAllowed]"), nullptr);
  EXPECT_EQ(finding_on(danger, "deployment/shop/frontend", "[Polaris privilegeEscalationAllowed]"), nullptr);
  EXPECT_NE(finding_on(danger, "deployment/shop/frontend", "[Polaris runAsPrivileged]"), nullptr)
      << "no kinspect check flags it on this cluster: it stays Polaris's";
  EXPECT_EQ(after["polaris-warning"].at("findings").as_array().size(), failing(audit, "warning"));
  EXPECT_EQ(after["polaris-warning"].at("merged"), 0);

  // kinspect's own findings are the same as without Polaris; the others carry nothing.
  for (const auto& [id, c] : before) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(after.count(id));
    EXPECT_EQ(after[id].at("findings").as_array().size(), c.at("findings").as_array().size());
    for (const auto& x : after[id].at("findings").as_array())
      if (&x.as_object() != f && &x.as_object() != pe) {
        EXPECT_TRUE(x.at("also_reported_by").as_array().empty());
      }
  }
  uint64_t listed = 0;
  for (const auto& [_, c] : after) listed += c.at("findings").as_array().size();
  EXPECT_EQ(rep.at("summary").at("findings").to_number<uint64_t>(), listed);
  EXPECT_EQ(listed, json::parse(alone.out).at("summary").at("findings").to_number<uint64_t>() + failing(audit, "danger") +
                        failing(audit, "warning") - 2);

  // The other formats show it once, with both names.
  auto in_format = [&](const std::string& format) {
    std::string cmd = kinspect_run("--with polaris=" + sh_quote(file));
    return run_command(cmd.replace(cmd.find(" --format json "), 15, " --format " + format + " "));
  };
  auto text = in_format("terminal");
  EXPECT_NE(text.out.find("also polaris-danger (polaris:runAsRootAllowed)"), std::string::npos) << text.out;
  auto junit = in_format("junit");
  EXPECT_NE(junit.out.find("also polaris-danger (polaris:runAsRootAllowed)"), std::string::npos);
  auto html = in_format("html");
  EXPECT_NE(html.out.find("<code>polaris:runAsRootAllowed</code>"), std::string::npos);
  fs::remove(file);
}

// kube-bench run on a node and kinspect's node checks on the same node: the
// kubelet recommendations both report (CIS 4.2.1, 4.2.2, 4.2.4 in this
// CIS 1.6 run) are one entry each, found by the argument each names; the
// API server's --anonymous-auth (1.2.1) stays kube-bench's own.
TEST(AdaptersCli, KubeBenchPairsWithTheKubeletChecksOnTheSameNode) {
  const fs::path dir = fs::temp_directory_path() / ("kinspect-kb-node-" + std::to_string(::getpid()));
  fs::create_directories(dir / "root/var/lib/kubelet");
  fs::create_directories(dir / "root/etc");
  fs::create_directories(dir / "kube-bench");
  write(dir / "root/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "authentication:\n  anonymous:\n    enabled: true\nauthorization:\n  mode: AlwaysAllow\nreadOnlyPort: 10255\n");
  write(dir / "root/etc/hostname", "Kind-Worker\n");  // the kubelet registers it in lower case
  fs::copy_file(kKubeBench, dir / "kube-bench/kind-worker.json");

  // The node's kubelet results in the file, by the argument their title names.
  std::map<std::string, json::object> kubelet;  // argument -> result
  const json::value doc = json::parse(slurp(kKubeBench));
  for (const auto& c : doc.at("Controls").as_array())
    for (const auto& t : c.at("tests").as_array())
      for (const auto& r : t.at("results").as_array())
        for (const char* arg : {"anonymous-auth", "authorization-mode", "read-only-port"})
          if (c.at("node_type") == "node" && r.at("test_desc").as_string().subview().find(arg) != std::string::npos)
            kubelet[arg] = r.as_object();
  ASSERT_EQ(kubelet.size(), 3u);

  auto run = [&](const std::string& node_name) {
    auto r = run_command(std::string(KINSPECT_BIN) + " run --profile node --plugin-dir " + PLUGIN_DIR +
                         " --set node.root=" + sh_quote((dir / "root").string()) + node_name + " --with kube-bench=" +
                         sh_quote((dir / "kube-bench").string()) +
                         " --check 'node-kubelet-a*' --check node-kubelet-read-only-port --check 'kube-bench-*' --format json --fail-on none");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return checks_by_id(json::parse(r.out));
  };
  auto checks = run("");
  size_t merged = 0;
  for (const auto& [check, arg] : {std::pair{"node-kubelet-anonymous-auth", "anonymous-auth"},
                                   {"node-kubelet-authorization-always-allow", "authorization-mode"},
                                   {"node-kubelet-read-only-port", "read-only-port"}}) {
    SCOPED_TRACE(check);
    const json::array& found = checks[check].at("findings").as_array();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].at("target"), "/node/kind-worker");
    const json::object& result = kubelet.at(arg);
    if (result.at("status") != "FAIL" && result.at("status") != "WARN") continue;
    ++merged;
    ASSERT_FALSE(found[0].at("also_reported_by").as_array().empty()) << json::serialize(found[0]);
    const json::value& also = found[0].at("also_reported_by").at(0);
    EXPECT_EQ(also.at("tool_id").as_string(), "kube-bench:node." + std::string(arg));
    EXPECT_NE(also.at("message").as_string().subview().find("[CIS " + std::string(result.at("test_number").as_string()) + "]"),
              std::string::npos) << also.at("message");
  }
  ASSERT_GT(merged, 0u);
  EXPECT_EQ(checks["kube-bench-failed"].at("merged").to_number<int64_t>() + checks["kube-bench-manual"].at("merged").to_number<int64_t>(),
            int64_t(merged));
  EXPECT_NE(finding_on(checks["kube-bench-manual"], "node/kind-worker", "[CIS 1.2.1]"), nullptr)
      << "the API server's --anonymous-auth is not the kubelet's";

  // Another node's kube-bench results pair with nothing here.
  auto other = run(" --set node.node_name=kind-worker2");
  EXPECT_EQ(other["kube-bench-failed"].at("merged").to_number<int64_t>() + other["kube-bench-manual"].at("merged").to_number<int64_t>(), 0);
  const json::object& alone = other["node-kubelet-anonymous-auth"].at("findings").at(0).as_object();
  EXPECT_TRUE(!alone.contains("also_reported_by") || alone.at("also_reported_by").as_array().empty()) << json::serialize(alone);
  fs::remove_all(dir);
}

// Popeye too: its deployments linter names a Deployment's container, as
// kinspect's checks do. A snapshot holding the one pod of Deployment
// test-namespace/random (container random, no resources), beside Popeye's
// real report that gives that container POP-106.
TEST(AdaptersCli, PopeyeIssueOnTheSameContainerIsOneEntry) {
  const std::string popeye = data("popeye/defectdojo_popeye_report_sanitizers-format_many.json");
  const fs::path pods = fs::temp_directory_path() / ("kinspect-popeye-pods-" + std::to_string(::getpid()) + ".json");
  write(pods, R"({"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "random-5d6f7-abcde", "namespace": "test-namespace", "labels": {"app": "random", "pod-template-hash": "5d6f7"},
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "random-5d6f7", "uid": "1"}]},
    "spec": {"nodeName": "worker-1", "containers": [{"name": "random", "image": "nginx:1.25.3"}]},
    "status": {"phase": "Running"}}]})");
  auto r = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(pods.string()) + " --plugin-dir " + PLUGIN_DIR +
                       " --format json --fail-on none --check container-no-requests --check popeye-warning --with popeye=" +
                       sh_quote(popeye));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto checks = checks_by_id(json::parse(r.out));
  const json::object* f = finding_on(checks["container-no-requests"], "deployment/test-namespace/random");
  ASSERT_NE(f, nullptr) << json::serialize(checks["container-no-requests"]);
  EXPECT_EQ(f->at("target"), "test-namespace/deployment/random/random");
  const json::array& also = f->at("also_reported_by").as_array();
  ASSERT_EQ(also.size(), 1u) << json::serialize(*f);
  EXPECT_EQ(also[0].at("tool_id"), "popeye:POP-106");
  EXPECT_EQ(also[0].at("check"), "popeye-warning");
  EXPECT_EQ(checks["popeye-warning"].at("merged"), 1);
  EXPECT_EQ(finding_on(checks["popeye-warning"], "deployments/test-namespace/random", "[POP-106]"), nullptr)
      << "moved beside kinspect's finding, not repeated";
  fs::remove(pods);
}

}  // namespace
}  // namespace adapters_test

namespace adapters_test {
namespace {

// --with kube-bench=run runs `kube-bench --json` on this machine. kube-bench
// is not packaged in Debian, so the kube-bench on PATH here is a stand-in
// that prints a real kube-bench output (the DefectDojo CIS 1.6 scan) when
// called as kube-bench is; the output names this machine's node
// ($NODE_NAME), so the node checks pair with it.
TEST(AdaptersCli, KubeBenchRunOnThisMachine) {
  const fs::path dir = fs::temp_directory_path() / ("kinspect-kb-run-" + std::to_string(::getpid()));
  fs::create_directories(dir / "bin");
  fs::create_directories(dir / "broken");
  write(dir / "bin/kube-bench", "#!/bin/sh\n[ \"$1\" = --json ] || { echo \"unexpected arguments: $*\" >&2; exit 2; }\nexec cat " +
                                    sh_quote(kKubeBench) + "\n");
  fs::permissions(dir / "bin/kube-bench", fs::perms::owner_all);
  const std::string cmd = std::string(KINSPECT_BIN) + " run --snapshot " +
                          sh_quote(std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster") + " --plugin-dir " + PLUGIN_DIR +
                          " --with kube-bench=run --check 'kube-bench-*' --format json --fail-on none";
  auto r = run_command("NODE_NAME=kind-worker PATH=" + sh_quote((dir / "bin").string()) + ":$PATH " + cmd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto checks = checks_by_id(json::parse(r.out));
  const json::array& failed = checks["kube-bench-failed"].at("findings").as_array();
  EXPECT_EQ(failed.size(), kube_bench_fails(kKubeBench));
  for (const auto& f : failed) EXPECT_EQ(f.at("object"), "node/kind-worker");

  // Not installed: not checked, saying so; never passed.
  auto missing = run_command("PATH=/usr/bin:/bin " + cmd);
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  auto none = checks_by_id(json::parse(missing.out));
  EXPECT_NE(none["kube-bench-failed"].at("status"), "pass");
  EXPECT_NE(json::serialize(none["kube-bench-failed"]).find("kube-bench is not in PATH"), std::string::npos)
      << json::serialize(none["kube-bench-failed"]);

  // A run that fails is not repeated for each table the query reads.
  write(dir / "broken/kube-bench", "#!/bin/sh\necho ran >> " + sh_quote((dir / "runs").string()) + "\necho 'no config' >&2\nexit 1\n");
  fs::permissions(dir / "broken/kube-bench", fs::perms::owner_all);
  auto broken = run_command("PATH=" + sh_quote((dir / "broken").string()) + ":$PATH " + std::string(KINSPECT_BIN) +
                            " query --plugin-dir " + PLUGIN_DIR + " --with kube-bench=run --no-isolation "
                            "\"SELECT count(*) FROM kubebench.results r, kubebench.controls c\"");
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE(broken.err.find("printed nothing (exit code 1: no config)"), std::string::npos) << broken.err;
  EXPECT_EQ(slurp((dir / "runs").string()), "ran\n") << "kube-bench ran once for two tables";

  // A tool kinspect does not run says what to pass instead.
  auto polaris = run_command(kinspect_run("--with polaris=run --check 'polaris-*'"));
  EXPECT_EQ(polaris.exit_code, 3);
  EXPECT_NE(polaris.out.find("kinspect does not run polaris"), std::string::npos) << polaris.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace adapters_test
