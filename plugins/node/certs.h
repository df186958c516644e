// Certificates on the node's disk (node.certificates): the kubelet's client
// and serving certificates and the control plane's PKI, read with OpenSSL.
// Private keys are never parsed: only the CERTIFICATE blocks of a file are
// cut out of its text and given to OpenSSL (kubelet-client-current.pem holds
// the key too), *.key files are not opened, and the text read is wiped.
#pragma once

#include <kinspect/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/host_fs.h"

namespace node {

struct CertInfo {
  size_t index = 0;  // position in the file (a chain has several)
  std::string subject, issuer;
  int64_t not_before = 0, not_after = 0;  // epoch seconds
  bool is_ca = false;
  std::vector<std::string> dns_names;
};

// The certificates in PEM text; *error says why a block did not parse.
std::vector<CertInfo> parse_pem_certificates(std::string_view text, std::string* error);

// The role a path plays in a kubeadm/kubelet layout: kubelet-client,
// kubelet-serving, ca, apiserver, etcd, front-proxy, or other.
std::string certificate_role(const std::string& path, const CertInfo& c);

kinspect::sdk::TableSpec certificates_table();
void certificate_rows(const plugin_common::HostFs& fs, kinspect::sdk::BatchWriter& out);

}  // namespace node
