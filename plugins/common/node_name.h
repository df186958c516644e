// The name the cluster knows this node by, as the node plugin and the
// adapters that run a tool on this node both need it, so their findings name
// the same node: $NODE_NAME (a DaemonSet sets it from spec.nodeName through
// the downward API), else the host name in lower case, which is what the
// kubelet registers unless told otherwise. The caller reads the host name,
// because where it comes from differs (the node plugin reads it under its
// `root` setting, from the host's files).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

namespace plugin_common {

inline std::string node_name_from(std::string hostname) {
  if (const char* env = std::getenv("NODE_NAME"); env && *env) return env;
  std::transform(hostname.begin(), hostname.end(), hostname.begin(), [](unsigned char c) { return std::tolower(c); });
  return hostname;
}

}  // namespace plugin_common
