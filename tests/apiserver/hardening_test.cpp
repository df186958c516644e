// Hostile input and failing servers (issue 22): each case ends within its
// bound with a clear error, and no secret leaks. Big inputs are built as
// streams in memory or with a few MiB on disk, so every test takes seconds.
#include "fixture.h"
#include "http_client.h"
#include "kubeconfig.h"
#include "splitter.h"
#include "yaml_json.h"

#include <archive.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <archive_entry.h>
#include <signal.h>
#include <sys/stat.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <filesystem>
#include <thread>

#include "tests/common/run_command.h"

using namespace kapitest;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
using kitest::q;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A /proc file, or "" when the process is gone.
std::string proc_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string snap_config(const std::string& path, const std::string& extra = "") {
  return "{\"snapshot\":" + q(path) + extra + "}";
}

void write_script(const std::string& path, const std::string& body) {
  write_file(path, "#!/bin/sh\n" + body);
  chmod(path.c_str(), 0755);
}

// A tar.gz written member by member; `big` members are produced in 1 MiB
// pieces so nothing that size is ever held.
class TarWriter {
 public:
  explicit TarWriter(const std::string& file) {
    a_ = archive_write_new();
    archive_write_add_filter_gzip(a_);
    archive_write_set_format_pax_restricted(a_);
    ok_ = archive_write_open_filename(a_, file.c_str()) == ARCHIVE_OK;
  }
  ~TarWriter() { close(); }
  bool ok() const { return ok_; }
  void add(const std::string& path, const std::string& content) {
    header(path, AE_IFREG, content.size());
    archive_write_data(a_, content.data(), content.size());
  }
  void add_zeros(const std::string& path, size_t size) {
    header(path, AE_IFREG, size);
    std::string mib(1 << 20, '\0');
    for (size_t done = 0; done < size; done += mib.size())
      archive_write_data(a_, mib.data(), std::min(mib.size(), size - done));
  }
  void add_link(const std::string& path, const std::string& target, bool hard) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    if (hard) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, target.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, target.c_str());
    }
    archive_entry_set_perm(e, 0644);
    archive_write_header(a_, e);
    archive_entry_free(e);
  }
  void close() {
    if (!a_) return;
    archive_write_close(a_);
    archive_write_free(a_);
    a_ = nullptr;
  }

 private:
  void header(const std::string& path, unsigned type, size_t size) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a_, e);
    archive_entry_free(e);
  }
  archive* a_ = nullptr;
  bool ok_ = false;
};

const std::string kPods = "kind_kube-system_PodList.json";
std::string manifest_for(const std::string& file, size_t count) {
  return R"({"format":"kinspect-snapshot/v1","created":"2026-01-01T00:00:00Z","resources":[{"table":"k8s.pods","file":")" +
         file + R"(","count":)" + std::to_string(count) + "}]}";
}

}  // namespace

// ---------------------------------------------------------------- secrets

namespace {

const std::string kPlantedData = "PLANTED-data-value-4711";
const std::string kPlantedString = "PLANTED-string-data-0815";

// A Secret as `kubectl apply` leaves it: its data, and a copy of the
// applied object (stringData included) in last-applied-configuration; one
// more annotation that copies a value.
std::string applied_secret() {
  std::string applied = R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"default"},)"
                        R"("data":{"password":")" + base64(kPlantedData) + R"("},"stringData":{"token":")" +
                        kPlantedString + R"("}})";
  return R"({"metadata":{"name":"db","namespace":"default","uid":"u-1","annotations":{)"
         R"("kubectl.kubernetes.io/last-applied-configuration":)" + q(applied) +
         R"(,"backup.example.com/copy":"password=)" + base64(kPlantedData) + R"(","team":"payments"}},)"
         R"("type":"Opaque","data":{"password":")" + base64(kPlantedData) + R"("}})";
}

bool holds_planted(const std::string& text) {
  return text.find(kPlantedData) != std::string::npos || text.find(base64(kPlantedData)) != std::string::npos ||
         text.find(kPlantedString) != std::string::npos;
}

std::string all_rows(const kitest::ScanResult& r) {
  std::string s;
  for (auto& row : r.rows) s += boost::json::serialize(row) + "\n";
  return s;
}

}  // namespace

TEST(Secrets, AnnotationCopiesOfSecretDataAreWithheldLiveAndFromSnapshots) {
  Cluster c("sec-annot");
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1", {applied_secret()});
  std::string dir = temp_dir("sec-annot-snap");
  write_file(dir + "/secrets.json", R"({"apiVersion":"v1","kind":"List","items":[)" + applied_secret() + "]}");
  auto live = plugin(c.config(c.token_kubeconfig()));
  auto snap = plugin(snap_config(dir));
  for (auto* p : {live.get(), snap.get()}) {
    for (const std::vector<std::string>& paths :
         std::vector<std::vector<std::string>>{{}, {"metadata.annotations"}, {"metadata.name", "data"}}) {
      auto r = p->scan_paths("k8s.secrets", paths);
      ASSERT_TRUE(r.ok) << r.error;
      ASSERT_EQ(r.rows.size(), 1u);
      std::string text = all_rows(r);
      if (!paths.empty() && paths[0] != "metadata.annotations") {
        EXPECT_FALSE(holds_planted(text)) << text;
        continue;
      }
      // The annotations stay, their values withheld; others are untouched.
      auto& ann = r.rows[0].at("metadata").at("annotations").as_object();
      EXPECT_TRUE(ann.at("kubectl.kubernetes.io/last-applied-configuration").is_null()) << text;
      EXPECT_EQ(ann.at("team"), "payments");
      // A metadata-only LIST (live, reading only metadata) brings no values to
      // compare with: a bare copy of one ("password=...") cannot be told from
      // any other annotation there. Everywhere else it is withheld.
      if (p == live.get() && !paths.empty()) continue;
      EXPECT_TRUE(ann.at("backup.example.com/copy").is_null()) << text;
      EXPECT_FALSE(holds_planted(text)) << text;
    }
  }
  // --include-secret-data: then (and only then) the values are there.
  auto with = plugin(snap_config(dir, ",\"include_secret_data\":true"));
  auto r = with->scan("k8s.secrets");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(holds_planted(all_rows(r)));
}

namespace {

// Everything a run leaves behind: stdout, stderr and the files in `dir`
// (reports, snapshot files, tarball members).
std::string files_text(const std::string& dir) {
  std::string all;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string body = read_file(e.path().string());
    all += body;
    if (e.path().string().size() > 7 && e.path().string().rfind(".tar.gz") == e.path().string().size() - 7) {
      archive* a = archive_read_new();
      archive_read_support_filter_all(a);
      archive_read_support_format_tar(a);
      if (archive_read_open_memory(a, body.data(), body.size()) == ARCHIVE_OK) {
        archive_entry* en;
        char buf[65536];
        la_ssize_t n;
        while (archive_read_next_header(a, &en) == ARCHIVE_OK)
          while ((n = archive_read_data(a, buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
      }
      archive_read_free(a);
    }
  }
  return all;
}

std::string kinspect_cmd(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " + sh_quote(KAPI_PLUGIN_DIR);
}

int closed_port() {
  // A port that was just free: bind, read it, close.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace

// Plants known values in every place a secret can come from and searches
// everything the runs write: stdout, stderr at -vv, JSON and HTML reports,
// snapshot folders and tarballs.
TEST(Secrets, NothingARunWritesHoldsAPlantedSecret) {
  EnvGuard env{"KUBECONFIG", "HOME"};
  unsetenv("KUBECONFIG");
  Cluster c("sec-e2e");
  setenv("HOME", c.dir.c_str(), 1);
  const std::string token = "PLANTED-bearer-token-9999", password = "PLANTED-url-password-1234",
                    proxy_password = "PLANTED-proxy-password-5678", exec_said = "PLANTED-exec-stderr-2468";
  c.server->add_token(token, "planted");
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1", {applied_secret()});
  std::string out = temp_dir("sec-e2e-out");
  std::string kc = c.token_kubeconfig(token);
  std::string bad_server = write_kubeconfig(c.dir + "/kc-url", "https://admin:" + password + "@127.0.0.1:" +
                                                                   std::to_string(closed_port()),
                                            "    certificate-authority: " + c.certs.ca_file + "\n", "    token: " + token + "\n");
  std::string bad_proxy = write_kubeconfig(c.dir + "/kc-proxy", c.server->url(),
                                           "    certificate-authority: " + c.certs.ca_file +
                                               "\n    proxy-url: http://p:" + proxy_password + "@127.0.0.1:" +
                                               std::to_string(closed_port()) + "\n",
                                           "    token: " + token + "\n");
  write_script(c.dir + "/cred.sh", "echo 'token " + exec_said + " rejected' >&2\nexit 1\n");
  std::string exec_kc = write_kubeconfig(c.dir + "/kc-exec", c.server->url(),
                                         "    certificate-authority: " + c.certs.ca_file + "\n",
                                         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
                                             c.dir + "/cred.sh\n");
  std::string written, exec_stderr;
  auto run = [&](const std::string& args, bool exec = false) {
    auto r = run_command(kinspect_cmd(args + " -vv"));
    std::string err = r.err;
    if (exec) {
      // What the plugin itself printed is allowed on stderr (kubectl does
      // the same); nothing else there may hold a secret.
      exec_stderr += err;
      for (size_t at; (at = err.find(exec_said)) != std::string::npos;) err.erase(at, exec_said.size());
    }
    written += r.out + err;
    return r;
  };
  auto query = run("query 'SELECT * FROM k8s.secrets' --format json --kubeconfig " + sh_quote(kc));
  ASSERT_EQ(query.exit_code, 0) << query.err;
  ASSERT_NE(query.out.find("last-applied-configuration"), std::string::npos) << query.out;
  for (std::string target : {out + "/snap", out + "/snap.tar.gz"}) {
    auto s = run("snapshot -o " + sh_quote(target) + " --table k8s.secrets --kubeconfig " + sh_quote(kc));
    ASSERT_EQ(s.exit_code, 0) << s.err;
  }
  int n = 0;
  for (const auto& k : {bad_server, bad_proxy, exec_kc}) {
    std::string reports = " --output " + out + "/r" + std::to_string(n) + ".json --output " + out + "/r" +
                          std::to_string(n) + ".html";
    ++n;
    auto r = run("run --fail-on none --check pod-crashloop --check node-not-ready --kubeconfig " + sh_quote(k) + reports,
                 k == exec_kc);
    EXPECT_EQ(r.exit_code, 3) << r.err;
  }
  written += files_text(out);
  ASSERT_NE(written.find("xxxxx@127.0.0.1"), std::string::npos) << "the failing URL is named, redacted";
  for (const std::string& secret : {token, password, proxy_password, exec_said, kPlantedData, kPlantedString,
                                    base64(kPlantedData)})
    EXPECT_EQ(written.find(secret), std::string::npos) << secret << " leaked";
  // The plugin's own stderr reaches the user's terminal, as with kubectl.
  EXPECT_NE(exec_stderr.find(exec_said), std::string::npos) << exec_stderr;
  // Snapshot files are private: 0700 folder, 0600 files and tarball.
  struct stat st {};
  ASSERT_EQ(stat((out + "/snap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (auto& e : fs::directory_iterator(out + "/snap")) {
    ASSERT_EQ(stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << e.path();
  }
  ASSERT_EQ(stat((out + "/snap.tar.gz").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Secrets, LineBreaksInCredentialsAreRefusedWithTheirSource) {
  Cluster c("sec-crlf");
  auto fails = [&](const std::string& kc, const std::string& want) {
    auto p = plugin(c.config(kc));
    auto r = p->scan("k8s.nodes");
    ASSERT_FALSE(r.ok);
    EXPECT_NE(r.error.find(want), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("line break"), std::string::npos) << r.error;
    EXPECT_EQ(c.server->count("GET /api/v1/nodes"), 0u) << "nothing was sent";
  };
  std::string ca = "    certificate-authority: " + c.certs.ca_file + "\n";
  fails(write_kubeconfig(c.dir + "/kc1", c.server->url(), ca, "    token: \"good-token\\r\\nX-Injected: 1\"\n"),
        "field 'users[0].user.token'");
  write_file(c.dir + "/token", "good-token\nX-Injected: 1\n");
  fails(write_kubeconfig(c.dir + "/kc2", c.server->url(), ca, "    tokenFile: " + c.dir + "/token\n"),
        "token file " + c.dir + "/token");
  // printf '%s': dash's echo would turn the JSON escapes into real line breaks.
  write_script(c.dir + "/cred.sh",
               "printf '%s\\n' '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":"
               "{\"token\":\"good-token\\r\\nX-Injected: 1\"}}'\n");
  fails(write_kubeconfig(c.dir + "/kc3", c.server->url(), ca,
                         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + c.dir +
                             "/cred.sh\n"),
        "exec credential plugin '" + c.dir + "/cred.sh'");
}

// ---------------------------------------------------------------- exec plugins

TEST(ExecPlugin, AHungPluginIsStoppedAtItsTimeoutAndNotRunAgain) {
  Cluster c("exec-hang");
  write_script(c.dir + "/cred.sh", "sleep 60\n");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
                                        c.dir + "/cred.sh\n");
  auto p = plugin(c.config(kc, ",\"exec_timeout_seconds\":1"));
  auto t0 = Clock::now();
  auto r = p->scan("k8s.nodes");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("did not finish within 1s"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("exec_timeout_seconds"), std::string::npos) << r.error;
  auto again = p->scan("k8s.pods");
  ASSERT_FALSE(again.ok);
  EXPECT_LT(seconds_since(t0), 4.0) << "one timeout for the run, not one per table";
}

TEST(ExecPlugin, ItsProcessGroupEndsWithItAndItsStderrStaysOutOfErrors) {
  Cluster c("exec-group");
  std::string pidfile = c.dir + "/bg.pid";
  write_script(c.dir + "/cred.sh",
               "sleep 300 & echo $! > " + pidfile + "\n"
               "echo 'leaked-into-error' >&2\n"
               "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"good-token\"}}'\n");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
                                        c.dir + "/cred.sh\n");
  auto t0 = Clock::now();
  auto p = plugin(c.config(kc));
  auto r = p->scan("k8s.nodes");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_LT(seconds_since(t0), 5.0) << "the background child holds stdout open; the plugin's exit is enough";
  pid_t bg = std::stoi(read_file(pidfile));
  // Killed with its group: gone, or a zombie waiting for init.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::string stat = proc_file("/proc/" + std::to_string(bg) + "/stat");
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "background child " << bg << " still running";
  if (!gone) ::kill(bg, SIGKILL);

  write_script(c.dir + "/fail.sh", "echo 'the-plugin-said-this' >&2\nexit 2\n");
  std::string kc2 = write_kubeconfig(c.dir + "/kc2", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                     "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
                                         c.dir + "/fail.sh\n");
  auto p2 = plugin(c.config(kc2));
  auto f = p2->scan("k8s.nodes");
  ASSERT_FALSE(f.ok);
  EXPECT_NE(f.error.find("exit status 2"), std::string::npos) << f.error;
  EXPECT_EQ(f.error.find("the-plugin-said-this"), std::string::npos) << f.error;
}

// ---------------------------------------------------------------- failing servers

TEST(FailingServer, LongRetryAfterIsNotWaitedFor) {
  Cluster c("fail-429");
  c.server->fail_every_request(429, "3600");
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto t0 = Clock::now();
  auto r = p->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_NE(r.error.find("retry after 3600s, longer than kinspect waits: 10s"), std::string::npos) << r.error;
  EXPECT_EQ(c.server->count("GET /api/v1/pods"), 1u);
}

TEST(FailingServer, EveryRequestFailingStopsTheDriverAfterAFew) {
  for (int status : {500, 503, 401}) {
    Cluster c("fail-all-" + std::to_string(status));
    c.server->fail_every_request(status);
    auto p = plugin(c.config(c.token_kubeconfig(), ",\"backoff_base_seconds\":0.01"));
    auto t0 = Clock::now();
    std::string last;
    for (const char* t : {"k8s.pods", "k8s.nodes", "k8s.services", "k8s.deployments", "k8s.secrets", "k8s.events",
                          "k8s.configmaps", "k8s.namespaces"}) {
      auto r = p->scan(t);
      ASSERT_FALSE(r.ok) << t;
      last = r.error;
    }
    EXPECT_LT(seconds_since(t0), 3.0) << status;
    // The first LIST is retried (5 times) and two more fail at once; the rest are not sent.
    EXPECT_LE(c.server->log().size(), 6u + 2u) << status;
    EXPECT_NE(last.find("failed the same way, so this run stops asking it"), std::string::npos) << last;
  }
}

TEST(FailingServer, RefusedConnectionsStopTheDriverAfterAFew) {
  Cluster c("fail-refused");
  std::string kc = write_kubeconfig(c.dir + "/kc", "https://127.0.0.1:" + std::to_string(closed_port()),
                                    "    certificate-authority: " + c.certs.ca_file + "\n", "    token: good-token\n");
  auto p = plugin(c.config(kc));
  std::string last;
  for (int i = 0; i < 6; ++i) last = p->scan("k8s.pods").error;
  EXPECT_NE(last.find("stops asking"), std::string::npos) << last;
  EXPECT_NE(last.find("Connection refused"), std::string::npos) << last;
}

TEST(FailingServer, DripFedBodyEndsAtTheRequestTimeout) {
  Cluster c("fail-drip");
  c.server->drip(1, 200);
  auto p = plugin("{\"kubeconfig\":" + q(c.token_kubeconfig()) + ",\"timeout_seconds\":2}");
  auto t0 = Clock::now();
  auto r = p->scan("k8s.pods");
  double took = seconds_since(t0);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("did not complete within 2s (timeout_seconds)"), std::string::npos) << r.error;
  EXPECT_LT(took, 5.0);
  EXPECT_GE(took, 1.5);
}

// Bodies are read from a non-blocking socket with poll(): interrupt(), which
// is how a watch thread is stopped, must end that wait at once, not at the
// request timeout.
TEST(FailingServer, InterruptEndsABodyReadWaitingForBytes) {
  Cluster c("fail-interrupt");
  c.server->drip(16, 5000);  // 16 bytes, then nothing for 5 s
  kapi::ResolveOptions ro;
  ro.kubeconfig = c.token_kubeconfig();
  auto conn = kapi::resolve_connection(ro, [](int, const std::string&) {});
  ASSERT_TRUE(conn);
  kapi::ClientOptions co;
  co.timeout_seconds = 30;
  co.max_retries = 0;
  kapi::ApiClient client(std::move(*conn), co, nullptr);
  std::atomic<size_t> got{0};
  std::string error;
  std::atomic<bool> ended{false};
  std::thread reader([&] {
    try {
      auto body = client.get("/api/v1/pods?limit=500");
      char buf[4096];
      while (size_t n = body->read(buf, sizeof buf)) got += n;
    } catch (const std::exception& e) {
      error = e.what();
    }
    ended = true;
  });
  auto first = Clock::now();
  while (got == 0 && !ended && seconds_since(first) < 10) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(got.load(), 0u) << "no body bytes arrived";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // into the wait for the next bytes
  auto t0 = Clock::now();
  client.interrupt();
  while (!ended && seconds_since(t0) < 10) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  double took = seconds_since(t0);
  reader.join();
  EXPECT_LT(took, 1.0) << "the read went on after interrupt()";
  EXPECT_FALSE(error.empty()) << "an interrupted body read must throw, not end as if complete";
}

TEST(FailingServer, GzipBombResponseIsRefused) {
  if (!Server::gzip_supported()) GTEST_SKIP() << "built without zlib: no gzip responses";
  Cluster c("fail-bomb");
  // 100 MiB of spaces inside a List, deflated to about 100 KiB, built in pieces.
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string gz, in = R"({"kind":"PodList","apiVersion":"v1","items":[)", spaces(1 << 20, ' ');
  std::vector<unsigned char> buf(1 << 16);
  auto pump = [&](const std::string& s, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
    z.avail_in = static_cast<uInt>(s.size());
    do {
      z.next_out = buf.data();
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, flush);
      gz.append(reinterpret_cast<char*>(buf.data()), buf.size() - z.avail_out);
    } while (z.avail_out == 0);
  };
  pump(in, Z_NO_FLUSH);
  for (int i = 0; i < 100; ++i) pump(spaces, Z_NO_FLUSH);
  pump("]}", Z_FINISH);
  deflateEnd(&z);
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/api/v1/pods") return false;
    out.body = gz;
    out.headers.push_back({"Content-Encoding", "gzip"});
    return true;
  });
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto t0 = Clock::now();
  auto r = p->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("max_compression_ratio"), std::string::npos) << r.error;
  EXPECT_LT(seconds_since(t0), 5.0);
  auto small = plugin(c.config(c.token_kubeconfig(), ",\"max_response_bytes\":1048576"));
  auto s = small->scan("k8s.pods");
  ASSERT_FALSE(s.ok);
  EXPECT_NE(s.error.find("larger than 1 MiB (max_response_bytes)"), std::string::npos) << s.error;
}

// ---------------------------------------------------------------- snapshot integrity

TEST(SnapshotIntegrity, LinksOutOfTheSnapshotAreRefusedWithThePath) {
  std::string d = temp_dir("int-links");
  write_file(d + "/outside.json", read_file(data(kPods)));
  fs::create_directories(d + "/snap");
  write_file(d + "/snap/manifest.json", manifest_for("pods.json", 14));
  fs::create_symlink(d + "/outside.json", d + "/snap/pods.json");
  auto r = plugin(snap_config(d + "/snap"))->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("refusing " + d + "/snap/pods.json: it is a link to " + d + "/outside.json, outside the snapshot"),
            std::string::npos)
      << r.error;
  // A folder of manifests: the same.
  fs::create_directories(d + "/plain");
  fs::create_symlink("/etc/passwd", d + "/plain/pods.json");
  auto plain = plugin(snap_config(d + "/plain"))->scan("k8s.pods");
  ASSERT_FALSE(plain.ok);
  EXPECT_NE(plain.error.find("outside the snapshot"), std::string::npos) << plain.error;
  // Links inside the snapshot are fine.
  fs::create_directories(d + "/inside");
  write_file(d + "/inside/manifest.json", manifest_for("pods.json", 14));
  write_file(d + "/inside/real.json", read_file(data(kPods)));
  fs::create_symlink("real.json", d + "/inside/pods.json");
  auto in = plugin(snap_config(d + "/inside"))->scan("k8s.pods");
  ASSERT_TRUE(in.ok) << in.error;
  EXPECT_EQ(in.rows.size(), 14u);

  for (bool hard : {false, true}) {
    std::string file = d + (hard ? "/hard.tar.gz" : "/sym.tar.gz");
    {
      TarWriter t(file);
      ASSERT_TRUE(t.ok());
      t.add("manifest.json", manifest_for("pods.json", 14));
      t.add_link("pods.json", "/etc/passwd", hard);
    }
    auto a = plugin(snap_config(file))->scan("k8s.pods");
    ASSERT_FALSE(a.ok) << file;
    EXPECT_NE(a.error.find(file + ": refusing archive member pods.json, a " + std::string(hard ? "hard" : "symbolic") +
                           " link to /etc/passwd"),
              std::string::npos)
        << a.error;
  }
}

TEST(SnapshotIntegrity, SpecialFilesAreRefusedNotWaitedOn) {
  std::string d = temp_dir("int-fifo");
  write_file(d + "/manifest.json", manifest_for("pods.json", 14));
  ASSERT_EQ(mkfifo((d + "/pods.json").c_str(), 0600), 0);
  auto t0 = Clock::now();
  auto r = plugin(snap_config(d))->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("refusing " + d + "/pods.json: not a regular file"), std::string::npos) << r.error;
  EXPECT_LT(seconds_since(t0), 2.0);
}

TEST(SnapshotIntegrity, GzipDamageIsAnErrorNamingTheFile) {
  std::string d = temp_dir("int-gzip");
  std::string good = d + "/good.tar.gz";
  {
    TarWriter t(good);
    t.add("manifest.json", manifest_for("pods.json", 14));
    t.add("pods.json", read_file(data(kPods)));
  }
  std::string bytes = read_file(good);
  // One flipped bit in the CRC: every member decodes, only the check fails.
  std::string crc = bytes;
  crc[crc.size() - 6] ^= 0x01;
  write_file(d + "/crc.tar.gz", crc);
  // Cut short inside pods.json.
  write_file(d + "/cut.tar.gz", bytes.substr(0, bytes.size() * 2 / 3));
  auto ok = plugin(snap_config(good))->scan("k8s.pods");
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.rows.size(), 14u);
  auto r = plugin(snap_config(d + "/crc.tar.gz"))->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find(d + "/crc.tar.gz: corrupt gzip data (incorrect data check)"), std::string::npos) << r.error;
  auto cut = plugin(snap_config(d + "/cut.tar.gz"))->scan("k8s.pods");
  ASSERT_FALSE(cut.ok);
  EXPECT_NE(cut.error.find(d + "/cut.tar.gz: the gzip data ends early"), std::string::npos) << cut.error;
}

TEST(SnapshotIntegrity, AFileShorterThanTheManifestSaysIsAnError) {
  std::string d = temp_dir("int-count");
  write_file(d + "/manifest.json", manifest_for("pods.json", 20));
  write_file(d + "/pods.json", read_file(data(kPods)));
  auto r = plugin(snap_config(d))->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find(d + "/pods.json holds 14 objects but the manifest says 20"), std::string::npos) << r.error;
  std::string tar = temp_dir("int-count-tar") + "/s.tar.gz";
  {
    TarWriter t(tar);
    t.add("manifest.json", manifest_for("pods.json", 20));
    t.add("pods.json", read_file(data(kPods)));
  }
  auto a = plugin(snap_config(tar))->scan("k8s.pods");
  ASSERT_FALSE(a.ok);
  EXPECT_NE(a.error.find("holds 14 objects but the manifest says 20"), std::string::npos) << a.error;
}

// `tar czf x.tar.gz dir/` puts the members under a folder: the capture
// time still comes from the manifest, so ages are judged as in the folder.
TEST(SnapshotIntegrity, TarOfAFolderKeepsTheCaptureTime) {
  std::string d = temp_dir("int-tardir");
  std::string example = std::string(KAPI_DATA_DIR) + "/../../../examples/cluster";
  auto t = run_command("cd " + sh_quote(example + "/..") + " && tar czf " + sh_quote(d + "/c.tar.gz") + " cluster/");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto folder = run_command(kinspect_cmd("run --format json --fail-on none --snapshot " + sh_quote(example)));
  auto tarball = run_command(kinspect_cmd("run --format json --fail-on none --snapshot " + sh_quote(d + "/c.tar.gz")));
  ASSERT_EQ(folder.exit_code, 0) << folder.err;
  ASSERT_EQ(tarball.exit_code, 0) << tarball.err;
  auto findings = [](const std::string& report) {
    std::multiset<std::string> s;
    boost::json::value r = boost::json::parse(report);
    if (!r.is_object()) return s;
    for (auto& ch : r.at("checks").as_array()) {
      auto* f = ch.as_object().if_contains("findings");
      s.insert(std::string(ch.at("id").as_string()) + "=" + std::string(ch.at("status").as_string()) + "/" +
               std::to_string(f && f->is_array() ? f->as_array().size() : 0));
    }
    return s;
  };
  EXPECT_FALSE(findings(folder.out).empty()) << folder.out.substr(0, 300);
  EXPECT_EQ(findings(tarball.out), findings(folder.out));
  EXPECT_NE(tarball.out.find("ages judged as of 2026-11-20T08:00:00Z"), std::string::npos);
}

TEST(SnapshotIntegrity, GzipBombAndHugeMembersEndQuickly) {
  std::string d = temp_dir("int-bomb");
  std::string bomb = d + "/bomb.tar.gz";
  {
    TarWriter t(bomb);
    t.add("manifest.json", manifest_for("pods.json", 14));
    t.add_zeros("zz-filler.bin", 160u << 20);  // 160 MiB of zeros: about 160 KiB packed
    t.add("pods.json", read_file(data(kPods)));
  }
  EXPECT_LT(fs::file_size(bomb), 2u << 20);
  auto t0 = Clock::now();
  auto r = plugin(snap_config(bomb))->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find(bomb + ": decompresses to more than 300 times its size (max_compression_ratio)"), std::string::npos)
      << r.error;
  EXPECT_LT(seconds_since(t0), 5.0);
  auto member = plugin(snap_config(bomb, ",\"max_member_bytes\":1048576"))->scan("k8s.pods");
  ASSERT_FALSE(member.ok);
  EXPECT_NE(member.error.find("member zz-filler.bin is larger than 1 MiB (max_member_bytes)"), std::string::npos)
      << member.error;
  auto total = plugin(snap_config(bomb, ",\"max_snapshot_bytes\":1048576,\"max_compression_ratio\":100000"))->scan("k8s.pods");
  ASSERT_FALSE(total.ok);
  EXPECT_NE(total.error.find("more than 1 MiB decompressed (max_snapshot_bytes)"), std::string::npos) << total.error;
}

// ---------------------------------------------------------------- bounded parsing

TEST(BoundedParsing, YamlAliasBombIsRefusedWithFileAndLine) {
  std::string d = temp_dir("bound-yaml");
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    std::string prev(1, char(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" +
            prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n";
  }
  write_file(d + "/doc.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n" + [&] {
    std::string indented;
    size_t pos = 0;
    while (pos < bomb.size()) {
      size_t nl = bomb.find('\n', pos);
      indented += "  " + bomb.substr(pos, nl - pos + 1);
      pos = nl + 1;
    }
    return indented;
  }());
  write_file(d + "/list.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: ok\n"
                               "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: bomb\n  data:\n" + [&] {
    std::string indented;
    size_t pos = 0;
    while (pos < bomb.size()) {
      size_t nl = bomb.find('\n', pos);
      indented += "    " + bomb.substr(pos, nl - pos + 1);
      pos = nl + 1;
    }
    return indented;
  }());
  for (const char* f : {"/doc.yaml", "/list.yaml"}) {
    auto t0 = Clock::now();
    auto r = plugin(snap_config(d + f))->scan("k8s.configmaps");
    ASSERT_FALSE(r.ok) << f;
    EXPECT_LT(seconds_since(t0), 3.0) << f;
    EXPECT_NE(r.error.find(d + f + ":"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("aliases expand it beyond the bound for its size"), std::string::npos) << r.error;
  }
}

TEST(BoundedParsing, WhitespaceFloodsAndHugeObjectsAreRefused) {
  auto sink = [](const kapi::SplitItem&) {};
  {
    kapi::ListSplitter s("flood.json");
    std::string head = R"({"kind":"List","items":[{"a":1},)", spaces(1 << 20, ' ');
    s.feed(head.data(), head.size(), sink);
    std::string error;
    try {
      for (int i = 0; i < 80; ++i) s.feed(spaces.data(), spaces.size(), sink);
    } catch (const std::exception& e) {
      error = e.what();
    }
    EXPECT_NE(error.find("more than 64 MiB of whitespace in a row"), std::string::npos) << error;
    EXPECT_NE(error.find("flood.json"), std::string::npos) << error;
  }
  {
    kapi::ListSplitter s("huge.json");
    std::string head = R"({"kind":"List","items":[{"metadata":{"annotations":{"a":")", mib(1 << 20, 'x');
    s.feed(head.data(), head.size(), sink);
    std::string error;
    try {
      for (int i = 0; i < 80; ++i) s.feed(mib.data(), mib.size(), sink);
    } catch (const std::exception& e) {
      error = e.what();
    }
    EXPECT_NE(error.find("an object larger than 64 MiB"), std::string::npos) << error;
    EXPECT_LE(s.held(), 80u << 20);
  }
}

// End to end: a query that reads only names gets its answer from a snapshot
// holding an 80 MiB annotation; one that reads the annotation is refused.
TEST(Limits, AnAnnotationNobodyReadsIsSkippedEndToEnd) {
  std::string d = temp_dir("skip-e2e");
  {
    std::ofstream f(d + "/pods.json", std::ios::binary);
    f << R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1",)"
      << R"("namespace":"ns","annotations":{"dump":")";
    std::string mib(1 << 20, 'z');
    for (int i = 0; i < 80; ++i) f << mib;
    f << R"("}},"spec":{"nodeName":"w1"}}]})";
  }
  auto names = run_command(kinspect_cmd("query 'SELECT metadata.name AS n, spec.nodeName AS node FROM k8s.pods' "
                                        "--format json --snapshot " + sh_quote(d)));
  EXPECT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(boost::json::parse(names.out), boost::json::parse(R"([{"n":"p1","node":"w1"}])")) << names.out;
  auto dump = run_command(kinspect_cmd("query 'SELECT metadata.annotations AS a FROM k8s.pods' --snapshot " + sh_quote(d)));
  EXPECT_EQ(dump.exit_code, 3);
  EXPECT_NE(dump.err.find("an object larger than 64 MiB"), std::string::npos) << dump.err;
}

// ---------------------------------------------------------------- terminals, processes, special files

TEST(Terminal, ClusterTextLosesItsControlCharacters) {
  std::string d = temp_dir("term-ctl");
  std::string evil = "disk pressure \x1b]0;pwned\x07 \x1b[2J\rfake line \xc2\x9b""31m";
  boost::json::object node{
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", "worker-1"}}},
      {"status",
       {{"conditions", boost::json::array{{{"type", "Ready"}, {"status", "False"}, {"reason", "KubeletNotReady"},
                                           {"message", evil}, {"lastTransitionTime", "2020-01-01T00:00:00Z"}}}}}}};
  write_file(d + "/nodes.json", R"({"apiVersion":"v1","kind":"List","items":[)" + boost::json::serialize(node) + "]}");
  auto run = run_command(kinspect_cmd("run --snapshot " + sh_quote(d) + " --check node-not-ready --fail-on none"));
  auto query = run_command(kinspect_cmd("query \"SELECT condition(n, 'Ready').message AS m FROM k8s.nodes n\" --snapshot " +
                                        sh_quote(d)));
  for (const auto* r : {&run, &query}) {
    EXPECT_EQ(r->exit_code, 0) << r->err;
    EXPECT_NE(r->out.find("\\x1b]0;pwned\\x07 \\x1b[2J\\x0dfake line \\x9b31m"), std::string::npos) << r->out;
    for (char c : r->out) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c);
  }
  // JSON keeps the text as it was (escaped by JSON itself).
  auto json = run_command(kinspect_cmd("run --snapshot " + sh_quote(d) + " --check node-not-ready --fail-on none --format json"));
  EXPECT_NE(json.out.find("\\u001b]0;pwned"), std::string::npos) << json.out.substr(0, 400);
}

TEST(SpecialFiles, FifoAndDeviceInputsAreRefusedNotWaitedOn) {
  std::string d = temp_dir("special");
  ASSERT_EQ(mkfifo((d + "/fifo").c_str(), 0600), 0);
  auto t0 = Clock::now();
  auto kc = run_command(kinspect_cmd("query 'SELECT * FROM k8s.nodes' --kubeconfig " + sh_quote(d + "/fifo")));
  EXPECT_EQ(kc.exit_code, 3) << kc.err;
  EXPECT_NE(kc.err.find("kubeconfig: " + d + "/fifo is not a regular file"), std::string::npos) << kc.err;
  auto zero = run_command(kinspect_cmd("query 'SELECT * FROM k8s.nodes' --kubeconfig /dev/zero"));
  EXPECT_NE(zero.err.find("/dev/zero is not a regular file"), std::string::npos) << zero.err;
  std::string example = std::string(KAPI_DATA_DIR) + "/../../../examples/cluster";
  for (std::string baseline : {std::string("/dev/zero"), d + "/fifo"}) {
    auto b = run_command(kinspect_cmd("run --snapshot " + sh_quote(example) + " --baseline " + sh_quote(baseline)));
    EXPECT_EQ(b.exit_code, 2) << b.err;
    EXPECT_NE(b.err.find("--baseline " + baseline + ": is not a regular file"), std::string::npos) << b.err;
  }
  EXPECT_LT(seconds_since(t0), 20.0);
}

// The kubeconfig is read once per run, however many plugin workers the run
// starts: the first worker resolves it and the others adopt the connection
// (ABI 1.2 share/adopt). A 16 MiB kubeconfig takes seconds to parse.
TEST(SpecialFiles, TheKubeconfigIsReadOncePerRun) {
  if (std::thread::hardware_concurrency() < 2)
    GTEST_SKIP() << "one core: a plugin gets one worker, so there is no second one to hand the kubeconfig to";
  Cluster c("kc-once");
  auto r = run_command(kinspect_cmd("-vv run --format json --fail-on none -j 4 --kubeconfig " +
                                    sh_quote(c.token_kubeconfig())));
  ASSERT_NE(r.out.find("\"checks\""), std::string::npos) << r.err;
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = r.err.find(what); at != std::string::npos; at = r.err.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("reading kubeconfig"), 1u) << r.err;
  EXPECT_GE(count("started from the connection another worker resolved"), 1u)
      << "the run started one kube-apiserver worker only:\n" << r.err;
}

// An exec credential plugin runs once per run too: the first worker runs it
// and shares its answer, so a slow cloud login (or a hung one, up to its
// timeout) is paid once, not once per worker. A failure is shared the same way.
TEST(ExecPlugin, ItRunsOncePerRunHoweverManyWorkers) {
  if (std::thread::hardware_concurrency() < 2)
    GTEST_SKIP() << "one core: a plugin gets one worker, so there is no second one to hand the credential to";
  Cluster c("exec-once");
  std::string runs = c.dir + "/runs";
  auto kubeconfig_running = [&](const std::string& name, const std::string& script) {
    write_script(c.dir + "/" + name + ".sh", "echo run >> " + runs + "\n" + script);
    return write_kubeconfig(c.dir + "/kc-" + name, c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + c.dir +
                                "/" + name + ".sh\n");
  };
  std::string good = kubeconfig_running(
      "good", "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"good-token\"}}'\n");
  auto r = run_command(kinspect_cmd("-vv run --format json --fail-on none -j 4 --kubeconfig " + sh_quote(good)));
  ASSERT_NE(r.out.find("\"checks\""), std::string::npos) << r.err;
  EXPECT_EQ(read_file(runs), "run\n") << "the exec plugin ran more than once:\n" << r.err;
  EXPECT_NE(r.err.find("started from the exec credential another worker obtained"), std::string::npos)
      << "no second worker adopted the credential:\n" << r.err;
  EXPECT_EQ(r.out.find("\"status\": \"error\""), std::string::npos) << "adopted tokens must authenticate:\n" << r.out;

  std::remove(runs.c_str());
  std::string failing = kubeconfig_running("fail", "exit 4\n");
  auto f = run_command(kinspect_cmd("run --format json --fail-on none -j 4 --kubeconfig " + sh_quote(failing)));
  EXPECT_EQ(f.exit_code, 3) << f.err;
  EXPECT_EQ(read_file(runs), "run\n") << "a failing exec plugin is reported from its one run";
  EXPECT_NE((f.out + f.err).find("exit status 4"), std::string::npos) << f.err;
}

TEST(OutputBudget, AJoinOfWholeObjectsStopsAtTheByteBound) {
  std::string example = std::string(KAPI_DATA_DIR) + "/../../../examples/cluster";
  auto t0 = Clock::now();
  auto r = run_command(kinspect_cmd("query 'SELECT * FROM k8s.pods a, k8s.pods b, k8s.pods c' --format json --snapshot " +
                                    sh_quote(example)));
  double took = seconds_since(t0);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("query exceeded its output budget of 64 MiB of results"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_LT(took, 30.0);
  std::printf("[ note     ] pods x pods x pods SELECT * stopped after %.1fs\n", took);
  auto small = run_command(kinspect_cmd("query 'SELECT * FROM k8s.pods' --max-output 0.01 --snapshot " + sh_quote(example)));
  EXPECT_NE(small.err.find("output budget of 10485 bytes of results"), std::string::npos) << small.err;
}

// A check bounds what it produces too: past --max-check-output it is an error
// naming the bound, never a run that fills memory with findings.
TEST(OutputBudget, ACheckStopsAtItsByteBound) {
  std::string example = std::string(KAPI_DATA_DIR) + "/../../../examples/cluster";
  auto r = run_command(kinspect_cmd("run --format json --fail-on none --check run-as-non-root-not-enforced "
                                    "--max-check-output 0.001 --snapshot " + sh_quote(example)));
  EXPECT_NE(r.exit_code, 0) << r.err;
  boost::json::value rep = boost::json::parse(r.out);
  const auto& ch = rep.at("checks").as_array().at(0);
  EXPECT_EQ(ch.at("status").as_string(), "error");
  EXPECT_NE(std::string(ch.at("reason").as_string()).find("exceeded its output budget of 1048 bytes of results after"),
            std::string::npos) << ch.at("reason");
  EXPECT_TRUE(ch.at("findings").as_array().empty());
  auto whole = run_command(kinspect_cmd("run --format json --fail-on none --check run-as-non-root-not-enforced "
                                        "--snapshot " + sh_quote(example)));
  EXPECT_EQ(boost::json::parse(whole.out).at("checks").as_array().at(0).at("status").as_string(), "fail");
}

// --timeout bounds reading as well as evaluating: a body dripped slower than
// the request timeout allows still ends at the command's own bound.
TEST(Timeouts, QueryTimeoutCoversReadingItsTables) {
  Cluster c("timeout-query");
  c.server->drip(1, 100);
  std::string kc = c.token_kubeconfig();
  auto t0 = Clock::now();
  auto r = run_command(kinspect_cmd("query 'SELECT metadata.name FROM k8s.pods' --timeout 2 --request-timeout 120 "
                                    "--kubeconfig " + sh_quote(kc)));
  double took = seconds_since(t0);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("did not finish within --timeout 2s (it was reading table k8s.pods)"), std::string::npos)
      << r.err;
  EXPECT_LT(took, 6.0);
  EXPECT_GE(took, 1.5);
  EXPECT_EQ(run_command(kinspect_cmd("query 'SELECT 1' --timeout 0")).exit_code, 2);
}

TEST(Timeouts, RunTimeoutLeavesWhatIsUndoneNotChecked) {
  Cluster c("timeout-run");
  c.server->drip(1, 100);
  std::string kc = c.token_kubeconfig();
  auto t0 = Clock::now();
  auto r = run_command(kinspect_cmd("run --format json --fail-on none --timeout 3 --request-timeout 120 "
                                    "--kubeconfig " + sh_quote(kc)));
  double took = seconds_since(t0);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_LT(took, 8.0) << "a dripping server must not hold the run past --timeout";
  boost::json::value rep = boost::json::parse(r.out);
  size_t timed_out = 0, passed = 0;
  for (const auto& ch : rep.at("checks").as_array()) {
    timed_out += ch.at("cause").as_string() == "run timeout";
    passed += ch.at("status").as_string() == "pass";
  }
  EXPECT_GT(timed_out, 50u) << "the checks the run had no time for say so";
  EXPECT_EQ(passed, 0u) << "nothing was read, so nothing can have passed";
  EXPECT_NE(r.err.find("run timeout"), std::string::npos) << r.err;
  std::printf("[ note     ] run --timeout 3 against a dripping server ended after %.1fs\n", took);
}

// A whole run against a server that fails every request: however many tables
// and plugin workers, the server sees a bounded number of requests and the
// run reports the failure once.
TEST(FailingServer, AWholeRunSharesOneRetryBudget) {
  for (int status : {500, 503, 0}) {
    Cluster c("fail-run-" + std::to_string(status));
    if (status) {
      c.server->fail_every_request(status);
    } else {
      // /version answers; every LIST fails (status 0 here: 500 on LISTs only).
      c.server->hook([](const kapitest::Request& r, kapitest::Response& out) {
        if (r.path == "/version" || r.params.count("limit") == 0) return false;
        out.status = 500;
        out.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd is down","code":500})";
        return true;
      });
    }
    std::string kc = c.token_kubeconfig();
    auto t0 = Clock::now();
    // Short backoff to keep the test quick; the default (0.5 s, doubling)
    // makes the same 6 or 7 requests over about 16 s.
    auto r = run_command(kinspect_cmd("run --format json --fail-on none -j 4 --set kube-apiserver.backoff_base_seconds=0.05 "
                                      "--kubeconfig " + sh_quote(kc)));
    double took = seconds_since(t0);
    EXPECT_EQ(r.exit_code, 3) << r.err;
    size_t requests = c.server->log().size();
    std::printf("[ note     ] status %d on every request: a full run sent %zu requests in %.1fs\n", status, requests,
                took);
    // /version (and, when it answers, the nodes LIST) with its retries, then
    // nothing: 1 + max_retries requests.
    EXPECT_LE(requests, 8u) << "one budget for the whole run, not one per table or per worker";
    EXPECT_LT(took, 6.0);
    EXPECT_NE(r.out.find("not sent: the source failed when the run began"), std::string::npos);
  }
}

// A plugin worker in the middle of a long read ends as soon as the run is killed.
TEST(Processes, PluginWorkersDieWithTheRun) {
  Cluster c("proc-worker");
  c.server->drip(1, 100);
  std::string kc = c.token_kubeconfig();
  std::string cmd = kinspect_cmd("query 'SELECT * FROM k8s.pods' --request-timeout 120 --kubeconfig " + sh_quote(kc));
  pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait for the worker: a child of the run, reading the dripping body.
  pid_t worker = -1;
  for (int i = 0; i < 200 && worker < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (auto& e : fs::directory_iterator("/proc")) {
      std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string stat = proc_file(e.path().string() + "/stat");
      size_t close = stat.rfind(')');
      if (close == std::string::npos || std::stoi(stat.substr(stat.find(' ', close + 2) + 1)) != parent) continue;
      if (proc_file(e.path().string() + "/cmdline").find("__plugin-worker") != std::string::npos) worker = std::stoi(name);
    }
  }
  ASSERT_GT(worker, 0) << "no plugin worker appeared";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // well into the read
  ::kill(parent, SIGKILL);
  ::waitpid(parent, nullptr, 0);
  auto t0 = Clock::now();
  bool gone = false;
  while (!gone && seconds_since(t0) < 5) {
    std::string stat = proc_file("/proc/" + std::to_string(worker) + "/stat");
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "worker " << worker << " outlived the killed run";
  if (!gone) ::kill(worker, SIGKILL);
  std::printf("[ note     ] the worker ended %.2fs after the run was killed\n", seconds_since(t0));
}

// Errors name the user's file, not our dependencies' source files.
TEST(Errors, NoLibrarySourceLocations) {
  std::string d = temp_dir("err-boost");
  write_file(d + "/manifest.json", R"({"format":"kinspect-snapshot/v1","resources":[tru)");
  kitest::PluginInstance p(library(), snap_config(d));
  ASSERT_FALSE(p.created());
  EXPECT_NE(p.create_error().find(d + "/manifest.json: invalid JSON"), std::string::npos) << p.create_error();
  EXPECT_EQ(p.create_error().find("[boost."), std::string::npos) << p.create_error();
  EXPECT_EQ(p.create_error().find(".hpp"), std::string::npos) << p.create_error();
}

// Found by yaml_fuzz: bytes that are not UTF-8 in a YAML file gave JSON the
// host's parser refuses; they become U+FFFD.
TEST(BoundedParsing, YamlWithInvalidUtf8GivesValidJson) {
  std::string text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r\xf5les\ndata:\n  \xc0\xaf: \"ok \xed\xa0\x80\"\n";
  size_t pos = 0;
  kapi::YamlReader reader(
      [&](char* buf, size_t n) {
        size_t k = std::min(n, text.size() - pos);
        std::memcpy(buf, text.data() + pos, k);
        pos += k;
        return k;
      },
      "bad.yaml");
  std::string json;
  ASSERT_TRUE(reader.next(json));
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  ASSERT_FALSE(ec) << json;
  EXPECT_EQ(v.at("metadata").at("name"), "r\xef\xbf\xbdles");
  // Also found by yaml_fuzz: plain numbers with leading zeros (JSON has none).
  text = "kind: Node\nstatus:\n  port: 02696\n  ratio: -00.5\n  zero: 00\n";
  pos = 0;
  kapi::YamlReader numbers(
      [&](char* buf, size_t n) {
        size_t k = std::min(n, text.size() - pos);
        std::memcpy(buf, text.data() + pos, k);
        pos += k;
        return k;
      },
      "numbers.yaml");
  ASSERT_TRUE(numbers.next(json));
  auto nv = boost::json::parse(json, ec);
  ASSERT_FALSE(ec) << json;
  EXPECT_EQ(boost::json::serialize(nv.at("status")), R"({"port":2696,"ratio":-5E-1,"zero":0})") << json;
}

// Found by yaml_fuzz: an alias inside its own anchor recursed until the
// stack overflowed; it is refused with its file and line.
TEST(BoundedParsing, YamlAliasInsideItsOwnAnchorIsRefused) {
  std::string d = temp_dir("bound-self-alias");
  write_file(d + "/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: &a [1, *a]\n");
  auto r = plugin(snap_config(d + "/cm.yaml"))->scan("k8s.configmaps");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find(d + "/cm.yaml:"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("nested deeper than 200 levels (an alias that contains itself?)"), std::string::npos) << r.error;
}
