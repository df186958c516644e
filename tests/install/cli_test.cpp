// What installing adds around the program: --version, the kubectl plugin
// link, and the man page and completions written from the help texts.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;

namespace {

const std::string kBin = KINSPECT_BIN;
const std::string kLink = std::string(KINSPECT_BUILD_DIR) + "/kubectl-kinspect";
const std::string kExample = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool have(const std::string& tool) { return run_command("command -v " + tool + " >/dev/null").exit_code == 0; }

// What bash completes after the words typed so far (the last may be partial).
std::string complete_bash(const std::string& line) {
  const std::string script = "source " + sh_quote(KINSPECT_BASH_COMPLETION) + "; read -ra COMP_WORDS <<< " +
                             sh_quote(line) + "; [[ " + sh_quote(line) + " == *' ' ]] && COMP_WORDS+=(''); " +
                             "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _kinspect; echo \"${COMPREPLY[*]}\"";
  auto r = run_command("bash -c " + sh_quote(script));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return " " + r.out.substr(0, r.out.find('\n')) + " ";
}

}  // namespace

TEST(Version, GlobalFlagPrintsWhatVersionPrints) {
  auto version = run_command(kBin + " version");
  ASSERT_EQ(version.exit_code, 0) << version.err;
  const std::string first = version.out.substr(0, version.out.find('\n') + 1);
  EXPECT_EQ(first, "kinspect " KINSPECT_VERSION "\n");
  for (const char* flag : {"--version", "-V", "-v --version", "run --version", "checks list -V"}) {
    auto r = run_command(kBin + " " + flag);
    EXPECT_EQ(r.exit_code, 0) << flag << ": " << r.err;
    EXPECT_EQ(r.out, first) << flag;
  }
  EXPECT_NE(run_command(kBin + " --help").out.find("--version"), std::string::npos);
}

TEST(KubectlPlugin, LinkRunsKinspect) {
  ASSERT_TRUE(fs::is_symlink(kLink)) << kLink << " should link to kinspect";
  EXPECT_EQ(fs::read_symlink(kLink), "kinspect");
  auto direct = run_command(kBin + " version");
  auto linked = run_command(kLink + " version");
  EXPECT_EQ(linked.exit_code, 0) << linked.err;
  EXPECT_EQ(linked.out, direct.out);
  // Run as kubectl-kinspect it still finds its plugins, checks and profiles.
  auto run = run_command(kLink + " run --snapshot " + sh_quote(kExample) + " --format json --fail-on none");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto summary = boost::json::parse(run.out).at("summary");
  EXPECT_GT(summary.at("passed").to_number<int>() + summary.at("failed").to_number<int>(), 100);
}

TEST(KubectlPlugin, KubectlFindsItOnThePath) {
  if (!have("kubectl")) GTEST_SKIP() << "kubectl is not installed (it is not in Debian 12's packages)";
  const std::string path = "PATH=" + sh_quote(std::string(KINSPECT_BUILD_DIR)) + ":\"$PATH\" ";
  auto r = run_command(path + "kubectl kinspect version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, run_command(kBin + " version").out);
  auto listed = run_command(path + "kubectl plugin list");
  EXPECT_NE(listed.out.find("kubectl-kinspect"), std::string::npos) << listed.out << listed.err;
}

TEST(ManPage, IsWhatTheProgramWritesAndNamesEveryCommand) {
  const std::string page = slurp(KINSPECT_MAN_PAGE);
  EXPECT_EQ(page, run_command(kBin + " __man").out);
  EXPECT_NE(page.find(".TH KINSPECT 1"), std::string::npos);
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SH EXIT STATUS", ".SH FILES"})
    EXPECT_NE(page.find(section), std::string::npos) << section;
  for (const char* cmd : {"run", "checks list", "plugins list", "serve", "completion", "version"})
    EXPECT_NE(page.find(".SS \"kinspect " + std::string(cmd)), std::string::npos) << cmd;
  EXPECT_NE(page.find("\\-\\-fail\\-on"), std::string::npos);
}

TEST(ManPage, FormatsWithoutWarnings) {
  if (!have("groff")) GTEST_SKIP() << "groff is not installed (apt-get install groff-base)";
  // -ww: every warning; -z: no output, only the diagnostics.
  auto r = run_command("groff -man -Tutf8 -ww -z " + sh_quote(KINSPECT_MAN_PAGE));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  // -P-cbou: plain text, no bold or underline.
  auto text = run_command("groff -man -Tutf8 -P-cbou " + sh_quote(KINSPECT_MAN_PAGE));
  EXPECT_NE(text.out.find("kinspect run"), std::string::npos);
  EXPECT_NE(text.out.find("--fail-on"), std::string::npos);
  if (have("man") && have("col")) {
    auto man = run_command("MANWIDTH=100 man -l " + sh_quote(KINSPECT_MAN_PAGE) + " | col -b");
    EXPECT_NE(man.out.find("EXIT STATUS"), std::string::npos) << man.err;
  }
}

TEST(Completion, BashCompletesCommandsOptionsAndValues) {
  if (!have("bash")) GTEST_SKIP() << "bash is not installed";
  EXPECT_EQ(slurp(KINSPECT_BASH_COMPLETION), run_command(kBin + " completion bash").out);
  const std::string top = complete_bash("kinspect ");
  for (const char* w : {" run ", " checks ", " plugins ", " snapshot ", " completion ", " version "})
    EXPECT_NE(top.find(w), std::string::npos) << w << " not in" << top;
  EXPECT_EQ(complete_bash("kinspect ru"), " run ");
  EXPECT_EQ(complete_bash("kinspect -v ru"), " run ");
  const std::string plugins = complete_bash("kinspect plugins ");
  EXPECT_NE(plugins.find(" list "), std::string::npos) << plugins;
  EXPECT_EQ(plugins.find(" run "), std::string::npos) << plugins;
  EXPECT_EQ(complete_bash("kinspect run --fail-on-"), " --fail-on-new ");
  EXPECT_EQ(complete_bash("kinspect run --profile node --sn"), " --snapshot ");
  EXPECT_EQ(complete_bash("kinspect run --fail-on w"), " warning ");
  EXPECT_EQ(complete_bash("kinspect completion "), " bash zsh ");
  EXPECT_EQ(complete_bash("kubectl-kinspect checks expl"), " explain ");
}

TEST(Completion, ZshScriptIsValid) {
  const std::string script = run_command(kBin + " completion zsh").out;
  EXPECT_EQ(slurp(KINSPECT_ZSH_COMPLETION), script);
  EXPECT_EQ(script.rfind("#compdef kinspect kubectl-kinspect\n", 0), 0u);
  EXPECT_NE(script.find("'run:"), std::string::npos);
  if (!have("zsh")) GTEST_SKIP() << "zsh is not installed (apt-get install zsh)";
  auto r = run_command("zsh -n " + sh_quote(KINSPECT_ZSH_COMPLETION));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Completion, UnknownShellIsAUsageError) {
  auto r = run_command(kBin + " completion fish");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bash or zsh, not 'fish'"), std::string::npos) << r.err;
}
