// node.systemd_units: the systemd unit states of the kubelet and the container
// runtimes (kubelet, containerd, crio, docker, cri-docker, plus the names in
// the systemd_units setting), read through systemd's own D-Bus API with sd-bus
// (libsystemd): Manager.LoadUnit, then the Unit and Service properties. No
// `systemctl` text is parsed. Every call of a scan shares one deadline,
// probe_timeout_ms. On a host where systemd is not running the table is
// unavailable ("not applicable"), never empty. See docs/node.md.
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/host_fs.h"

namespace node {

struct SystemdSettings {
  // Empty: the host's, under root (see default_systemd_bus). A D-Bus address
  // ("unix:path=...") is a message bus (Hello first); an absolute path is
  // systemd's own socket (/run/systemd/private), spoken to directly.
  std::string bus;
  std::vector<std::string> extra_units;  // full names, "foo.service"
};

// Takes the keys it owns; false for other keys. Throws for a bad value.
bool take_systemd_setting(const std::string& key, const boost::json::value& v, SystemdSettings& s);
std::vector<kinspect::sdk::SettingSpec> systemd_settings();
kinspect::sdk::TableSpec systemd_units_table();
void systemd_unit_rows(const SystemdSettings& s, int64_t timeout_ms, const plugin_common::HostFs& fs,
                       kinspect::sdk::BatchWriter& out);

// "kubelet" -> "kubelet.service"; a name with a unit suffix is kept. nullopt
// (and why) for a name systemd would refuse.
std::optional<std::string> systemd_unit_name(std::string_view name, std::string* why);

// Where the scan connects when the bus setting is empty: as root and when it
// exists, <root>/run/systemd/private (systemd itself, as systemctl does);
// else the system bus, unix:path=<root>/run/dbus/system_bus_socket.
struct BusAddress {
  std::string address;  // for sd_bus_set_address
  bool direct = false;  // peer-to-peer with systemd: no Hello, no bus daemon
  std::string shown;    // as the user wrote it, or the default's path
};
BusAddress default_systemd_bus(const plugin_common::HostFs& fs);
BusAddress systemd_bus_from_setting(const std::string& setting);

}  // namespace node
