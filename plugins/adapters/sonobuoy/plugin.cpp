// sonobuoy adapter: the tarball `sonobuoy retrieve` writes, read as a stream
// (nothing is unpacked to disk), as sonobuoy.* tables. See results.h for what
// is read and docs/adapters.md for the layouts of each sonobuoy version.
#include "adapter.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "results.h"

namespace kinspect::adapters::sonobuoy {

namespace {

using T = ks::Type;

// Sonobuoy keeps its results in its aggregator pod until `sonobuoy retrieve`
// copies them out as a tarball: that tarball is the way in (no live read).
const char* const kInputDoc =
    "the tarball `sonobuoy retrieve` writes (run `sonobuoy retrieve`, then pass it with --with sonobuoy=FILE), "
    "or a folder of such tarballs";

ks::TableSpec results_table() {
  return {"sonobuoy.results",
          "One row per test or result item of a sonobuoy plugin (e2e test cases, per-node results, plugin errors).",
          {{"file", T::Text, "The tarball"},
           {"plugin", T::Text, "The sonobuoy plugin (e2e, systemd-logs, ...)"},
           {"node", T::Text, "The node, for per-node (DaemonSet) results and errors"},
           {"result_file", T::Text, "The result file inside the plugin's folder (results/global/junit_01.xml)"},
           {"suite", T::Text, "The test suite or parent item"},
           {"name", T::Text, "The test or item name"},
           {"status", T::Text, "passed, failed, skipped, error (a plugin error or missing results), or the plugin's own word"},
           {"message", T::Text, "The failure message (first 4 KiB)"},
           {"duration_seconds", T::Real, "How long the test ran (JUnit time), where known"},
           {"source", T::Text, "sonobuoy_results.yaml, junit, raw, errors or missing"}},
          {},
          {"SELECT plugin, name, message FROM sonobuoy.results WHERE status = 'failed'"}};
}

ks::TableSpec plugins_table() {
  return {"sonobuoy.plugins",
          "One row per sonobuoy plugin in the tarball, with its status and counts.",
          {{"file", T::Text, "The tarball"},
           {"plugin", T::Text, "The plugin"},
           {"status", T::Text, "The status sonobuoy gave it (sonobuoy_results.yaml), else failed when an item failed, else passed"},
           {"driver", T::Text, "Job or DaemonSet, from the plugin's definition where the tarball has it"},
           {"result_format", T::Text, "junit, raw, manual, ... from the definition"},
           {"source", T::Text, "Where its items came from: sonobuoy_results.yaml, junit, raw or missing; status for --with sonobuoy alone (the aggregator's counts)"},
           {"passed", T::Integer, "Items passed"},
           {"failed", T::Integer, "Items failed"},
           {"skipped", T::Integer, "Items skipped"},
           {"errors", T::Integer, "Plugin errors and missing results"},
           {"total", T::Integer, "All items"}},
          {},
          {"SELECT plugin, status, passed, failed FROM sonobuoy.plugins"}};
}

ks::TableSpec run_table() {
  return {"sonobuoy.run",
          "One row per tarball: the sonobuoy and Kubernetes versions and the cluster's size.",
          {{"file", T::Text, "The tarball"},
           {"sonobuoy_version", T::Text, "meta/config.json Version"},
           {"server_version", T::Text, "The API server's gitVersion (serverversion.json)"},
           {"nodes", T::Integer, "Nodes in resources/cluster, where the tarball has them"},
           {"plugins", T::Integer, "Plugins in the tarball"}},
          {},
          {"SELECT sonobuoy_version, server_version FROM sonobuoy.run"}};
}

ks::TableSpec notes_table() {
  return {"sonobuoy.notes",
          "Tarball members that were skipped (links, AppleDouble files, oversized members), and why.",
          {{"file", T::Text, "The tarball"}, {"member", T::Text, "The member's path"}, {"note", T::Text, "Why it was skipped"}},
          {},
          {"SELECT member, note FROM sonobuoy.notes"}};
}

void add_results(const Results& r, Rows& out) {
  for (const auto& i : r.items)
    out.push_back(row([&](ks::JsonWriter& w) {
      w.field("file", r.file).field("plugin", i.plugin);
      text_or_null(w, "node", i.node);
      text_or_null(w, "result_file", i.file);
      text_or_null(w, "suite", i.suite);
      w.field("name", i.name).field("status", i.status);
      text_or_null(w, "message", i.message);
      if (i.duration_seconds) w.field("duration_seconds", *i.duration_seconds);
      else w.null("duration_seconds");
      w.field("source", i.source);
    }));
}

namespace fs = std::filesystem;

// --with sonobuoy alone: the aggregator pod's status annotation, which
// `sonobuoy status` reads (pkg/plugin/aggregation/status.go): per plugin and
// node a status and result counts, but no test names.
struct NodeStatus {
  std::string status, result_status;
  int64_t passed = 0, failed = 0, skipped = 0, total = 0;
};

std::map<std::string, std::vector<NodeStatus>> read_status(const std::string& file, int64_t max_bytes) {
  json::value doc = parse_json(read_file(file, max_bytes), file);
  if (!doc.is_object()) throw std::runtime_error(file + ": not sonobuoy's status: expected an object, got " + json_kind(doc));
  Fields root(doc.as_object(), file + ":");
  const json::array* plugins = root.array("plugins");
  if (!plugins) throw std::runtime_error(root.at("plugins") + ": missing; sonobuoy's status lists its plugins");
  std::map<std::string, std::vector<NodeStatus>> out;
  for (size_t i = 0; i < plugins->size(); ++i) {
    Fields p(object_at(*plugins, i, root.at("plugins")), root.at("plugins", i));
    NodeStatus n{p.text("status"), p.text("result-status")};
    if (const json::object* counts = p.object("result-counts"))
      for (const auto& [k, v] : *counts) {
        if (!v.is_int64()) throw std::runtime_error(p.at("result-counts") + "." + std::string(k) + ": expected a count");
        n.total += v.as_int64();
        if (k == "passed") n.passed += v.as_int64();
        else if (k == "failed") n.failed += v.as_int64();
        else if (k == "skipped") n.skipped += v.as_int64();
      }
    out[p.text("plugin")].push_back(n);
  }
  return out;
}

// A plugin still running (or failed) on a node has that status; else failed
// when a node's results failed, else passed.
std::string plugin_status(const std::vector<NodeStatus>& nodes) {
  for (const auto& n : nodes)
    if (n.status != "complete") return n.status;
  for (const auto& n : nodes)
    if (n.result_status == "failed") return "failed";
  return "passed";
}

Rows status_rows(std::string_view table, const Settings& s) {
  const std::string retrieve = std::string(table) + ": --with sonobuoy read the aggregator's status (annotation " +
                               s.live_annotation + "), which has result counts, not tests: run `sonobuoy retrieve` and "
                               "pass the tarball as --with sonobuoy=PATH for per-test results";
  if (table == "sonobuoy.results" || table == "sonobuoy.notes") throw ks::Unavailable("not in the status", retrieve);
  Rows out;
  for (const auto& file : input_files(s.input)) {
    const std::string pod = fs::path(file).stem().string();
    auto plugins = read_status(file, s.max_input_bytes);
    if (table == "sonobuoy.run") {
      out.push_back(row([&](ks::JsonWriter& w) {
        w.field("file", pod).null("sonobuoy_version").null("server_version").null("nodes");
        w.field("plugins", static_cast<int64_t>(plugins.size()));
      }));
      continue;
    }
    for (const auto& [name, nodes] : plugins)
      out.push_back(row([&](ks::JsonWriter& w) {
        int64_t passed = 0, failed = 0, skipped = 0, errors = 0, total = 0;
        for (const auto& n : nodes) {
          passed += n.passed, failed += n.failed, skipped += n.skipped, total += n.total;
          errors += n.status == "failed";
        }
        w.field("file", pod).field("plugin", name).field("status", plugin_status(nodes));
        w.null("driver").null("result_format").field("source", "status");
        w.field("passed", passed).field("failed", failed).field("skipped", skipped);
        w.field("errors", errors).field("total", total);
      }));
  }
  return out;
}

void add_plugins(const Results& r, Rows& out) {
  for (const auto& p : r.plugins) {
    int64_t passed = 0, failed = 0, skipped = 0, errors = 0, total = 0;
    for (const auto& i : r.items) {
      if (i.plugin != p.name) continue;
      ++total;
      if (i.status == "passed") ++passed;
      else if (i.status == "failed") ++failed;
      else if (i.status == "skipped") ++skipped;
      else if (i.status == "error") ++errors;
    }
    out.push_back(row([&](ks::JsonWriter& w) {
      w.field("file", r.file).field("plugin", p.name).field("status", p.status);
      text_or_null(w, "driver", p.driver);
      text_or_null(w, "result_format", p.result_format);
      w.field("source", p.source).field("passed", passed).field("failed", failed).field("skipped", skipped);
      w.field("errors", errors).field("total", total);
    }));
  }
}

class Sonobuoy final : public AdapterPlugin {
 public:
  Sonobuoy(const ks::Host&, std::string_view config)
      : AdapterPlugin("sonobuoy", config, kInputDoc, {"max_member_bytes", "max_total_bytes"},
                      LiveSource{false, "sonobuoy-component=aggregator", "sonobuoy.hept.io/status"}) {
    for (auto [key, field] : {std::pair{"max_member_bytes", &limits_.max_member_bytes}, {"max_total_bytes", &limits_.max_total_bytes}}) {
      const json::value* v = AdapterPlugin::config().extra.if_contains(key);
      if (!v) continue;
      if (!v->is_int64() || v->as_int64() <= 0)
        throw std::runtime_error(std::string("sonobuoy: setting ") + key + " must be a positive integer");
      *field = v->as_int64();
    }
  }
  std::vector<ks::TableSpec> tables() const override { return {results_table(), plugins_table(), run_table(), notes_table()}; }

 protected:
  Rows rows(std::string_view table) override {
    if (!config().live_annotation.empty()) return status_rows(table, config());
    Rows out;
    for (const auto& file : input_files(config().input)) {
      const Results& r = *results_of(file);
      if (table == "sonobuoy.results") add_results(r, out);
      else if (table == "sonobuoy.plugins") add_plugins(r, out);
      else if (table == "sonobuoy.notes")
        for (const auto& n : r.notes) out.push_back(row([&](ks::JsonWriter& w) { w.field("file", file).field("member", n.member).field("note", n.note); }));
      else
        out.push_back(row([&](ks::JsonWriter& w) {
          w.field("file", file);
          text_or_null(w, "sonobuoy_version", r.sonobuoy_version);
          text_or_null(w, "server_version", r.server_version);
          int_or_null(w, "nodes", r.nodes);
          w.field("plugins", static_cast<int64_t>(r.plugins.size()));
        }));
    }
    return out;
  }

 private:
  // A run reads several of the tables; the tarball is streamed once. Scans
  // may run at the same time, so the cache is behind a lock (a failed read is
  // not kept: each scan reports it).
  std::shared_ptr<const Results> results_of(const std::string& file) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(file);
    if (it != cache_.end()) return it->second;
    auto r = std::make_shared<const Results>(read_results(file, limits_));
    cache_[file] = r;
    return r;
  }

  ArchiveLimits limits_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Results>> cache_;
};

}  // namespace

}  // namespace kinspect::adapters::sonobuoy

KINSPECT_PLUGIN(kinspect::adapters::sonobuoy::Sonobuoy, "sonobuoy", "1.0.0",
                "sonobuoy's results tarball (--with sonobuoy=PATH) as sonobuoy.* tables", KI_KIND_DRIVER)
