// node-problem-detector adapter (docs/adapters.md): where NPD runs, its own
// view of the node's problems. NPD exports two metrics (pkg/problemmetrics):
// problem_counter{reason} counts the temporary problems it saw, and
// problem_gauge{type,reason} is 1 while a permanent problem holds its node
// condition `type`. They are scraped from NPD's /metrics (--with
// node-problem-detector alone: 127.0.0.1:20257, or the url setting) or read
// from saved pages (--with node-problem-detector=FILE|DIR). The conditions and events NPD
// writes to the API server are read by checks/adapters/node-problem-detector.kcql
// from k8s.nodes and k8s.events.
#include "adapter.h"

#include <chrono>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <stdexcept>

#include "common/probe.h"
#include "common/prometheus.h"
#include "common/time.h"

namespace kinspect::adapters::npd {

namespace {

using T = ks::Type;

const char* const kInputDoc =
    "node-problem-detector's /metrics: a saved page or a folder of them (one per node, named after it); or "
    "--with node-problem-detector alone to scrape NPD (--set node-problem-detector.url=http://IP:20257/metrics)";
const char* const kLiveUrl = "http://127.0.0.1:20257/metrics";

ks::TableSpec problems_table() {
  return {"npd.problems",
          "node-problem-detector's problem metrics: one row per problem_counter{reason} and problem_gauge{type,reason} "
          "sample. A page without either metric is an error (it is not NPD's), never an empty table.",
          {{"source", T::Text, "The file or URL read"},
           {"node", T::Text, "The node: the file's name without extension in a folder of per-node pages; else NULL"},
           {"metric", T::Text, "problem_counter or problem_gauge"},
           {"reason", T::Text, "The problem's reason, e.g. OOMKilling, KernelOops, DockerHung"},
           {"condition", T::Text, "problem_gauge: the node condition type it holds (KernelDeadlock, ReadonlyFilesystem, ...); NULL for counters"},
           {"value", T::Real, "Counter: times seen since NPD started; gauge: 1 while the condition holds, else 0"},
           {"timestamp", T::Timestamp, "The sample's timestamp, when the page gives one"}},
          {},
          {"SELECT reason, value FROM npd.problems WHERE metric = 'problem_counter' AND value > 0",
           "SELECT condition, reason FROM npd.problems WHERE metric = 'problem_gauge' AND value = 1"}};
}

std::string base_name(const std::string& path) {
  std::string b = path.substr(path.rfind('/') + 1);
  return b.substr(0, b.rfind('.'));
}

void add_rows(std::string_view text, const std::string& source, const std::string& node, Rows& out) {
  std::vector<plugin_common::PromFamily> families;
  try {
    families = plugin_common::parse_prometheus_text(text, source);
  } catch (const plugin_common::PromError& e) {
    throw std::runtime_error(e.what());
  }
  bool npd = false;
  for (const auto& f : families) {
    if (f.name != "problem_counter" && f.name != "problem_gauge") continue;
    npd = true;
    for (const auto& s : f.samples) {
      const std::string* reason = s.label("reason");
      if (!reason)
        throw std::runtime_error(source + ":" + std::to_string(s.line) + ": " + f.name + " sample without a reason label");
      out.push_back(row([&](ks::JsonWriter& w) {
        w.field("source", source);
        text_or_null(w, "node", node);
        w.field("metric", f.name).field("reason", *reason);
        const std::string* type = s.label("type");
        text_or_null(w, "condition", f.name == "problem_gauge" && type ? *type : std::string());
        if (std::isfinite(s.value)) w.field("value", s.value);
        else w.null("value");
        if (s.timestamp_ms) w.field("timestamp", plugin_common::rfc3339_ms(*s.timestamp_ms));
        else w.null("timestamp");
      }));
    }
  }
  if (!npd)
    throw std::runtime_error(source + ": not node-problem-detector's metrics: no problem_counter or problem_gauge " +
                             "(is NPD's Prometheus exporter on? --prometheus-port, 20257 by default)");
}

std::string scrape(const std::string& url, int64_t max_bytes) {
  std::string why;
  auto target = plugin_common::parse_http_url(url, &why);
  if (!target) throw std::runtime_error("node-problem-detector: " + why);
  auto r = plugin_common::http_get(target->first, target->first.describe(), target->second, std::chrono::seconds(5),
                                   static_cast<size_t>(max_bytes));
  if (r.status != "ok") throw std::runtime_error(url + ": " + r.status + ": " + r.error);
  auto h = plugin_common::parse_http_response(r.response, &why);
  if (!h) throw std::runtime_error(url + ": " + why);
  if (h->status != 200) throw std::runtime_error(url + ": HTTP " + std::to_string(h->status));
  return h->body;
}

class NodeProblemDetector final : public AdapterPlugin {
 public:
  NodeProblemDetector(const ks::Host&, std::string_view config)
      : AdapterPlugin("node-problem-detector", config, kInputDoc, {"url"}, LiveSource{true, ""}) {
    const json::value* url = config_url();
    if (url && (!url->is_string() || !plugin_common::parse_http_url(url->as_string(), nullptr)))
      throw std::runtime_error("node-problem-detector: setting url must be an http:// URL with a numeric address, got " +
                               json::serialize(*url));
  }
  std::vector<ks::TableSpec> tables() const override { return {problems_table()}; }
  std::vector<ks::SettingSpec> settings() const override {
    auto s = AdapterPlugin::settings();
    for (auto& k : s)
      if (k.name == "url")
        k = {"url", T::Text, "\"http://127.0.0.1:20257/metrics\"",
             "where --with node-problem-detector (live) scrapes NPD's /metrics: http://IP:PORT/metrics"};
    return s;
  }

 protected:
  const json::value* config_url() const { return config().extra.if_contains("url"); }
  Rows rows(std::string_view) override {
    Rows out;
    const std::string& input = config().input;
    auto files = input_files(input);
    for (const auto& file : files)
      add_rows(read_file(file, config().max_input_bytes), file, files.size() > 1 || file != input ? base_name(file) : "", out);
    return out;
  }
  Rows live_rows(std::string_view) override {
    Rows out;
    const json::value* url = config_url();
    const std::string target = url ? std::string(url->as_string()) : kLiveUrl;
    add_rows(scrape(target, config().max_input_bytes), target, "", out);
    return out;
  }
};

}  // namespace

}  // namespace kinspect::adapters::npd

KINSPECT_PLUGIN(kinspect::adapters::npd::NodeProblemDetector, "node-problem-detector", "1.0.0",
                "node-problem-detector's problem metrics (--with node-problem-detector=FILE|DIR|URL, or alone for this node's NPD) as npd.problems",
                KI_KIND_DRIVER)
