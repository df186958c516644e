// Connection resolution as kubectl does it: auth methods, merging, contexts,
// exec plugins, in-cluster, malformed kubeconfigs.
#include "fixture.h"

#include <filesystem>
#include <sys/stat.h>

using namespace kapitest;
using kitest::q;

namespace {

class Kubeconfig : public ::testing::Test {
 protected:
  EnvGuard env_{"KUBECONFIG", "HOME", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"};
  void SetUp() override {
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    setenv("HOME", temp_dir("home-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())).c_str(), 1);
  }
  static size_t node_count(kitest::PluginInstance& p, std::string* err = nullptr) {
    auto r = p.scan("k8s.nodes");
    if (!r.ok) {
      if (err) *err = r.error;
      return size_t(-1);
    }
    return r.rows.size();
  }
};

void write_script(const std::string& path, const std::string& body) {
  write_file(path, "#!/bin/sh\n" + body);
  chmod(path.c_str(), 0755);
}

}  // namespace

TEST_F(Kubeconfig, ClientCertificateFiles) {
  Cluster c("kc-certfiles");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: ca.crt\n",
                                    "    client-certificate: client.crt\n    client-key: client.key\n");
  // Relative paths resolve against the kubeconfig's folder.
  auto p = plugin(c.config(kc));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  EXPECT_NE(c.server->log().back().find("user=admin"), std::string::npos);
}

TEST_F(Kubeconfig, ClientCertificateInlineData) {
  Cluster c("kc-certdata");
  auto p = plugin(c.config(c.cert_kubeconfig()));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  EXPECT_NE(c.server->log().back().find("user=admin"), std::string::npos);
}

TEST_F(Kubeconfig, BearerTokenAndTokenFile) {
  Cluster c("kc-token");
  auto p = plugin(c.config(c.token_kubeconfig()));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  write_file(c.dir + "/tok", "good-token\n");
  std::string kc = write_kubeconfig(c.dir + "/kc2", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    tokenFile: tok\n");
  auto p2 = plugin(c.config(kc));
  EXPECT_EQ(node_count(*p2, &err), 3u) << err;
  for (auto& l : p2->logs()) EXPECT_EQ(l.message.find("good-token"), std::string::npos) << "token logged: " << l.message;
}

TEST_F(Kubeconfig, BasicAuth) {
  Cluster c("kc-basic");
  c.server->add_basic("alice", "s3cret");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    username: alice\n    password: s3cret\n");
  auto p = plugin(c.config(kc));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  EXPECT_NE(c.server->log().back().find("user=alice"), std::string::npos);
}

TEST_F(Kubeconfig, ExecPluginV1TokenWithEnvAndExecInfo) {
  Cluster c("kc-exec");
  std::string script = c.dir + "/cred.sh";
  std::string counter = c.dir + "/calls";
  write_script(script,
               "echo x >> " + counter + "\n"
               "case \"$KUBERNETES_EXEC_INFO\" in *'\"kind\":\"ExecCredential\"'*) ;; *) echo 'no exec info' >&2; exit 3;; esac\n"
               "[ \"$1\" = get-token ] || { echo \"bad args: $*\" >&2; exit 4; }\n"
               "echo \"{\\\"kind\\\":\\\"ExecCredential\\\",\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\",\\\"status\\\":{\\\"token\\\":\\\"$MY_TOKEN\\\",\\\"expirationTimestamp\\\":\\\"2000-01-01T00:00:00Z\\\"}}\"\n");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./cred.sh\n"
                                    "      args: [get-token]\n      env:\n      - name: MY_TOKEN\n        value: good-token\n"
                                    "      interactiveMode: Never\n");
  auto p = plugin(c.config(kc));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  // The credential had already expired: it is fetched again for the next request.
  EXPECT_GE(read_file(counter).size(), 4u);
}

TEST_F(Kubeconfig, ExecPluginV1beta1ClientCertificate) {
  Cluster c("kc-exec-cert");
  std::string script = c.dir + "/cred.sh";
  std::string j = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"status\":{"
                  "\"clientCertificateData\":" + q(c.certs.client_cert_pem) + ",\"clientKeyData\":" + q(c.certs.client_key_pem) +
                  ",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}";
  write_file(c.dir + "/cred.json", j);
  // provideClusterInfo: the cluster's server and CA reach the plugin.
  write_script(script, "case \"$KUBERNETES_EXEC_INFO\" in *'\"server\":\"" + c.server->url() +
                           "\"'*'certificate-authority-data'*) ;; *) echo \"no cluster info: $KUBERNETES_EXEC_INFO\" >&2; exit 5;; esac\n"
                           "cat " + c.dir + "/cred.json\n");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: " + script +
                                        "\n      provideClusterInfo: true\n");
  auto p = plugin(c.config(kc));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  EXPECT_NE(c.server->log().back().find("user=admin"), std::string::npos);
}

TEST_F(Kubeconfig, ExecPluginFailureIsReported) {
  Cluster c("kc-exec-fail");
  write_script(c.dir + "/cred.sh", "echo 'please run: cloud login' >&2\nexit 1\n");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + c.dir + "/cred.sh\n");
  auto p = plugin(c.config(kc));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), size_t(-1));
  EXPECT_NE(err.find("exit status 1"), std::string::npos) << err;
  // Its stderr went to ours, as kubectl lets it: it may hold a token, so it is never in the error.
  EXPECT_EQ(err.find("please run: cloud login"), std::string::npos) << err;
  std::string kc2 = write_kubeconfig(c.dir + "/kc2", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                     "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " + c.dir +
                                         "/cred.sh\n      interactiveMode: Always\n");
  auto p2 = plugin(c.config(kc2));
  EXPECT_EQ(node_count(*p2, &err), size_t(-1));
  EXPECT_NE(err.find("needs an interactive terminal"), std::string::npos) << err;
}

TEST_F(Kubeconfig, MergesKubeconfigListFirstWins) {
  Cluster c("kc-merge");
  // File 1: current-context, the cluster, and user "u" with a good token.
  write_file(c.dir + "/a.yaml", "apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: k\n  cluster:\n    server: " +
                                    c.server->url() + "\n    certificate-authority: " + c.certs.ca_file +
                                    "\nusers:\n- name: u\n  user:\n    token: good-token\n");
  // File 2: the contexts, a different current-context and user "u" again (ignored: first file wins).
  write_file(c.dir + "/b.yaml", "apiVersion: v1\nkind: Config\ncurrent-context: other\ncontexts:\n- name: main\n  context:\n    cluster: k\n    user: u\n"
                                "- name: other\n  context:\n    cluster: k\n    user: bad\nusers:\n- name: u\n  user:\n    token: wrong\n"
                                "- name: bad\n  user:\n    token: wrong\n");
  std::string err;
  {
    auto p = plugin(c.config(c.dir + "/a.yaml:" + c.dir + "/missing.yaml:" + c.dir + "/b.yaml"));
    EXPECT_EQ(node_count(*p, &err), 3u) << err;
  }
  {
    setenv("KUBECONFIG", (c.dir + "/a.yaml:" + c.dir + "/b.yaml").c_str(), 1);
    auto p = plugin("{\"timeout_seconds\":10}");
    EXPECT_EQ(node_count(*p, &err), 3u) << err;
    // Explicit context from the second file.
    auto p2 = plugin("{\"context\":\"other\"}");
    EXPECT_EQ(node_count(*p2, &err), size_t(-1));
    EXPECT_NE(err.find("unauthorized (401)"), std::string::npos) << err;
    auto p3 = plugin("{\"context\":\"nope\"}");
    EXPECT_EQ(node_count(*p3, &err), size_t(-1));
    EXPECT_NE(err.find("context 'nope' not found"), std::string::npos) << err;
  }
}

TEST_F(Kubeconfig, DefaultHomeKubeconfigAndMalformedFieldMessages) {
  Cluster c("kc-malformed");
  std::string home = std::getenv("HOME");
  write_kubeconfig(home + "/.kube/config", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                   "    client-certificate-data: " + base64(c.certs.client_cert_pem) + "\n    client-key-data: not*base64!\n");
  auto p = plugin("{}");
  std::string err;
  EXPECT_EQ(node_count(*p, &err), size_t(-1));
  EXPECT_EQ(err, "~/.kube/config: field 'users[0].user.client-key-data': invalid base64");

  write_file(home + "/.kube/config", "apiVersion: v1\nclusters: [\n  - {name: x\n");
  auto p2 = plugin("{}");
  EXPECT_EQ(node_count(*p2, &err), size_t(-1));
  EXPECT_NE(err.find("~/.kube/config: invalid YAML"), std::string::npos) << err;

  write_kubeconfig(home + "/.kube/config", c.server->url(), "    certificate-authority-data: " + base64("not a cert") + "\n",
                   "    token: good-token\n");
  auto p3 = plugin("{}");
  EXPECT_EQ(node_count(*p3, &err), size_t(-1));
  EXPECT_NE(err.find("field 'clusters[0].cluster.certificate-authority-data': not PEM data"), std::string::npos) << err;

  write_kubeconfig(home + "/.kube/config", c.server->url(), "    certificate-authority: missing-ca.crt\n", "    token: good-token\n");
  auto p5 = plugin("{}");
  EXPECT_EQ(node_count(*p5, &err), size_t(-1));
  EXPECT_NE(err.find("~/.kube/config: field 'clusters[0].cluster.certificate-authority': cannot read " + home +
                     "/.kube/missing-ca.crt"), std::string::npos) << err;

  write_file(home + "/.kube/config", "apiVersion: v1\ncurrent-context: x\ncontexts:\n- name: x\n  context:\n    cluster: gone\n");
  auto p4 = plugin("{}");
  EXPECT_EQ(node_count(*p4, &err), size_t(-1));
  EXPECT_NE(err.find("field 'contexts[0].context.cluster': cluster 'gone' not found"), std::string::npos) << err;
}

TEST_F(Kubeconfig, InClusterServiceAccount) {
  Cluster c("kc-incluster");
  std::string sa = c.dir + "/sa";
  write_file(sa + "/token", "good-token");
  write_file(sa + "/ca.crt", c.certs.ca_pem);
  write_file(sa + "/namespace", "default");
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", std::to_string(c.server->port()).c_str(), 1);
  auto p = plugin("{\"service_account_dir\":" + q(sa) + "}");
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  EXPECT_NE(c.server->log().back().find("user=token-user"), std::string::npos);
}

TEST_F(Kubeconfig, NoClusterAtAll) {
  auto p = plugin("{}");  // creation succeeds
  auto r = p->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "no cluster: pass --kubeconfig, set KUBECONFIG, or --snapshot");
}

TEST_F(Kubeconfig, InsecureSkipTlsVerifyWarns) {
  Cluster c("kc-insecure");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    insecure-skip-tls-verify: true\n", "    token: good-token\n");
  auto p = plugin(c.config(kc));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  EXPECT_NE(p->all_logs().find("NOT verified"), std::string::npos) << p->all_logs();
}

TEST_F(Kubeconfig, TlsServerName) {
  Cluster c("kc-sni");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(),
                                    "    certificate-authority: " + c.certs.ca_file + "\n    tls-server-name: localhost\n",
                                    "    token: good-token\n");
  auto p = plugin(c.config(kc));
  std::string err;
  EXPECT_EQ(node_count(*p, &err), 3u) << err;
  std::string kc2 = write_kubeconfig(c.dir + "/kc2", c.server->url(),
                                     "    certificate-authority: " + c.certs.ca_file + "\n    tls-server-name: wrong.example.com\n",
                                     "    token: good-token\n");
  auto p2 = plugin(c.config(kc2));
  EXPECT_EQ(node_count(*p2, &err), size_t(-1));
  EXPECT_NE(err.find("mismatch"), std::string::npos) << err;
  // A DNS name from the certificate's SANs.
  std::string kc3 = write_kubeconfig(c.dir + "/kc3", "https://localhost:" + std::to_string(c.server->port()),
                                     "    certificate-authority: " + c.certs.ca_file + "\n", "    token: good-token\n");
  auto p3 = plugin(c.config(kc3));
  EXPECT_EQ(node_count(*p3, &err), 3u) << err;
}
