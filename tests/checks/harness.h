// Shared test harness for the check catalog: the real table schemas (from the
// built kube-apiserver and knowledge plugins), fixture rows served in memory,
// and the data-driven fixture format of tests/data/checks/<check-id>.yaml:
//
//   params: {max_restarts: 5}      # optional, for every case
//   fire:                          # one case, or a list of cases
//     base: healthy                # start from _healthy.yaml (default) or none
//     params: {...}                # optional, this case only
//     add:     {k8s.pods: [...]}   # rows appended to the base table
//     replace: {k8s.nodes: [...]}  # rows replacing the base table
//     expect:  ["message", ...]    # every finding's message (any order)
//     objects: ["pod/ns/x", ...]   # optional: every finding's object
//   silent:                        # same shape; must produce no finding
//     add: {...}
//
// Tables a case does not name are empty, except the knowledge plugin's tables
// (k8s.deprecated_apis, k8s.skew_policy and the other data-file tables), which come from the real plugin.
// now() is fixed at 2026-01-01T00:00:00Z.
#pragma once

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kcql/check.h"
#include "core/plugin/registry.h"

namespace checks_test {

namespace json = boost::json;
namespace kcql = kinspect::kcql;

inline constexpr double kNow = 1767225600;  // 2026-01-01T00:00:00Z

std::string source_dir();
std::string data_dir();  // tests/data/checks

// kube_apiserver.so, knowledge.so and node.so from the build's plugin folder,
// no cluster configured: the catalog, and the knowledge tables' rows.
kinspect::PluginRegistry& registry();
// The same plugins with kube-apiserver reading `snapshot` (dir, file, archive),
// and cloud reading the AWS outputs of tests/data/cloud/aws (examples/cluster on EC2).
// A kubectl dump (or a folder of them) as tables. A dump holds some kinds
// and says nothing of the others: kinspect reports a table it lacks as "not
// captured", so its checks are not checked. These tests judge each check on
// what a dump holds, so here, and only here, a table the dump lacks reads as
// empty.
class PartialDump final : public kinspect::TableProvider {
 public:
  explicit PartialDump(std::unique_ptr<kinspect::PluginRegistry> registry) : registry_(std::move(registry)) {}
  kinspect::Expected<std::shared_ptr<const kinspect::TableData>> fetch(const kinspect::ScanSpec& spec) override;

 private:
  std::unique_ptr<kinspect::PluginRegistry> registry_;
};
std::unique_ptr<PartialDump> snapshot_registry(const std::string& snapshot);
// The plugins of snapshot_registry() themselves: a table the dump lacks is
// an error ("not captured"), as in a run.
std::unique_ptr<kinspect::PluginRegistry> snapshot_plugins(const std::string& snapshot);

// Every check of checks/ (fails the calling test when they do not load).
const std::vector<kcql::CheckDef>& checks();
const kcql::CheckDef* find_check(const std::string& id);

json::value yaml_to_json(const YAML::Node& n);

using Tables = std::map<std::string, std::vector<json::value>>;

class FixtureProvider : public kinspect::TableProvider {
 public:
  explicit FixtureProvider(Tables tables) : tables_(std::move(tables)) {}
  kinspect::Expected<std::shared_ptr<const kinspect::TableData>> fetch(const kinspect::ScanSpec& spec) override;

 private:
  Tables tables_;
};

struct Case {
  std::string label;  // "fire", "silent[1]", ...
  Tables tables;
  kcql::Params params;
  bool silent = false;
  std::vector<std::string> expect;
  std::vector<std::string> objects;
  bool check_objects = false;
};

struct Fixture {
  std::string check_id;
  std::string file;
  std::vector<Case> fire, silent;
};

// The healthy cluster of _healthy.yaml: every check stays silent on it.
const Tables& healthy();
// Reads tests/data/checks/<id>.yaml; throws std::runtime_error when malformed.
Fixture load_fixture(const std::string& check_id);
bool has_fixture(const std::string& check_id);
// Every fixture's tables (all cases), for the "nothing errors" sweep.
std::vector<std::pair<std::string, Tables>> all_fixture_tables();

// Binds and runs one check over `tables`.
kinspect::Expected<std::vector<kcql::Finding>> run_check(const kcql::CheckDef& check, const Tables& tables,
                                                          const kcql::Params& params = {});
kinspect::Expected<std::vector<kcql::Finding>> run_check(const kcql::CheckDef& check, kinspect::TableProvider& provider,
                                                          const kcql::Params& params = {}, double now = kNow);
// Epoch seconds of an RFC 3339 UTC time ("2026-11-25T06:00:00Z"); 0 if malformed.
double epoch_of(const std::string& rfc3339);

}  // namespace checks_test
