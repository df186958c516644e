// deploy/krew/kinspect.yaml holds what krew requires of a plugin manifest
// (krew's index/validation: apiVersion, kind, metadata.name, spec.version as
// v-prefixed semver, shortDescription, platforms each with a selector, uri,
// sha256 and bin), and scripts/krew-manifest fills in a release's archive.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/common/run_command.h"

using kinspect::testing::run_command;
using kinspect::testing::sh_quote;
namespace fs = std::filesystem;

namespace {

const std::string kManifest = std::string(KINSPECT_SOURCE_DIR) + "/deploy/krew/kinspect.yaml";

void expect_valid_manifest(const YAML::Node& m) {
  EXPECT_EQ(m["apiVersion"].as<std::string>(""), "krew.googlecontainertools.github.com/v1alpha2");
  EXPECT_EQ(m["kind"].as<std::string>(""), "Plugin");
  // krew installs the plugin as kubectl-<name>: the name kubectl runs.
  EXPECT_EQ(m["metadata"]["name"].as<std::string>(""), "kinspect");
  const YAML::Node spec = m["spec"];
  ASSERT_TRUE(spec.IsMap());
  EXPECT_EQ(spec["version"].as<std::string>(""), "v" KINSPECT_VERSION) << "spec.version follows project() VERSION";
  const std::string short_description = spec["shortDescription"].as<std::string>("");
  EXPECT_FALSE(short_description.empty());
  EXPECT_LE(short_description.size(), 60u) << "krew's index wants a short one-liner";
  ASSERT_TRUE(spec["platforms"].IsSequence());
  ASSERT_GE(spec["platforms"].size(), 1u);
  for (const auto& p : spec["platforms"]) {
    const YAML::Node labels = p["selector"]["matchLabels"];
    ASSERT_TRUE(labels.IsMap());
    EXPECT_EQ(labels["os"].as<std::string>(""), "linux");
    EXPECT_FALSE(labels["arch"].as<std::string>("").empty());
    EXPECT_EQ(p["uri"].as<std::string>("").rfind("https://", 0), 0u) << p["uri"];
    EXPECT_TRUE(std::regex_match(p["sha256"].as<std::string>(""), std::regex("[0-9a-f]{64}"))) << p["sha256"];
    EXPECT_EQ(p["bin"].as<std::string>(""), "bin/kinspect");
    ASSERT_TRUE(p["files"].IsSequence());
    for (const auto& f : p["files"]) {
      EXPECT_FALSE(f["from"].as<std::string>("").empty());
      EXPECT_FALSE(f["to"].as<std::string>("").empty());
    }
  }
}

}  // namespace

TEST(KrewManifest, HoldsWhatKrewRequires) {
  YAML::Node m = YAML::LoadFile(kManifest);
  expect_valid_manifest(m);
  // The archive is CPack's TGZ: its top folder is what `files` unpacks.
  const std::string top = "kinspect-" KINSPECT_VERSION "-Linux";
  EXPECT_EQ(m["spec"]["platforms"][0]["files"][0]["from"].as<std::string>(), top + "/*");
  EXPECT_NE(m["spec"]["platforms"][0]["uri"].as<std::string>().find(top + ".tar.gz"), std::string::npos);
}

TEST(KrewManifest, ReleaseScriptSetsTheArchivesUriAndDigest) {
  const fs::path dir = fs::temp_directory_path() / ("kinspect-krew-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string archive = (dir / "kinspect.tar.gz").string();
  std::ofstream(archive) << "not really an archive, but it has a digest\n";
  const std::string uri = "https://downloads.test/kinspect-" KINSPECT_VERSION "-Linux.tar.gz";
  auto r = run_command(sh_quote(std::string(KINSPECT_SOURCE_DIR) + "/scripts/krew-manifest") + " " + sh_quote(archive) +
                       " " + uri);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto sum = run_command("sha256sum " + sh_quote(archive));
  const std::string digest = sum.out.substr(0, 64);
  YAML::Node m = YAML::Load(r.out);
  expect_valid_manifest(m);
  EXPECT_EQ(m["spec"]["platforms"][0]["uri"].as<std::string>(), uri);
  EXPECT_EQ(m["spec"]["platforms"][0]["sha256"].as<std::string>(), digest);
  fs::remove_all(dir);
}
