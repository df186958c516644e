// The well-known Kubernetes resources the kube-apiserver driver exposes as
// k8s.<resource> tables, with their real top-level fields as columns.
#pragma once

#include <kinspect/sdk.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace kapi {

struct Resource {
  std::string table;     // "k8s.pods"
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // "pods"
  std::string kind;      // "Pod"
  bool namespaced = true;
  std::vector<kinspect::sdk::ColumnSpec> columns;  // all columns incl. apiVersion/kind/metadata
  std::string doc;

  std::string group_version() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1/pods" or "/apis/apps/v1/deployments"; with a namespace, the namespaced path.
  std::string list_path(std::string_view ns = {}) const;
};

// Every well-known resource, in a stable order.
const std::vector<Resource>& well_known();
const Resource* find_by_table(std::string_view table);
const Resource* find_by_kind(std::string_view kind);
// The well-known resource served as `resource` in `group_version`, if any.
const Resource* find_by_resource(std::string_view group_version, std::string_view resource);

// Columns of generic objects (k8s.resource and discovered tables).
std::vector<kinspect::sdk::ColumnSpec> generic_columns();

// Special tables.
std::vector<kinspect::sdk::TableSpec> special_tables();
// The special tables of the API server's own facts (not of objects): a
// snapshot keeps each in a file of its own (version.json, readyz.txt, ...).
inline constexpr std::array<std::string_view, 6> kServerFactTables = {
    "k8s.version", "k8s.readyz", "k8s.livez", "k8s.api_resources", "k8s.deprecated_api_requests",
    "k8s.helm_release_objects"};
// k8s.connection: the address the driver talks to (rows: connection.cpp).
kinspect::sdk::TableSpec connection_table();

// "pods" for "Pod": the usual English plural Kubernetes uses for kinds.
std::string guess_plural(std::string_view kind);

}  // namespace kapi
