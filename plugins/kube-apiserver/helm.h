// k8s.helm_release_objects: the objects inside Helm releases, decoded from
// where Helm keeps each release revision.
//   Helm 3: a Secret of type helm.sh/release.v1; data.release is base64 (the
//     Secret's own encoding) of base64 of gzip of the release as JSON, whose
//     `manifest` is the multi-document YAML Helm applied.
//   Helm 2: a ConfigMap labelled OWNER=TILLER; data.release is base64 of gzip
//     of a protobuf hapi.release.Release (hapi/release/release.proto).
// Only the identity of each rendered object (apiVersion, kind,
// metadata.name, metadata.namespace) and the release's name, namespace,
// revision, status and chart name-version leave this file: a manifest can
// hold Secrets with their data and values with passwords, so no other part
// of it reaches a row, a log line or an error message. Errors name the
// Secret or ConfigMap and what failed, never its content.
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kapi {

// What decoding one release may cost.
struct HelmLimits {
  size_t max_encoded_bytes = 32u << 20;  // data.release as stored
  size_t max_release_bytes = 64u << 20;  // after gunzip
  size_t max_documents = 10000;          // YAML documents in one manifest
};

// Why a release could not be decoded; the message never quotes the release.
struct HelmDecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One object of a release's manifest.
struct HelmObject {
  size_t doc_index = 0;  // 0-based among the manifest's objects
  std::string api_version, kind, name, ns;
  std::string error;  // a document that is not valid YAML: why (no content)
};

struct HelmRelease {
  std::string name, ns, status, chart;
  int64_t revision = 0;
  std::vector<HelmObject> objects;
};

// Where one release revision is stored: a release Secret or a Tiller
// ConfigMap, as the API server (or a snapshot) gives it.
struct HelmHolder {
  std::string source;       // "helm3-secret" or "helm2-configmap"
  std::string ns, name;     // the Secret's / ConfigMap's
  std::string label_release, label_revision;  // its labels, shown when the release cannot be decoded
  std::optional<std::string> value;  // data.release; nullopt when missing or withheld (null)
  std::string where() const;  // "secret default/sh.helm.release.v1.x.v1"
};

// The holder, if `object` is a Helm 3 release Secret or a Helm 2 Tiller
// ConfigMap (by type / labels); nullopt for any other object.
std::optional<HelmHolder> helm_holder(const boost::json::object& object);

// Decoding, exposed for the tests and the fuzzer. Throw HelmDecodeError.
std::string base64_decode_bounded(std::string_view in, size_t max_out, const char* what);
std::string gunzip_bounded(std::string_view in, size_t max_out);
HelmRelease decode_helm3_release(std::string_view secret_value, const HelmLimits& limits);
HelmRelease decode_helm2_release(std::string_view configmap_value, const HelmLimits& limits);
std::vector<HelmObject> manifest_objects(std::string_view manifest, const HelmLimits& limits);

// The table's rows for one holder: one per object, or one naming the
// holder and why when the release cannot be decoded.
void write_helm_rows(kinspect::sdk::BatchWriter& out, const HelmHolder& holder, const HelmLimits& limits);

// The table's declaration (catalog).
kinspect::sdk::TableSpec helm_release_objects_table();

}  // namespace kapi
