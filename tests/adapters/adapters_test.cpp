// Each adapter on every real output of its tool in tests/data/adapters: the
// rows and the findings of its checks, with every expected count computed here
// from the file itself, plus a few exact findings as the file states them.
#include <algorithm>
#include <regex>

#include "harness.h"

namespace adapters_test {
namespace {

// ---------------------------------------------------------------- kube-bench

struct BenchCounts {
  size_t controls = 0, sections = 0, results = 0, fail = 0, warn = 0, pass = 0;
};

// Starboard's CISKubeBenchReport resource: kube-bench's controls under
// report.sections, named after its node.
bool is_starboard_report(const json::value& doc) {
  return doc.is_object() && doc.as_object().contains("kind") && doc.at("kind") == "CISKubeBenchReport";
}

BenchCounts count_bench_json(const std::string& file) {
  json::value doc = json::parse(slurp(file));
  const json::array& controls = doc.is_array()                 ? doc.as_array()
                                : is_starboard_report(doc)       ? doc.at("report").at("sections").as_array()
                                                                 : doc.at("Controls").as_array();
  BenchCounts c;
  c.controls = controls.size();
  for (const auto& control : controls)
    for (const auto& section : control.at("tests").as_array()) {
      ++c.sections;
      for (const auto& r : section.at("results").as_array()) {
        ++c.results;
        std::string s(r.at("status").as_string());
        c.fail += s == "FAIL", c.warn += s == "WARN", c.pass += s == "PASS";
      }
    }
  return c;
}

size_t count_status(const std::vector<json::object>& rs, const char* status) {
  return std::count_if(rs.begin(), rs.end(), [&](const json::object& r) { return r.at("status") == status; });
}

TEST(KubeBench, EveryJsonShapeInTheCorpus) {
  auto files = files_of("kube-bench", ".json");
  ASSERT_GE(files.size(), 5u);
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    BenchCounts want = count_bench_json(file);
    auto reg = adapter("kube-bench", file);
    auto results = rows(*reg, "kubebench.results");
    EXPECT_EQ(results.size(), want.results);
    EXPECT_EQ(count_status(results, "FAIL"), want.fail);
    EXPECT_EQ(count_status(results, "WARN"), want.warn);
    EXPECT_EQ(rows(*reg, "kubebench.controls").size(), want.controls);
    EXPECT_EQ(rows(*reg, "kubebench.sections").size(), want.sections);
    EXPECT_EQ(findings("kube-bench-failed", *reg).size(), want.fail);
    EXPECT_EQ(findings("kube-bench-manual", *reg).size(), want.warn);
    const json::value doc = json::parse(slurp(file));
    for (const auto& r : results) {
      EXPECT_TRUE(r.at("id").is_string() && !r.at("id").as_string().empty());
      EXPECT_TRUE(r.at("scored").is_bool()) << json::serialize(r);
      if (is_starboard_report(doc)) EXPECT_EQ(r.at("node"), doc.at("metadata").at("name")) << "the report is named after its node";
      else EXPECT_TRUE(r.at("node").is_null()) << "a single file names no node";
    }
  }
}

// `kubectl get ciskubebenchreports -o json` over several nodes: a List of
// reports, each read with its own node; the report's YAML is refused with
// the command that gives JSON.
TEST(KubeBench, StarboardReportsListedForSeveralNodes) {
  const std::string one = data("kube-bench/starboard_ciskubebenchreport_kind-control-plane.json");
  json::value report = json::parse(slurp(one));
  json::value other = report;
  other.at("metadata").as_object()["name"] = "kind-worker";
  // kube-bench's own wording for a failed result, on the second node.
  json::object& failed = other.at("report").at("sections").at(0).at("tests").at(0).at("results").at(0).as_object();
  failed["status"] = "FAIL";
  json::object list{{"apiVersion", "v1"}, {"kind", "List"}, {"items", json::array{report, other}}};
  fs::path file = fs::temp_directory_path() / ("kinspect-starboard-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << json::serialize(list);

  auto reg = adapter("kube-bench", file.string());
  auto results = rows(*reg, "kubebench.results");
  BenchCounts per_report = count_bench_json(one);
  ASSERT_EQ(results.size(), 2 * per_report.results);
  std::map<std::string, size_t> by_node;
  for (const auto& r : results) {
    ++by_node[std::string(r.at("node").as_string())];
    EXPECT_EQ(r.at("benchmark_version"), report.at("report").at("sections").at(0).at("version"));
  }
  EXPECT_EQ(by_node, (std::map<std::string, size_t>{{"kind-control-plane", per_report.results}, {"kind-worker", per_report.results}}));
  for (const auto& c : rows(*reg, "kubebench.controls")) EXPECT_EQ(c.at("format"), "starboard");
  auto got = findings("kube-bench-failed", *reg);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].object, "node/kind-worker");
  EXPECT_NE(got[0].message.find("[CIS " + std::string(failed.at("test_number").as_string()) + "]"), std::string::npos)
      << got[0].message;
  fs::remove(file);

  auto yaml = scan_error(*adapter("kube-bench", data("kube-bench/starboard_ciskubebenchreport_kind-control-plane.yaml")),
                         "kubebench.results");
  EXPECT_NE(yaml.find("kubectl get ciskubebenchreports -o json"), std::string::npos) << yaml;
}

TEST(KubeBench, TotalsAsStatedAndAsCounted) {
  const std::string file = data("kube-bench/kube-bench_wrapped-format_master-etcd-controlplane_with_totals.json");
  json::value doc = json::parse(slurp(file));
  auto reg = adapter("kube-bench", file);
  auto controls = rows(*reg, "kubebench.controls");
  const json::array& stated = doc.at("Controls").as_array();
  ASSERT_EQ(controls.size(), stated.size());
  for (size_t i = 0; i < stated.size(); ++i) {
    EXPECT_EQ(controls[i].at("total_fail"), stated[i].at("total_fail"));
    EXPECT_EQ(controls[i].at("total_pass"), stated[i].at("total_pass"));
    EXPECT_EQ(controls[i].at("node_type"), stated[i].at("node_type"));
    EXPECT_EQ(controls[i].at("benchmark_version"), stated[i].at("version"));
    EXPECT_EQ(controls[i].at("format"), "json-wrapped");
  }
  auto bare = adapter("kube-bench", data("kube-bench/kube-bench_array-format_etcd-controlplane.json"));
  EXPECT_EQ(rows(*bare, "kubebench.controls").at(0).at("format"), "json-array");
}

TEST(KubeBench, ExactFindingFromTheDefectDojoScan) {
  const std::string file = data("kube-bench/defectdojo_kube-bench_cis-1.6_all-targets_wrapped_with_totals.json");
  auto reg = adapter("kube-bench", file);
  auto got = findings("kube-bench-failed", *reg);
  ASSERT_FALSE(got.empty());
  const kcql::Finding* f = nullptr;
  for (const auto& x : got)
    if (x.object == "cis/1.1.1") f = &x;
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->message.rfind("[CIS 1.1.1] Ensure that the API server pod specification file permissions are set to 644 or "
                             "more restrictive (Automated): FAIL on the master node kube-bench ran on (CIS benchmark 1.6); "
                             "expected 'permissions' is present. Remediation: Run the below command",
                             0),
            0u)
      << f->message;
}

TEST(KubeBench, ConsoleTextOutput) {
  const std::string file = data("kube-bench/kube-bench_text-output_kind_cis-default.txt");
  const std::string text = slurp(file);
  // What the file says: one "[STATUS] id" line per result (sections are [INFO]
  // lines here, as this run has no INFO results) and its own total summary.
  auto lines = [&](const char* tag) {
    size_t n = 0;
    for (size_t p = text.find(std::string("\n") + tag); p != std::string::npos; p = text.find(std::string("\n") + tag, p + 1)) ++n;
    return n;
  };
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("== Summary total ==\n(\\d+) checks PASS\n(\\d+) checks FAIL\n(\\d+) checks WARN")));
  const size_t fail = lines("[FAIL] "), warn = lines("[WARN] "), pass = lines("[PASS] ") + (text.rfind("[PASS] ", 0) == 0);
  EXPECT_EQ(fail, std::stoul(m[2]));
  EXPECT_EQ(warn, std::stoul(m[3]));
  auto reg = adapter("kube-bench", file);
  auto results = rows(*reg, "kubebench.results");
  EXPECT_EQ(results.size(), fail + warn + pass);
  EXPECT_EQ(count_status(results, "PASS"), std::stoul(m[1]));
  EXPECT_EQ(findings("kube-bench-failed", *reg).size(), fail);
  EXPECT_EQ(findings("kube-bench-manual", *reg).size(), warn);
  auto controls = rows(*reg, "kubebench.controls");
  ASSERT_EQ(controls.size(), 5u);
  EXPECT_EQ(controls[0].at("node_type"), "master");
  EXPECT_EQ(controls[0].at("total_fail"), controls[0].at("fail"));
  EXPECT_EQ(controls[0].at("format"), "text");
  const json::object* r125 = nullptr;
  for (const auto& r : results)
    if (r.at("id") == "1.2.5") r125 = &r;
  ASSERT_NE(r125, nullptr);
  EXPECT_EQ(r125->at("status"), "FAIL");
  EXPECT_EQ(r125->at("node_type"), "master");
  EXPECT_EQ(r125->at("section"), "1.2");
  EXPECT_EQ(r125->at("scored"), true);
  EXPECT_EQ(std::string(r125->at("remediation").as_string()).substr(0, 60), "Follow the Kubernetes documentation and setup the TLS connec");
  EXPECT_NE(std::string(r125->at("remediation").as_string()).find("--kubelet-certificate-authority=<ca-string>"), std::string::npos);
}

TEST(KubeBench, FolderOfPerNodeOutputsNamesTheNodes) {
  fs::path dir = fs::temp_directory_path() / ("kinspect-kb-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(data("kube-bench/defectdojo_kube-bench_cis-1.6_all-targets_wrapped_with_totals.json"), dir / "master-1.json");
  fs::copy_file(data("kube-bench/kube-bench_text-output_kind_cis-default.txt"), dir / "kind-worker.txt");
  auto reg = adapter("kube-bench", dir.string());
  auto results = rows(*reg, "kubebench.results");
  std::set<std::string> nodes;
  for (const auto& r : results) nodes.insert(std::string(r.at("node").as_string()));
  EXPECT_EQ(nodes, (std::set<std::string>{"kind-worker", "master-1"}));
  auto got = findings("kube-bench-failed", *reg);
  EXPECT_TRUE(has_message(got, "[CIS 1.2.5] Ensure that the --kubelet-certificate-authority argument is set as appropriate "
                               "(Automated): FAIL on node kind-worker. Remediation: Follow the Kubernetes documentation"));
  fs::remove_all(dir);
}

// ---------------------------------------------------------------- Polaris

struct PolarisCounts {
  size_t all = 0, danger = 0, warning = 0;
};

// Counts what the file says, in each of the shapes Polaris has written:
// check maps under "Results" (1.0 on) or "Messages" (January 2020), and
// lists of {Message, Type} under NamespacedResults (up to 0.6).
PolarisCounts count_polaris(const std::string& file) {
  PolarisCounts c;
  auto add_map = [&](const json::value& results) {
    for (const auto& [_, r] : results.as_object()) {
      ++c.all;
      if (r.at("Success").as_bool()) continue;
      c.danger += r.at("Severity") == "danger" || r.at("Severity") == "error";
      c.warning += r.at("Severity") == "warning";
    }
  };
  auto add_list = [&](const json::value& messages) {
    for (const auto& m : messages.as_array()) {
      ++c.all;
      c.danger += m.at("Type") == "error";
      c.warning += m.at("Type") == "warning";
    }
  };
  auto add = [&](const json::object& o) {
    if (o.contains("Results")) add_map(o.at("Results"));
    else if (o.contains("Messages") && o.at("Messages").is_object()) add_map(o.at("Messages"));
    else if (o.contains("Messages")) add_list(o.at("Messages"));
  };
  auto add_pod = [&](const json::object& controller) {
    const json::value& pod = controller.at("PodResult");
    if (!pod.is_object()) return;
    add(pod.as_object());
    for (const auto& c2 : pod.at("ContainerResults").as_array()) add(c2.as_object());
  };
  const json::value doc = json::parse(slurp(file));
  if (doc.as_object().contains("NamespacedResults")) {
    for (const auto& [_, ns] : doc.at("NamespacedResults").as_object())
      for (const auto& [key, list] : ns.as_object())
        if (key.ends_with("Results") && list.is_array())
          for (const auto& r : list.as_array()) add_pod(r.as_object());
    return c;
  }
  for (const auto& r : doc.at("Results").as_array()) {
    add(r.as_object());
    add_pod(r.as_object());
  }
  return c;
}

TEST(Polaris, EveryAuditInTheCorpus) {
  auto files = files_of("polaris", ".json");
  ASSERT_EQ(files.size(), 5u);
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    PolarisCounts want = count_polaris(file);
    ASSERT_GT(want.all, 0u) << "the count found no checks: a shape it does not know";
    auto reg = adapter("polaris", file);
    EXPECT_EQ(rows(*reg, "polaris.results").size(), want.all);
    EXPECT_EQ(findings("polaris-danger", *reg).size(), want.danger);
    EXPECT_EQ(findings("polaris-warning", *reg).size(), want.warning);
    auto audits = rows(*reg, "polaris.audits");
    ASSERT_EQ(audits.size(), 1u);
    EXPECT_EQ(audits[0].at("output_version"), json::parse(slurp(file)).at("PolarisOutputVersion"));
  }
}

// The January 2020 form: check maps under "Messages", severity "error".
TEST(Polaris, MessagesMapsOfTheJanuary2020Output) {
  const std::string file = data("polaris/polaris-0.6_audit_messages-schema_path-source_error-severity.json");
  const json::value doc = json::parse(slurp(file));
  auto reg = adapter("polaris", file);
  auto results = rows(*reg, "polaris.results");
  const json::object& first = doc.at("Results").as_array().at(0).as_object();
  const json::object& container = first.at("PodResult").at("ContainerResults").as_array().at(0).as_object();
  const json::object& stated = container.at("Messages").at("privilegeEscalationAllowed").as_object();
  const json::object* got = nullptr;
  for (const auto& r : results)
    if (r.at("check") == "privilegeEscalationAllowed" && r.at("name") == first.at("Name")) got = &r;
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->at("level"), "container");
  EXPECT_EQ(got->at("container"), container.at("Name"));
  EXPECT_EQ(got->at("namespace"), first.at("Namespace"));
  EXPECT_EQ(got->at("kind"), first.at("Kind"));
  EXPECT_EQ(got->at("message"), stated.at("Message"));
  EXPECT_EQ(stated.at("Severity"), "error");
  EXPECT_EQ(got->at("severity"), "danger") << "Polaris 1.0 renamed error to danger";
}

// Polaris 0.4-0.6: NamespacedResults, lists of {Message, Type}, no check ids
// in 0.4, the score inside ClusterSummary.
TEST(Polaris, NamespacedResultsOfPolaris04) {
  const std::string file = data("polaris/polaris-0.4_audit_namespaced-results-0.2_path-source.json");
  const json::value doc = json::parse(slurp(file));
  auto reg = adapter("polaris", file);
  auto results = rows(*reg, "polaris.results");
  const json::object& summary = doc.at("ClusterSummary").as_object();
  EXPECT_EQ(results.size(), size_t(summary.at("Results").at("Totals").at("Successes").as_int64()));
  size_t containers = 0;
  for (const auto& r : results) {
    EXPECT_EQ(r.at("kind"), "Deployment");
    EXPECT_TRUE(r.at("check").is_null()) << "0.4 wrote no check ids";
    EXPECT_TRUE(r.at("success").as_bool());
    containers += r.at("level") == "container";
  }
  EXPECT_GT(containers, 0u);
  auto audits = rows(*reg, "polaris.audits");
  EXPECT_EQ(audits[0].at("score"), summary.at("Score"));
  EXPECT_EQ(audits[0].at("namespaces"), summary.at("Namespaces"));
}

TEST(Polaris, ExactFindings) {
  auto reg = adapter("polaris", data("polaris/defectdojo_polaris_audit_many-failures.json"));
  auto danger = findings("polaris-danger", *reg);
  EXPECT_TRUE(has_message(danger, "[Polaris privilegeEscalationAllowed] Privilege escalation should not be allowed: "
                                  "Deployment generic-app container server (Security, danger)"));
  const kcql::Finding* f = nullptr;
  for (const auto& x : danger)
    if (x.object == "deployment/generic-app" && x.message.find("[Polaris runAsPrivileged]") != std::string::npos) f = &x;
  ASSERT_NE(f, nullptr);
  auto audits = rows(*reg, "polaris.audits");
  EXPECT_EQ(audits[0].at("score"), 44);
  EXPECT_EQ(audits[0].at("source_name"), "/manifests/many.yaml");
}

// ---------------------------------------------------------------- kube-hunter

TEST(KubeHunter, EveryReportInTheCorpus) {
  auto files = files_of("kube-hunter", ".json");
  ASSERT_EQ(files.size(), 2u);
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    json::value doc = json::parse(slurp(file));
    std::map<std::string, size_t> by_severity;
    for (const auto& v : doc.at("vulnerabilities").as_array()) ++by_severity[std::string(v.at("severity").as_string())];
    auto reg = adapter("kube-hunter", file);
    EXPECT_EQ(rows(*reg, "kubehunter.vulnerabilities").size(), doc.at("vulnerabilities").as_array().size());
    EXPECT_EQ(rows(*reg, "kubehunter.nodes").size(), doc.at("nodes").as_array().size());
    EXPECT_EQ(rows(*reg, "kubehunter.services").size(), doc.at("services").as_array().size());
    EXPECT_EQ(findings("kube-hunter-high", *reg).size(), by_severity["high"]);
    EXPECT_EQ(findings("kube-hunter-medium", *reg).size(), by_severity["medium"]);
    EXPECT_EQ(findings("kube-hunter-low", *reg).size(), by_severity["low"]);
  }
}

TEST(KubeHunter, ExactFindingsCarryTheKhvId) {
  auto reg = adapter("kube-hunter", data("kube-hunter/defectdojo_kube-hunter_report_many-vulnerabilities.json"));
  auto high = findings("kube-hunter-high", *reg);
  EXPECT_TRUE(has_message(high, "[KHV044] Privileged Container at 10.0.1.1:10255 (Privilege Escalation // Privileged "
                                "container; found by Kubelet Readonly Ports Hunter): pod: kube-proxy, container: kube-proxy, count: 1"));
  auto medium = findings("kube-hunter-medium", *reg);
  EXPECT_TRUE(has_message(medium, "[kube-hunter] CAP_NET_RAW Enabled at Local to Pod (kube-hunter-5pmjs)"))
      << "\"vid\": \"None\" is no id";
  for (const auto& v : rows(*reg, "kubehunter.vulnerabilities")) EXPECT_NE(v.at("vid"), "None");
}

// ---------------------------------------------------------------- Popeye

std::map<int64_t, size_t> popeye_levels(const json::value& doc) {
  std::map<int64_t, size_t> n;
  const json::object& p = doc.at("popeye").as_object();
  const json::array& linters = p.contains("sections") ? p.at("sections").as_array() : p.at("sanitizers").as_array();
  for (const auto& s : linters) {
    if (!s.as_object().contains("issues") || !s.at("issues").is_object()) continue;
    for (const auto& [_, list] : s.at("issues").as_object())
      for (const auto& i : list.as_array()) ++n[i.at("level").as_int64()];
  }
  return n;
}

// Popeye v0.20 renamed sanitizers/sanitizer to sections/linter; the rest of
// the report kept its shape. Each older report is also read in the newer form,
// made from the real file (the corpus has real reports of both forms too).
std::string to_sections_form(std::string text) {
  for (auto [from, to] : {std::pair{"\"sanitizers\"", "\"sections\""}, {"\"sanitizer\"", "\"linter\""}})
    for (size_t p; (p = text.find(from)) != std::string::npos;) text.replace(p, std::string(from).size(), to);
  return text;
}

TEST(Popeye, BothFormsOfEveryReportInTheCorpus) {
  auto files = files_of("popeye", ".json");
  ASSERT_EQ(files.size(), 5u);
  fs::path dir = fs::temp_directory_path() / ("kinspect-popeye-" + std::to_string(::getpid()));
  for (const auto& file : files) {
    fs::path newer = dir / fs::path(file).filename();
    write(newer, to_sections_form(slurp(file)));
    for (const std::string& input : {file, newer.string()}) {
      SCOPED_TRACE(input);
      auto levels = popeye_levels(json::parse(slurp(input)));
      size_t all = 0;
      for (auto [_, n] : levels) all += n;
      auto reg = adapter("popeye", input);
      EXPECT_EQ(rows(*reg, "popeye.issues").size(), all);
      EXPECT_EQ(findings("popeye-error", *reg).size(), levels[3]);
      EXPECT_EQ(findings("popeye-warning", *reg).size(), levels[2]);
      auto linters = rows(*reg, "popeye.linters");
      ASSERT_FALSE(linters.empty());
      const bool sections = json::parse(slurp(input)).at("popeye").as_object().contains("sections");
      EXPECT_EQ(linters[0].at("format"), sections ? "sections" : "sanitizers");
      EXPECT_EQ(linters.size(), json::parse(slurp(input)).at("popeye").at(sections ? "sections" : "sanitizers").as_array().size());
    }
  }
  fs::remove_all(dir);
}

TEST(Popeye, ExactFindingCarriesThePopCode) {
  auto reg = adapter("popeye", data("popeye/defectdojo_popeye_report_sanitizers-format_one.json"));
  auto got = findings("popeye-warning", *reg);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message, "[POP-106] No resources requests/limits defined: pods test-namespace/6cff44dc94-d92km (test-group)");
  auto issues = rows(*reg, "popeye.issues");
  EXPECT_EQ(issues[0].at("code"), "POP-106");
  EXPECT_EQ(issues[0].at("namespace"), "test-namespace");
  EXPECT_EQ(issues[0].at("level_name"), "warning");
  EXPECT_EQ(rows(*reg, "popeye.linters")[0].at("report_grade"), "B");
}

// Popeye's own golden JSON (internal/report/builder_test.go, v0.20 on): the
// sections form with report_time, the errors object and the cluster names.
TEST(Popeye, GoldenOutputOfPopeyeItself) {
  auto reg = adapter("popeye", data("popeye/popeye-0.22.1_builder-test-golden_sections-format.json"));
  auto issues = rows(*reg, "popeye.issues");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].at("linter"), "fred");
  EXPECT_EQ(issues[0].at("level_name"), "ok");
  EXPECT_TRUE(issues[0].at("code").is_null()) << "\"Blah\" has no [POP-nnn]";
  EXPECT_TRUE(findings("popeye-error", *reg).empty());
  auto linters = rows(*reg, "popeye.linters");
  ASSERT_EQ(linters.size(), 1u);
  EXPECT_EQ(linters[0].at("report_grade"), "A");
  EXPECT_EQ(linters[0].at("ok"), 1);
}

// Popeye's errors: a scan it could not finish is a finding of its own, never
// silence. The golden's one error; several, as Popeye (v0.20 on) writes them:
// one object with the key "error" repeated (report.Errors.MarshalJSON in
// derailed/popeye internal/report/report.go), which a JSON object keeps only
// the last of; and the older form, an array of Go errors written as {}.
TEST(Popeye, EveryErrorOfTheReportIsAFinding) {
  const std::string golden = slurp(data("popeye/popeye-0.22.1_builder-test-golden_sections-format.json"));
  auto one = adapter("popeye", data("popeye/popeye-0.22.1_builder-test-golden_sections-format.json"));
  auto rows_one = rows(*one, "popeye.errors");
  ASSERT_EQ(rows_one.size(), 1u);
  EXPECT_EQ(rows_one[0].at("message"), "boom");
  auto got = findings("popeye-scan-error", *one);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].message.find("the scan did not finish: boom"), std::string::npos) << got[0].message;

  const std::string from = R"("errors":{"error":"boom"})";
  ASSERT_NE(golden.find(from), std::string::npos);
  fs::path dir = fs::temp_directory_path() / ("kinspect-popeye-errors-" + std::to_string(::getpid()));
  auto with_errors = [&](const std::string& name, const std::string& errors) {
    std::string text = golden;
    text.replace(text.find(from), from.size(), errors);
    write(dir / name, text);
    return adapter("popeye", (dir / name).string());
  };
  auto several = with_errors("several.json", R"("errors":{"error":"pods is forbidden","error":"no metrics server","error":"pods is forbidden"})");
  auto rows_several = rows(*several, "popeye.errors");
  ASSERT_EQ(rows_several.size(), 3u) << "every repeated key, not just the last";
  EXPECT_EQ(rows_several[0].at("message"), "pods is forbidden");
  EXPECT_EQ(rows_several[1].at("message"), "no metrics server");
  auto grouped = findings("popeye-scan-error", *several);
  ASSERT_EQ(grouped.size(), 2u);
  EXPECT_TRUE(std::any_of(grouped.begin(), grouped.end(), [](const auto& f) {
    return f.message.find("pods is forbidden (2 times)") != std::string::npos;
  }));

  auto old_form = with_errors("old.json", R"("errors":[{},{}])");
  auto rows_old = rows(*old_form, "popeye.errors");
  ASSERT_EQ(rows_old.size(), 2u);
  EXPECT_TRUE(rows_old[0].at("message").is_null());
  auto unnamed = findings("popeye-scan-error", *old_form);
  ASSERT_EQ(unnamed.size(), 1u);
  EXPECT_NE(unnamed[0].message.find("without its message"), std::string::npos) << unnamed[0].message;
  EXPECT_NE(unnamed[0].message.find("(2 times)"), std::string::npos) << unnamed[0].message;

  auto none = adapter("popeye", data("popeye/defectdojo_popeye_report_sanitizers-format_one.json"));
  EXPECT_TRUE(rows(*none, "popeye.errors").empty());
  EXPECT_TRUE(findings("popeye-scan-error", *none).empty());
  fs::remove_all(dir);
}

// A run whose service account could not list most resources: Popeye (v0.11
// form) reports each refusal as an error on the resource "" with no POP code,
// and leaves "issues" out of linters that found nothing.
TEST(Popeye, ForbiddenListsAreErrorsWithoutACode) {
  const std::string file = data("popeye/zora_popeye_report_sanitizers-format_forbidden-rbac.json");
  auto levels = popeye_levels(json::parse(slurp(file)));
  auto reg = adapter("popeye", file);
  auto errors = findings("popeye-error", *reg);
  EXPECT_EQ(errors.size(), levels[3]);
  size_t forbidden = 0;
  for (const auto& f : errors) forbidden += f.message.find("is forbidden: User") != std::string::npos;
  EXPECT_EQ(forbidden, levels[3]) << "every error in this file is a refused LIST";
  EXPECT_TRUE(has_message(errors, "[Popeye] nodes is forbidden: User \"system:serviceaccount:default:foo\" cannot list "
                                  "resource \"nodes\" in API group \"\" at the cluster scope: nodes "));
}

}  // namespace
}  // namespace adapters_test
