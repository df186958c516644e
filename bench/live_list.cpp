// live_list: a LIST of every pod of a generated snapshot (bench/gen, e.g.
// 150,000 pods) from the TLS test API server, in pages of 500 with continue
// tokens, against reading the same pods from the snapshot's files. Both
// sides run the same pods-only query with `kinspect query`, so both parse
// with the query's projection; runs alternate (snapshot, live) and the
// medians of wall and CPU time (kinspect and its plugin workers) are
// compared. Issue 21 asks for live within 1.5x of the snapshot.
//
//   build/tests/apiserver/live_list SNAPSHOT_DIR [RUNS] [QPS]
//
// QPS (default 1000) is kinspect's client-side rate limit (--qps/--burst):
// 150,000 pods are 300 pages, which the default 20 per second alone would
// stretch to 15 s, measuring the limiter rather than the LIST.
//
// With LIVE_LIST_HOLD=1 set, it loads the server, prints the live side's
// command line and serves until a line is read from stdin: to profile one
// side alone (perf record -a -- COMMAND).
#include "test_server.h"

#include <boost/json.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace kapitest;
namespace json = boost::json;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

// The pod-crashloop check's question, pods only.
constexpr const char* kQuery =
    "SELECT p.metadata.namespace AS ns, p.metadata.name AS pod, cs.name AS container, cs.restartCount AS restarts "
    "FROM k8s.pods p, UNNEST(p.status.containerStatuses) cs WHERE cs.state.waiting.reason = 'CrashLoopBackOff'";

struct Sample {
  double wall = 0, cpu = 0;  // seconds; cpu: user + system of kinspect and its workers
  int status = -1;
  std::string out;
};

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

// Runs argv with stdout to `out_file`; wait4 gives the CPU of the process
// and of the children it reaped (kinspect's plugin workers). posix_spawn,
// not fork: a forked child of this server would copy, then tear down on
// exec, the page tables of its gigabytes, and be charged for it (about 1 s
// of the child's CPU at 150,000 pods). Not its peak RSS either.
Sample run(const std::vector<std::string>& argv, const std::string& out_file) {
  Sample s;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto t0 = Steady::now();
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(rc));
    return s;
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  s.wall = std::chrono::duration<double>(Steady::now() - t0).count();
  s.cpu = seconds(ru.ru_utime) + seconds(ru.ru_stime);
  s.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  s.out = read_file(out_file);
  return s;
}

// Reads `file` through, so that the snapshot side reads it from the page
// cache, as a run right after `kinspect snapshot` would: a kernel that
// pages out file pages left unread for a minute (DAMON's pageout scheme on
// the machine this was measured on) made that side read from disk, at a
// different cost from run to run.
void warm(const std::string& file) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::vector<char> buf(1 << 20);
  while (read(fd, buf.data(), buf.size()) > 0) {
  }
  close(fd);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

size_t rows(const std::string& out) {
  json::error_code ec;
  json::value v = json::parse(out, ec);
  if (ec) return static_cast<size_t>(-1);
  const json::array* a = v.is_array() ? &v.as_array() : v.is_object() && v.as_object().contains("rows") ? &v.at("rows").as_array() : nullptr;
  return a ? a->size() : static_cast<size_t>(-1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: live_list SNAPSHOT_DIR [RUNS] [QPS]\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string snap = fs::absolute(argv[1]).string();
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  const std::string qps = argc > 3 ? argv[3] : "1000";
  const std::string pods_file = snap + "/pods.json";
  const double mb = static_cast<double>(fs::file_size(pods_file)) / 1e6;
  const std::string dir = temp_dir("live-list");
  Certs certs = make_certs(dir);
  Server server(certs);
  auto t0 = Steady::now();
  server.add_collection_file("/api/v1/pods", pods_file);
  json::value m = json::parse(read_file(snap + "/manifest.json"));
  server.set_version_json(json::serialize(m.at("cluster").at("version")));
  std::printf("server loaded %s (%.0f MB) in %.1f s\n", pods_file.c_str(), mb,
              std::chrono::duration<double>(Steady::now() - t0).count());
  const std::string kc = write_kubeconfig(dir + "/kubeconfig", server.url(),
                                          "    certificate-authority-data: " + base64(certs.ca_pem) + "\n",
                                          "    client-certificate-data: " + base64(certs.client_cert_pem) +
                                              "\n    client-key-data: " + base64(certs.client_key_pem) + "\n");
  const std::vector<std::string> common = {KINSPECT_BIN, "query", kQuery, "--plugin-dir", KAPI_PLUGIN_DIR, "--format", "json"};
  std::vector<std::string> snap_cmd = common, live_cmd = common;
  snap_cmd.insert(snap_cmd.end(), {"--snapshot", snap});
  live_cmd.insert(live_cmd.end(), {"--kubeconfig", kc, "--context", "test", "--qps", qps, "--burst", qps, "--request-timeout", "600"});

  if (std::getenv("LIVE_LIST_HOLD")) {
    std::string line;
    // Quoted for a POSIX shell: the query holds quotes of its own.
    for (const auto& a : live_cmd) {
      line += '\'';
      for (char c : a) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
      line += "' ";
    }
    std::printf("serving until a line is read from stdin; the live side:\n%s\n", line.c_str());
    std::getchar();
    return 0;
  }
  std::vector<double> sw, sc, lw, lc;
  double server_cpu = 0;  // this process: the test server's TLS and paging, per live run
  size_t snap_rows = 0, live_rows = 0;
  size_t pages = 0;
  for (int i = 0; i < runs; ++i) {
    warm(pods_file);
    Sample s = run(snap_cmd, dir + "/snap.json");
    const size_t before = server.log().size();
    rusage r0{}, r1{};
    getrusage(RUSAGE_SELF, &r0);
    Sample l = run(live_cmd, dir + "/live.json");
    getrusage(RUSAGE_SELF, &r1);
    server_cpu += (seconds(r1.ru_utime) + seconds(r1.ru_stime) - seconds(r0.ru_utime) - seconds(r0.ru_stime)) / runs;
    if (s.status != 0 || l.status != 0) {
      std::fprintf(stderr, "kinspect query failed: snapshot exit %d, live exit %d\n%s\n", s.status, l.status, l.out.c_str());
      return 1;
    }
    auto log = server.log();
    pages = 0;
    for (size_t k = before; k < log.size(); ++k)
      if (log[k].rfind("GET /api/v1/pods?", 0) == 0 && log[k].find("limit=500") != std::string::npos) ++pages;
    std::printf("run %d: snapshot %.2f s wall %.2f s CPU; live %.2f s wall %.2f s CPU (%zu pages of 500)\n", i + 1, s.wall, s.cpu,
                l.wall, l.cpu, pages);
    sw.push_back(s.wall), sc.push_back(s.cpu), lw.push_back(l.wall), lc.push_back(l.cpu);
    snap_rows = rows(s.out), live_rows = rows(l.out);
  }
  const double w = median(lw) / median(sw), c = median(lc) / median(sc);
  std::printf("\n%8s %8s | %-24s | %-24s | %9s %9s | %s\n", "pods MB", "pages", "snapshot wall / CPU", "live LIST wall / CPU",
              "wall x", "CPU x", "test server CPU (mean)");
  std::printf("%8.0f %8zu | %8.2f s / %8.2f s | %8.2f s / %8.2f s | %9.2f %9.2f | %.2f s\n", mb, pages, median(sw), median(sc),
              median(lw), median(lc), w, c, server_cpu);
  std::printf("target: live within 1.5x of the snapshot: wall %s, CPU %s; rows: snapshot %zu, live %zu%s\n", w <= 1.5 ? "met" : "NOT met",
              c <= 1.5 ? "met" : "NOT met", snap_rows, live_rows, snap_rows == live_rows ? "" : " (DIFFER)");
  return snap_rows == live_rows ? 0 : 1;
}
