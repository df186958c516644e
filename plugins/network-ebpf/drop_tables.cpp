#include "drop_tables.h"
#include "probe_matrix.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "common/host_fs.h"
#include "common/time.h"
#include "probe_tables.h"

namespace network_ebpf {

namespace {

using T = ks::Type;

std::vector<ks::ArgumentSpec> window_arguments() {
  return {{"duration", T::Text, "How long to trace: '5s', '500ms', '1m' or a number of seconds (default '5s')", false},
          {"netns", T::Text, "Only drops in this network namespace: a name as `ip netns` lists it, or a path such as /proc/PID/ns/net (default: every namespace)", false}};
}

ks::TableSpec drops_spec() {
  return {"net.drops",
          "Packets the kernel dropped during a window, traced on skb:kfree_skb with eBPF and counted per drop reason, kernel location, stack, network namespace, interface and flow.",
          {{"reason", T::Text, "Drop reason as this kernel names it (enum skb_drop_reason without SKB_DROP_REASON_): NETFILTER_DROP, NO_SOCKET, IP_RPFILTER, NEIGH_FAILED, TCP_CSUM, PKT_TOO_BIG..."},
           {"reason_code", T::Integer, "The reason's value in this kernel"},
           {"location", T::Text, "Where the packet was freed: function+0xoffset through /proc/kallsyms (e.g. nf_hook_slow+0x8f); NULL when kallsyms hides addresses"},
           {"function", T::Text, "The function part of location (nf_hook_slow)"},
           {"location_address", T::Text, "The location as a hex kernel address"},
           {"netns", T::Integer, "Inode of the packet's network namespace (as `ls -L -i /var/run/netns/NAME` or `readlink /proc/PID/ns/net` shows); NULL if unknown"},
           {"ifindex", T::Integer, "Index of the interface the packet was on (or came in on); NULL if none. Join net.links.index with the network plugin's netns set to the same namespace"},
           {"l3_protocol", T::Text, "Link-layer protocol: ipv4, ipv6, arp, or the EtherType in hex"},
           {"family", T::Text, "inet or inet6; NULL for a packet that is not IP or whose header was not set yet"},
           {"protocol", T::Text, "tcp, udp, icmp, icmpv6, or the IP protocol number"},
           {"src", T::Text, "Source address"},
           {"dst", T::Text, "Destination address"},
           {"sport", T::Integer, "Source port (TCP, UDP), else NULL"},
           {"dport", T::Integer, "Destination port (TCP, UDP), else NULL"},
           {"icmp_type", T::Integer, "ICMP type, else NULL"},
           {"icmp_code", T::Integer, "ICMP code, else NULL"},
           {"tcp_flags", T::Text, "TCP flags of the dropped segments, e.g. \"SYN\", \"ACK|PSH\"; NULL if not TCP"},
           {"packets", T::Integer, "Packets dropped with these keys in the window"},
           {"bytes", T::Integer, "Their bytes (skb->len)"},
           {"rate", T::Real, "Packets per second over the window"},
           {"first_seen", T::Timestamp, "Time of the first of them"},
           {"last_seen", T::Timestamp, "Time of the last of them"},
           {"stack_id", T::Integer, "The kernel stack of the first of these drops (taken once per row, as walking the stack costs more than counting) in net.drop_stacks of the same window; NULL if it could not be recorded"},
           {"window_seconds", T::Real, "The length of the window"},
           {"netns_filter", T::Text, "The netns argument, NULL for every namespace"}},
          window_arguments(),
          {"SELECT reason, function, protocol, src, dst, dport, packets FROM net.drops('5s') ORDER BY packets DESC",
           "SELECT d.reason, d.dport, d.packets, r.chain, r.position, r.rule FROM net.drops('5s', 'blue') d JOIN net.iptables_rules r ON r.target = 'DROP' AND r.dport = d.dport"}};
}

ks::TableSpec stacks_spec() {
  return {"net.drop_stacks",
          "Kernel call stacks of the packet drops of a window (the same window as net.drops with the same arguments), symbolized through /proc/kallsyms.",
          {{"stack_id", T::Integer, "The stack's id, as net.drops.stack_id"},
           {"packets", T::Integer, "Packets of the net.drops rows whose first drop had this stack"},
           {"reasons", T::Json, "The drop reasons seen with this stack, an array"},
           {"depth", T::Integer, "Number of frames"},
           {"frames", T::Json, "Frames, innermost first, an array of function+0xoffset"},
           {"stack", T::Text, "The frames in one line, innermost first, joined by \" <- \""}},
          window_arguments(),
          {"SELECT d.reason, d.packets, s.stack FROM net.drops('5s') d JOIN net.drop_stacks('5s') s ON s.stack_id = d.stack_id"}};
}

std::string address(const kebpf_drop_key& k, const uint8_t* a) {
  char buf[INET6_ADDRSTRLEN] = "";
  ::inet_ntop(k.family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof buf);
  return buf;
}

std::string l3_name(uint16_t p) {
  switch (p) {
    case 0x0800: return "ipv4";
    case 0x86DD: return "ipv6";
    case 0x0806: return "arp";
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", p);
  return buf;
}

std::string l4_name(uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
  }
  return std::to_string(p);
}

std::string tcp_flag_names(uint8_t f) {
  static const char* names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::string out;
  for (int i = 0; i < 8; ++i)
    if (f & (1u << i)) out += (out.empty() ? "" : "|") + std::string(names[i]);
  return out;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// A kernel CLOCK_MONOTONIC time of the window as wall-clock RFC 3339.
std::string wall_time(const Capture& c, uint64_t ktime_ns) {
  const int64_t since_start_ns = static_cast<int64_t>(ktime_ns) - static_cast<int64_t>(c.started_ktime_ns);
  const auto t = c.started + std::chrono::nanoseconds(since_start_ns);
  return plugin_common::rfc3339(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

void write_flow(const kebpf_drop_key& k, ks::JsonWriter& r) {
  const bool ip = k.family == 4 || k.family == 6;
  const bool ports = ip && (k.l4proto == 6 || k.l4proto == 17);
  const bool icmp = ip && (k.l4proto == 1 || k.l4proto == 58);
  r.field("l3_protocol", l3_name(k.l3proto));
  if (ip) r.field("family", k.family == 4 ? "inet" : "inet6").field("protocol", l4_name(k.l4proto));
  else r.null("family").null("protocol");
  if (ip) r.field("src", address(k, k.saddr)).field("dst", address(k, k.daddr));
  else r.null("src").null("dst");
  if (ports) r.field("sport", k.sport).field("dport", k.dport);
  else r.null("sport").null("dport");
  if (icmp) r.field("icmp_type", k.sport).field("icmp_code", k.dport);
  else r.null("icmp_type").null("icmp_code");
  if (ip && k.l4proto == 6) r.field("tcp_flags", tcp_flag_names(k.tcp_flags));
  else r.null("tcp_flags");
}

double window_seconds(const Capture& c) {
  return std::chrono::duration<double>(c.ended - c.started).count();
}

void write_drop(const Window& w, const Kallsyms& syms, const DropCount& d, ks::JsonWriter& r) {
  const auto& k = d.key;
  const Capture& c = w.capture;
  const std::string loc = syms.symbolize(k.location);
  r.field("reason", w.reasons.name(k.reason)).field("reason_code", k.reason);
  if (loc.empty()) r.null("location").null("function");
  else r.field("location", loc).field("function", syms.function(k.location));
  r.field("location_address", hex(k.location));
  if (k.netns) r.field("netns", k.netns); else r.null("netns");
  if (k.ifindex) r.field("ifindex", k.ifindex); else r.null("ifindex");
  write_flow(k, r);
  const double secs = window_seconds(c);
  r.field("packets", d.value.packets).field("bytes", d.value.bytes);
  r.field("rate", secs > 0 ? static_cast<double>(d.value.packets) / secs : 0.0);
  r.field("first_seen", wall_time(c, d.value.first_ns)).field("last_seen", wall_time(c, d.value.last_ns));
  if (d.value.stack_id >= 0) r.field("stack_id", d.value.stack_id); else r.null("stack_id");
  r.field("window_seconds", secs);
  if (w.netns_name.empty()) r.null("netns_filter"); else r.field("netns_filter", w.netns_name);
}

}  // namespace

ks::TableSpec tcp_probe_spec() {
  return {"net.tcp_probe",
          "One TCP connect from this node to host:port, bounded by its timeout: open, refused, timeout, unreachable or unresolved, with the latency.",
          {{"host", T::Text, "The host asked for"},
           {"port", T::Integer, "The port"},
           {"address", T::Text, "The address connected to (the first the name resolves to); NULL if it did not resolve"},
           {"result", T::Text, "open (connected), refused (RST), timeout (no answer within the timeout), unreachable, unresolved, error"},
           {"error", T::Text, "The system's message for anything but open, else NULL"},
           {"latency_ms", T::Real, "Milliseconds until the outcome (for open, the handshake)"},
           {"timeout_ms", T::Integer, "The bound"}},
          {{"host", T::Text, "A name or an IPv4/IPv6 address"},
           {"port", T::Integer, "TCP port, 1 to 65535"},
           {"timeout", T::Text, "How long to wait for the handshake: '2s', '500ms' or seconds (default '3s', at most 60s)", false}},
          {"SELECT result, latency_ms FROM net.tcp_probe('10.96.0.1', 443)",
           "SELECT result, error FROM net.tcp_probe('127.0.0.1', 10250, '1s')"}};
}

std::vector<ks::TableSpec> table_specs() {
  return {drops_spec(), stacks_spec(), tcp_probe_spec(), dns_probe_spec(), http_probe_spec(), probe_matrix_spec()};
}

void write_tcp_probe(const TcpProbe& p, std::chrono::milliseconds timeout, ks::BatchWriter& out) {
  auto r = out.row();
  r.field("host", p.host).field("port", p.port);
  if (p.address.empty()) r.null("address"); else r.field("address", p.address);
  r.field("result", p.result);
  if (p.error.empty()) r.null("error"); else r.field("error", p.error);
  r.field("latency_ms", p.latency_ms).field("timeout_ms", static_cast<int64_t>(timeout.count()));
}

bool write_drops(const Window& w, const Kallsyms& syms, size_t& next, ks::BatchWriter& out) {
  const auto& order = w.by_packets;
  for (; next < order.size() && !out.full(); ++next) {
    auto r = out.row();
    write_drop(w, syms, w.capture.drops[order[next]], r);
  }
  return next < order.size();
}

void write_drop_stacks(const Window& w, const Kallsyms& syms, ks::BatchWriter& out) {
  std::map<int32_t, std::pair<uint64_t, std::set<std::string>>> per_stack;
  for (const auto& d : w.capture.drops) {
    if (d.value.stack_id < 0) continue;
    auto& [packets, reasons] = per_stack[d.value.stack_id];
    packets += d.value.packets;
    reasons.insert(w.reasons.name(d.key.reason));
  }
  for (const auto& [id, pr] : per_stack) {
    auto it = w.capture.stacks.find(id);
    if (it == w.capture.stacks.end()) continue;
    std::vector<std::string> frames;
    for (uint64_t a : it->second) {
      std::string s = syms.symbolize(a);
      frames.push_back(s.empty() ? hex(a) : s);
    }
    std::string line;
    for (const auto& f : frames) line += (line.empty() ? "" : " <- ") + f;
    auto r = out.row();
    r.field("stack_id", id).field("packets", pr.first);
    {
      auto a = r.array("reasons");
      for (const auto& n : pr.second) a.value(n);
    }
    r.field("depth", frames.size());
    {
      auto a = r.array("frames");
      for (const auto& f : frames) a.value(f);
    }
    r.field("stack", line);
  }
}

}  // namespace network_ebpf
