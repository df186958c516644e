// The tables of the drop tracer and the probes: their declarations (names, columns, docs,
// examples; docs/network.md describes the same) and their rows from a window.
#pragma once

#include <kinspect/sdk.hpp>

#include <vector>

#include "capture.h"
#include "kallsyms.h"
#include "probes.h"

namespace network_ebpf {

std::vector<ks::TableSpec> table_specs();

// One row per aggregation key of the window (reason, location, stack,
// namespace, interface, flow), most packets first, from row `next` on until
// `out` is full; returns whether rows remain.
bool write_drops(const Window& w, const Kallsyms& syms, size_t& next, ks::BatchWriter& out);
// One row per kernel stack of the window with its packets and reasons.
void write_drop_stacks(const Window& w, const Kallsyms& syms, ks::BatchWriter& out);
// The one row of net.tcp_probe.
void write_tcp_probe(const TcpProbe& p, std::chrono::milliseconds timeout, ks::BatchWriter& out);

}  // namespace network_ebpf
