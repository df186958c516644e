// The real kubectl against the test server, then the driver with the same
// kubeconfig: both must see the same nodes.
#include "fixture.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>

using namespace kapitest;
namespace json = boost::json;

namespace {

struct CmdResult {
  int code = -1;
  std::string out, err;
};

CmdResult run(const std::string& cmd, const std::string& dir) {
  CmdResult r;
  std::string errf = dir + "/stderr.txt";
  FILE* p = popen(("(" + cmd + ") 2>" + errf + " </dev/null").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  try {
    r.err = read_file(errf);
  } catch (...) {
  }
  return r;
}

const char* kubectl() {
  const char* env = std::getenv("KINSPECT_TEST_KUBECTL");
  if (env && *env) return env;
  return "/usr/bin/kubectl";
}

}  // namespace

TEST(Kubectl, SameNodesAsKubectl) {
  if (access(kubectl(), X_OK) != 0) GTEST_SKIP() << "kubectl not found at " << kubectl() << "; set KINSPECT_TEST_KUBECTL";
  EnvGuard env{"KUBECONFIG", "HOME"};
  Cluster c("kubectl");
  setenv("HOME", c.dir.c_str(), 1);
  unsetenv("KUBECONFIG");
  std::string kc = c.cert_kubeconfig();
  std::string base = std::string(kubectl()) + " --kubeconfig " + kc + " --cache-dir " + c.dir + "/cache --request-timeout 20s ";

  CmdResult ver = run(base + "version -o json", c.dir);
  ASSERT_EQ(ver.code, 0) << ver.err;
  json::value vj = json::parse(ver.out);
  EXPECT_EQ(vj.as_object()["serverVersion"].as_object()["gitVersion"].as_string(), "v1.21.1");

  CmdResult get = run(base + "get nodes -o json", c.dir);
  ASSERT_EQ(get.code, 0) << get.err << "\nserver log:\n" << [&] {
    std::string s;
    for (auto& l : c.server->log()) s += l + "\n";
    return s;
  }();
  json::value kj = json::parse(get.out);
  std::map<std::string, std::string> from_kubectl;
  for (auto& n : kj.as_object()["items"].as_array())
    from_kubectl[str(n, "metadata", "name")] = std::string(n.as_object().at("status").as_object().at("nodeInfo").as_object().at("kubeletVersion").as_string());
  ASSERT_EQ(from_kubectl.size(), 3u);

  auto p = plugin(c.config(kc));
  auto r = p->scan("k8s.nodes");
  ASSERT_TRUE(r.ok) << r.error;
  std::map<std::string, std::string> from_plugin;
  for (auto& n : r.rows) {
    from_plugin[str(n, "metadata", "name")] =
        std::string(n.as_object().at("status").as_object().at("nodeInfo").as_object().at("kubeletVersion").as_string());
    EXPECT_EQ(str(n, "kind"), "Node");
  }
  EXPECT_EQ(from_plugin, from_kubectl);
  auto pv = p->scan("k8s.version");
  ASSERT_TRUE(pv.ok) << pv.error;
  EXPECT_EQ(str(pv.rows[0], "gitVersion"), std::string(vj.as_object()["serverVersion"].as_object()["gitVersion"].as_string()));

  // What kubectl asked for (discovery and the LIST), for the record.
  std::string seen;
  for (auto& l : c.server->log()) seen += "  " + l + "\n";
  std::printf("[ kubectl  ] requests:\n%s", seen.c_str());
}
