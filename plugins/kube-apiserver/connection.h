// The one row of k8s.connection: where this driver sends its requests, so
// other plugins (network-ebpf's net.probe_matrix) can probe the same address
// from the node. Never a credential.
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "kubeconfig.h"

namespace kapi {

// The host and port of an https:// server URL ("https://[::1]:6443/x" ->
// "::1", 6443; no port: 443); nullopt when it has no host.
struct ServerAddress {
  std::string host;
  uint16_t port = 443;
};
std::optional<ServerAddress> server_address(std::string_view url);

// The row for a live connection (source kubeconfig or in-cluster).
void write_connection_row(const Connection& c, kinspect::sdk::BatchWriter& out);
// The row when reading `snapshot_path`: source snapshot, with the address
// the snapshot recorded (its own k8s.connection row, captured by `kinspect
// snapshot --all` or --table k8s.connection; only the address fields are
// taken from it), or NULL when it recorded none (`recorded` empty).
void write_snapshot_connection_row(const std::string& snapshot_path, const boost::json::object* recorded,
                                   kinspect::sdk::BatchWriter& out);

}  // namespace kapi
