// net.link_counters(window): every link's counters read twice, `window`
// apart, and how much each rose in between. net.links holds totals since the
// link was created, which remember a burst of drops from last month as well
// as this minute's; a check of rising drops or errors needs the difference.
#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>

#include "common/window.h"
#include "reader.h"
#include "rtnl.h"

namespace network {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kDefaultWindow{5000};
constexpr std::chrono::milliseconds kMaxWindow{300000};

struct Rise {
  int index = 0;
  std::string name, kind;
  double seconds = 0;
  uint64_t rx_packets = 0, tx_packets = 0, rx_dropped = 0, tx_dropped = 0, rx_errors = 0, tx_errors = 0;
};

// A counter that went down was reset (the driver was reloaded): what it
// counts now all came after the first sample.
uint64_t rise(uint64_t before, uint64_t after) { return after >= before ? after - before : after; }

// Links present in both samples with counters; a link created or removed
// during the window has no difference to give.
std::vector<Rise> rises(const std::vector<Link>& before, const std::vector<Link>& after, double seconds) {
  std::map<int, const Link*> first;
  for (const auto& l : before)
    if (l.has_stats) first[l.index] = &l;
  std::vector<Rise> out;
  for (const auto& l : after) {
    auto it = first.find(l.index);
    if (!l.has_stats || it == first.end() || it->second->name != l.name) continue;
    const Link& b = *it->second;
    out.push_back({l.index, l.name, l.kind, seconds, rise(b.rx_packets, l.rx_packets), rise(b.tx_packets, l.tx_packets),
                   rise(b.rx_dropped, l.rx_dropped), rise(b.tx_dropped, l.tx_dropped), rise(b.rx_errors, l.rx_errors),
                   rise(b.tx_errors, l.tx_errors)});
  }
  return out;
}

// Sleeps until `end`, giving up when the host cancels the scan.
void wait_until(Clock::time_point end, const ks::ScanContext& ctx) {
  while (Clock::now() < end) {
    if (ctx.cancelled()) throw std::runtime_error("net.link_counters: cancelled before its window ended");
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), end - Clock::now()));
  }
}

// Rows already known, written a batch at a time.
class EmitterScan final : public ks::Scan {
 public:
  explicit EmitterScan(Emitter emit) : emit_(std::move(emit)) {}
  bool next(ks::BatchWriter& out) override { return emit_(out); }

 private:
  Emitter emit_;
};

void write_rise(const Rise& r, ks::JsonWriter& w) {
  w.field("index", r.index).field("name", r.name);
  text_or_null(w, "kind", r.kind);
  w.field("window_seconds", r.seconds);
  const std::pair<const char*, uint64_t> counters[] = {{"rx_packets", r.rx_packets}, {"tx_packets", r.tx_packets},
                                                       {"rx_dropped", r.rx_dropped}, {"tx_dropped", r.tx_dropped},
                                                       {"rx_errors", r.rx_errors},   {"tx_errors", r.tx_errors}};
  for (auto [k, v] : counters) w.field(k, static_cast<int64_t>(v));
}

}  // namespace

std::unique_ptr<ks::Scan> link_counters_scan(const ks::ScanContext& ctx, const Settings& settings, const ks::Host& host,
                                             DumpCache& cache) {
  auto window = kDefaultWindow;
  if (ctx.arg_count() > 0 && !ctx.arg(0).is_null())
    window = plugin_common::parse_window(ctx.arg(0), kMaxWindow, "net.link_counters: window");
  Source src(settings, host, cache);
  auto sample = [&] {
    NetnsScope in(src.ns);
    return read_links(false);
  };
  const auto start = Clock::now();
  std::vector<Link> before = sample();
  wait_until(start + window, ctx);
  std::vector<Link> after = sample();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return std::make_unique<EmitterScan>(emit_all(rises(before, after, seconds), write_rise));
}

}  // namespace network
