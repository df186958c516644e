/* The map layout shared by the BPF program (drops.bpf.c) and the loader
 * (tracer.cpp): one aggregation key per (reason, location, namespace,
 * interface, flow), its counters and the kernel stack of its first drop, and
 * the slots of the counters array. The stack is not part of the key: walking
 * the stack costs more than the rest of the program, so it is taken once per
 * key, when the key is new, not for every drop. Plain C
 * with fixed-width types and explicit padding, because the kernel compares
 * keys byte by byte and both sides must agree on every byte. */
#ifndef KINSPECT_NETWORK_EBPF_DROP_KEY_H
#define KINSPECT_NETWORK_EBPF_DROP_KEY_H

#include <linux/types.h>

struct kebpf_drop_key {
  __u64 location;  /* the kfree_skb caller, a kernel text address */
  __u32 reason;    /* enum skb_drop_reason of the running kernel */
  __u32 netns;     /* inode of the skb's network namespace, 0 if unknown */
  __u32 ifindex;   /* the device the skb is on, else the one it came in on, 0 if none */
  __u32 zero;      /* padding, always 0 */
  __u16 l3proto;   /* ETH_P_* in host order (skb->protocol) */
  __u8 family;     /* 4, 6, or 0 when the packet is not IP */
  __u8 l4proto;    /* IPPROTO_* */
  __u16 sport;     /* host order; for ICMP the type */
  __u16 dport;     /* host order; for ICMP the code */
  __u8 tcp_flags;  /* TCP flag byte (SYN 0x02, ACK 0x10...), else 0 */
  __u8 pad[7];
  __u8 saddr[16];  /* IPv4 in the first 4 bytes */
  __u8 daddr[16];
};

struct kebpf_drop_value {
  __u64 packets;
  __u64 bytes;     /* skb->len summed */
  __u64 first_ns;  /* bpf_ktime_get_ns() of the first and last drop */
  __u64 last_ns;
  __s32 stack_id;  /* the first drop's stack in the stack-trace map, negative when it could not be taken */
  __u32 pad;
};

/* One CPU's open run of drops of the same key (the `runs` per-CPU map). */
struct kebpf_run {
  struct kebpf_drop_key key;
  struct kebpf_drop_value value;  /* packets == 0: no run open */
  __u64 tick;                     /* jiffies when value.last_ns was read */
};

/* Slots of the `counters` per-CPU array map. */
enum kebpf_counter {
  KEBPF_SEEN = 0,        /* drops that passed the filters */
  KEBPF_KEYS_FULL = 1,   /* drops not counted because the key map was full */
  KEBPF_NO_STACK = 2,    /* drops whose stack could not be recorded */
  KEBPF_COUNTERS = 3,
};

#endif
