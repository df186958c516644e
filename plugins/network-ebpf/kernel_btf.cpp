#include "kernel_btf.h"

#include <kinspect/sdk.hpp>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace ks = kinspect::sdk;

namespace network_ebpf {

namespace {

constexpr std::string_view kPrefix = "SKB_DROP_REASON_";

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool has_member(const btf* b, const btf_type* t, const char* member) {
  const btf_member* m = btf_members(t);
  for (uint16_t i = 0; i < btf_vlen(t); ++i, ++m)
    if (std::strcmp(btf__name_by_offset(b, m->name_off), member) == 0) return true;
  return false;
}

}  // namespace

std::string DropReasons::name(uint32_t value) const {
  auto it = names.find(value);
  return it != names.end() ? it->second : "REASON_" + std::to_string(value);
}

bool DropReasons::find(const std::string& wanted, uint32_t& value) const {
  std::string w = upper(wanted);
  if (w.rfind(kPrefix, 0) == 0) w.erase(0, kPrefix.size());
  for (const auto& [v, n] : names)
    if (n == w) {
      value = v;
      return true;
    }
  return false;
}

DropReasons read_drop_reasons(const std::string& btf_path) {
  std::unique_ptr<btf, void (*)(btf*)> b(btf__parse(btf_path.c_str(), nullptr), btf__free);
  if (!b) {
    int err = errno;
    throw ks::Unavailable("no BTF", "the kernel's type information cannot be read from " + btf_path + " (" +
                                        std::strerror(err) + "); the tracer needs a kernel built with CONFIG_DEBUG_INFO_BTF");
  }
  int id = btf__find_by_name_kind(b.get(), "skb_drop_reason", BTF_KIND_ENUM);
  if (id < 0)
    throw ks::Unavailable("no drop reasons", "the kernel (BTF " + btf_path + ") has no enum skb_drop_reason; drop reasons need Linux 5.17 or later");
  int tp = btf__find_by_name_kind(b.get(), "trace_event_raw_kfree_skb", BTF_KIND_STRUCT);
  if (tp < 0 || !has_member(b.get(), btf__type_by_id(b.get(), tp), "reason"))
    throw ks::Unavailable("no drop reasons", "the kernel's skb:kfree_skb tracepoint (BTF " + btf_path + ") has no reason field");
  DropReasons out;
  const btf_type* t = btf__type_by_id(b.get(), id);
  const struct btf_enum* e = btf_enum(t);
  for (uint16_t i = 0; i < btf_vlen(t); ++i, ++e) {
    std::string n = btf__name_by_offset(b.get(), e->name_off);
    const uint32_t v = static_cast<uint32_t>(e->val);
    if (n == "SKB_CONSUMED") out.consumed = v;
    if (n.rfind(kPrefix, 0) == 0) n.erase(0, kPrefix.size());
    else if (n.rfind("SKB_", 0) == 0) n.erase(0, 4);
    out.names.emplace(v, n);
  }
  return out;
}

}  // namespace network_ebpf
