// Plugins in worker processes: a crash, an abort or a hang costs only that
// plugin's tables, with a message that says what happened.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "core/plugin/isolated.h"
#include "core/plugin/registry.h"

using namespace kinspect;

namespace {

std::string safe(const std::string& n) { return std::string(FIXTURE_DIR) + "/" + n + ".so"; }
std::string unsafe(const std::string& n) { return std::string(UNSAFE_FIXTURE_DIR) + "/" + n + ".so"; }

RegistryOptions isolated(std::vector<std::string> files) {
  RegistryOptions o;
  o.files = std::move(files);
  o.isolate = true;
  o.isolation.worker_exe = KINSPECT_BIN;
  return o;
}

}  // namespace

// Workers ask glibc for huge-page arenas, keeping what the user set.
TEST(Isolation, WorkersStartWithHugePageMallocUnlessTheUserChoseOtherwise) {
  auto env_of = [](std::vector<std::string> vars) {
    std::vector<char*> p;
    for (auto& v : vars) p.push_back(v.data());
    p.push_back(nullptr);
    return worker_environment(p.data());
  };
  using V = std::vector<std::string>;
  const std::string marker = std::string(kWorkerMarker) + "=1";
  EXPECT_EQ(env_of({"PATH=/bin"}), (V{"PATH=/bin", "GLIBC_TUNABLES=glibc.malloc.hugetlb=1", marker}));
  EXPECT_EQ(env_of({"GLIBC_TUNABLES=glibc.malloc.arena_max=2", "HOME=/root"}),
            (V{"GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1", "HOME=/root", marker}));
  EXPECT_EQ(env_of({"GLIBC_TUNABLES=glibc.malloc.hugetlb=0"}), (V{"GLIBC_TUNABLES=glibc.malloc.hugetlb=0", marker}));
  EXPECT_EQ(env_of({"GLIBC_TUNABLES="}), (V{"GLIBC_TUNABLES=glibc.malloc.hugetlb=1", marker}));
}

// A worker that would start workers is refused: it is a program other than
// kinspect started as a worker, and going on would multiply it.
TEST(Isolation, AWorkerNeverStartsWorkers) {
  ::setenv(kWorkerMarker, "1", 1);
  PluginRegistry reg;
  auto problems = reg.load(isolated({safe("good")}));
  ::unsetenv(kWorkerMarker);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].reason.find("cannot start plugin workers"), std::string::npos) << problems[0].reason;
  EXPECT_EQ(reg.plugin("good"), nullptr);
}

TEST(Isolation, GoodPluginWorksThroughAWorker) {
  PluginRegistry reg;
  auto o = isolated({safe("good")});
  o.config["good"] = R"({"via":"worker"})";
  auto problems = reg.load(o);
  ASSERT_TRUE(problems.empty()) << problems[0].format();
  ASSERT_NE(reg.plugin("good"), nullptr);
  EXPECT_EQ(reg.plugin("good")->version(), "1.2.3");
  auto rows = reg.fetch(ScanSpec{"test.good", {}, {"id", "config"}});
  ASSERT_TRUE(rows.ok()) << rows.error().format();
  ASSERT_EQ((*rows)->rows.size(), 3u);
  EXPECT_EQ(packed::to_json((*rows)->rows[0]).at("config").as_string(), R"({"via":"worker"})");
  auto many = reg.fetch(ScanSpec{"test.count", {boost::json::value(5000)}, {}});
  ASSERT_TRUE(many.ok());
  EXPECT_EQ((*many)->rows.size(), 5000u);
  EXPECT_EQ(packed::to_json((*many)->rows[4999]).at("i").as_int64(), 4999);
}

// The pool's first worker is asked what its plugin shares (ABI 1.2) and
// every later worker adopts it: costly set-up (a kubeconfig) is done once.
TEST(Isolation, LaterWorkersAdoptWhatTheFirstOneShared) {
  PluginRegistry reg;
  auto o = isolated({safe("good")});
  o.isolation.max_workers_per_plugin = 3;
  ASSERT_TRUE(reg.load(o).empty());
  // Three scans at once, each holding its worker for a while, need three workers.
  std::vector<std::thread> scans;
  std::mutex m;
  std::vector<std::pair<int64_t, std::string>> served;
  for (int i = 0; i < 3; ++i)
    scans.emplace_back([&, i] {
      auto rows = reg.fetch(ScanSpec{"test.worker", {boost::json::value(800 + i)}, {}});
      ASSERT_TRUE(rows.ok()) << rows.error().format();
      auto row = packed::to_json((*rows)->rows.at(0)).as_object();
      std::lock_guard<std::mutex> lock(m);
      served.emplace_back(row.at("pid").as_int64(), std::string(row.at("adopted").as_string()));
    });
  for (auto& t : scans) t.join();
  ASSERT_EQ(served.size(), 3u);
  std::set<int64_t> sharers, adopters;
  for (const auto& [pid, adopted] : served) (adopted.empty() ? sharers : adopters).insert(pid);
  ASSERT_EQ(sharers.size(), 1u) << "exactly one worker did the set-up";
  EXPECT_GE(adopters.size(), 1u) << "the scans ran on one worker only";
  for (const auto& [pid, adopted] : served)
    if (!adopted.empty()) EXPECT_EQ(adopted, "shared by pid " + std::to_string(*sharers.begin()));
}

// The processes this test process started that are still running.
static std::set<int64_t> children() {
  std::set<int64_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(e.path() / "stat");
    std::string pid, comm, state, ppid;
    if (stat >> pid >> comm >> state >> ppid && ppid == std::to_string(::getpid()) && state != "Z")
      out.insert(std::stoll(pid));
  }
  return out;
}

// A command that loads one plugin and scans it at once (kinspect run
// --profile node) keeps the worker that loaded it as the pool's first worker:
// one process fewer. It is still the one asked what to share, and later
// workers adopt its answer. Loading several plugins keeps none.
TEST(Isolation, ALoadingWorkerKeptForOnePluginServesItsFirstScans) {
  PluginRegistry reg;
  auto o = isolated({safe("good")});
  o.isolation.keep_loading_worker = true;
  o.isolation.max_workers_per_plugin = 2;
  ASSERT_TRUE(reg.load(o).empty());
  const std::set<int64_t> loader = children();
  ASSERT_EQ(loader.size(), 1u) << "the loading worker was not kept";
  std::vector<std::pair<int64_t, std::string>> served(2);
  std::vector<std::thread> scans;
  for (int i = 0; i < 2; ++i)
    scans.emplace_back([&, i] {
      auto rows = reg.fetch(ScanSpec{"test.worker", {boost::json::value(600)}, {}});
      ASSERT_TRUE(rows.ok()) << rows.error().format();
      auto row = packed::to_json((*rows)->rows.at(0)).as_object();
      served[size_t(i)] = {row.at("pid").as_int64(), std::string(row.at("adopted").as_string())};
    });
  for (auto& t : scans) t.join();
  int64_t kept = *loader.begin();
  ASSERT_NE(served[0].first, served[1].first) << "two scans at once need two workers";
  for (const auto& [pid, adopted] : served)
    EXPECT_EQ(adopted, pid == kept ? "" : "shared by pid " + std::to_string(kept)) << "worker " << pid;
  EXPECT_TRUE(served[0].first == kept || served[1].first == kept) << "the kept loader served no scan";

  PluginRegistry two;
  auto both = isolated({safe("good"), safe("other")});
  both.isolation.keep_loading_worker = true;
  const std::set<int64_t> before = children();
  ASSERT_TRUE(two.load(both).empty());
  EXPECT_EQ(children(), before) << "a worker that loaded several plugins must end";
}

TEST(Isolation, BatchesCrossIntactThroughSharedSlotsOrTheSocket) {
  // test.count streams batches of about 10 KB: with 16 KiB slots they take
  // the shared slots (two in turn, so each slot is reused many times), with
  // 4 KiB ones they are too big and take the socket, and 0 turns slots off.
  for (size_t slot : {size_t(16) << 10, size_t(4) << 10, size_t(0)}) {
    SCOPED_TRACE("slot bytes " + std::to_string(slot));
    PluginRegistry reg;
    auto o = isolated({safe("good")});
    o.isolation.shared_batch_bytes = slot;
    ASSERT_TRUE(reg.load(o).empty());
    for (int round = 0; round < 2; ++round) {  // a second scan on the same worker: no acknowledgement left over
      auto many = reg.fetch(ScanSpec{"test.count", {boost::json::value(20000)}, {}});
      ASSERT_TRUE(many.ok()) << many.error().format();
      ASSERT_EQ((*many)->rows.size(), 20000u);
      for (int64_t i = 0; i < 20000; ++i) ASSERT_EQ((*many)->rows[size_t(i)].find("i").get_int64(), i);
    }
    auto good = reg.fetch(ScanSpec{"test.good", {}, {"id", "name"}});
    ASSERT_TRUE(good.ok()) << good.error().format();
    EXPECT_EQ(packed::to_json((*good)->rows[1]).at("name").as_string(), "row \"2\"\n");
  }
}

// Resident kB of a process's mappings of the shared batch slots.
static int64_t slot_rss_kib(const std::string& pid) {
  std::ifstream smaps("/proc/" + pid + "/smaps");
  std::string line;
  bool in_slots = false;
  int64_t kib = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < line.find(' '))
      in_slots = line.find("/memfd:kinspect-batches") != std::string::npos;
    else if (in_slots && line.rfind("Rss:", 0) == 0)
      kib += std::stoll(line.substr(4));
  }
  return kib;
}

// Once a table is in, neither process keeps the slots' pages: a run's
// checks go on for seconds after the last table, beside idle workers.
TEST(Isolation, SharedSlotPagesGoBackOnceARequestEnds) {
  PluginRegistry reg;
  auto o = isolated({safe("good")});
  o.isolation.shared_batch_bytes = size_t(1) << 20;
  ASSERT_TRUE(reg.load(o).empty());
  auto many = reg.fetch(ScanSpec{"test.count", {boost::json::value(200000)}, {}});
  ASSERT_TRUE(many.ok()) << many.error().format();
  ASSERT_EQ((*many)->rows.size(), 200000u);
  const std::set<int64_t> workers = children();
  ASSERT_FALSE(workers.empty()) << "no worker left to look at";
  for (int64_t pid : workers) EXPECT_EQ(slot_rss_kib(std::to_string(pid)), 0) << "worker " << pid;
  EXPECT_EQ(slot_rss_kib("self"), 0) << "the parent's mapping";
  // The slots still work after giving their pages back.
  auto again = reg.fetch(ScanSpec{"test.count", {boost::json::value(20000)}, {}});
  ASSERT_TRUE(again.ok()) << again.error().format();
  for (int64_t i = 0; i < 20000; ++i) ASSERT_EQ((*again)->rows[size_t(i)].find("i").get_int64(), i);
}

TEST(Isolation, CrashWhileLoadingIsAProblemNotACrash) {
  PluginRegistry reg;
  auto problems = reg.load(isolated({unsafe("unsafe_init_crashes"), safe("other")}));
  ASSERT_EQ(problems.size(), 1u);
#ifdef KINSPECT_SANITIZED
  // AddressSanitizer catches the fault itself and aborts the worker.
  EXPECT_NE(problems[0].reason.find("while loading"), std::string::npos) << problems[0].reason;
#else
  EXPECT_NE(problems[0].reason.find("crashed (signal 11: Segmentation fault) while loading"), std::string::npos)
      << problems[0].reason;
#endif
  EXPECT_NE(reg.plugin("other"), nullptr);
}

TEST(Isolation, AbortDuringScanFailsOnlyThatTable) {
  PluginRegistry reg;
  ASSERT_TRUE(reg.load(isolated({unsafe("unsafe_scan_aborts"), safe("other")})).empty());
  auto bad = reg.fetch(ScanSpec{"test.aborts", {}, {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "plugin 'scan-aborts', table test.aborts: plugin crashed (signal 6: Aborted)");
  auto good = reg.fetch(ScanSpec{"test.other", {}, {}});
  ASSERT_TRUE(good.ok()) << good.error().format();
  EXPECT_EQ(packed::to_json((*good)->rows[0]).at("x").as_int64(), 42);
  // A new worker replaces the dead one: the next scan gets the same answer.
  auto again = reg.fetch(ScanSpec{"test.aborts", {}, {}});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message().find("signal 6"), std::string::npos);
}

TEST(Isolation, HangIsKilledAtTheDeadline) {
  PluginRegistry reg;
  ASSERT_TRUE(reg.load(isolated({unsafe("unsafe_scan_hangs")})).empty());
  CancelToken budget;
  // Long enough for the worker to start and load the plugin on a loaded
  // machine under the sanitizers (300 ms was not), so the deadline falls
  // inside the hung scan, which is what this test is about.
  budget.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  auto t0 = std::chrono::steady_clock::now();
  auto r = reg.fetch(ScanSpec{"test.hangs", {}, {}}, &budget);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "plugin 'scan-hangs', table test.hangs: timed out; the plugin worker was killed");
  EXPECT_GE(took, std::chrono::milliseconds(1400)) << "killed before its deadline";
  EXPECT_LT(took, std::chrono::seconds(8));
}

TEST(Isolation, NativeCheckReadsTablesAcrossWorkers) {
  PluginRegistry reg;
  ASSERT_TRUE(reg.load(isolated({safe("good"), safe("checks")})).empty());
  std::string findings;
  auto* owner = const_cast<LoadedPlugin*>(reg.plugin("checks"));
  Status st = owner->run_check("test-even-rows", "{}", [&](std::string_view b) {
    findings += b;
    return Status::Ok();
  }, nullptr, &reg);
  ASSERT_TRUE(st.ok()) << st.error().format();
  EXPECT_EQ(findings, R"({"object":"test/rows","message":"saw 3 rows"})");
}

TEST(Isolation, BadPluginsGetTheSameMessagesAsInProcess) {
  PluginRegistry reg;
  auto problems = reg.load(isolated({safe("abi_major2"), safe("thrower"), safe("good")}));
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].reason.find("major versions differ"), std::string::npos) << problems[0].reason;
  EXPECT_NE(problems[1].reason.find("init failed: config file /etc/thrower.conf is missing"), std::string::npos)
      << problems[1].reason;
}
