// What the running kernel's BTF says about packet drops: the names of
// `enum skb_drop_reason` (they change between kernels, so they are read, not
// compiled in), and whether the skb:kfree_skb tracepoint carries a reason.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace network_ebpf {

struct DropReasons {
  std::map<uint32_t, std::string> names;  // value -> "NETFILTER_DROP" (SKB_DROP_REASON_ stripped)
  uint32_t consumed = 1;                  // SKB_CONSUMED: a free that is not a drop

  // The name of `value`, or "REASON_<n>" for one this kernel's BTF lacks.
  std::string name(uint32_t value) const;
  // The value named `name` (with or without the SKB_DROP_REASON_ prefix, any case).
  bool find(const std::string& name, uint32_t& value) const;
};

// Reads the BTF at `btf_path` (normally /sys/kernel/btf/vmlinux). Throws
// kinspect::sdk::Unavailable when the file is missing or unreadable, when it
// has no `enum skb_drop_reason`, or when the kfree_skb tracepoint has no
// `reason` field: the tracer cannot tell why packets die on such a kernel.
DropReasons read_drop_reasons(const std::string& btf_path);

}  // namespace network_ebpf
