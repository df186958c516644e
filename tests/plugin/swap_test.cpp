// The registry swapped under load (issue 12): runs in flight keep the
// plugin version they started with, new runs get the new one, a broken
// replacement is refused while the old one keeps serving, and a plugin
// ends only when nothing holds it. The test binary is its own plugin
// worker (`swap_tests __plugin-worker`), so it needs nothing but the
// plugin library: the AddressSanitizer build (swap_asan.cmake) builds just
// this.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "core/plugin/plugin_set.h"

using namespace kinspect;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& n) { return std::string(SWAP_FIXTURE_DIR) + "/" + n + ".so"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Writes `bytes` over `path` in place (truncate and write), the way `cp`
// replaces a file: the pinned copy, not the file, is what workers load.
void overwrite(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Replaces `path` the way installers do: a new file renamed over it.
void replace(const std::string& path, const std::string& bytes) {
  overwrite(path + ".tmp", bytes);
  fs::rename(path + ".tmp", path);
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("kinspect-swap-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

RegistryOptions options_for(const fs::path& dir) {
  RegistryOptions o;
  o.dirs = {dir.string()};
  o.isolation.worker_exe = fs::read_symlink("/proc/self/exe").string();
  o.isolation.max_workers_per_plugin = 4;
  return o;
}

// The versions in one fetch of test.swap; "" when the fetch failed.
std::set<std::string> versions_in(PluginRegistry& reg, std::string& error) {
  auto rows = reg.fetch(ScanSpec{"test.swap", {}, {"version", "i"}});
  if (!rows) {
    error = rows.error().format();
    return {};
  }
  std::set<std::string> seen;
  for (const auto& r : (*rows)->rows) seen.insert(std::string(r.find("version").get_string()));
  if ((*rows)->rows.size() != 1000) error = "got " + std::to_string((*rows)->rows.size()) + " rows, not 1000";
  return seen;
}

struct RunRecord {
  uint64_t started_generation = 0, finished_generation = 0;
  std::string version;  // the plugin's, from the snapshot the run took
  std::set<std::string> served;  // what its rows say
  std::string error;
};

}  // namespace

TEST(RegistrySwap, RunsKeepTheirVersionWhileThePluginIsReplacedUnderLoad) {
  TempDir dir;
  const std::string plugin = (dir.path / "swap.so").string();
  replace(plugin, read_file(fixture("swap_v1")));
  PluginSet set(options_for(dir.path));
  auto first = set.reload();
  ASSERT_TRUE(first.empty()) << first[0].format();
  std::weak_ptr<LoadedPlugin> v1 = set.snapshot()->plugins().at(0);

  // A hundred runs on four threads; each takes a snapshot, reads the table
  // twice (a run reads its tables at different times) and lets it go.
  constexpr int kRuns = 100;
  std::vector<RunRecord> runs(kRuns);
  std::atomic<int> next{0}, finished{0};
  auto worker = [&] {
    for (int i; (i = next++) < kRuns;) {
      RunRecord& r = runs[size_t(i)];
      r.started_generation = set.generation();
      std::shared_ptr<PluginRegistry> snap = set.snapshot();
      if (const LoadedPlugin* p = snap->plugin("swap")) r.version = p->version();
      for (int round = 0; round < 2 && r.error.empty(); ++round)
        for (const auto& v : versions_in(*snap, r.error)) r.served.insert(v);
      r.finished_generation = set.generation();
      ++finished;
    }
  };
  auto wait_for = [&](int n) {
    while (finished < n) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  struct Join {
    std::vector<std::thread>& t;
    ~Join() {
      for (auto& x : t)
        if (x.joinable()) x.join();
    }
  } join{threads};
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker);

  wait_for(20);
  overwrite(plugin, read_file(fixture("swap_v2")));  // in place, under running pools
  auto second = set.reload();
  EXPECT_TRUE(second.empty()) << second[0].format();
  EXPECT_EQ(set.snapshot()->plugin("swap")->version(), "2");

  wait_for(45);
  const std::string v2 = read_file(fixture("swap_v2"));
  // A copy cut short (cutting only its debug sections would not matter):
  // dlopen dies of SIGBUS in the loading worker (under AddressSanitizer the
  // worker prints that), which costs that worker alone.
  replace(plugin, v2.substr(0, 4096));
  auto truncated = set.reload();
  ASSERT_EQ(truncated.size(), 1u);
  EXPECT_EQ(truncated[0].path, plugin);
  EXPECT_NE(truncated[0].reason.find("version 2 loaded before keeps serving"), std::string::npos) << truncated[0].reason;

  wait_for(70);
  replace(plugin, read_file(fixture("swap_init_fails")));
  auto refused = set.reload();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].reason.find("refuses to start"), std::string::npos) << refused[0].reason;
  EXPECT_EQ(set.snapshot()->plugin("swap")->version(), "2");

  for (auto& t : threads) t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(120));
  EXPECT_EQ(set.generation(), 4u);

  int in_flight_across_a_swap = 0;
  for (int i = 0; i < kRuns; ++i) {
    const RunRecord& r = runs[size_t(i)];
    SCOPED_TRACE("run " + std::to_string(i));
    EXPECT_EQ(r.error, "");
    // The version its snapshot holds is the one every row came from, and
    // the one current when it started.
    EXPECT_EQ(r.served, std::set<std::string>{r.version});
    EXPECT_EQ(r.version, r.started_generation <= 1 ? "1" : "2");
    if (r.finished_generation > r.started_generation) ++in_flight_across_a_swap;
  }
  EXPECT_GT(in_flight_across_a_swap, 0) << "no run was in flight during a swap: the test proved nothing";
  // Version 1 ended once the last run holding it finished; version 2 still serves.
  EXPECT_TRUE(v1.expired());
  std::string error;
  EXPECT_EQ(versions_in(*set.snapshot(), error), std::set<std::string>{"2"});
  EXPECT_EQ(error, "");
}

TEST(RegistrySwap, AnUnchangedFileKeepsItsPluginAndARemovedOneGoes) {
  TempDir dir;
  const std::string plugin = (dir.path / "swap.so").string();
  replace(plugin, read_file(fixture("swap_v1")));
  PluginSet set(options_for(dir.path));
  ASSERT_TRUE(set.reload().empty());
  std::shared_ptr<PluginRegistry> before = set.snapshot();
  ASSERT_TRUE(set.reload().empty());
  EXPECT_NE(set.snapshot(), before);
  EXPECT_EQ(set.snapshot()->plugins().at(0), before->plugins().at(0)) << "an unchanged file was loaded again";
  fs::remove(plugin);
  EXPECT_TRUE(set.reload().empty());
  EXPECT_EQ(set.snapshot()->plugin("swap"), nullptr);
  // The run that still holds the old snapshot reads on.
  std::string error;
  EXPECT_EQ(versions_in(*before, error), std::set<std::string>{"1"});
  EXPECT_EQ(error, "");
}

TEST(RegistrySwap, AWorkerThatDescribesItselfDifferentlyIsRefused) {
  TempDir dir;
  replace((dir.path / "swap.so").string(), read_file(fixture("swap_unstable")));
  PluginSet set(options_for(dir.path));
  ASSERT_TRUE(set.reload().empty());
  std::string error;
  versions_in(*set.snapshot(), error);
  EXPECT_NE(error.find("described itself differently from the first one"), std::string::npos) << error;
}

TEST(RegistrySwap, NoWorkerRunsUntilTheFirstScan) {
  TempDir dir;
  replace((dir.path / "swap.so").string(), read_file(fixture("swap_v1")));
  PluginSet set(options_for(dir.path));
  ASSERT_TRUE(set.reload().empty());
  auto children = [] {
    int n = 0;
    for (const auto& e : fs::directory_iterator("/proc")) {
      std::ifstream stat(e.path() / "stat");
      std::string pid, comm, state, ppid;
      if (stat >> pid >> comm >> state >> ppid && ppid == std::to_string(::getpid())) ++n;
    }
    return n;
  };
  // The worker that described the plugin has ended (reaped), and no pool worker started.
  EXPECT_EQ(children(), 0);
  std::string error;
  EXPECT_EQ(versions_in(*set.snapshot(), error), std::set<std::string>{"1"});
  EXPECT_EQ(children(), 1);
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == kWorkerCommand) return run_plugin_worker(kWorkerFd);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
