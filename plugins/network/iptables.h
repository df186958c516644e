// iptables-save / ip6tables-save output (with -c counters) parsed into chains
// and rules: each rule's matches (protocol, addresses, interfaces, ports
// including multiport ranges, every match module with its options, the
// comment), target with its options, and counters. A line that cannot be
// parsed is reported in `errors` with its file and line and skipped; the rest
// of the dump is still read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace network {

struct LineError {
  std::string file;
  size_t line = 0;
  std::string message;
};

using Options = std::vector<std::pair<std::string, std::string>>;  // "--dport" -> "10250"; "!" prefix when negated

struct IptMatch {
  std::string module;  // tcp, udp, multiport, conntrack, comment, mark...
  Options options;
};

struct PortRange {
  int64_t from = 0, to = 0;
};

struct IptRule {
  std::string table, chain;
  int64_t position = 0;  // 1-based within table and chain
  size_t line = 0;
  std::optional<int64_t> packets, bytes;
  std::string protocol;  // "tcp", "!udp", "" for all
  std::string source, destination, in_interface, out_interface;  // "!" prefix when negated
  std::vector<PortRange> dports, sports;                          // empty: any port
  bool dports_negated = false, sports_negated = false;
  std::string comment;
  std::vector<IptMatch> matches;
  std::string target;  // ACCEPT, DROP, REJECT, a chain, or "" (no target: counts only)
  bool goto_target = false;
  Options target_options;
  std::string text;  // the rule as written after "-A CHAIN "
};

struct IptChain {
  std::string table, chain;
  std::string policy;  // ACCEPT/DROP for built-in chains, "" for user chains
  std::optional<int64_t> packets, bytes;
  int64_t rules = 0;
  size_t line = 0;
};

struct IptDump {
  std::string file;     // the command or file it came from
  std::string family;   // ipv4, ipv6
  std::string backend;  // nf_tables, legacy, unknown
  std::string version;  // "v1.8.9"
  bool legacy_tables_present = false;  // iptables-nft's warning that legacy tables also exist
  std::vector<IptChain> chains;
  std::vector<IptRule> rules;
  std::vector<LineError> errors;
};

IptDump parse_iptables_save(std::string_view text, std::string_view file, std::string_view family);

// "80,443,8000:8080" -> ranges; nullopt if any part is not a port or range.
std::optional<std::vector<PortRange>> parse_port_list(std::string_view s);

}  // namespace network
