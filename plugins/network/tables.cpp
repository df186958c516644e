// The network plugin's tables: names, columns and their meaning, in one place
// (docs/network.md describes the same and tests/network checks they agree).
#include "tables.h"

namespace network {

namespace {

using T = ks::Type;

ks::TableSpec links() {
  return {"net.links",
          "Network interfaces of the namespace (rtnetlink RTM_GETLINK), with their kind, state, MTU, relations and counters.",
          {{"index", T::Integer, "Interface index"},
           {"name", T::Text, "Interface name, e.g. \"eth0\", \"flannel.1\""},
           {"kind", T::Text, "Link kind (IFLA_INFO_KIND): veth, vxlan, geneve, bridge, bond, ipip, wireguard, dummy...; NULL for a physical device or loopback"},
           {"slave_kind", T::Text, "Kind of the master's port (bridge, bond) when enslaved, else NULL"},
           {"mtu", T::Integer, "MTU in bytes"},
           {"operstate", T::Text, "RFC 2863 state: up, down, lowerlayerdown, dormant, unknown (loopback and many virtual links say unknown)"},
           {"up", T::Boolean, "Whether the UP flag is set (administratively up)"},
           {"flags", T::Json, "Flags, an array: [\"UP\",\"BROADCAST\",\"RUNNING\",\"MULTICAST\",\"LOWER_UP\"]"},
           {"mac", T::Text, "Link-layer address"},
           {"master", T::Text, "Name of the bridge or bond it belongs to, else NULL"},
           {"parent", T::Text, "Name of the link it sits on (IFLA_LINK, or a VXLAN's underlay device), NULL if none or in another namespace (a veth peer)"},
           {"parent_in_other_netns", T::Boolean, "Whether the parent (e.g. the veth peer) is in another namespace"},
           {"vni", T::Integer, "VXLAN or Geneve network identifier, else NULL"},
           {"udp_port", T::Integer, "VXLAN or Geneve UDP destination port, else NULL"},
           {"driver", T::Text, "Driver name from ethtool (veth, virtio_net, bridge...), NULL when the device reports none"},
           {"rx_packets", T::Integer, "Packets received"},
           {"tx_packets", T::Integer, "Packets sent"},
           {"rx_bytes", T::Integer, "Bytes received"},
           {"tx_bytes", T::Integer, "Bytes sent"},
           {"rx_errors", T::Integer, "Receive errors"},
           {"tx_errors", T::Integer, "Transmit errors"},
           {"rx_dropped", T::Integer, "Received packets dropped (no buffer, unknown protocol, filtered)"},
           {"tx_dropped", T::Integer, "Packets dropped on transmit"}},
          {},
          {"SELECT name, kind, mtu, operstate FROM net.links WHERE kind IN ('vxlan', 'geneve', 'wireguard')"}};
}

ks::TableSpec link_counters() {
  return {"net.link_counters",
          "How much each link's packet, drop and error counters rose during a window: the links read twice (rtnetlink), "
          "`window` apart. net.links gives totals since the link was created; this gives what happens now.",
          {{"index", T::Integer, "Interface index"},
           {"name", T::Text, "Interface name"},
           {"kind", T::Text, "Link kind, as net.links.kind"},
           {"window_seconds", T::Real, "The time between the two readings"},
           {"rx_packets", T::Integer, "Packets received during the window"},
           {"tx_packets", T::Integer, "Packets sent during the window"},
           {"rx_dropped", T::Integer, "Received packets dropped during the window"},
           {"tx_dropped", T::Integer, "Packets dropped on transmit during the window"},
           {"rx_errors", T::Integer, "Receive errors during the window"},
           {"tx_errors", T::Integer, "Transmit errors during the window"}},
          {{"window", T::Text, "How long to watch: '5s', '500ms', '1m' or a number of seconds (default '5s', at most 5 minutes)",
            false}},
          {"SELECT name, rx_dropped, tx_dropped, rx_errors FROM net.link_counters('1s') WHERE rx_dropped + tx_dropped > 0"}};
}

ks::TableSpec addresses() {
  return {"net.addresses",
          "IP addresses on the namespace's interfaces (rtnetlink RTM_GETADDR).",
          {{"interface", T::Text, "Interface name"},
           {"index", T::Integer, "Interface index"},
           {"family", T::Text, "inet or inet6"},
           {"address", T::Text, "The address, e.g. \"10.0.0.5\""},
           {"prefix_length", T::Integer, "Prefix length"},
           {"cidr", T::Text, "address/prefix_length"},
           {"scope", T::Text, "global, link, host or site"},
           {"label", T::Text, "IPv4 label (\"eth0:1\"), else NULL"},
           {"flags", T::Json, "Flags, an array: permanent, secondary, tentative, dadfailed, deprecated, noprefixroute"}},
          {},
          {"SELECT interface, cidr FROM net.addresses WHERE family = 'inet' AND scope = 'global'"}};
}

ks::TableSpec routes() {
  return {"net.routes",
          "Routes of every routing table, IPv4 and IPv6 (rtnetlink RTM_GETROUTE), including local and broadcast routes of table local.",
          {{"family", T::Text, "inet or inet6"},
           {"table", T::Text, "Table name: main, local, default, or the number"},
           {"table_id", T::Integer, "Table number (main is 254, local 255)"},
           {"type", T::Text, "unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit, throw, nat"},
           {"protocol", T::Text, "Who installed it: kernel, boot, static, dhcp, bird, zebra, bgp, ra, or the number"},
           {"scope", T::Text, "global, link, host, site, nowhere"},
           {"destination", T::Text, "Destination prefix \"10.244.1.0/24\", or \"default\""},
           {"gateway", T::Text, "Next-hop address, NULL for a directly connected route"},
           {"device", T::Text, "Outgoing interface name, NULL if none (blackhole, multipath)"},
           {"prefsrc", T::Text, "Preferred source address, else NULL"},
           {"metric", T::Integer, "Route metric (priority), NULL if unset"},
           {"mtu", T::Integer, "MTU set on the route, NULL if unset"},
           {"nexthops", T::Json, "Multipath next hops, an array of {gateway, device}; [] for a single path"}},
          {},
          {"SELECT destination, gateway, device FROM net.routes WHERE table = 'main' AND family = 'inet'",
           "SELECT destination, type FROM net.routes WHERE type IN ('blackhole', 'unreachable', 'prohibit')"}};
}

ks::TableSpec rules() {
  return {"net.rules",
          "Policy-routing rules (rtnetlink RTM_GETRULE, `ip rule`), IPv4 and IPv6.",
          {{"family", T::Text, "inet or inet6"},
           {"priority", T::Integer, "Rule priority (lower first)"},
           {"action", T::Text, "lookup, goto, nop, blackhole, unreachable, prohibit"},
           {"table", T::Text, "Table looked up (main, local, default, or the number)"},
           {"source", T::Text, "Source prefix selector, NULL for all"},
           {"destination", T::Text, "Destination prefix selector, NULL for all"},
           {"iif", T::Text, "Incoming interface selector, NULL for any"},
           {"oif", T::Text, "Outgoing interface selector, NULL for any"},
           {"fwmark", T::Integer, "Firewall mark selector, NULL for any"},
           {"fwmask", T::Integer, "Mask of the mark, NULL if none"},
           {"invert", T::Boolean, "Whether the selector is negated (\"not\")"}},
          {},
          {"SELECT priority, action, table FROM net.rules WHERE family = 'inet' ORDER BY priority"}};
}

ks::TableSpec neighbors() {
  return {"net.neighbors",
          "The ARP and NDP neighbour tables (rtnetlink RTM_GETNEIGH), every state including FAILED and INCOMPLETE.",
          {{"family", T::Text, "inet (ARP) or inet6 (NDP)"},
           {"interface", T::Text, "Interface name"},
           {"address", T::Text, "The neighbour's IP address"},
           {"mac", T::Text, "Its link-layer address, NULL when unresolved"},
           {"state", T::Text, "REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, PERMANENT, NOARP, NONE"},
           {"router", T::Boolean, "Whether the neighbour is an IPv6 router"}},
          {},
          {"SELECT address, interface FROM net.neighbors WHERE state IN ('FAILED', 'INCOMPLETE')"}};
}

ks::TableSpec sysctl() {
  return {"net.sysctl",
          "net.* kernel parameters Kubernetes cares about, as the namespace sees them (most are per network namespace): a "
          "fixed list of global keys plus rp_filter and forwarding of every IPv4 interface. A key the kernel does not have "
          "(net.bridge.* before br_netfilter is loaded) has no row.",
          {{"name", T::Text, "Dotted name, e.g. \"net.ipv4.conf.eth0.rp_filter\""},
           {"value", T::Text, "The value, whitespace runs collapsed to one space"},
           {"value_int", T::Integer, "The value as an integer when it is one, else NULL"},
           {"interface", T::Text, "The interface of a net.ipv4.conf.<interface>.* key (also all and default), else NULL"}},
          {},
          {"SELECT name, value FROM net.sysctl WHERE name LIKE 'net.ipv4.conf.%.rp_filter'"}};
}

ks::TableSpec sockets() {
  return {"net.sockets",
          "Listening TCP sockets and unconnected UDP sockets of the namespace (/proc/net/tcp, tcp6, udp, udp6) with the "
          "process that owns each (found through /proc/<pid>/fd).",
          {{"protocol", T::Text, "tcp or udp"},
           {"family", T::Text, "inet or inet6"},
           {"address", T::Text, "Local address (\"0.0.0.0\" and \"::\" listen on every address)"},
           {"port", T::Integer, "Local port"},
           {"uid", T::Integer, "Owner uid"},
           {"inode", T::Integer, "Socket inode"},
           {"pid", T::Integer, "A process that holds the socket, NULL if none is visible"},
           {"process", T::Text, "That process's command name (comm), else NULL"}},
          {},
          {"SELECT protocol, address, port, process FROM net.sockets WHERE port IN (6443, 10250, 2379)"}};
}

ks::TableSpec conntrack() {
  return {"net.conntrack",
          "The connection-tracking table's fill as the namespace sees it (/proc/sys/net/netfilter); no row when nf_conntrack is not loaded.",
          {{"count", T::Integer, "Tracked connections (nf_conntrack_count)"},
           {"max", T::Integer, "Table limit (nf_conntrack_max); new connections are dropped beyond it"},
           {"buckets", T::Integer, "Hash buckets (nf_conntrack_buckets), NULL if not readable"},
           {"used_percent", T::Real, "count / max * 100"}},
          {},
          {"SELECT count, max, used_percent FROM net.conntrack"}};
}

ks::TableSpec resolv_conf() {
  return {"net.resolv_conf",
          "The resolver configuration, one row: <root>/etc/resolv.conf, or /etc/netns/<netns>/resolv.conf when that exists "
          "(what `ip netns exec` would show the namespace's processes). No row when there is no resolv.conf.",
          {{"file", T::Text, "The file read"},
           {"nameservers", T::Json, "Nameserver addresses in order, an array"},
           {"nameserver_count", T::Integer, "How many (glibc uses the first 3)"},
           {"search", T::Json, "The search list, an array (the last search or domain line)"},
           {"search_count", T::Integer, "Domains in the search list"},
           {"search_length", T::Integer, "Characters of the search list as written (glibc before 2.26 allowed 6 domains and 256 characters)"},
           {"options", T::Json, "Options, an array: [\"ndots:5\", \"timeout:1\"]"},
           {"ndots", T::Integer, "The ndots option, NULL when not set (the resolver's default is 1)"}},
          {},
          {"SELECT nameserver_count, search_count, ndots FROM net.resolv_conf"}};
}

ks::TableSpec iptables_rules() {
  return {"net.iptables_rules",
          "iptables and ip6tables rules from `iptables-save -c` and `ip6tables-save -c` run in the namespace (or the files "
          "of the iptables_save and ip6tables_save settings), parsed: matches, target, counters. Lines that cannot be "
          "parsed are in net.dump_errors; the rest is still read.",
          {{"family", T::Text, "ipv4 (iptables) or ipv6 (ip6tables)"},
           {"backend", T::Text, "nf_tables or legacy, from the dump's header (unknown when it has none)"},
           {"table", T::Text, "filter, nat, mangle, raw, security"},
           {"chain", T::Text, "Chain, e.g. \"INPUT\", \"KUBE-SERVICES\""},
           {"position", T::Integer, "1-based position in the chain (what `iptables -L --line-numbers` prints)"},
           {"protocol", T::Text, "-p value (\"tcp\", \"!udp\"), NULL for all protocols"},
           {"source", T::Text, "-s value, \"!\" prefix when negated, NULL for any"},
           {"destination", T::Text, "-d value, NULL for any"},
           {"in_interface", T::Text, "-i value, NULL for any"},
           {"out_interface", T::Text, "-o value, NULL for any"},
           {"dports", T::Json, "Destination ports from --dport/--dports/--ports, an array of {from, to}; [] for any port"},
           {"dports_negated", T::Boolean, "Whether the destination ports are negated (! --dport)"},
           {"sports", T::Json, "Source ports, the same shape"},
           {"comment", T::Text, "The -m comment --comment text, else NULL"},
           {"matches", T::Json, "Match modules in order, an array of {module, options: {\"--ctstate\": \"NEW\"}}"},
           {"target", T::Text, "Target: ACCEPT, DROP, REJECT, RETURN, MASQUERADE, a chain... NULL when the rule has none"},
           {"goto", T::Boolean, "Whether the target is reached with -g (goto) rather than -j"},
           {"target_options", T::Json, "Options of the target, an object: {\"--reject-with\": \"icmp-port-unreachable\"}"},
           {"packets", T::Integer, "Packet counter, NULL without -c"},
           {"bytes", T::Integer, "Byte counter, NULL without -c"},
           {"rule", T::Text, "The rule as iptables-save wrote it, after -A CHAIN"},
           {"source_file", T::Text, "Where the dump came from: the command or the file"},
           {"line", T::Integer, "Line in that dump"}},
          {},
          {"SELECT chain, position, rule FROM net.iptables_rules WHERE table = 'filter' AND target IN ('DROP', 'REJECT')"}};
}

ks::TableSpec iptables_chains() {
  return {"net.iptables_chains",
          "iptables and ip6tables chains from the same dumps as net.iptables_rules: policy, counters and rule count.",
          {{"family", T::Text, "ipv4 or ipv6"},
           {"backend", T::Text, "nf_tables or legacy"},
           {"table", T::Text, "filter, nat, mangle, raw, security"},
           {"chain", T::Text, "Chain name"},
           {"builtin", T::Boolean, "Whether it is a built-in chain (has a policy)"},
           {"policy", T::Text, "ACCEPT or DROP for built-in chains, NULL for user chains"},
           {"rules", T::Integer, "Rules in the chain"},
           {"packets", T::Integer, "Policy packet counter, NULL without -c"},
           {"bytes", T::Integer, "Policy byte counter"},
           {"legacy_tables_present", T::Boolean, "Whether iptables-nft warned that legacy tables exist too (two backends in use)"},
           {"source_file", T::Text, "Where the dump came from"}},
          {},
          {"SELECT table, chain, policy, rules FROM net.iptables_chains WHERE builtin"}};
}

ks::TableSpec nft_rules() {
  return {"net.nft_rules",
          "nftables rules from `nft -j list ruleset` run in the namespace (or the nft_json setting's file), with the facts "
          "lifted from common expressions.",
          {{"family", T::Text, "ip, ip6, inet, arp, bridge, netdev"},
           {"table", T::Text, "Table name"},
           {"chain", T::Text, "Chain name"},
           {"handle", T::Integer, "Rule handle"},
           {"position", T::Integer, "1-based position in the chain"},
           {"comment", T::Text, "Rule comment, else NULL"},
           {"protocols", T::Json, "Layer-4 protocols the rule matches (tcp, udp...), an array; [] for any"},
           {"dports", T::Json, "Destination ports, an array of {from, to}; [] for any"},
           {"dports_negated", T::Boolean, "Whether the port match is != "},
           {"sports", T::Json, "Source ports, the same shape"},
           {"saddr", T::Json, "Source addresses or prefixes matched, an array"},
           {"daddr", T::Json, "Destination addresses or prefixes matched, an array"},
           {"iifname", T::Json, "Input interface names matched, an array"},
           {"oifname", T::Json, "Output interface names matched, an array"},
           {"verdict", T::Text, "accept, drop, reject, jump, goto, return, queue, NULL when none"},
           {"verdict_target", T::Text, "Chain of a jump or goto"},
           {"packets", T::Integer, "Counter packets, NULL without a counter"},
           {"bytes", T::Integer, "Counter bytes"},
           {"expr", T::Json, "The rule's expressions as nft prints them"}},
          {},
          {"SELECT table, chain, position, dports FROM net.nft_rules WHERE verdict = 'drop'"}};
}

ks::TableSpec nft_chains() {
  return {"net.nft_chains",
          "nftables chains from the same listing: base chains with their hook, priority and policy.",
          {{"family", T::Text, "ip, ip6, inet..."},
           {"table", T::Text, "Table name"},
           {"chain", T::Text, "Chain name"},
           {"type", T::Text, "filter, nat, route for base chains, else NULL"},
           {"hook", T::Text, "prerouting, input, forward, output, postrouting, ingress for base chains, else NULL"},
           {"priority", T::Integer, "Base chain priority"},
           {"policy", T::Text, "accept or drop for base chains, else NULL"},
           {"rules", T::Integer, "Rules in the chain"}},
          {},
          {"SELECT table, chain, hook, policy FROM net.nft_chains WHERE hook IS NOT NULL"}};
}

ks::TableSpec ipvs() {
  return {"net.ipvs",
          "IPVS virtual servers and their real servers (/proc/net/ip_vs of the namespace, or the ip_vs setting's file), "
          "one row per real server; a virtual server without real servers has one row with NULL real_*. No rows when "
          "IPVS is not loaded.",
          {{"protocol", T::Text, "TCP, UDP, SCTP, or FWM (firewall-mark service)"},
           {"address", T::Text, "Virtual address (NULL for FWM)"},
           {"port", T::Integer, "Virtual port"},
           {"fwmark", T::Integer, "Firewall mark of an FWM service"},
           {"scheduler", T::Text, "rr, wlc, lc, sh..."},
           {"real_address", T::Text, "Real server address"},
           {"real_port", T::Integer, "Real server port"},
           {"forward", T::Text, "Masq, Local, Tunnel, Route"},
           {"weight", T::Integer, "Weight (0 takes no new connections)"},
           {"active_connections", T::Integer, "Active connections"},
           {"inactive_connections", T::Integer, "Inactive connections"}},
          {},
          {"SELECT address, port, real_address, weight FROM net.ipvs"}};
}

ks::TableSpec dump_errors() {
  return {"net.dump_errors",
          "Lines of the iptables, ip6tables and nftables dumps that could not be parsed (the rest of each dump is still in its tables).",
          {{"source", T::Text, "iptables, ip6tables or nft"},
           {"file", T::Text, "The command or file the dump came from"},
           {"line", T::Integer, "Line number (0 for JSON, whose message names the element)"},
           {"message", T::Text, "What is wrong"}},
          {},
          {"SELECT file, line, message FROM net.dump_errors"}};
}

}  // namespace

std::vector<ks::TableSpec> table_specs() {
  return {links(),  link_counters(), addresses(),      routes(),          rules(),     neighbors(), sysctl(),      sockets(),    conntrack(),
          resolv_conf(), iptables_rules(), iptables_chains(), nft_rules(), nft_chains(), ipvs(), dump_errors()};
}

}  // namespace network
