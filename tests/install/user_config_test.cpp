// The configuration file for `kinspect run`'s defaults: its keys become the
// options' values unless a flag gives them, and a bad file is an error that
// names the file, line and column.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/cli/cli.h"
#include "core/cli/user_config.h"
#include "tests/common/run_command.h"

using namespace kinspect::cli;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;

namespace {

class UserConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("kinspect-config-" + std::to_string(::getpid()) + "-" +
                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  // `kinspect run`'s options (with --waivers, which the file maps too).
  po::options_description run_options() {
    po::options_description desc;
    po::positional_options_description pos;
    for (const auto& c : commands())
      if (c.name == "run") command_options(c, desc, pos);
    if (!desc.find_nothrow("waivers", false))
      desc.add_options()("waivers", po::value<std::vector<std::string>>()->composing(), "waiver files");
    return desc;
  }

  po::variables_map parse(po::options_description& desc, std::vector<std::string> args) {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    return vm;
  }

  fs::path dir;
};

const std::string kExample = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";

}  // namespace

TEST_F(UserConfigTest, KeysAreDefaultsAndFlagsWin) {
  const std::string file = write("config.yaml",
                                 "profile: node\nformat: json\nfail-on: warning\noutput: [a.json, b.html]\n"
                                 "waivers:\n  - team/waivers.yaml\n  - /etc/kinspect/waivers.yaml\n");
  auto desc = run_options();
  auto vm = parse(desc, {"--config", file, "--format", "terminal"});
  auto loaded = load_user_config(vm);
  ASSERT_TRUE(loaded.ok()) << loaded.error().format();
  auto applied = apply_user_config(*loaded, desc, vm);
  po::notify(vm);
  EXPECT_EQ(vm["format"].as<std::string>(), "terminal");  // the flag wins
  EXPECT_EQ(vm["profile"].as<std::string>(), "node");
  EXPECT_EQ(vm["fail-on"].as<std::string>(), "warning");
  EXPECT_EQ(vm["output"].as<std::vector<std::string>>(), (std::vector<std::string>{"a.json", "b.html"}));
  // Waiver files are relative to the configuration file's folder.
  EXPECT_EQ(vm["waivers"].as<std::vector<std::string>>(),
            (std::vector<std::string>{(dir / "team/waivers.yaml").string(), "/etc/kinspect/waivers.yaml"}));
  EXPECT_EQ(applied.size(), 4u);
  EXPECT_EQ(config_origin(*loaded, applied, "fail-on").value_or(""), file + ":3:10");
  EXPECT_FALSE(config_origin(*loaded, applied, "format").has_value());
}

TEST_F(UserConfigTest, GivenListsAreNotMergedWithTheFile) {
  const std::string file = write("config.yaml", "output: [from-file.json]\n");
  auto desc = run_options();
  auto vm = parse(desc, {"--config", file, "--output", "flag.json"});
  auto loaded = load_user_config(vm);
  ASSERT_TRUE(loaded.ok());
  apply_user_config(*loaded, desc, vm);
  EXPECT_EQ(vm["output"].as<std::vector<std::string>>(), (std::vector<std::string>{"flag.json"}));
}

TEST_F(UserConfigTest, UnknownKeyNamesItAndTheValidOnes) {
  const std::string file = write("config.yaml", "profile: node\nfail_on: warning\n");
  auto desc = run_options();
  auto vm = parse(desc, {"--config", file});
  auto loaded = load_user_config(vm);
  ASSERT_FALSE(loaded.ok());
  const std::string text = loaded.error().format();
  EXPECT_NE(text.find(file + ":2:1"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown key 'fail_on'"), std::string::npos) << text;
  EXPECT_NE(text.find("profile, waivers, format, output, fail-on"), std::string::npos) << text;
  EXPECT_NE(text.find("did you mean 'fail-on'"), std::string::npos) << text;
}

TEST_F(UserConfigTest, BadYamlAndBadShapesAreLocated) {
  auto desc = run_options();
  {
    const std::string file = write("broken.yaml", "profile: node\nformat: [json\n");
    auto vm = parse(desc, {"--config", file});
    auto loaded = load_user_config(vm);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().format().find(file + ":"), std::string::npos) << loaded.error().format();
    EXPECT_NE(loaded.error().format().find("invalid YAML"), std::string::npos) << loaded.error().format();
  }
  {
    const std::string file = write("shape.yaml", "fail-on: warning\nprofile: [node, network]\nformat: {a: b}\n");
    auto vm = parse(desc, {"--config", file});
    auto loaded = load_user_config(vm);
    ASSERT_FALSE(loaded.ok());
    const std::string text = loaded.error().format();
    EXPECT_NE(text.find(file + ":2:10"), std::string::npos) << text;
    EXPECT_NE(text.find(file + ":3:9"), std::string::npos) << text;
    EXPECT_NE(text.find("must be a single value"), std::string::npos) << text;
  }
  {
    const std::string file = write("list.yaml", "- profile\n");
    auto vm = parse(desc, {"--config", file});
    auto loaded = load_user_config(vm);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().format().find(file + ":1:1"), std::string::npos) << loaded.error().format();
  }
}

TEST_F(UserConfigTest, FileIsFoundUnderXdgConfigHomeThenHome) {
  const char* old_xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string saved = old_xdg ? old_xdg : "";
  ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
  EXPECT_EQ(default_user_config_path(), (dir / "kinspect" / "config.yaml").string());
  write("kinspect/config.yaml", "profile: network\n");
  auto desc = run_options();
  auto vm = parse(desc, {});
  auto loaded = load_user_config(vm);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->path, (dir / "kinspect" / "config.yaml").string());
  // --no-config: nothing is read; with --config too it is a contradiction.
  auto none = parse(desc, {"--no-config"});
  EXPECT_TRUE(load_user_config(none)->path.empty());
  auto both = parse(desc, {"--no-config", "--config", "x.yaml"});
  EXPECT_FALSE(load_user_config(both).ok());
  ::unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(default_user_config_path(), std::string(std::getenv("HOME")) + "/.config/kinspect/config.yaml");
  if (old_xdg) ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
}

// End to end: the built kinspect reads the file from $XDG_CONFIG_HOME.
TEST_F(UserConfigTest, RunTakesItsDefaultsFromTheFile) {
  write("kinspect/config.yaml", "format: json\nfail-on: none\n");
  const std::string env = "XDG_CONFIG_HOME=" + sh_quote(dir.string()) + " ";
  const std::string run = std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(kExample);
  auto r = run_command(env + run);
  ASSERT_EQ(r.exit_code, 0) << r.err;  // fail-on: none
  boost::json::value report = boost::json::parse(r.out);  // format: json
  EXPECT_GT(report.at("summary").at("failed").to_number<int>(), 0);
  // A flag wins over the file.
  auto flagged = run_command(env + run + " --format terminal --fail-on critical");
  EXPECT_EQ(flagged.exit_code, 1) << flagged.err;
  EXPECT_NE(flagged.out.substr(0, 1), "{");
  // --no-config ignores it: the built-in defaults (terminal, fail on critical).
  auto ignored = run_command(env + run + " --no-config");
  EXPECT_EQ(ignored.exit_code, 1) << ignored.err;
  EXPECT_NE(ignored.out.substr(0, 1), "{");
}

TEST_F(UserConfigTest, RunErrorsNameTheFile) {
  const std::string bad_value = write("bad-value.yaml", "fail-on: sometimes\n");
  auto r = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(kExample) + " --config " + bad_value);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sometimes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("came from " + bad_value + ":1:10"), std::string::npos) << r.err;

  const std::string bad_key = write("bad-key.yaml", "formats: json\n");
  auto k = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(kExample) + " --config " + bad_key);
  EXPECT_EQ(k.exit_code, 2);
  EXPECT_NE(k.err.find(bad_key + ":1:1"), std::string::npos) << k.err;
  EXPECT_NE(k.err.find("did you mean 'format'"), std::string::npos) << k.err;

  auto missing = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(kExample) + " --config " +
                             (dir / "absent.yaml").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("absent.yaml: cannot read"), std::string::npos) << missing.err;
}
