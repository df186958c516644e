/* The packet-drop tracer: runs on the skb:kfree_skb tracepoint, which the
 * kernel fires for every socket buffer it frees as dropped, with the reason
 * (enum skb_drop_reason) and the code location that dropped it. Each drop is
 * counted in a bounded hash map under its reason, location, namespace,
 * interface and flow, with the kernel stack of the key's first drop; user
 * space reads the maps once when the window ends, so no drop ever wakes user
 * space.
 *
 * Cost per drop is what matters (a flood of drops runs this once per packet),
 * so the common case touches no shared memory: drops come in runs of the same
 * key (one flow hitting one rule), and each CPU keeps its current run in a
 * per-CPU slot, counted with plain adds. Only when a CPU's key changes is the
 * run added to the shared hash map; user space adds the runs still open in
 * the slots when it reads the maps after detaching. The skb is read with
 * direct loads (tp_btf arguments are typed kernel pointers; a fault reads
 * as 0), not bpf_probe_read_kernel calls, except for packet bytes.
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

/* Per CPU, so counting needs no atomic and no shared cache line. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KEBPF_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

/* Each CPU's open run: a key and what it has counted since the key began. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct kebpf_run);
} runs SEC(".maps");

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

static __always_inline void add(__u32 slot, __u64 n) {
  __u64 *v = bpf_map_lookup_elem(&counters, &slot);
  if (v) *v += n;
}

static __always_inline __u32 netns_of(struct sk_buff *skb, struct net_device *dev) {
  if (dev) return dev->nd_net.net->ns.inum;
  struct sock *sk = skb->sk;
  if (sk) return sk->__sk_common.skc_net.net->ns.inum;
  return 0;
}

/* Packet bytes are read one of two ways, chosen when the program is loaded
 * (the loader tries the first and falls back to the second):
 *  - direct loads: recent kernels (6.18 here) type skb->head as untrusted
 *    read-only memory, which the JIT reads with plain loads that read 0 on
 *    a fault;
 *  - bpf_probe_read_kernel, which every kernel has, but whose call and
 *    address checks cost about a third of the whole program.
 * `direct` is a constant in each program, so each keeps one of the two. */
static __always_inline int copy_packet(void *dst, const __u32 size, const unsigned char *src, const int direct) {
  if (!direct) return bpf_probe_read_kernel(dst, size, src);
  __u8 *d = dst;
  __u32 i = 0;
#pragma unroll
  for (; i + 8 <= size; i += 8) *(__u64 *)(d + i) = *(const __u64 *)(src + i);
#pragma unroll
  for (; i < size; ++i) d[i] = src[i];
  return 0;
}

/* Ports (or ICMP type and code) and TCP flags from the transport header's
 * first 14 bytes. */
static __always_inline void parse_l4(struct kebpf_drop_key *k, const __u8 *h) {
  if (k->l4proto == KEBPF_TCP || k->l4proto == KEBPF_UDP) {
    k->sport = (__u16)(h[0] << 8 | h[1]);
    k->dport = (__u16)(h[2] << 8 | h[3]);
    if (k->l4proto == KEBPF_TCP) k->tcp_flags = h[13];
  } else if (k->l4proto == KEBPF_ICMP || k->l4proto == KEBPF_ICMPV6) {
    k->sport = h[0];
    k->dport = h[1];
  }
}

/* The transport header on its own, only as many bytes as its protocol uses
 * (a short packet at the end of its buffer may have no more). */
static __always_inline void read_l4(struct kebpf_drop_key *k, const unsigned char *l4, const int direct) {
  __u8 h[14] = {};
  int err;
  if (k->l4proto == KEBPF_TCP) err = copy_packet(h, 14, l4, direct);
  else if (k->l4proto == KEBPF_UDP) err = copy_packet(h, 4, l4, direct);
  else err = copy_packet(h, 2, l4, direct);
  if (!err) parse_l4(k, h);
}

/* The network header and the 14 bytes after it, read at once: each read of
 * kernel memory costs about as much as the rest of the key together. */
struct kebpf_ipv4_l4 {
  struct kebpf_ipv4 ip;
  __u8 l4[14];
};
struct kebpf_ipv6_l4 {
  struct kebpf_ipv6 ip;
  __u8 l4[14];
};

/* Addresses and the transport header, from the network header the stack has
 * set (a drop before that point has no flow, only its other keys). IPv6
 * extension headers are not walked: the next header is reported as found.
 * The common case is one read of both headers; IPv4 options, or a read that
 * would run past the buffer, fall back to reading them one by one. */
static __always_inline void read_flow(struct kebpf_drop_key *k, struct sk_buff *skb, const int direct) {
  unsigned char *head = skb->head;
  __u16 nh = skb->network_header;
  if (!head || nh == (__u16)~0U) return;
  if (k->l3proto == KEBPF_ETH_P_IP) {
    struct kebpf_ipv4_l4 p;
    const int both = copy_packet(&p, sizeof p, head + nh, direct) == 0;
    if (!both && copy_packet(&p.ip, sizeof p.ip, head + nh, direct)) return;
    if ((p.ip.ihl_version >> 4) != 4) return;
    k->family = 4;
    k->l4proto = p.ip.protocol;
    __builtin_memcpy(k->saddr, &p.ip.saddr, 4);
    __builtin_memcpy(k->daddr, &p.ip.daddr, 4);
    if (bpf_ntohs(p.ip.frag_off) & 0x1fff) return;  /* a later fragment has no transport header */
    const __u32 ihl = (p.ip.ihl_version & 0x0f) * 4;
    if (both && ihl == sizeof p.ip) parse_l4(k, p.l4);
    else read_l4(k, head + nh + ihl, direct);
  } else if (k->l3proto == KEBPF_ETH_P_IPV6) {
    struct kebpf_ipv6_l4 p;
    const int both = copy_packet(&p, sizeof p, head + nh, direct) == 0;
    if (!both && copy_packet(&p.ip, sizeof p.ip, head + nh, direct)) return;
    if ((p.ip.vtc_flow & 0xf0) != 0x60) return;
    k->family = 6;
    k->l4proto = p.ip.nexthdr;
    __builtin_memcpy(k->saddr, p.ip.saddr, 16);
    __builtin_memcpy(k->daddr, p.ip.daddr, 16);
    if (both) parse_l4(k, p.l4);
    else read_l4(k, head + nh + sizeof p.ip, direct);
  }
}

static __always_inline int same_key(const struct kebpf_drop_key *a, const struct kebpf_drop_key *b) {
  const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
#pragma unroll
  for (int i = 0; i < (int)(sizeof *a / sizeof(__u64)); ++i)
    if (x[i] != y[i]) return 0;
  return 1;
}

/* Adds a finished run to the shared map; the first CPU to add a key sets its
 * stack. A full map counts the run's drops as not kept. */
static __always_inline void flush(const struct kebpf_run *run) {
  struct kebpf_drop_value *v = bpf_map_lookup_elem(&drops, &run->key);
  if (!v && bpf_map_update_elem(&drops, &run->key, &run->value, BPF_NOEXIST) == 0) return;
  if (!v) v = bpf_map_lookup_elem(&drops, &run->key);  /* another CPU added it meanwhile */
  if (!v) {
    add(KEBPF_KEYS_FULL, run->value.packets);
    return;
  }
  __sync_fetch_and_add(&v->packets, run->value.packets);
  __sync_fetch_and_add(&v->bytes, run->value.bytes);
  if (run->value.last_ns > v->last_ns) v->last_ns = run->value.last_ns;
}

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, void *location, const __u32 reason, const int direct) {
  if (reason == consumed_reason) return 0;
  struct net_device *dev = skb->dev;
  __u32 netns = netns_of(skb, dev);
  if (filter_netns && netns != filter_netns) return 0;

  __u32 zero = 0;
  struct kebpf_run *run = bpf_map_lookup_elem(&runs, &zero);
  if (!run) return 0;
  struct kebpf_drop_key k;
  __builtin_memset(&k, 0, sizeof k);
  k.location = (__u64)location;
  k.reason = reason;
  k.netns = netns;
  k.ifindex = dev ? (__u32)dev->ifindex : (__u32)skb->skb_iif;
  k.l3proto = bpf_ntohs(skb->protocol);
  read_flow(&k, skb, direct);
  add(KEBPF_SEEN, 1);

  const __u32 len = skb->len;
  /* Reading the clock costs a quarter of the program in a VM (kvm-clock),
   * so a run reads it again only when the jiffies counter (a plain load)
   * has moved: last_ns stays within one tick of the run's last drop. */
  const __u64 tick = bpf_jiffies64();
  if (run->value.packets && same_key(&run->key, &k)) {
    run->value.packets += 1;
    run->value.bytes += len;
    if (tick != run->tick) {
      run->tick = tick;
      run->value.last_ns = bpf_ktime_get_ns();
    }
    return 0;
  }
  const __u64 now = bpf_ktime_get_ns();
  if (run->value.packets) flush(run);
  /* A new run. The stack is walked only for a key the shared map lacks:
   * walking costs more than the rest of the program. */
  struct kebpf_drop_value *known = bpf_map_lookup_elem(&drops, &k);
  __s32 stack_id = known ? known->stack_id : bpf_get_stackid(ctx, &stacks, 0);
  if (stack_id < 0 && !known) add(KEBPF_NO_STACK, 1);
  run->key = k;
  run->value.packets = 1;
  run->value.bytes = len;
  run->value.first_ns = now;
  run->value.last_ns = now;
  run->value.stack_id = stack_id;
  run->tick = tick;
  return 0;
}

/* The BTF-typed (raw) form of the skb:kfree_skb tracepoint: attached by name
 * through the bpf() system call, so it needs no tracefs mount, and its
 * arguments are the tracepoint's own (skb, location, reason[, rx_sk]). Two
 * programs that differ only in how they read packet bytes; the loader keeps
 * the first this kernel's verifier accepts. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(kinspect_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason drop_reason) {
  return on_drop(ctx, skb, location, (__u32)drop_reason, 1);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kinspect_kfree_skb_probe_read, struct sk_buff *skb, void *location, enum skb_drop_reason drop_reason) {
  return on_drop(ctx, skb, location, (__u32)drop_reason, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
