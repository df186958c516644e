// The tables of the DNS and HTTP probes: declarations (docs/network.md
// describes the same) and their rows.
#pragma once

#include <kinspect/sdk.hpp>

#include <vector>

#include "dns_probe.h"
#include "http_probe.h"

namespace network_ebpf {

namespace ks = kinspect::sdk;

ks::TableSpec dns_probe_spec();
ks::TableSpec http_probe_spec();

// One row per server asked.
void write_dns_probes(const std::vector<DnsProbe>& probes, std::chrono::milliseconds timeout, ks::BatchWriter& out);
// The one row of net.http_probe.
void write_http_probe(const HttpProbe& p, std::chrono::milliseconds timeout, ks::BatchWriter& out);

}  // namespace network_ebpf
