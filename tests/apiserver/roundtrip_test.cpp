// The offline journey as a user takes it: `kinspect run` against a live API
// server, `kinspect snapshot` of it (a folder and a .tar.gz, with and without
// --all), then `kinspect run --snapshot` on each. Every check must end the
// same way with the same findings, and a resource the server does not serve
// must read back as "not served", never as an empty table whose checks pass.
#include "fixture.h"

#include "catalog.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/common/run_command.h"

using namespace kapitest;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string kinspect_cmd(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
}

std::string created() {
  json::value m = json::parse(read_file(kExample + "/manifest.json"));
  return std::string(m.at("created").as_string());
}

// check id -> "status cause | severity object message; ..." (sorted findings).
std::map<std::string, std::string> verdicts(const std::string& report_json) {
  std::map<std::string, std::string> out;
  json::value rep = json::parse(report_json);
  for (const auto& c : rep.at("checks").as_array()) {
    std::multiset<std::string> findings;
    for (const auto& f : c.at("findings").as_array())
      findings.insert(std::string(f.at("severity").as_string()) + " " + std::string(f.at("object").as_string()) + " " +
                      std::string(f.at("message").as_string()));
    std::string v = std::string(c.at("status").as_string()) + " " + std::string(c.at("cause").as_string()) + " |";
    for (const auto& f : findings) v += " " + f + ";";
    out[std::string(c.at("id").as_string())] = v;
  }
  return out;
}

}  // namespace

TEST(RoundTrip, LiveSnapshotAndSnapshotRunsAgree) {
  Cluster c("roundtrip");
  serve_example(c);
  const std::string kc = c.cert_kubeconfig();
  const std::string common = " --format json --fail-on none --now " + created();
  auto live = run_command(kinspect_cmd("run --kubeconfig " + sh_quote(kc) + common));
  ASSERT_EQ(live.exit_code, 0) << "the served example checks completely:\n" << live.err;
  auto expected = verdicts(live.out);
  ASSERT_GT(expected.size(), 100u);
  size_t ran = 0;
  for (const auto& [id, v] : expected) ran += v.rfind("pass", 0) == 0 || v.rfind("fail", 0) == 0;
  EXPECT_GT(ran, 90u) << "the live run should check most of the catalog";

  for (const std::string& args : {std::string("-o ") + c.dir + "/snap", std::string("-o ") + c.dir + "/snap.tar.gz",
                                  std::string("--all -o ") + c.dir + "/all", std::string("--all -o ") + c.dir + "/all.tgz"}) {
    auto snap = run_command(kinspect_cmd("snapshot " + args + " --kubeconfig " + sh_quote(kc)));
    ASSERT_EQ(snap.exit_code, 0) << args << ": " << snap.err;
    std::string path = args.substr(args.rfind(' ') + 1);
    auto offline = run_command(kinspect_cmd("run --snapshot " + sh_quote(path) + common));
    EXPECT_EQ(offline.exit_code, live.exit_code) << args << ": " << offline.err;
    auto got = verdicts(offline.out);
    for (const auto& [id, v] : expected) EXPECT_EQ(got[id], v) << "check " << id << " on snapshot " << args;
    EXPECT_EQ(got.size(), expected.size()) << args;
  }
}

TEST(RoundTrip, ResourceNotServedIsNotCheckedNeverPassed) {
  Cluster c("not-served");
  serve_example(c, {"k8s.validatingwebhookconfigurations", "k8s.storageclasses"});
  const std::string kc = c.cert_kubeconfig();
  auto run = run_command(kinspect_cmd("run --format json --fail-on none --now " + created() + " --kubeconfig " +
                                  sh_quote(kc)));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("not served"), std::string::npos) << run.err;
  json::value rep = json::parse(run.out);
  size_t webhook_checks = 0;
  for (const auto& ch : rep.at("checks").as_array()) {
    bool reads_webhooks = false, reads_classes = false;
    for (const auto& t : ch.at("tables").as_array()) {
      reads_webhooks = reads_webhooks || t.as_string() == "k8s.validatingwebhookconfigurations";
      reads_classes = reads_classes || t.as_string() == "k8s.storageclasses";
    }
    if (!reads_webhooks && !reads_classes) continue;
    webhook_checks += reads_webhooks;
    EXPECT_EQ(ch.at("status").as_string(), "skipped") << ch.at("id");
    EXPECT_EQ(ch.at("cause").as_string(), "not served") << ch.at("id") << ": " << ch.at("reason");
    EXPECT_TRUE(ch.at("findings").as_array().empty()) << ch.at("id") << " fired on a table it could not read";
  }
  EXPECT_GT(webhook_checks, 0u);

  // The terminal says so: the category of webhook checks is not "normal".
  auto text = run_command(kinspect_cmd("run --fail-on none --color never --now " + created() + " --kubeconfig " +
                                   sh_quote(kc)));
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_NE(text.out.find("not checked (not served)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Verdict"), std::string::npos);

  // ...and a snapshot of that server reads back the same way.
  auto snap = run_command(kinspect_cmd("snapshot -o " + c.dir + "/s --kubeconfig " + sh_quote(kc)));
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  EXPECT_NE(snap.out.find("not served by the cluster"), std::string::npos) << snap.out;
  auto offline = run_command(kinspect_cmd("run --format json --fail-on none --now " + created() + " --snapshot " + c.dir + "/s"));
  EXPECT_EQ(verdicts(offline.out), verdicts(run.out));
}

TEST(RoundTrip, OneFailureIsReportedOnceWithOnePrefix) {
  Cluster c("refused");
  std::string kc = c.cert_kubeconfig();
  c.server.reset();  // nothing listens there any more: every request is refused
  auto run = run_command(kinspect_cmd("run --fail-on none --color never --kubeconfig " + sh_quote(kc) + " --request-timeout 2"));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  auto count = [](const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_LE(count(run.err, "\n"), 4u) << "stderr should say it in a line or two:\n" << run.err;
  EXPECT_EQ(count(run.out + run.err, "plugin 'kube-apiserver', table k8s.pods: plugin 'kube-apiserver'"), 0u);
  EXPECT_NE(run.out.find("Tables that failed"), std::string::npos) << run.out;
  // One line for the failure however many tables it took down.
  size_t at = run.out.find("Tables that failed");
  std::string section = run.out.substr(at, run.out.find("\n\n", at) - at);
  EXPECT_LE(count(section, "\n"), 3u) << section;
}

namespace {

// Changes one letter of the first object name in `file`: the file keeps its
// size and its count of objects, so only the digest can tell.
void change_one_letter(const std::string& file) {
  std::string text = read_file(file);
  size_t at = text.find("\"name\":\"");
  ASSERT_NE(at, std::string::npos) << file;
  char& c = text[at + 8];
  c = c == 'q' ? 'r' : 'q';
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

// The checks that read `table`, each of which must not have run.
void expect_not_run_on(const json::value& report, const std::string& table) {
  size_t readers = 0;
  for (const auto& ch : report.at("checks").as_array()) {
    bool reads = false;
    for (const auto& t : ch.at("tables").as_array()) reads = reads || t.as_string() == table;
    if (!reads) continue;
    ++readers;
    EXPECT_NE(ch.at("status").as_string(), "pass") << ch.at("id") << " passed on a damaged file";
    EXPECT_TRUE(ch.at("findings").as_array().empty()) << ch.at("id");
  }
  EXPECT_GT(readers, 0u) << table;
}

}  // namespace

TEST(RoundTrip, FileChangedAfterCaptureIsRefusedByItsDigest) {
  Cluster c("digest");
  serve_example(c);
  const std::string kc = c.cert_kubeconfig();
  auto snap = run_command(kinspect_cmd("snapshot -o " + c.dir + "/s --kubeconfig " + sh_quote(kc)));
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  json::value m = json::parse(read_file(c.dir + "/s/manifest.json"));
  for (const auto& r : m.at("resources").as_array())
    EXPECT_EQ(r.at("sha256").as_string().size(), 64u) << r.at("file") << " has no digest";

  change_one_letter(c.dir + "/s/pods.json");

  const std::string common = " --format json --fail-on none --now " + created();
  auto folder = run_command(kinspect_cmd("run --snapshot " + c.dir + "/s" + common));
  EXPECT_EQ(folder.exit_code, 3) << folder.err;
  EXPECT_NE(folder.err.find("pods.json: SHA-256"), std::string::npos) << folder.err;
  expect_not_run_on(json::parse(folder.out), "k8s.pods");

  // The same damage inside a .tar.gz (repacked by tar, as a user might).
  auto pack = run_command("tar czf " + c.dir + "/s.tgz -C " + c.dir + "/s .");
  ASSERT_EQ(pack.exit_code, 0) << pack.err;
  auto archive = run_command(kinspect_cmd("run --snapshot " + c.dir + "/s.tgz" + common));
  EXPECT_EQ(archive.exit_code, 3) << archive.err;
  EXPECT_NE(archive.err.find("SHA-256"), std::string::npos) << archive.err;
  expect_not_run_on(json::parse(archive.out), "k8s.pods");
}
