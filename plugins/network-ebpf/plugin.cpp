// network-ebpf: where packets die and why. The kernel's own account of each
// dropped packet (skb:kfree_skb with its drop reason), traced with eBPF for a
// window and served as table functions: net.drops(duration, netns) and
// net.drop_stacks(duration, netns); and what happens now when this node
// connects somewhere: net.tcp_probe(host, port, timeout), net.dns_probe(name,
// server, type, timeout), net.http_probe(url, timeout, verify, ca_file) and
// net.probe_matrix(timeout, budget, concurrency) over the cluster's addresses.
// See docs/network.md.
#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <stdexcept>

#include "capture.h"
#include "drop_tables.h"
#include "kallsyms.h"
#include "host_tables.h"
#include "probe_matrix.h"
#include "probe_tables.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace network_ebpf {

namespace {

uint32_t bounded_setting(const json::key_value_pair& kv, int64_t lo, int64_t hi) {
  const json::value& v = kv.value();
  if (!v.is_int64() || v.as_int64() < lo || v.as_int64() > hi)
    throw std::runtime_error("network-ebpf: setting " + std::string(kv.key()) + " must be an integer from " +
                             std::to_string(lo) + " to " + std::to_string(hi) + ", got " + json::serialize(v));
  return static_cast<uint32_t>(v.as_int64());
}

std::string path_setting(const json::key_value_pair& kv) {
  const json::value& v = kv.value();
  if (!v.is_string() || v.as_string().empty() || v.as_string()[0] != '/')
    throw std::runtime_error("network-ebpf: setting " + std::string(kv.key()) + " must be an absolute path, got " +
                             json::serialize(v));
  return std::string(v.as_string());
}

bool packet_reads_setting(const json::key_value_pair& kv) {
  const json::value& v = kv.value();
  if (v.is_string() && (v.as_string() == "auto" || v.as_string() == "probe_read")) return v.as_string() == "probe_read";
  throw std::runtime_error("network-ebpf: setting packet_reads must be \"auto\" or \"probe_read\", got " + json::serialize(v));
}

Settings parse_settings(std::string_view config) {
  json::error_code ec;
  json::value cfg = json::parse(config, ec);
  if (ec || !cfg.is_object()) throw std::runtime_error("network-ebpf: settings must be a JSON object, got: " + std::string(config));
  Settings s;
  for (const auto& kv : cfg.as_object()) {
    const std::string key(kv.key());
    if (key == "max_keys") s.max_keys = bounded_setting(kv, 16, 1 << 20);
    else if (key == "max_stacks") s.max_stacks = bounded_setting(kv, 16, 1 << 16);
    else if (key == "max_duration") s.max_duration = std::chrono::seconds(bounded_setting(kv, 1, 3600));
    else if (key == "btf") s.btf = path_setting(kv);
    else if (key == "kallsyms") s.kallsyms = path_setting(kv);
    else if (key == "netns_dir") s.netns_dir = path_setting(kv);
    else if (key == "root") s.root = path_setting(kv);
    else if (key == "packet_reads") s.probe_read_only = packet_reads_setting(kv);
  }
  return s;
}

// An optional text argument, "" when absent or NULL.
std::string text_arg(const ks::ScanContext& ctx, size_t i, const std::string& what) {
  if (ctx.arg_count() <= i || ctx.arg(i).is_null()) return "";
  if (!ctx.arg(i).is_text()) throw std::runtime_error(what + " must be text");
  return std::string(ctx.arg(i).text());
}

std::chrono::milliseconds timeout_arg(const ks::ScanContext& ctx, size_t i, std::chrono::milliseconds dflt, const std::string& what) {
  if (ctx.arg_count() <= i || ctx.arg(i).is_null()) return dflt;
  return parse_window(ctx.arg(i), std::chrono::seconds(60), what);
}

std::unique_ptr<ks::Scan> dns_probe_scan(const ks::ScanContext& ctx, const Settings& settings) {
  const std::string name = text_arg(ctx, 0, "net.dns_probe: name");
  if (name.empty())
    throw std::runtime_error("net.dns_probe(name[, server, type, timeout]) needs a name, e.g. net.dns_probe('kubernetes.default.svc.cluster.local', '10.96.0.10', 'A')");
  const std::string server = text_arg(ctx, 1, "net.dns_probe: server");
  std::string type = text_arg(ctx, 2, "net.dns_probe: type");
  if (type.empty()) type = "A";
  for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (dns_type(type) == 0) throw std::runtime_error("net.dns_probe: type must be a DNS record type such as A, AAAA, SRV or CNAME, got '" + type + "'");
  const auto timeout = timeout_arg(ctx, 3, std::chrono::milliseconds(2000), "net.dns_probe: timeout");
  std::vector<DnsServer> servers;
  if (server.empty()) {
    servers = resolv_conf_servers(settings.root + (settings.root.back() == '/' ? "" : "/") + "etc/resolv.conf");
    if (servers.size() > 8) servers.resize(8);
  } else {
    servers.push_back(parse_dns_server(server));
  }
  auto probes = dns_probe_all(name, type, servers, std::chrono::steady_clock::now() + timeout);
  return ks::rows([probes = std::move(probes), timeout](ks::BatchWriter& out) { write_dns_probes(probes, timeout, out); });
}

std::unique_ptr<ks::Scan> http_probe_scan(const ks::ScanContext& ctx) {
  const std::string url = text_arg(ctx, 0, "net.http_probe: url");
  std::string why;
  if (!split_url(url, &why)) throw std::runtime_error("net.http_probe: " + why);
  HttpProbeOptions o;
  o.timeout = timeout_arg(ctx, 1, std::chrono::milliseconds(3000), "net.http_probe: timeout");
  if (ctx.arg_count() > 2 && !ctx.arg(2).is_null()) {
    if (ctx.arg(2).type() != KI_VALUE_BOOL) throw std::runtime_error("net.http_probe: verify must be TRUE or FALSE");
    o.verify = ctx.arg(2).boolean();
  }
  o.ca_file = text_arg(ctx, 3, "net.http_probe: ca_file");
  HttpProbe p = http_probe(url, o);
  return ks::rows([p = std::move(p), timeout = o.timeout](ks::BatchWriter& out) { write_http_probe(p, timeout, out); });
}

// Reads its targets through the host, then probes them all within the
// budget; every target is a row, probed or not.
std::unique_ptr<ks::Scan> probe_matrix_scan(const ks::ScanContext& ctx) {
  MatrixOptions o;
  o.timeout = timeout_arg(ctx, 0, o.timeout, "net.probe_matrix: timeout");
  if (ctx.arg_count() > 1 && !ctx.arg(1).is_null()) o.budget = parse_window(ctx.arg(1), std::chrono::seconds(300), "net.probe_matrix: budget");
  if (ctx.arg_count() > 2 && !ctx.arg(2).is_null()) {
    if (!ctx.arg(2).is_int() || ctx.arg(2).integer() < 1 || ctx.arg(2).integer() > 4096)
      throw std::runtime_error("net.probe_matrix: concurrency must be an integer from 1 to 4096");
    o.concurrency = static_cast<size_t>(ctx.arg(2).integer());
  }
  std::vector<MatrixTarget> targets;
  try {
    targets = matrix_targets([&ctx](const std::string& table, const std::vector<std::string>& paths,
                                    const std::vector<std::pair<std::string, std::string>>& equals) {
      return read_table(ctx, TableRead{table, paths, equals});
    });
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("net.probe_matrix needs the cluster's tables (kube-apiserver plugin, a kubeconfig or in a pod): ") + e.what());
  }
  probe_matrix(targets, o, [&ctx] { return ctx.cancelled(); });
  return ks::rows([targets = std::move(targets), o](ks::BatchWriter& out) { write_probe_matrix(targets, o, out); });
}

// net.drops in batches of a few MiB: a full key map is many rows.
class DropRows final : public ks::Scan {
 public:
  DropRows(std::shared_ptr<const Window> w, Kallsyms syms) : window_(std::move(w)), syms_(std::move(syms)) {}
  bool next(ks::BatchWriter& out) override { return write_drops(*window_, syms_, next_, out); }

 private:
  std::shared_ptr<const Window> window_;
  Kallsyms syms_;
  size_t next_ = 0;
};

class DropTracerDriver : public ks::Plugin {
 public:
  DropTracerDriver(const ks::Host& host, std::string_view config) : host_(host), settings_(parse_settings(config)) {}

  std::vector<ks::SettingSpec> settings() const override {
    using T = ks::Type;
    return {{"max_keys", T::Integer, "16384", "the most distinct (reason, location, stack, namespace, flow) keys a window counts; drops past it are counted as lost"},
            {"max_stacks", T::Integer, "4096", "the most distinct kernel stacks a window records"},
            {"max_duration", T::Integer, "300", "the longest window net.drops accepts, in seconds"},
            {"btf", T::Text, "\"/sys/kernel/btf/vmlinux\"", "the kernel's BTF: drop reason names and CO-RE relocations come from it"},
            {"kallsyms", T::Text, "\"/proc/kallsyms\"", "the kernel symbols that name drop locations and stack frames"},
            {"netns_dir", T::Text, "\"/var/run/netns\"", "where named network namespaces are (`ip netns`)"},
            {"packet_reads", T::Text, "\"auto\"", "how the tracer reads packet headers: auto (direct loads where the kernel's verifier allows them, as recent kernels do; else bpf_probe_read_kernel) or probe_read (always the portable way)"},
            {"root", T::Text, "\"/\"", "the host's root file system: net.dns_probe without a server asks the nameservers of <root>/etc/resolv.conf"}};
  }

  std::vector<ks::TableSpec> tables() const override { return table_specs(); }

  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override {
    const std::string table(ctx.table());
    if (table == "net.tcp_probe") return tcp_probe_scan(ctx);
    if (table == "net.dns_probe") return dns_probe_scan(ctx, settings_);
    if (table == "net.http_probe") return http_probe_scan(ctx);
    if (table == "net.probe_matrix") return probe_matrix_scan(ctx);
    if (table != "net.drops" && table != "net.drop_stacks") throw std::runtime_error("network-ebpf: no table " + table);
    std::chrono::milliseconds duration{5000};
    std::string netns;
    if (ctx.arg_count() > 0 && !ctx.arg(0).is_null()) duration = parse_window(ctx.arg(0), settings_.max_duration);
    if (ctx.arg_count() > 1 && !ctx.arg(1).is_null()) {
      if (!ctx.arg(1).is_text()) throw std::runtime_error(table + ": netns must be text, a namespace name");
      netns = std::string(ctx.arg(1).text());
    }
    // Checked before the window, so a typo fails at once rather than after it.
    if (!netns.empty()) netns_inode(netns, settings_.netns_dir);
    auto window = cache_.get(table, settings_, duration, netns, [&ctx] { return ctx.cancelled(); });
    Kallsyms syms(settings_.kallsyms);
    if (window->capture.keys_full)
      host_.warn(table + ": " + std::to_string(window->capture.keys_full) +
                 " drops were not counted because the window's key map was full (setting max_keys)");
    if (table == "net.drop_stacks")
      return ks::rows([window, syms = std::move(syms)](ks::BatchWriter& out) { write_drop_stacks(*window, syms, out); });
    return std::make_unique<DropRows>(std::move(window), std::move(syms));
  }

 private:
  static std::unique_ptr<ks::Scan> tcp_probe_scan(const ks::ScanContext& ctx) {
    if (ctx.arg_count() < 2 || !ctx.arg(0).is_text() || !ctx.arg(1).is_int() || ctx.arg(1).integer() < 1 ||
        ctx.arg(1).integer() > 65535)
      throw std::runtime_error("net.tcp_probe(host, port[, timeout]) needs a host name or address and a port from 1 to 65535, e.g. net.tcp_probe('10.96.0.1', 443)");
    std::chrono::milliseconds timeout{3000};
    if (ctx.arg_count() > 2 && !ctx.arg(2).is_null()) timeout = parse_window(ctx.arg(2), std::chrono::seconds(60), "net.tcp_probe: timeout");
    TcpProbe p = tcp_probe(std::string(ctx.arg(0).text()), static_cast<uint16_t>(ctx.arg(1).integer()), timeout);
    return ks::rows([p, timeout](ks::BatchWriter& out) { write_tcp_probe(p, timeout, out); });
  }

  ks::Host host_;
  Settings settings_;
  WindowCache cache_;
};

}  // namespace

}  // namespace network_ebpf

KINSPECT_PLUGIN(network_ebpf::DropTracerDriver, "network-ebpf", "1.0.0",
                "Packet drops traced in the kernel with eBPF (skb:kfree_skb, libbpf CO-RE): why, where, in which "
                "namespace and of which flow packets die (net.drops, net.drop_stacks); TCP, DNS and HTTP probes (net.tcp_probe, "
                "net.dns_probe, net.http_probe) and the cluster's probe matrix (net.probe_matrix)",
                KI_KIND_DRIVER)
