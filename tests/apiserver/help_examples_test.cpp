// Every example `kinspect <command> --help` shows is run as a reader would
// type it, through bash, in a sandbox: a working directory that is also
// HOME, with ~/.kube/config pointing at the test API server serving the
// example cluster (contexts `kind-example`, `prod`, `prod-eu` and `prod-us`), `kinspect` on PATH,
// and the files the examples read (reports, check and profile folders,
// certificates, a serve.yaml) made beforehand. The examples are read from
// the built binary's help, so a new example is tested without editing this
// file; an example that names a flag the command lacks fails here (exit 2).
#include "fixture.h"
#include "help_examples.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

using namespace kapitest;
using namespace kinspect::help_examples;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;

namespace {

const std::string kBin = KINSPECT_BIN;
const std::string kSource = KINSPECT_SOURCE_DIR;

// The exit codes an example's command documents for a successful use.
// `run` exits 1 when there are findings at or above --fail-on (critical
// unless given): the example cluster has critical findings (that is what it
// is for), so 1 is the expected answer to a run of it; 0 is fine too, as for
// a run of checks that find nothing, and the only answer with --fail-on none.
// `diff --fail-on-new` exits 1 when AFTER has findings BEFORE lacked (the
// live cluster is judged at another time than its snapshot). 2 (usage) and 3
// (the run could not complete) are never a working example's answer.
std::set<int> successful_exits(const Example& e) {
  const std::string l = e.one_line();
  if (e.command == "run" && l.find("--fail-on none") == std::string::npos) return {0, 1};
  if (e.command == "diff" && l.find("--fail-on-new") != std::string::npos) return {0, 1};
  return {0};
}

// The kubeconfig of the sandbox: contexts on the same test server: the
// current one and the `prod` ones the examples name.
std::string kubeconfig_yaml(const Cluster& c) {
  std::string user = "    client-certificate-data: " + base64(c.certs.client_cert_pem) +
                     "\n    client-key-data: " + base64(c.certs.client_key_pem) + "\n";
  std::string out = "apiVersion: v1\nkind: Config\ncurrent-context: kind-example\nclusters:\n- name: example\n  cluster:\n"
                    "    server: " + c.server->url() + "\n    certificate-authority-data: " + base64(c.certs.ca_pem) +
                    "\nusers:\n- name: admin\n  user:\n" + user + "contexts:\n";
  for (const char* ctx : {"kind-example", "prod", "prod-eu", "prod-us"})
    out += std::string("- name: ") + ctx + "\n  context:\n    cluster: example\n    user: admin\n";
  return out;
}

// The sandbox template every example's working directory is copied from.
class Sandbox {
 public:
  Sandbox() : root_(temp_dir("help-examples")), cluster_("help-examples-cluster") {
    serve_example(cluster_);
    fs::create_directories(tmpl() + "/bin");
    fs::create_symlink(kBin, tmpl() + "/bin/kinspect");
    fs::create_directories(tmpl() + "/.kube");
    write_file(tmpl() + "/.kube/config", kubeconfig_yaml(cluster_));
    link_inputs();
    copy_inputs();
  }
  std::string tmpl() const { return root_ + "/template"; }

  // A fresh working directory (and HOME) for one example, from the template.
  std::string workdir(const std::string& name) const {
    std::string d = root_ + "/" + name;
    fs::remove_all(d);
    fs::copy(tmpl(), d, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    return d;
  }

  // The environment an example runs in: PATH starts with the sandbox's bin.
  std::vector<std::string> env(const std::string& dir) const {
    std::vector<std::string> e{"HOME=" + dir, "PATH=" + dir + "/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                               "KINSPECT_PLUGIN_PATH=" + std::string(KAPI_PLUGIN_DIR), "LANG=C.UTF-8"};
    for (const char* keep : {"TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
      if (const char* v = std::getenv(keep)) e.push_back(std::string(keep) + "=" + v);
    return e;
  }

  // Reports the diff and --baseline examples read, made by kinspect itself
  // in the template (run once, before any example).
  std::string make_reports() {
    const std::string live = "--kubeconfig .kube/config";
    const std::vector<std::pair<std::string, std::string>> runs{
        {"pre-upgrade.json", "--snapshot examples/cluster --scenario pre-upgrade --target-version 1.31"},
        {"post-upgrade.json", live + " --scenario post-upgrade --target-version 1.31 --baseline pre-upgrade.json"},
        {"yesterday.json", "--snapshot examples/cluster"},
        {"today.json", live}};
    for (const auto& [file, args] : runs) {
      Outcome o = run_to_end("kinspect run " + args + " --fail-on none --output " + file, tmpl(), env(tmpl()), 60);
      if (o.exit_code != 0 || !fs::exists(tmpl() + "/" + file))
        return "making " + file + " (kinspect run " + args + ") exited " + std::to_string(o.exit_code) + ": " + o.err;
    }
    return "";
  }

 private:
  // What the examples reach by the paths a user in the source tree has.
  void link_inputs() {
    fs::create_symlink(kSource + "/examples", tmpl() + "/examples");
    fs::create_directories(tmpl() + "/build");
    fs::create_symlink(KAPI_PLUGIN_DIR, tmpl() + "/build/plugins");
    fs::create_directories(tmpl() + "/my-plugins");
    fs::create_symlink(HELLO_PLUGIN, tmpl() + "/my-plugins/hello.so");
  }

  // Files the examples read: a kube-bench result, checks and profiles of
  // one's own (copies of shipped ones), a bearer token, a TLS certificate
  // and a daemon configuration.
  void copy_inputs() {
    fs::copy_file(kSource + "/tests/data/adapters/kube-bench/kube-bench_wrapped-format_master-etcd-controlplane_with_totals.json",
                  tmpl() + "/kb.json");
    fs::create_directories(tmpl() + "/my-checks");
    // A check of the user's own: --checks adds it to the bundled catalog.
    write_file(tmpl() + "/my-checks/team.kcql",
               "CHECK team-label-missing\n"
               "  TITLE    \"Deployment has no team label\"\n"
               "  CATEGORY workloads\n"
               "  SEVERITY warning\n"
               "  COMPONENT \"ownership\"\n"
               "  FROM     k8s.deployments d\n"
               "  WHERE    d.metadata.labels.team IS NULL\n"
               "  OBJECT   \"deployment/{d.metadata.namespace}/{d.metadata.name}\"\n"
               "  MESSAGE  \"deployment {d.metadata.namespace}/{d.metadata.name} has no team label\"\n"
               "  REMEDY   \"Add metadata.labels.team\"\n");
    fs::create_directories(tmpl() + "/my-profiles");
    for (const char* p : {"base.yaml", "inspection.yaml"})
      fs::copy_file(kSource + "/profiles/" + p, tmpl() + "/my-profiles/" + p);
    write_file(tmpl() + "/kinspect-token", "example-token-0123456789abcdef\n");
    fs::copy_file(cluster_.certs.server_cert_file, tmpl() + "/server.pem");
    fs::copy_file(cluster_.certs.server_key_file, tmpl() + "/server-key.pem");
    write_file(tmpl() + "/serve.yaml",
               "listen: 127.0.0.1:8080\ninterval: 10m\nclusters:\n"
               "  - name: example\n    snapshot: examples/cluster\n"
               "  - name: prod\n    kubeconfig: .kube/config\n    context: prod\n");
  }

  std::string root_;
  Cluster cluster_;
};

std::unique_ptr<Sandbox> sandbox;
std::string sandbox_problem;

// Network namespaces the examples name (`--netns blue`), made for the run
// and removed after it; only those this test made are removed.
std::vector<std::string> made_netns;

void make_netns(const std::vector<Example>& all) {
  if (geteuid() != 0) return;
  static const std::regex netns(R"(--netns[ =](\S+))");
  for (const auto& e : all) {
    std::smatch m;
    if (!std::regex_search(e.line, m, netns)) continue;
    std::string name = m[1];
    if (fs::exists("/run/netns/" + name)) continue;
    if (run_command("ip netns add " + sh_quote(name)).exit_code == 0) made_netns.push_back(name);
  }
}

// `trace drops` reads the kernel's drops through eBPF.
std::string trace_unavailable() {
  if (geteuid() != 0) return "needs root (CAP_BPF and CAP_PERFMON)";
  if (!fs::exists("/sys/kernel/btf/vmlinux")) return "needs a kernel with BTF (/sys/kernel/btf/vmlinux)";
  if (!fs::exists(std::string(KAPI_PLUGIN_DIR) + "/network-ebpf.so")) return "the network-ebpf plugin is not built";
  return "";
}

class HelpExamples : public ::testing::TestWithParam<Example> {
 public:
  static void SetUpTestSuite() {
    if (sandbox) return;
    sandbox = std::make_unique<Sandbox>();
    sandbox_problem = sandbox->make_reports();
    make_netns(all_examples());
    start_timed_examples();
  }
  static void TearDownTestSuite() {
    timed_jobs().clear();  // kills any not waited for
    for (const auto& n : made_netns) run_command("ip netns delete " + sh_quote(n));
    made_netns.clear();
    sandbox.reset();
  }

 protected:
  // Examples that watch for a set time (`trace drops --duration 30s`)
  // start together before the first test, so their waits overlap.
  static std::map<std::string, std::unique_ptr<Job>>& timed_jobs() {
    static std::map<std::string, std::unique_ptr<Job>> jobs;
    return jobs;
  }
  static void start_timed_examples() {
    // Only those the test filter selects.
    std::set<std::string> selected;
    const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    for (int i = 0; suite && i < suite->total_test_count(); ++i)
      if (suite->GetTestInfo(i)->should_run()) selected.insert(suite->GetTestInfo(i)->name());
    for (const auto& e : all_examples())
      if (is_timed(e) && trace_unavailable().empty() && selected.count("Runs/" + e.name)) {
        std::string dir = sandbox->workdir(e.name);
        timed_jobs()[e.line] = std::make_unique<Job>(e.line, dir, sandbox->env(dir));
      }
  }
};

// Checks the files an example says it writes (`> FILE`, -o/--output FILE)
// are there and not empty.
void expect_outputs(const Example& e, const std::string& dir) {
  for (const auto& f : written_files(e)) {
    fs::path p = fs::path(dir) / f;
    std::error_code ec;
    bool there = fs::is_directory(p, ec) ? !fs::is_empty(p, ec) : fs::exists(p, ec) && fs::file_size(p, ec) > 0;
    EXPECT_TRUE(there) << e.one_line() << "\nsays it writes " << f << ", which is missing or empty";
  }
}

void expect_success(const Example& e, const Outcome& o, const std::string& dir) {
  const bool usage_error = o.err.find("unrecognised option") != std::string::npos;
  ASSERT_TRUE(successful_exits(e).count(o.exit_code) && !usage_error)
      << e.one_line() << "\nexited " << o.exit_code << (o.timed_out ? " (timed out, killed)" : "")
      << "\nstderr:\n" << o.err << "\nstdout (start):\n" << o.out.substr(0, 2000);
  expect_outputs(e, dir);
  if (written_files(e).empty()) {
    EXPECT_FALSE(o.out.empty()) << e.one_line() << "\nprinted nothing on stdout; stderr:\n" << o.err;
  }
}

// A daemon example: started, asked over HTTP(S) until it answers, its
// command's client lines (curl ...) run against it, then SIGTERM: exit 0.
void run_daemon(const Example& e, const std::string& dir) {
  Job job("exec " + with_free_port(e.line), dir, sandbox->env(dir));
  int port = job.wait_for_port(30);
  ASSERT_GT(port, 0) << e.one_line() << "\nnever said which port it listens on; stderr:\n" << job.err();
  bool tls = job.err().find("(HTTPS)") != std::string::npos;
  EXPECT_TRUE(answers_http(port, tls, 20)) << e.one_line() << "\ndoes not answer on port " << port << "; stderr:\n"
                                           << job.err();
  for (const auto& client : e.clients) {
    // The daemon's first inspection may still be running: ask until it answers.
    Outcome c;
    for (int tries = 0; tries < 50; ++tries) {
      c = run_to_end(port_rewritten(client, port), dir, sandbox->env(dir), 30);
      if (c.exit_code == 0 && !c.out.empty() && c.out != "null\n") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    std::printf("[ client   ] %s  -> %s", client.c_str(), c.out.c_str());
    EXPECT_EQ(c.exit_code, 0) << client << "\n(against " << e.one_line() << ")\nstderr:\n" << c.err;
    EXPECT_FALSE(c.out.empty() || c.out == "null\n") << client << "\nanswered nothing; daemon stderr:\n" << job.err();
  }
  std::printf("[ daemon   ] %s  -> answered on port %d%s\n", e.one_line().c_str(), port, tls ? " (HTTPS)" : "");
  ::kill(job.pid(), SIGTERM);
  Outcome o = job.wait(60);
  EXPECT_EQ(o.exit_code, 0) << e.one_line() << "\ndid not stop cleanly on SIGTERM"
                            << (o.timed_out ? " (timed out, killed)" : "") << "; stderr:\n" << o.err;
}

TEST_P(HelpExamples, Runs) {
  const Example& e = GetParam();
  ASSERT_TRUE(sandbox_problem.empty()) << "the sandbox is not ready: " << sandbox_problem;
  ASSERT_TRUE(e.runnable()) << e.one_line() << "\nis shown under `kinspect " << e.command
                            << " --help` but is neither a kinspect command nor a client of a daemon example before it";
  if (is_timed(e) && !trace_unavailable().empty()) GTEST_SKIP() << e.one_line() << ": " << trace_unavailable();
  if (is_daemon(e)) return run_daemon(e, sandbox->workdir(e.name));
  auto timed = timed_jobs().find(e.line);
  std::string dir = timed != timed_jobs().end() ? timed->second->dir() : sandbox->workdir(e.name);
  Outcome o = timed != timed_jobs().end() ? timed->second->wait(90) : run_to_end(e.line, dir, sandbox->env(dir), 60);
  std::printf("[ example  ] %s  -> exit %d\n", e.one_line().c_str(), o.exit_code);
  expect_success(e, o, dir);
}

// Every command of `kinspect --help` shows examples.
TEST(HelpExamplesCoverage, EveryCommandHasExamples) {
  std::set<std::string> with;
  for (const auto& e : all_examples()) with.insert(e.command);
  for (const auto& c : command_names(kBin)) EXPECT_TRUE(with.count(c)) << "`kinspect " << c << " --help` shows no example";
  EXPECT_GT(all_examples().size(), 20u);
}

INSTANTIATE_TEST_SUITE_P(Help, HelpExamples, ::testing::ValuesIn(all_examples()),
                         [](const ::testing::TestParamInfo<Example>& i) { return i.param.name; });

}  // namespace
