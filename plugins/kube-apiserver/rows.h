// Writing Kubernetes objects as rows: fill in apiVersion/kind that List items
// lack, withhold Secret values, parse health-check text.
#pragma once

#include <kinspect/sdk.hpp>

#include <stdexcept>
#include <string>
#include <vector>
#include <string_view>

namespace kapi {

struct SplitItem;

struct RowOptions {
  bool include_secret_data = false;
  // Projection: when `project` is set, only these top-level keys are written
  // (apiVersion and kind always are). The host re-reads only what it asked
  // for, so this just saves bytes.
  bool project = false;
  std::vector<std::string> keep;
  // The whole paths read, for skipping long strings nobody reads (see
  // ListSplitter::skip_unread_strings). Empty for Secrets: their values are
  // compared with annotations to withhold copies, so all of them are kept.
  std::vector<std::string> read_paths;
  // Drop metadata.managedFields (set when the query reads columns but not
  // metadata.managedFields itself).
  bool strip_managed_fields = false;
  bool drop_identity = false;  // internal: leave out the item's own apiVersion/kind members
  bool keeps(std::string_view key) const;
  // Whether the query reads nothing but apiVersion, kind and metadata.
  bool metadata_only() const;
};

// The projection a scan asks for (paths and constraints), as RowOptions.
RowOptions row_options(const kinspect::sdk::ScanContext& ctx, bool include_secret_data);

// kind/apiVersion of a List item: its own, else from the List's kind
// ("PodList" -> "Pod"), else `fallback_kind` / the catalog.
struct ItemIdentity {
  std::string kind;
  std::string api_version;
};
ItemIdentity identify(const SplitItem& it, std::string_view fallback_kind, std::string_view fallback_api);

// Appends the item as a row, adding apiVersion/kind when it lacks them and
// stripping Secret values unless opts.include_secret_data. With
// `override_identity` the item's own apiVersion/kind are replaced by `id`
// (PartialObjectMetadata items of a metadata-only LIST).
void write_item(kinspect::sdk::BatchWriter& out, const SplitItem& it, const ItemIdentity& id, const RowOptions& opts,
                bool override_identity = false);

// Parses "/readyz?verbose" text ("[+]etcd ok", "[-]etcd failed: reason
// withheld") into rows {name, ok, message}.
void write_health_rows(kinspect::sdk::BatchWriter& out, std::string_view text);

// Rows {group, version, group_version, resource, subresource,
// removed_release, value} of the API server's apiserver_requested_deprecated_apis
// gauge in a /metrics body (Prometheus text). Only that family's lines are
// parsed, so a family the parser would refuse elsewhere in a large body does
// not cost this table. Throws std::runtime_error naming `source`, line and
// column for a malformed line of the family.
void write_deprecated_api_rows(kinspect::sdk::BatchWriter& out, std::string_view metrics, std::string_view source);

// Polls the host's cancelled() callback for one scan (valid for the scan's life).
struct CancelCheck {
  const ki_host_api* api = nullptr;
  ki_host_ctx_t* ctx = nullptr;
  CancelCheck() = default;
  explicit CancelCheck(const kinspect::sdk::ScanContext& c) : api(c.host().api()), ctx(c.request().ctx) {}
  // Throws when the host asked the scan to stop.
  void check() const {
    if (api && api->cancelled && ctx && api->cancelled(ctx)) throw std::runtime_error("scan cancelled by the host");
  }
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace kapi
