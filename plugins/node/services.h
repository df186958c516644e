// The node's own services, asked whether they answer: the kubelet's healthz
// endpoint and the container runtimes' sockets (containerd, CRI-O, dockerd,
// cri-dockerd) under the host root, each within a timeout; and the CPU's
// load and steal from /proc. Tables node.kubelet_health,
// node.container_runtimes and node.cpu.
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/host_fs.h"

namespace node {

struct ServiceSettings {
  std::string kubelet_healthz_url = "http://127.0.0.1:10248/healthz";
  int64_t probe_timeout_ms = 2000;
};

// Takes the keys it owns; false for other keys. Throws for a bad value.
bool take_service_setting(const std::string& key, const boost::json::value& v, ServiceSettings& s);
std::vector<kinspect::sdk::SettingSpec> service_settings();
std::vector<kinspect::sdk::TableSpec> service_tables();
bool serves_service_table(const std::string& table);
void service_rows(const std::string& table, const ServiceSettings& s, const plugin_common::HostFs& fs,
                  kinspect::sdk::BatchWriter& out);

// /proc/stat's first line: cumulative CPU time by kind, in USER_HZ ticks.
struct CpuTimes {
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  int64_t total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
};
std::optional<CpuTimes> parse_proc_stat_cpu(std::string_view text);

}  // namespace node
