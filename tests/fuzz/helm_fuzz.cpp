// libFuzzer target: any bytes as a Helm release (plugins/kube-apiserver/helm.cpp),
// as k8s.helm_release_objects decodes a release Secret or Tiller ConfigMap.
// The first byte picks the layer the rest enters at, so that the fuzzer
// reaches the inner parsers without having to forge base64 and gzip:
//   0: data.release of a Helm 3 Secret (base64, base64, gzip, JSON, YAML)
//   1: data.release of a Helm 2 ConfigMap (base64, gzip, protobuf, YAML)
//   2: the release JSON itself          3: the release protobuf itself
//   4: a manifest (multi-document YAML)
// Property: rows that Boost.JSON accepts (with an error row for a release
// that cannot be decoded), or a HelmDecodeError; never a crash or a hang.
#include <boost/json/parse.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugins/kube-apiserver/helm.h"

namespace {

std::string base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) out += k[(acc >> (bits -= 6)) & 63];
  }
  if (bits) out += k[(acc << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

// Every row the table would write for this holder must be valid JSON.
void rows_are_json(const kapi::HelmHolder& h, const kapi::HelmLimits& limits) {
  std::string batch;
  kinspect::sdk::BatchWriter out(batch);
  kapi::write_helm_rows(out, h, limits);
  boost::json::error_code ec;
  size_t start = 0;
  while (start < batch.size()) {
    size_t end = batch.find('\n', start);
    if (end == std::string::npos) end = batch.size();
    boost::json::parse(std::string_view(batch).substr(start, end - start), ec);
    if (ec) std::abort();
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  kapi::HelmLimits limits;
  limits.max_release_bytes = 1u << 20;  // a bomb is refused quickly
  limits.max_documents = 200;
  kapi::HelmHolder h;
  h.ns = "fuzz";
  h.name = "release";
  switch (data[0] % 5) {
    case 0: h.source = "helm3-secret", h.value = std::string(in); break;
    case 1: h.source = "helm2-configmap", h.value = std::string(in); break;
    case 2: h.source = "helm3-secret", h.value = base64(base64(in)); break;
    case 3: h.source = "helm2-configmap", h.value = base64(in); break;
    default:
      try {
        kapi::manifest_objects(in, limits);
      } catch (const kapi::HelmDecodeError&) {
      }
      return 0;
  }
  rows_are_json(h, limits);
  return 0;
}
