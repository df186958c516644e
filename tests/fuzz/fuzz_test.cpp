// Runs the fuzzers for a bounded time, as CI does: builds tests/fuzz as a
// project of its own with clang (libFuzzer, ASan, UBSan), copies the seed
// corpus (libFuzzer adds to its corpus folder), and fails on any crash,
// leak, sanitizer report or timeout it finds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;

namespace {

// Builds `target` (once per build folder; ninja skips what is up to date)
// and runs it from the seed corpus `corpus` for KINSPECT_FUZZ_SECONDS, or
// `default_seconds`.
void fuzz(const std::string& target, const std::string& corpus, const char* default_seconds) {
  if (run_command("command -v clang++").exit_code != 0)
    GTEST_SKIP() << "clang++ is not installed (scripts/setup installs it); the fuzzer needs clang's libFuzzer";
  const std::string build = std::string(FUZZ_BUILD_DIR);
  auto configure = run_command("CC=clang CXX=clang++ " CMAKE_COMMAND_PATH " -S " + sh_quote(FUZZ_SOURCE_DIR) + " -B " +
                               sh_quote(build) + " -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo");
  ASSERT_EQ(configure.exit_code, 0) << configure.out << configure.err;
  auto compile = run_command(CMAKE_COMMAND_PATH " --build " + sh_quote(build) + " --target " + target);
  ASSERT_EQ(compile.exit_code, 0) << compile.out << compile.err;

  fs::path run_corpus = fs::path(build) / ("corpus-" + target);
  fs::remove_all(run_corpus);
  fs::copy(std::string(FUZZ_SOURCE_DIR) + "/corpus/" + corpus, run_corpus, fs::copy_options::recursive);
  const char* secs = std::getenv("KINSPECT_FUZZ_SECONDS");
  std::string seconds = secs && *secs ? secs : default_seconds;
  auto run = run_command("cd " + sh_quote(build) + " && ./" + target + " -max_total_time=" + seconds +
                         " -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 " + sh_quote(run_corpus.string()));
  // libFuzzer prints its findings on stderr and exits non-zero on a crash.
  EXPECT_EQ(run.exit_code, 0) << run.err.substr(run.err.size() > 8000 ? run.err.size() - 8000 : 0);
  EXPECT_NE(run.err.find("stat::number_of_executed_units"), std::string::npos) << "the fuzzer did not run";
  EXPECT_EQ(run.err.find("ERROR: AddressSanitizer"), std::string::npos);
  EXPECT_EQ(run.err.find("runtime error:"), std::string::npos);
}

}  // namespace

TEST(Fuzz, KcqlParserAndBinderFindNoCrash) { fuzz("kcql_fuzz", "kcql", "60"); }

// The row parser against Boost.JSON's DOM parser: same rows, no crash.
TEST(Fuzz, RowParserAgreesWithBoostJson) { fuzz("rows_fuzz", "rows", "20"); }

// The kube-apiserver driver's parsers of hostile input (issue 22).
TEST(Fuzz, YamlReaderEndsWithJsonOrAnError) { fuzz("yaml_fuzz", "yaml", "15"); }
// The List splitter against Boost.JSON: the same items, spans in bounds, no crash.
TEST(Fuzz, ListSplitterAgreesWithBoostJson) { fuzz("splitter_fuzz", "splitter", "20"); }
TEST(Fuzz, KubeconfigResolverFindsNoCrash) { fuzz("kubeconfig_fuzz", "kubeconfig", "15"); }
TEST(Fuzz, SnapshotArchiveReaderFindsNoCrash) { fuzz("snapshot_fuzz", "snapshot", "15"); }
TEST(Fuzz, HelmReleaseDecoderFindsNoCrash) { fuzz("helm_fuzz", "helm", "15"); }
TEST(Fuzz, ProfileParserFindsNoCrash) { fuzz("profile_fuzz", "profile", "10"); }

// The adapters' parsers, each through its plugin's ABI as the host reads it.
TEST(Fuzz, KubeBenchAdapterFindsNoCrash) { fuzz("kube_bench_fuzz", "kube-bench", "10"); }
TEST(Fuzz, PolarisAdapterFindsNoCrash) { fuzz("polaris_fuzz", "polaris", "10"); }
TEST(Fuzz, PopeyeAdapterFindsNoCrash) { fuzz("popeye_fuzz", "popeye", "10"); }
TEST(Fuzz, KubeHunterAdapterFindsNoCrash) { fuzz("kube_hunter_fuzz", "kube-hunter", "10"); }
TEST(Fuzz, SonobuoyItemParsersFindNoCrash) { fuzz("sonobuoy_items_fuzz", "sonobuoy-items", "10"); }

// The node plugin's parsers (issue 15).
TEST(Fuzz, PrometheusTextParserEndsWithFamiliesOrALocatedError) { fuzz("prometheus_fuzz", "prometheus", "15"); }
TEST(Fuzz, NpdConfigParserAndRulesFindNoCrash) { fuzz("npd_config_fuzz", "npd-config", "15"); }
TEST(Fuzz, GrpcAnswerEndsWithAnAnswerOrAnError) { fuzz("grpc_answer_fuzz", "grpc-answer", "15"); }
// The cloud plugin: every saved call output of one provider (docs/cloud.md).
TEST(Fuzz, CloudAwsOutputsFindNoCrash) { fuzz("cloud_aws_fuzz", "cloud-aws", "10"); }
TEST(Fuzz, CloudAliyunOutputsFindNoCrash) { fuzz("cloud_aliyun_fuzz", "cloud-aliyun", "10"); }
// net.http_probe's URL splitter (issue 14).
TEST(Fuzz, ProbeUrlSplitterRoundTrips) { fuzz("url_fuzz", "probe-url", "10"); }
// Schedules of kinspect serve (core/daemon/cron.cpp).
TEST(Fuzz, CronScheduleParserFindsNextFireTimesOrALocatedError) { fuzz("cron_fuzz", "cron", "15"); }
// The debug sections of a plugin file being pinned (core/plugin/elf_debug.cpp).
TEST(Fuzz, ElfDebugSectionsLieInsideTheFileOrNothingIsLeftOut) { fuzz("elf_debug_fuzz", "elf-debug", "10"); }
