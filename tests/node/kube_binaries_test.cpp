// node.kubernetes_binaries: the real kubectl of this machine asked for its
// version as a user would ask it, and a host root laid out as installers lay
// it out (packages in usr/bin, a merged /usr whose bin is usr/bin, GKE's
// home/kubernetes/bin), where programs print what kubelet --version and
// kubeadm version --output=json print, fail, or are not executable.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/plugin/registry.h"
#include "kube_binaries.h"
#include "tests/common/plugin_rows.h"
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::unique_ptr<kinspect::PluginRegistry> node_at(const std::string& root) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  o.config["node"] = json::serialize(json::object{{"root", root}});
  for (const auto& p : reg->load(o)) ADD_FAILURE() << p.format();
  return reg;
}

void script(const std::string& path, const std::string& body) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

std::string text(const json::object& row, const char* key) {
  const json::value* v = row.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string("<null>");
}

}  // namespace

TEST(KubernetesBinaries, VersionsAsEachProgramPrintsThem) {
  EXPECT_EQ(node::version_in_output("kubelet", "Kubernetes v1.29.4\n"), "v1.29.4");
  EXPECT_EQ(node::version_in_output("kubelet", "Kubernetes v1.30.0-eks-036c24b"), "v1.30.0-eks-036c24b");
  EXPECT_EQ(node::version_in_output("kubelet", "kubelet version unknown"), "");
  EXPECT_EQ(node::version_in_output("kubectl", R"({"clientVersion":{"major":"1","gitVersion":"v1.32.4"},"kustomizeVersion":"v5.5.0"})"),
            "v1.32.4");
  EXPECT_EQ(node::version_in_output("kubeadm", R"({"clientVersion":{"gitVersion":"v1.31.2"}})"), "v1.31.2");
  // Old kubectl printed a deprecation warning on stdout before the JSON: no version rather than a wrong one.
  EXPECT_EQ(node::version_in_output("kubectl", "WARNING: ...\n{\"clientVersion\":{}}"), "");
  EXPECT_EQ(node::version_in_output("kubeadm", "{\"clientVersion\": 3}"), "");
}

// This machine's own kubectl, when it has one: the row's version is the
// gitVersion kubectl itself prints.
TEST(KubernetesBinaries, ThisMachinesKubectl) {
  std::string found;
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin", "/opt/bin", "/home/kubernetes/bin"})
    if (found.empty() && ::access((std::string(dir) + "/kubectl").c_str(), X_OK) == 0) found = std::string(dir) + "/kubectl";
  if (found.empty()) GTEST_SKIP() << "no kubectl installed in the directories node.kubernetes_binaries reads";
  auto asked = kinspect::testing::run_command(found + " version --client --output=json");
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  const std::string expected = std::string(json::parse(asked.out).at("clientVersion").at("gitVersion").as_string());
  auto reg = node_at("/");
  auto rows = kinspect::testing::plugin_rows(*reg, "node.kubernetes_binaries");
  auto it = std::find_if(rows.begin(), rows.end(), [&](const json::object& r) { return text(r, "path") == found; });
  ASSERT_NE(it, rows.end()) << found << " has no row";
  EXPECT_EQ(text(*it, "binary"), "kubectl");
  EXPECT_EQ(text(*it, "status"), "ok") << text(*it, "error");
  EXPECT_EQ(text(*it, "version"), expected);
}

TEST(KubernetesBinaries, AHostRootAsInstallersLayItOut) {
  const std::string root = "/tmp/kinspect-kube-binaries-" + std::to_string(::getpid());
  fs::remove_all(root);
  script(root + "/usr/bin/kubelet", "[ \"$1\" = --version ] && echo 'Kubernetes v1.29.4' || exit 64");
  fs::create_directory_symlink("usr/bin", root + "/bin");  // merged /usr: one file, one row
  script(root + "/usr/local/bin/kubeadm",
         "[ \"$1 $2\" = 'version --output=json' ] || exit 64\n"
         "echo '{\"clientVersion\":{\"major\":\"1\",\"minor\":\"31\",\"gitVersion\":\"v1.31.2\"}}'");
  script(root + "/home/kubernetes/bin/kubectl", "echo 'error: unknown flag' >&2; exit 1");
  fs::create_directories(root + "/opt/bin");
  std::ofstream(root + "/opt/bin/kubectl") << "not a program\n";  // not executable: no row
  fs::create_directories(root + "/usr/local/bin/kubelet");  // a directory is no program

  auto reg = node_at(root);
  auto rows = kinspect::testing::plugin_rows(*reg, "node.kubernetes_binaries");
  fs::remove_all(root);
  std::map<std::string, json::object> by_path;
  for (const auto& r : rows) by_path[text(r, "path")] = r;
  ASSERT_EQ(by_path.size(), 3u) << json::serialize(json::value_from(rows));
  const auto& kubelet = by_path.at("/usr/bin/kubelet");
  EXPECT_EQ(text(kubelet, "version"), "v1.29.4");
  EXPECT_EQ(text(kubelet, "status"), "ok");
  EXPECT_EQ(text(by_path.at("/usr/local/bin/kubeadm"), "version"), "v1.31.2");
  const auto& broken = by_path.at("/home/kubernetes/bin/kubectl");
  EXPECT_EQ(text(broken, "status"), "error");
  EXPECT_EQ(text(broken, "version"), "<null>");
  EXPECT_NE(text(broken, "error").find("exited with 1: error: unknown flag"), std::string::npos) << text(broken, "error");
}
