#include "helm.h"
#include "json_path.h"

#include "common/text.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <algorithm>
#include <array>

namespace json = boost::json;
namespace ks = kinspect::sdk;

namespace kapi {
namespace {

constexpr std::string_view kHelm3Type = "helm.sh/release.v1";

int base64_digit(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// --- Helm 2: the few fields of hapi.release.Release read from protobuf ---

// Protobuf wire format, read by hand: only varints and length-delimited
// fields are interpreted; the others are skipped by their size.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view buf) : buf_(buf) {}
  bool done() const { return pos_ >= buf_.size(); }

  // The next field's number and wire type.
  void tag(uint32_t& field, uint32_t& wire) {
    uint64_t t = varint();
    field = static_cast<uint32_t>(t >> 3);
    wire = static_cast<uint32_t>(t & 7);
    if (field == 0) fail("field number 0");
  }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= buf_.size()) fail("a varint runs past the end");
      auto b = static_cast<unsigned char>(buf_[pos_++]);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("a varint longer than 10 bytes");
  }

  std::string_view bytes() {
    uint64_t n = varint();
    if (n > buf_.size() - pos_) fail("a length-delimited field runs past the end");
    std::string_view out = buf_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  void skip(uint32_t wire) {
    switch (wire) {
      case 0: varint(); return;
      case 1: advance(8); return;
      case 2: bytes(); return;
      case 5: advance(4); return;
      default: fail("wire type " + std::to_string(wire) + " (groups are not used by Helm)");
    }
  }

 private:
  void advance(size_t n) {
    if (n > buf_.size() - pos_) fail("a fixed-size field runs past the end");
    pos_ += n;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw HelmDecodeError("release protobuf: " + why + " at byte " + std::to_string(pos_));
  }
  std::string_view buf_;
  size_t pos_ = 0;
};

// Fields `wanted` (length-delimited) of a message, by number; others skipped.
template <size_t N>
std::array<std::string_view, N> proto_strings(std::string_view msg, const std::array<uint32_t, N>& wanted) {
  std::array<std::string_view, N> out{};
  ProtoReader r(msg);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    r.tag(field, wire);
    size_t i = 0;
    while (i < N && wanted[i] != field) ++i;
    if (i < N && wire == 2) out[i] = r.bytes();
    else r.skip(wire);
  }
  return out;
}

// A varint field of a message (the last one wins, as protobuf says).
uint64_t proto_varint(std::string_view msg, uint32_t wanted) {
  uint64_t v = 0;
  ProtoReader r(msg);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    r.tag(field, wire);
    if (field == wanted && wire == 0) v = r.varint();
    else r.skip(wire);
  }
  return v;
}

// hapi.release.Status.Code, in Helm 3's lower-case spelling.
std::string helm2_status(uint64_t code) {
  static const char* const kNames[] = {"unknown",  "deployed",        "deleted",         "superseded",      "failed",
                                       "deleting", "pending-install", "pending-upgrade", "pending-rollback"};
  return code < std::size(kNames) ? kNames[code] : "unknown";
}

// --- the manifest ---

bool is_separator(std::string_view line) {
  if (line.substr(0, 3) != "---") return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

// The text of each YAML document of a multi-document stream.
std::vector<std::string_view> split_documents(std::string_view text, size_t max_documents) {
  std::vector<std::string_view> docs;
  size_t start = 0, pos = 0;
  while (pos <= text.size()) {
    size_t eol = std::min(text.find('\n', pos), text.size());
    if (is_separator(text.substr(pos, eol - pos))) {
      docs.push_back(text.substr(start, pos - start));
      start = std::min(eol + 1, text.size());
      if (docs.size() > max_documents)
        throw HelmDecodeError("the manifest has more than " + std::to_string(max_documents) + " YAML documents");
    }
    pos = eol + 1;
  }
  docs.push_back(text.substr(start));
  return docs;
}

std::string scalar(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : std::string();
}

// Rows are UTF-8 (the host refuses anything else), but a Helm 2 release's
// strings are whatever bytes its protobuf holds: those of a string that is
// not valid UTF-8 become '?'.
std::string utf8(std::string s) {
  if (plugin_common::valid_utf8(s)) return s;
  for (char& c : s)
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  return s;
}

}  // namespace

std::string HelmHolder::where() const {
  return std::string(source == "helm2-configmap" ? "configmap " : "secret ") + (ns.empty() ? "" : ns + "/") + name;
}

std::optional<HelmHolder> helm_holder(const json::object& o) {
  const std::string kind = text_at(o, {"kind"});
  HelmHolder h;
  if (kind == "Secret" && text_at(o, {"type"}) == kHelm3Type) {
    h.source = "helm3-secret";
    h.label_release = text_at(o, {"metadata", "labels", "name"});
    h.label_revision = text_at(o, {"metadata", "labels", "version"});
  } else if (kind == "ConfigMap" && text_at(o, {"metadata", "labels", "OWNER"}) == "TILLER") {
    h.source = "helm2-configmap";
    h.label_release = text_at(o, {"metadata", "labels", "NAME"});
    h.label_revision = text_at(o, {"metadata", "labels", "VERSION"});
  } else {
    return std::nullopt;
  }
  h.ns = text_at(o, {"metadata", "namespace"});
  h.name = text_at(o, {"metadata", "name"});
  if (const json::value* v = at_path(o, {"data", "release"}); v && v->is_string()) h.value = std::string(v->as_string());
  return h;
}

std::string base64_decode_bounded(std::string_view in, size_t max_out, const char* what) {
  if (in.size() / 4 * 3 > max_out)
    throw HelmDecodeError(std::string(what) + " is larger than " + std::to_string(max_out) + " bytes");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '\n' || c == '\r') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    int d = base64_digit(c);
    if (d < 0 || pad)
      throw HelmDecodeError(std::string(what) + " is not valid base64 (byte " + std::to_string(i) + ")");
    acc = (acc << 6) | uint32_t(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6 || pad > 2) throw HelmDecodeError(std::string(what) + " is not valid base64 (its length)");
  return out;
}

std::string gunzip_bounded(std::string_view in, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw HelmDecodeError("gzip: zlib cannot start");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&zs};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t got = sizeof buf - zs.avail_out;
    if (out.size() + got > max_out)
      throw HelmDecodeError("gzip: the release decompresses to more than " + std::to_string(max_out) + " bytes");
    out.append(buf, got);
    if (rc == Z_STREAM_END) return out;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) throw HelmDecodeError("gzip: the data is truncated");
    if (rc != Z_OK) throw HelmDecodeError(std::string("gzip: ") + (zs.msg ? zs.msg : "invalid data"));
  }
}

std::vector<HelmObject> manifest_objects(std::string_view manifest, const HelmLimits& limits) {
  std::vector<HelmObject> out;
  size_t line = 1;  // of the document's first line, for errors
  for (std::string_view doc : split_documents(manifest, limits.max_documents)) {
    const size_t first_line = line;
    line += static_cast<size_t>(std::count(doc.begin(), doc.end(), '\n')) + 1;
    if (doc.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
    HelmObject obj;
    obj.doc_index = out.size();
    YAML::Node n;
    try {
      n = YAML::Load(std::string(doc));
    } catch (const YAML::Exception& e) {
      // e.what() may quote the document: only the position is kept.
      obj.error = "the manifest's YAML document starting at line " + std::to_string(first_line) +
                  " is invalid (line " + std::to_string(first_line + size_t(e.mark.line)) + ", column " +
                  std::to_string(e.mark.column + 1) + ")";
      out.push_back(std::move(obj));
      continue;
    }
    if (!n.IsMap()) continue;  // comments only (a template that rendered nothing)
    obj.api_version = scalar(n, "apiVersion");
    obj.kind = scalar(n, "kind");
    if (const YAML::Node meta = n["metadata"]; meta.IsDefined() && meta.IsMap()) {
      obj.name = scalar(meta, "name");
      obj.ns = scalar(meta, "namespace");
    }
    out.push_back(std::move(obj));
  }
  return out;
}

HelmRelease decode_helm3_release(std::string_view secret_value, const HelmLimits& limits) {
  if (secret_value.size() > limits.max_encoded_bytes)
    throw HelmDecodeError("data.release is larger than " + std::to_string(limits.max_encoded_bytes) + " bytes");
  // The Secret's own base64, then Helm's.
  std::string helm = base64_decode_bounded(secret_value, limits.max_encoded_bytes, "data.release");
  std::string packed = base64_decode_bounded(helm, limits.max_encoded_bytes, "the release (Helm's base64)");
  // Helm gzips releases, but reads uncompressed ones too.
  std::string text = packed.size() >= 2 && uint8_t(packed[0]) == 0x1f && uint8_t(packed[1]) == 0x8b
                         ? gunzip_bounded(packed, limits.max_release_bytes)
                         : std::move(packed);
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) throw HelmDecodeError("the release is not valid JSON (" + ec.message() + ")");
  if (!v.is_object()) throw HelmDecodeError("the release is not a JSON object");
  const json::object& o = v.as_object();
  const json::value* manifest = o.if_contains("manifest");
  if (!manifest || !manifest->is_string()) throw HelmDecodeError("the release has no manifest string");
  HelmRelease r;
  r.name = text_at(o, {"name"});
  r.ns = text_at(o, {"namespace"});
  r.status = text_at(o, {"info", "status"});
  const std::string chart = text_at(o, {"chart", "metadata", "name"});
  const std::string version = text_at(o, {"chart", "metadata", "version"});
  r.chart = version.empty() ? chart : chart + "-" + version;
  if (const json::value* rev = o.if_contains("version"); rev && rev->is_int64()) r.revision = rev->as_int64();
  r.objects = manifest_objects(manifest->as_string(), limits);
  return r;
}

HelmRelease decode_helm2_release(std::string_view configmap_value, const HelmLimits& limits) {
  if (configmap_value.size() > limits.max_encoded_bytes)
    throw HelmDecodeError("data.release is larger than " + std::to_string(limits.max_encoded_bytes) + " bytes");
  std::string packed = base64_decode_bounded(configmap_value, limits.max_encoded_bytes, "data.release");
  std::string proto = packed.size() >= 2 && uint8_t(packed[0]) == 0x1f && uint8_t(packed[1]) == 0x8b
                          ? gunzip_bounded(packed, limits.max_release_bytes)
                          : std::move(packed);
  // hapi.release.Release: name=1, info=2, chart=3, manifest=5, version=7, namespace=8.
  auto top = proto_strings<5>(proto, {1, 2, 3, 5, 8});
  HelmRelease r;
  r.name = std::string(top[0]);
  r.ns = std::string(top[4]);
  r.revision = static_cast<int64_t>(static_cast<int32_t>(proto_varint(proto, 7)));
  // Info.status=1 -> Status.code=1.
  r.status = helm2_status(proto_varint(proto_strings<1>(top[1], {1})[0], 1));
  // Chart.metadata=1 -> Metadata name=1, version=4.
  auto meta = proto_strings<2>(proto_strings<1>(top[2], {1})[0], {1, 4});
  r.chart = meta[1].empty() ? std::string(meta[0]) : std::string(meta[0]) + "-" + std::string(meta[1]);
  r.objects = manifest_objects(top[3], limits);
  return r;
}

void write_helm_rows(ks::BatchWriter& out, const HelmHolder& h, const HelmLimits& limits) {
  auto failed = [&](const std::string& why) {
    auto row = out.row();
    row.field("release", utf8(h.label_release)).field("release_namespace", utf8(h.ns));
    if (!h.label_revision.empty() && h.label_revision.find_first_not_of("0123456789") == std::string::npos &&
        h.label_revision.size() < 10)
      row.field("revision", std::stoll(h.label_revision));
    else row.null("revision");
    row.null("status").null("chart").field("source", h.source).field("storage", h.where());
    row.null("doc_index").null("api_version").null("kind").null("name").null("namespace");
    row.field("error", utf8(h.where() + ": " + why));
  };
  if (!h.value) return failed("data.release is missing or withheld");
  HelmRelease r;
  try {
    r = h.source == "helm2-configmap" ? decode_helm2_release(*h.value, limits) : decode_helm3_release(*h.value, limits);
  } catch (const HelmDecodeError& e) {
    return failed(e.what());
  }
  const std::string release_ns = r.ns.empty() ? h.ns : r.ns;
  for (const HelmObject& o : r.objects) {
    auto row = out.row();
    row.field("release", utf8(r.name)).field("release_namespace", utf8(release_ns)).field("revision", r.revision);
    row.field("status", r.status).field("chart", utf8(r.chart)).field("source", h.source).field("storage", utf8(h.where()));
    row.field("doc_index", static_cast<int64_t>(o.doc_index));
    if (!o.error.empty()) {
      row.null("api_version").null("kind").null("name").null("namespace").field("error", utf8(h.where() + ": " + o.error));
      continue;
    }
    row.field("api_version", utf8(o.api_version)).field("kind", utf8(o.kind)).field("name", utf8(o.name));
    row.field("namespace", utf8(o.ns.empty() ? release_ns : o.ns)).null("error");
  }
}

ks::TableSpec helm_release_objects_table() {
  using T = ks::Type;
  return {"k8s.helm_release_objects",
          "The objects inside Helm releases: one row per object of each release revision's rendered manifest, "
          "decoded from Helm 3 release Secrets (type helm.sh/release.v1) and Helm 2 Tiller ConfigMaps "
          "(label OWNER=TILLER). Only each object's apiVersion, kind, name and namespace are read from the manifest; "
          "no value of the release, the Secret or the manifest is ever in a row or a log line. A release that "
          "cannot be decoded is one row naming its Secret or ConfigMap and why. From a snapshot: the captured "
          "table, else release Secrets whose data the snapshot holds (kubectl get secret -o json), else not captured.",
          {{"release", T::Text, "The release's name"},
           {"release_namespace", T::Text, "The release's namespace"},
           {"revision", T::Integer, "The release revision (Helm's version)"},
           {"status", T::Text, "deployed, superseded, failed, uninstalled, pending-upgrade, ... (info.status)"},
           {"chart", T::Text, "The chart as name-version, e.g. nginx-1.2.3"},
           {"source", T::Text, "helm3-secret or helm2-configmap"},
           {"storage", T::Text, "The Secret or ConfigMap holding the revision, e.g. secret default/sh.helm.release.v1.web.v3"},
           {"doc_index", T::Integer, "0-based index of the object among the manifest's objects"},
           {"api_version", T::Text, "The object's apiVersion as the chart rendered it"},
           {"kind", T::Text, "The object's kind"},
           {"name", T::Text, "metadata.name"},
           {"namespace", T::Text, "metadata.namespace, else the release's namespace"},
           {"error", T::Text, "Why the release (or one document) could not be decoded, naming where it is stored; "
                              "NULL when decoded"}},
          {},
          {"SELECT release, revision, kind, name, api_version FROM k8s.helm_release_objects WHERE status = 'deployed'"}};
}

}  // namespace kapi
