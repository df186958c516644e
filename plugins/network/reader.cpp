#include "reader.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "rtnl.h"

namespace network {

namespace {

// Loads on the first next(), on the thread that writes the rows, so a
// namespace entered while loading is this thread's only.
class LazyScan final : public ks::Scan {
 public:
  LazyScan(std::string table, std::vector<std::string> paths, const Settings& s, const ks::Host& h, DumpCache& c)
      : table_(std::move(table)), paths_(std::move(paths)), settings_(s), host_(h), cache_(c) {}
  bool next(ks::BatchWriter& out) override {
    if (!emit_) {
      Source src(settings_, host_, cache_);
      src.paths = paths_;
      emit_ = kernel_table(table_, src);
      if (!emit_) emit_ = dump_table(table_, src);
      if (!emit_) throw std::runtime_error("network has no table " + table_);
    }
    return emit_(out);
  }

 private:
  std::string table_;
  std::vector<std::string> paths_;
  const Settings& settings_;
  const ks::Host& host_;
  DumpCache& cache_;
  Emitter emit_;
};

std::map<int, std::string> link_names(const std::vector<Link>& links) {
  std::map<int, std::string> names;
  for (const auto& l : links) names[l.index] = l.name;
  return names;
}
std::string name_of(const std::map<int, std::string>& names, int index) {
  auto it = names.find(index);
  return it == names.end() ? std::string() : it->second;
}

void write_link(const Link& l, const std::map<int, std::string>& names, ks::JsonWriter& r) {
  r.field("index", l.index).field("name", l.name);
  text_or_null(r, "kind", l.kind);
  text_or_null(r, "slave_kind", l.slave_kind);
  r.field("mtu", l.mtu).field("operstate", l.operstate);
  r.field("up", std::find(l.flags.begin(), l.flags.end(), "UP") != l.flags.end());
  text_array(r, "flags", l.flags);
  text_or_null(r, "mac", l.mac);
  text_or_null(r, "master", l.master ? name_of(names, l.master) : "");
  text_or_null(r, "parent", l.parent && !l.parent_in_other_netns ? name_of(names, l.parent) : "");
  r.field("parent_in_other_netns", l.parent_in_other_netns);
  int_or_null(r, "vni", l.vni);
  int_or_null(r, "udp_port", l.udp_port);
  text_or_null(r, "driver", l.driver);
  const std::pair<const char*, uint64_t> stats[] = {
      {"rx_packets", l.rx_packets}, {"tx_packets", l.tx_packets}, {"rx_bytes", l.rx_bytes},     {"tx_bytes", l.tx_bytes},
      {"rx_errors", l.rx_errors},   {"tx_errors", l.tx_errors},   {"rx_dropped", l.rx_dropped}, {"tx_dropped", l.tx_dropped}};
  for (auto [k, v] : stats) {
    if (l.has_stats) r.field(k, static_cast<int64_t>(v));
    else r.null(k);
  }
}

Emitter links_table(Source& src) {
  std::vector<Link> links;
  {
    NetnsScope in(src.ns);
    links = read_links(true);
  }
  auto names = link_names(links);
  return emit_all(std::move(links), [names](const Link& l, ks::JsonWriter& r) { write_link(l, names, r); });
}

Emitter addresses_table(Source& src) {
  std::vector<Link> links;
  std::vector<Address> addrs;
  {
    NetnsScope in(src.ns);
    links = read_links(false);
    addrs = read_addresses();
  }
  auto names = link_names(links);
  return emit_all(std::move(addrs), [names](const Address& a, ks::JsonWriter& r) {
    r.field("interface", name_of(names, a.index)).field("index", a.index).field("family", a.family);
    r.field("address", a.address).field("prefix_length", a.prefixlen);
    r.field("cidr", a.address + "/" + std::to_string(a.prefixlen)).field("scope", a.scope);
    text_or_null(r, "label", a.label);
    text_array(r, "flags", a.flags);
  });
}

Emitter routes_table(Source& src) {
  std::vector<Link> links;
  std::vector<Route> routes;
  {
    NetnsScope in(src.ns);
    links = read_links(false);
    routes = read_routes();
  }
  auto names = link_names(links);
  return emit_all(std::move(routes), [names](const Route& rt, ks::JsonWriter& r) {
    r.field("family", rt.family).field("table", table_name(rt.table)).field("table_id", rt.table);
    r.field("type", rt.type).field("protocol", rt.protocol).field("scope", rt.scope).field("destination", rt.dst);
    text_or_null(r, "gateway", rt.gateway);
    text_or_null(r, "device", rt.oif ? name_of(names, rt.oif) : "");
    text_or_null(r, "prefsrc", rt.prefsrc);
    int_or_null(r, "metric", rt.metric);
    int_or_null(r, "mtu", rt.mtu);
    auto hops = r.array("nexthops");
    for (const auto& [gw, dev] : rt.nexthops) {
      auto h = hops.object();
      text_or_null(h, "gateway", gw);
      text_or_null(h, "device", name_of(names, dev));
    }
  });
}

Emitter rules_table(Source& src) {
  std::vector<Rule> rules;
  {
    NetnsScope in(src.ns);
    rules = read_rules();
  }
  return emit_all(std::move(rules), [](const Rule& ru, ks::JsonWriter& r) {
    r.field("family", ru.family).field("priority", ru.priority).field("action", ru.action);
    r.field("table", table_name(ru.table));
    text_or_null(r, "source", ru.src);
    text_or_null(r, "destination", ru.dst);
    text_or_null(r, "iif", ru.iif);
    text_or_null(r, "oif", ru.oif);
    int_or_null(r, "fwmark", ru.fwmark);
    int_or_null(r, "fwmask", ru.fwmask);
    r.field("invert", ru.invert);
  });
}

Emitter neighbors_table(Source& src) {
  std::vector<Link> links;
  std::vector<Neighbor> neigh;
  {
    NetnsScope in(src.ns);
    links = read_links(false);
    neigh = read_neighbors();
  }
  auto names = link_names(links);
  return emit_all(std::move(neigh), [names](const Neighbor& n, ks::JsonWriter& r) {
    r.field("family", n.family).field("interface", name_of(names, n.index)).field("address", n.address);
    text_or_null(r, "mac", n.mac);
    r.field("state", n.state).field("router", n.router);
  });
}

}  // namespace

void text_or_null(ks::JsonWriter& r, std::string_view key, std::string_view v) {
  if (v.empty()) r.null(key);
  else r.field(key, v);
}

void text_array(ks::JsonWriter& r, std::string_view key, const std::vector<std::string>& v) {
  auto a = r.array(key);
  for (const auto& s : v) a.value(s);
}

Source::Source(const Settings& s, const ks::Host& h, DumpCache& c) : settings(s), fs(s.root), host(h), cache(c) {
  if (!s.netns.empty()) {
    std::string path;
    try {
      path = fs.at(fs.resolve("/var/run/netns/" + s.netns));
    } catch (const std::exception& e) {
      throw std::runtime_error("network namespace '" + s.netns + "': " + e.what());
    }
    ns = NetnsFd(s.netns, path);
  }
}

std::string Source::proc_net(const std::string& name) const {
  // The thread's own view once the namespace is entered; under another root,
  // the host's init process's view.
  if (!settings.netns.empty() || fs.is_real_root()) return "/proc/thread-self/net/" + name;
  return fs.at("/proc/1/net/" + name);
}

std::string Source::proc_sys(const std::string& path) const {
  return settings.netns.empty() ? fs.at(path) : path;
}

bool Source::wants(std::string_view column) const {
  if (paths.empty()) return true;
  for (const auto& p : paths)
    if (p.compare(0, column.size(), column) == 0 && (p.size() == column.size() || p[column.size()] == '.')) return true;
  return false;
}

std::unique_ptr<ks::Scan> make_scan(const ks::ScanContext& ctx, const Settings& settings, const ks::Host& host,
                                    DumpCache& cache) {
  if (ctx.table() == "net.link_counters") return link_counters_scan(ctx, settings, host, cache);
  // The request dies with scan(): keep what the rows need of it.
  std::vector<std::string> paths;
  for (auto p : ctx.paths()) paths.emplace_back(p);
  return std::make_unique<LazyScan>(std::string(ctx.table()), std::move(paths), settings, host, cache);
}

// Defined in kernel_files.cpp.
Emitter sysctl_table(Source& src);
Emitter sockets_table(Source& src);
Emitter conntrack_table(Source& src);
Emitter resolv_conf_table(Source& src);

Emitter kernel_table(const std::string& table, Source& src) {
  if (table == "net.links") return links_table(src);
  if (table == "net.addresses") return addresses_table(src);
  if (table == "net.routes") return routes_table(src);
  if (table == "net.rules") return rules_table(src);
  if (table == "net.neighbors") return neighbors_table(src);
  if (table == "net.sysctl") return sysctl_table(src);
  if (table == "net.sockets") return sockets_table(src);
  if (table == "net.conntrack") return conntrack_table(src);
  if (table == "net.resolv_conf") return resolv_conf_table(src);
  return nullptr;
}

}  // namespace network
