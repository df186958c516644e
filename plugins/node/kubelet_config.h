// The kubelet's configuration file (<root>/var/lib/kubelet/config.yaml, a
// KubeletConfiguration), read with yaml-cpp: the settings node checks judge,
// as node.kubelet_config.
#pragma once

#include <kinspect/sdk.hpp>

#include <map>
#include <string>
#include <string_view>

#include "common/host_fs.h"

namespace node {

kinspect::sdk::TableSpec kubelet_config_table();
void kubelet_config_rows(const plugin_common::HostFs& fs, kinspect::sdk::BatchWriter& out);

}  // namespace node
