// watch_bench: `kinspect serve` over WATCH-fed tables at scale. Serves a
// generated snapshot (bench/gen, e.g. 150,000 pods) from the TLS test API
// server, lets the daemon make its first run (the LISTs), then measures the
// scheduled runs that follow: their duration (kinspect_run_duration_seconds),
// the LISTs they send (the server's request log), and how long a pod made
// privileged takes to show in the findings.
//
//   build/tests/apiserver/watch_bench SNAPSHOT_DIR [RUNS]
#include "catalog.h"
#include "test_server.h"
#include "tests/daemon/serve_process.h"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace kapitest;
using namespace kinspect::testing;
namespace json = boost::json;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

double metric(const std::string& page, const std::string& key) {
  size_t at = page.find(key + " ");
  return at == std::string::npos ? -1 : std::atof(page.c_str() + at + key.size() + 1);
}

size_t total_lists(const Server& s) {
  size_t n = 0;
  for (const auto& l : s.log())
    if (l.rfind("GET /api", 0) == 0 && l.find("?limit=") != std::string::npos) ++n;
  return n;
}

bool has_finding(int port, const std::string& object) {
  json::error_code ec;
  json::value v = json::parse(http(port, "GET", "/api/v1/reports/latest?cluster=big").body, ec);
  if (ec || !v.is_object()) return false;
  for (const auto& check : v.at("checks").as_array())
    if (check.at("id").as_string() == "privileged-container")
      for (const auto& f : check.at("findings").as_array())
        if (f.at("object").as_string() == object) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: watch_bench SNAPSHOT_DIR [RUNS]\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows as it happens
  const std::string snap = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::string dir = temp_dir("watch-bench");
  Certs certs = make_certs(dir);
  Server server(certs);
  auto t0 = Steady::now();
  json::value m = json::parse(read_file(snap + "/manifest.json"));
  for (const auto& r : m.at("resources").as_array()) {
    const kapi::Resource* res = kapi::find_by_table(std::string(r.at("table").as_string()));
    if (!res) continue;
    server.add_collection_file(res->list_path(), snap + "/" + std::string(r.at("file").as_string()));
  }
  server.set_version_json(json::serialize(m.at("cluster").at("version")));
  std::printf("server loaded in %.1f s\n", std::chrono::duration<double>(Steady::now() - t0).count());
  const std::string kc = write_kubeconfig(dir + "/kubeconfig", server.url(),
                                          "    certificate-authority-data: " + base64(certs.ca_pem) + "\n",
                                          "    client-certificate-data: " + base64(certs.client_cert_pem) +
                                              "\n    client-key-data: " + base64(certs.client_key_pem) + "\n");
  std::ofstream(dir + "/serve.yaml") << "interval: 1s\nclusters:\n  - name: big\n    kubeconfig: " << kc
                                     << "\n    context: test\n    settings:\n      kube-apiserver: {timeout_seconds: 600}\n";
  ServeProcess serve({"--config", dir + "/serve.yaml", "--plugin-dir", KAPI_PLUGIN_DIR}, dir + "/serve.log");
  if (serve.port() <= 0) {
    std::fprintf(stderr, "serve did not start:\n%s\n", serve.log().c_str());
    return 1;
  }
  const int port = serve.port();
  const std::string ok_key = "kinspect_runs_total{cluster=\"big\",profile=\"\",result=\"ok\"}";
  auto done = [&] { return metric(http(port, "GET", "/metrics").body, ok_key); };
  t0 = Steady::now();
  if (!eventually([&] { return done() >= 1; }, std::chrono::minutes(15))) {
    std::fprintf(stderr, "no first run:\n%s\n", serve.log().c_str());
    return 1;
  }
  std::printf("first run (LISTs) done after %.1f s; %zu LISTs\n",
              std::chrono::duration<double>(Steady::now() - t0).count(), total_lists(server));
  const size_t lists_before = total_lists(server);
  double worst = 0, sum = 0;
  for (int i = 0; i < runs; ++i) {
    const double n = done();
    eventually([&] { return done() >= n + 1; }, std::chrono::minutes(5));
    const std::string page = http(port, "GET", "/metrics").body;
    const double d = metric(page, "kinspect_run_duration_seconds{cluster=\"big\",profile=\"\"}");
    std::printf("scheduled run %d: %.3f s\n", i + 1, d);
    worst = std::max(worst, d);
    sum += d;
  }
  std::printf("scheduled runs: %d, mean %.3f s, worst %.3f s, LISTs sent %zu\n", runs, sum / runs, worst,
              total_lists(server) - lists_before);
  server.put_object("/api/v1/pods", R"({"metadata":{"name":"bench-priv","namespace":"default","uid":"uid-bench-priv"},)"
                                    R"("spec":{"containers":[{"name":"shell","image":"busybox:1.36","securityContext":{"privileged":true}}]}})");
  t0 = Steady::now();
  const bool seen = eventually([&] { return has_finding(port, "pod/bench-priv/shell@default"); }, std::chrono::minutes(2));
  std::printf("pod made privileged: %s in the findings after %.1f s; LISTs since the first run %zu\n",
              seen ? "shown" : "NOT shown", std::chrono::duration<double>(Steady::now() - t0).count(),
              total_lists(server) - lists_before);
  return seen ? 0 : 1;
}
