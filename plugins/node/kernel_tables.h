// The node plugin's kernel-log tables: node.kernel_log, node.kernel_events,
// node.problems (NPD's rules applied) and node.npd_rules. One pass over the
// log fills all four; it is made the first time one of them is scanned and
// kept for the plugin's life (one run).
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json/value.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/host_fs.h"

namespace node {

struct KernelLogSettings {
  std::string kmsg_path;                 // "" = <root>/dev/kmsg
  std::optional<int64_t> boot_epoch_us;  // kmsg_boot_time
  int64_t max_bytes = 8 << 20;           // kernel_log_max_bytes
  std::string npd_config_dir;            // "" = the bundled configurations
};

class KernelLogTables {
 public:
  KernelLogTables(const kinspect::sdk::Host& host, const plugin_common::HostFs& fs, KernelLogSettings s);
  ~KernelLogTables();

  // Takes the keys it owns from the plugin's settings; false for other keys.
  // Throws std::runtime_error for a bad value, naming the setting.
  static bool take_setting(const std::string& key, const boost::json::value& v, KernelLogSettings& s);
  static std::vector<kinspect::sdk::SettingSpec> settings();
  static std::vector<kinspect::sdk::TableSpec> tables();
  static bool serves(const std::string& table);

  // Throws ks::Unavailable when there is no kernel log to read here.
  std::unique_ptr<kinspect::sdk::Scan> scan(const std::string& table);

 private:
  struct Digest;
  const Digest& digest();
  void read_log(Digest& d);
  void load_rules(Digest& d);

  kinspect::sdk::Host host_;
  const plugin_common::HostFs& fs_;
  KernelLogSettings settings_;
  std::mutex mu_;
  std::unique_ptr<Digest> digest_;
};

}  // namespace node
