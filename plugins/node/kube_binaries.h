// The Kubernetes programs installed on the host (kubectl, kubeadm, kubelet),
// each asked its own version: node.kubernetes_binaries. What is installed
// matters before an upgrade even when nothing runs it (kubectl on an admin
// host, the kubelet package a node will restart into).
#pragma once

#include <kinspect/sdk.hpp>

#include "common/host_fs.h"

namespace node {

kinspect::sdk::TableSpec kubernetes_binaries_table();
void kubernetes_binary_rows(const plugin_common::HostFs& fs, kinspect::sdk::BatchWriter& out);

// The version a program printed: gitVersion of `kubectl version --client -o
// json` or `kubeadm version -o json` ({"clientVersion": {"gitVersion": ...}}),
// or the v-word of `kubelet --version` ("Kubernetes v1.30.2"). Empty when the
// output holds none.
std::string version_in_output(std::string_view binary, std::string_view out);

}  // namespace node
