// From a table name to its rows: where each table's facts come from (the
// namespace's kernel state, /proc, files under root, the save tools or saved
// dumps), read on the thread that writes the rows (see netns.h), and handed
// to the host in batches of a few MiB.
#pragma once

#include <kinspect/sdk.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/host_fs.h"
#include "iptables.h"
#include "netns.h"
#include "nft.h"

namespace network {

namespace ks = kinspect::sdk;

struct Settings {
  std::string netns;  // "" = the namespace kinspect runs in
  std::string root = "/";
  std::string iptables_save, ip6tables_save, nft_json, ip_vs;  // saved dumps instead of the live source
  // Saved dumps were given: rulesets come from files only.
  bool offline() const { return !iptables_save.empty() || !ip6tables_save.empty() || !nft_json.empty(); }
};

// The parsed rulesets, shared by the tables read from the same dumps (rules,
// chains, dump errors): a run reads each tool's output once, however many of
// those tables its checks need and on whichever threads they are scanned. An
// entry is reused for kFresh only, so a long-lived plugin instance never
// serves an old ruleset; a failed read is not cached. The chains and errors
// alone are read without storing the rules (a plugin worker that serves only
// net.iptables_chains never holds 100,000 rules); a later read of the rules
// replaces that entry with a full one.
struct DumpCache {
  static constexpr std::chrono::seconds kFresh{10};
  std::mutex iptables_mutex, nft_mutex;  // held while loading: one load, the others wait for it
  std::chrono::steady_clock::time_point iptables_at, nft_at;
  std::shared_ptr<const std::vector<IptDump>> iptables;
  Keep iptables_keep = Keep::Everything;  // whether `iptables` has the rules or the chains and errors only
  std::shared_ptr<const NftRuleset> nft;
};

// What one scan reads from: the settings, the host root and the namespace
// (opened when the scan starts, so a missing namespace fails the scan).
struct Source {
  const Settings& settings;
  plugin_common::HostFs fs;
  NetnsFd ns;
  const ks::Host& host;
  DumpCache& cache;
  std::vector<std::string> paths;  // the columns the query reads; empty: all

  Source(const Settings& s, const ks::Host& h, DumpCache& c);
  // Whether the query reads `column`: wide columns nobody reads are not written.
  bool wants(std::string_view column) const;
  // A /proc/net file of the namespace read ("tcp", "ip_vs").
  std::string proc_net(const std::string& name) const;
  // A /proc/sys path as the namespace sees it ("/proc/sys/net/...").
  std::string proc_sys(const std::string& path) const;
};

// Writes rows into `out` until it is full; returns whether more remain.
using Emitter = std::function<bool(ks::BatchWriter&)>;

// An emitter over rows prepared in `items`, written by `write` one per row.
template <class Item, class Write>
Emitter emit_all(std::vector<Item> items, Write write) {
  auto shared = std::make_shared<std::vector<Item>>(std::move(items));
  auto next = std::make_shared<size_t>(0);
  return [shared, next, write](ks::BatchWriter& out) {
    while (*next < shared->size() && !out.full()) {
      auto row = out.row();
      write((*shared)[(*next)++], row);
    }
    return *next < shared->size();
  };
}

// The kernel-state tables (reader.cpp) and the dump tables (dumps.cpp): the
// emitter of `table`, or nullptr if it is not one of theirs.
Emitter kernel_table(const std::string& table, Source& src);
Emitter dump_table(const std::string& table, Source& src);

std::unique_ptr<ks::Scan> make_scan(const ks::ScanContext& ctx, const Settings& settings, const ks::Host& host, DumpCache& cache);
// net.link_counters(window) (link_counters.cpp): samples in the call, which
// waits for the window.
std::unique_ptr<ks::Scan> link_counters_scan(const ks::ScanContext& ctx, const Settings& settings, const ks::Host& host,
                                             DumpCache& cache);

// Writers shared by the two halves.
void text_or_null(ks::JsonWriter& r, std::string_view key, std::string_view v);
template <class N>
void int_or_null(ks::JsonWriter& r, std::string_view key, const std::optional<N>& v) {
  if (v) r.field(key, static_cast<int64_t>(*v));
  else r.null(key);
}
void text_array(ks::JsonWriter& r, std::string_view key, const std::vector<std::string>& v);

}  // namespace network
