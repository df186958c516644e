// libFuzzer target: any bytes as the URL of net.http_probe, through the URL
// splitter (plugins/network-ebpf/url.cpp), the one parser of the probes that
// is ours (DNS messages are ldns's, HTTP responses Beast's). Property: it
// returns http or https, a host without spaces, a port from 1 to 65535 and a
// target that starts with '/' and carries no '#', and splitting the URL
// rebuilt from those parts gives the same parts; or nullopt with a reason.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto u = network_ebpf::split_url(in, &why);
  if (!u) {
    if (why.empty()) std::abort();
    return 0;
  }
  if ((u->scheme != "http" && u->scheme != "https") || u->host.empty() || u->port == 0) std::abort();
  if (u->target.empty() || u->target[0] != '/' || u->target.find('#') != std::string::npos) std::abort();
  for (unsigned char c : u->host + u->target)
    if (c <= ' ' || c >= 0x7f) std::abort();
  const std::string host = u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host;
  auto again = network_ebpf::split_url(u->scheme + "://" + host + ":" + std::to_string(u->port) + u->target, nullptr);
  if (!again || !again->same_origin(*u) || again->target != u->target) std::abort();
  return 0;
}
