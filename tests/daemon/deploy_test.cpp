// deploy/ passes kinspect's own checks: the manifests, with the Pod the
// Deployment would run, inspected as a snapshot report nothing above info,
// and the pod-level security checks really ran on that Pod. And the shipped
// read-only role grants every table the inspection profiles read.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "catalog.h"

#include "tests/common/run_command.h"

using namespace kinspect::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

TEST(Deploy, ManifestsPassTheWorkloadAndSecurityChecks) {
  if (run_command("python3 -c 'import yaml'").exit_code != 0)
    GTEST_SKIP() << "python3 with PyYAML (Debian python3-yaml) is needed to expand the Deployment into its Pod";
  const fs::path out = fs::temp_directory_path() / ("kinspect-deploy-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string src = KINSPECT_SOURCE_DIR;
  auto made = run_command("python3 " + sh_quote(src + "/tests/daemon/scripts/deploy_snapshot.py") + " " +
                          sh_quote(src + "/deploy") + " " + sh_quote(out.string()));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(made.out, "1\n") << "one Deployment expanded into its Pod";
  auto run = run_command(std::string(KINSPECT_BIN) + " run --snapshot " + sh_quote(out.string()) + " --plugin-dir " +
                         sh_quote(KINSPECT_PLUGIN_DIR) + " --format json --fail-on none --allow-incomplete");
  fs::remove_all(out);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::value r = json::parse(run.out);
  std::set<std::string> passed;
  for (const auto& c : r.at("checks").as_array()) {
    if (c.at("status").as_string() == "pass") passed.insert(std::string(c.at("id").as_string()));
    for (const auto& f : c.at("findings").as_array())
      EXPECT_EQ(f.at("severity").as_string(), "info") << c.at("id").as_string() << ": " << f.at("message").as_string();
  }
  for (const char* id : {"run-as-root", "run-as-non-root-not-enforced", "dangerous-capabilities"})
    EXPECT_TRUE(passed.count(id)) << id << " did not run on the Deployment's Pod";
}

namespace {

// What a ClusterRole grants: "group/resource" readable with get and list,
// and the non-resource URLs readable with get.
struct Grants {
  std::set<std::string> resources, urls;
};

bool has_verb(const YAML::Node& verbs, const std::string& verb) {
  for (const auto& v : verbs)
    if (v.as<std::string>() == verb || v.as<std::string>() == "*") return true;
  return false;
}

Grants cluster_role(const std::string& file, const std::string& name) {
  Grants g;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(file)) {
    if (!doc["kind"] || doc["kind"].as<std::string>() != "ClusterRole" || doc["metadata"]["name"].as<std::string>() != name)
      continue;
    for (const auto& rule : doc["rules"]) {
      const bool get = has_verb(rule["verbs"], "get"), list = has_verb(rule["verbs"], "list");
      for (const auto& url : rule["nonResourceURLs"])
        if (get) g.urls.insert(url.as<std::string>());
      for (const auto& group : rule["apiGroups"])
        for (const auto& res : rule["resources"])
          if (get && (list || res.as<std::string>().find('/') != std::string::npos))
            g.resources.insert(group.as<std::string>() + "/" + res.as<std::string>());
    }
  }
  return g;
}

// The profiles of the inspection scenario, the ones `kinspect serve` picks
// from by default, as `kinspect profiles list` prints them.
std::vector<std::string> inspection_profiles() {
  auto r = run_command(std::string(KINSPECT_BIN) + " profiles list");
  std::vector<std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name, scenarios;
    words >> name >> scenarios;
    if (scenarios == "inspection") out.push_back(name);
  }
  return out;
}

// What the driver needs to read a k8s.* table, from its own catalog
// (plugins/kube-apiserver/catalog.h): "group/resource" for a resource
// table, "url:/path" for the discovery and health tables.
std::vector<std::string> needs(const std::string& table) {
  if (const kapi::Resource* r = kapi::find_by_table(table)) return {r->group + "/" + r->resource};
  if (table == "k8s.api_resources") return {"url:/api", "url:/apis"};
  if (table == "k8s.version" || table == "k8s.readyz" || table == "k8s.livez") return {"url:/" + table.substr(4)};
  if (table == "k8s.pod_logs") return {"/pods/log"};
  if (table == "k8s.deprecated_api_requests") return {"url:/metrics"};
  if (table == "k8s.helm_release_objects") return {"/secrets", "/configmaps"};  // release Secrets, Tiller ConfigMaps
  return {};
}

}  // namespace

// deploy/rbac.yaml must let the default profiles run completely (issue 17):
// every k8s.* table that an inspection profile's checks read on the example
// cluster is granted by the shipped read-only ClusterRole. The tables come
// from real runs of each profile, the resources behind them from the driver's
// catalog, so a check reading a new table fails this until the role grants it.
TEST(Deploy, TheReadOnlyRoleGrantsEveryTableTheInspectionProfilesRead) {
  const Grants role = cluster_role(KINSPECT_SOURCE_DIR "/deploy/rbac.yaml", "kinspect-read-only");
  ASSERT_FALSE(role.resources.empty()) << "no ClusterRole kinspect-read-only in deploy/rbac.yaml";
  const std::vector<std::string> profiles = inspection_profiles();
  ASSERT_GE(profiles.size(), 3u) << "kinspect profiles list gave too few inspection profiles";
  std::map<std::string, std::set<std::string>> tables;  // table -> the profiles reading it
  for (const auto& profile : profiles) {
    auto run = run_command(std::string(KINSPECT_BIN) + " run --snapshot " KINSPECT_SOURCE_DIR "/examples/cluster --plugin-dir " +
                           sh_quote(KINSPECT_PLUGIN_DIR) + " --profile " + profile + " --format json --fail-on none");
    ASSERT_EQ(run.exit_code, 0) << profile << ": " << run.err;
    const json::value report = json::parse(run.out);
    for (const auto& t : report.at("tables").as_array()) {
      std::string name(t.at("name").as_string());
      name = name.substr(0, name.find('('));
      if (name.rfind("k8s.", 0) == 0) tables[name].insert(profile);
    }
  }
  ASSERT_GE(tables.size(), 10u);
  std::printf("%zu k8s.* tables read by %zu inspection profiles\n", tables.size(), profiles.size());
  for (const auto& [table, readers] : tables) {
    const std::vector<std::string> need = needs(table);
    EXPECT_FALSE(need.empty()) << table << ": not in the driver's catalog; say here what it reads";
    for (const auto& n : need) {
      const bool granted = n.rfind("url:", 0) == 0 ? role.urls.count(n.substr(4)) > 0 : role.resources.count(n) > 0;
      EXPECT_TRUE(granted) << table << " (read by " << *readers.begin() << ") needs " << n
                           << " (get, list), which deploy/rbac.yaml's kinspect-read-only does not grant";
    }
  }
}

namespace {
// Every (group/resource, verb) a ClusterRole in `file` grants.
std::set<std::string> verbs_granted(const std::string& file, const std::string& name) {
  std::set<std::string> out;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(file)) {
    if (!doc["kind"] || doc["kind"].as<std::string>() != "ClusterRole" || doc["metadata"]["name"].as<std::string>() != name)
      continue;
    for (const auto& rule : doc["rules"])
      for (const auto& verb : rule["verbs"]) {
        for (const auto& group : rule["apiGroups"])
          for (const auto& res : rule["resources"])
            out.insert(group.as<std::string>() + "/" + res.as<std::string>() + " " + verb.as<std::string>());
        for (const auto& url : rule["nonResourceURLs"]) out.insert(url.as<std::string>() + " " + verb.as<std::string>());
      }
  }
  return out;
}
}  // namespace

// Write-back's role is its own file and grants exactly what the
// kube-writeback plugin sends (plugins/kube-apiserver/publish.cpp), and
// the read-only role grants no write at all.
TEST(Deploy, TheWriteBackRoleGrantsExactlyWhatWriteBackSends) {
  const std::set<std::string> write_back = verbs_granted(KINSPECT_SOURCE_DIR "/deploy/rbac-write-back.yaml",
                                                         "kinspect-write-back");
  const std::set<std::string> expected{"/events create", "/events get", "/events patch", "/nodes/status patch"};
  EXPECT_EQ(write_back, expected);
  const std::set<std::string> read_only = verbs_granted(KINSPECT_SOURCE_DIR "/deploy/rbac.yaml", "kinspect-read-only");
  ASSERT_FALSE(read_only.empty());
  for (const std::string& grant : read_only) {
    const std::string verb = grant.substr(grant.rfind(' ') + 1);
    EXPECT_TRUE(verb == "get" || verb == "list" || verb == "watch") << "deploy/rbac.yaml grants " << grant;
  }
}
