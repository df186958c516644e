// net.http_probe: one GET of a health endpoint (http or https), bounded by
// one deadline that covers the name lookup, connect, TLS handshake, request,
// headers and body. TLS is OpenSSL's; the response is parsed by Boost.Beast's
// HTTP parser. A server that never answers or drips its answer costs the
// timeout, never more; the body kept is bounded.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "url.h"

namespace network_ebpf {

struct HttpProbeOptions {
  std::chrono::milliseconds timeout{3000};
  bool verify = true;   // refuse a certificate that does not verify (tls-error); false: go on, and say so
  std::string ca_file;  // PEM bundle to verify against; "" = the system's store
  size_t max_body = 256;
  int max_redirects = 5;  // followed only to the same scheme, host and port
};

struct HttpProbe {
  std::string url;       // as asked
  std::string final_url; // after same-origin redirects
  std::string address;   // the address connected to, "" when none
  std::string status;    // ok | timeout | refused | tls-error | unresolved | error
  std::string error;     // why, for anything but ok
  int http_status = 0;   // 0 when no status line came
  std::string body;      // the first max_body bytes of the body
  bool body_truncated = false;
  std::string location;  // a redirect that was not followed (to another host, or past max_redirects)
  int redirects = 0;
  bool tls = false;
  std::optional<bool> tls_verified;  // whether the certificate verified (chain and host name); unset for http
  std::string tls_verify_error;      // OpenSSL's reason when it did not
  double latency_ms = 0;
};

HttpProbe http_probe(const std::string& url, const HttpProbeOptions& opts);

}  // namespace network_ebpf
