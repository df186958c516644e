#include "core/run/detect.h"

#include <boost/json/value.hpp>

namespace kinspect {

namespace json = boost::json;

const std::vector<std::string>& detection_node_paths() {
  static const std::vector<std::string> p = {"metadata.name", "metadata.labels", "spec.taints", "status.capacity"};
  return p;
}

namespace {

const json::object* labels_of(const json::value& node) {
  const json::value* md = node.as_object().if_contains("metadata");
  if (!md || !md->is_object()) return nullptr;
  const json::value* l = md->as_object().if_contains("labels");
  return l && l->is_object() ? &l->as_object() : nullptr;
}

bool has_label(const json::object* labels, std::string_view key, std::string_view value = {}) {
  if (!labels) return false;
  const json::value* v = labels->if_contains(key);
  if (!v) return false;
  return value.empty() || (v->is_string() && v->as_string() == value);
}

bool is_control_plane(const json::object* l) {
  return has_label(l, "node-role.kubernetes.io/control-plane") || has_label(l, "node-role.kubernetes.io/master");
}

bool is_virtual_kubelet(const json::value& node, const json::object* l) {
  // ACK/ASK, AKS virtual nodes and the upstream virtual-kubelet all label it.
  if (has_label(l, "type", "virtual-kubelet")) return true;
  const json::value* spec = node.as_object().if_contains("spec");
  const json::value* taints = spec && spec->is_object() ? spec->as_object().if_contains("taints") : nullptr;
  if (taints && taints->is_array())
    for (const auto& t : taints->as_array()) {
      const json::value* key = t.is_object() ? t.as_object().if_contains("key") : nullptr;
      if (key && key->is_string() && key->as_string() == "virtual-kubelet.io/provider") return true;
    }
  return false;
}

bool is_edge(const json::object* l) {
  return has_label(l, "openyurt.io/is-edge-worker", "true") || has_label(l, "node-role.kubernetes.io/edge") ||
         has_label(l, "node-role.kubernetes.io/agent");
}

// GPU capacity under any vendor's resource name, if non-zero.
std::string gpu_resource(const json::value& node) {
  const json::value* st = node.as_object().if_contains("status");
  const json::value* cap = st && st->is_object() ? st->as_object().if_contains("capacity") : nullptr;
  if (!cap || !cap->is_object()) return {};
  for (const char* r : {"nvidia.com/gpu", "amd.com/gpu", "aliyun.com/gpu-mem", "aliyun.com/gpu-count", "gpu.intel.com/i915"}) {
    const json::value* v = cap->as_object().if_contains(r);
    if (v && v->is_string() && v->as_string() != "0") return r;
  }
  return {};
}

}  // namespace

ClusterDetection detect_cluster(const TableData* version, const TableData* nodes) {
  ClusterDetection d;
  if (version && !version->rows.empty()) {
    packed::Ref gv = version->rows[0].is_object() ? version->rows[0].find("gitVersion") : packed::Ref();
    if (gv && gv.is_string()) {
      d.version_text = std::string(gv.get_string());
      d.version = KubeVersion::parse(d.version_text);
      d.why.push_back("version " + d.version_text + " (from the API server's /version)");
    }
  }
  if (!d.version) d.why.push_back("version unknown (no /version answer)");
  if (!nodes) {
    d.why.push_back("type unknown (nodes could not be read)");
    return d;
  }
  uint64_t vk = 0, edge = 0, gpu = 0;
  std::string gpu_name;
  for (packed::Ref row : nodes->rows) {
    if (!row.is_object()) continue;
    // Detection reads a few fields of each node; the DOM is built per node
    // and dropped, never for the whole table.
    json::value n = packed::to_json(row);
    ++d.nodes;
    const json::object* l = labels_of(n);
    if (is_control_plane(l)) ++d.control_plane_nodes;
    if (is_virtual_kubelet(n, l)) ++vk;
    if (is_edge(l)) ++edge;
    std::string g = gpu_resource(n);
    if (!g.empty()) ++gpu, gpu_name = g;
  }
  auto count = [](uint64_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
  if (d.nodes > 0 && vk == d.nodes) {
    d.types.push_back("serverless");
    d.why.push_back("type serverless: all " + count(d.nodes, "node") + " are virtual-kubelet nodes");
  } else if (d.control_plane_nodes > 0) {
    d.types.push_back("self-hosted");
    d.why.push_back("type self-hosted: " + count(d.control_plane_nodes, "control-plane node") +
                    " visible (label node-role.kubernetes.io/control-plane)");
  } else if (d.nodes > 0) {
    d.types.push_back("managed");
    d.why.push_back("type managed: no control-plane node among " + count(d.nodes, "node") +
                    " (the provider runs the control plane)");
  } else {
    d.why.push_back("type unknown: no nodes visible");
  }
  if (vk > 0 && vk < d.nodes) {
    d.types.push_back("serverless");
    d.why.push_back("also serverless: " + count(vk, "virtual-kubelet node"));
  }
  if (edge > 0) {
    d.types.push_back("edge");
    d.why.push_back("edge: " + count(edge, "node") + " labelled as edge workers (OpenYurt/KubeEdge)");
  }
  if (gpu > 0) {
    d.types.push_back("gpu");
    d.why.push_back("gpu: " + count(gpu, "node") + " with " + gpu_name + " capacity");
  }
  return d;
}

}  // namespace kinspect
