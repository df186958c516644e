#include "tests/report/sample_report.h"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kinspect::report::testing {

namespace {

CheckResult check(std::string id, std::string title, std::string category, std::string component, Severity sev,
                  Status status) {
  CheckResult c;
  c.id = std::move(id);
  c.title = std::move(title);
  c.category = std::move(category);
  c.component = std::move(component);
  c.severity = sev;
  c.status = status;
  c.source = "checks/" + c.category + ".kcql:" + std::to_string(10 + c.id.size());
  c.doc = "https://kubernetes.io/docs/concepts/";
  c.duration_ms = 12.5;
  return c;
}

Finding finding(std::string object, std::string message, Severity sev, boost::json::value details = nullptr) {
  Finding f;
  f.object = std::move(object);
  f.message = std::move(message);
  f.severity = sev;
  f.details = std::move(details);
  return f;
}

}  // namespace

Report sample_report() {
  Report r;
  r.kinspect_version = "0.1.0";
  r.generated_at = "2026-11-25T04:00:00Z";
  r.duration_ms = 3250;
  r.cluster.name = "prod-east";
  r.cluster.version = "v1.29.4";
  r.cluster.type = "self-hosted";
  r.cluster.detected = {"version v1.29.4 from /version",
                        "type self-hosted: 3 control-plane nodes visible, no managed-cluster labels"};
  r.cluster.nodes = 6;
  r.cluster.pods = 143;
  r.profile = "default";
  r.scenario = "inspection";

  // Nodes.
  {
    auto c = check("node-ready", "Nodes are Ready", "nodes", "kubelet", Severity::Critical, Status::Fail);
    c.remedy = "Check the kubelet on the node: journalctl -u kubelet; systemctl status kubelet.";
    c.doc = "https://kubernetes.io/docs/concepts/architecture/nodes/#condition";
    c.tables = {"k8s.nodes"};
    c.findings.push_back(finding("node/worker-2", "node is NotReady: KubeletNotReady (PLEG is not healthy)",
                                 Severity::Critical,
                                 boost::json::object{{"name", "worker-2"}, {"ready", false}, {"age_h", 412.5}}));
    r.checks.push_back(std::move(c));
  }
  r.checks.push_back(check("node-pressure", "No memory, disk or PID pressure", "nodes", "kubelet", Severity::Warning,
                           Status::Pass));
  r.checks.push_back(
      check("node-kernel-version", "Kernels are supported", "nodes", "node-os", Severity::Info, Status::Pass));

  // Control plane.
  {
    auto c = check("kube-proxy-healthy", "kube-proxy is healthy on every node", "control-plane", "kube-proxy",
                   Severity::Critical, Status::Fail);
    c.remedy = "Restart kube-proxy on the node and check its logs: kubectl -n kube-system logs ds/kube-proxy.";
    c.findings.push_back(finding("node/cp-1", "kube-proxy healthz failed: connection refused on :10256",
                                 Severity::Critical));
    c.findings.push_back(finding("node/worker-1", "kube-proxy healthz failed: last sync 15m ago",
                                 Severity::Critical));
    r.checks.push_back(std::move(c));
  }
  {
    auto c = check("etcd-health", "etcd members are healthy", "control-plane", "etcd", Severity::Critical,
                   Status::Error);
    c.reason = "table etcd.members failed: dial tcp 10.0.0.11:2379: connect: connection refused";
    c.cause = "error";
    r.checks.push_back(std::move(c));
  }
  r.checks.push_back(check("apiserver-cert-expiry", "API server certificates are valid for 30 days",
                           "control-plane", "kube-apiserver", Severity::Warning, Status::Pass));

  // Add-ons.
  {
    auto c = check("daemonset-available", "DaemonSets are fully available", "addons", "kube-flannel",
                   Severity::Warning, Status::Fail);
    c.remedy = "Find the nodes without a ready pod: kubectl -n kube-flannel get pods -o wide.";
    c.findings.push_back(finding("daemonset/kube-flannel/kube-flannel-ds", "5 of 6 pods available",
                                 Severity::Warning, boost::json::object{{"desired", 6}, {"available", 5}}));
    r.checks.push_back(std::move(c));
  }
  r.checks.push_back(
      check("coredns-replicas", "CoreDNS has 2 ready replicas", "addons", "coredns", Severity::Warning, Status::Pass));

  // Network.
  {
    auto c = check("webhook-endpoints", "Admission webhooks have ready endpoints", "network", "admission-webhooks",
                   Severity::Critical, Status::Fail);
    c.remedy = "Fix or delete the webhook: with failurePolicy Fail every matching request is rejected.";
    c.findings.push_back(finding("validatingwebhookconfiguration/gatekeeper",
                                 "service gatekeeper-system/gatekeeper-webhook-service has no ready endpoints",
                                 Severity::Critical));
    r.checks.push_back(std::move(c));
  }

  // Workloads.
  {
    auto c = check("pod-crashloop", "No pod is in CrashLoopBackOff", "workloads", "pods", Severity::Warning,
                   Status::Fail);
    c.remedy = "Read the previous container's logs: kubectl logs --previous.";
    c.findings.push_back(finding(kScriptObject, kTrickyMessage, Severity::Warning));
    for (int i = 1; i < kCrashLoopFindings; ++i)
      c.findings.push_back(finding("pod/shop/cart-" + std::to_string(1000 + i), "CrashLoopBackOff: restarted " +
                                                                                   std::to_string(i * 3) + " times",
                                   Severity::Warning));
    r.checks.push_back(std::move(c));
  }
  {
    auto c = check("image-pull-policy", "Images with :latest use imagePullPolicy Always", "workloads", "pods",
                   Severity::Info, Status::Fail);
    c.remedy = "Pin the image to a digest or a version tag.";
    c.findings.push_back(finding("deployment/shop/frontend", "image nginx:latest with imagePullPolicy IfNotPresent",
                                 Severity::Info));
    r.checks.push_back(std::move(c));
  }

  // Storage and upgrade.
  {
    auto c = check("pv-bound", "PersistentVolumes are Bound", "storage", "persistent-volumes", Severity::Warning,
                   Status::Skipped);
    c.reason = "the profile disables it for clusters without a storage class";
    c.cause = std::string(kNotApplicable);
    r.checks.push_back(std::move(c));
  }
  r.checks.push_back(check("deprecated-apis", "No removed API versions in use", "upgrade", "api-versions",
                           Severity::Warning, Status::Pass));

  r.tables = {
      {"k8s.nodes", "kube-apiserver", 6, 41.5, ""},
      {"k8s.pods", "kube-apiserver", 143, 120.25, ""},
      {"etcd.members", "etcd", 0, 5003, "dial tcp 10.0.0.11:2379: connect: connection refused"},
  };
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary);
  f << text;
}

std::string out_dir() {
  std::string d = REPORT_TEST_OUT_DIR;
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace kinspect::report::testing
