#include "probe_matrix.h"

#include <sys/resource.h>

#include <algorithm>
#include <stdexcept>

#include "host_tables.h"

namespace network_ebpf {

namespace json = boost::json;
namespace ks = kinspect::sdk;

namespace {

std::string text_at(const json::object& row, std::string_view path) {
  const json::value* v = at_path(row, path);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t int_at(const json::object& row, std::string_view path, int64_t dflt) {
  const json::value* v = at_path(row, path);
  return v && v->is_int64() ? v->as_int64() : v && v->is_uint64() ? static_cast<int64_t>(v->as_uint64()) : dflt;
}

MatrixTarget target(std::string kind, std::string name, std::string host, int64_t port) {
  MatrixTarget t{std::move(kind), std::move(name), {}};
  t.probe.host = std::move(host);
  t.probe.port = static_cast<uint16_t>(port);
  if (port < 1 || port > 65535) t.probe.result = "not-probed", t.probe.error = "port " + std::to_string(port) + " is out of range";
  return t;
}

MatrixTarget unprobed(std::string kind, std::string name, std::string why) {
  MatrixTarget t{std::move(kind), std::move(name), {}};
  t.probe.result = "not-probed";
  t.probe.error = std::move(why);
  return t;
}

void add_load_balancer(const ReadRows& read, std::vector<MatrixTarget>& out) {
  auto rows = read("k8s.connection", {}, {});
  if (rows.empty()) throw std::runtime_error("k8s.connection has no row: the API server address is unknown");
  const json::object& c = rows.front();
  const std::string host = text_at(c, "host"), server = text_at(c, "server");
  if (host.empty()) {
    out.push_back(unprobed("apiserver-lb", server.empty() ? text_at(c, "origin") : server,
                           text_at(c, "source") == "snapshot"
                               ? "the snapshot did not capture the API server address (k8s.connection)"
                               : "k8s.connection gives no API server address"));
    return;
  }
  // In a pod the address is the kubernetes Service's cluster IP: what fails
  // there is its translation on this node, not a load balancer.
  const bool in_cluster = text_at(c, "source") == "in-cluster";
  out.push_back(target("apiserver-lb", in_cluster ? server + " (in-cluster)" : server, host, int_at(c, "port", 443)));
}

// The port of an Endpoints subset or an EndpointSlice that serves HTTPS:
// the one named https, else the first TCP one.
int64_t https_port(const json::value* ports) {
  if (!ports || !ports->is_array()) return 0;
  int64_t first_tcp = 0;
  for (const auto& p : ports->as_array()) {
    if (!p.is_object()) continue;
    const std::string proto = text_at(p.as_object(), "protocol");
    if (!proto.empty() && proto != "TCP") continue;
    int64_t n = int_at(p.as_object(), "port", 0);
    if (text_at(p.as_object(), "name") == "https") return n;
    if (!first_tcp) first_tcp = n;
  }
  return first_tcp;
}

void from_endpoints(const json::object& e, std::vector<MatrixTarget>& out) {
  const json::value* subsets = at_path(e, "subsets");
  if (!subsets || !subsets->is_array()) return;
  for (const auto& s : subsets->as_array()) {
    if (!s.is_object()) continue;
    int64_t port = https_port(at_path(s.as_object(), "ports"));
    if (const json::value* a = at_path(s.as_object(), "addresses"); a && a->is_array())
      for (const auto& addr : a->as_array())
        if (addr.is_object()) out.push_back(target("apiserver-endpoint", "default/kubernetes", text_at(addr.as_object(), "ip"), port));
  }
}

void from_slice(const json::object& slice, std::vector<MatrixTarget>& out) {
  int64_t port = https_port(at_path(slice, "ports"));
  const json::value* eps = at_path(slice, "endpoints");
  if (!eps || !eps->is_array()) return;
  for (const auto& ep : eps->as_array()) {
    const json::value* a = ep.is_object() ? at_path(ep.as_object(), "addresses") : nullptr;
    if (!a || !a->is_array()) continue;
    for (const auto& addr : a->as_array())
      if (addr.is_string()) out.push_back(target("apiserver-endpoint", "default/kubernetes", std::string(addr.as_string()), port));
  }
}

// default/kubernetes from Endpoints, else from its EndpointSlices (a
// server that no longer serves v1 Endpoints).
void add_endpoints(const ReadRows& read, std::vector<MatrixTarget>& out) {
  const size_t before = out.size();
  std::string endpoints_error;
  try {
    for (const auto& e : read("k8s.endpoints", {"metadata.namespace", "metadata.name", "subsets"},
                              {{"metadata.namespace", "default"}, {"metadata.name", "kubernetes"}}))
      from_endpoints(e, out);
  } catch (const std::exception& e) {
    endpoints_error = e.what();
  }
  if (out.size() > before) return;
  try {
    for (const auto& s : read("k8s.endpointslices", {"metadata.namespace", "metadata.labels", "endpoints", "ports"},
                              {{"metadata.namespace", "default"}, {"metadata.labels.kubernetes.io/service-name", "kubernetes"}}))
      from_slice(s, out);
  } catch (const std::exception& e) {
    if (!endpoints_error.empty()) throw std::runtime_error(endpoints_error + "; and " + e.what());
  }
  if (out.size() == before)
    out.push_back(unprobed("apiserver-endpoint", "default/kubernetes",
                           "the kubernetes Service has no endpoint addresses (k8s.endpoints, k8s.endpointslices)"));
}

bool is_cluster_dns(const json::object& s) {
  const std::string name = text_at(s, "metadata.name");
  const json::value* labels = at_path(s, "metadata.labels");
  const json::value* app = labels && labels->is_object() ? labels->as_object().if_contains("k8s-app") : nullptr;
  return name == "kube-dns" || name == "coredns" || (app && app->is_string() && app->as_string() == "kube-dns");
}

// The Service's DNS-over-TCP port: the TCP port named dns-tcp or numbered
// 53 (not the metrics port, 9153/TCP, kube-dns Services also have); 53
// when it lists none, as CoreDNS answers TCP there too.
int64_t dns_tcp_port(const json::value* ports) {
  if (!ports || !ports->is_array()) return 53;
  for (const auto& p : ports->as_array()) {
    if (!p.is_object() || text_at(p.as_object(), "protocol") == "UDP") continue;
    if (text_at(p.as_object(), "name") == "dns-tcp" || int_at(p.as_object(), "port", 0) == 53) return int_at(p.as_object(), "port", 53);
  }
  return 53;
}

void add_cluster_dns(const ReadRows& read, std::vector<MatrixTarget>& out) {
  auto services = read("k8s.services", {"metadata.namespace", "metadata.name", "metadata.labels", "spec.clusterIP", "spec.ports"},
                       {{"metadata.namespace", "kube-system"}});
  // kube-dns by name first: the Service kubeadm and most distributions create.
  std::stable_sort(services.begin(), services.end(),
                   [](const auto& a, const auto& b) { return text_at(a, "metadata.name") == "kube-dns" && text_at(b, "metadata.name") != "kube-dns"; });
  for (const auto& s : services) {
    if (!is_cluster_dns(s)) continue;
    const std::string name = "kube-system/" + text_at(s, "metadata.name"), ip = text_at(s, "spec.clusterIP");
    if (ip.empty() || ip == "None") {
      out.push_back(unprobed("cluster-dns", name, "the Service has no cluster IP"));
      return;
    }
    out.push_back(target("cluster-dns", name, ip, dns_tcp_port(at_path(s, "spec.ports"))));
    return;
  }
  out.push_back(unprobed("cluster-dns", "kube-system/kube-dns",
                         "no cluster DNS Service in kube-system (kube-dns, coredns or labelled k8s-app=kube-dns)"));
}

void add_kubelets(const ReadRows& read, std::vector<MatrixTarget>& out) {
  auto nodes = read("k8s.nodes", {"metadata.name", "status.addresses", "status.daemonEndpoints"}, {});
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return text_at(a, "metadata.name") < text_at(b, "metadata.name"); });
  for (const auto& n : nodes) {
    const std::string name = text_at(n, "metadata.name");
    std::string ip;
    if (const json::value* a = at_path(n, "status.addresses"); a && a->is_array())
      for (const auto& addr : a->as_array())
        if (ip.empty() && addr.is_object() && text_at(addr.as_object(), "type") == "InternalIP") ip = text_at(addr.as_object(), "address");
    if (ip.empty()) {
      out.push_back(unprobed("kubelet", name, "the node has no InternalIP address"));
      continue;
    }
    out.push_back(target("kubelet", name, ip, int_at(n, "status.daemonEndpoints.kubeletEndpoint.Port", 10250)));
  }
}

std::string seconds_text(std::chrono::milliseconds d) {
  return d.count() % 1000 ? std::to_string(d.count()) + "ms" : std::to_string(d.count() / 1000) + "s";
}

// Sockets this process may open at once: at most half its open-file limit,
// so a matrix never starves the rest of the run. The soft limit is often
// 1024 while the hard one is far higher; a process may raise its own soft
// limit up to the hard one, so it does when the matrix wants more.
size_t socket_allowance(size_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return wanted;
  const rlim_t need = static_cast<rlim_t>(wanted) * 2 + 64;
  if (lim.rlim_cur < need && lim.rlim_max > lim.rlim_cur) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? need : std::min(need, lim.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return std::clamp<size_t>(lim.rlim_cur / 2, 1, wanted);
}

}  // namespace

std::vector<MatrixTarget> matrix_targets(const ReadRows& read) {
  std::vector<MatrixTarget> out;
  add_load_balancer(read, out);
  add_endpoints(read, out);
  add_cluster_dns(read, out);
  add_kubelets(read, out);
  return out;
}

void probe_matrix(std::vector<MatrixTarget>& targets, const MatrixOptions& o, const std::function<bool()>& cancelled) {
  std::vector<size_t> which;
  std::vector<TcpProbe> probes;
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].probe.result.empty()) which.push_back(i), probes.push_back(targets[i].probe);
  ProbeBounds b;
  b.timeout = o.timeout;
  b.concurrency = socket_allowance(o.concurrency);
  b.stop_starting = std::chrono::steady_clock::now() + o.budget;
  b.stop_reason = "the matrix's budget of " + seconds_text(o.budget) + " ran out before this target was probed";
  b.cancelled = cancelled;
  probes = tcp_probe_all(probes, b);
  for (size_t k = 0; k < which.size(); ++k) targets[which[k]].probe = std::move(probes[k]);
}

ks::TableSpec probe_matrix_spec() {
  using T = ks::Type;
  return {"net.probe_matrix",
          "TCP connects from this node to what the cluster depends on, read through the host from the kube-apiserver "
          "driver: the API server as the kubeconfig or in-cluster service reaches it (k8s.connection), each endpoint "
          "of the kubernetes Service (k8s.endpoints, else k8s.endpointslices), the cluster DNS Service "
          "(k8s.services) and each node's kubelet port (k8s.nodes). Many connects at once on non-blocking sockets, "
          "each bounded by the timeout; none starts after the budget, and a target that was not probed is a row "
          "with status not-probed and the reason, never left out. A table that cannot be read fails the scan.",
          {{"kind", T::Text, "apiserver-lb (the kubeconfig's or in-cluster server address), apiserver-endpoint, cluster-dns, kubelet"},
           {"target", T::Text, "What was probed: the server URL (followed by ' (in-cluster)' for KUBERNETES_SERVICE_HOST), default/kubernetes, kube-system/<dns service>, or the node's name"},
           {"host", T::Text, "The name or address connected to (the URL's host, an endpoint IP, the cluster IP, the node's InternalIP); NULL when none"},
           {"address", T::Text, "The address the connect went to (host resolved); NULL when none"},
           {"port", T::Integer, "The port: the URL's (443 by default), the endpoint's https port, the DNS Service's TCP port, the node's daemonEndpoints.kubeletEndpoint.Port (10250 by default)"},
           {"status", T::Text, "ok (connected), refused, timeout, unreachable, unresolved, error, or not-probed (see error)"},
           {"error", T::Text, "Why, for anything but ok: the socket error, or why the target was not probed; else NULL"},
           {"latency_ms", T::Real, "Milliseconds from the start of the connect (name lookup included) to its outcome; NULL when not probed"},
           {"timeout_ms", T::Integer, "The bound of each connect"}},
          {{"timeout", T::Text, "Each connect's bound: '1s' (default), '500ms' or seconds, at most 60s", false},
           {"budget", T::Text, "No connect starts after this, from the first: '10s' (default), at most 300s; the rest are not-probed", false},
           {"concurrency", T::Integer, "Connects in flight at once: 1024 (default), 1 to 4096 (and at most half the open-file limit, whose soft value is raised to the hard one when needed)", false}},
          {"SELECT kind, target, host, port, status, latency_ms FROM net.probe_matrix('1s') WHERE status != 'ok'",
           "SELECT kind, status, count(*) AS targets FROM net.probe_matrix() GROUP BY kind, status"}};
}

void write_probe_matrix(const std::vector<MatrixTarget>& targets, const MatrixOptions& o, ks::BatchWriter& out) {
  for (const MatrixTarget& t : targets) {
    const TcpProbe& p = t.probe;
    auto r = out.row();
    r.field("kind", t.kind).field("target", t.target);
    if (p.host.empty()) r.null("host").null("port");
    else r.field("host", p.host).field("port", static_cast<int64_t>(p.port));
    if (p.address.empty()) r.null("address");
    else r.field("address", p.address);
    r.field("status", p.result == "open" ? std::string("ok") : p.result);
    if (p.error.empty()) r.null("error");
    else r.field("error", p.error);
    if (p.result == "not-probed") r.null("latency_ms");
    else r.field("latency_ms", p.latency_ms);
    r.field("timeout_ms", static_cast<int64_t>(o.timeout.count()));
  }
}

}  // namespace network_ebpf
