// The kernel log (node.kernel_log, node.kernel_events) and NPD's rules
// applied to it (node.problems, node.npd_rules): the line formats; every
// real kernel log of tests/data/node/kernel-logs recognised as the problem
// its name says, as often as the file itself says; every NPD configuration
// of tests/data/node/npd loaded or refused for its stated reason, its rules
// firing on matching lines and silent on others; and a 1 GB log streamed
// through a FIFO within the stated memory bound.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/plugin/registry.h"
#include "kernel_events.h"
#include "kernel_log.h"
#include "npd.h"
#include "tests/common/plugin_rows.h"
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kLogs = std::string(NODE_DATA_DIR) + "/kernel-logs";
const std::string kNpd = std::string(NODE_DATA_DIR) + "/npd";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

// The node plugin in this process with the given settings.
std::unique_ptr<kinspect::PluginRegistry> node_with(json::object cfg) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  if (!cfg.contains("root")) cfg["root"] = "/";
  o.config["node"] = json::serialize(cfg);
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

std::vector<json::object> rows(kinspect::PluginRegistry& reg, const std::string& table) {
  return kinspect::testing::plugin_rows(reg, table);
}

// Records assembled from text, as the plugin assembles them.
std::vector<node::KernelRecord> assemble(const std::string& text, node::ClockHint clock = {}) {
  std::vector<node::KernelRecord> out;
  node::RecordAssembler a(clock, [&](node::KernelRecord&& r) { out.push_back(std::move(r)); });
  for (const auto& l : lines_of(text)) a.line(l);
  a.finish();
  return out;
}

}  // namespace

// ---------------------------------------------------------------- formats

TEST(KernelLogFormat, KmsgRecordsWithEscapesDictionariesAndFragments) {
  auto rs = assemble(
      "6,1234,5000000,-;eth0: link up\\x0asecond line\n"
      " SUBSYSTEM=net\n"
      " DEVICE=n2\n"
      "4,1235,6500000,c;partial \n"
      "4,1236,6500001,+;rest\n"
      "3,1237,7000000,-,caller=T31;EXT4-fs error (device sda1): bad\n",
      node::ClockHint{1'700'000'000'000'000, 0});
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].message, "eth0: link up\nsecond line");  // the dictionary is not text
  EXPECT_EQ(rs[0].seq, 1234);
  EXPECT_EQ(rs[0].priority, 6);
  EXPECT_EQ(rs[0].boot_us, 5000000);
  EXPECT_EQ(rs[0].wall_us, 1'700'000'005'000'000);
  EXPECT_EQ(node::rfc3339_us(*rs[0].wall_us), "2023-11-14T22:13:25.000000Z");
  EXPECT_EQ(rs[1].message, "partial rest");
  EXPECT_EQ(rs[2].caller, "T31");
  EXPECT_EQ(rs[2].priority, 3);
  EXPECT_EQ(rs[2].format, node::LogFormat::Kmsg);
}

TEST(KernelLogFormat, DmesgJoinsUntimedLinesAndReadsCallerIds) {
  auto rs = assemble(
      "TITLE: a header line before any timed record\n"
      "\n"
      "<3>[  584.319520][   T31] INFO: t\n"
      "** replaying previous printk message **\n"
      "[  584.5] next\n");
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].format, node::LogFormat::Plain);
  EXPECT_FALSE(rs[0].boot_us);
  EXPECT_EQ(rs[1].message, "INFO: t\n** replaying previous printk message **");
  EXPECT_EQ(rs[1].caller, "T31");
  EXPECT_EQ(rs[1].priority, 3);
  EXPECT_EQ(rs[1].boot_us, 584319520);
  EXPECT_EQ(rs[1].line, 3u);
  EXPECT_EQ(rs[2].boot_us, 584500000);  // a short fraction is tenths, not microseconds
  EXPECT_FALSE(rs[2].wall_us);          // no boot time known: no wall-clock time
}

TEST(KernelLogFormat, SyslogKeepsKernelLinesWithTheirTimes) {
  node::ClockHint clock;
  clock.now_epoch_s = 1'767'225'600;  // 2026-01-01T00:00:00Z
  std::vector<node::KernelRecord> rs;
  node::RecordAssembler a(clock, [&](node::KernelRecord&& r) { rs.push_back(std::move(r)); });
  for (const char* l : {"Jan  5 15:19:27 kernel: [ 5864.708440] memorymonster invoked oom-killer: gfp_mask=0xd0",
                        "Jan  5 15:19:01 CRON[14500]: (root) CMD (touch /var/run/crond.sittercheck)",
                        "Dec 31 23:59:59 worker-1 kernel: last of the year",
                        "2025-03-04T05:06:07.250+01:00 worker-1 kernel: [   1.5] iso time"})
    a.line(l);
  a.finish();
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(a.skipped_lines(), 1u);
  EXPECT_EQ(rs[0].message, "memorymonster invoked oom-killer: gfp_mask=0xd0");
  EXPECT_EQ(rs[0].boot_us, 5864708440);
  // Jan 5 would be in the future in 2026's first hour: it is 2025's.
  EXPECT_EQ(node::rfc3339_us(*rs[0].wall_us), "2025-01-05T15:19:27.000000Z");
  EXPECT_EQ(node::rfc3339_us(*rs[1].wall_us), "2025-12-31T23:59:59.000000Z");
  EXPECT_EQ(node::rfc3339_us(*rs[2].wall_us), "2025-03-04T04:06:07.250000Z");
  EXPECT_EQ(rs[2].message, "iso time");
}

TEST(KernelLogFormat, WindowKeepsTheNewestWithinItsBound) {
  node::RecordWindow w(10 * (node::RecordWindow::kRecordOverhead + 10));
  for (int i = 0; i < 100; ++i) {
    node::KernelRecord r;
    r.index = static_cast<uint64_t>(i);
    r.message = "0123456789";
    w.push(std::move(r));
  }
  EXPECT_EQ(w.records().size(), 10u);
  EXPECT_EQ(w.dropped(), 90u);
  EXPECT_EQ(w.records().front().index, 90u);
  EXPECT_LE(w.bytes(), 10 * (node::RecordWindow::kRecordOverhead + 10));
}

TEST(KernelLogFormat, AnOverlongLineIsCutNotHeld) {
  const std::string path = ::testing::TempDir() + "/kernel-long.log";
  {
    std::ofstream out(path, std::ios::binary);
    out << "[ 1.0] before\n" << std::string(3 * node::kMaxLineBytes, 'x') << "\n[ 2.0] after\n";
  }
  std::vector<size_t> sizes;
  auto st = node::read_kernel_log(path, [&](std::string_view l) { sizes.push_back(l.size()); });
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_EQ(sizes[1], node::kMaxLineBytes);
  EXPECT_EQ(st.cut_lines, 1u);
  EXPECT_FALSE(st.device);
  try {
    node::read_kernel_log(path + ".missing", [](std::string_view) {});
    ADD_FAILURE() << "a missing log must be an error";
  } catch (const node::KernelLogError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ".missing: No such file"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- the corpus's real logs

namespace {

// The problem a corpus file's name says it holds, and how many reports of it
// the file holds, counted here from the file's own lines (not by the
// plugin's patterns).
struct Expected {
  std::string kind;
  size_t count = 0;
  std::string victim;  // oom_kill: the name in "Killed process N (name)", if the file has one
};

size_t count_lines(const std::string& text, std::initializer_list<const char*> all_of) {
  size_t n = 0;
  for (const auto& l : lines_of(text)) {
    bool all = true;
    for (const char* s : all_of) all = all && l.find(s) != std::string::npos;
    n += all;
  }
  return n;
}

Expected expected_for(const std::string& name, const std::string& text) {
  Expected e;
  if (name.find("task-hung") != std::string::npos) {
    e.kind = "hung_task";
    e.count = count_lines(text, {"INFO: task ", " blocked "});
  } else if (name.find("oom") != std::string::npos) {
    e.kind = "oom_kill";
    size_t invoked = count_lines(text, {"invoked oom-killer"});
    e.count = invoked ? invoked : count_lines(text, {"Killed process "});
    for (const auto& l : lines_of(text))
      if (size_t k = l.find("Killed process "); k != std::string::npos) {
        size_t open = l.find('(', k), close = l.find(')', k);
        e.victim = l.substr(open + 1, close - open - 1);
      }
  } else if (name.find("soft-lockup") != std::string::npos) {
    e.kind = "soft_lockup";
    e.count = count_lines(text, {"soft lockup - CPU#"});
  } else if (name.find("rcu-stall") != std::string::npos) {
    e.kind = "rcu_stall";
    e.count = count_lines(text, {"rcu_", "detected stall"});
  } else if (name.find("read-only") != std::string::npos) {
    e.kind = "fs_read_only";
    e.count = count_lines(text, {"Remounting filesystem read-only"});
  } else if (name.find("unregister-netdevice") != std::string::npos) {
    e.kind = "unregister_netdevice";
    e.count = count_lines(text, {"unregister_netdevice: waiting for"});
  }
  return e;
}

std::vector<std::string> corpus_logs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kLogs))
    if (e.path().extension() == ".log") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

class CorpusKernelLog : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusKernelLog, IsRecognisedAsTheProblemItsNameSays) {
  const std::string path = kLogs + "/" + GetParam();
  const std::string text = slurp(path);
  Expected want = expected_for(GetParam(), text);
  ASSERT_FALSE(want.kind.empty()) << "no expectation for " << GetParam() << ": name its problem in expected_for()";
  ASSERT_GT(want.count, 0u) << GetParam() << " holds no report its name promises";

  auto reg = node_with({{"kmsg_path", path}});
  auto events = rows(*reg, "node.kernel_events");
  size_t got = 0;
  for (const auto& e : events) {
    if (e.at("kind") != want.kind.c_str()) continue;
    ++got;
    if (!want.victim.empty()) {
      EXPECT_EQ(e.at("subject"), want.victim.c_str()) << json::serialize(e);
      EXPECT_EQ(e.at("scope"), GetParam().find("memcg") != std::string::npos ? "memcg" : "system") << json::serialize(e);
    }
  }
  EXPECT_EQ(got, want.count) << GetParam();

  // The log itself: every line read, the records in order.
  auto log = rows(*reg, "node.kernel_log");
  ASSERT_FALSE(log.empty());
  for (size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].at("index").as_int64(), static_cast<int64_t>(i));
}

INSTANTIATE_TEST_SUITE_P(Logs, CorpusKernelLog, ::testing::ValuesIn(corpus_logs()),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.size() - 4);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// As a user runs it: `kinspect run --profile node --set node.kmsg_path=FILE`
// names the problem the file holds, with the file's own subject.
TEST_P(CorpusKernelLog, TheNodeProfileNamesIt) {
  const std::string path = kLogs + "/" + GetParam();
  Expected want = expected_for(GetParam(), slurp(path));
  const std::map<std::string, std::string> check_of = {
      {"hung_task", "node-hung-task"},
      {"oom_kill", GetParam().find("memcg") != std::string::npos ? "node-oom-kill-memcg" : "node-oom-kill-system"},
      {"soft_lockup", "node-soft-lockup"},
      {"rcu_stall", "node-rcu-stall"},
      {"fs_read_only", "node-filesystem-remounted-read-only"},
      {"unregister_netdevice", "node-unregister-netdevice"}};
  auto r = kinspect::testing::run_command(std::string(KINSPECT_BIN) + " run --profile node --plugin-dir " + PLUGIN_DIR +
                                          " --set node.kmsg_path=" + kinspect::testing::sh_quote(path) +
                                          " --format json --fail-on none");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value rep = json::parse(r.out);
  const json::object* check = nullptr;
  for (const auto& c : rep.at("checks").as_array())
    if (c.at("id") == check_of.at(want.kind).c_str()) check = &c.as_object();
  ASSERT_NE(check, nullptr) << check_of.at(want.kind) << " did not run";
  ASSERT_EQ(check->at("status"), "fail") << json::serialize(*check);
  const std::string findings = json::serialize(check->at("findings"));
  if (!want.victim.empty()) {
    EXPECT_NE(findings.find(want.victim), std::string::npos) << findings;
  }
  EXPECT_NE(findings.find(std::to_string(want.count) + " time"), std::string::npos) << findings;
}

TEST(CorpusKernelLogNpd, BundledRulesFindWhatNpdWouldOnItsOwnSamples) {
  // NPD's own problem samples, through NPD's own current rules (bundled).
  const std::map<std::string, std::string> reason_of = {
      {"npd_task-hung_docker_blocked-120s.log", "DockerHung"},
      {"npd_task-hung_aufs-umount_blocked-120s.log", "TaskHung"},
      {"npd_unregister-netdevice.log", "UnregisterNetDevice"},
      {"npd_oom-kill_memcg.log", "OOMKilling"},
      {"npd_ext4-remount-read-only.log", "FilesystemIsReadOnly"}};
  for (const auto& [file, reason] : reason_of) {
    auto reg = node_with({{"kmsg_path", kLogs + "/" + file}});
    auto ps = rows(*reg, "node.problems");
    bool found = false;
    for (const auto& p : ps)
      if (p.at("reason") == reason.c_str()) {
        found = true;
        EXPECT_EQ(p.at("count").as_int64(), 1) << file;
        EXPECT_FALSE(p.at("lines").as_array().empty());
      }
    EXPECT_TRUE(found) << file << ": no " << reason;
  }
}

// ---------------------------------------------------------------- NPD configurations

namespace {

// Real kernel and daemon wording for each reason NPD's configurations name:
// a rule must fire on one of its reason's lines.
const std::map<std::string, std::vector<std::string>>& samples() {
  static const std::map<std::string, std::vector<std::string>> s = {
      {"OOMKilling",
       {"Killed process 1012 (heapster) total-vm:327128kB, anon-rss:306328kB, file-rss:11132kB, shmem-rss:12345kB",
        "Memory cgroup out of memory: Kill process 1012 (heapster) score 1035 or sacrifice child\n"
        "Killed process 1012 (heapster) total-vm:327128kB, anon-rss:306328kB, file-rss:11132kB, shmem-rss:12345kB"}},
      {"TaskHung", {"INFO: task umount.aufs:21568 blocked for more than 120 seconds."}},
      {"DockerHung", {"INFO: task docker:20744 blocked for more than 120 seconds."}},
      {"UnregisterNetDevice", {"unregister_netdevice: waiting for lo to become free. Usage count = 1"}},
      {"KernelOops",
       {"BUG: unable to handle kernel NULL pointer dereference at 0000000000000008", "divide error: 0000 [#1] SMP",
        "System encountered a non-fatal error in kernel"}},
      {"Ext4Error", {"EXT4-fs error (device sda1): ext4_find_entry:1463: inode #2: comm ls: reading directory lblock 0"}},
      {"Ext4Warning", {"EXT4-fs warning (device sda1): ext4_dx_add_entry:2236: Directory index full!"}},
      {"IOError", {"Buffer I/O error on dev sdb1, logical block 0, async page read"}},
      {"XfsHasShutdown", {"XFS (sdb1): Corruption of in-memory data detected.  Shutting down filesystem"}},
      {"MemoryReadError", {"CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x1f)"}},
      {"CperHardwareErrorCorrected", {"{1}[Hardware Error]: event severity: corrected"}},
      {"CperHardwareErrorRecoverable", {"{2}[Hardware Error]: event severity: recoverable"}},
      {"CperHardwareErrorFatal", {"{3}[Hardware Error]: event severity: fatal"}},
      {"FilesystemIsReadOnly", {"EXT4-fs (sda1): Remounting filesystem read-only"}},
      {"CorruptDockerImage",
       {"Error trying v2 registry: failed to register layer: rename /var/lib/docker/image/overlay2/layerdb/tmp/a "
        "/var/lib/docker/image/overlay2/layerdb/sha256/b: directory not empty"}},
      {"CorruptDockerOverlay2", {"error=\"returned error: readlink /var/lib/docker/overlay2/l/ABCDEF: invalid argument\""}},
      {"DockerContainerStartupFailure", {"OCI runtime start failed: container process is already dead: unknown"}},
      {"KubeletStart", {"Started Kubernetes kubelet."}},
      {"DockerStart", {"Starting Docker Application Container Engine..."}},
      {"ContainerdStart", {"Starting containerd container runtime..."}},
      {"DiskBadBlock", {"Device: /dev/sda [SAT], 128 Currently unreadable (pending) sectors"}},
      {"CCPPCrash", {"Process 1234 (bash) crashed in main()"}},
      {"UncaughtException", {"Process 1234 (python3) of user 1000 encountered an uncaught Python exception"}},
      {"XorgCrash", {"Display server Xorg crash in /usr/bin/Xorg"}},
      {"VMcore", {"System encountered a fatal error in kernel"}},
  };
  return s;
}

const char* const kBenign[] = {
    "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)",
    "eth0: renamed from veth3a1b2c",
    "cni0: port 2(veth3a1b2c) entered forwarding state",
    "EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.",
    "systemd[1]: Started Session 3 of user root.",
    "audit: type=1400 audit(1700000000.000:42): apparmor=\"STATUS\" operation=\"profile_load\"",
};

// Runs one configuration's rules over `text` (one record per line), as if
// the configuration read the kernel log: what each rule index matched.
std::map<size_t, uint64_t> run_rules(node::NpdConfig c, const std::string& text) {
  c.applies = true;
  for (auto& r : c.rules)
    if (r.status.rfind("not applied", 0) == 0) r.status = "ok";
  std::vector<node::NpdConfig> cs{c};
  node::NpdMatcher m(cs);
  for (auto& r : assemble(text)) m.add(r);
  std::map<size_t, uint64_t> out;
  for (const auto& p : m.problems()) out[p.rule->index] = p.count;
  return out;
}

std::vector<node::NpdConfig> corpus_configs() {
  std::vector<std::string> errors;
  auto cs = node::load_npd_dir(kNpd + "/config", errors);
  for (const auto& e : errors) ADD_FAILURE() << e;
  return cs;
}

}  // namespace

TEST(NpdConfigs, EveryCorpusConfigurationLoadsOrSaysWhyItDoesNotApply) {
  auto cs = corpus_configs();
  // 15 JSON files, and the ConfigMap's 3 JSON entries.
  ASSERT_EQ(cs.size(), 18u);
  std::map<std::string, std::string> verdict;
  for (const auto& c : cs) verdict[fs::path(c.file).filename().string()] = c.applies ? "applies" : c.not_applied;
  EXPECT_EQ(verdict["kernel-monitor.json"], "applies");
  EXPECT_EQ(verdict["readonly-monitor.json"], "applies");
  EXPECT_EQ(verdict["kernel-monitor-filelog.json"], "applies");  // /var/log/kern.log holds the kernel log
  EXPECT_EQ(verdict["deployment_node-problem-detector-config_ConfigMap.yaml:data.kernel-monitor.json"], "applies");
  EXPECT_EQ(verdict["docker-monitor.json"], "reads the journal of dockerd, not the kernel log");
  EXPECT_EQ(verdict["custom-plugin-monitor.json"],
            "a custom plugin monitor: its rules run programs (path), which kinspect does not do");
  EXPECT_EQ(verdict["system-stats-monitor.json"],
            "not a problem monitor: no rules (a system-stats-monitor configuration, for example)");
  EXPECT_EQ(verdict["disk-log-message-filelog.json"], "reads /var/log/messages, not the kernel log");
  for (const auto& c : cs)
    for (const auto& r : c.rules)
      EXPECT_TRUE(r.status == "ok" || r.status.rfind("not applied: ", 0) == 0) << c.file << " rule " << r.index << ": " << r.status;
}

TEST(NpdConfigs, EveryPatternRuleFiresOnItsLinesAndIsSilentOnOthers) {
  size_t tested = 0;
  for (const auto& c : corpus_configs()) {
    for (const auto& r : c.rules) {
      if (r.pattern.empty()) continue;  // custom plugins: a program, not a pattern
      SCOPED_TRACE(c.file + " rule " + std::to_string(r.index) + " (" + r.reason + ")");
      ASSERT_TRUE(samples().count(r.reason)) << "no sample line for reason " << r.reason;
      bool fired = false;
      for (const auto& line : samples().at(r.reason)) {
        std::string log;
        for (const char* b : kBenign) log += std::string(b) + "\n";
        fired = fired || run_rules(c, log + line + "\n" + kBenign[0] + "\n").count(r.index);
      }
      EXPECT_TRUE(fired) << r.pattern;
      std::string benign;
      for (const char* b : kBenign) benign += std::string(b) + "\n";
      EXPECT_FALSE(run_rules(c, benign).count(r.index)) << r.pattern;
      ++tested;
    }
  }
  EXPECT_GE(tested, 40u);
}

TEST(NpdConfigs, MultiLineRuleNeedsBothLinesInItsBuffer) {
  // The ConfigMap's OOMKilling rule spans two lines: "Kill process ..." then "Killed process ...".
  const node::NpdConfig* cm = nullptr;
  auto cs = corpus_configs();
  for (const auto& c : cs)
    if (c.file.find("ConfigMap.yaml:data.kernel-monitor.json") != std::string::npos) cm = &c;
  ASSERT_NE(cm, nullptr);
  ASSERT_EQ(cm->rules[0].reason, "OOMKilling");
  EXPECT_TRUE(cm->rules[0].multiline);
  const std::string oom = slurp(kLogs + "/npd_oom-kill_memcg.log");
  EXPECT_EQ(run_rules(*cm, oom)[0], 1u);
  // Only the second line: no match.
  EXPECT_FALSE(run_rules(*cm, lines_of(oom)[1] + "\n").count(0));
  // The lines apart by more than bufferSize (10): no match either.
  std::string apart = lines_of(oom)[0] + "\n";
  for (int i = 0; i < 10; ++i) apart += std::string(kBenign[1]) + "\n";
  EXPECT_FALSE(run_rules(*cm, apart + lines_of(oom)[1] + "\n").count(0));
}

TEST(NpdConfigs, OlderSchemasAreRead) {
  // Written for this test in the shape of NPD's configurations before v0.4
  // (no plugin, no lookback: the log is told by logPath) and of v0.8, with
  // the cases the real release files (next test) do not have.
  auto old = node::parse_npd_config(R"({
    "logPath": "/var/log/kern.log", "bufferSize": 10, "source": "kernel-monitor",
    "conditions": [{"type": "KernelDeadlock", "reason": "KernelHasNoDeadlock", "message": "kernel has no deadlock"}],
    "rules": [{"type": "temporary", "reason": "OOMKilling", "pattern": "Kill process \\d+ (.+) score \\d+ or sacrifice child"},
              {"type": "permanent", "condition": "KernelDeadlock", "reason": "DockerHung",
               "pattern": "task docker:\\w+ blocked for more than \\w+ seconds\\."}]})",
                                    "v0.3-kernel-monitor.json");
  EXPECT_EQ(old.plugin, "filelog");
  EXPECT_TRUE(old.applies);
  EXPECT_EQ(old.lookback, "");
  ASSERT_EQ(old.rules.size(), 2u);
  EXPECT_EQ(old.rules[1].condition, "KernelDeadlock");
  auto v08 = node::parse_npd_config(R"({"plugin": "kmsg", "logPath": "/dev/kmsg", "lookback": "5m", "bufferSize": 10,
    "source": "kernel-monitor", "conditions": [], "rules": [{"type": "temporary", "reason": "TaskHung",
    "pattern": "task \\S+:\\w+ blocked for more than \\w+ seconds\\."}]})",
                                    "v0.8-kernel-monitor.json");
  EXPECT_TRUE(v08.applies);
  EXPECT_EQ(v08.lookback, "5m");
  auto journald_kernel = node::parse_npd_config(
      R"({"plugin": "journald", "pluginConfig": {"source": "kernel"}, "logPath": "/var/log/journal", "source": "k",
          "rules": []})",
      "journald-kernel.json");
  EXPECT_TRUE(journald_kernel.applies);
}

// NPD's own configuration files from old releases (v0.2.0, before `plugin`
// and `lookback`; v0.3.0 and v0.4.1 with journald; v0.8.0), copied unedited
// (tests/data/node/npd/SOURCES.md): each loads; those that read the kernel
// log apply, the others say why not; and every kernel rule whose problem a
// corpus kernel log holds finds it there and nothing in benign lines.
TEST(NpdConfigs, RealConfigurationsOfOldReleasesLoadAndFire) {
  const std::map<std::string, std::string> log_of = {
      {"TaskHung", "npd_task-hung_docker_blocked-120s.log"},
      {"DockerHung", "npd_task-hung_docker_blocked-120s.log"},
      {"AUFSUmountHung", "npd_task-hung_aufs-umount_blocked-120s.log"},
      // A 3.13 kernel's lines: before v0.8 the rule ends at file-rss, and
      // NPD anchors a pattern at the end of its buffer (`\z`), so a newer
      // kernel's line (with shmem-rss after it) is not theirs; v0.8 added `.*`.
      {"OOMKilling", "cadvisor_syslog_memcg-oom-kill_ubuntu-3.13.log"},
      {"UnregisterNetDevice", "npd_unregister-netdevice.log"},
      {"UnregisterNetDeviceIssue", "npd_unregister-netdevice.log"},
  };
  std::string benign;
  for (const char* line : kBenign) benign += std::string(line) + "\n";
  size_t files = 0, kernel_configs = 0, fired = 0;
  for (const auto& e : fs::directory_iterator(std::string(NODE_DATA_DIR) + "/npd/releases")) {
    SCOPED_TRACE(e.path().filename().string());
    ++files;
    node::NpdConfig c = node::parse_npd_config(slurp(e.path().string()), e.path().filename().string());
    const bool kernel = c.source == "kernel-monitor";
    EXPECT_EQ(c.applies, kernel) << c.not_applied;
    if (!kernel) {
      EXPECT_FALSE(c.not_applied.empty()) << "a configuration that does not apply must say why";
      continue;
    }
    ++kernel_configs;
    ASSERT_FALSE(c.rules.empty());
    for (const auto& r : c.rules) {
      EXPECT_EQ(r.status, "ok") << r.reason << ": " << r.pattern;
      EXPECT_FALSE(run_rules(c, benign).count(r.index)) << r.reason << " fired on benign lines";
      auto log = log_of.find(r.reason);
      if (log == log_of.end()) continue;
      EXPECT_GE(run_rules(c, slurp(kLogs + "/" + log->second))[r.index], 1u) << r.reason << " on " << log->second;
      ++fired;
      if (r.reason == "OOMKilling") {
        const bool open_ended = r.pattern.size() >= 2 && r.pattern.substr(r.pattern.size() - 2) == ".*";
        EXPECT_EQ(run_rules(c, slurp(kLogs + "/npd_oom-kill_memcg.log")).count(r.index) > 0, open_ended)
            << "as NPD: a pattern matches only up to the end of the record";
      }
    }
  }
  EXPECT_EQ(files, 11u);
  EXPECT_EQ(kernel_configs, 7u) << "kernel-monitor(-filelog).json of each release";
  EXPECT_GE(fired, 7u * 2) << "at least OOMKilling and TaskHung in each kernel configuration";
}

TEST(NpdConfigs, BadConfigurationsNameFileLineAndField) {
  auto error_of = [](const std::string& text) {
    try {
      node::parse_npd_config(text, "bad.json");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_of("{\n  \"rules\": [\n    {\"type\": }\n]}").rfind("bad.json:3:", 0), 0u) << error_of("{\n \"rules\": [{,]}");
  EXPECT_EQ(error_of(R"({"rules": "none"})"), "bad.json: rules: expected an array, got \"none\"");
  EXPECT_EQ(error_of(R"({"bufferSize": "ten", "rules": []})"), "bad.json: bufferSize: expected a positive integer, got \"ten\"");
  EXPECT_EQ(error_of(R"({"plugin": "kmsg", "rules": [{"type": "temporary", "reason": 5}]})"),
            "bad.json: rules[0].reason: expected a string, got 5");
  EXPECT_EQ(error_of("[1]"), "bad.json:1:1: expected a JSON object (an NPD monitor configuration)");
}

TEST(NpdConfigs, AnRe2IncompatiblePatternIsReportedAndTheOtherRulesRun) {
  const std::string dir = ::testing::TempDir() + "/npd-re2";
  fs::create_directories(dir);
  std::ofstream(dir + "/kernel.json") << R"({"plugin": "kmsg", "logPath": "/dev/kmsg", "source": "kernel-monitor",
    "rules": [{"type": "temporary", "reason": "Lookahead", "pattern": "task (?=docker)\\S+"},
              {"type": "temporary", "reason": "Backreference", "pattern": "(a)\\1"},
              {"type": "sometimes", "reason": "BadType", "pattern": "x"},
              {"type": "temporary", "reason": "TaskHung", "pattern": "task \\S+:\\w+ blocked for more than \\w+ seconds\\."}]})";
  std::ofstream(dir + "/broken.json") << "{\"rules\": [";
  auto reg = node_with({{"kmsg_path", kLogs + "/npd_task-hung_docker_blocked-120s.log"}, {"npd_config_dir", dir}});
  auto rules = rows(*reg, "node.npd_rules");
  std::map<std::string, std::string> status;
  for (const auto& r : rules)
    status[r.at("reason").is_null() ? std::string("(file)") : std::string(r.at("reason").as_string())] =
        std::string(r.at("status").as_string());
  EXPECT_EQ(status["Lookahead"].rfind("error: RE2 cannot compile the pattern: invalid perl operator: (?=", 0), 0u)
      << status["Lookahead"];
  EXPECT_EQ(status["Backreference"].rfind("error: RE2 cannot compile the pattern: invalid escape sequence: \\1", 0), 0u)
      << status["Backreference"];
  EXPECT_EQ(status["BadType"], "error: type must be temporary or permanent, got 'sometimes'");
  EXPECT_EQ(status["TaskHung"], "ok");
  EXPECT_EQ(status["(file)"].rfind("error: " + dir + "/broken.json:1:", 0), 0u) << status["(file)"];
  auto ps = rows(*reg, "node.problems");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].at("reason"), "TaskHung");
  EXPECT_EQ(ps[0].at("file").as_string(), dir + "/kernel.json");
  EXPECT_EQ(ps[0].at("count").as_int64(), 1);
}

// ---------------------------------------------------------------- sources

TEST(KernelLogSource, ThisMachinesKmsgHasWallClockTimes) {
  if (::access("/dev/kmsg", R_OK) != 0) GTEST_SKIP() << "/dev/kmsg is not readable here: " << std::strerror(errno);
  auto reg = node_with({});
  auto log = rows(*reg, "node.kernel_log");
  ASSERT_FALSE(log.empty()) << "a readable /dev/kmsg has at least the boot's first record";
  EXPECT_EQ(log[0].at("format"), "kmsg");
  ASSERT_TRUE(log[0].at("time").is_string());
  // The first record is from this boot: its time is no later than now.
  int64_t t = *node::parse_rfc3339_us(std::string(log[0].at("time").as_string()));
  EXPECT_LE(t / 1000000, ::time(nullptr) + 1);
}

TEST(KernelLogSource, NoKmsgUnderTheRootIsUnavailableNotEmpty) {
  const std::string root = ::testing::TempDir() + "/root-without-kmsg";
  fs::create_directories(root);
  auto reg = node_with({{"root", root}});
  for (const char* t : {"node.kernel_log", "node.kernel_events", "node.problems"}) {
    std::string err = kinspect::testing::scan_error(*reg, t);
    EXPECT_NE(err.find("no kernel log"), std::string::npos) << t << ": " << err;
    EXPECT_NE(err.find(root + "/dev/kmsg"), std::string::npos) << err;
  }
  // The rules themselves do not need the log.
  EXPECT_FALSE(rows(*reg, "node.npd_rules").empty());
}

TEST(KernelLogSource, AGivenPathThatIsMissingIsAnError) {
  auto reg = node_with({{"kmsg_path", "/nonexistent/kern.log"}});
  std::string err = kinspect::testing::scan_error(*reg, "node.kernel_log");
  EXPECT_NE(err.find("cannot open kernel log /nonexistent/kern.log: No such file or directory"), std::string::npos) << err;
}

namespace {
int64_t vm_hwm_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}
}  // namespace

TEST(KernelLogSource, AGigabyteThroughAFifoStaysWithinTheBound) {
#ifdef KINSPECT_SANITIZED
  GTEST_SKIP() << "AddressSanitizer keeps freed memory in quarantine (256 MiB), so peak memory says nothing of the bound";
#endif
  // The stated bound (docs/node.md): kernel_log_max_bytes for the records
  // kept, plus at most 8 MiB for the events kept, the read buffer and NPD's
  // line buffers, whatever the log's length.
  const int64_t max_bytes = 8 << 20;
  const int64_t bound_kib = (max_bytes + (8 << 20)) / 1024;
  const std::string fifo = ::testing::TempDir() + "/kernel-1g.fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // One MiB of ordinary kernel lines with one hung task planted, 1024 times.
  std::string chunk;
  for (int i = 0; chunk.size() < (1 << 20) - 200; ++i)
    chunk += "[" + std::to_string(100000 + i) + ".000000] cni0: port " + std::to_string(i % 64) +
             "(veth3a1b2c) entered forwarding state\n";
  chunk += "[999999.000000] INFO: task kubelet:1234 blocked for more than 120 seconds.\n";
  const size_t chunks = (1ull << 30) / chunk.size() + 1;

  auto reg = node_with({{"kmsg_path", fifo}, {"kernel_log_max_bytes", max_bytes}});
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS
  const int64_t before = vm_hwm_kib();
  // The write end is open before the plugin opens the FIFO (O_RDWR does not
  // wait for a reader): a reader that found no writer would read EOF at once.
  // Writes wait at most 60 s for the reader to make room, so a scan that
  // stops reading fails this test instead of hanging it.
  const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0) << fifo << ": " << std::strerror(errno);
  std::thread writer([&] {
    for (size_t i = 0; i < chunks; ++i)
      for (size_t done = 0; done < chunk.size();) {
        ssize_t n = ::write(fd, chunk.data() + done, chunk.size() - done);
        if (n > 0) {
          done += size_t(n);
          continue;
        }
        struct pollfd p{fd, POLLOUT, 0};
        if (n < 0 && (errno == EAGAIN || errno == EINTR) && ::poll(&p, 1, 60000) != 0) continue;
        ADD_FAILURE() << "the plugin stopped reading the kernel log after " << i << " MiB";
        ::close(fd);
        return;
      }
    ::close(fd);  // the last writer: the plugin reads EOF
  });
  auto ps = rows(*reg, "node.problems");
  writer.join();
  const int64_t grew = vm_hwm_kib() - before;
  ::unlink(fifo.c_str());
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].at("reason"), "TaskHung");
  EXPECT_EQ(ps[0].at("count").as_int64(), static_cast<int64_t>(chunks));
  EXPECT_GE(chunks * chunk.size(), 1ull << 30);
  EXPECT_LT(grew, bound_kib) << "peak memory grew by " << grew << " KiB reading " << chunks << " MiB";
  std::printf("[ info ] 1 GiB kernel log: peak memory grew by %lld KiB (bound %lld KiB)\n", static_cast<long long>(grew),
              static_cast<long long>(bound_kib));
  auto events = rows(*reg, "node.kernel_events");
  EXPECT_EQ(events.size(), chunks);
  auto log = rows(*reg, "node.kernel_log");
  EXPECT_LE(log.size() * node::RecordWindow::kRecordOverhead, static_cast<size_t>(max_bytes));
  EXPECT_GT(log.front().at("index").as_int64(), 0);  // the oldest were not kept
}
