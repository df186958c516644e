// The Debian package: `cpack -G DEB` builds it, `dpkg-deb -c` lists what
// installing puts on a machine, and the kinspect unpacked from it into a
// temporary prefix inspects the example cluster with its own plugins, checks
// and profiles, with nothing pointing it at the build tree.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool have(const std::string& tool) { return run_command("command -v " + tool + " >/dev/null").exit_code == 0; }

// The package and its unpacked tree come from the ctest fixture
// DebianPackage.Build (build_package.cmake), made once for these tests.
class DebianPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have("dpkg-deb")) GTEST_SKIP() << "dpkg-deb is not installed";
    if (fs::exists(dir))
      for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".deb") deb = e.path().string();
    ASSERT_FALSE(deb.empty()) << "no .deb in " << dir << ": run ctest -R DebianPackage (its fixture builds it)";
    ASSERT_TRUE(fs::exists(dir / "root" / "usr" / "bin" / "kinspect")) << "the package was not unpacked";
  }

  // The unpacked kinspect, run from the temporary folder with an environment
  // that names nothing of the build (no KINSPECT_*, no configuration file).
  static kinspect::testing::CommandResult unpacked_kinspect(const std::string& args) {
    const std::string prefix = (dir / "root" / "usr").string();
    return run_command("cd " + sh_quote(dir.string()) + " && env -i PATH=/usr/bin:/bin HOME=" + sh_quote(dir.string()) +
                       " " + sh_quote(prefix + "/bin/kinspect") + " " + args);
  }

  static inline const fs::path dir = PACKAGE_DIR;
  std::string deb;
};

}  // namespace

TEST_F(DebianPackage, ListsTheProgramPluginsDataAndDocs) {
  auto listed = run_command("dpkg-deb -c " + sh_quote(deb));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const char* path : {"./usr/bin/kinspect", "./usr/bin/kubectl-kinspect -> kinspect",
                           "./usr/lib/kinspect/plugins/kube_apiserver.so", "./usr/lib/kinspect/plugins/network.so",
                           "./usr/lib/kinspect/plugins/node.so", "./usr/share/kinspect/checks/nodes.kcql",
                           "./usr/share/kinspect/profiles/", "./usr/share/man/man1/kinspect.1",
                           "./usr/share/bash-completion/completions/kinspect", "./usr/share/zsh/vendor-completions/_kinspect",
                           "./usr/share/doc/kinspect/README.md", "./usr/share/doc/kinspect/examples/cluster/pods.json"})
    EXPECT_NE(listed.out.find(path), std::string::npos) << path << " is not in the package:\n" << listed.out;
  EXPECT_EQ(listed.out.find("gtest"), std::string::npos) << "test files in the package";
  EXPECT_EQ(listed.out.find("kinspect-gen-cluster"), std::string::npos) << "the generator is not for users";
}

TEST_F(DebianPackage, ControlFieldsNameTheProject) {
  auto fields = run_command("dpkg-deb -f " + sh_quote(deb) + " Package Version Maintainer Section Depends Architecture");
  ASSERT_EQ(fields.exit_code, 0) << fields.err;
  EXPECT_NE(fields.out.find("Package: kinspect\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Version: " KINSPECT_VERSION "\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Section: admin\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Maintainer: "), std::string::npos) << fields.out;
  // The libraries the binaries link, whether dpkg-shlibdeps found them or the list did.
  for (const char* lib : {"libc6", "libyaml-cpp", "libboost-json"})
    EXPECT_NE(fields.out.find(lib), std::string::npos) << lib << " missing from Depends:\n" << fields.out;
}

TEST_F(DebianPackage, UnpackedKinspectInspectsTheExampleCluster) {
  auto r = unpacked_kinspect("run --snapshot " + sh_quote(std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster") +
                             " --format json --fail-on none");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value report = json::parse(r.out);
  const auto& summary = report.at("summary");
  EXPECT_GT(summary.at("passed").to_number<int>() + summary.at("failed").to_number<int>(), 100) << summary;
  EXPECT_GT(summary.at("failed").to_number<int>(), 0) << "the example cluster has planted problems";
  for (const auto& c : report.at("checks").as_array()) {
    const auto* cause = c.as_object().if_contains("cause");
    EXPECT_FALSE(cause && cause->is_string() && cause->as_string() == "not provided")
        << c.at("id") << ": " << c.at("reason") << " (a plugin the package should carry)";
  }
}

TEST_F(DebianPackage, UnpackedKinspectUsesItsOwnPrefix) {
  const std::string prefix = (dir / "root" / "usr").string();
  auto plugins = unpacked_kinspect("plugins list --format json");
  ASSERT_EQ(plugins.exit_code, 0) << plugins.err;
  json::value p = json::parse(plugins.out);
  EXPECT_GE(p.at("plugins").as_array().size(), 5u);
  EXPECT_TRUE(p.at("problems").as_array().empty()) << p.at("problems");
  for (const auto& plugin : p.at("plugins").as_array())
    EXPECT_EQ(std::string(plugin.at("path").as_string()).rfind(prefix + "/lib/kinspect/plugins/", 0), 0u)
        << plugin.at("path");
  auto checks = unpacked_kinspect("checks list --format json");
  ASSERT_EQ(checks.exit_code, 0) << checks.err;
  json::value c = json::parse(checks.out);
  EXPECT_GT(c.as_array().size(), 100u);
  for (const auto& check : c.as_array())
    EXPECT_EQ(std::string(check.at("source").as_string()).rfind(prefix + "/share/kinspect/checks/", 0), 0u)
        << check.at("source");
  auto version = unpacked_kinspect("--version");
  EXPECT_EQ(version.out, "kinspect " KINSPECT_VERSION "\n");
}
