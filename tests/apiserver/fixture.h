// Shared helpers of the kube-apiserver driver tests.
#pragma once

#include "catalog.h"
#include "plugin_handle.h"
#include "test_server.h"
#include "tests/common/run_command.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

// Sanitizers keep freed memory in quarantine: RSS bounds mean nothing there.
#if defined(__SANITIZE_ADDRESS__)
#define KAPI_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define KAPI_SANITIZED 1
#endif
#endif
#ifndef KAPI_SANITIZED
#define KAPI_SANITIZED 0
#endif

namespace kapitest {

inline bool rss_meaningful() {
  if (KAPI_SANITIZED) std::printf("[ note     ] sanitizer build: RSS bound not checked\n");
  return !KAPI_SANITIZED;
}

inline kitest::PluginLibrary& library() {
  static kitest::PluginLibrary lib(KAPI_PLUGIN_PATH);
  return lib;
}

inline std::unique_ptr<kitest::PluginInstance> plugin(const std::string& config) {
  auto p = std::make_unique<kitest::PluginInstance>(library(), config);
  EXPECT_TRUE(p->created()) << p->create_error();
  return p;
}

inline std::string data(const std::string& name) { return std::string(KAPI_DATA_DIR) + "/" + name; }

inline std::string str(const boost::json::value& row, const char* a, const char* b = nullptr, const char* c = nullptr) {
  const boost::json::value* v = row.as_object().if_contains(a);
  if (v && b) v = v->is_object() ? v->as_object().if_contains(b) : nullptr;
  if (v && c) v = v->is_object() ? v->as_object().if_contains(c) : nullptr;
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::multiset<std::string> names(const kitest::ScanResult& r) {
  std::multiset<std::string> s;
  for (auto& row : r.rows) s.insert(str(row, "metadata", "name"));
  return s;
}

// Saves and restores environment variables a test changes.
class EnvGuard {
 public:
  explicit EnvGuard(std::initializer_list<const char*> vars) {
    for (const char* v : vars) {
      const char* cur = std::getenv(v);
      saved_[v] = cur ? std::optional<std::string>(cur) : std::nullopt;
    }
  }
  ~EnvGuard() {
    for (auto& [k, v] : saved_) {
      if (v) setenv(k.c_str(), v->c_str(), 1);
      else unsetenv(k.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// A test server with the corpus data, and certificates, shared by a test.
struct Cluster {
  std::string dir;
  Certs certs;
  std::unique_ptr<Server> server;
  explicit Cluster(const std::string& name) : dir(temp_dir(name)), certs(make_certs(dir)) {
    server = std::make_unique<Server>(certs);
    server->add_token("good-token", "token-user");
    server->add_collection_file("/api/v1/nodes", data("kind_nodes_NodeList.json"));
    server->add_collection_file("/api/v1/pods", data("kind_kube-system_PodList.json"));
    server->add_collection_file("/api/v1/events", data("events_EventList.json"));
    server->add_collection_file("/apis/apps/v1/deployments", data("deployments_DeploymentList.json"));
    server->set_version_json(read_file(data("kind_version.json")));
    server->set_groups_json(read_file(data("kind_APIGroupList.json")));
  }
  // kubeconfig with the cluster CA and a bearer token.
  std::string token_kubeconfig(const std::string& token = "good-token") {
    return write_kubeconfig(dir + "/kubeconfig-token", server->url(),
                            "    certificate-authority: " + certs.ca_file + "\n", "    token: " + token + "\n");
  }
  std::string cert_kubeconfig() {
    return write_kubeconfig(dir + "/kubeconfig-cert", server->url(),
                            "    certificate-authority-data: " + base64(certs.ca_pem) + "\n",
                            "    client-certificate-data: " + base64(certs.client_cert_pem) +
                                "\n    client-key-data: " + base64(certs.client_key_pem) + "\n");
  }
  std::string config(const std::string& kubeconfig, const std::string& extra = "") {
    return "{\"kubeconfig\":" + kitest::q(kubeconfig) + ",\"timeout_seconds\":10" + extra + "}";
  }
};

// The example cluster served live (tests share it: round trip, daemon).
inline const std::string kExample = std::string(KINSPECT_SOURCE_DIR) + "/examples/cluster";

// The example cluster served live: every List file of its manifest, with
// the manifest's /version. Whatever the example lacks answers 404.
inline void serve_example(Cluster& c, const std::set<std::string>& leave_out = {}) {
  boost::json::value m = boost::json::parse(read_file(kExample + "/manifest.json"));
  for (const auto& r : m.at("resources").as_array()) {
    std::string table(r.at("table").as_string());
    // /version, /readyz, /livez, /metrics and discovery are the server's own
    // answers; Helm releases are decoded from the Secrets and ConfigMaps served.
    static const std::set<std::string> kServerTables{"k8s.version", "k8s.readyz", "k8s.livez", "k8s.api_resources",
                                                     "k8s.deprecated_api_requests", "k8s.helm_release_objects"};
    if (leave_out.count(table) || kServerTables.count(table)) continue;
    // Where a real server lists it: the driver's own catalog of resources.
    const kapi::Resource* res = kapi::find_by_table(table);
    ASSERT_NE(res, nullptr) << table;
    std::filesystem::path file = std::filesystem::path(kExample) / std::string(r.at("file").as_string());
    c.server->add_collection_file(res->list_path(), file.string());
  }
  c.server->set_version_json(boost::json::serialize(m.at("cluster").at("version")));
}

// The server refuses to LIST pods at the cluster scope, as RBAC does: 403
// with the Status a real API server sends.
inline void forbid_cluster_pod_list(Server& server) {
  server.hook([](const Request& r, Response& out) {
    if (r.path != "/api/v1/pods") return false;
    out.status = 403;
    out.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods is forbidden: User \"admin\" cannot list resource \"pods\" in API group \"\" at the cluster scope","reason":"Forbidden","code":403})";
    return true;
  });
}

}  // namespace kapitest
