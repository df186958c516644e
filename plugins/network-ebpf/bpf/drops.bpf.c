/* The packet-drop tracer: runs on the skb:kfree_skb tracepoint, which the
 * kernel fires for every socket buffer it frees as dropped, with the reason
 * (enum skb_drop_reason) and the code location that dropped it. Each drop is
 * counted in a bounded hash map under its reason, location, namespace,
 * interface and flow, with the kernel stack of the key's first drop; user space reads the map once when the window
 * ends, so no drop ever wakes user space.
 *
 * CO-RE: the kernel structures below are minimal local declarations marked
 * preserve_access_index, so clang records each field access by name and libbpf
 * rewrites the offsets against the running kernel's BTF at load time. No
 * vmlinux.h of the build machine is baked in. */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "drop_key.h"

enum skb_drop_reason { KEBPF_REASON_PLACEHOLDER = 0 };

struct ns_common {
  unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
  struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
  struct net *net;
} possible_net_t;

struct net_device {
  int ifindex;
  possible_net_t nd_net;
} __attribute__((preserve_access_index));

struct sock_common {
  possible_net_t skc_net;
} __attribute__((preserve_access_index));

struct sock {
  struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct sk_buff {
  struct net_device *dev;
  struct sock *sk;
  unsigned int len;
  int skb_iif;
  __u16 protocol;
  __u16 transport_header;
  __u16 network_header;
  unsigned char *head;
} __attribute__((preserve_access_index));

/* Set by the loader before load: the namespace to watch (0: all), and the
 * value of SKB_CONSUMED in this kernel (a free that is not a drop). */
const volatile __u32 filter_netns = 0;
const volatile __u32 consumed_reason = 1;

/* Sizes are set by the loader (bpf_map__set_max_entries) before load. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, struct kebpf_drop_key);
  __type(value, struct kebpf_drop_value);
} drops SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, 4096);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, KEBPF_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

struct kebpf_ipv4 {
  __u8 ihl_version;
  __u8 tos;
  __u16 tot_len, id, frag_off;
  __u8 ttl, protocol;
  __u16 check;
  __u32 saddr, daddr;
};

struct kebpf_ipv6 {
  __u32 vtc_flow;
  __u16 payload_len;
  __u8 nexthdr, hop_limit;
  __u8 saddr[16], daddr[16];
};

#define KEBPF_ETH_P_IP 0x0800
#define KEBPF_ETH_P_IPV6 0x86DD
#define KEBPF_TCP 6
#define KEBPF_UDP 17
#define KEBPF_ICMP 1
#define KEBPF_ICMPV6 58

static __always_inline void bump(__u32 slot) {
  __u64 *v = bpf_map_lookup_elem(&counters, &slot);
  if (v) __sync_fetch_and_add(v, 1);
}

static __always_inline __u32 netns_of(struct sk_buff *skb, struct net_device *dev) {
  if (dev) return BPF_CORE_READ(dev, nd_net.net, ns.inum);
  struct sock *sk = BPF_CORE_READ(skb, sk);
  if (sk) return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
  return 0;
}

/* Ports (or ICMP type and code) and TCP flags at `l4`. */
static __always_inline void read_l4(struct kebpf_drop_key *k, const unsigned char *l4) {
  __u8 h[14] = {};
  if (k->l4proto == KEBPF_TCP || k->l4proto == KEBPF_UDP) {
    if (bpf_probe_read_kernel(h, k->l4proto == KEBPF_TCP ? 14 : 4, l4)) return;
    k->sport = (__u16)(h[0] << 8 | h[1]);
    k->dport = (__u16)(h[2] << 8 | h[3]);
    if (k->l4proto == KEBPF_TCP) k->tcp_flags = h[13];
  } else if (k->l4proto == KEBPF_ICMP || k->l4proto == KEBPF_ICMPV6) {
    if (bpf_probe_read_kernel(h, 2, l4)) return;
    k->sport = h[0];
    k->dport = h[1];
  }
}

/* Addresses and the transport header, from the network header the stack has
 * set (a drop before that point has no flow, only its other keys). IPv6
 * extension headers are not walked: the next header is reported as found. */
static __always_inline void read_flow(struct kebpf_drop_key *k, struct sk_buff *skb) {
  unsigned char *head = BPF_CORE_READ(skb, head);
  __u16 nh = BPF_CORE_READ(skb, network_header);
  if (!head || nh == (__u16)~0U) return;
  if (k->l3proto == KEBPF_ETH_P_IP) {
    struct kebpf_ipv4 ip;
    if (bpf_probe_read_kernel(&ip, sizeof ip, head + nh) || (ip.ihl_version >> 4) != 4) return;
    k->family = 4;
    k->l4proto = ip.protocol;
    __builtin_memcpy(k->saddr, &ip.saddr, 4);
    __builtin_memcpy(k->daddr, &ip.daddr, 4);
    if (!(bpf_ntohs(ip.frag_off) & 0x1fff)) read_l4(k, head + nh + (ip.ihl_version & 0x0f) * 4);
  } else if (k->l3proto == KEBPF_ETH_P_IPV6) {
    struct kebpf_ipv6 ip;
    if (bpf_probe_read_kernel(&ip, sizeof ip, head + nh) || (ip.vtc_flow & 0xf0) != 0x60) return;
    k->family = 6;
    k->l4proto = ip.nexthdr;
    __builtin_memcpy(k->saddr, ip.saddr, 16);
    __builtin_memcpy(k->daddr, ip.daddr, 16);
    read_l4(k, head + nh + sizeof ip);
  }
}

/* The BTF-typed (raw) form of the skb:kfree_skb tracepoint: attached by name
 * through the bpf() system call, so it needs no tracefs mount, and its
 * arguments are the tracepoint's own (skb, location, reason[, rx_sk]). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(kinspect_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason drop_reason) {
  const __u32 reason = (__u32)drop_reason;
  if (reason == consumed_reason) return 0;
  struct net_device *dev = BPF_CORE_READ(skb, dev);
  __u32 netns = netns_of(skb, dev);
  if (filter_netns && netns != filter_netns) return 0;

  struct kebpf_drop_key k;
  __builtin_memset(&k, 0, sizeof k);
  k.location = (__u64)location;
  k.reason = reason;
  k.netns = netns;
  k.ifindex = dev ? (__u32)BPF_CORE_READ(dev, ifindex) : (__u32)BPF_CORE_READ(skb, skb_iif);
  k.l3proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
  read_flow(&k, skb);
  bump(KEBPF_SEEN);

  __u64 now = bpf_ktime_get_ns();
  __u32 len = BPF_CORE_READ(skb, len);
  struct kebpf_drop_value *v = bpf_map_lookup_elem(&drops, &k);
  if (v) {
    __sync_fetch_and_add(&v->packets, 1);
    __sync_fetch_and_add(&v->bytes, len);
    v->last_ns = now;
    return 0;
  }
  /* A new key: the only time the stack is walked. */
  struct kebpf_drop_value init = {.packets = 1, .bytes = len, .first_ns = now, .last_ns = now};
  init.stack_id = bpf_get_stackid(ctx, &stacks, 0);
  if (init.stack_id < 0) bump(KEBPF_NO_STACK);
  /* BPF_NOEXIST: another CPU may have added the key meanwhile; then count there. */
  if (bpf_map_update_elem(&drops, &k, &init, BPF_NOEXIST) == 0) return 0;
  v = bpf_map_lookup_elem(&drops, &k);
  if (v) __sync_fetch_and_add(&v->packets, 1);
  else bump(KEBPF_KEYS_FULL);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
