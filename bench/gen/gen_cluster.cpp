// kinspect-gen-cluster: writes a realistic cluster snapshot (the
// kinspect-snapshot/v1 format, one List file per resource) of any size, with
// anomalies planted at given rates, and `planted.json` saying how many of
// each it planted. The same seed and options give the same bytes.
//
// Objects look like what an API server returns: labels, annotations, owner
// references, managedFields (which dominate the bytes of real objects),
// probes, resources, conditions and timestamps. Besides nodes, pods and
// workloads it writes services with Endpoints and EndpointSlices, events,
// PodDisruptionBudgets, claims bound to volumes of a StorageClass, and what
// kubeadm and the add-ons keep (ConfigMaps, bootstrap RBAC, APIServices, a
// bootstrap token). It captures every table the check catalog reads, each
// listed in manifest.json with its count as `kinspect snapshot` lists it,
// empty where a cluster of this shape has none: a table a snapshot does not
// list reads as "not captured", and its checks as not checked.
//
//   kinspect-gen-cluster --preset example --out examples/cluster
//   kinspect-gen-cluster --workers 5000 --pods 150000 --out /tmp/big
//       --notready-rate 0.002 --crashloop-rate 0.001 --no-endpoints-rate 0.01
//       --pending-pvc-rate 0.002 --pdb-blocking-rate 0.002  (one line)
#include <kinspect/sdk.hpp>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace fs = std::filesystem;
using kinspect::sdk::JsonWriter;

namespace {

#include "pki.inc"
#include "label_profile.inc"

struct Options {
  std::string out;
  std::string preset;  // "example" or ""
  std::string shape = "default";  // "default" or "busy" (see usage)
  uint64_t seed = 42;
  int control_planes = 3;
  int workers = 5;
  int pods = -1;  // application pods; -1: 8 per worker
  int namespaces = 4;
  std::string version = "v1.29.4";
  std::string now = "2026-11-20T08:00:00Z";  // what "recent" is relative to
  double notready_rate = 0;     // of worker nodes
  double crashloop_rate = 0;    // of application pods
  double no_endpoints_rate = 0; // of application services
  double removed_api_rate = 0;  // of deployments: last-applied apiVersion extensions/v1beta1
  double pending_pvc_rate = 0;  // of application deployments: an extra claim that never binds
  double pdb_blocking_rate = 0; // of application deployments: a PodDisruptionBudget with minAvailable = replicas
  double pdb_selects_nothing_rate = 0;  // of application deployments: a leftover budget for a removed canary
};

// How many of `total` a rate plants (rounded, so small clusters still get one).
int planted_count(int total, double rate) { return static_cast<int>(total * rate + 0.5); }

// Whether the i-th (1-based) of `total` items is one of the `n` planted ones.
// They are spread evenly, so any sample of the cluster sees some; 64-bit
// because i * n passes 2^31 at 150k pods.
bool spread(int i, int n, int total) {
  if (n <= 0 || total <= 0) return false;
  int64_t a = int64_t{i} * n / total, b = int64_t{i - 1} * n / total;
  return a != b;
}

std::time_t parse_time(const std::string& s) {
  std::tm tm{};
  strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return timegm(&tm);
}

std::string fmt_time(std::time_t t) {
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Everything random comes from here, in a fixed order.
struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  uint64_t next() { return g(); }
  int range(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  std::string hex(int n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s += d[next() & 15];
    return s;
  }
  std::string suffix(int n) {  // like the ones controllers add: bcdfghjklmnpqrstvwxz2456789
    static const char* d = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    for (int i = 0; i < n; ++i) s += d[next() % 27];
    return s;
  }
  std::string uid() { return hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12); }
};

// One List file, written as objects come.
class ListFile {
 public:
  ListFile(const fs::path& dir, std::string table) : table_(std::move(table)) {
    std::string name = table_.substr(4) + ".json";
    out_.open(dir / name, std::ios::binary | std::ios::trunc);
    file_ = name;
    out_ << "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"},\"items\":[\n";
  }
  void add(const std::string& obj) {
    if (count_) out_ << ",\n";
    out_ << obj;
    ++count_;
    bytes_ += obj.size();
  }
  void close() { out_ << "\n]}\n"; out_.close(); }
  const std::string& table() const { return table_; }
  const std::string& file() const { return file_; }
  uint64_t count() const { return count_; }

 private:
  std::string table_, file_;
  std::ofstream out_;
  uint64_t count_ = 0, bytes_ = 0;
};

struct Node {
  std::string name;
  std::string ip;
  std::string pod_cidr;
  bool control_plane = false;
  bool not_ready = false;
};

// The zone a node is in (its topology label; EndpointSlices repeat it).
const char* zone_of(const std::string& node) { return node.back() % 2 ? "cn-hangzhou-h" : "cn-hangzhou-i"; }

// The first string value of `"key":` in a generated object: the metadata
// field comes first, so this reads back a pod's uid or its status.podIP.
std::string first_string(const std::string& obj, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":\"";
  size_t at = obj.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  return obj.substr(at, obj.find('"', at) - at);
}

struct Generator {
  Options o;
  Rng rng;
  fs::path dir;
  std::time_t now;
  std::time_t born;  // cluster creation
  std::map<std::string, uint64_t> planted;
  std::vector<Node> nodes;
  uint64_t rv = 100000;  // resourceVersion counter
  // The kinds added later (storage, budgets, slices, events) draw from their
  // own stream and counter, so adding them left the bytes of every object
  // of the older kinds alone. resourceVersions are opaque strings, only
  // unique.
  Rng extra;
  uint64_t extra_rv = 500000000;  // far above what the older kinds reach at any size
  std::string nas_fs;  // the NAS file system application claims live on
  std::string nas_provisioner;  // its provisioner's identity, as its events name it
  std::string scheduler_host;  // the control-plane node whose scheduler leads

  explicit Generator(Options opts) : o(std::move(opts)), rng(o.seed), dir(o.out), extra(o.seed ^ 0x5eed5eed5eed5eedULL) {
    now = parse_time(o.now);
    born = now - 180 * 86400;
  }

  std::string ts(std::time_t t) { return fmt_time(t); }
  bool busy() const { return o.shape == "busy"; }

  // One value drawn from an empirical distribution (a sorted array of
  // observed values, see label_profile.inc).
  template <size_t N>
  int draw(const int (&observed)[N]) { return observed[rng.next() % N]; }

  // A label or annotation key or value of about `len` characters: a
  // prefix that keeps keys unique, then controller-like characters.
  std::string filler(const std::string& prefix, int len) {
    std::string s = prefix;
    if (static_cast<int>(s.size()) < len) s += rng.suffix(len - static_cast<int>(s.size()));
    return s;
  }

  // --shape busy: the labels and annotations of real objects on top of
  // the pod's own, counts and sizes drawn from the corpus profile.
  void profiled_labels(JsonWriter& l) {
    for (int i = 0, n = draw(kLabelCounts); i < n; ++i)
      l.field(filler("example.com/l" + std::to_string(i) + "-", draw(kLabelKeyLens)), rng.suffix(draw(kLabelValueLens)));
  }
  void profiled_annotations(JsonWriter& a) {
    for (int i = 0, n = draw(kAnnotationCounts); i < n; ++i)
      a.field(filler("example.com/a" + std::to_string(i) + "-", draw(kAnnotationKeyLens)), rng.suffix(draw(kAnnotationValueLens)));
  }

  // The image each of a pod's containers runs: the first the workload's,
  // then its sidecars'.
  static std::string container_image(const std::string& main, size_t ci) {
    static const char* sidecars[] = {"docker.io/istio/proxyv2:1.20.3", "cr.fluentbit.io/fluent/fluent-bit:2.2.2",
                                     "ghcr.io/jimmidyson/configmap-reload:v0.12.0"};
    return ci == 0 ? main : sidecars[(ci - 1) % 3];
  }
  std::string next_rv() { return std::to_string(++rv); }
  std::string next_extra_rv() { return std::to_string(++extra_rv); }

  // One writer of a managedFields entry: who last wrote which fields, as the
  // API server records it (subresource only for status writes).
  struct Managed {
    const char* manager;
    const char* api;
    std::time_t time;
    const char* subresource;  // nullptr: the main resource
    std::string_view fields;  // the FieldsV1 JSON
  };

  void managed(JsonWriter& md, std::initializer_list<Managed> writers) {
    auto mf = md.array("managedFields");
    for (const auto& w : writers) {
      auto e = mf.object();
      e.field("manager", w.manager).field("operation", "Update").field("apiVersion", w.api).field("time", ts(w.time));
      e.field("fieldsType", "FieldsV1");
      if (w.subresource) e.field("subresource", w.subresource);
      e.raw("fieldsV1", w.fields);
    }
  }

  // managedFields of pods and workloads: what real objects carry, and what
  // makes them large.
  // What a mesh's injector writes into a pod (--shape busy): its sidecars,
  // init containers and their status fields.
  static constexpr std::string_view kSidecars =
      R"({"f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/default-container":{},"f:sidecar.istio.io/status":{}},"f:labels":{"f:security.istio.io/tlsMode":{},"f:service.istio.io/canonical-name":{},"f:service.istio.io/canonical-revision":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"istio-proxy\"}":{".":{},"f:args":{},"f:env":{".":{},"k:{\"name\":\"ISTIO_META_WORKLOAD_NAME\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"POD_NAME\"}":{".":{},"f:name":{},"f:valueFrom":{".":{},"f:fieldRef":{}}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":15090,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:readinessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:periodSeconds":{}},"f:resources":{".":{},"f:limits":{".":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:securityContext":{".":{},"f:allowPrivilegeEscalation":{},"f:runAsUser":{}}},"k:{\"name\":\"log-shipper\"}":{".":{},"f:image":{},"f:name":{},"f:resources":{".":{},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:volumeMounts":{".":{},"k:{\"mountPath\":\"/var/log/app\"}":{".":{},"f:mountPath":{},"f:name":{}}}},"k:{\"name\":\"config-reloader\"}":{".":{},"f:args":{},"f:image":{},"f:name":{},"f:resources":{".":{},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}}}},"f:initContainers":{".":{},"k:{\"name\":\"istio-init\"}":{".":{},"f:args":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}},"k:{\"name\":\"wait-for-db\"}":{".":{},"f:args":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}}},"f:status":{"f:initContainerStatuses":{},"f:containerStatuses":{}}})";

  void managed_fields(JsonWriter& md, const char* manager, const char* api, std::time_t t, bool with_status, bool meshed = false) {
    static constexpr std::string_view kSpec =
        R"({"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}},"f:labels":{".":{},"f:app":{},"f:app.kubernetes.io/name":{},"f:app.kubernetes.io/part-of":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"0\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{".":{},"k:{\"name\":\"LOG_LEVEL\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"POD_NAME\"}":{".":{},"f:name":{},"f:valueFrom":{".":{},"f:fieldRef":{}}}},"f:image":{},"f:imagePullPolicy":{},"f:livenessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:readinessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:resources":{".":{},"f:limits":{".":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{},"f:volumeMounts":{".":{},"k:{\"mountPath\":\"/etc/app\"}":{".":{},"f:mountPath":{},"f:name":{},"f:readOnly":{}}}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{},"f:volumes":{".":{},"k:{\"name\":\"config\"}":{".":{},"f:configMap":{".":{},"f:defaultMode":{},"f:name":{}},"f:name":{}}}}})";
    static constexpr std::string_view kStatus =
        R"({"f:status":{"f:conditions":{"k:{\"type\":\"ContainersReady\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Initialized\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:hostIPs":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\"0\"}":{".":{},"f:ip":{}}},"f:startTime":{}}})";
    if (meshed)
      managed(md, {{manager, api, t, nullptr, kSpec}, {"pilot-discovery", "v1", t, nullptr, kSidecars},
                   {"kubelet", "v1", t + 40, "status", kStatus}});
    else if (with_status) managed(md, {{manager, api, t, nullptr, kSpec}, {"kubelet", "v1", t + 40, "status", kStatus}});
    else managed(md, {{manager, api, t, nullptr, kSpec}});
  }

  // ------------------------------------------------------------ nodes

  void make_nodes() {
    for (int i = 1; i <= o.control_planes; ++i)
      nodes.push_back({"master-" + std::to_string(i), "10.0.0." + std::to_string(10 + i),
                       "10.244." + std::to_string(i - 1) + ".0/24", true, false});
    int notready = planted_count(o.workers, o.notready_rate);
    for (int i = 1; i <= o.workers; ++i) {
      int idx = o.control_planes + i - 1;
      Node n{"worker-" + std::to_string(i), "10.0." + std::to_string(1 + idx / 250) + "." + std::to_string(10 + idx % 250),
             "10.244." + std::to_string(idx % 256) + "." + std::to_string((idx / 256) * 0) + "0/24", false, false};
      n.pod_cidr = "10." + std::to_string(128 + idx / 256) + "." + std::to_string(idx % 256) + ".0/24";
      n.not_ready = spread(i, notready, o.workers);
      nodes.push_back(n);
    }
    if (o.preset == "example") {
      for (auto& n : nodes) n.not_ready = n.name == "worker-4";
    }
    for (auto& n : nodes) planted["notready_nodes"] += n.not_ready;
    if (o.control_planes > 0) scheduler_host = nodes.front().name;
  }

  std::string node_object(const Node& n) {
    std::string s;
    {
      JsonWriter o_(s, '{', '}');
      o_.field("apiVersion", "v1").field("kind", "Node");
      {
        auto md = o_.object("metadata");
        md.field("name", n.name).field("uid", rng.uid()).field("resourceVersion", next_rv());
        md.field("creationTimestamp", ts(born + (n.control_plane ? 0 : 3600)));
        {
          auto l = md.object("labels");
          l.field("beta.kubernetes.io/arch", "amd64").field("beta.kubernetes.io/os", "linux");
          l.field("kubernetes.io/arch", "amd64").field("kubernetes.io/hostname", n.name).field("kubernetes.io/os", "linux");
          l.field("node.kubernetes.io/instance-type", n.control_plane ? "ecs.g7.xlarge" : "ecs.g7.2xlarge");
          l.field("topology.kubernetes.io/region", "cn-hangzhou").field("topology.kubernetes.io/zone", zone_of(n.name));
          if (n.control_plane) {
            l.field("node-role.kubernetes.io/control-plane", "");
            l.field("node.kubernetes.io/exclude-from-external-load-balancers", "");
          }
        }
        {
          auto a = md.object("annotations");
          a.field("kubeadm.alpha.kubernetes.io/cri-socket", "unix:///var/run/containerd/containerd.sock");
          a.field("node.alpha.kubernetes.io/ttl", "0");
          a.field("volumes.kubernetes.io/controller-managed-attach-detach", "true");
        }
      }
      {
        auto sp = o_.object("spec");
        sp.field("podCIDR", n.pod_cidr);
        sp.array("podCIDRs").value(n.pod_cidr);
        if (n.control_plane) {
          auto t = sp.array("taints").object();
          t.field("effect", "NoSchedule").field("key", "node-role.kubernetes.io/control-plane");
        } else if (n.not_ready) {
          auto t = sp.array("taints");
          t.object().field("effect", "NoSchedule").field("key", "node.kubernetes.io/unreachable").field("timeAdded", ts(now - 7200));
          t.object().field("effect", "NoExecute").field("key", "node.kubernetes.io/unreachable").field("timeAdded", ts(now - 7140));
        }
      }
      {
        auto st = o_.object("status");
        {
          auto addrs = st.array("addresses");
          addrs.object().field("address", n.ip).field("type", "InternalIP");
          addrs.object().field("address", n.name).field("type", "Hostname");
        }
        const char* cpu = n.control_plane ? "4" : "8";
        const char* mem = n.control_plane ? "15950012Ki" : "32561048Ki";
        st.object("allocatable").field("cpu", n.control_plane ? "3800m" : "7600m").field("ephemeral-storage", "113395144565")
            .field("memory", n.control_plane ? "13751484Ki" : "29362584Ki").field("pods", "110");
        st.object("capacity").field("cpu", cpu).field("ephemeral-storage", "123036780Ki").field("memory", mem).field("pods", "110");
        {
          auto c = st.array("conditions");
          std::time_t hb = n.not_ready ? now - 7300 : now - 20;
          const char* unknown = "Kubelet stopped posting node status.";
          auto cond = [&](const char* type, const char* status, const char* reason, const char* msg, std::time_t since) {
            c.object().field("lastHeartbeatTime", ts(hb)).field("lastTransitionTime", ts(since)).field("message", msg)
                .field("reason", reason).field("status", status).field("type", type);
          };
          if (n.not_ready) {
            cond("MemoryPressure", "Unknown", "NodeStatusUnknown", unknown, now - 7200);
            cond("DiskPressure", "Unknown", "NodeStatusUnknown", unknown, now - 7200);
            cond("PIDPressure", "Unknown", "NodeStatusUnknown", unknown, now - 7200);
            cond("Ready", "Unknown", "NodeStatusUnknown", unknown, now - 7200);
          } else {
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", born);
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", born);
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", born);
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status", born + 60);
          }
        }
        st.object("daemonEndpoints").object("kubeletEndpoint").field("Port", 10250);
        {
          auto imgs = st.array("images");
          const char* images[][2] = {{"registry.k8s.io/kube-proxy:" , "91234567"}, {"docker.io/flannel/flannel:v0.24.2", "81234567"},
                                     {"registry.k8s.io/pause:3.9", "321520"}, {"registry.example.com/shop/checkout:1.4.2", "73410023"},
                                     {"registry.k8s.io/coredns/coredns:v1.11.1", "18182961"}};
          for (auto& im : images) {
            auto e = imgs.object();
            std::string name = im[0];
            if (name.back() == ':') name += o.version;
            e.array("names").value(name.substr(0, name.find(':')) + "@sha256:" + rng.hex(64)).value(name);
            e.field("sizeBytes", std::atoll(im[1]));
          }
          // A busy node has pulled many applications' images over time.
          for (int i = busy() ? 5 : 50; i < 50; ++i) {
            static const char* apps[] = {"frontend", "checkout", "cart", "catalog", "recommendations", "inventory", "auth", "notifications"};
            std::string name = "registry.example.com/team-" + std::to_string(i % 11) + "/" + apps[i % 8] + ":1." + std::to_string(i) + ".2";
            auto e = imgs.object();
            e.array("names").value(name.substr(0, name.find(':')) + "@sha256:" + rng.hex(64)).value(name);
            e.field("sizeBytes", 20000000 + (i * 7919) % 400000000);
          }
        }
        {
          auto ni = st.object("nodeInfo");
          ni.field("architecture", "amd64").field("bootID", rng.uid()).field("containerRuntimeVersion", "containerd://1.7.13");
          ni.field("kernelVersion", "5.10.134-16.3.al8.x86_64").field("kubeProxyVersion", o.version);
          ni.field("kubeletVersion", o.version).field("machineID", rng.hex(32)).field("operatingSystem", "linux");
          ni.field("osImage", "Alibaba Cloud Linux 3.2104 U10 (OpenAnolis Edition)").field("systemUUID", rng.uid());
        }
      }
    }
    return s;
  }

  // ------------------------------------------------------------ pods

  struct PodSpec {
    std::string name, ns, node, app, owner_kind, owner_name, image, component;
    std::vector<std::string> containers;
    std::vector<std::string> init_containers;  // run to completion before the containers start
    bool crashloop = false;
    bool not_ready = false;  // readiness failing, not restarting
    int restarts = 0;
    bool host_network = false;
    bool privileged = false;
    bool static_pod = false;
    bool recent = false;  // created by a rollout within the last hour
    std::string claim;    // a PersistentVolumeClaim mounted at /data
    std::string revision; // a StatefulSet pod's controller revision
    int run_as = 0;       // the pod's securityContext runAsUser (and runAsNonRoot, fsGroup); 0: none set
  };

  // Pods of a recent rollout started within the last half hour; the rest
  // long ago, a minute apart.
  std::time_t pod_created(const PodSpec& p, int ip_index) const {
    return p.recent ? now - 1800 + (ip_index % 20) * 15 : born + 86400 + (ip_index % 1000) * 60;
  }

  // --shape busy: the init containers of a meshed pod (the mesh's network
  // set-up, then a wait for the database), as the spec and status show them.
  void init_container_specs(JsonWriter& sp, const PodSpec& p) {
    if (p.init_containers.empty()) return;
    auto ics = sp.array("initContainers");
    for (size_t i = 0; i < p.init_containers.size(); ++i) {
      auto c = ics.object();
      c.field("name", p.init_containers[i]).field("image", i == 0 ? "docker.io/istio/proxyv2:1.20.3" : "docker.io/library/busybox:1.36");
      {
        auto args = c.array("args");
        if (i == 0) args.value("istio-iptables").value("-p").value("15001").value("-z").value("15006").value("-u").value("1337").value("-m")
                      .value("REDIRECT").value("-i").value("*").value("-x").value("").value("-b").value("*").value("-d").value("15090,15021,15020");
        else args.value("sh").value("-c").value("until nc -z " + p.app + "-db 5432; do echo waiting for the database; sleep 2; done");
      }
      c.field("imagePullPolicy", "IfNotPresent");
      {
        auto r = c.object("resources");
        r.object("limits").field("cpu", "100m").field("memory", "64Mi");
        r.object("requests").field("cpu", "10m").field("memory", "16Mi");
      }
      c.field("terminationMessagePath", "/dev/termination-log").field("terminationMessagePolicy", "File");
    }
  }

  void init_container_statuses(JsonWriter& st, const PodSpec& p, std::time_t created) {
    if (p.init_containers.empty()) return;
    auto ics = st.array("initContainerStatuses");
    for (size_t i = 0; i < p.init_containers.size(); ++i) {
      std::string image = i == 0 ? "docker.io/istio/proxyv2:1.20.3" : "docker.io/library/busybox:1.36";
      auto c = ics.object();
      std::string id = "containerd://" + rng.hex(64);
      c.field("containerID", id).field("image", image).field("imageID", image.substr(0, image.find(':')) + "@sha256:" + rng.hex(64));
      c.object("lastState");
      c.field("name", p.init_containers[i]).field("ready", true).field("restartCount", 0).field("started", false);
      auto t = c.object("state").object("terminated");
      std::time_t at = created + 3 + 2 * static_cast<std::time_t>(i);
      t.field("containerID", id).field("exitCode", 0).field("finishedAt", ts(at + 1)).field("reason", "Completed").field("startedAt", ts(at));
    }
  }

  std::string pod_object(const PodSpec& p, const Node& n, int ip_index) {
    std::string s;
    std::time_t created = pod_created(p, ip_index);
    std::string pod_ip = p.host_network ? n.ip : n.pod_cidr.substr(0, n.pod_cidr.rfind('.')) + "." + std::to_string(2 + ip_index % 250);
    bool ready = !p.crashloop && !p.not_ready && !n.not_ready;
    {
      JsonWriter o_(s, '{', '}');
      o_.field("apiVersion", "v1").field("kind", "Pod");
      {
        auto md = o_.object("metadata");
        md.field("name", p.name).field("namespace", p.ns).field("uid", rng.uid()).field("resourceVersion", next_rv());
        md.field("creationTimestamp", ts(created));
        if (!p.static_pod && p.owner_kind != "") md.field("generateName", p.name.substr(0, p.name.rfind('-') + 1));
        {
          auto l = md.object("labels");
          if (p.static_pod) {
            l.field("component", p.app).field("tier", "control-plane");
          } else {
            l.field("app", p.app).field("app.kubernetes.io/name", p.app).field("app.kubernetes.io/part-of", p.ns);
            if (p.owner_kind == "ReplicaSet") l.field("pod-template-hash", p.owner_name.substr(p.owner_name.rfind('-') + 1));
            if (p.owner_kind == "DaemonSet") l.field("controller-revision-hash", "6b9d8f5c7").field("pod-template-generation", "3");
            if (p.owner_kind == "StatefulSet")
              l.field("controller-revision-hash", p.owner_name + "-" + p.revision).field("statefulset.kubernetes.io/pod-name", p.name);
            if (!p.component.empty()) l.field("k8s-app", p.component);
            if (busy()) profiled_labels(l);
          }
        }
        {
          auto a = md.object("annotations");
          if (p.static_pod) {
            a.field("kubernetes.io/config.hash", rng.hex(32)).field("kubernetes.io/config.source", "file");
            a.field("kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint", n.ip + ":6443");
          } else {
            a.field("kubectl.kubernetes.io/restartedAt", ts(created - 3600));
            a.field("prometheus.io/scrape", "true").field("prometheus.io/port", "9090");
            if (busy()) profiled_annotations(a);
          }
        }
        {
          auto owners = md.array("ownerReferences");
          auto ow = owners.object();
          if (p.static_pod) ow.field("apiVersion", "v1").field("kind", "Node").field("name", n.name).field("uid", rng.uid()).field("controller", true);
          else ow.field("apiVersion", "apps/v1").field("kind", p.owner_kind).field("name", p.owner_name).field("uid", rng.uid())
                  .field("controller", true).field("blockOwnerDeletion", true);
        }
        managed_fields(md, p.static_pod ? "kubelet" : "kube-controller-manager", "v1", created, true, !p.init_containers.empty());

      }
      {
        auto sp = o_.object("spec");
        init_container_specs(sp, p);
        {
          auto cs = sp.array("containers");
          for (size_t ci = 0; ci < p.containers.size(); ++ci) {
            const std::string& cname = p.containers[ci];
            auto c = cs.object();
            c.field("name", cname).field("image", container_image(p.image, ci));
            c.field("imagePullPolicy", "IfNotPresent");
            if (ci == 0 && p.static_pod) {
              auto cmd = c.array("command");
              cmd.value(p.app).value("--advertise-address=" + n.ip).value("--allow-privileged=true").value("--authorization-mode=Node,RBAC")
                  .value("--client-ca-file=/etc/kubernetes/pki/ca.crt").value("--enable-admission-plugins=NodeRestriction")
                  .value("--secure-port=6443").value("--service-cluster-ip-range=10.96.0.0/12");
            } else if (ci == 0 && p.app == "kube-proxy") {
              // As kubeadm's DaemonSet runs it: the mode comes from the
              // kube-proxy ConfigMap (config.conf), no --proxy-mode flag.
              c.array("command").value("/usr/local/bin/kube-proxy").value("--config=/var/lib/kube-proxy/config.conf")
                  .value("--hostname-override=$(NODE_NAME)");
            }
            // The small sidecars of a busy pod (log shipper, config
            // reloader) set no environment and no probes.
            const bool small_sidecar = ci >= 2;
            if (!small_sidecar) {
              auto env = c.array("env");
              env.object().field("name", "LOG_LEVEL").field("value", "info");
              auto pn = env.object();
              pn.field("name", "POD_NAME");
              pn.object("valueFrom").object("fieldRef").field("apiVersion", "v1").field("fieldPath", "metadata.name");
            }
            {
              auto ports = c.array("ports");
              ports.object().field("containerPort", ci == 0 ? 8080 : 15089 + static_cast<int>(ci)).field("name", ci == 0 ? "http" : ci == 1 ? "http-envoy-prom" : "metrics").field("protocol", "TCP");
            }
            {
              auto r = c.object("resources");
              r.object("requests").field("cpu", ci == 0 ? "250m" : "100m").field("memory", ci == 0 ? "256Mi" : "128Mi");
              r.object("limits").field("memory", ci == 0 ? "512Mi" : "1Gi");
            }
            if (!p.static_pod && !small_sidecar) {
              for (const char* probe : {"livenessProbe", "readinessProbe"}) {
                auto pr = c.object(probe);
                pr.field("failureThreshold", 3);
                {
                  auto hg = pr.object("httpGet");
                  hg.field("path", ci == 0 ? "/healthz" : "/healthz/ready").field("port", ci == 0 ? 8080 : 15021).field("scheme", "HTTP");
                }
                pr.field("periodSeconds", 10).field("successThreshold", 1).field("timeoutSeconds", 1);
              }
            }
            if (p.privileged) c.object("securityContext").field("privileged", true);
            c.field("terminationMessagePath", "/dev/termination-log").field("terminationMessagePolicy", "File");
            auto vm = c.array("volumeMounts");
            vm.object().field("mountPath", "/var/run/secrets/kubernetes.io/serviceaccount").field("name", "kube-api-access-" + rng.suffix(5)).field("readOnly", true);
            if (ci == 0 && !p.claim.empty()) vm.object().field("mountPath", "/data").field("name", "data");
          }
        }
        sp.field("dnsPolicy", p.host_network ? "ClusterFirstWithHostNet" : "ClusterFirst").field("enableServiceLinks", true);
        if (p.host_network) sp.field("hostNetwork", true);
        sp.field("nodeName", n.name).field("preemptionPolicy", "PreemptLowerPriority");
        sp.field("priority", p.ns == "kube-system" ? 2000001000 : 0);
        if (p.ns == "kube-system") sp.field("priorityClassName", "system-node-critical");
        sp.field("restartPolicy", "Always").field("schedulerName", "default-scheduler");
        if (p.run_as) sp.object("securityContext").field("fsGroup", p.run_as).field("runAsNonRoot", true).field("runAsUser", p.run_as);
        else sp.object("securityContext");
        sp.field("serviceAccount", p.ns == "kube-system" ? p.app : "default").field("serviceAccountName", p.ns == "kube-system" ? p.app : "default");
        sp.field("terminationGracePeriodSeconds", 30);
        {
          auto tol = sp.array("tolerations");
          tol.object().field("effect", "NoExecute").field("key", "node.kubernetes.io/not-ready").field("operator", "Exists").field("tolerationSeconds", 300);
          tol.object().field("effect", "NoExecute").field("key", "node.kubernetes.io/unreachable").field("operator", "Exists").field("tolerationSeconds", 300);
        }
        {
          auto vols = sp.array("volumes");
          {
            auto v = vols.object();
            v.field("name", "kube-api-access-" + rng.suffix(5));
            auto proj = v.object("projected");
            proj.field("defaultMode", 420);
            auto srcs = proj.array("sources");
            srcs.object().object("serviceAccountToken").field("expirationSeconds", 3607).field("path", "token");
            auto cm = srcs.object().object("configMap");
            cm.field("name", "kube-root-ca.crt");
            cm.array("items").object().field("key", "ca.crt").field("path", "ca.crt");
          }
          if (!p.claim.empty()) {
            auto v = vols.object();
            v.field("name", "data");
            v.object("persistentVolumeClaim").field("claimName", p.claim);
          }
        }
      }
      {
        auto st = o_.object("status");
        st.field("phase", "Running");
        {
          auto c = st.array("conditions");
          auto cond = [&](const char* type, bool ok, std::time_t t, const char* reason = nullptr, const std::string& msg = "") {
            auto e = c.object();
            e.null("lastProbeTime").field("lastTransitionTime", ts(t));
            if (reason) e.field("message", msg).field("reason", reason);
            e.field("status", ok ? "True" : "False").field("type", type);
          };
          cond("Initialized", true, created + 2);
          if (ready) {
            cond("Ready", true, created + 15);
            cond("ContainersReady", true, created + 15);
          } else {
            std::string msg = "containers with unready status: [" + p.containers[0] + "]";
            cond("Ready", false, now - 5400, "ContainersNotReady", msg);
            cond("ContainersReady", false, now - 5400, "ContainersNotReady", msg);
          }
          cond("PodScheduled", true, created);
        }
        init_container_statuses(st, p, created);
        st.field("hostIP", n.ip);
        st.array("hostIPs").object().field("ip", n.ip);
        st.field("podIP", pod_ip);
        st.array("podIPs").object().field("ip", pod_ip);
        st.field("qosClass", "Burstable").field("startTime", ts(created + 1));
        {
          auto cs = st.array("containerStatuses");
          for (size_t ci = 0; ci < p.containers.size(); ++ci) {
            auto c = cs.object();
            bool bad = ci == 0 && (p.crashloop || p.not_ready);
            c.field("containerID", "containerd://" + rng.hex(64));
            std::string image = container_image(p.image, ci);
            c.field("image", image);
            c.field("imageID", image.substr(0, image.find(':')) + "@sha256:" + rng.hex(64));
            if (ci == 0 && p.crashloop) {
              auto ls = c.object("lastState").object("terminated");
              ls.field("containerID", "containerd://" + rng.hex(64)).field("exitCode", 1).field("finishedAt", ts(now - 95));
              ls.field("reason", "Error").field("startedAt", ts(now - 101));
            } else {
              c.object("lastState");
            }
            c.field("name", p.containers[ci]).field("ready", !bad && !n.not_ready).field("restartCount", ci == 0 ? p.restarts : 0);
            c.field("started", !(ci == 0 && p.crashloop));
            auto state = c.object("state");
            if (ci == 0 && p.crashloop) {
              state.object("waiting").field("message", "back-off 5m0s restarting failed container=" + p.containers[0] + " pod=" + p.name + "_" + p.ns + "(" + rng.uid() + ")")
                  .field("reason", "CrashLoopBackOff");
            } else {
              state.object("running").field("startedAt", ts(created + 10));
            }
          }
        }
      }
    }
    return s;
  }

  // ------------------------------------------------------------ workloads

  struct Workload {
    std::string ns, name, kind, image;
    int replicas = 0, ready = 0;
    std::string rs_hash;
    bool removed_api = false;
  };

  std::string workload_object(const Workload& w) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "apps/v1").field("kind", w.kind);
    {
      auto md = o_.object("metadata");
      md.field("name", w.name).field("namespace", w.ns).field("uid", rng.uid()).field("resourceVersion", next_rv());
      md.field("generation", 3).field("creationTimestamp", ts(born + 86400));
      md.object("labels").field("app", w.name).field("app.kubernetes.io/name", w.name);
      {
        auto a = md.object("annotations");
        if (w.kind == "Deployment") a.field("deployment.kubernetes.io/revision", "3");
        // What `kubectl apply` leaves behind: the manifest as last applied,
        // with the apiVersion it was written against.
        std::string api = w.removed_api ? "extensions/v1beta1" : "apps/v1";
        std::string applied = "{\"apiVersion\":\"" + api + "\",\"kind\":\"" + w.kind + "\",\"metadata\":{\"annotations\":{},\"name\":\"" +
                              w.name + "\",\"namespace\":\"" + w.ns + "\"},\"spec\":{\"replicas\":" + std::to_string(w.replicas) +
                              ",\"selector\":{\"matchLabels\":{\"app\":\"" + w.name + "\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"" +
                              w.name + "\"}},\"spec\":{\"containers\":[{\"image\":\"" + w.image + "\",\"name\":\"app\"}]}}}}\n";
        a.field("kubectl.kubernetes.io/last-applied-configuration", applied);
      }
      managed_fields(md, "kubectl-client-side-apply", "apps/v1", born + 86400, false);
    }
    {
      auto sp = o_.object("spec");
      if (w.kind != "DaemonSet") sp.field("replicas", w.replicas);
      sp.field("revisionHistoryLimit", 10);
      sp.object("selector").object("matchLabels").field("app", w.name);
      if (w.kind == "Deployment") {
        auto st = sp.object("strategy");
        st.object("rollingUpdate").field("maxSurge", "25%").field("maxUnavailable", "25%");
        st.field("type", "RollingUpdate");
      } else if (w.kind == "DaemonSet") {
        auto st = sp.object("updateStrategy");
        st.object("rollingUpdate").field("maxSurge", 0).field("maxUnavailable", 1);
        st.field("type", "RollingUpdate");
      }
      auto tpl = sp.object("template");
      tpl.object("metadata").object("labels").field("app", w.name);
      auto ts_ = tpl.object("spec");
      auto c = ts_.array("containers").object();
      c.field("name", "app").field("image", w.image);
      c.object("resources").object("requests").field("cpu", "250m").field("memory", "256Mi");
    }
    {
      auto st = o_.object("status");
      if (w.kind == "DaemonSet") {
        st.field("currentNumberScheduled", w.replicas).field("desiredNumberScheduled", w.replicas);
        st.field("numberAvailable", w.ready).field("numberMisscheduled", 0).field("numberReady", w.ready);
        if (w.ready < w.replicas) st.field("numberUnavailable", w.replicas - w.ready);
        st.field("observedGeneration", 3).field("updatedNumberScheduled", w.replicas);
      } else {
        st.field("availableReplicas", w.ready).field("observedGeneration", 3).field("readyReplicas", w.ready);
        st.field("replicas", w.replicas).field("updatedReplicas", w.replicas);
        if (w.ready < w.replicas) st.field("unavailableReplicas", w.replicas - w.ready);
        if (w.kind == "Deployment") {
          auto cs = st.array("conditions");
          bool ok = w.ready == w.replicas;
          cs.object().field("lastTransitionTime", ts(ok ? born + 90000 : now - 5400)).field("lastUpdateTime", ts(ok ? born + 90000 : now - 5400))
              .field("message", ok ? "Deployment has minimum availability." : "Deployment does not have minimum availability.")
              .field("reason", ok ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable").field("status", ok ? "True" : "False")
              .field("type", "Available");
          cs.object().field("lastTransitionTime", ts(born + 86400)).field("lastUpdateTime", ts(born + 90000))
              .field("message", "ReplicaSet \"" + w.name + "-" + w.rs_hash + "\" has successfully progressed.")
              .field("reason", "NewReplicaSetAvailable").field("status", "True").field("type", "Progressing");
        }
      }
    }
    return s;
  }

  std::string replicaset_object(const Workload& w) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "apps/v1").field("kind", "ReplicaSet");
    {
      auto md = o_.object("metadata");
      md.field("name", w.name + "-" + w.rs_hash).field("namespace", w.ns).field("uid", rng.uid()).field("resourceVersion", next_rv());
      md.field("creationTimestamp", ts(born + 86400));
      md.object("labels").field("app", w.name).field("pod-template-hash", w.rs_hash);
      md.array("ownerReferences").object().field("apiVersion", "apps/v1").field("kind", "Deployment").field("name", w.name)
          .field("uid", rng.uid()).field("controller", true).field("blockOwnerDeletion", true);
    }
    o_.object("spec").field("replicas", w.replicas).object("selector").object("matchLabels").field("app", w.name).field("pod-template-hash", w.rs_hash);
    o_.object("status").field("availableReplicas", w.ready).field("fullyLabeledReplicas", w.replicas).field("observedGeneration", 1)
        .field("readyReplicas", w.ready).field("replicas", w.replicas);
    return s;
  }

  // ------------------------------------------------------------ services

  // One address behind a service: a pod (or, for `kubernetes`, an API server
  // with no pod and no node).
  struct Backend {
    std::string ip, node, pod, uid;
  };

  struct Service {
    std::string ns, name, selector_app, cluster_ip;
    int port = 80;
    std::vector<Backend> ready, not_ready;
    int node_port = 0;  // a fixed NodePort (--shape busy); 0: a ClusterIP service
  };

  std::string service_object(const Service& sv) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "Service");
    {
      auto md = o_.object("metadata");
      md.field("name", sv.name).field("namespace", sv.ns).field("uid", rng.uid()).field("resourceVersion", next_rv());
      md.field("creationTimestamp", ts(born + 86400));
      if (sv.name != "kubernetes") md.object("labels").field("app", sv.selector_app);
      else md.object("labels").field("component", "apiserver").field("provider", "kubernetes");
    }
    {
      auto sp = o_.object("spec");
      sp.field("clusterIP", sv.cluster_ip);
      sp.array("clusterIPs").value(sv.cluster_ip);
      sp.field("internalTrafficPolicy", "Cluster");
      sp.array("ipFamilies").value("IPv4");
      sp.field("ipFamilyPolicy", "SingleStack");
      {
        auto port = sp.array("ports").object();
        port.field("name", sv.name == "kubernetes" ? "https" : "http").field("port", sv.port).field("protocol", "TCP");
        port.field("targetPort", sv.name == "kubernetes" ? 6443 : 8080);
        if (sv.node_port) port.field("nodePort", sv.node_port);
      }
      if (!sv.selector_app.empty()) sp.object("selector").field("app", sv.selector_app);
      if (sv.node_port) sp.field("externalTrafficPolicy", "Cluster");
      sp.field("sessionAffinity", "None").field("type", sv.node_port ? "NodePort" : "ClusterIP");
    }
    o_.object("status").object("loadBalancer");
    return s;
  }

  std::string endpoints_object(const Service& sv) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "Endpoints");
    {
      auto md = o_.object("metadata");
      md.field("name", sv.name).field("namespace", sv.ns).field("uid", rng.uid()).field("resourceVersion", next_rv());
      md.field("creationTimestamp", ts(born + 86400));
      md.object("annotations").field("endpoints.kubernetes.io/last-change-trigger-time", ts(now - 3600));
    }
    if (!sv.ready.empty() || !sv.not_ready.empty()) {
      auto subsets = o_.array("subsets");
      auto ss = subsets.object();
      auto addr = [&](const char* key, const std::vector<Backend>& list) {
        if (list.empty()) return;
        auto arr = ss.array(key);
        for (const auto& b : list) {
          auto a = arr.object();
          a.field("ip", b.ip);
          if (!b.node.empty()) a.field("nodeName", b.node);
          if (!b.pod.empty())
            a.object("targetRef").field("kind", "Pod").field("name", b.pod).field("namespace", sv.ns)
                .field("uid", busy() ? b.uid : rng.uid());  // busy: the pod's own uid, as the controller writes it
        }
      };
      addr("addresses", sv.ready);
      addr("notReadyAddresses", sv.not_ready);
      ss.array("ports").object().field("name", sv.name == "kubernetes" ? "https" : "http")
          .field("port", sv.name == "kubernetes" ? 6443 : 8080).field("protocol", "TCP");
    }
    return s;
  }

  std::string webhook_object(const std::string& name, const std::string& ns, const std::string& svc, const char* policy) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "admissionregistration.k8s.io/v1").field("kind", "ValidatingWebhookConfiguration");
    {
      auto md = o_.object("metadata");
      md.field("name", name).field("uid", rng.uid()).field("resourceVersion", next_rv()).field("generation", 1);
      md.field("creationTimestamp", ts(born + 2 * 86400));
    }
    auto whs = o_.array("webhooks");
    auto wh = whs.object();
    wh.array("admissionReviewVersions").value("v1");
    {
      auto cc = wh.object("clientConfig");
      cc.field("caBundle", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMuLi4KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=");
      cc.object("service").field("name", svc).field("namespace", ns).field("path", "/validate").field("port", 443);
    }
    wh.field("failurePolicy", policy).field("matchPolicy", "Equivalent").field("name", name + ".example.com");
    wh.object("namespaceSelector").array("matchExpressions").object().field("key", "kubernetes.io/metadata.name")
        .field("operator", "NotIn").array("values").value("kube-system");
    wh.object("objectSelector");
    {
      auto rules = wh.array("rules").object();
      rules.array("apiGroups").value("").value("apps");
      rules.array("apiVersions").value("v1");
      rules.array("operations").value("CREATE").value("UPDATE");
      rules.array("resources").value("pods").value("deployments");
      rules.field("scope", "*");
    }
    wh.field("sideEffects", "None").field("timeoutSeconds", 10);
    return s;
  }

  std::string namespace_object(const std::string& name) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "Namespace");
    {
      auto md = o_.object("metadata");
      md.field("name", name).field("uid", rng.uid()).field("resourceVersion", next_rv()).field("creationTimestamp", ts(born));
      md.object("labels").field("kubernetes.io/metadata.name", name);
    }
    o_.object("spec").array("finalizers").value("kubernetes");
    o_.object("status").field("phase", "Active");
    return s;
  }

  std::string lease_object(const Node& n) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "coordination.k8s.io/v1").field("kind", "Lease");
    {
      auto md = o_.object("metadata");
      md.field("name", n.name).field("namespace", "kube-node-lease").field("uid", rng.uid()).field("resourceVersion", next_rv());
      md.field("creationTimestamp", ts(born));
    }
    o_.object("spec").field("holderIdentity", n.name).field("leaseDurationSeconds", 40)
        .field("renewTime", fmt_time(n.not_ready ? now - 7300 : now - 8).substr(0, 19) + ".000000Z");
    return s;
  }

  // ------------------------------------------------------------ storage

  // Two classes, as a managed cluster ships them: cloud disks (the default,
  // bound once a pod is scheduled) and a shared NAS file system (bound at
  // once, ReadWriteMany) that the application claims use. The csi-plugin
  // DaemonSet is the node side of both drivers.
  static constexpr const char* kDiskClass = "alicloud-disk-essd";
  static constexpr const char* kNasClass = "alibabacloud-cnfs-nas";
  static constexpr const char* kNasDriver = "nasplugin.csi.alibabacloud.com";

  std::string storageclass_object(bool nas) {
    static constexpr std::string_view kDiskFields =
        R"({"f:allowVolumeExpansion":{},"f:metadata":{"f:annotations":{".":{},"f:storageclass.kubernetes.io/is-default-class":{}}},"f:parameters":{".":{},"f:fstype":{},"f:type":{}},"f:provisioner":{},"f:reclaimPolicy":{},"f:volumeBindingMode":{}})";
    static constexpr std::string_view kNasFields =
        R"({"f:allowVolumeExpansion":{},"f:mountOptions":{},"f:parameters":{".":{},"f:containerNetworkFileSystem":{},"f:path":{},"f:volumeAs":{}},"f:provisioner":{},"f:reclaimPolicy":{},"f:volumeBindingMode":{}})";
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "storage.k8s.io/v1").field("kind", "StorageClass");
    {
      auto md = o_.object("metadata");
      md.field("name", nas ? kNasClass : kDiskClass).field("uid", extra.uid()).field("resourceVersion", next_extra_rv());
      md.field("creationTimestamp", ts(born + 600));
      if (!nas) md.object("annotations").field("storageclass.kubernetes.io/is-default-class", "true");
      managed(md, {{"kubectl-client-side-apply", "storage.k8s.io/v1", born + 600, nullptr, nas ? kNasFields : kDiskFields}});
    }
    o_.field("allowVolumeExpansion", true);
    if (nas) o_.array("mountOptions").value("nolock,tcp,noresvport").value("vers=3");
    {
      auto pa = o_.object("parameters");
      if (nas) pa.field("containerNetworkFileSystem", nas_fs).field("path", "/").field("volumeAs", "subpath");
      else pa.field("fstype", "ext4").field("type", "cloud_essd");
    }
    o_.field("provisioner", nas ? kNasDriver : "diskplugin.csi.alibabacloud.com").field("reclaimPolicy", "Delete");
    o_.field("volumeBindingMode", nas ? "Immediate" : "WaitForFirstConsumer");
    return s;
  }

  // A claim on the NAS class. Bound ones name their volume ("pvc-" and the
  // claim's uid, as the external provisioner names them); a Pending one has
  // none because its provisioning keeps failing.
  struct Claim {
    std::string ns, name, app, size, uid, volume, rv;
    std::time_t created = 0;
    bool bound() const { return !volume.empty(); }
  };

  std::string pvc_object(const Claim& c) {
    static constexpr std::string_view kApplied =
        R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:storageClassName":{},"f:volumeMode":{}}})";
    static constexpr std::string_view kBinder =
        R"({"f:metadata":{"f:annotations":{".":{},"f:pv.kubernetes.io/bind-completed":{},"f:pv.kubernetes.io/bound-by-controller":{},"f:volume.beta.kubernetes.io/storage-provisioner":{},"f:volume.kubernetes.io/storage-provisioner":{}}},"f:spec":{"f:volumeName":{}}})";
    static constexpr std::string_view kProvisioning =
        R"({"f:metadata":{"f:annotations":{".":{},"f:volume.beta.kubernetes.io/storage-provisioner":{},"f:volume.kubernetes.io/storage-provisioner":{}}}})";
    static constexpr std::string_view kStatus = R"({"f:status":{"f:accessModes":{},"f:capacity":{".":{},"f:storage":{}},"f:phase":{}}})";
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "PersistentVolumeClaim");
    {
      auto md = o_.object("metadata");
      md.field("name", c.name).field("namespace", c.ns).field("uid", c.uid).field("resourceVersion", c.rv);
      md.field("creationTimestamp", ts(c.created));
      md.object("labels").field("app", c.app);
      {
        auto a = md.object("annotations");
        if (c.bound()) a.field("pv.kubernetes.io/bind-completed", "yes").field("pv.kubernetes.io/bound-by-controller", "yes");
        a.field("volume.beta.kubernetes.io/storage-provisioner", kNasDriver).field("volume.kubernetes.io/storage-provisioner", kNasDriver);
      }
      md.array("finalizers").value("kubernetes.io/pvc-protection");
      if (c.bound())
        managed(md, {{"kubectl-client-side-apply", "v1", c.created, nullptr, kApplied},
                     {"kube-controller-manager", "v1", c.created + 4, nullptr, kBinder},
                     {"kube-controller-manager", "v1", c.created + 4, "status", kStatus}});
      else
        managed(md, {{"kubectl-client-side-apply", "v1", c.created, nullptr, kApplied},
                     {"kube-controller-manager", "v1", c.created, nullptr, kProvisioning}});
    }
    {
      auto sp = o_.object("spec");
      sp.array("accessModes").value("ReadWriteMany");
      sp.object("resources").object("requests").field("storage", c.size);
      sp.field("storageClassName", kNasClass).field("volumeMode", "Filesystem");
      if (c.bound()) sp.field("volumeName", c.volume);
    }
    {
      auto st = o_.object("status");
      if (c.bound()) {
        st.array("accessModes").value("ReadWriteMany");
        st.object("capacity").field("storage", c.size);
      }
      st.field("phase", c.bound() ? "Bound" : "Pending");
    }
    return s;
  }

  std::string pv_object(const Claim& c) {
    static constexpr std::string_view kProvisioner =
        R"({"f:metadata":{"f:annotations":{".":{},"f:pv.kubernetes.io/provisioned-by":{},"f:volume.kubernetes.io/provisioner-deletion-secret-name":{},"f:volume.kubernetes.io/provisioner-deletion-secret-namespace":{}}},"f:spec":{"f:accessModes":{},"f:capacity":{".":{},"f:storage":{}},"f:claimRef":{".":{},"f:apiVersion":{},"f:kind":{},"f:name":{},"f:namespace":{},"f:resourceVersion":{},"f:uid":{}},"f:csi":{".":{},"f:driver":{},"f:volumeAttributes":{".":{},"f:containerNetworkFileSystem":{},"f:path":{},"f:server":{},"f:storage.kubernetes.io/csiProvisionerIdentity":{},"f:volumeAs":{}},"f:volumeHandle":{}},"f:mountOptions":{},"f:persistentVolumeReclaimPolicy":{},"f:storageClassName":{},"f:volumeMode":{}}})";
    static constexpr std::string_view kStatus = R"({"f:status":{"f:phase":{}}})";
    std::time_t made = c.created + 3;
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "PersistentVolume");
    {
      auto md = o_.object("metadata");
      md.field("name", c.volume).field("uid", extra.uid()).field("resourceVersion", next_extra_rv());
      md.field("creationTimestamp", ts(made));
      md.object("annotations").field("pv.kubernetes.io/provisioned-by", kNasDriver)
          .field("volume.kubernetes.io/provisioner-deletion-secret-name", "").field("volume.kubernetes.io/provisioner-deletion-secret-namespace", "");
      md.array("finalizers").value("external-provisioner.volume.kubernetes.io/finalizer").value("kubernetes.io/pv-protection");
      managed(md, {{"csi-provisioner", "v1", made, nullptr, kProvisioner}, {"kube-controller-manager", "v1", made + 1, "status", kStatus}});
    }
    {
      auto sp = o_.object("spec");
      sp.array("accessModes").value("ReadWriteMany");
      sp.object("capacity").field("storage", c.size);
      sp.object("claimRef").field("apiVersion", "v1").field("kind", "PersistentVolumeClaim").field("name", c.name)
          .field("namespace", c.ns).field("resourceVersion", c.rv).field("uid", c.uid);
      {
        auto csi = sp.object("csi");
        csi.field("driver", kNasDriver);
        csi.object("volumeAttributes").field("containerNetworkFileSystem", nas_fs).field("path", "/" + c.volume)
            .field("server", nas_fs.substr(9) + ".cn-hangzhou.nas.aliyuncs.com")
            .field("storage.kubernetes.io/csiProvisionerIdentity", std::to_string(born) + "000-8081-" + kNasDriver).field("volumeAs", "subpath");
        csi.field("volumeHandle", c.volume);
      }
      sp.array("mountOptions").value("nolock,tcp,noresvport").value("vers=3");
      sp.field("persistentVolumeReclaimPolicy", "Delete").field("storageClassName", kNasClass).field("volumeMode", "Filesystem");
    }
    o_.object("status").field("lastPhaseTransitionTime", ts(made + 1)).field("phase", "Bound");
    return s;
  }

  // ------------------------------------------------------------ disruption budgets

  // A PodDisruptionBudget and what the disruption controller computed for it.
  struct Budget {
    std::string ns, name, app, track;  // selector: app, and track when set
    const char* rule = "maxUnavailable";  // or "minAvailable"
    std::string value;                    // a count ("1") or a percentage ("50%")
    int expected = 0, healthy = 0;        // matching pods, and how many are ready

    // The controller's arithmetic: percentages of the expected pods round up.
    int desired() const {
      int n = value.back() == '%' ? (expected * std::atoi(value.c_str()) + 99) / 100 : std::atoi(value.c_str());
      return rule == std::string_view("maxUnavailable") ? std::max(0, expected - n) : n;
    }
    int allowed() const { return std::max(0, healthy - desired()); }
    // What a drain runs into: pods to protect and no disruption left.
    bool blocks_drain() const { return expected > 0 && allowed() == 0; }
  };

  std::string pdb_object(const Budget& b, std::time_t created) {
    static constexpr std::string_view kMax =
        R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:maxUnavailable":{},"f:selector":{}}})";
    static constexpr std::string_view kMin =
        R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:minAvailable":{},"f:selector":{}}})";
    static constexpr std::string_view kStatus =
        R"({"f:status":{"f:conditions":{".":{},"k:{\"type\":\"DisruptionAllowed\"}":{".":{},"f:lastTransitionTime":{},"f:message":{},"f:observedGeneration":{},"f:reason":{},"f:status":{},"f:type":{}}},"f:currentHealthy":{},"f:desiredHealthy":{},"f:disruptionsAllowed":{},"f:expectedPods":{},"f:observedGeneration":{}}})";
    bool max_rule = b.rule == std::string_view("maxUnavailable");
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "policy/v1").field("kind", "PodDisruptionBudget");
    {
      auto md = o_.object("metadata");
      md.field("name", b.name).field("namespace", b.ns).field("uid", extra.uid()).field("resourceVersion", next_extra_rv());
      md.field("generation", 1).field("creationTimestamp", ts(created));
      md.object("labels").field("app", b.app);
      managed(md, {{"kubectl-client-side-apply", "policy/v1", created, nullptr, max_rule ? kMax : kMin},
                   {"kube-controller-manager", "policy/v1", now - 60, "status", kStatus}});
    }
    {
      auto sp = o_.object("spec");
      if (b.value.back() == '%') sp.field(b.rule, b.value);
      else sp.field(b.rule, std::atoi(b.value.c_str()));
      auto ml = sp.object("selector").object("matchLabels");
      ml.field("app", b.app);
      if (!b.track.empty()) ml.field("track", b.track);
    }
    {
      auto st = o_.object("status");
      {
        bool ok = b.allowed() > 0;
        // A budget that allows nothing with every pod healthy has done so
        // since it was made; otherwise since its pods went unready.
        std::time_t since = ok || b.healthy == b.expected ? created + 30 : now - 5400;
        auto c = st.array("conditions").object();
        c.field("lastTransitionTime", ts(since)).field("message", "").field("observedGeneration", 1);
        c.field("reason", ok ? "SufficientPods" : "InsufficientPods").field("status", ok ? "True" : "False").field("type", "DisruptionAllowed");
      }
      st.field("currentHealthy", b.healthy).field("desiredHealthy", b.desired()).field("disruptionsAllowed", b.allowed());
      st.field("expectedPods", b.expected).field("observedGeneration", 1);
    }
    return s;
  }

  // ------------------------------------------------------------ endpoint slices

  // The EndpointSlices of a service: at most 100 endpoints each (the
  // controller's default), or one empty placeholder when nothing backs it.
  // The API server keeps the `kubernetes` one itself.
  void endpointslices(ListFile& f, const Service& sv, const std::string& service_uid) {
    static constexpr std::string_view kFields =
        R"({"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:annotations":{".":{},"f:endpoints.kubernetes.io/last-change-trigger-time":{}},"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:endpointslice.kubernetes.io/managed-by":{},"f:kubernetes.io/service-name":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"0\"}":{}}},"f:ports":{}})";
    static constexpr std::string_view kApiServerFields =
        R"({"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:labels":{".":{},"f:kubernetes.io/service-name":{}}},"f:ports":{}})";
    constexpr size_t kMaxPerSlice = 100;
    bool apiserver = sv.name == "kubernetes";
    std::vector<std::pair<const Backend*, bool>> all;  // backend, ready
    for (const auto& b : sv.ready) all.push_back({&b, true});
    for (const auto& b : sv.not_ready) all.push_back({&b, false});
    for (size_t from = 0; from == 0 || from < all.size(); from += kMaxPerSlice) {
      std::string s;
      {
        JsonWriter o_(s, '{', '}');
        o_.field("apiVersion", "discovery.k8s.io/v1").field("kind", "EndpointSlice");
        {
          auto md = o_.object("metadata");
          md.field("name", apiserver ? sv.name : sv.name + "-" + extra.suffix(5));
          if (!apiserver) md.field("generateName", sv.name + "-");
          md.field("namespace", sv.ns).field("uid", extra.uid()).field("resourceVersion", next_extra_rv()).field("generation", 1);
          md.field("creationTimestamp", ts(born + 86400));
          {
            auto l = md.object("labels");
            if (!apiserver) l.field("app", sv.selector_app).field("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
            l.field("kubernetes.io/service-name", sv.name);
          }
          if (!apiserver) {
            md.object("annotations").field("endpoints.kubernetes.io/last-change-trigger-time", ts(now - 3600));
            md.array("ownerReferences").object().field("apiVersion", "v1").field("kind", "Service").field("name", sv.name)
                .field("uid", service_uid).field("controller", true).field("blockOwnerDeletion", true);
          }
          managed(md, {{apiserver ? "kube-apiserver" : "kube-controller-manager", "discovery.k8s.io/v1", now - 3600, nullptr,
                        apiserver ? kApiServerFields : kFields}});
        }
        o_.field("addressType", "IPv4");
        if (all.empty()) {
          o_.null("endpoints");
        } else {
          auto eps = o_.array("endpoints");
          for (size_t i = from; i < all.size() && i < from + kMaxPerSlice; ++i) {
            const auto& [b, ready] = all[i];
            auto e = eps.object();
            e.array("addresses").value(b->ip);
            e.object("conditions").field("ready", ready).field("serving", ready).field("terminating", false);
            if (!b->node.empty()) e.field("nodeName", b->node);
            if (!b->pod.empty()) e.object("targetRef").field("kind", "Pod").field("name", b->pod).field("namespace", sv.ns).field("uid", b->uid);
            if (!b->node.empty()) e.field("zone", zone_of(b->node));
          }
        }
        if (all.empty() && !apiserver) {
          o_.null("ports");
        } else {
          o_.array("ports").object().field("name", apiserver ? "https" : "http").field("port", apiserver ? 6443 : 8080).field("protocol", "TCP");
        }
      }
      f.add(s);
    }
  }

  // ------------------------------------------------------------ events

  // The object an event is about.
  struct Involved {
    const char* api;
    const char* kind;
    std::string ns, name, uid, field_path;
  };

  // One core/v1 Event. Most components still write through the core API
  // (source, first/lastTimestamp, count); the scheduler writes through
  // events.k8s.io, which reads back with eventTime and no timestamps.
  struct Event {
    Involved on;
    const char* type;
    const char* reason;
    std::string message;
    std::string component;  // source.component / reportingComponent
    const char* manager;    // the process that wrote it (managedFields)
    std::string host;       // the node, for kubelet events
    std::time_t first, last;
    int count = 1;
    bool events_api = false;
  };

  void event(ListFile& f, const Event& e) {
    static constexpr std::string_view kCore =
        R"({"f:count":{},"f:firstTimestamp":{},"f:involvedObject":{},"f:lastTimestamp":{},"f:message":{},"f:reason":{},"f:reportingComponent":{},"f:reportingInstance":{},"f:source":{"f:component":{},"f:host":{}},"f:type":{}})";
    static constexpr std::string_view kEventsApi =
        R"({"f:action":{},"f:eventTime":{},"f:note":{},"f:reason":{},"f:regarding":{},"f:reportingController":{},"f:reportingInstance":{},"f:type":{}})";
    std::string ns = e.on.ns.empty() ? "default" : e.on.ns;
    std::string instance = e.events_api && !e.host.empty() ? e.component + "-" + e.host : e.host;
    std::string s;
    {
      JsonWriter o_(s, '{', '}');
      o_.field("apiVersion", "v1").field("kind", "Event");
      {
        auto md = o_.object("metadata");
        md.field("name", e.on.name + "." + extra.hex(16)).field("namespace", ns).field("uid", extra.uid());
        md.field("resourceVersion", next_extra_rv()).field("creationTimestamp", ts(e.first));
        managed(md, {{e.manager, e.events_api ? "events.k8s.io/v1" : "v1", e.last, nullptr, e.events_api ? kEventsApi : kCore}});
      }
      {
        auto io = o_.object("involvedObject");
        io.field("apiVersion", e.on.api);
        if (!e.on.field_path.empty()) io.field("fieldPath", e.on.field_path);
        io.field("kind", e.on.kind).field("name", e.on.name);
        if (!e.on.ns.empty()) io.field("namespace", e.on.ns);
        io.field("uid", e.on.uid);
      }
      o_.field("reason", e.reason).field("message", e.message);
      {
        auto src = o_.object("source");
        if (!e.events_api) {
          src.field("component", e.component);
          if (!e.host.empty()) src.field("host", e.host);
        }
      }
      if (e.events_api) {
        o_.null("firstTimestamp").null("lastTimestamp");
      } else {
        o_.field("firstTimestamp", ts(e.first)).field("lastTimestamp", ts(e.last)).field("count", e.count);
      }
      o_.field("type", e.type);
      if (e.events_api) o_.field("eventTime", ts(e.first).substr(0, 19) + ".481516Z").field("action", "Binding");
      else o_.null("eventTime");
      o_.field("reportingComponent", e.component).field("reportingInstance", instance);
    }
    f.add(s);
  }

  // What is said about a pod within the hour events live: the start of a
  // recent rollout (scheduled, then each container pulled, created,
  // started), a crashing container's restarts, its node going away.
  void pod_events(ListFile& f, const PodSpec& p, const Node& n, const std::string& uid, const std::string& ip, std::time_t created) {
    Involved pod{"v1", "Pod", p.ns, p.name, uid, ""};
    auto container = [&](size_t ci) {
      Involved c = pod;
      c.field_path = "spec.containers{" + p.containers[ci] + "}";
      return c;
    };
    auto image = [&](size_t ci) { return container_image(p.image, ci); };
    if (p.recent) {
      event(f, {pod, "Normal", "Scheduled", "Successfully assigned " + p.ns + "/" + p.name + " to " + n.name, "default-scheduler",
                "kube-scheduler", scheduler_host, created, created, 1, true});
      for (size_t ci = 0; ci < p.containers.size(); ++ci) {
        std::time_t t = created + 2 + static_cast<std::time_t>(ci);
        auto kubelet = [&](const char* reason, const std::string& msg) {
          event(f, {container(ci), "Normal", reason, msg, "kubelet", "kubelet", n.name, t, t});
        };
        kubelet("Pulled", "Container image \"" + image(ci) + "\" already present on machine");
        kubelet("Created", "Created container " + p.containers[ci]);
        kubelet("Started", "Started container " + p.containers[ci]);
      }
    }
    if (p.crashloop) {
      // Crashing since the pod went unready (status: 5400 s ago), restarted
      // with back-off; the readiness probe never gets an answer.
      std::time_t since = now - 5400;
      event(f, {container(0), "Normal", "Pulled", "Container image \"" + p.image + "\" already present on machine", "kubelet", "kubelet",
                n.name, since, now - 101, p.restarts + 1});
      event(f, {container(0), "Warning", "Unhealthy",
                "Readiness probe failed: Get \"http://" + ip + ":8080/healthz\": dial tcp " + ip + ":8080: connect: connection refused",
                "kubelet", "kubelet", n.name, since + 5, now - 98, 2 * p.restarts});
      event(f, {container(0), "Warning", "BackOff", "Back-off restarting failed container " + p.containers[0] + " in pod " + p.name + "_" + p.ns + "(" + uid + ")",
                "kubelet", "kubelet", n.name, since + 12, now - 20, 20 * p.restarts});
    }
    if (n.not_ready)
      event(f, {pod, "Warning", "NodeNotReady", "Node is not ready", "node-controller", "kube-controller-manager", "", now - 7160, now - 7160});
  }

  // A pod, what is said about it, and what a service needs to route to it.
  Backend add_pod(ListFile& fpods, ListFile& fevents, const PodSpec& p, const Node& n, int ip_index) {
    std::string obj = pod_object(p, n, ip_index);
    Backend b{first_string(obj, "podIP"), n.name, p.name, first_string(obj, "uid")};
    fpods.add(obj);
    pod_events(fevents, p, n, b.uid, b.ip, pod_created(p, ip_index));
    return b;
  }

  // A deployment scaled up within the hour: its controllers' side of the
  // pods' start-up events.
  void scale_up_events(ListFile& f, const Workload& w, const std::string& dep_uid, const std::string& rs_uid, const Service& sv) {
    std::string rs = w.name + "-" + w.rs_hash;
    std::time_t t = now - 1800;
    event(f, {{"apps/v1", "Deployment", w.ns, w.name, dep_uid, ""}, "Normal", "ScalingReplicaSet",
              "Scaled up replica set " + rs + " to " + std::to_string(w.replicas) + " from 0", "deployment-controller",
              "kube-controller-manager", "", t, t});
    for (const auto* list : {&sv.ready, &sv.not_ready})
      for (const auto& b : *list)
        event(f, {{"apps/v1", "ReplicaSet", w.ns, rs, rs_uid, ""}, "Normal", "SuccessfulCreate", "Created pod: " + b.pod,
                  "replicaset-controller", "kube-controller-manager", "", t, t});
  }

  // Planted: the budget of a canary track that was since removed; its
  // selector matches nothing.
  void leftover_canary_budget(ListFile& fpdb, ListFile& fevents, const Workload& w) {
    Budget b{w.ns, w.name + "-canary", w.name, "canary", "minAvailable", "1", 0, 0};
    std::string obj = pdb_object(b, born + 30 * 86400);
    fpdb.add(obj);
    event(fevents, {{"policy/v1", "PodDisruptionBudget", b.ns, b.name, first_string(obj, "uid"), ""}, "Normal", "NoPods",
                    "No matching pods found", "controllermanager", "kube-controller-manager", "", now - 3 * 86400, now - 45, 4320});
    ++planted["pdbs_selecting_nothing"];
  }

  // Planted: a claim for an export job, Pending for hours because its
  // provisioning keeps failing (the file system is at its quota). No pod
  // uses it yet.
  void pending_claim(ListFile& fpvc, ListFile& fevents, const Workload& w) {
    Claim c{w.ns, w.name + "-export", w.name, "2Ti", extra.uid(), "", next_extra_rv(), now - 3 * 3600};
    fpvc.add(pvc_object(c));
    Involved on{"v1", "PersistentVolumeClaim", c.ns, c.name, c.uid, ""};
    event(fevents, {on, "Normal", "ExternalProvisioning",
                    std::string("Waiting for a volume to be created either by the external provisioner \"") + kNasDriver +
                        "\" or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
                    "persistentvolume-controller", "kube-controller-manager", "", c.created, now - 12, 722});
    event(fevents, {on, "Warning", "ProvisioningFailed",
                    "failed to provision volume with StorageClass \"" + std::string(kNasClass) +
                        "\": rpc error: code = ResourceExhausted desc = create subpath: file system " + nas_fs + " has reached its capacity quota",
                    nas_provisioner, "csi-provisioner", "", c.created + 2, now - 40, 31});
    ++planted["pending_pvcs"];
  }

  // ------------------------------------------------------------ what kubeadm and the add-ons keep

  // The kinds below came last and draw from `extra` after every older kind
  // has drawn, so adding them changed no older object.

  struct Kv {
    std::string key, value;
  };

  // The metadata every object of these kinds starts with; `ns` empty for
  // cluster-scoped ones.
  void head(JsonWriter& md, const std::string& name, const std::string& ns, std::time_t created) {
    md.field("name", name);
    if (!ns.empty()) md.field("namespace", ns);
    md.field("uid", extra.uid()).field("resourceVersion", next_extra_rv()).field("creationTimestamp", ts(created));
  }

  static void pairs(JsonWriter& parent, std::string_view key, const std::vector<Kv>& kvs) {
    if (kvs.empty()) return;
    auto o = parent.object(key);
    for (const auto& kv : kvs) o.field(kv.key, kv.value);
  }

  // The FieldsV1 of a writer that set these keys of one map (data, labels).
  static std::string fields_of(std::string_view top, const std::vector<Kv>& kvs) {
    std::string f = "{\"f:" + std::string(top) + "\":{\".\":{}";
    for (const auto& kv : kvs) f += ",\"f:" + kv.key + "\":{}";
    return f + "}}";
  }

  std::string configmap_object(const std::string& ns, const std::string& name, std::time_t created, const std::vector<Kv>& data,
                               const std::vector<Kv>& labels = {}, const std::vector<Kv>& annotations = {},
                               const char* manager = "kubeadm") {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "ConfigMap");
    {
      auto md = o_.object("metadata");
      head(md, name, ns, created);
      pairs(md, "labels", labels);
      pairs(md, "annotations", annotations);
      std::string fields = fields_of("data", data);
      managed(md, {{manager, "v1", created, nullptr, fields}});
    }
    pairs(o_, "data", data);
    return s;
  }

  // A Secret as `kinspect snapshot` writes it by default: its keys, with
  // the values withheld (null).
  std::string secret_object(const std::string& ns, const std::string& name, const char* type, std::time_t created,
                            std::initializer_list<const char*> keys, const std::vector<Kv>& labels = {},
                            const std::vector<Kv>& annotations = {}) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "Secret");
    {
      auto md = o_.object("metadata");
      head(md, name, ns, created);
      pairs(md, "labels", labels);
      pairs(md, "annotations", annotations);
    }
    {
      auto d = o_.object("data");
      for (const char* k : keys) d.null(k);
    }
    o_.field("type", type);
    return s;
  }

  static std::string base64(std::string_view in) {
    static const char* d = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
      uint32_t n = static_cast<uint8_t>(in[i]) << 16;
      if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
      if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
      out += d[(n >> 18) & 63];
      out += d[(n >> 12) & 63];
      out += i + 1 < in.size() ? d[(n >> 6) & 63] : '=';
      out += i + 2 < in.size() ? d[n & 63] : '=';
    }
    return out;
  }

  // The control-plane endpoint kubeadm was given: a load balancer in front
  // of the three API servers.
  static constexpr const char* kEndpoint = "10.0.0.10:6443";
  static constexpr const char* kClusterCidr = "10.128.0.0/9";  // holds every node's podCIDR

  std::string kube_proxy_config() const {
    return std::string(
               "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nbindAddressHardFail: false\n"
               "clientConnection:\n  acceptContentTypes: \"\"\n  burst: 0\n  contentType: \"\"\n"
               "  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n  qps: 0\nclusterCIDR: ") +
           kClusterCidr +
           "\nconfigSyncPeriod: 0s\nconntrack:\n  maxPerCore: null\n  min: null\n  tcpCloseWaitTimeout: null\n"
           "  tcpEstablishedTimeout: null\ndetectLocal:\n  bridgeInterface: \"\"\n  interfaceNamePrefix: \"\"\ndetectLocalMode: \"\"\n"
           "enableProfiling: false\nhealthzBindAddress: \"\"\nhostnameOverride: \"\"\niptables:\n  localhostNodePorts: null\n"
           "  masqueradeAll: false\n  masqueradeBit: null\n  minSyncPeriod: 0s\n  syncPeriod: 0s\nipvs:\n  excludeCIDRs: null\n"
           "  minSyncPeriod: 0s\n  scheduler: \"\"\n  strictARP: false\n  syncPeriod: 0s\n  tcpFinTimeout: 0s\n  tcpTimeout: 0s\n"
           "  udpTimeout: 0s\nkind: KubeProxyConfiguration\nlogging:\n  flushFrequency: 0\n  options:\n    json:\n"
           "      infoBufferSize: \"0\"\n  verbosity: 0\nmetricsBindAddress: \"\"\nmode: \"\"\nnodePortAddresses: null\n"
           "oomScoreAdj: null\nportRange: \"\"\nshowHiddenMetricsForProxy: \"\"\nwinkernel:\n  enableDSR: false\n"
           "  forwardHealthCheckVip: false\n  networkName: \"\"\n  rootHnsEndpointName: \"\"\n  sourceVip: \"\"\n";
  }

  std::string kubeadm_config() const {
    return std::string("apiServer:\n  certSANs:\n  - 10.0.0.10\n  extraArgs:\n    authorization-mode: Node,RBAC\n"
                       "  timeoutForControlPlane: 4m0s\napiVersion: kubeadm.k8s.io/v1beta3\ncertificatesDir: /etc/kubernetes/pki\n"
                       "clusterName: kubernetes\ncontrolPlaneEndpoint: ") +
           kEndpoint +
           "\ncontrollerManager: {}\ndns: {}\netcd:\n  local:\n    dataDir: /var/lib/etcd\nimageRepository: registry.k8s.io\n"
           "kind: ClusterConfiguration\nkubernetesVersion: " + o.version +
           "\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: " + kClusterCidr + "\n  serviceSubnet: 10.96.0.0/12\nscheduler: {}\n";
  }

  std::string kubelet_config(const std::string& dns_ip) const {
    return "apiVersion: kubelet.config.k8s.io/v1beta1\nauthentication:\n  anonymous:\n    enabled: false\n  webhook:\n"
           "    cacheTTL: 0s\n    enabled: true\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nauthorization:\n"
           "  mode: Webhook\n  webhook:\n    cacheAuthorizedTTL: 0s\n    cacheUnauthorizedTTL: 0s\ncgroupDriver: systemd\n"
           "clusterDNS:\n- " + dns_ip +
           "\nclusterDomain: cluster.local\ncontainerRuntimeEndpoint: \"\"\ncpuManagerReconcilePeriod: 0s\n"
           "evictionPressureTransitionPeriod: 0s\nfileCheckFrequency: 0s\nhealthzBindAddress: 127.0.0.1\nhealthzPort: 10248\n"
           "httpCheckFrequency: 0s\nimageMaximumGCAge: 0s\nimageMinimumGCAge: 0s\nkind: KubeletConfiguration\nlogging:\n"
           "  flushFrequency: 0\n  options:\n    json:\n      infoBufferSize: \"0\"\n  verbosity: 0\nmemorySwap: {}\n"
           "nodeStatusReportFrequency: 0s\nnodeStatusUpdateFrequency: 0s\nrotateCertificates: true\nruntimeRequestTimeout: 0s\n"
           "shutdownGracePeriod: 0s\nshutdownGracePeriodCriticalPods: 0s\nstaticPodPath: /etc/kubernetes/manifests\n"
           "streamingConnectionIdleTimeout: 0s\nsyncFrequency: 0s\nvolumeStatsAggPeriod: 0s\n";
  }

  static std::string kubeconfig(const std::string& cluster) {
    return "apiVersion: v1\nclusters:\n- cluster:\n" + cluster + "    server: https://" + kEndpoint + "\n  name: \"\"\n";
  }

  // What kubeadm, kube-proxy, CoreDNS and flannel keep in ConfigMaps, and
  // the root CA bundle the controller manager publishes to every namespace.
  void system_configmaps(ListFile& f, const std::vector<std::string>& namespaces, const std::string& dns_ip, const std::string& token_id) {
    const std::string ca(kClusterCaPem), front_proxy(kFrontProxyCaPem);
    std::time_t init = born, addons = born + 120;
    f.add(configmap_object("kube-public", "cluster-info", init,
                           {{"jws-kubeconfig-" + token_id, "eyJhbGciOiJIUzI1NiIsImtpZCI6IiJ9.." + extra.suffix(43)},
                            {"kubeconfig", kubeconfig("    certificate-authority-data: " + base64(ca) + "\n") +
                                               "contexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n"}}));
    f.add(configmap_object("kube-system", "coredns", addons, {{"Corefile", kCorefile}}, {}, {}, "kubeadm"));
    f.add(configmap_object("kube-system", "extension-apiserver-authentication", init,
                           {{"client-ca-file", ca}, {"requestheader-allowed-names", "[\"front-proxy-client\"]"},
                            {"requestheader-client-ca-file", front_proxy}, {"requestheader-extra-headers-prefix", "[\"X-Remote-Extra-\"]"},
                            {"requestheader-group-headers", "[\"X-Remote-Group\"]"}, {"requestheader-username-headers", "[\"X-Remote-User\"]"}},
                           {}, {}, "kube-apiserver"));
    f.add(configmap_object("kube-system", "kube-apiserver-legacy-service-account-token-tracking", init,
                           {{"since", ts(init).substr(0, 10)}}, {}, {}, "kube-apiserver"));
    f.add(configmap_object("kube-system", "kube-flannel-cfg", addons,
                           {{"cni-conf.json", kFlannelCni}, {"net-conf.json", std::string("{\n  \"Network\": \"") + kClusterCidr +
                                                                                  "\",\n  \"Backend\": {\n    \"Type\": \"vxlan\"\n  }\n}\n"}},
                           {{"app", "flannel"}, {"tier", "node"}}, {}, "kubectl-client-side-apply"));
    f.add(configmap_object("kube-system", "kube-proxy", addons,
                           {{"config.conf", kube_proxy_config()},
                            {"kubeconfig.conf", "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
                                                "    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n"
                                                "    server: https://" + std::string(kEndpoint) + "\n  name: default\ncontexts:\n"
                                                "- context:\n    cluster: default\n    namespace: default\n    user: default\n"
                                                "  name: default\ncurrent-context: default\nusers:\n- name: default\n  user:\n"
                                                "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n"}},
                           {{"app", "kube-proxy"}}));
    f.add(configmap_object("kube-system", "kubeadm-config", init, {{"ClusterConfiguration", kubeadm_config()}}));
    f.add(configmap_object("kube-system", "kubelet-config", init, {{"kubelet", kubelet_config(dns_ip)}},
                           {}, {{"kubeadm.kubernetes.io/component-config.hash", "sha256:" + extra.hex(64)}}));
    for (const auto& ns : namespaces)
      f.add(configmap_object(ns, "kube-root-ca.crt", init + 30,
                             {{"ca.crt", ca}}, {},
                             {{"kubernetes.io/description",
                               "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
                               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
                               "distributions of Kubernetes clusters."}},
                             "kube-controller-manager"));
  }

  static constexpr const char* kCorefile =
      ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
      "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n"
      "       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n"
      "    cache 30\n    loop\n    reload\n    loadbalance\n}\n";
  static constexpr const char* kFlannelCni =
      "{\n  \"name\": \"cbr0\",\n  \"cniVersion\": \"0.3.1\",\n  \"plugins\": [\n    {\n      \"type\": \"flannel\",\n"
      "      \"delegate\": {\n        \"hairpinMode\": true,\n        \"isDefaultGateway\": true\n      }\n    },\n"
      "    {\n      \"type\": \"portmap\",\n      \"capabilities\": {\n        \"portMappings\": true\n      }\n    }\n  ]\n}\n";

  // ------------------------------------------------------------ aggregation layer

  // The group versions a v1.29 API server serves, with the priorities the
  // aggregator gives their local APIServices.
  struct GroupVersion {
    const char* group;
    const char* version;
    int group_priority, version_priority;
  };
  static constexpr GroupVersion kServed[] = {
      {"", "v1", 18000, 1},
      {"admissionregistration.k8s.io", "v1", 16700, 15},
      {"apiextensions.k8s.io", "v1", 16700, 15},
      {"apiregistration.k8s.io", "v1", 18000, 15},
      {"apps", "v1", 17800, 15},
      {"authentication.k8s.io", "v1", 17700, 15},
      {"authorization.k8s.io", "v1", 17600, 15},
      {"autoscaling", "v1", 17500, 15},
      {"autoscaling", "v2", 17500, 30},
      {"batch", "v1", 17400, 15},
      {"certificates.k8s.io", "v1", 17300, 15},
      {"coordination.k8s.io", "v1", 16500, 15},
      {"discovery.k8s.io", "v1", 16200, 15},
      {"events.k8s.io", "v1", 17750, 15},
      {"flowcontrol.apiserver.k8s.io", "v1", 16100, 21},
      {"flowcontrol.apiserver.k8s.io", "v1beta3", 16100, 18},
      {"networking.k8s.io", "v1", 17200, 15},
      {"node.k8s.io", "v1", 16300, 15},
      {"policy", "v1", 17100, 15},
      {"rbac.authorization.k8s.io", "v1", 17000, 15},
      {"scheduling.k8s.io", "v1", 16600, 15},
      {"storage.k8s.io", "v1", 16800, 15},
  };

  // One APIService: local (served by kube-apiserver itself, always
  // Available) or backed by a Service (metrics-server), Available once the
  // aggregator's probes pass.
  std::string apiservice_object(const GroupVersion& gv, const char* backend) {
    std::string name = std::string(gv.version) + "." + gv.group;
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "apiregistration.k8s.io/v1").field("kind", "APIService");
    {
      auto md = o_.object("metadata");
      head(md, name, "", backend ? born + 180 : born);
      if (backend) md.object("labels").field("k8s-app", backend);
      else md.object("labels").field("kube-aggregator.kubernetes.io/automanaged", "onstart");
    }
    {
      auto sp = o_.object("spec");
      sp.field("group", gv.group).field("groupPriorityMinimum", gv.group_priority);
      if (backend) {
        sp.field("insecureSkipTLSVerify", true);
        sp.object("service").field("name", backend).field("namespace", "kube-system").field("port", 443);
      }
      sp.field("version", gv.version).field("versionPriority", gv.version_priority);
    }
    {
      auto c = o_.object("status").array("conditions").object();
      c.field("lastTransitionTime", ts(backend ? born + 240 : born)).field("message", backend ? "all checks passed" : "Local APIServices are always available");
      c.field("reason", backend ? "Passed" : "Local").field("status", "True").field("type", "Available");
    }
    return s;
  }

  void apiservices(ListFile& f) {
    for (const auto& gv : kServed) f.add(apiservice_object(gv, nullptr));
    f.add(apiservice_object({"metrics.k8s.io", "v1beta1", 100, 100}, "metrics-server"));
  }

  // ------------------------------------------------------------ RBAC

  struct Subject {
    const char* kind;  // Group, User or ServiceAccount
    std::string name;
  };

  std::string crb_object(const std::string& name, const std::string& role, const std::vector<Subject>& subjects, std::time_t created,
                         bool bootstrap) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "rbac.authorization.k8s.io/v1").field("kind", "ClusterRoleBinding");
    {
      auto md = o_.object("metadata");
      head(md, name, "", created);
      if (bootstrap) {
        md.object("annotations").field("rbac.authorization.kubernetes.io/autoupdate", "true");
        md.object("labels").field("kubernetes.io/bootstrapping", "rbac-defaults");
      }
    }
    o_.object("roleRef").field("apiGroup", "rbac.authorization.k8s.io").field("kind", "ClusterRole").field("name", role);
    if (!subjects.empty()) {
      auto arr = o_.array("subjects");
      for (const auto& sj : subjects) {
        auto e = arr.object();
        bool sa = sj.kind == std::string_view("ServiceAccount");
        if (!sa) e.field("apiGroup", "rbac.authorization.k8s.io");
        e.field("kind", sj.kind).field("name", sj.name);
        if (sa) e.field("namespace", "kube-system");
      }
    }
    return s;
  }

  // The controllers kube-controller-manager runs, each with its own
  // service account and bootstrap role.
  static constexpr const char* kControllers[] = {
      "attachdetach-controller", "certificate-controller", "clusterrole-aggregation-controller", "cronjob-controller",
      "daemon-set-controller", "deployment-controller", "disruption-controller", "endpoint-controller",
      "endpointslice-controller", "endpointslicemirroring-controller", "ephemeral-volume-controller", "expand-controller",
      "generic-garbage-collector", "horizontal-pod-autoscaler", "job-controller", "legacy-service-account-token-cleaner",
      "namespace-controller", "node-controller", "persistent-volume-binder", "pod-garbage-collector",
      "pv-protection-controller", "pvc-protection-controller", "replicaset-controller", "replication-controller",
      "resourcequota-controller", "root-ca-cert-publisher", "route-controller", "service-account-controller",
      "service-controller", "statefulset-controller", "ttl-after-finished-controller", "ttl-controller",
      "validatingadmissionpolicy-status-controller"};

  // The API server's bootstrap bindings, kubeadm's, and the add-ons'. None
  // gives cluster-admin to anyone but system:masters and kubeadm's admin
  // group, and anonymous users get only the public-info role.
  void clusterrolebindings(ListFile& f) {
    const char* kGroup = "Group";
    const char* kUser = "User";
    const char* kSa = "ServiceAccount";
    const std::string joiners = "system:bootstrappers:kubeadm:default-node-token";
    struct Binding {
      std::string name, role;
      std::vector<Subject> subjects;
    };
    std::vector<Binding> bootstrap = {
        {"cluster-admin", "cluster-admin", {{kGroup, "system:masters"}}},
        {"system:basic-user", "system:basic-user", {{kGroup, "system:authenticated"}}},
        {"system:discovery", "system:discovery", {{kGroup, "system:authenticated"}}},
        {"system:kube-controller-manager", "system:kube-controller-manager", {{kUser, "system:kube-controller-manager"}}},
        {"system:kube-dns", "system:kube-dns", {{kSa, "kube-dns"}}},
        {"system:kube-scheduler", "system:kube-scheduler", {{kUser, "system:kube-scheduler"}}},
        {"system:monitoring", "system:monitoring", {{kGroup, "system:monitoring"}}},
        {"system:node", "system:node", {}},
        {"system:node-proxier", "system:node-proxier", {{kUser, "system:kube-proxy"}}},
        {"system:public-info-viewer", "system:public-info-viewer", {{kGroup, "system:authenticated"}, {kGroup, "system:unauthenticated"}}},
        {"system:service-account-issuer-discovery", "system:service-account-issuer-discovery", {{kGroup, "system:serviceaccounts"}}},
        {"system:volume-scheduler", "system:volume-scheduler", {{kUser, "system:kube-scheduler"}}},
    };
    for (const char* c : kControllers)
      bootstrap.push_back({std::string("system:controller:") + c, std::string("system:controller:") + c, {{kSa, c}}});
    std::sort(bootstrap.begin(), bootstrap.end(), [](const Binding& a, const Binding& b) { return a.name < b.name; });
    std::vector<Binding> installed = {
        {"flannel", "flannel", {{kSa, "flannel"}}},
        {"kubeadm:cluster-admins", "cluster-admin", {{kGroup, "kubeadm:cluster-admins"}}},
        {"kubeadm:get-nodes", "kubeadm:get-nodes", {{kGroup, joiners}}},
        {"kubeadm:kubelet-bootstrap", "system:node-bootstrapper", {{kGroup, joiners}}},
        {"kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", {{kGroup, joiners}}},
        {"kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
         {{kGroup, "system:nodes"}}},
        {"kubeadm:node-proxier", "system:node-proxier", {{kSa, "kube-proxy"}}},
        {"metrics-server:system:auth-delegator", "system:auth-delegator", {{kSa, "metrics-server"}}},
        {"nginx-ingress-controller", "nginx-ingress-controller", {{kSa, "nginx-ingress-controller"}}},
        {"system:coredns", "system:coredns", {{kSa, "coredns"}}},
        {"system:metrics-server", "system:metrics-server", {{kSa, "metrics-server"}}},
        {"csi-plugin", "alicloud-csi-plugin", {{kSa, "csi-plugin"}}},
    };
    for (const auto& b : bootstrap) f.add(crb_object(b.name, b.role, b.subjects, born, true));
    for (const auto& b : installed) f.add(crb_object(b.name, b.role, b.subjects, born + (b.name.rfind("kubeadm:", 0) == 0 ? 20 : 120), false));
  }

  // ------------------------------------------------------------ certificates

  // worker-1's kubelet rotated its client certificate 20 minutes ago: the
  // request, auto-approved and issued, stays for an hour.
  std::string csr_object() {
    std::time_t made = now - 1200;
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "certificates.k8s.io/v1").field("kind", "CertificateSigningRequest");
    {
      auto md = o_.object("metadata");
      md.field("generateName", "csr-");
      head(md, "csr-" + extra.suffix(5), "", made);
    }
    {
      auto sp = o_.object("spec");
      sp.array("groups").value("system:nodes").value("system:authenticated");
      sp.field("request", base64(kKubeletCsrPem)).field("signerName", "kubernetes.io/kube-apiserver-client-kubelet");
      sp.field("uid", extra.uid());
      sp.array("usages").value("digital signature").value("client auth");
      sp.field("username", "system:node:worker-1");
    }
    {
      auto st = o_.object("status");
      st.field("certificate", base64(kKubeletCertPem));
      auto c = st.array("conditions").object();
      c.field("lastTransitionTime", ts(made + 1)).field("lastUpdateTime", ts(made + 1));
      c.field("message", "Auto approving self kubelet client certificate after SubjectAccessReview.");
      c.field("reason", "AutoApproved").field("status", "True").field("type", "Approved");
    }
    return s;
  }

  // ------------------------------------------------------------ ingress and autoscaling

  // An application deployment that is reached from outside: through the
  // nginx ingress controller, with a TLS certificate, scaled by CPU.
  struct Exposed {
    std::string ns, name;
    int replicas = 0;
  };

  std::string ingressclass_object() {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "networking.k8s.io/v1").field("kind", "IngressClass");
    {
      auto md = o_.object("metadata");
      head(md, "nginx", "", born + 180);
      md.object("annotations").field("ingressclass.kubernetes.io/is-default-class", "true");
      md.object("labels").field("app", "nginx-ingress-controller");
    }
    o_.object("spec").field("controller", "k8s.io/ingress-nginx");
    return s;
  }

  std::string ingress_object(const Exposed& e) {
    std::string host = e.name + "." + e.ns + ".example.com";
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "networking.k8s.io/v1").field("kind", "Ingress");
    {
      auto md = o_.object("metadata");
      head(md, e.name, e.ns, born + 86400 + 300);
      md.field("generation", 1);
      md.object("annotations").field("nginx.ingress.kubernetes.io/proxy-body-size", "8m");
      md.object("labels").field("app", e.name);
    }
    {
      auto sp = o_.object("spec");
      sp.field("ingressClassName", "nginx");
      {
        auto rule = sp.array("rules").object();
        rule.field("host", host);
        auto path = rule.object("http").array("paths").object();
        path.object("backend").object("service").field("name", e.name).object("port").field("number", 80);
        path.field("path", "/").field("pathType", "Prefix");
      }
      auto tls = sp.array("tls").object();
      tls.array("hosts").value(host);
      tls.field("secretName", e.name + "-tls");
    }
    o_.object("status").object("loadBalancer").array("ingress").object().field("ip", "10.0.0.100");
    return s;
  }

  std::string hpa_object(const Exposed& e) {
    int min = std::min(2, e.replicas), max = std::max(10, e.replicas);
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "autoscaling/v2").field("kind", "HorizontalPodAutoscaler");
    {
      auto md = o_.object("metadata");
      head(md, e.name, e.ns, born + 86400 + 300);
    }
    {
      auto sp = o_.object("spec");
      sp.field("maxReplicas", max);
      {
        auto m = sp.array("metrics").object();
        m.object("resource").field("name", "cpu").object("target").field("averageUtilization", 70).field("type", "Utilization");
        m.field("type", "Resource");
      }
      sp.field("minReplicas", min);
      sp.object("scaleTargetRef").field("apiVersion", "apps/v1").field("kind", "Deployment").field("name", e.name);
    }
    {
      auto st = o_.object("status");
      {
        auto c = st.array("conditions");
        auto cond = [&](const char* type, const char* status, const char* reason, const char* msg, std::time_t t) {
          c.object().field("lastTransitionTime", ts(t)).field("message", msg).field("reason", reason).field("status", status).field("type", type);
        };
        cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", born + 86400 + 600);
        cond("ScalingActive", "True", "ValidMetricFound",
             "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
             born + 86400 + 600);
        cond("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range", born + 86400 + 600);
      }
      {
        auto cm = st.array("currentMetrics").object();
        cm.object("resource").field("name", "cpu").object("current").field("averageUtilization", 38).field("averageValue", "95m");
        cm.field("type", "Resource");
      }
      st.field("currentReplicas", e.replicas).field("desiredReplicas", e.replicas);
    }
    return s;
  }

  void ingresses(ListFile& fclasses, ListFile& fingresses, ListFile& fhpa, ListFile& fsecrets, const std::vector<Exposed>& exposed) {
    fclasses.add(ingressclass_object());
    for (const auto& e : exposed) {
      fingresses.add(ingress_object(e));
      fhpa.add(hpa_object(e));
      fsecrets.add(secret_object(e.ns, e.name + "-tls", "kubernetes.io/tls", born + 86400 + 240, {"tls.crt", "tls.key"},
                                 {{"app", e.name}}));
    }
  }

  // A bootstrap token made two hours ago to join another node (kubeadm
  // token create: 24 hours), and a CI system's long-lived token that the
  // legacy-token tracker has seen in use.
  void secrets(ListFile& f, const std::string& token_id) {
    std::time_t made = now - 7200;
    f.add(secret_object("kube-system", "bootstrap-token-" + token_id, "bootstrap.kubernetes.io/token", made,
                        {"auth-extra-groups", "expiration", "token-id", "token-secret", "usage-bootstrap-authentication",
                         "usage-bootstrap-signing"}));
    f.add(secret_object("default", "ci-deployer-token", "kubernetes.io/service-account-token", born + 2 * 86400,
                        {"ca.crt", "namespace", "token"}, {{"kubernetes.io/legacy-token-last-used", ts(now - 86400).substr(0, 10)}},
                        {{"kubernetes.io/service-account.name", "ci-deployer"}, {"kubernetes.io/service-account.uid", extra.uid()}}));
  }

  // ------------------------------------------------------------ stateful sets on cloud disks

  // A claim of a StatefulSet's volumeClaimTemplate on the (default) disk
  // class: provisioned in the zone of the node its pod was scheduled to,
  // attached there by the disk driver.
  struct Disk {
    std::string ns, claim, app, uid, rv, volume, node;
    std::time_t created = 0;
  };

  static constexpr const char* kDiskDriver = "diskplugin.csi.alibabacloud.com";

  std::string disk_pvc_object(const Disk& d) {
    static constexpr std::string_view kStatus = R"({"f:status":{"f:accessModes":{},"f:capacity":{".":{},"f:storage":{}},"f:phase":{}}})";
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "PersistentVolumeClaim");
    {
      auto md = o_.object("metadata");
      md.field("name", d.claim).field("namespace", d.ns).field("uid", d.uid).field("resourceVersion", d.rv);
      md.field("creationTimestamp", ts(d.created));
      md.object("labels").field("app", d.app);
      md.object("annotations").field("pv.kubernetes.io/bind-completed", "yes").field("pv.kubernetes.io/bound-by-controller", "yes")
          .field("volume.beta.kubernetes.io/storage-provisioner", kDiskDriver).field("volume.kubernetes.io/selected-node", d.node)
          .field("volume.kubernetes.io/storage-provisioner", kDiskDriver);
      md.array("finalizers").value("kubernetes.io/pvc-protection");
      managed(md, {{"kube-controller-manager", "v1", d.created + 8, "status", kStatus}});
    }
    {
      auto sp = o_.object("spec");
      sp.array("accessModes").value("ReadWriteOnce");
      sp.object("resources").object("requests").field("storage", "20Gi");
      sp.field("storageClassName", kDiskClass).field("volumeMode", "Filesystem").field("volumeName", d.volume);
    }
    {
      auto st = o_.object("status");
      st.array("accessModes").value("ReadWriteOnce");
      st.object("capacity").field("storage", "20Gi");
      st.field("phase", "Bound");
    }
    return s;
  }

  std::string disk_pv_object(const Disk& d) {
    std::time_t made = d.created + 6;
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "v1").field("kind", "PersistentVolume");
    {
      auto md = o_.object("metadata");
      head(md, d.volume, "", made);
      md.object("annotations").field("pv.kubernetes.io/provisioned-by", kDiskDriver);
      md.array("finalizers").value("external-provisioner.volume.kubernetes.io/finalizer").value("kubernetes.io/pv-protection");
    }
    {
      auto sp = o_.object("spec");
      sp.array("accessModes").value("ReadWriteOnce");
      sp.object("capacity").field("storage", "20Gi");
      sp.object("claimRef").field("apiVersion", "v1").field("kind", "PersistentVolumeClaim").field("name", d.claim)
          .field("namespace", d.ns).field("resourceVersion", d.rv).field("uid", d.uid);
      {
        auto csi = sp.object("csi");
        csi.field("driver", kDiskDriver).field("fsType", "ext4");
        csi.object("volumeAttributes").field("storage.kubernetes.io/csiProvisionerIdentity", std::to_string(born) + "000-8081-" + kDiskDriver)
            .field("type", "cloud_essd");
        csi.field("volumeHandle", d.volume);
      }
      {
        auto term = sp.object("nodeAffinity").object("required").array("nodeSelectorTerms").object();
        auto ex = term.array("matchExpressions").object();
        ex.field("key", "topology.diskplugin.csi.alibabacloud.com/zone").field("operator", "In").array("values").value(zone_of(d.node));
      }
      sp.field("persistentVolumeReclaimPolicy", "Delete").field("storageClassName", kDiskClass).field("volumeMode", "Filesystem");
    }
    o_.object("status").field("lastPhaseTransitionTime", ts(made + 1)).field("phase", "Bound");
    return s;
  }

  std::string volumeattachment_object(const Disk& d, int device) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "storage.k8s.io/v1").field("kind", "VolumeAttachment");
    {
      auto md = o_.object("metadata");
      head(md, "csi-" + extra.hex(64), "", d.created + 10);
      md.object("annotations").field("csi.alpha.kubernetes.io/node-id", d.node);
      md.array("finalizers").value("external-attacher/diskplugin-csi-alibabacloud-com");
    }
    {
      auto sp = o_.object("spec");
      sp.field("attacher", kDiskDriver).field("nodeName", d.node);
      sp.object("source").field("persistentVolumeName", d.volume);
    }
    {
      auto st = o_.object("status");
      st.field("attached", true);
      st.object("attachmentMetadata").field("devicePath", std::string("/dev/vd") + static_cast<char>('b' + device % 25));
    }
    return s;
  }

  std::string statefulset_object(const Workload& w) {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", "apps/v1").field("kind", "StatefulSet");
    {
      auto md = o_.object("metadata");
      head(md, w.name, w.ns, born + 86400);
      md.field("generation", 1);
      md.object("labels").field("app", w.name).field("app.kubernetes.io/name", w.name);
    }
    {
      auto sp = o_.object("spec");
      sp.object("persistentVolumeClaimRetentionPolicy").field("whenDeleted", "Retain").field("whenScaled", "Retain");
      sp.field("podManagementPolicy", "OrderedReady").field("replicas", w.replicas).field("revisionHistoryLimit", 10);
      sp.object("selector").object("matchLabels").field("app", w.name);
      sp.field("serviceName", w.name);
      {
        auto tpl = sp.object("template");
        tpl.object("metadata").object("labels").field("app", w.name);
        auto tsp = tpl.object("spec");
        {
          auto c = tsp.array("containers").object();
          c.field("name", w.name).field("image", w.image);
          c.object("resources").object("requests").field("cpu", "250m").field("memory", "256Mi");
          c.array("volumeMounts").object().field("mountPath", "/data").field("name", "data");
        }
        tsp.object("securityContext").field("fsGroup", 999).field("runAsNonRoot", true).field("runAsUser", 999);
      }
      sp.object("updateStrategy").field("type", "RollingUpdate").object("rollingUpdate").field("partition", 0);
      {
        auto vct = sp.array("volumeClaimTemplates").object();
        vct.field("apiVersion", "v1").field("kind", "PersistentVolumeClaim");
        vct.object("metadata").field("name", "data");
        auto vsp = vct.object("spec");
        vsp.array("accessModes").value("ReadWriteOnce");
        vsp.object("resources").object("requests").field("storage", "20Gi");
        vsp.field("storageClassName", kDiskClass).field("volumeMode", "Filesystem");
      }
    }
    o_.object("status").field("availableReplicas", w.ready).field("collisionCount", 0).field("currentReplicas", w.replicas)
        .field("currentRevision", w.name + "-" + w.rs_hash).field("observedGeneration", 1).field("readyReplicas", w.ready)
        .field("replicas", w.replicas).field("updateRevision", w.name + "-" + w.rs_hash).field("updatedReplicas", w.replicas);
    return s;
  }

  // The open List files the stateful sets add to.
  struct StatefulFiles {
    ListFile &sts, &pods, &events, &pvc, &pv, &va, &svc, &ep, &slices;
  };

  // One Redis StatefulSet (3 replicas, a 20Gi disk each) per 32 application
  // deployments, spread over the namespaces, its pods on Ready workers only
  // so it stays healthy.
  void statefulsets(StatefulFiles f, const std::vector<Node*>& ready_workers, const std::vector<std::string>& app_namespaces,
                    int n_app_deps, int& ip_index, std::vector<Service>& services) {
    if (ready_workers.empty()) return;
    int count = std::max(1, n_app_deps / 32);
    std::map<std::string, int> disks_on;  // node -> disks attached (its next device letter)
    for (int j = 0; j < count; ++j) {
      Workload w{app_namespaces[static_cast<size_t>(j) % app_namespaces.size()], j ? "redis-" + std::to_string(j) : "redis",
                 "StatefulSet", "docker.io/library/redis:7.2.4", 3, 0, extra.hex(10), false};
      Service sv{w.ns, w.name, w.name, "None", 80, {}, {}};
      for (int r = 0; r < w.replicas; ++r) {
        Node& n = *ready_workers[static_cast<size_t>(j * 3 + r) % ready_workers.size()];
        PodSpec p;
        p.name = w.name + "-" + std::to_string(r);
        p.ns = w.ns;
        p.app = w.name;
        p.owner_kind = "StatefulSet";
        p.owner_name = w.name;
        p.image = w.image;
        p.containers = {w.name};
        p.claim = "data-" + p.name;
        p.revision = w.rs_hash;
        p.run_as = 999;  // the redis user of the image
        Disk d{w.ns, p.claim, w.name, extra.uid(), next_extra_rv(), "d-bp1" + extra.hex(17), n.name, born + 86400 + 20 * r};
        f.pvc.add(disk_pvc_object(d));
        f.pv.add(disk_pv_object(d));
        f.va.add(volumeattachment_object(d, disks_on[n.name]++));
        sv.ready.push_back(add_pod(f.pods, f.events, p, n, ip_index++));
        ++w.ready;
      }
      f.sts.add(statefulset_object(w));
      std::string obj = service_object(sv);
      f.svc.add(obj);
      f.ep.add(endpoints_object(sv));
      endpointslices(f.slices, sv, first_string(obj, "uid"));
      services.push_back(sv);
    }
  }

  // ------------------------------------------------------------ what the upgrade checks read

  // What discovery (/api, /apis) lists on a v1.29 API server with
  // metrics-server: the k8s.api_resources rows a snapshot holds.
  struct ApiResource {
    const char* group;
    const char* version;
    const char* resource;
    const char* kind;
    bool namespaced;
    const char* verbs;  // "rw": every verb; "c": create only; "r": get and list
    const char* short_name;
    bool in_all;        // in the "all" category (kubectl get all)
  };
  static constexpr ApiResource kResources[] = {
      {"", "v1", "bindings", "Binding", true, "c", "", false},
      {"", "v1", "componentstatuses", "ComponentStatus", false, "r", "cs", false},
      {"", "v1", "configmaps", "ConfigMap", true, "rw", "cm", false},
      {"", "v1", "endpoints", "Endpoints", true, "rw", "ep", false},
      {"", "v1", "events", "Event", true, "rw", "ev", false},
      {"", "v1", "limitranges", "LimitRange", true, "rw", "limits", false},
      {"", "v1", "namespaces", "Namespace", false, "rw", "ns", false},
      {"", "v1", "nodes", "Node", false, "rw", "no", false},
      {"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, "rw", "pvc", false},
      {"", "v1", "persistentvolumes", "PersistentVolume", false, "rw", "pv", false},
      {"", "v1", "pods", "Pod", true, "rw", "po", true},
      {"", "v1", "podtemplates", "PodTemplate", true, "rw", "", false},
      {"", "v1", "replicationcontrollers", "ReplicationController", true, "rw", "rc", true},
      {"", "v1", "resourcequotas", "ResourceQuota", true, "rw", "quota", false},
      {"", "v1", "secrets", "Secret", true, "rw", "", false},
      {"", "v1", "serviceaccounts", "ServiceAccount", true, "rw", "sa", false},
      {"", "v1", "services", "Service", true, "rw", "svc", true},
      {"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, "rw", "", false},
      {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, "rw", "", false},
      {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, "rw", "crd", false},
      {"apiregistration.k8s.io", "v1", "apiservices", "APIService", false, "rw", "", false},
      {"apps", "v1", "controllerrevisions", "ControllerRevision", true, "rw", "", false},
      {"apps", "v1", "daemonsets", "DaemonSet", true, "rw", "ds", true},
      {"apps", "v1", "deployments", "Deployment", true, "rw", "deploy", true},
      {"apps", "v1", "replicasets", "ReplicaSet", true, "rw", "rs", true},
      {"apps", "v1", "statefulsets", "StatefulSet", true, "rw", "sts", true},
      {"authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, "c", "", false},
      {"authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false, "c", "", false},
      {"authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", true, "c", "", false},
      {"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, "c", "", false},
      {"authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, "c", "", false},
      {"authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, "c", "", false},
      {"autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, "rw", "hpa", true},
      {"autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, "rw", "hpa", true},
      {"batch", "v1", "cronjobs", "CronJob", true, "rw", "cj", true},
      {"batch", "v1", "jobs", "Job", true, "rw", "", true},
      {"certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, "rw", "csr", false},
      {"coordination.k8s.io", "v1", "leases", "Lease", true, "rw", "", false},
      {"discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, "rw", "", false},
      {"events.k8s.io", "v1", "events", "Event", true, "rw", "ev", false},
      {"flowcontrol.apiserver.k8s.io", "v1", "flowschemas", "FlowSchema", false, "rw", "", false},
      {"flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations", "PriorityLevelConfiguration", false, "rw", "", false},
      {"flowcontrol.apiserver.k8s.io", "v1beta3", "flowschemas", "FlowSchema", false, "rw", "", false},
      {"flowcontrol.apiserver.k8s.io", "v1beta3", "prioritylevelconfigurations", "PriorityLevelConfiguration", false, "rw", "", false},
      {"networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, "rw", "", false},
      {"networking.k8s.io", "v1", "ingresses", "Ingress", true, "rw", "ing", false},
      {"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, "rw", "netpol", false},
      {"node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, "rw", "", false},
      {"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, "rw", "pdb", false},
      {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, "rw", "", false},
      {"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, "rw", "", false},
      {"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, "rw", "", false},
      {"rbac.authorization.k8s.io", "v1", "roles", "Role", true, "rw", "", false},
      {"scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, "rw", "pc", false},
      {"storage.k8s.io", "v1", "csidrivers", "CSIDriver", false, "rw", "", false},
      {"storage.k8s.io", "v1", "csinodes", "CSINode", false, "rw", "", false},
      {"storage.k8s.io", "v1", "csistoragecapacities", "CSIStorageCapacity", true, "rw", "", false},
      {"storage.k8s.io", "v1", "storageclasses", "StorageClass", false, "rw", "sc", false},
      {"storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", false, "rw", "", false},
      {"metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", false, "r", "", false},
      {"metrics.k8s.io", "v1beta1", "pods", "PodMetrics", true, "r", "", false},
  };

  static std::string api_resource_row(const ApiResource& r) {
    std::string gv = *r.group ? std::string(r.group) + "/" + r.version : r.version;
    // The group's preferred version is the first listed (v2 over v1, v1 over v1beta3).
    bool preferred = !((std::string_view(r.group) == "autoscaling" && std::string_view(r.version) == "v1") ||
                       std::string_view(r.version) == "v1beta3");
    std::string singular(r.kind);
    for (char& ch : singular) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("group", r.group).field("version", r.version).field("groupVersion", gv).field("resource", r.resource);
    o_.field("singularName", singular).field("kind", r.kind).field("namespaced", r.namespaced);
    {
      auto v = o_.array("verbs");
      std::string_view verbs(r.verbs);
      if (verbs == "c") v.value("create");
      else if (verbs == "r") v.value("get").value("list");
      else
        for (const char* verb : {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}) v.value(verb);
    }
    if (*r.short_name) o_.array("shortNames").value(r.short_name);
    else o_.null("shortNames");
    if (r.in_all) o_.array("categories").value("all");
    else o_.null("categories");
    o_.field("preferred", preferred);
    return s;
  }

  // An object of the kinds below: apiVersion, kind, metadata (namespaced
  // when `ns` is given), then what `body` writes.
  std::string simple_object(const char* api, const char* kind, const std::string& name, std::time_t created,
                             const std::function<void(JsonWriter&)>& body, const std::vector<Kv>& labels = {},
                             const std::vector<Kv>& annotations = {}, const std::string& ns = "") {
    std::string s;
    JsonWriter o_(s, '{', '}');
    o_.field("apiVersion", api).field("kind", kind);
    {
      auto md = o_.object("metadata");
      head(md, name, ns, created);
      pairs(md, "labels", labels);
      pairs(md, "annotations", annotations);
    }
    body(o_);
    return s;
  }

  void priorityclasses(ListFile& f) {
    for (auto [name, value, what] : {std::tuple{"system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."},
                                     std::tuple{"system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."}})
      f.add(simple_object("scheduling.k8s.io/v1", "PriorityClass", name, born, [&](JsonWriter& o_) {
        o_.field("description", what).field("preemptionPolicy", "PreemptLowerPriority").field("value", value);
      }));
  }

  // The disk and NAS drivers (the csi-plugin DaemonSet on every worker) and
  // what each node's kubelet registered of them.
  void csi(ListFile& drivers, ListFile& csinodes) {
    for (bool disk : {true, false})
      drivers.add(simple_object("storage.k8s.io/v1", "CSIDriver", disk ? kDiskDriver : kNasDriver, born + 300, [&](JsonWriter& o_) {
        auto sp = o_.object("spec");
        sp.field("attachRequired", disk).field("fsGroupPolicy", "ReadWriteOnceWithFSType").field("podInfoOnMount", false);
        sp.field("requiresRepublish", false).field("seLinuxMount", false).field("storageCapacity", false);
        sp.array("volumeLifecycleModes").value("Persistent");
      }));
    for (const auto& n : nodes)
      csinodes.add(simple_object("storage.k8s.io/v1", "CSINode", n.name, born + (n.control_plane ? 60 : 3660), [&](JsonWriter& o_) {
        auto d = o_.object("spec").array("drivers");
        if (n.control_plane) return;  // csi-plugin runs on workers only
        {
          auto e = d.object();
          e.object("allocatable").field("count", 15);
          e.field("name", kDiskDriver).field("nodeID", n.name);
          e.array("topologyKeys").value("topology.diskplugin.csi.alibabacloud.com/zone");
        }
        d.object().field("name", kNasDriver).field("nodeID", n.name).null("topologyKeys");
      }));
  }

  // A space-separated list as the values of a JSON array.
  static void words(JsonWriter& arr, std::string_view list) {
    for (size_t at = 0; at < list.size();) {
      size_t sp = std::min(list.find(' ', at), list.size());
      arr.value(list.substr(at, sp - at));
      at = sp + 1;
    }
  }

  // API Priority and Fairness as the API server bootstraps it (v1.29,
  // flowcontrol.apiserver.k8s.io/v1): its priority levels and the flow
  // schemas that route requests to them.
  void priority_levels(ListFile& flevels) {
    struct Level {
      const char* name;
      int shares, lendable, queues, hand;  // queues 0: requests beyond the limit are rejected
    };
    static constexpr Level kLevels[] = {{"catch-all", 5, 0, 0, 0},       {"exempt", 0, 0, 0, 0},
                                        {"global-default", 20, 50, 128, 6}, {"leader-election", 10, 0, 16, 4},
                                        {"node-high", 40, 25, 64, 6},     {"system", 30, 33, 64, 6},
                                        {"workload-high", 40, 50, 128, 6}, {"workload-low", 100, 90, 128, 6}};
    for (const auto& l : kLevels)
      flevels.add(simple_object("flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration", l.name, born, [&](JsonWriter& o_) {
        {
          auto sp = o_.object("spec");
          bool exempt = l.name == std::string_view("exempt");
          if (exempt) {
            sp.object("exempt").field("lendablePercent", 0).field("nominalConcurrencyShares", 0);
          } else {
            auto lim = sp.object("limited");
            lim.field("lendablePercent", l.lendable);
            {
              auto lr = lim.object("limitResponse");
              if (l.queues) lr.object("queuing").field("handSize", l.hand).field("queueLengthLimit", 50).field("queues", l.queues);
              lr.field("type", l.queues ? "Queue" : "Reject");
            }
            lim.field("nominalConcurrencyShares", l.shares);
          }
          sp.field("type", exempt ? "Exempt" : "Limited");
        }
        o_.object("status");
      }, {}, {{"apf.kubernetes.io/autoupdate-spec", "true"}}));
  }

  void flow_schemas(ListFile& fschemas) {
    struct Schema {
      const char* name;
      int precedence;
      const char* level;
      const char* subject;  // "group:…", "user:…" or "sa:…" (kube-system)
    };
    static constexpr Schema kSchemas[] = {
        {"catch-all", 10000, "catch-all", "group:system:unauthenticated"},
        {"endpoint-controller", 150, "workload-high", "sa:endpoint-controller"},
        {"exempt", 1, "exempt", "group:system:masters"},
        {"global-default", 9900, "global-default", "group:system:unauthenticated"},
        {"kube-controller-manager", 800, "workload-high", "user:system:kube-controller-manager"},
        {"kube-scheduler", 800, "workload-high", "user:system:kube-scheduler"},
        {"kube-system-service-accounts", 900, "workload-high", "group:system:serviceaccounts:kube-system"},
        {"probes", 2, "exempt", "group:system:unauthenticated"},
        {"service-accounts", 9000, "workload-low", "group:system:serviceaccounts"},
        {"system-leader-election", 100, "leader-election", "user:system:kube-controller-manager"},
        {"system-node-high", 400, "node-high", "group:system:nodes"},
        {"system-nodes", 500, "system", "group:system:nodes"},
        {"workload-leader-election", 200, "leader-election", "sa:kube-controller-manager"},
    };
    for (const auto& sc : kSchemas)
      fschemas.add(simple_object("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", sc.name, born, [&](JsonWriter& o_) {
        {
          auto sp = o_.object("spec");
          if (sc.precedence > 2) sp.object("distinguisherMethod").field("type", "ByUser");
          sp.field("matchingPrecedence", sc.precedence);
          sp.object("priorityLevelConfiguration").field("name", sc.level);
          auto rule = sp.array("rules").object();
          std::string_view subj(sc.subject);
          bool probes = subj == "group:system:unauthenticated" && sc.precedence == 2;
          if (probes) {
            rule.array("nonResourceRules").object().array("nonResourceURLs").value("/healthz").value("/readyz").value("/livez");
          } else {
            auto r = rule.array("resourceRules").object();
            r.array("apiGroups").value("*");
            r.field("clusterScope", true);
            r.array("namespaces").value("*");
            r.array("resources").value("*");
            r.array("verbs").value("*");
          }
          auto sj = rule.array("subjects").object();
          size_t colon = subj.find(':');
          std::string_view kind = subj.substr(0, colon), name = subj.substr(colon + 1);
          if (kind == "sa") {
            sj.field("kind", "ServiceAccount").object("serviceAccount").field("name", name).field("namespace", "kube-system");
          } else if (kind == "user") {
            sj.field("kind", "User").object("user").field("name", name);
          } else {
            sj.field("group", std::string(name)).field("kind", "Group");
          }
        }
        auto c = o_.object("status").array("conditions").object();
        c.field("lastTransitionTime", ts(born)).field("message", std::string("This FlowSchema references the PriorityLevelConfiguration object named \"") +
                                                                    sc.level + "\" and it exists")
            .field("reason", "Found").field("status", "False").field("type", "Dangling");
      }, {}, {{"apf.kubernetes.io/autoupdate-spec", "true"}}));
  }

  // The ClusterRoles the bindings name, and the user-facing aggregated
  // ones. Rules are abbreviated to each role's first rule.
  void clusterroles(ListFile& f) {
    struct Role {
      const char* name;
      const char* groups;  // one API group ("" core, "*" all)
      const char* resources;
      const char* verbs;  // space-separated
      bool bootstrap;
    };
    static constexpr Role kRoles[] = {
        {"admin", "", "pods", "create delete deletecollection patch update", true},
        {"alicloud-csi-plugin", "", "persistentvolumes", "get list watch update create delete patch", false},
        {"cluster-admin", "*", "*", "*", true},
        {"edit", "", "pods", "create delete deletecollection patch update", true},
        {"flannel", "", "nodes", "get list watch", false},
        {"kubeadm:get-nodes", "", "nodes", "get", false},
        {"nginx-ingress-controller", "networking.k8s.io", "ingresses", "get list watch", false},
        {"system:auth-delegator", "authentication.k8s.io", "tokenreviews", "create", true},
        {"system:basic-user", "authorization.k8s.io", "selfsubjectaccessreviews", "create", true},
        {"system:certificates.k8s.io:certificatesigningrequests:nodeclient", "certificates.k8s.io", "certificatesigningrequests/nodeclient", "create", true},
        {"system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "certificates.k8s.io", "certificatesigningrequests/selfnodeclient", "create", true},
        {"system:coredns", "", "endpoints", "list watch", false},
        {"system:discovery", "", "", "get", true},
        {"system:kube-controller-manager", "", "secrets", "create", true},
        {"system:kube-dns", "", "endpoints", "list watch", true},
        {"system:kube-scheduler", "", "events", "create patch update", true},
        {"system:metrics-server", "", "nodes/metrics", "get", false},
        {"system:monitoring", "", "", "get", true},
        {"system:node", "authentication.k8s.io", "tokenreviews", "create", true},
        {"system:node-bootstrapper", "certificates.k8s.io", "certificatesigningrequests", "create get list watch", true},
        {"system:node-proxier", "", "endpoints", "list watch", true},
        {"system:public-info-viewer", "", "", "get", true},
        {"system:service-account-issuer-discovery", "", "", "get", true},
        {"system:volume-scheduler", "", "persistentvolumes", "get list patch update watch", true},
        {"view", "", "pods", "get list watch", true},
    };
    std::vector<std::pair<std::string, const Role*>> all;
    for (const auto& r : kRoles) all.push_back({r.name, &r});
    static constexpr Role kController{"", "", "events", "create patch update", true};
    for (const char* c : kControllers) all.push_back({std::string("system:controller:") + c, &kController});
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, r] : all) {
      std::vector<Kv> labels, annotations;
      if (r->bootstrap) {
        labels.push_back({"kubernetes.io/bootstrapping", "rbac-defaults"});
        annotations.push_back({"rbac.authorization.kubernetes.io/autoupdate", "true"});
      }
      f.add(simple_object("rbac.authorization.k8s.io/v1", "ClusterRole", name, r->bootstrap ? born : born + 120, [&](JsonWriter& o_) {
        auto rule = o_.array("rules").object();
        if (*r->resources) {
          rule.array("apiGroups").value(r->groups);
          rule.array("resources").value(r->resources);
        } else {
          rule.array("nonResourceURLs").value("/healthz").value("/livez").value("/readyz").value("/version").value("/version/");
        }
        auto v = rule.array("verbs");
        words(v, r->verbs);
      }, labels, annotations));
    }
  }

  // kubeadm's Roles and RoleBindings: joining nodes read the kube-proxy,
  // kubelet and kubeadm ConfigMaps; anyone may read cluster-info in
  // kube-public (that is how a joining node finds the cluster); the
  // controllers and metrics-server read the authentication ConfigMap.
  void roles(ListFile& froles, ListFile& fbindings) {
    const std::string joiners = "system:bootstrappers:kubeadm:default-node-token";
    struct Role {
      const char* ns;
      const char* name;
      const char* resource;
      const char* object;  // resourceNames, "" for any
      const char* verbs;
      std::vector<Subject> subjects;
      const char* binding;  // "" : named like the role
    };
    const std::vector<Role> list = {
        {"kube-public", "kubeadm:bootstrap-signer-clusterinfo", "configmaps", "cluster-info", "get", {{"User", "system:anonymous"}}, ""},
        {"kube-public", "system:controller:bootstrap-signer", "configmaps", "", "get list watch", {{"ServiceAccount", "bootstrap-signer"}}, ""},
        {"kube-system", "extension-apiserver-authentication-reader", "configmaps", "extension-apiserver-authentication", "get list watch",
         {{"ServiceAccount", "metrics-server"}}, "metrics-server-auth-reader"},
        {"kube-system", "kube-proxy", "configmaps", "kube-proxy", "get", {{"Group", joiners}}, ""},
        {"kube-system", "kubeadm:kubelet-config", "configmaps", "kubelet-config", "get", {{"Group", "system:nodes"}, {"Group", joiners}}, ""},
        {"kube-system", "kubeadm:nodes-kubeadm-config", "configmaps", "kubeadm-config", "get", {{"Group", joiners}, {"Group", "system:nodes"}}, ""},
        {"kube-system", "system::leader-locking-kube-controller-manager", "configmaps", "kube-controller-manager", "watch",
         {{"User", "system:kube-controller-manager"}, {"ServiceAccount", "kube-controller-manager"}}, ""},
        {"kube-system", "system::leader-locking-kube-scheduler", "configmaps", "kube-scheduler", "watch",
         {{"User", "system:kube-scheduler"}, {"ServiceAccount", "kube-scheduler"}}, ""},
        {"kube-system", "system:controller:bootstrap-signer", "secrets", "", "get list watch", {{"ServiceAccount", "bootstrap-signer"}}, ""},
        {"kube-system", "system:controller:cloud-provider", "configmaps", "", "create get list watch", {{"ServiceAccount", "cloud-provider"}}, ""},
        {"kube-system", "system:controller:token-cleaner", "secrets", "", "delete get list watch", {{"ServiceAccount", "token-cleaner"}}, ""},
    };
    for (const auto& r : list) {
      bool kubeadm = std::string_view(r.name).rfind("kubeadm:", 0) == 0 || r.name == std::string_view("kube-proxy");
      std::vector<Kv> labels, annotations;
      if (!kubeadm) {
        labels.push_back({"kubernetes.io/bootstrapping", "rbac-defaults"});
        annotations.push_back({"rbac.authorization.kubernetes.io/autoupdate", "true"});
      }
      std::time_t made = kubeadm ? born + 20 : born;
      froles.add(simple_object("rbac.authorization.k8s.io/v1", "Role", r.name, made, [&](JsonWriter& o_) {
        auto rule = o_.array("rules").object();
        rule.array("apiGroups").value("");
        if (*r.object) rule.array("resourceNames").value(r.object);
        rule.array("resources").value(r.resource);
        auto v = rule.array("verbs");
        words(v, r.verbs);
      }, labels, annotations, r.ns));
      fbindings.add(rolebinding_object(r.ns, *r.binding ? r.binding : r.name, r.name, r.subjects, made + (*r.binding ? 120 : 0), labels,
                                       annotations));
    }
    // The controller manager and the scheduler read the authentication ConfigMap too.
    fbindings.add(rolebinding_object("kube-system", "system::extension-apiserver-authentication-reader",
                                     "extension-apiserver-authentication-reader",
                                     {{"User", "system:kube-controller-manager"}, {"User", "system:kube-scheduler"}}, born,
                                     {{"kubernetes.io/bootstrapping", "rbac-defaults"}},
                                     {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}));
  }

  std::string rolebinding_object(const char* ns, const std::string& name, const char* role, const std::vector<Subject>& subjects,
                                 std::time_t created, const std::vector<Kv>& labels, const std::vector<Kv>& annotations) {
    return simple_object("rbac.authorization.k8s.io/v1", "RoleBinding", name, created, [&](JsonWriter& o_) {
      o_.object("roleRef").field("apiGroup", "rbac.authorization.k8s.io").field("kind", "Role").field("name", role);
      auto arr = o_.array("subjects");
      for (const auto& sj : subjects) {
        auto e = arr.object();
        bool sa = sj.kind == std::string_view("ServiceAccount");
        if (!sa) e.field("apiGroup", "rbac.authorization.k8s.io");
        e.field("kind", sj.kind).field("name", sj.name);
        if (sa) e.field("namespace", "kube-system");
      }
    }, labels, annotations, ns);
  }

  // /readyz?verbose and /livez?verbose of a healthy API server, as rows.
  static void health_rows(ListFile& f, std::initializer_list<const char*> checks) {
    for (const char* c : checks) f.add(std::string("{\"name\":\"") + c + "\",\"ok\":true,\"message\":\"ok\"}");
  }

  // What kubeadm, the add-ons and the API server keep besides the
  // workloads, and the special tables (version, readyz, livez, discovery,
  // deprecated API requests):
  // one List file each, appended to `files` in manifest order. A table is
  // written empty where a cluster of this shape has none: NetworkPolicies
  // (flannel enforces none), Jobs and CronJobs (nothing runs batch work),
  // MutatingWebhookConfigurations, CSIStorageCapacities (neither driver
  // publishes capacity), CRDs and RuntimeClasses (no add-on installs any),
  // and ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1 is
  // served from v1.30; v1.29's v1beta1 is off by default).
  void system_objects(const std::vector<std::string>& app_namespaces, const std::vector<Service>& services,
                      const std::vector<Exposed>& exposed, const std::string& version, std::vector<std::unique_ptr<ListFile>>& files) {
    auto file = [&](const char* table) -> ListFile& { return *files.emplace_back(std::make_unique<ListFile>(dir, table)); };
    std::string token_id = extra.suffix(6);
    {
      std::vector<std::string> all_namespaces = {"default", "kube-system", "kube-public", "kube-node-lease", "policy-system"};
      all_namespaces.insert(all_namespaces.end(), app_namespaces.begin(), app_namespaces.end());
      std::string dns_ip;
      for (const auto& sv : services)
        if (sv.ns == "kube-system" && sv.name == "coredns") dns_ip = sv.cluster_ip;
      system_configmaps(file("k8s.configmaps"), all_namespaces, dns_ip, token_id);
    }
    ListFile& fsecrets = file("k8s.secrets");
    secrets(fsecrets, token_id);
    ListFile &fclasses = file("k8s.ingressclasses"), &fingresses = file("k8s.ingresses");
    ingresses(fclasses, fingresses, file("k8s.horizontalpodautoscalers"), fsecrets, exposed);
    apiservices(file("k8s.apiservices"));
    clusterrolebindings(file("k8s.clusterrolebindings"));
    file("k8s.certificatesigningrequests").add(csr_object());
    for (const char* empty : {"k8s.networkpolicies", "k8s.jobs", "k8s.cronjobs", "k8s.mutatingwebhookconfigurations",
                              "k8s.csistoragecapacities", "k8s.customresourcedefinitions", "k8s.runtimeclasses",
                              "k8s.validatingadmissionpolicies", "k8s.validatingadmissionpolicybindings"})
      file(empty);
    clusterroles(file("k8s.clusterroles"));
    roles(file("k8s.roles"), file("k8s.rolebindings"));
    csi(file("k8s.csidrivers"), file("k8s.csinodes"));
    flow_schemas(file("k8s.flowschemas"));
    priority_levels(file("k8s.prioritylevelconfigurations"));
    priorityclasses(file("k8s.priorityclasses"));
    file("k8s.version").add(version);
    health_rows(file("k8s.readyz"), {"ping", "log", "etcd", "etcd-readiness", "informer-sync",
                                     "poststarthook/start-apiserver-admission-initializer", "poststarthook/rbac/bootstrap-roles", "shutdown"});
    health_rows(file("k8s.livez"), {"ping", "log", "etcd", "poststarthook/rbac/bootstrap-roles"});
    ListFile& fresources = file("k8s.api_resources");
    for (const auto& r : kResources) fresources.add(api_resource_row(r));
    // GET /metrics' apiserver_requested_deprecated_apis: no client of this
    // cluster calls a deprecated API.
    file("k8s.deprecated_api_requests");
    // k8s.helm_release_objects: nothing here is installed with Helm (no
    // release Secret), so the table is captured and empty.
    file("k8s.helm_release_objects");
  }

  // ------------------------------------------------------------ whole cluster

  // --shape busy: every 4th application service is a NodePort with a port
  // fixed in its manifest, and every 50th of those copied its port from the
  // one before (a manifest copied and not edited). Collisions grow with the
  // cluster (and past 2,768 NodePorts the range wraps); the check
  // service-nodeport-collision finds each colliding pair.
  void node_ports(std::vector<Service>& services) {
    std::map<int, uint64_t> users;
    int i = 0, j = 0, last = 0;
    for (auto& sv : services) {
      if (sv.ns == "kube-system" || sv.ns == "policy-system" || sv.ns == "default" || i++ % 4) continue;
      sv.node_port = j % 50 == 49 ? last : 30000 + (j * 7) % 2768;
      last = sv.node_port;
      ++j;
      ++users[sv.node_port];
    }
    for (const auto& [port, n] : users) planted["nodeport_collisions"] += n * (n - 1) / 2;
  }

  void run() {
    fs::create_directories(dir);
    make_nodes();
    ListFile fnodes(dir, "k8s.nodes"), fpods(dir, "k8s.pods"), fns(dir, "k8s.namespaces"), fds(dir, "k8s.daemonsets"),
        fdeps(dir, "k8s.deployments"), frs(dir, "k8s.replicasets"), fsvc(dir, "k8s.services"), fep(dir, "k8s.endpoints"),
        fvwh(dir, "k8s.validatingwebhookconfigurations"), fleases(dir, "k8s.leases"), fslices(dir, "k8s.endpointslices"),
        fevents(dir, "k8s.events"), fpdb(dir, "k8s.poddisruptionbudgets"), fpvc(dir, "k8s.persistentvolumeclaims"),
        fpv(dir, "k8s.persistentvolumes"), fsc(dir, "k8s.storageclasses");
    ListFile fsts(dir, "k8s.statefulsets"), fva(dir, "k8s.volumeattachments");
    for (const auto& n : nodes) {
      std::string obj = node_object(n);
      fnodes.add(obj);
      if (n.not_ready)
        event(fevents, {{"v1", "Node", "", n.name, first_string(obj, "uid"), ""}, "Normal", "NodeNotReady",
                        "Node " + n.name + " status is now: NodeNotReady", "node-controller", "kube-controller-manager", "", now - 7160, now - 7160});
    }
    nas_fs = "cnfs-nas-" + extra.hex(17);
    nas_provisioner = std::string(kNasDriver) + "_csi-provisioner-" + extra.suffix(10) + "-" + extra.suffix(5) + "_" + extra.uid();
    fsc.add(storageclass_object(false));
    fsc.add(storageclass_object(true));
    for (const auto& n : nodes) fleases.add(lease_object(n));

    std::vector<std::string> app_namespaces;
    static const char* ns_names[] = {"shop", "payments", "search", "monitoring", "identity", "media", "ads", "logistics"};
    for (int i = 0; i < o.namespaces; ++i)
      app_namespaces.push_back(i < 8 ? ns_names[i] : std::string("team-") + std::to_string(i));
    for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease", "policy-system"}) fns.add(namespace_object(ns));
    for (const auto& ns : app_namespaces) fns.add(namespace_object(ns));

    std::vector<Service> services;
    int ip_index = 0;
    // The API server's own service: one endpoint per control-plane node.
    {
      Service k{"default", "kubernetes", "", "10.96.0.1", 443, {}, {}};
      for (const auto& n : nodes)
        if (n.control_plane) k.ready.push_back({n.ip, "", "", ""});
      services.push_back(k);
    }

    // Control-plane static pods.
    for (const auto& n : nodes) {
      if (!n.control_plane) continue;
      for (const char* comp : {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}) {
        PodSpec p;
        p.name = std::string(comp) + "-" + n.name;
        p.ns = "kube-system";
        p.app = comp;
        p.image = std::string(comp == std::string("etcd") ? "registry.k8s.io/etcd:3.5.12-0" : "registry.k8s.io/") +
                  (comp == std::string("etcd") ? "" : std::string(comp) + ":" + o.version);
        p.containers = {comp};
        p.static_pod = true;
        p.host_network = true;
        add_pod(fpods, fevents, p, n, ip_index++);
      }
    }

    // DaemonSets: kube-proxy and flannel on every node, csi-plugin on workers.
    struct Ds {
      const char* name;
      const char* image;
      bool workers_only;
      bool host_network;
      bool privileged;
    };
    std::vector<Ds> daemonsets = {{"kube-proxy", "registry.k8s.io/kube-proxy:", false, true, true},
                                  {"kube-flannel-ds", "docker.io/flannel/flannel:v0.24.2", false, true, true},
                                  {"csi-plugin", "registry.example.com/acs/csi-plugin:v1.30.1", true, true, true}};
    for (const auto& d : daemonsets) {
      Workload w{"kube-system", d.name, "DaemonSet", d.image, 0, 0, "", false};
      if (w.image.back() == ':') w.image += o.version;
      for (const auto& n : nodes) {
        if (d.workers_only && n.control_plane) continue;
        PodSpec p;
        p.name = std::string(d.name) + "-" + rng.suffix(5);
        p.ns = "kube-system";
        p.app = d.name;
        p.component = d.name;
        p.owner_kind = "DaemonSet";
        p.owner_name = d.name;
        p.image = w.image;
        p.containers = {d.name == std::string("kube-flannel-ds") ? "kube-flannel" : d.name};
        p.host_network = d.host_network;
        p.privileged = d.privileged;
        if (o.preset == "example" && std::string(d.name) == "kube-proxy") {
          // kube-proxy broken on one control-plane node and one worker: the
          // classic "Kube Proxy Master / Kube Proxy Worker abnormal".
          if (n.name == "master-2") p.crashloop = true, p.restarts = 14;
          if (n.name == "worker-3") p.crashloop = true, p.restarts = 9;
        }
        ++w.replicas;
        bool ready = !p.crashloop && !p.not_ready && !n.not_ready;
        if (ready) ++w.ready;
        if (p.crashloop) ++planted["kube_proxy_unready"];
        add_pod(fpods, fevents, p, n, ip_index++);
      }
      if (w.ready < w.replicas) ++planted["daemonsets_unavailable"];
      fds.add(workload_object(w));
    }

    // Deployments: CoreDNS, metrics-server, the webhook's own service, then apps.
    std::vector<Node*> workers;
    for (auto& n : nodes)
      if (!n.control_plane) workers.push_back(&n);
    // Application pods walk the workers 8 at a time (pod_counter * 7 + r).
    // When 8 and the number of workers share a factor, that walk visits only
    // workers / gcd of them (125 of 1,000, at 240 pods each, far past the
    // kubelet's 110): shifting one worker per lap spreads pods over all.
    const int stride_gcd = std::gcd(8, static_cast<int>(workers.size()));
    const int lap = 8 * (static_cast<int>(workers.size()) / stride_gcd);
    auto place = [&](int i) -> Node& {
      int shift = stride_gcd > 1 ? i / lap : 0;
      return *workers[static_cast<size_t>(i + shift) % workers.size()];
    };
    int app_pods = o.pods >= 0 ? o.pods : 8 * o.workers;
    int crash_total = planted_count(app_pods, o.crashloop_rate);
    struct Dep {
      std::string ns, name, image;
      int replicas;
      int containers;
    };
    std::vector<Dep> deps = {{"kube-system", "coredns", "registry.k8s.io/coredns/coredns:v1.11.1", 2, 1},
                             {"kube-system", "metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.0", 1, 1},
                             {"kube-system", "nginx-ingress-controller", "registry.k8s.io/ingress-nginx/controller:v1.9.6", 2, 1}};
    // The example's webhook backend, scaled to zero (see the webhook below).
    if (o.preset == "example")
      deps.push_back({"policy-system", "policy-guard", "registry.example.com/platform/policy-guard:2.3.0", 0, 1});
    static const char* app_names[] = {"frontend", "checkout", "cart", "catalog", "recommendations", "inventory", "auth", "notifications"};
    // A busy cluster's deployments are larger: a Deployment and a
    // ReplicaSet per 15 pods.
    int per_dep = busy() ? 15 : 4;
    int n_app_deps = std::max(1, app_pods / per_dep);
    for (int i = 0; i < n_app_deps; ++i) {
      const std::string& ns = app_namespaces[static_cast<size_t>(i) % app_namespaces.size()];
      std::string name = std::string(app_names[i % 8]) + (i >= 8 ? "-" + std::to_string(i / 8) : "");
      int replicas = i == n_app_deps - 1 ? app_pods - per_dep * (n_app_deps - 1) : per_dep;
      deps.push_back({ns, name, "registry.example.com/" + ns + "/" + std::string(app_names[i % 8]) + ":1." + std::to_string(i % 7) + ".2",
                      replicas, 2});
    }
    int removed_total = planted_count(n_app_deps, o.removed_api_rate);
    int pending_total = planted_count(n_app_deps, o.pending_pvc_rate);
    int blocking_total = planted_count(n_app_deps, o.pdb_blocking_rate);
    int nothing_total = planted_count(n_app_deps, o.pdb_selects_nothing_rate);
    int pod_counter = 0, crash_planted = 0, dep_counter = 0;
    std::vector<Exposed> exposed;  // the frontends: an Ingress, a TLS secret and an HPA each
    for (const auto& d : deps) {
      Workload w{d.ns, d.name, "Deployment", d.image, d.replicas, 0, rng.suffix(9), false};
      bool is_app = d.ns != "kube-system" && d.ns != "policy-system";
      // What an application deployment has besides its pods: every 4th
      // keeps its data on a shared claim, every 3rd has a disruption budget,
      // every 10th was scaled up within the hour (so its pods' start-up
      // events are still there). Planted problems are spread by rate.
      bool with_claim = false, with_budget = false, recent = false, pending = false, blocking = false, canary = false;
      int k = dep_counter;
      if (is_app) {
        ++dep_counter;
        if (spread(dep_counter, removed_total, n_app_deps)) {
          w.removed_api = true;
          ++planted["removed_api_objects"];
        }
        with_claim = k % 4 == 2;
        with_budget = d.replicas > 0 && k % 3 == 0;  // a budget over no pod is a planted problem
        // Each recent pod has 1 + 3 events per container: with busy's four
        // containers, every 40th deployment makes events about 1/3 of pods.
        recent = k % (busy() ? 40 : 10) == 4;
        pending = o.preset == "example" ? d.name == "inventory" : spread(dep_counter, pending_total, n_app_deps);
        blocking = d.replicas > 0 && spread(dep_counter, blocking_total, n_app_deps);
        canary = spread(dep_counter, nothing_total, n_app_deps);
      }
      Claim data;
      if (with_claim) {
        data = {d.ns, d.name + "-data", d.name, "20Gi", extra.uid(), "", next_extra_rv(), born + 86400 - 300};
        data.volume = "pvc-" + data.uid;
        fpvc.add(pvc_object(data));
        fpv.add(pv_object(data));
      }
      Service sv{d.ns, d.name == "policy-guard" ? "policy-guard-webhook" : d.name, d.name,
                 "10.96." + std::to_string(1 + services.size() / 250) + "." + std::to_string(services.size() % 250 + 2), 80,
                 {}, {}};
      for (int r = 0; r < d.replicas; ++r) {
        PodSpec p;
        p.name = d.name + "-" + w.rs_hash + "-" + rng.suffix(5);
        p.ns = d.ns;
        p.app = d.name;
        p.owner_kind = "ReplicaSet";
        p.owner_name = d.name + "-" + w.rs_hash;
        p.image = d.image;
        p.containers = d.containers == 2 ? std::vector<std::string>{"app", "istio-proxy"} : std::vector<std::string>{d.name};
        if (busy() && d.containers == 2) {
          p.containers = {"app", "istio-proxy", "log-shipper", "config-reloader"};
          p.init_containers = {"istio-init", "wait-for-db"};
        }
        p.recent = recent;
        p.claim = data.name;
        if (d.name == "coredns") p.component = "kube-dns";
        if (is_app) {
          ++pod_counter;
          if (o.preset == "example") {
            if (d.name == "checkout" && r == 0) p.crashloop = true, p.restarts = 23;
          } else if (spread(pod_counter, crash_total, app_pods)) {
            p.crashloop = true;
            p.restarts = 10 + static_cast<int>(rng.next() % 90);
          }
        }
        Node& n = d.ns == "kube-system" ? *workers[static_cast<size_t>(r) % workers.size()] : place(pod_counter * 7 + r);
        if (p.crashloop) ++planted["crashloop_pods"], ++crash_planted;
        bool ready = !p.crashloop && !n.not_ready;
        if (ready) ++w.ready;
        (ready ? sv.ready : sv.not_ready).push_back(add_pod(fpods, fevents, p, n, ip_index++));
      }
      std::string dep_obj = workload_object(w), rs_obj = replicaset_object(w);
      fdeps.add(dep_obj);
      frs.add(rs_obj);
      if (recent) scale_up_events(fevents, w, first_string(dep_obj, "uid"), first_string(rs_obj, "uid"), sv);
      if (with_budget || blocking) {
        // Budgets keep half the pods up or allow one down; a planted one
        // wants every replica up, so no drain may evict any.
        bool half = (k / 3) % 2 == 0;
        Budget b{d.ns, d.name, d.name, "", blocking || half ? "minAvailable" : "maxUnavailable",
                 blocking ? std::to_string(d.replicas) : half ? "50%" : "1", d.replicas, w.ready};
        fpdb.add(pdb_object(b, born + 86400 + 120));
        // Unready pods (a crash loop, a NotReady node) use up a budget too.
        if (b.blocks_drain()) ++planted["pdbs_blocking_drain"];
      }
      if (canary) leftover_canary_budget(fpdb, fevents, w);
      if (pending) pending_claim(fpvc, fevents, w);
      if (is_app && k % 8 == 0 && d.replicas > 0) exposed.push_back({d.ns, d.name, d.replicas});
      services.push_back(sv);
    }
    // The example's broken webhook: policy-guard is scaled to zero, so its
    // service has no endpoints, and the webhook fails closed.
    if (o.preset == "example") {
      fvwh.add(webhook_object("policy-guard", "policy-system", "policy-guard-webhook", "Fail"));
      ++planted["webhooks_without_endpoints"];
    }
    fvwh.add(webhook_object("cert-validator", "kube-system", "metrics-server", "Ignore"));
    // Services whose selector matches nothing (a typo in the selector).
    int app_services = static_cast<int>(services.size()) - 4;
    int no_ep_total = planted_count(std::max(0, app_services), o.no_endpoints_rate);
    int svc_counter = 0;
    for (auto& sv : services) {
      bool is_app = sv.ns != "kube-system" && sv.ns != "policy-system" && sv.ns != "default";
      if (!is_app) continue;
      ++svc_counter;
      if (spread(svc_counter, no_ep_total, app_services)) {
        sv.selector_app += "-v2";  // matches no pod
        sv.ready.clear();
        sv.not_ready.clear();
        ++planted["services_without_endpoints"];
      }
    }
    if (busy()) node_ports(services);
    for (const auto& sv : services) {
      std::string obj = service_object(sv);
      fsvc.add(obj);
      fep.add(endpoints_object(sv));
      endpointslices(fslices, sv, first_string(obj, "uid"));
    }

    std::string major = o.version.substr(1, o.version.find('.') - 1);
    std::string minor = o.version.substr(o.version.find('.') + 1);
    minor = minor.substr(0, minor.find('.'));
    std::string version = "{\"major\":\"" + major + "\",\"minor\":\"" + minor + "\",\"gitVersion\":\"" + o.version +
                          "\",\"gitCommit\":\"" + rng.hex(40) + "\",\"gitTreeState\":\"clean\",\"buildDate\":\"2026-04-16T12:31:10Z\"," +
                          "\"goVersion\":\"go1.22.2\",\"compiler\":\"gc\",\"platform\":\"linux/amd64\"}";
    {
      std::vector<Node*> ready_workers;
      for (auto* n : workers)
        if (!n->not_ready) ready_workers.push_back(n);
      statefulsets({fsts, fpods, fevents, fpvc, fpv, fva, fsvc, fep, fslices}, ready_workers, app_namespaces, n_app_deps, ip_index,
                   services);
    }
    std::vector<std::unique_ptr<ListFile>> system;
    system_objects(app_namespaces, services, exposed, version, system);
    std::vector<ListFile*> files = {&fnodes, &fpods, &fns, &fds, &fdeps, &frs, &fsvc, &fep, &fvwh, &fleases,
                                    &fslices, &fevents, &fpdb, &fpvc, &fpv, &fsc, &fsts, &fva};
    for (auto& f : system) files.push_back(f.get());
    for (auto* f : files) f->close();
    {
      std::ofstream m(dir / "manifest.json");
      m << "{\"format\":\"kinspect-snapshot/v1\",\"created\":\"" << o.now << "\",\"generator\":\"kinspect-gen-cluster seed="
        << o.seed << (o.preset.empty() ? "" : " preset=" + o.preset) << (busy() ? " shape=busy" : "") << "\",\"cluster\":{\"version\":" << version
        << "},\"resources\":[";
      for (size_t i = 0; i < files.size(); ++i)
        m << (i ? "," : "") << "\n  {\"table\":\"" << files[i]->table() << "\",\"file\":\"" << files[i]->file()
          << "\",\"count\":" << files[i]->count() << "}";
      m << "\n]}\n";
    }
    {
      std::ofstream p(dir / "planted.json");
      p << "{";
      bool first = true;
      for (const char* k : {"notready_nodes", "crashloop_pods", "kube_proxy_unready", "daemonsets_unavailable",
                            "webhooks_without_endpoints", "services_without_endpoints", "removed_api_objects", "pending_pvcs",
                            "pdbs_blocking_drain", "pdbs_selecting_nothing", "nodeport_collisions"}) {
        // Only the busy shape has NodePorts; the other shapes' files stay as they were.
        if (!busy() && k == std::string("nodeport_collisions")) continue;
        p << (first ? "" : ",") << "\n  \"" << k << "\": " << planted[k];
        first = false;
      }
      p << "\n}\n";
    }
    std::cerr << "wrote " << dir.string() << ": " << fnodes.count() << " nodes, " << fpods.count() << " pods, "
              << fsvc.count() << " services\n";
  }
};

void usage() {
  std::cout << R"(kinspect-gen-cluster: write a realistic cluster snapshot with planted anomalies

Usage: kinspect-gen-cluster --out DIR [options]

  --preset example        the bundled example cluster (3 control-plane nodes, 5 workers,
                          one anomaly of each kind the README demo shows)
  --shape NAME            default, or busy: what large production clusters carry. Four
                          containers (app, istio-proxy, log-shipper, config-reloader) and
                          two init containers per application pod, with the mesh's
                          managedFields (about 13 KB a pod); labels and annotations drawn
                          from a profile of real objects (bench/gen/label_profile.inc);
                          a Deployment and ReplicaSet per 15 pods; Events about 1/3 of
                          pods; every 4th application Service a NodePort with a fixed port,
                          every 50th of those colliding (planted: nodeport_collisions);
                          Endpoints naming their pods' real uids; 50 images per node
  --seed N                random seed (default 42); same seed and options, same bytes
  --control-planes N      control-plane nodes (default 3)
  --workers N             worker nodes (default 5)
  --pods N                application pods (default 8 per worker)
  --namespaces N          application namespaces (default 4)
  --version V             Kubernetes version (default v1.29.4)
  --now RFC3339           the time the snapshot is "taken" (default 2026-11-20T08:00:00Z)
  --notready-rate R       fraction of workers NotReady
  --crashloop-rate R      fraction of application pods in CrashLoopBackOff
  --no-endpoints-rate R   fraction of application services whose selector matches nothing
  --removed-api-rate R    fraction of deployments last applied as extensions/v1beta1
  --pending-pvc-rate R    fraction of application deployments with an extra claim whose
                          provisioning keeps failing (Pending for hours)
  --pdb-blocking-rate R   fraction of application deployments whose PodDisruptionBudget
                          has minAvailable = replicas (no disruption allowed)
  --pdb-selects-nothing-rate R
                          fraction of application deployments that left behind the
                          budget of a removed canary (its selector matches no pod)

Besides the planted problems the cluster is healthy: every 4th application
deployment mounts a ReadWriteMany claim (bound to a PersistentVolume of a NAS
StorageClass), every 3rd has a PodDisruptionBudget, every 10th was scaled up in
the last hour (its pods' Scheduled/Pulled/Created/Started events are there);
services have EndpointSlices; crash-looping pods have BackOff and Unhealthy
events, pods on NotReady nodes NodeNotReady ones. Every 8th (the frontends) is
served through the nginx IngressClass with a TLS secret and scaled by an HPA;
one Redis StatefulSet per 32 deployments keeps its data on cloud disks
(claims, volumes and VolumeAttachments, on Ready workers). kube-system holds
kubeadm's ConfigMaps (kube-proxy, kubelet-config, kubeadm-config, CoreDNS,
flannel), every namespace kube-root-ca.crt, and RBAC, APIServices, a bootstrap
token and a kubelet's approved CSR are those of a healthy kubeadm cluster.

Writes DIR/manifest.json, one List file per table (version.json, readyz.json
and livez.json included, as `kinspect snapshot` writes them), and
DIR/planted.json with the number of each anomaly planted.
pdbs_blocking_drain counts every budget that allows no disruption while it has
pods: the planted ones and those whose pods are unready because of another
planted anomaly (a crash loop, a NotReady node).
)";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "kinspect-gen-cluster: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") return usage(), 0;
    else if (a == "--out") o.out = val();
    else if (a == "--preset") o.preset = val();
    else if (a == "--shape") o.shape = val();
    else if (a == "--seed") o.seed = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--control-planes") o.control_planes = std::atoi(val().c_str());
    else if (a == "--workers") o.workers = std::atoi(val().c_str());
    else if (a == "--pods") o.pods = std::atoi(val().c_str());
    else if (a == "--namespaces") o.namespaces = std::atoi(val().c_str());
    else if (a == "--version") o.version = val();
    else if (a == "--now") o.now = val();
    else if (a == "--notready-rate") o.notready_rate = std::atof(val().c_str());
    else if (a == "--crashloop-rate") o.crashloop_rate = std::atof(val().c_str());
    else if (a == "--no-endpoints-rate") o.no_endpoints_rate = std::atof(val().c_str());
    else if (a == "--removed-api-rate") o.removed_api_rate = std::atof(val().c_str());
    else if (a == "--pending-pvc-rate") o.pending_pvc_rate = std::atof(val().c_str());
    else if (a == "--pdb-blocking-rate") o.pdb_blocking_rate = std::atof(val().c_str());
    else if (a == "--pdb-selects-nothing-rate") o.pdb_selects_nothing_rate = std::atof(val().c_str());
    else {
      std::cerr << "kinspect-gen-cluster: unknown option " << a << "; see --help\n";
      return 2;
    }
  }
  if (o.out.empty()) {
    std::cerr << "kinspect-gen-cluster: --out DIR is required; see --help\n";
    return 2;
  }
  if (o.preset == "example") {
    o.control_planes = 3;
    o.workers = 5;
    o.pods = 32;
    o.namespaces = 4;
  } else if (!o.preset.empty()) {
    std::cerr << "kinspect-gen-cluster: unknown preset '" << o.preset << "' (known: example)\n";
    return 2;
  }
  if (o.shape != "default" && o.shape != "busy") {
    std::cerr << "kinspect-gen-cluster: unknown shape '" << o.shape << "' (known: default, busy)\n";
    return 2;
  }
  if (o.workers < 1 || o.control_planes < 0 || o.namespaces < 1) {
    std::cerr << "kinspect-gen-cluster: need at least one worker and one namespace\n";
    return 2;
  }
  Generator g(o);
  g.run();
  return 0;
}
