// node.certificates on certificates made here with the openssl tool: a CA, a
// kubelet client certificate in one .pem with its private key (as the
// kubelet writes kubelet-client-current.pem, a symlink), a serving
// certificate, a key file that is never opened and a corrupt block.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>

#include "certs.h"
#include "core/plugin/registry.h"
#include "tests/common/plugin_rows.h"
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using kinspect::testing::run_command;

TEST(Certificates, RolesExpiryAndNoKeyMaterial) {
  if (run_command("command -v openssl").exit_code != 0) GTEST_SKIP() << "the openssl tool is not installed (scripts/setup installs it)";
  const std::string root = "/tmp/kinspect-certs";
  fs::remove_all(root);
  const std::string pki = root + "/etc/kubernetes/pki", kpki = root + "/var/lib/kubelet/pki";
  fs::create_directories(pki);
  fs::create_directories(kpki);
  auto sh = [](const std::string& cmd) {
    auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
  };
  sh("cd " + pki + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=kubernetes "
     "-addext basicConstraints=critical,CA:TRUE 2>/dev/null");
  sh("cd " + kpki + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.key -out k.crt -days 5 "
     "-subj /O=system:nodes/CN=system:node:worker-1 2>/dev/null && cat k.crt k.key > kubelet-client-2025-12-01.pem && "
     "rm k.crt && mv k.key kubelet.key && ln -s kubelet-client-2025-12-01.pem kubelet-client-current.pem");
  sh("cd " + kpki + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -out kubelet.crt -days 365 "
     "-subj /CN=worker-1@1700000000 -addext subjectAltName=DNS:worker-1 2>/dev/null");
  std::ofstream(pki + "/broken.crt") << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";

  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  o.config["node"] = json::serialize(json::object{{"root", root}});
  ASSERT_TRUE(reg->load(o).empty());
  auto rows = kinspect::testing::plugin_rows(*reg, "node.certificates");
  std::map<std::string, json::object> by_path;
  for (const auto& r : rows) by_path[std::string(r.at("path").as_string())] = r;
  ASSERT_EQ(by_path.size(), 5u) << json::serialize(json::value_from(rows));
  EXPECT_EQ(by_path["/etc/kubernetes/pki/ca.crt"].at("role"), "ca");
  EXPECT_EQ(by_path["/etc/kubernetes/pki/ca.crt"].at("is_ca"), true);
  const auto& client = by_path["/var/lib/kubelet/pki/kubelet-client-current.pem"];
  EXPECT_EQ(client.at("role"), "kubelet-client");
  EXPECT_EQ(client.at("subject"), "CN=system:node:worker-1,O=system:nodes");
  // Expires in 5 days: not_after within a minute of now + 5 d.
  std::tm tm{};
  strptime(std::string(client.at("not_after").as_string()).c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  EXPECT_NEAR(static_cast<double>(timegm(&tm)), static_cast<double>(::time(nullptr) + 5 * 86400), 120.0);
  EXPECT_EQ(by_path["/var/lib/kubelet/pki/kubelet.crt"].at("role"), "kubelet-serving");
  EXPECT_EQ(json::serialize(by_path["/var/lib/kubelet/pki/kubelet.crt"].at("dns_names")), "[\"worker-1\"]");
  EXPECT_EQ(by_path["/etc/kubernetes/pki/broken.crt"].at("error"), "a CERTIFICATE block OpenSSL cannot parse");
  // The key in the .pem and the .key files: nothing of them in any row.
  const std::string all = json::serialize(json::value_from(rows));
  EXPECT_EQ(all.find("PRIVATE"), std::string::npos);
  EXPECT_EQ(all.find(".key"), std::string::npos);
  fs::remove_all(root);
}
