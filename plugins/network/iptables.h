// iptables-save / ip6tables-save output (with -c counters) parsed into chains
// and rules: each rule's matches (protocol, addresses, interfaces, ports
// including multiport ranges, every match module with its options, the
// comment), target with its options, and counters. A line that cannot be
// parsed is reported in `errors` with its file and line and skipped; the rest
// of the dump is still read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace network {

struct LineError {
  std::string file;
  size_t line = 0;
  std::string message;
};

// Memory for the large arrays of a dump (100,000 rules are tens of MiB):
// mapped on its own and marked for transparent huge pages where the kernel
// offers them (madvise mode), so filling it takes a few page faults instead
// of one per 4 KiB. Small arrays come from the ordinary heap.
void* map_large(size_t bytes);
void unmap_large(void* p, size_t bytes);
inline constexpr size_t kLargeBytes = size_t(2) << 20;

template <class T>
struct LargeAllocator {
  using value_type = T;
  LargeAllocator() = default;
  template <class U>
  LargeAllocator(const LargeAllocator<U>&) {}
  T* allocate(size_t n) {
    if (n * sizeof(T) < kLargeBytes) return std::allocator<T>().allocate(n);
    return static_cast<T*>(map_large(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kLargeBytes) return std::allocator<T>().deallocate(p, n);
    unmap_large(p, n * sizeof(T));
  }
  bool operator==(const LargeAllocator&) const { return true; }
};

// Where a parsed dump keeps its text: the input itself (one block) and the few
// strings parsing makes (a negated "!10.0.0.0/8", an unescaped comment), and
// the arrays of each rule. Every view in the dump's rules and chains points
// here, so 100,000 rules cost a few large blocks instead of a million small
// allocations, and moving the dump keeps the views valid.
class TextArena {
 public:
  std::string_view keep(std::string_view s);
  // Keeps `s` itself (no copy): its text stays where it is.
  std::string_view adopt(std::string&& s);
  std::string_view concat(std::string_view a, std::string_view b);
  template <class T>
  std::span<const T> keep(const std::vector<T>& v) {
    static_assert(std::is_trivially_destructible_v<T>, "the arena never runs destructors");
    if (v.empty()) return {};
    T* out = static_cast<T*>(allocate(v.size() * sizeof(T), alignof(T)));
    std::uninitialized_copy(v.begin(), v.end(), out);
    return {out, v.size()};
  }

 private:
  void* allocate(size_t bytes, size_t align);
  struct Unmap {
    void operator()(char* p) const { unmap_large(p, kBlockBytes); }
  };
  static constexpr size_t kBlockBytes = kLargeBytes;
  std::vector<std::unique_ptr<char[], Unmap>> blocks_;
  std::vector<std::unique_ptr<char[]>> large_;  // requests of more than a quarter block
  std::vector<std::unique_ptr<std::string>> adopted_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

struct Option {
  std::string_view first;   // "--dport"
  std::string_view second;  // "10250"; "!" prefix when negated
};
using Options = std::span<const Option>;

struct IptMatch {
  std::string_view module;  // tcp, udp, multiport, conntrack, comment, mark...
  Options options;
};

struct PortRange {
  int64_t from = 0, to = 0;
};

// A rule; its text and arrays live in the arena of the dump it came from.
struct IptRule {
  std::string_view table, chain;
  int64_t position = 0;  // 1-based within table and chain
  size_t line = 0;
  std::optional<int64_t> packets, bytes;
  std::string_view protocol;  // "tcp", "!udp", "" for all
  std::string_view source, destination, in_interface, out_interface;  // "!" prefix when negated
  std::span<const PortRange> dports, sports;                          // empty: any port
  bool dports_negated = false, sports_negated = false;
  std::string_view comment;
  std::span<const IptMatch> matches;
  std::string_view target;  // ACCEPT, DROP, REJECT, a chain, or "" (no target: counts only)
  bool goto_target = false;
  Options target_options;
  std::string_view text;  // the rule as written after "-A CHAIN "
};

struct IptChain {
  std::string_view table, chain;
  std::string_view policy;  // ACCEPT/DROP for built-in chains, "" for user chains
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
  std::vector<IptRule, LargeAllocator<IptRule>> rules;
  std::vector<LineError> errors;
  TextArena text;  // what the views of chains and rules point to
};

// What a parse keeps: every rule, or (for the chains and the errors alone)
// the chains with their rule counts and the errors, the rules being read,
// checked and counted but not stored.
enum class Keep { Everything, ChainsAndErrors };

// The dump keeps `text` (moved in, not copied): its rules' views point into it.
IptDump parse_iptables_save(std::string text, std::string_view file, std::string_view family,
                            Keep keep = Keep::Everything);

// "80,443,8000:8080" -> ranges; nullopt if any part is not a port or range.
std::optional<std::vector<PortRange>> parse_port_list(std::string_view s);

}  // namespace network
