// The heap on transparent huge pages (core/util/huge_pages.h): when kinspect
// asks for them, and that it never overrides what the user set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/util/huge_pages.h"
#include "tests/common/run_command.h"

using kinspect::testing::run_command;

namespace kinspect {
namespace {

TEST(HugePages, TunableIsAddedNeverOverridden) {
  EXPECT_EQ(tunables_with_huge_pages(nullptr), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(tunables_with_huge_pages(""), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(tunables_with_huge_pages("glibc.malloc.arena_max=2"), "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
  EXPECT_EQ(tunables_with_huge_pages("glibc.malloc.hugetlb=0"), "glibc.malloc.hugetlb=0");
  EXPECT_EQ(tunables_with_huge_pages("glibc.malloc.hugetlb=2:glibc.malloc.arena_max=2"),
            "glibc.malloc.hugetlb=2:glibc.malloc.arena_max=2");
}

TEST(HugePages, OnlyWhereTheKernelGivesThemOnRequest) {
  EXPECT_TRUE(huge_pages_on_request("always [madvise] never\n"));
  EXPECT_FALSE(huge_pages_on_request("[always] madvise never\n"));  // every heap has them already
  EXPECT_FALSE(huge_pages_on_request("always madvise [never]\n"));  // none can have them
  EXPECT_FALSE(huge_pages_on_request(""));                          // no such file (no THP in the kernel)
}

// What the restarted process does first: GLIBC_TUNABLES back as the user
// had it (set, or unset), the note of it gone, and the heap known to be on
// huge pages all the same.
TEST(HugePages, TheRestartedProcessPutsTheEnvironmentBack) {
  ::setenv("KINSPECT_GLIBC_TUNABLES_BEFORE", "=glibc.malloc.arena_max=2", 1);
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1", 1);
  restore_environment_after_restart();
  ASSERT_NE(std::getenv("GLIBC_TUNABLES"), nullptr);
  EXPECT_STREQ(std::getenv("GLIBC_TUNABLES"), "glibc.malloc.arena_max=2");
  EXPECT_EQ(std::getenv("KINSPECT_GLIBC_TUNABLES_BEFORE"), nullptr);
  EXPECT_TRUE(heap_on_huge_pages());

  ::setenv("KINSPECT_GLIBC_TUNABLES_BEFORE", "-", 1);
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
  restore_environment_after_restart();
  EXPECT_EQ(std::getenv("GLIBC_TUNABLES"), nullptr);
  EXPECT_EQ(std::getenv("KINSPECT_GLIBC_TUNABLES_BEFORE"), nullptr);
}

std::string thp_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// End to end: `kinspect query` starts again with the tunable, the same
// command's output and exit code as without; a user's setting wins.
TEST(HugePages, QueryStartsAgainWithTheTunable) {
  const std::string query = std::string(KINSPECT_BIN) + " query -vv --snapshot " KINSPECT_SOURCE_DIR
                            "/examples/cluster --plugin-dir " PLUGIN_DIR " --format json \"SELECT 1 AS x\"";
  const std::string line = "[memory] the heap asks for transparent huge pages";
  auto off = run_command("env GLIBC_TUNABLES=glibc.malloc.hugetlb=0 " + query);
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.err.find(line), std::string::npos) << off.err;
  if (!huge_pages_on_request(thp_mode()))
    GTEST_SKIP() << "transparent huge pages are not 'madvise' here (" << thp_mode()
                 << "): kinspect has no reason to start again";
  auto on = run_command("env -u GLIBC_TUNABLES " + query);
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_NE(on.err.find(line), std::string::npos) << on.err;
  EXPECT_EQ(on.out, off.out);
  EXPECT_NE(on.out.find("\"x\""), std::string::npos) << on.out;
}

}  // namespace
}  // namespace kinspect
