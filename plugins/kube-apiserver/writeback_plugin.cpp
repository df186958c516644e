// kube-writeback: the publisher plugin (ABI 1.3, KI_KIND_PUBLISHER) that
// writes a finished report's findings back to a live cluster as Events and
// node conditions (publish.h). It is a plugin of its own, not part of the
// kube-apiserver driver, so that the driver stays a reader: this one is
// called only when `kinspect serve` has write-back turned on for a cluster
// (docs/daemon.md, "Write-back"), with credentials the user granted
// deploy/rbac-write-back.yaml. It declares no tables.
#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "http_client.h"
#include "kubeconfig.h"
#include "publish.h"

namespace kapi {
namespace {

namespace json = boost::json;
namespace ks = kinspect::sdk;

struct WritebackConfig {
  ResolveOptions resolve;
  ClientOptions client;
  PublishOptions publish;
};

// The settings as `kinspect serve` passes them (ClusterConfig::write_back).
WritebackConfig parse_config(std::string_view text) {
  WritebackConfig c;
  c.client.allow_writes = true;
  c.client.qps = 5;  // writes are not urgent; the API server has other clients
  c.client.burst = 10;
  json::error_code ec;
  json::value v = json::parse(text.empty() ? std::string_view("{}") : text, ec);
  if (ec || !v.is_object()) throw std::runtime_error("kube-writeback config: expected a JSON object");
  for (const auto& kv : v.as_object()) {
    const std::string k(kv.key());
    const json::value& x = kv.value();
    auto bad = [&](const char* want) { throw std::runtime_error("kube-writeback config: '" + k + "' must be " + want); };
    auto str = [&]() -> std::string {
      if (x.is_null()) return {};
      if (!x.is_string()) bad("a string");
      return std::string(x.as_string());
    };
    auto num = [&]() -> double {
      if (!x.is_number()) bad("a number");
      return x.to_number<double>();
    };
    auto boolean = [&]() -> bool {
      if (!x.is_bool()) bad("true or false");
      return x.as_bool();
    };
    if (k == "kubeconfig") c.resolve.kubeconfig = str();
    else if (k == "context") c.resolve.context = str();
    else if (k == "service_account_dir") c.resolve.service_account_dir = str();
    else if (k == "qps") c.client.qps = num();
    else if (k == "timeout_seconds") c.client.timeout_seconds = int(num());
    else if (k == "events") c.publish.events = boolean();
    else if (k == "node_conditions") c.publish.node_conditions = boolean();
    else if (k == "max_writes") c.publish.max_writes = size_t(std::max(0.0, num()));
    else if (k == "condition_type") c.publish.condition_type = str();
    else throw std::runtime_error("kube-writeback config: unknown key '" + k + "'");
  }
  if (c.client.qps <= 0) throw std::runtime_error("kube-writeback config: 'qps' must be above 0");
  if (c.publish.condition_type.empty()) throw std::runtime_error("kube-writeback config: 'condition_type' is empty");
  return c;
}

std::string rfc3339_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class KubeWriteback : public ks::Plugin {
 public:
  KubeWriteback(const ks::Host& host, std::string_view config) : host_(host), cfg_(parse_config(config)) {}

  std::vector<ks::SettingSpec> settings() const override {
    using T = ks::Type;
    return {
        {"kubeconfig", T::Text, "null", "kubeconfig file(s) with credentials that may write Events and node status"},
        {"context", T::Text, "null", "kubeconfig context"},
        {"service_account_dir", T::Text, "\"/var/run/secrets/kubernetes.io/serviceaccount\"",
         "where the in-cluster token and CA are"},
        {"qps", T::Real, "5", "writes (and the reads they need) per second"},
        {"timeout_seconds", T::Real, "30", "seconds per request"},
        {"events", T::Boolean, "true", "publish each finding as an Event on its object"},
        {"node_conditions", T::Boolean, "true", "set a condition on nodes with findings, and clear it after"},
        {"max_writes", T::Integer, "500", "the most Events, and the most node conditions, written per report"},
        {"condition_type", T::Text, "\"KinspectProblem\"", "the node condition's type"},
    };
  }

  std::unique_ptr<ks::Scan> publish(const ks::PublishContext& ctx) override {
    json::error_code ec;
    json::value request = json::parse(ctx.request_json(), ec);
    if (ec || !request.is_object()) throw std::runtime_error("kube-writeback: the publish request is not a JSON object");
    std::vector<PublishOutcome> outcomes;
    kapi::publish(client(), cfg_.publish, request.as_object(), rfc3339_now(),
                  [&](const PublishOutcome& o) { outcomes.push_back(o); }, [&] { return ctx.cancelled(); });
    return ks::rows([outcomes = std::move(outcomes)](ks::BatchWriter& out) {
      for (const PublishOutcome& o : outcomes) {
        auto row = out.row();
        row.field("object", o.object).field("write", o.write).field("result", o.result);
        if (!o.error.empty()) row.field("error", o.error);
      }
    });
  }

 private:
  // Connected at the first publish, never at load: `kinspect run` loads
  // every plugin it finds, and this one must cost it nothing.
  ApiClient& client() {
    if (client_) return *client_;
    auto conn = resolve_connection(cfg_.resolve, [this](int level, const std::string& m) {
      host_.log(static_cast<uint32_t>(level), "kube-writeback", m);
    });
    if (!conn) throw std::runtime_error("kube-writeback: no cluster configured (no kubeconfig, not in a cluster)");
    client_ = std::make_unique<ApiClient>(std::move(*conn), cfg_.client, [this](int level, const std::string& m) {
      host_.log(static_cast<uint32_t>(level), "kube-writeback", m);
    });
    return *client_;
  }

  ks::Host host_;
  WritebackConfig cfg_;
  std::unique_ptr<ApiClient> client_;
};

}  // namespace
}  // namespace kapi

KINSPECT_PLUGIN(kapi::KubeWriteback, "kube-writeback", "0.1.0",
                "Writes findings back to a live cluster as Events and node conditions (kinspect serve, write-back)",
                KI_KIND_PUBLISHER)
