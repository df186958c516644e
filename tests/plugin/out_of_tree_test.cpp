// A third-party author's path: install the SDK, build examples/plugin-hello
// as a separate CMake project with find_package(kinspect-sdk), and load it.
#include <gtest/gtest.h>

#include <kinspect/abi.h>

#include <boost/json.hpp>
#include <filesystem>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;

TEST(OutOfTree, PluginBuiltAgainstTheInstalledSdkLoads) {
  fs::path tmp = fs::temp_directory_path() / ("kinspect-oot-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::string cmake = CMAKE_COMMAND_PATH;
  const std::string prefix = (tmp / "prefix").string();
  const std::string build = (tmp / "build").string();

  auto install = run_command(cmake + " --install " + sh_quote(KINSPECT_BUILD_DIR) + " --component sdk --prefix " +
                             sh_quote(prefix));
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  ASSERT_TRUE(fs::exists(fs::path(prefix) / "include/kinspect/abi.h"));
  ASSERT_TRUE(fs::exists(fs::path(prefix) / "include/kinspect/sdk.hpp"));

  // The plugin project sees only the installed prefix, not this tree.
  auto configure = run_command(cmake + " -S " + sh_quote(std::string(KINSPECT_SOURCE_DIR) + "/examples/plugin-hello") +
                               " -B " + sh_quote(build) + " -DCMAKE_PREFIX_PATH=" + sh_quote(prefix) +
                               " -DCMAKE_BUILD_TYPE=Release");
  ASSERT_EQ(configure.exit_code, 0) << configure.out << configure.err;
  auto compile = run_command(cmake + " --build " + sh_quote(build));
  ASSERT_EQ(compile.exit_code, 0) << compile.out << compile.err;
  ASSERT_TRUE(fs::exists(fs::path(build) / "hello.so"));

  // Only ki_plugin_entry is exported.
  auto syms = run_command("nm -D --defined-only " + sh_quote(build + "/hello.so") + " | grep -c ' T '");
  EXPECT_EQ(syms.out, "1\n") << "exported functions: " << syms.out;

  auto list = run_command(std::string(KINSPECT_BIN) + " plugins list --format json --plugin-dir " + sh_quote(build));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto v = boost::json::parse(list.out);
  ASSERT_EQ(v.at("plugins").as_array().size(), 1u) << list.out;
  const auto& hello = v.at("plugins").as_array()[0];
  EXPECT_EQ(hello.at("name").as_string(), "hello");
  EXPECT_EQ(hello.at("abi").as_string(), std::to_string(KI_ABI_MAJOR) + "." + std::to_string(KI_ABI_MINOR));
  EXPECT_EQ(hello.at("tables").as_array()[0].as_string(), "hello.greetings");

  auto table = run_command(std::string(KINSPECT_BIN) + " tables hello.repeat --plugin-dir " + sh_quote(build));
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("hello.repeat(who text, times integer?)"), std::string::npos) << table.out;
  fs::remove_all(tmp);
}
