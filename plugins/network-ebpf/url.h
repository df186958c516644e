// The URLs net.http_probe accepts, split into what a probe needs. Kept apart
// from the probe so the fuzz target (tests/fuzz/url_fuzz.cpp) needs no TLS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace network_ebpf {

// A URL split into what a probe needs: http or https, host (a name or a
// numeric address, IPv6 without brackets), port (80/443 by default) and the
// request target ("/" when the URL has no path). nullopt with *why for
// anything else (other schemes, user info, a bad port, spaces, no host).
struct Url {
  std::string scheme, host, target;
  uint16_t port = 0;
  bool same_origin(const Url& o) const { return scheme == o.scheme && host == o.host && port == o.port; }
};
std::optional<Url> split_url(const std::string& url, std::string* why);

}  // namespace network_ebpf
