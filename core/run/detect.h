// The report builder's first step: what cluster is this? Version from
// /version (table k8s.version), type from the nodes it can see. Every
// conclusion carries the fact it rests on, so the report can say why.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/profile/version.h"
#include "core/table/table.h"

namespace kinspect {

struct ClusterDetection {
  std::optional<KubeVersion> version;
  std::string version_text;        // as the server said it: "v1.29.4-eks-1"
  std::vector<std::string> types;  // primary type first: self-hosted | managed | serverless; then edge, gpu
  std::vector<std::string> why;    // one line per conclusion
  uint64_t nodes = 0;
  uint64_t control_plane_nodes = 0;
};

// The paths detect_cluster reads from k8s.nodes (for the scan's projection).
const std::vector<std::string>& detection_node_paths();

// `version` is the k8s.version table (may be null), `nodes` k8s.nodes (may be
// null when the cluster could not be read).
ClusterDetection detect_cluster(const TableData* version, const TableData* nodes);

}  // namespace kinspect
