// Write-back: a finished report's findings written to the cluster as
// Kubernetes Events on the affected objects, and node findings as a node
// condition, as node-problem-detector does. Only the kube-writeback plugin
// (writeback_plugin.cpp) uses it, through a client made with
// ClientOptions::allow_writes; the kube-apiserver driver never writes.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http_client.h"

namespace kapi {

struct PublishOptions {
  bool events = true;
  bool node_conditions = true;
  // The most writes of one kind (events, conditions) per report, the most
  // severe findings first: a cluster with 10,000 findings must not send
  // 10,000 writes every run. What is left out is reported as skipped.
  size_t max_writes = 500;
  std::string condition_type = "KinspectProblem";
  std::string component = "kinspect";  // the Event's source and reportingComponent
};

// What a finding's object ("pod/shop/web-1", "node/n1") names as a
// Kubernetes object; nullopt for what is not one ("cluster/control-plane",
// "sysctl/net.ipv4.ip_forward"). Extra segments (a container) are ignored.
struct ObjectRef {
  std::string api_version, kind, resource, ns, name;
};
std::optional<ObjectRef> object_ref(std::string_view object);

// The outcome of one write, a row of the publish scan (abi.h).
struct PublishOutcome {
  std::string object;
  std::string write;   // "event" or "condition"
  std::string result;  // created, updated, cleared, failed, skipped
  std::string error;   // with failed and skipped
};
using OutcomeFn = std::function<void(const PublishOutcome&)>;

// Writes the request's findings (the ki_publish_request JSON): an Event per
// finding on a Kubernetes object, then the condition on each node with
// findings, and the condition set back to False on each `resolved` node.
// `now` is RFC 3339. Stops early (the rest skipped) when `cancelled` says so
// or the server forbids the writes.
void publish(ApiClient& client, const PublishOptions& options, const boost::json::object& request,
             const std::string& now, const OutcomeFn& out, const std::function<bool()>& cancelled);

// An Event's reason from a check id: "privileged-container" -> "PrivilegedContainer".
std::string event_reason(std::string_view check_id);

}  // namespace kapi
