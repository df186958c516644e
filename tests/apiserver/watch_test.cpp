// Tables kept current with WATCH (`watch` setting): the driver against the
// TLS test server's watch streams, the real kubectl against those streams,
// and `kinspect serve` over many scheduled runs, counted in the server's
// request log.
#include "fixture.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/daemon/serve_process.h"

using namespace kapitest;
using namespace kinspect::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kPods = "/api/v1/pods";

std::string pod(const std::string& name, bool privileged, const std::string& image = "busybox:1.36") {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"default","uid":"uid-)" + name +
         R"("},"spec":{"containers":[{"name":"shell","image":")" + image +
         R"(","securityContext":{"privileged":)" + (privileged ? "true" : "false") + "}}]}}";
}

// The image of pod `name` as a scan sees it, "" when absent.
std::string image_of(kitest::PluginInstance& p, const std::string& name) {
  auto r = p.scan("k8s.pods");
  EXPECT_TRUE(r.ok) << r.error;
  for (const auto& row : r.rows)
    if (str(row, "metadata", "name") == name) {
      const auto& cs = row.at("spec").at("containers").as_array();
      return cs.empty() ? "?" : std::string(cs[0].at("image").as_string());
    }
  return "";
}

std::string server_log(const Server& s) {
  std::string out;
  for (const auto& l : s.log()) out += "  " + l + "\n";
  return out;
}

std::string watch_config(Cluster& c, const std::string& extra = "") {
  return c.config(c.cert_kubeconfig(), ",\"watch\":true,\"backoff_base_seconds\":0.05" + extra);
}

}  // namespace

TEST(Watch, AddedModifiedDeletedChangeTheNextScanWithoutAList) {
  Cluster c("watch-events");
  auto p = plugin(watch_config(c));
  const size_t before = p->scan("k8s.pods").row_count;
  ASSERT_GT(before, 0u);
  ASSERT_TRUE(eventually([&] { return c.server->open_watches() == 1; }, std::chrono::seconds(10))) << server_log(*c.server);

  c.server->put_object(kPods, pod("watched", false));
  EXPECT_TRUE(eventually([&] { return image_of(*p, "watched") == "busybox:1.36"; }, std::chrono::seconds(10)));
  c.server->put_object(kPods, pod("watched", false, "busybox:1.37"));
  EXPECT_TRUE(eventually([&] { return image_of(*p, "watched") == "busybox:1.37"; }, std::chrono::seconds(10)));
  c.server->delete_object(kPods, "default", "watched");
  EXPECT_TRUE(eventually([&] { return image_of(*p, "watched").empty(); }, std::chrono::seconds(10)));
  EXPECT_EQ(p->scan("k8s.pods").row_count, before);

  // Every scan after the first was served from the watched copy.
  EXPECT_EQ(c.server->lists(kPods), 1u) << server_log(*c.server);
  EXPECT_EQ(c.server->watches(kPods), 1u) << server_log(*c.server);
  // The watch started from the LIST's version and asked for bookmarks.
  auto versions = c.server->watch_versions(kPods);
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0], "12345");
  bool bookmarks = false;
  for (const auto& l : c.server->log()) bookmarks |= l.find("watch=1") != std::string::npos && l.find("allowWatchBookmarks=true") != std::string::npos;
  EXPECT_TRUE(bookmarks) << server_log(*c.server);
}

TEST(Watch, ADroppedStreamResumesFromTheLastResourceVersion) {
  Cluster c("watch-drop");
  auto p = plugin(watch_config(c));
  ASSERT_TRUE(p->scan("k8s.pods").ok);
  ASSERT_TRUE(eventually([&] { return c.server->open_watches() == 1; }, std::chrono::seconds(10)));
  c.server->put_object(kPods, pod("before-drop", false));
  ASSERT_TRUE(eventually([&] { return !image_of(*p, "before-drop").empty(); }, std::chrono::seconds(10)));
  const std::string last = std::to_string(c.server->resource_version());

  c.server->drop_watches();
  ASSERT_TRUE(eventually([&] { return c.server->watches(kPods) == 2 && c.server->open_watches() == 1; },
                         std::chrono::seconds(10)))
      << server_log(*c.server);
  EXPECT_EQ(c.server->watch_versions(kPods).back(), last);
  c.server->put_object(kPods, pod("after-drop", false));
  EXPECT_TRUE(eventually([&] { return !image_of(*p, "after-drop").empty(); }, std::chrono::seconds(10)));
  EXPECT_FALSE(image_of(*p, "before-drop").empty());
  EXPECT_EQ(c.server->lists(kPods), 1u) << server_log(*c.server);
}

TEST(Watch, BookmarksMoveTheResumeVersion) {
  Cluster c("watch-bookmark");
  c.server->set_bookmark_interval(100);
  auto p = plugin(watch_config(c));
  ASSERT_TRUE(p->scan("k8s.pods").ok);
  ASSERT_TRUE(eventually([&] { return c.server->open_watches() == 1; }, std::chrono::seconds(10)));
  // A change elsewhere moves the cluster's version; pods learn it only from a bookmark.
  c.server->put_object("/api/v1/nodes", R"({"metadata":{"name":"extra-node","uid":"uid-extra-node"}})");
  const std::string now = std::to_string(c.server->resource_version());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  c.server->drop_watches();
  ASSERT_TRUE(eventually([&] { return c.server->watches(kPods) == 2; }, std::chrono::seconds(10)));
  EXPECT_EQ(c.server->watch_versions(kPods).back(), now) << server_log(*c.server);
}

// 410 Gone, as an ERROR event in the stream (kube-apiserver's way) and as
// an HTTP status: the table is LISTed again from scratch, and then followed
// again from the new list's version.
class WatchGone : public ::testing::TestWithParam<bool> {};

TEST_P(WatchGone, MakesARelist) {
  Cluster c(GetParam() ? "watch-gone-status" : "watch-gone-event");
  auto p = plugin(watch_config(c));
  ASSERT_TRUE(p->scan("k8s.pods").ok);
  ASSERT_TRUE(eventually([&] { return c.server->open_watches() == 1; }, std::chrono::seconds(10)));
  c.server->put_object(kPods, pod("before-compaction", false));
  ASSERT_TRUE(eventually([&] { return !image_of(*p, "before-compaction").empty(); }, std::chrono::seconds(10)));

  c.server->expire_history(GetParam());
  c.server->drop_watches();
  ASSERT_TRUE(eventually([&] { return c.server->lists(kPods) == 2 && c.server->open_watches() == 1; },
                         std::chrono::seconds(10)))
      << server_log(*c.server);
  const auto versions = c.server->watch_versions(kPods);
  ASSERT_GE(versions.size(), 3u) << server_log(*c.server);
  EXPECT_EQ(versions.back(), std::to_string(c.server->resource_version()));  // the relist's version
  c.server->put_object(kPods, pod("after-relist", false));
  EXPECT_TRUE(eventually([&] { return !image_of(*p, "after-relist").empty(); }, std::chrono::seconds(10)));
  EXPECT_FALSE(image_of(*p, "before-compaction").empty());
  EXPECT_EQ(c.server->lists(kPods), 2u) << server_log(*c.server);
}

INSTANTIATE_TEST_SUITE_P(EventOrStatus, WatchGone, ::testing::Values(false, true));

// A watch that cannot come back is not served past watch_stale_seconds:
// the scan LISTs, as without `watch`, and still sees the change.
TEST(Watch, ABrokenWatchIsNotServedStale) {
  Cluster c("watch-broken");
  auto p = plugin(watch_config(c, ",\"watch_stale_seconds\":0.3"));
  ASSERT_TRUE(p->scan("k8s.pods").ok);
  ASSERT_TRUE(eventually([&] { return c.server->open_watches() == 1; }, std::chrono::seconds(10)));
  c.server->hook([](const Request& r, Response& out) {
    if (r.params.count("watch") == 0) return false;
    out.status = 503;
    out.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"watch refused by the test","code":503})";
    return true;
  });
  c.server->drop_watches();
  ASSERT_TRUE(eventually([&] { return c.server->watches(kPods) >= 2; }, std::chrono::seconds(10)));
  c.server->put_object(kPods, pod("unwatched", false));  // no stream carries it
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(image_of(*p, "unwatched").empty());
  EXPECT_EQ(c.server->lists(kPods), 2u) << server_log(*c.server);
}

// The test server's watch streams as the real kubectl reads them.
TEST(Watch, KubectlFollowsTheTestServersWatch) {
  const char* env = std::getenv("KINSPECT_TEST_KUBECTL");
  const std::string kubectl = env && *env ? env : "/usr/bin/kubectl";
  if (access(kubectl.c_str(), X_OK) != 0) GTEST_SKIP() << "kubectl not found at " << kubectl << "; set KINSPECT_TEST_KUBECTL";
  Cluster c("watch-kubectl");
  const std::string out = c.dir + "/kubectl.out";
  const std::string cmd = "HOME=" + c.dir + " timeout 8 " + kubectl + " --kubeconfig " + c.cert_kubeconfig() +
                          " --cache-dir " + c.dir + "/cache get pods -A -w -o name >" + out + " 2>" + c.dir + "/kubectl.err";
  std::thread changer([&] {
    eventually([&] { return c.server->open_watches() == 1; }, std::chrono::seconds(7));
    c.server->put_object(kPods, pod("seen-by-kubectl", false));
  });
  int st = std::system(cmd.c_str());
  changer.join();
  EXPECT_EQ(WEXITSTATUS(st), 124) << read_file(c.dir + "/kubectl.err");  // ended by the timeout, still watching
  const std::string got = read_file(out);
  EXPECT_NE(got.find("pod/seen-by-kubectl"), std::string::npos) << got << read_file(c.dir + "/kubectl.err") << server_log(*c.server);
  EXPECT_EQ(c.server->lists(kPods), 1u) << server_log(*c.server);
  EXPECT_EQ(c.server->watches(kPods), 1u) << server_log(*c.server);
}

// `kinspect serve` on a live cluster: each table is LISTed once over many
// scheduled runs, and a pod's change shows in the next reports.
TEST(Watch, ServeListsEachTableOnceOverManyRuns) {
  Cluster c("watch-serve");
  serve_example(c);
  const fs::path dir = c.dir;
  std::ofstream(dir / "serve.yaml") << "interval: 300ms\n"
                                       "clusters:\n"
                                       "  - name: live\n    kubeconfig: " << c.cert_kubeconfig() << "\n    context: test\n";
  ServeProcess serve({"--config", (dir / "serve.yaml").string(), "--plugin-dir", KAPI_PLUGIN_DIR}, (dir / "serve.log").string());
  ASSERT_GT(serve.port(), 0) << serve.log();
  const int port = serve.port();
  auto latest = [&] { return http(port, "GET", "/api/v1/reports/latest?cluster=live").body; };
  auto reports = [&] {  // runs finished, from /metrics (the history keeps only the newest)
    const std::string m = http(port, "GET", "/metrics").body;
    const std::string key = "kinspect_runs_total{cluster=\"live\",profile=\"\",result=\"ok\"} ";
    size_t at = m.find(key);
    return at == std::string::npos ? size_t(0) : size_t(std::atof(m.c_str() + at + key.size()));
  };
  // Whether the latest report has privileged-container's finding for the pod.
  auto privileged = [&] {
    json::error_code ec;
    json::value v = json::parse(latest(), ec);
    if (ec || !v.is_object()) return false;
    for (const auto& check : v.at("checks").as_array())
      if (check.at("id").as_string() == "privileged-container")
        for (const auto& f : check.at("findings").as_array())
          if (f.at("object").as_string() == "pod/default/watched-priv") return true;
    return false;
  };
  ASSERT_TRUE(eventually([&] { return reports() >= 2; }, std::chrono::seconds(60))) << serve.log();
  EXPECT_FALSE(privileged());

  c.server->put_object(kPods, pod("watched-priv", true));  // added: a privileged container
  EXPECT_TRUE(eventually([&] { return privileged(); }, std::chrono::seconds(30)))
      << serve.log();
  c.server->put_object(kPods, pod("watched-priv", false));  // modified: no longer privileged
  EXPECT_TRUE(eventually([&] { return !privileged(); }, std::chrono::seconds(30)));
  c.server->put_object(kPods, pod("watched-priv", true));
  EXPECT_TRUE(eventually([&] { return privileged(); }, std::chrono::seconds(30)));
  c.server->delete_object(kPods, "default", "watched-priv");  // deleted
  EXPECT_TRUE(eventually([&] { return !privileged(); }, std::chrono::seconds(30)));
  auto count_lists = [&] {
    std::map<std::string, size_t> lists;
    for (const auto& line : c.server->log()) {
      if (line.rfind("GET /api", 0) != 0 || line.find("?limit=") == std::string::npos) continue;
      lists[line.substr(4, line.find('?') - 4)]++;
    }
    return lists;
  };
  const auto lists_then = count_lists();
  const size_t runs_before = reports();
  ASSERT_TRUE(eventually([&] { return reports() >= runs_before + 10; }, std::chrono::seconds(60))) << serve.log();

  // Over all those runs each table was LISTed once and then followed by
  // WATCH, and at most once more in the first runs: cluster detection reads
  // a narrower projection of nodes before the checks ask for theirs, and
  // waivers read the labels and annotations of the kinds with findings
  // (core/waiver/objects.h); each widens the watched copy once, for good.
  json::value live = json::parse(latest());
  EXPECT_EQ(live.at("summary").at("not_checked").as_int64(), 0);
  const auto lists = count_lists();
  EXPECT_EQ(lists, lists_then) << "LISTs after the first runs:\n" << server_log(*c.server);
  ASSERT_GE(lists.size(), 20u) << server_log(*c.server);
  for (const auto& [path, n] : lists) {
    EXPECT_LE(n, 2u) << path << "\n" << server_log(*c.server);
    EXPECT_GE(c.server->watches(path), 1u) << path;
  }
  std::printf("[ watch    ] %zu tables, %zu runs, %zu LISTs, %zu requests in all\n", lists.size(), reports(),
              [&] { size_t t = 0; for (const auto& kv : lists) t += kv.second; return t; }(), c.server->log().size());
}
