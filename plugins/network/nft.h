// `nft -j list ruleset` (libnftables JSON, Boost.JSON) read into chains and
// rules. Each rule keeps its expressions and also the facts checks need,
// lifted from the common expression shapes: layer-4 protocol, destination and
// source ports (numbers, ranges and anonymous sets), addresses, interface
// names, counters and the verdict. An element that does not have the
// documented shape is reported in `errors` and skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iptables.h"  // LineError, PortRange

namespace network {

struct NftChain {
  std::string family, table, chain;
  std::string type, hook;  // base chains only
  std::optional<int64_t> priority;
  std::string policy;  // accept/drop for base chains, "" otherwise
  int64_t handle = 0;
  int64_t rules = 0;
};

struct NftRule {
  std::string family, table, chain;
  int64_t handle = 0;
  int64_t position = 0;  // 1-based within the chain, in listing order
  std::string comment;
  std::vector<std::string> protocols;  // tcp, udp... from payload or meta l4proto matches
  std::vector<PortRange> dports, sports;
  bool dports_negated = false;
  std::vector<std::string> saddr, daddr, iifname, oifname;
  std::string verdict;  // accept, drop, reject, jump, goto, return, queue, "" (none)
  std::string verdict_target;
  std::optional<int64_t> packets, bytes;
  std::string expr;  // the rule's expressions, serialized JSON
};

struct NftRuleset {
  std::vector<NftChain> chains;
  std::vector<NftRule> rules;
  std::vector<LineError> errors;  // line 0: the JSON has no lines; message names the element
};

// Throws std::runtime_error (naming `file` and the byte offset) when the text
// is not JSON or not {"nftables": [...]}.
NftRuleset parse_nft_json(std::string_view text, std::string_view file);

}  // namespace network
