// net.probe_matrix: TCP connects from this node to the addresses the
// cluster depends on, read through the host from the kube-apiserver
// driver's tables: the API server as the kubeconfig (or in-cluster
// service) reaches it, each API server endpoint behind the `kubernetes`
// Service, each node's kubelet port, and the cluster DNS Service. Side by
// side they show the "load balancer down, endpoints up" case (and the
// reverse). See docs/network.md.
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "probes.h"

namespace network_ebpf {

struct MatrixTarget {
  std::string kind;    // apiserver-lb | apiserver-endpoint | kubelet | cluster-dns
  std::string target;  // the server URL, "default/kubernetes", the node's name, "kube-system/kube-dns"
  TcpProbe probe;      // host and port to connect to; result and error once probed
};

// Reads a table's rows (host_tables.h's read_table, or rows a test gives).
using ReadRows = std::function<std::vector<boost::json::object>(const std::string& table,
                                                                const std::vector<std::string>& paths,
                                                                const std::vector<std::pair<std::string, std::string>>& equals)>;

// The targets in a fixed order: API server (load balancer), its endpoints,
// cluster DNS, then the nodes' kubelets by node name. A target without an
// address (a node with no InternalIP) has result "not-probed" and why.
// Throws when a table cannot be read: the matrix would be incomplete.
std::vector<MatrixTarget> matrix_targets(const ReadRows& read);

struct MatrixOptions {
  std::chrono::milliseconds timeout{1000};  // each connect
  std::chrono::milliseconds budget{10000};  // no connect starts after this
  size_t concurrency = 1024;  // 5,000 silent kubelets in 5 rounds of 1 s, within the 10 s budget
};

// Probes every target not already settled; those the budget or a cancel
// leaves unprobed come back "not-probed" with the reason.
void probe_matrix(std::vector<MatrixTarget>& targets, const MatrixOptions& o, const std::function<bool()>& cancelled);

kinspect::sdk::TableSpec probe_matrix_spec();
void write_probe_matrix(const std::vector<MatrixTarget>& targets, const MatrixOptions& o, kinspect::sdk::BatchWriter& out);

}  // namespace network_ebpf
