// `kinspect serve` end to end (issue 17): the real binary on loopback,
// inspecting the example cluster snapshot on a schedule, its API, limits and
// authentication, a check file added and a broken one while it runs, and
// SIGTERM with the history kept for the next start.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

#include "tests/common/run_command.h"
#include "tests/daemon/serve_process.h"

using namespace kinspect::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kToken = "daemon-test-token-0123456789";

struct ServeFolder {
  fs::path dir;
  ServeFolder(const std::string& name) {
    dir = fs::temp_directory_path() / ("kinspect-serve-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "state");
    // A copy of the catalog, so a test can add and break check files.
    fs::copy(std::string(KINSPECT_SOURCE_DIR) + "/checks", dir / "checks", fs::copy_options::recursive);
    std::ofstream(dir / "token") << kToken << "\n";
    std::ofstream(dir / "serve.yaml") << "interval: 1s\n"
                                         "queue: 2\n"
                                         "limits:\n  request_timeout: 2s\n  max_body_bytes: 4096\n"
                                         "clusters:\n  - name: example\n    snapshot: " KINSPECT_SOURCE_DIR "/examples/cluster\n";
  }
  ~ServeFolder() { fs::remove_all(dir); }
  std::vector<std::string> args() const {
    return {"--config", (dir / "serve.yaml").string(), "--no-bundled-checks", "--checks", (dir / "checks").string(), "--profiles",
            std::string(KINSPECT_SOURCE_DIR) + "/profiles", "--plugin-dir", KINSPECT_PLUGIN_DIR, "--state-dir",
            (dir / "state").string(), "--token-file", (dir / "token").string()};
  }
};

json::value parse(const std::string& body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value(nullptr) : v;
}

bool report_has_check(int port, const std::string& id) {
  auto r = http(port, "GET", "/api/v1/reports/latest?cluster=example");
  if (r.status != 200) return false;
  json::value v = parse(r.body);
  if (!v.is_object() || !v.as_object().contains("checks")) return false;
  for (const auto& c : v.at("checks").as_array())
    if (c.at("id").as_string() == id) return true;
  return false;
}

std::string auth() { return "Authorization: Bearer " + kToken + "\r\n"; }

}  // namespace

TEST(Serve, InspectsOnAScheduleAndServesReportsAndMetrics) {
  ServeFolder s("schedule");
  ServeProcess serve(s.args(), (s.dir / "log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  EXPECT_EQ(http(port, "GET", "/healthz").body, "ok\n");
  ASSERT_TRUE(eventually([&] { return http(port, "GET", "/api/v1/reports/latest?cluster=example").status == 200; },
                         std::chrono::seconds(60))) << serve.log();
  // Two scheduled runs at least, a second apart.
  ASSERT_TRUE(eventually([&] { return parse(http(port, "GET", "/api/v1/reports?cluster=example").body).as_array().size() >= 2; },
                         std::chrono::seconds(60))) << serve.log();
  auto ready = http(port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  json::value rz = parse(ready.body);
  EXPECT_GT(rz.at("checks").as_int64(), 100);
  EXPECT_EQ(rz.at("last_reload_error").as_string(), "");
  EXPECT_TRUE(rz.at("clusters").as_array()[0].at("reachable").as_bool());

  auto clusters = parse(http(port, "GET", "/api/v1/clusters").body);
  EXPECT_EQ(clusters.as_array()[0].at("name").as_string(), "example");
  auto list = parse(http(port, "GET", "/api/v1/reports?cluster=example").body).as_array();
  const std::string id(list[0].at("id").as_string());
  auto one = http(port, "GET", "/api/v1/reports/" + id);
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(parse(one.body).at("cluster").at("name").as_string(), "example");
  auto html = http(port, "GET", "/api/v1/reports/" + id + "?format=html");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("<html"), std::string::npos);
  EXPECT_NE(html.headers.find("text/html"), std::string::npos);

  auto metrics = http(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("kinspect_check_status{cluster=\"example\",check=\"node-not-ready\""), std::string::npos);
  EXPECT_NE(metrics.body.find("kinspect_runs_total{cluster=\"example\",profile=\"\",result=\"ok\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("kinspect_findings{cluster=\"example\""), std::string::npos);
  EXPECT_NE(metrics.body.find("kinspect_reloads_total{result=\"ok\"} 1"), std::string::npos);
  // Two runs or more, each started with none in flight: the key dictionary
  // began a new generation at least once, so it does not grow run after run.
  size_t at = metrics.body.find("\nkinspect_key_dictionary_generation ");
  ASSERT_NE(at, std::string::npos) << metrics.body;
  EXPECT_GE(std::stod(metrics.body.substr(at + 36)), 2.0) << metrics.body.substr(at, 60);
}

TEST(Serve, MetricsPassPromtool) {
  if (run_command("command -v promtool").exit_code != 0)
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus; scripts/setup installs it)";
  ServeFolder s("promtool");
  ServeProcess serve(s.args(), (s.dir / "log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  ASSERT_TRUE(eventually([&] { return http(port, "GET", "/api/v1/reports/latest?cluster=example").status == 200; },
                         std::chrono::seconds(60))) << serve.log();
  auto metrics = http(port, "GET", "/metrics");
  ASSERT_NE(metrics.body.find("kinspect_findings{"), std::string::npos);
  std::ofstream(s.dir / "metrics.txt") << metrics.body;
  auto check = run_command("promtool check metrics < " + sh_quote((s.dir / "metrics.txt").string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(Serve, PicksUpANewCheckFileAndKeepsTheOldCatalogWhenOneBreaks) {
  ServeFolder s("reload");
  ServeProcess serve(s.args(), (s.dir / "log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  ASSERT_TRUE(eventually([&] { return report_has_check(port, "node-not-ready"); }, std::chrono::seconds(60))) << serve.log();
  std::ofstream(s.dir / "checks" / "daemon-added.kcql")
      << "CHECK daemon-added-node-seen\n  TITLE \"A node exists\"\n  CATEGORY nodes\n  SEVERITY info\n"
         "  FROM k8s.nodes n\n  OBJECT \"node/{n.metadata.name}\"\n  MESSAGE \"node {n.metadata.name} seen\"\n";
  const auto added = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return report_has_check(port, "daemon-added-node-seen"); }, std::chrono::seconds(20)))
      << serve.log();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - added).count();
  std::cout << "[  FIGURE  ] a new check file served in a report after " << seconds << " s\n";
  EXPECT_LT(seconds, 10);

  // A broken check file: the reload keeps the previous catalog, and says why.
  std::ofstream(s.dir / "checks" / "daemon-broken.kcql") << "CHECK daemon-broken\n  TITLE \"x\"\n  FROM k8s.nodes WHERE (\n";
  ASSERT_TRUE(eventually([&] {
    return parse(http(port, "GET", "/readyz").body).at("last_reload_error").as_string().find("daemon-broken.kcql") !=
           json::string::npos;
  }, std::chrono::seconds(20))) << serve.log();
  EXPECT_NE(http(port, "GET", "/metrics").body.find("kinspect_reload_error 1"), std::string::npos);
  EXPECT_NE(serve.log().find("daemon-broken.kcql"), std::string::npos);
  const size_t before = parse(http(port, "GET", "/api/v1/reports?cluster=example").body).as_array().size();
  ASSERT_TRUE(eventually([&] {
    return parse(http(port, "GET", "/api/v1/reports?cluster=example").body).as_array().size() > before;
  }, std::chrono::seconds(20)));
  EXPECT_TRUE(report_has_check(port, "daemon-added-node-seen")) << "the previous catalog stopped serving";
}

TEST(Serve, ApiRefusesBadRequestsWithJsonReasons) {
  ServeFolder s("api");
  ServeProcess serve(s.args(), (s.dir / "log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  auto reason = [](const HttpResult& r) { return std::string(parse(r.body).at("error").as_string()); };
  const std::string body = R"({"cluster":"example"})";
  auto none = http(port, "POST", "/api/v1/runs", body);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(reason(none), "missing or wrong bearer token");
  EXPECT_EQ(http(port, "POST", "/api/v1/runs", body, "Authorization: Bearer wrong-token-wrong-token\r\n").status, 401);
  auto bad = http(port, "POST", "/api/v1/runs", "{\"cluster\": ", auth());
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(reason(bad).find("not JSON"), std::string::npos);
  EXPECT_EQ(reason(http(port, "POST", "/api/v1/runs", R"({"cluster":"example","colour":"red"})", auth())),
            "unknown field 'colour' (cluster, profile, scenario, target_version)");
  EXPECT_EQ(reason(http(port, "POST", "/api/v1/runs", R"({"cluster":"nowhere"})", auth())), "unknown cluster 'nowhere'");
  auto big = http(port, "POST", "/api/v1/runs", std::string(8192, ' ') + body, auth());
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(http(port, "GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(http(port, "DELETE", "/api/v1/runs").status, 405);
  EXPECT_EQ(http(port, "GET", "/api/v1/reports?cluster=nowhere").status, 404);
  EXPECT_EQ(send_raw(port, "GARBAGE\r\n\r\n").status, 400);

  // A slow client: half a request, then silence past the request timeout (2 s).
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = send_raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n", std::chrono::seconds(10));
  EXPECT_EQ(slow.status, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(http(port, "GET", "/healthz").status, 200) << "the slow client blocked the server";

  // Keep-alive: a connection carries 100 requests, and the last answer says
  // it closes (a client must not send a 101st into a closed socket).
  std::string pipelined;
  for (int i = 0; i < 101; ++i) pipelined += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto many = send_raw(port, pipelined);
  std::string all = many.headers + "\r\n\r\n" + many.body;
  size_t answers = 0;
  for (size_t at = 0; (at = all.find("HTTP/1.1 200", at)) != std::string::npos; ++at) ++answers;
  EXPECT_EQ(answers, 100u);
  const size_t last = all.rfind("HTTP/1.1 200");
  EXPECT_NE(all.find("Connection: close", last), std::string::npos) << all.substr(last);
  EXPECT_EQ(all.substr(0, last).find("Connection: close"), std::string::npos);

  auto posted = http(port, "POST", "/api/v1/runs", R"({"cluster":"example","scenario":"inspection"})", auth());
  ASSERT_EQ(posted.status, 202) << posted.body;
  const std::string id(parse(posted.body).at("id").as_string());
  std::string report;
  ASSERT_TRUE(eventually([&] {
    json::value r = parse(http(port, "GET", "/api/v1/runs/" + id).body);
    if (!r.is_object() || r.at("state").as_string() != "done") return false;
    report = std::string(r.at("report").as_string());
    return true;
  }, std::chrono::seconds(60))) << serve.log();
  EXPECT_EQ(http(port, "GET", "/api/v1/reports/" + report).status, 200);
  EXPECT_EQ(http(port, "GET", "/api/v1/runs/run-999999").status, 404);
}

TEST(Serve, SigtermExitsCleanlyAndTheNextStartServesTheHistory) {
  ServeFolder s("sigterm");
  std::string first_id;
  {
    ServeProcess serve(s.args(), (s.dir / "log").string());
    ASSERT_GT(serve.port(), 0) << serve.log();
    const int port = serve.port();
    ASSERT_TRUE(eventually([&] { return http(port, "GET", "/api/v1/reports/latest?cluster=example").status == 200; },
                           std::chrono::seconds(60)));
    first_id = std::string(parse(http(port, "GET", "/api/v1/reports?cluster=example").body).as_array().back().at("id").as_string());
    // A run in flight when the signal comes.
    ASSERT_EQ(http(port, "POST", "/api/v1/runs", R"({"cluster":"example"})", auth()).status, 202);
    const auto t0 = std::chrono::steady_clock::now();
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait(std::chrono::seconds(35)), 0) << serve.log();
    std::cout << "[  FIGURE  ] SIGTERM to exit: "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  }
  for (const auto& e : fs::recursive_directory_iterator(s.dir / "state"))
    EXPECT_NE(e.path().extension(), ".tmp") << "a half-written report was left: " << e.path();
  ServeProcess again(s.args(), (s.dir / "log2").string());
  ASSERT_GT(again.port(), 0) << again.log();
  auto old = http(again.port(), "GET", "/api/v1/reports/" + first_id);
  EXPECT_EQ(old.status, 200) << "the report of the previous start is gone";
}

namespace {

std::vector<std::string> swap_messages(int port) {
  std::vector<std::string> out;
  json::value r = parse(http(port, "GET", "/api/v1/reports/latest?cluster=example").body);
  if (!r.is_object() || !r.as_object().contains("checks")) return out;
  for (const auto& c : r.at("checks").as_array())
    if (c.at("id").as_string() == "daemon-swap-version")
      for (const auto& f : c.at("findings").as_array()) out.emplace_back(f.at("message").as_string());
  return out;
}

}  // namespace

TEST(Serve, ReplacesAPluginUnderLoadAndKeepsTheOldOneWhenTheNewOneIsBroken) {
  ServeFolder s("hotswap");
  // The build's plugins and the swap test driver, in a folder the test may change.
  fs::create_directories(s.dir / "plugins");
  for (const auto& e : fs::directory_iterator(KINSPECT_PLUGIN_DIR))
    if (e.path().extension() == ".so") fs::copy_file(e.path(), s.dir / "plugins" / e.path().filename());
  const fs::path swap = s.dir / "plugins" / "swap.so";
  fs::copy_file(std::string(SWAP_FIXTURE_DIR) + "/swap_v1.so", swap);
  std::ofstream(s.dir / "checks" / "swap.kcql")
      << "CHECK daemon-swap-version\n  TITLE \"Which build served\"\n  CATEGORY nodes\n  SEVERITY info\n"
         "  FROM test.swap s\n  WHERE s.i = 0\n  OBJECT \"swap/{s.i}\"\n  MESSAGE \"served by {s.version}\"\n";
  std::vector<std::string> args = s.args();
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i] == "--plugin-dir") args[i + 1] = (s.dir / "plugins").string();
  ServeProcess serve(args, (s.dir / "log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  ASSERT_TRUE(eventually([&] { return swap_messages(port) == std::vector<std::string>{"served by 1"}; },
                         std::chrono::seconds(60))) << serve.log();

  // Requests and on-demand runs all along.
  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread load([&] {
    for (int i = 0; !done; ++i) {
      int st = http(port, "GET", i % 2 ? "/metrics" : "/api/v1/reports/latest?cluster=example").status;
      (st == 200 ? answered : failed)++;
      if (i % 10 == 0) http(port, "POST", "/api/v1/runs", R"({"cluster":"example"})", auth());
    }
  });
  fs::copy_file(std::string(SWAP_FIXTURE_DIR) + "/swap_v2.so", swap, fs::copy_options::overwrite_existing);
  std::ofstream(s.dir / "checks" / "swap-too.kcql")
      << "CHECK daemon-swap-too\n  TITLE \"Also\"\n  CATEGORY nodes\n  SEVERITY info\n  FROM test.swap s\n"
         "  WHERE s.i = 1\n  OBJECT \"swap/{s.i}\"\n  MESSAGE \"{s.version}\"\n";
  const bool swapped = eventually([&] { return swap_messages(port) == std::vector<std::string>{"served by 2"}; },
                                  std::chrono::seconds(30));
  EXPECT_TRUE(swapped) << serve.log();

  fs::copy_file(std::string(SWAP_FIXTURE_DIR) + "/swap_init_fails.so", swap, fs::copy_options::overwrite_existing);
  EXPECT_TRUE(eventually([&] { return http(port, "GET", "/readyz").body.find("refuses to start") != std::string::npos; },
                         std::chrono::seconds(30))) << serve.log();
  EXPECT_NE(http(port, "GET", "/metrics").body.find("kinspect_plugin_load_errors{cluster=\"example\"} 1"), std::string::npos);
  const size_t before = parse(http(port, "GET", "/api/v1/reports?cluster=example").body).as_array().size();
  ASSERT_TRUE(eventually([&] {
    return parse(http(port, "GET", "/api/v1/reports?cluster=example").body).as_array().size() > before + 1;
  }, std::chrono::seconds(30)));
  EXPECT_EQ(swap_messages(port), std::vector<std::string>{"served by 2"}) << "the broken build replaced the good one";
  done = true;
  load.join();
  EXPECT_TRUE(serve.alive());
  EXPECT_GT(answered, 10);
  EXPECT_EQ(failed, 0);
}

TEST(Serve, ABadConfigurationIsAUsageErrorNamingLineAndField) {
  ServeFolder s("badconfig");
  const std::string bin = KINSPECT_BIN;
  auto serve_with = [&](const std::string& yaml) {
    std::ofstream(s.dir / "bad.yaml") << yaml;
    return run_command(bin + " serve --config " + sh_quote((s.dir / "bad.yaml").string()));
  };
  auto typo = serve_with("listen: 127.0.0.1:0\nintervall: 5m\nclusters:\n  - name: a\n    snapshot: /x\n");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("bad.yaml:2:1"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("did you mean 'interval'?"), std::string::npos) << typo.err;
  auto duration = serve_with("interval: soon\nclusters:\n  - name: a\n    snapshot: /x\n");
  EXPECT_EQ(duration.exit_code, 2);
  EXPECT_NE(duration.err.find("'soon' is not a duration"), std::string::npos) << duration.err;
  auto name = serve_with("clusters:\n  - name: ../etc\n    snapshot: /x\n");
  EXPECT_EQ(name.exit_code, 2);
  EXPECT_NE(name.err.find("may hold only letters"), std::string::npos) << name.err;
  auto none = run_command(bin + " serve --listen 127.0.0.1:0");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no cluster to inspect"), std::string::npos) << none.err;
}

// A cron-like schedule (core/daemon/cron.h). A test cannot wait for minutes,
// so it uses the optional leading seconds field, which the daemon serves
// through the same next-fire computation as five fields: every 3 seconds,
// the runs are requested on multiples of 3 seconds, and none at startup.
TEST(Serve, ACronScheduleFiresAtItsTimes) {
  ServeFolder s("cron");
  std::ofstream(s.dir / "serve.yaml") << "clusters:\n  - name: example\n    schedule: \"*/3 * * * * *\"\n"
                                         "    snapshot: " KINSPECT_SOURCE_DIR "/examples/cluster\n";
  ServeProcess serve(s.args(), (s.dir / "log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  auto metrics = http(port, "GET", "/metrics").body;
  const std::string next = "kinspect_next_run_timestamp_seconds{cluster=\"example\",profile=\"\"} ";
  const size_t at = metrics.find(next);
  ASSERT_NE(at, std::string::npos) << metrics;
  const long due = std::atol(metrics.c_str() + at + next.size());
  EXPECT_EQ(due % 3, 0) << "next run due at " << due;
  ASSERT_TRUE(eventually([&] { return http(port, "GET", "/api/v1/runs/run-2").status == 200; }, std::chrono::seconds(30)))
      << serve.log();
  // Both requested on a multiple of 3 seconds (so the first was not at
  // startup, a moment that has nothing to do with the schedule), 3 s apart.
  long requested[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    json::value run = parse(http(port, "GET", "/api/v1/runs/run-" + std::to_string(i + 1)).body);
    ASSERT_TRUE(run.is_object()) << i;
    EXPECT_TRUE(run.at("scheduled").as_bool());
    std::tm tm{};
    const std::string text(run.at("requested_at").as_string());
    ASSERT_NE(::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << text;
    requested[i] = long(::timegm(&tm));
    EXPECT_EQ(requested[i] % 3, 0) << "run-" << i + 1 << " requested at " << text;
  }
  EXPECT_EQ(requested[1] - requested[0], 3);
  ASSERT_TRUE(eventually([&] { return http(port, "GET", "/api/v1/reports/latest?cluster=example").status == 200; },
                         std::chrono::seconds(60))) << serve.log();
}

TEST(Serve, ABadScheduleFlagIsAUsageErrorWithTheColumn) {
  ServeFolder s("cron-flag");
  std::vector<std::string> args{"--snapshot", KINSPECT_SOURCE_DIR "/examples/cluster", "--schedule", "0 25 * * *",
                                "--plugin-dir", KINSPECT_PLUGIN_DIR};
  ServeProcess serve(args, (s.dir / "log").string());
  EXPECT_EQ(serve.wait(std::chrono::seconds(30)), 2);
  EXPECT_NE(serve.log().find("--schedule '0 25 * * *', column 3: the hour field '25': 25 is out of range 0-23"),
            std::string::npos) << serve.log();
}

namespace {

// The newest report of cluster `example` whose id differs from `after`:
// its id and the report.
std::pair<std::string, json::value> next_report(int port, const std::string& after) {
  std::pair<std::string, json::value> out;
  eventually([&] {
    json::value list = parse(http(port, "GET", "/api/v1/reports?cluster=example").body);
    if (!list.is_array() || list.as_array().empty()) return false;
    std::string id(list.as_array()[0].at("id").as_string());
    if (id == after) return false;
    out = {id, parse(http(port, "GET", "/api/v1/reports/" + id).body)};
    return out.second.is_object();
  }, std::chrono::seconds(60));
  return out;
}

std::vector<std::string> waived_objects(const json::value& report) {
  std::vector<std::string> out;
  for (const auto& c : report.at("checks").as_array())
    for (const auto& f : c.at("waived").as_array()) out.push_back(std::string(c.at("id").as_string()) + " " +
                                                                  std::string(f.at("object").as_string()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// The daemon honours waivers as `run` does, reads the file again for every
// run (an edit applies without a restart), fails a run whose file broke
// meanwhile rather than show accepted findings as new, and refuses to start
// on a bad file. Its cluster's scope reaches the driver and the report.
TEST(Serve, WaiversAndScopeApplyToEveryRun) {
  ServeFolder s("waivers");
  const fs::path waivers = s.dir / "waivers.yaml";
  fs::copy_file(std::string(KINSPECT_SOURCE_DIR) + "/examples/waivers.yaml", waivers);
  std::ofstream(s.dir / "serve.yaml") << "interval: 1s\nwaivers: [" << waivers.string() << "]\n"
                                         "clusters:\n  - name: example\n    snapshot: " KINSPECT_SOURCE_DIR "/examples/cluster\n"
                                         "    namespaces: [payments, kube-system]\n";
  ServeProcess serve(s.args(), (s.dir / "log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  auto [first_id, first] = next_report(serve.port(), "");
  ASSERT_TRUE(first.is_object()) << serve.log();
  // The example file waives the crashing checkout pod and worker-4 (examples/waivers.yaml).
  EXPECT_EQ(waived_objects(first),
            (std::vector<std::string>{"node-status-unknown node/worker-4", "pod-crashloop pod/payments/checkout-bg8zrrc7h-mlzbv"}))
      << json::serialize(first.at("summary"));
  EXPECT_EQ(first.at("scope").at("namespaces"), json::parse(R"(["payments","kube-system"])"));
  for (const auto& c : first.at("checks").as_array())
    for (const auto& f : c.at("findings").as_array()) {
      const std::string o(f.at("object").as_string());
      if (o.rfind("pod/", 0) == 0)
        EXPECT_TRUE(o.rfind("pod/payments/", 0) == 0 || o.rfind("pod/kube-system/", 0) == 0) << o << " is out of scope";
    }

  // An edit applies at a following run, without a restart.
  std::ofstream(waivers) << "waivers:\n  - check: node-status-unknown\n    object: node/worker-4\n"
                            "    reason: replaced\n    owner: team-platform\n    expires: 2099-01-01\n";
  std::string id = first_id;
  json::value edited;
  bool one_waiver = eventually([&] {
    std::tie(id, edited) = next_report(serve.port(), id);
    return edited.is_object() && waived_objects(edited) == std::vector<std::string>{"node-status-unknown node/worker-4"};
  }, std::chrono::seconds(30));
  EXPECT_TRUE(one_waiver) << (edited.is_object() ? ::testing::PrintToString(waived_objects(edited)) : serve.log());

  // A file broken meanwhile fails the runs, naming its line, until it is fixed.
  std::ofstream(waivers) << "waivers:\n  - check: node-status-unknown\n    expires: someday\n";
  std::string last_error;
  EXPECT_TRUE(eventually([&] {
    json::value rz = parse(http(serve.port(), "GET", "/readyz").body);
    if (!rz.is_object()) return false;
    last_error = std::string(rz.at("clusters").as_array()[0].at("last_error").as_string());
    return !last_error.empty();
  }, std::chrono::seconds(30))) << serve.log();
  EXPECT_NE(last_error.find("waivers.yaml:3:"), std::string::npos) << last_error;
  EXPECT_TRUE(serve.alive());

  // And a daemon does not start on a bad file: exit 2 with the place.
  auto bad = run_command(std::string(KINSPECT_BIN) + " serve --snapshot " KINSPECT_SOURCE_DIR "/examples/cluster --waivers " +
                         sh_quote(waivers.string()) + " --listen 127.0.0.1:0");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("waivers.yaml:3:"), std::string::npos) << bad.err;
}
