// Errors found while a query runs, as the user sees them: `kinspect query`
// prints where in the query a scalar subquery returned several rows, and in
// `kinspect run` a check that fails while it runs is an error whose reason
// names its file, line and column in every report format that prints
// reasons (terminal, JSON, HTML, JUnit, SARIF).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
namespace fs = std::filesystem;

namespace {

const std::string kExample = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";

std::string kinspect(const std::string& args) {
  return std::string(KINSPECT_BIN) + " " + args + " --plugin-dir " PLUGIN_DIR;
}

bool have_plugins() { return fs::exists(std::string(PLUGIN_DIR) + "/kube_apiserver.so"); }

TEST(RuntimeErrorsCli, QueryNamesTheSubqueryThatReturnedSeveralRows) {
  if (!have_plugins()) GTEST_SKIP() << "kube_apiserver plugin not built";
  auto r = run_command(kinspect("query --snapshot " + kExample +
                                " 'SELECT n.metadata.name,\n  (SELECT p.metadata.name FROM k8s.pods p) AS pod\n"
                                "FROM k8s.nodes n'"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("kinspect query: <query>:2:3: error: a scalar subquery returned ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(" rows; it must return at most one\n"
                       "    (SELECT p.metadata.name FROM k8s.pods p) AS pod\n"
                       "    ^"),
            std::string::npos)
      << r.err;
}

class RuntimeErrorsRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_plugins()) GTEST_SKIP() << "kube_apiserver plugin not built";
    dir_ = fs::temp_directory_path() / ("kinspect-runtime-errors-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // Line 6: the scalar subquery at column 27; line 9: the second CHECK.
    // The third runs, so that the run checked something (else it exits 3
    // whatever --allow-incomplete says).
    std::ofstream(dir_ / "mine.kcql") << "CHECK one-pod-per-node\n"
                                         "  TITLE \"t\"\n"
                                         "  CATEGORY workloads\n"
                                         "  SEVERITY info\n"
                                         "  FROM k8s.nodes n\n"
                                         "  WHERE n.metadata.name = (SELECT p.spec.nodeName FROM k8s.pods p)\n"
                                         "  MESSAGE \"x\"\n"
                                         "\n"
                                         "CHECK every-pod\n"
                                         "  TITLE \"t\"\n"
                                         "  CATEGORY workloads\n"
                                         "  SEVERITY info\n"
                                         "  FROM k8s.pods p\n"
                                         "  MESSAGE \"{p.metadata.namespace}/{p.metadata.name}\"\n"
                                         "\n"
                                         "CHECK fine\n"
                                         "  TITLE \"t\"\n"
                                         "  CATEGORY nodes\n"
                                         "  SEVERITY info\n"
                                         "  FROM k8s.nodes n\n"
                                         "  WHERE n.spec.unschedulable\n"
                                         "  MESSAGE \"x\"\n";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The report in `format`; a findings budget of about 100 bytes a check.
  std::string report(const std::string& format) const {
    auto r = run_command(kinspect("run --snapshot " + kExample + " --no-bundled-checks --checks " + dir_.string() +
                                  " --max-check-output 0.0001 --fail-on none --allow-incomplete --format " + format));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  std::string file() const { return (dir_ / "mine.kcql").string(); }
  fs::path dir_;
};

TEST_F(RuntimeErrorsRun, EveryFormatNamesTheFileLineAndColumn) {
  const std::string subquery = file() + ":6:27: error: a scalar subquery returned ";
  const std::string budget = file() + ":9:1: error: check every-pod exceeded its output budget of 104 bytes";
  for (const char* format : {"terminal", "json", "html", "junit", "sarif"}) {
    std::string out = report(format);
    EXPECT_NE(out.find(subquery), std::string::npos) << format << ":\n" << out;
    EXPECT_NE(out.find(budget), std::string::npos) << format << ":\n" << out;
  }
}

// On the terminal a positioned error keeps its lines (the source line and
// the caret under the column), not one line with escaped newlines.
TEST_F(RuntimeErrorsRun, TerminalShowsTheSourceLineAndCaret) {
  std::string out = report("terminal");
  EXPECT_EQ(out.find("\\x0a"), std::string::npos) << out;
  const std::string source = "  WHERE n.metadata.name = (SELECT p.spec.nodeName FROM k8s.pods p)";
  size_t at = out.find(source);
  ASSERT_NE(at, std::string::npos) << out;
  size_t line_start = out.rfind('\n', at) + 1;
  size_t next = out.find('\n', at) + 1;
  size_t caret = out.find('^', next);
  ASSERT_NE(caret, std::string::npos) << out;
  // The caret is under column 27 of the source line, whatever the indent.
  EXPECT_EQ(caret - next, at - line_start + 26) << out;
}

}  // namespace
