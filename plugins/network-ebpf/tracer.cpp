#include "tracer.h"

#include <kinspect/sdk.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <thread>

#include "drops.skel.h"

namespace ks = kinspect::sdk;

namespace network_ebpf {

namespace {

// libbpf reports through one global print callback with no context; its last
// warning is kept so a failure names what libbpf saw (a verifier message, a
// missing tracepoint) instead of printing on the worker's stderr.
std::mutex g_libbpf_mutex;
std::string g_libbpf_last;

int keep_libbpf_message(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::lock_guard<std::mutex> lock(g_libbpf_mutex);
  g_libbpf_last = buf;
  while (!g_libbpf_last.empty() && (g_libbpf_last.back() == '\n' || g_libbpf_last.back() == ' ')) g_libbpf_last.pop_back();
  return 0;
}

std::string libbpf_said() {
  std::lock_guard<std::mutex> lock(g_libbpf_mutex);
  return g_libbpf_last.empty() ? "" : " (libbpf: " + g_libbpf_last + ")";
}

struct SkeletonDeleter {
  void operator()(drops_bpf* s) const { drops_bpf__destroy(s); }
};
using Skeleton = std::unique_ptr<drops_bpf, SkeletonDeleter>;

[[noreturn]] void fail(const char* step, int err) {
  err = err < 0 ? -err : err;
  const std::string why = std::string(step) + ": " + std::strerror(err) + libbpf_said();
  if (err == EPERM || err == EACCES)
    throw ks::Unavailable("no BPF permission",
                          why + "; tracing drops needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), e.g. run as root");
  if (err == ENOENT || err == ESRCH)  // libbpf finds no btf_trace_kfree_skb to attach to
    throw ks::Unavailable("no tracepoint", why + "; this kernel has no skb:kfree_skb tracepoint");
  if (err == ENOSYS) throw ks::Unavailable("no BPF", why + "; this kernel has no bpf() system call");
  throw std::runtime_error("drop tracer: " + why);
}

// Opens and sizes the object with one of its two programs: they differ only
// in how they read packet bytes (drops.bpf.c, copy_packet).
Skeleton open_with(const TraceOptions& o, bool direct_loads) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (o.btf_path != "/sys/kernel/btf/vmlinux") open_opts.btf_custom_path = o.btf_path.c_str();
  Skeleton skel(drops_bpf__open_opts(&open_opts));
  if (!skel) fail("opening the BPF object", errno);
  skel->rodata->filter_netns = o.netns_inode;
  skel->rodata->consumed_reason = o.consumed_reason;
  bpf_program__set_autoload(skel->progs.kinspect_kfree_skb, direct_loads);
  bpf_program__set_autoload(skel->progs.kinspect_kfree_skb_probe_read, !direct_loads);
  if (int e = bpf_map__set_max_entries(skel->maps.drops, o.max_keys)) fail("sizing the drops map", e);
  if (int e = bpf_map__set_max_entries(skel->maps.stacks, o.max_stacks)) fail("sizing the stacks map", e);
  return skel;
}

Skeleton load(const TraceOptions& o) {
  libbpf_set_print(keep_libbpf_message);
  // The cheaper program first; a kernel whose verifier refuses its direct
  // loads of packet memory (older kernels, with EACCES or EINVAL) gets the one
  // that calls bpf_probe_read_kernel. Without permission (EPERM) both fail.
  Skeleton skel = open_with(o, o.direct_packet_loads);
  int e = drops_bpf__load(skel.get());
  if (e && e != -EPERM && o.direct_packet_loads) {
    skel = open_with(o, false);
    e = drops_bpf__load(skel.get());
  }
  if (e) fail("loading the BPF program", e);
  if (int e = drops_bpf__attach(skel.get())) fail("attaching to skb:kfree_skb", e);
  return skel;
}

uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// A per-CPU map's value for every possible CPU, each slot rounded up to 8
// bytes as the kernel lays them out.
template <typename T>
std::vector<T> per_cpu(int fd, uint32_t key) {
  static_assert(sizeof(T) % 8 == 0, "per-CPU values are 8-byte aligned");
  const int cpus = libbpf_num_possible_cpus();
  std::vector<T> values(cpus > 0 ? static_cast<size_t>(cpus) : 0);
  if (values.empty() || bpf_map_lookup_elem(fd, &key, values.data()) != 0) return {};
  return values;
}

void read_counters(const drops_bpf& skel, Capture& c) {
  const int fd = bpf_map__fd(skel.maps.counters);
  uint64_t* slots[] = {&c.seen, &c.keys_full, &c.no_stack};
  for (uint32_t i = 0; i < KEBPF_COUNTERS; ++i)
    for (uint64_t n : per_cpu<uint64_t>(fd, i)) *slots[i] += n;
}

void read_drops(const drops_bpf& skel, Capture& c) {
  const int fd = bpf_map__fd(skel.maps.drops);
  kebpf_drop_key key{}, next{};
  const kebpf_drop_key* prev = nullptr;
  while (c.drops.size() < c.options.max_keys && bpf_map_get_next_key(fd, prev, &next) == 0) {
    DropCount d{next, {}};
    if (bpf_map_lookup_elem(fd, &next, &d.value) == 0) c.drops.push_back(d);
    key = next;
    prev = &key;
  }
}

// Each CPU's run still open when the program was detached: its drops are in
// no other map yet. A key the shared map already has gets the run's counts;
// a new one is a new row while there is room, else its drops count as not kept.
void add_open_runs(const drops_bpf& skel, Capture& c) {
  for (const kebpf_run& run : per_cpu<kebpf_run>(bpf_map__fd(skel.maps.runs), 0)) {
    if (run.value.packets == 0) continue;
    auto same = [&](const DropCount& d) { return std::memcmp(&d.key, &run.key, sizeof run.key) == 0; };
    auto it = std::find_if(c.drops.begin(), c.drops.end(), same);
    if (it == c.drops.end() && c.drops.size() < c.options.max_keys) {
      c.drops.push_back(DropCount{run.key, run.value});
    } else if (it == c.drops.end()) {
      c.keys_full += run.value.packets;
    } else {
      it->value.packets += run.value.packets;
      it->value.bytes += run.value.bytes;
      it->value.last_ns = std::max(it->value.last_ns, run.value.last_ns);
      if (it->value.stack_id < 0) it->value.stack_id = run.value.stack_id;
    }
  }
}

void read_stacks(const drops_bpf& skel, Capture& c) {
  const int fd = bpf_map__fd(skel.maps.stacks);
  std::vector<uint64_t> frames(127);
  for (const auto& d : c.drops) {
    const int32_t id = d.value.stack_id;
    if (id < 0 || c.stacks.count(id)) continue;
    std::fill(frames.begin(), frames.end(), 0);
    if (bpf_map_lookup_elem(fd, &id, frames.data()) != 0) continue;
    auto end = std::find(frames.begin(), frames.end(), 0ull);
    c.stacks.emplace(id, std::vector<uint64_t>(frames.begin(), end));
  }
}

}  // namespace

Capture trace_drops(const TraceOptions& options, const std::function<bool()>& stop) {
  Capture c;
  c.options = options;
  Skeleton skel = load(options);
  c.started = std::chrono::system_clock::now();
  c.started_ktime_ns = monotonic_ns();
  const auto deadline = std::chrono::steady_clock::now() + options.duration;
  while (std::chrono::steady_clock::now() < deadline && !stop()) {
    auto left = deadline - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
  }
  // Detach first, so the maps stop changing while they are read.
  drops_bpf__detach(skel.get());
  c.ended = std::chrono::system_clock::now();
  read_counters(*skel, c);
  read_drops(*skel, c);
  add_open_runs(*skel, c);
  read_stacks(*skel, c);
  return c;
}

}  // namespace network_ebpf
