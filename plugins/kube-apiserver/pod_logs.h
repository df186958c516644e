// k8s.pod_logs(label_selector, namespace): the logs of the pods a label
// selector picks, read through the pods/log subresource (GET only), for
// tools that report on stdout from a Job (kube-bench). Each container's log
// is bounded twice: `limitBytes` asks the server for at most max_bytes + 1
// (the extra byte tells a cut log from a whole one), and the client stops
// reading one byte past max_bytes whatever the server sends.
#pragma once

#include <kinspect/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "http_client.h"
#include "rows.h"

namespace kapi {

inline constexpr uint64_t kDefaultPodLogMaxBytes = 16ull << 20;

struct PodLogRequest {
  std::string selector;   // label selector, e.g. "app=kube-bench"
  std::string ns;         // "" for every namespace
  uint64_t max_bytes = kDefaultPodLogMaxBytes;  // per container
  int page_size = 500;
};

// The table function's declaration (catalog).
kinspect::sdk::TableSpec pod_logs_table();

// Reads and checks the arguments; errors say what is wrong with which.
PodLogRequest pod_log_request(const kinspect::sdk::ScanContext& ctx, uint64_t max_bytes, int page_size);

// One row per container of each pod: namespace, pod, container, node,
// phase, created, log (NULL when it could not be read), truncated, error
// (naming the pod and container). `cancel` is polled between requests.
std::vector<std::string> pod_log_rows(ApiClient& client, const PodLogRequest& req,
                                      const CancelCheck& cancel);

}  // namespace kapi
