// The tracer leaves nothing in the kernel: after `kinspect query` over
// net.drops ends normally, is interrupted (SIGINT) or terminated (SIGTERM),
// or a run's driver timeout stops the window, no program or map of the tracer is left
// (`bpftool prog list`, `bpftool map list`). And where BPF cannot be used
// (capabilities dropped, no BTF) the table is unavailable with the reason,
// and a check that reads it is not checked, never passed.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "kebpf_fixture.h"

using namespace kebpf_test;
using kinspect::testing::sh_quote;

extern char** environ;

namespace {

const std::string kKinspect = std::string(KINSPECT_BIN) + " --color never";

bool wait_for(const std::function<bool()>& cond, std::chrono::seconds within) {
  const auto end = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return cond();
}

bool attached() { return tracer_objects().find("kinspect_kfree_") != std::string::npos; }

// Starts `kinspect query` over a long window in the background.
pid_t start_long_query() {
  const std::string cmd = "exec " + kKinspect + " query " +
                          sh_quote("SELECT count(*) AS n FROM net.drops('60s')") + " >/dev/null 2>&1";
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t pid = -1;
  if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -1;
  return pid;
}

// Waits for `pid` at most 15 s; its exit status or -1.
int reap(pid_t pid) {
  for (int i = 0; i < 150; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = missing_prerequisite(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(tracer_objects(), "") << "a tracer is already loaded (another run?); cannot tell what this test leaves";
  }
  void signal_test(int sig) {
    pid_t pid = start_long_query();
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(wait_for(attached, std::chrono::seconds(15))) << "the tracer never attached";
    ::kill(pid, sig);
    EXPECT_NE(reap(pid), -1) << "kinspect did not end after signal " << sig;
    EXPECT_TRUE(wait_for([] { return tracer_objects().empty(); }, std::chrono::seconds(5)))
        << "left behind after signal " << sig << ":\n" << tracer_objects();
  }
};

}  // namespace

TEST_F(Lifecycle, NormalExitLeavesNothing) {
  auto r = run_command(kKinspect + " query --format json " + sh_quote("SELECT count(*) AS n FROM net.drops('1s')"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"n\""), std::string::npos) << r.out;
  EXPECT_EQ(tracer_objects(), "");
}

TEST_F(Lifecycle, SigintLeavesNothing) { signal_test(SIGINT); }
TEST_F(Lifecycle, SigtermLeavesNothing) { signal_test(SIGTERM); }

TEST_F(Lifecycle, DriverTimeoutLeavesNothing) {
  // The profile's checks read a 10 s window; a 2 s driver timeout stops the
  // fetch (the run kills the plugin worker) and the checks are not checked.
  const auto start = std::chrono::steady_clock::now();
  auto r = run_command(kKinspect + " run --profile network-drops --driver-timeout 2");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
  EXPECT_LT(took, std::chrono::seconds(9)) << "the timeout did not stop the window";
  EXPECT_TRUE(wait_for([] { return tracer_objects().empty(); }, std::chrono::seconds(5))) << tracer_objects();
}

TEST_F(Lifecycle, WithoutBpfCapabilitiesTheTableIsUnavailable) {
  auto r = run_command("setpriv --inh-caps=-bpf,-perfmon,-sys_admin --bounding-set=-bpf,-perfmon,-sys_admin " +
                       kKinspect + " query " + sh_quote("SELECT * FROM net.drops('1s')"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no BPF permission"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CAP_BPF"), std::string::npos) << r.err;
  EXPECT_EQ(tracer_objects(), "");
}

TEST_F(Lifecycle, WithoutBtfTheTableIsUnavailable) {
  auto r = run_command(kKinspect + " query --set network-ebpf.btf=/nonexistent/vmlinux " +
                       sh_quote("SELECT * FROM net.drops('1s')"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no BTF"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/vmlinux"), std::string::npos) << r.err;
}

TEST_F(Lifecycle, WithoutBtfTheDropChecksAreNotCheckedNeverPassed) {
  auto r = run_command(kKinspect + " run --profile network-drops --set network-ebpf.btf=/nonexistent/vmlinux");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("not checked (no BTF)"), std::string::npos) << r.out;
  // The seven checks of net.drops are not checked; the profile's eighth,
  // net-link-drops-rising, reads the network plugin's net.link_counters (no
  // BPF) and passes or fails with this machine's links.
  EXPECT_NE(r.out.find("8 checks: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", 0 errors, 7 skipped"), std::string::npos) << r.out;
}
