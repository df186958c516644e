// The tables read from files: net.sysctl and net.conntrack (/proc/sys/net),
// net.sockets (/proc/net and /proc/<pid>/fd), net.resolv_conf (/etc). Files
// of the namespace are opened inside a NetnsScope: /proc/sys/net shows the
// namespace of the thread that opens it.
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "common/text.h"
#include "procnet.h"
#include "reader.h"

namespace network {

namespace {

using plugin_common::fields;
using plugin_common::parse_int;
using plugin_common::trim;

const char* const kSysctlKeys[] = {
    "net.ipv4.ip_forward",
    "net.ipv6.conf.all.forwarding",
    "net.ipv6.conf.all.disable_ipv6",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-ip6tables",
    "net.core.somaxconn",
    "net.core.netdev_max_backlog",
    "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.neigh.default.gc_thresh1",
    "net.ipv4.neigh.default.gc_thresh2",
    "net.ipv4.neigh.default.gc_thresh3",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_count",
    "net.netfilter.nf_conntrack_buckets",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.ipv4.vs.conntrack",
    "net.ipv4.vs.expire_nodest_conn",
};
// Per-interface keys under net.ipv4.conf.<interface> (all, default and each link).
const char* const kInterfaceKeys[] = {"rp_filter", "forwarding"};

std::string sysctl_path(std::string_view name) {
  std::string p = "/proc/sys/";
  for (char c : name) p += c == '.' ? '/' : c;
  return p;
}

std::string collapse(std::string_view v) {
  std::string out;
  for (auto f : fields(trim(v))) out += (out.empty() ? "" : " ") + std::string(f);
  return out;
}

struct SysctlRow {
  std::string name, value, interface;
};

std::vector<std::string> directory(const std::string& path) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

std::vector<SysctlRow> read_sysctls(Source& src) {
  std::vector<SysctlRow> rows;
  NetnsScope in(src.ns);
  auto add = [&](const std::string& name, const std::string& interface) {
    if (auto v = plugin_common::HostFs("/").read(src.proc_sys(sysctl_path(name)))) rows.push_back({name, collapse(*v), interface});
  };
  for (const char* k : kSysctlKeys) add(k, "");
  auto ifaces = directory(src.proc_sys("/proc/sys/net/ipv4/conf"));
  if (ifaces.empty()) throw std::runtime_error("net.sysctl: cannot list " + src.proc_sys("/proc/sys/net/ipv4/conf"));
  for (const auto& i : ifaces)
    for (const char* k : kInterfaceKeys) add("net.ipv4.conf." + i + "." + k, i);
  return rows;
}

// Socket inode -> the first process (pid, comm) holding it, from /proc/<pid>/fd.
std::unordered_map<int64_t, std::pair<int64_t, std::string>> socket_owners(const Source& src) {
  std::unordered_map<int64_t, std::pair<int64_t, std::string>> owners;
  const std::string proc = src.settings.netns.empty() ? src.fs.at("/proc") : "/proc";
  for (const auto& pid_dir : directory(proc)) {
    auto pid = parse_int(pid_dir);
    if (!pid) continue;
    const std::string fd_dir = proc + "/" + pid_dir + "/fd";
    std::string comm;
    for (const auto& fd : directory(fd_dir)) {
      char target[64];
      ssize_t n = ::readlink((fd_dir + "/" + fd).c_str(), target, sizeof target - 1);
      if (n <= 9 || std::strncmp(target, "socket:[", 8) != 0) continue;
      auto inode = parse_int(std::string_view(target + 8, static_cast<size_t>(n) - 9));
      if (!inode || owners.count(*inode)) continue;
      if (comm.empty()) comm = plugin_common::HostFs("/").read_line(proc + "/" + pid_dir + "/comm").value_or("?");
      owners[*inode] = {*pid, comm};
    }
  }
  return owners;
}

}  // namespace

Emitter sysctl_table(Source& src) {
  return emit_all(read_sysctls(src), [](const SysctlRow& s, ks::JsonWriter& r) {
    r.field("name", s.name).field("value", s.value);
    int_or_null(r, "value_int", parse_int(s.value));
    text_or_null(r, "interface", s.interface);
  });
}

Emitter sockets_table(Source& src) {
  std::vector<ListeningSocket> socks;
  Warnings w;
  {
    NetnsScope in(src.ns);
    for (const char* f : {"tcp", "tcp6", "udp", "udp6"}) {
      const std::string path = src.proc_net(f);
      int err = 0;
      auto text = plugin_common::HostFs("/").read(path, &err);
      // tcp6/udp6 are absent when IPv6 is disabled; tcp and udp never are.
      if (!text && f[3] == '6' && err == ENOENT) continue;
      if (!text) throw std::runtime_error("net.sockets: cannot read " + path + ": " + std::strerror(err));
      auto got = parse_proc_net_sockets(*text, path, f, w);
      socks.insert(socks.end(), got.begin(), got.end());
    }
  }
  if (w.count) src.host.warn("net.sockets: " + w.summary());
  auto owners = socket_owners(src);
  return emit_all(std::move(socks), [owners](const ListeningSocket& s, ks::JsonWriter& r) {
    r.field("protocol", s.protocol).field("family", s.family).field("address", s.address).field("port", s.port);
    r.field("uid", s.uid).field("inode", s.inode);
    auto it = owners.find(s.inode);
    if (it == owners.end() || s.inode == 0) r.null("pid").null("process");
    else r.field("pid", it->second.first).field("process", it->second.second);
  });
}

Emitter conntrack_table(Source& src) {
  struct Fill {
    int64_t count, max;
    std::optional<int64_t> buckets;
  };
  std::vector<Fill> rows;
  {
    NetnsScope in(src.ns);
    plugin_common::HostFs any("/");
    auto count = any.read_line(src.proc_sys("/proc/sys/net/netfilter/nf_conntrack_count"));
    auto max = any.read_line(src.proc_sys("/proc/sys/net/netfilter/nf_conntrack_max"));
    auto buckets = any.read_line(src.proc_sys("/proc/sys/net/netfilter/nf_conntrack_buckets"));
    if (count && max) {
      auto c = parse_int(*count), m = parse_int(*max);
      if (!c || !m) throw std::runtime_error("net.conntrack: nf_conntrack_count or nf_conntrack_max is not a number");
      rows.push_back({*c, *m, buckets ? parse_int(*buckets) : std::nullopt});
    }
  }
  return emit_all(std::move(rows), [](const Fill& f, ks::JsonWriter& r) {
    r.field("count", f.count).field("max", f.max);
    int_or_null(r, "buckets", f.buckets);
    r.field("used_percent", f.max > 0 ? f.count * 100.0 / f.max : 0.0);
  });
}

Emitter resolv_conf_table(Source& src) {
  std::string file = "/etc/resolv.conf";
  if (!src.settings.netns.empty() && src.fs.exists("/etc/netns/" + src.settings.netns + "/resolv.conf"))
    file = "/etc/netns/" + src.settings.netns + "/resolv.conf";
  int err = 0;
  std::optional<std::string> text = src.fs.read(src.fs.resolve(file), &err);
  std::vector<std::pair<std::string, ResolvConf>> rows;
  if (!text && err != ENOENT) throw std::runtime_error("net.resolv_conf: cannot read " + src.fs.at(file) + ": " + std::strerror(err));
  if (text) {
    Warnings w;
    rows.emplace_back(src.fs.at(file), parse_resolv_conf(*text, src.fs.at(file), w));
    if (w.count) src.host.warn("net.resolv_conf: " + w.summary());
  }
  return emit_all(std::move(rows), [](const std::pair<std::string, ResolvConf>& f, ks::JsonWriter& r) {
    const ResolvConf& rc = f.second;
    r.field("file", f.first);
    text_array(r, "nameservers", rc.nameservers);
    r.field("nameserver_count", static_cast<int64_t>(rc.nameservers.size()));
    text_array(r, "search", rc.search);
    r.field("search_count", static_cast<int64_t>(rc.search.size()));
    size_t chars = 0;
    for (const auto& s : rc.search) chars += s.size() + (chars ? 1 : 0);
    r.field("search_length", static_cast<int64_t>(chars));
    text_array(r, "options", rc.options);
    int_or_null(r, "ndots", rc.ndots);
  });
}

}  // namespace network
