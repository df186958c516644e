#include "kubelet_config.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

namespace ks = kinspect::sdk;

namespace node {

using T = ks::Type;

ks::TableSpec kubelet_config_table() {
  return {"node.kubelet_config",
          "The kubelet's configuration file (<root>/var/lib/kubelet/config.yaml), read with yaml-cpp: one row with the "
          "settings the node checks judge (NULL where the file leaves the kubelet's default). No row when the file does "
          "not exist (not a node, or a kubelet configured by flags only).",
          {{"path", T::Text, "The file"},
           {"kind", T::Text, "KubeletConfiguration"},
           {"anonymous_auth", T::Boolean, "authentication.anonymous.enabled (the kubelet's default: true)"},
           {"webhook_authn", T::Boolean, "authentication.webhook.enabled"},
           {"authorization_mode", T::Text, "authorization.mode: Webhook or AlwaysAllow (the default)"},
           {"read_only_port", T::Integer, "readOnlyPort (0 disables the unauthenticated port)"},
           {"rotate_certificates", T::Boolean, "rotateCertificates"},
           {"server_tls_bootstrap", T::Boolean, "serverTLSBootstrap"},
           {"cgroup_driver", T::Text, "cgroupDriver"},
           {"fail_swap_on", T::Boolean, "failSwapOn"},
           {"protect_kernel_defaults", T::Boolean, "protectKernelDefaults"},
           {"eviction_hard", T::Json, "evictionHard, an object"},
           {"document", T::Json, "The whole file as JSON (for other settings)"}},
          {},
          {"SELECT anonymous_auth, authorization_mode, read_only_port FROM node.kubelet_config"}};
}

namespace {

// The node at a path of keys, or an undefined node. reset(), not operator=:
// assigning to a YAML::Node writes into the tree it refers to.
YAML::Node at(const YAML::Node& n, std::initializer_list<const char*> path) {
  YAML::Node cur;
  cur.reset(n);
  for (const char* k : path) {
    if (!cur.IsMap()) return YAML::Node();
    YAML::Node next = cur[k];
    if (!next) return YAML::Node();
    cur.reset(next);
  }
  return cur;
}

void json_of(const YAML::Node& n, ks::JsonWriter& w, std::string_view key);

void scalar(const YAML::Node& n, ks::JsonWriter& w, std::string_view key) {
  const std::string& s = n.Scalar();
  if (n.Tag() != "!" && (s == "true" || s == "false")) w.field(key, s == "true");
  else w.field(key, s);
}

void json_of(const YAML::Node& n, ks::JsonWriter& w, std::string_view key) {
  if (n.IsMap()) {
    auto o = w.object(key);
    for (const auto& kv : n) json_of(kv.second, o, kv.first.as<std::string>());
  } else if (n.IsSequence()) {
    auto a = w.array(key);
    for (const auto& e : n) {
      if (e.IsScalar()) a.value(e.Scalar());
      else a.value(YAML::Dump(e));
    }
  } else if (n.IsScalar()) {
    scalar(n, w, key);
  } else {
    w.null(key);
  }
}

void opt_bool(ks::JsonWriter& w, const char* key, const YAML::Node& n, const std::string& file) {
  if (!n || n.IsNull()) return void(w.null(key));
  if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false"))
    throw std::runtime_error(file + ":" + std::to_string(n.Mark().line + 1) + ": " + key + ": expected true or false");
  w.field(key, n.Scalar() == "true");
}

void opt_text(ks::JsonWriter& w, const char* key, const YAML::Node& n) {
  if (n && n.IsScalar()) w.field(key, n.Scalar());
  else w.null(key);
}

}  // namespace

void kubelet_config_rows(const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  std::string path;
  try {
    path = fs.resolve("/var/lib/kubelet/config.yaml");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("node.kubelet_config: ") + e.what());
  }
  int err = 0;
  auto text = fs.read(path, &err, 4 << 20);
  if (!text) {
    if (err == ENOENT || err == ENOTDIR) return;  // not a node, or a kubelet configured by flags
    throw std::runtime_error("node.kubelet_config: cannot read " + fs.at(path) + ": " + std::strerror(err));
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("node.kubelet_config: " + fs.at(path) + ":" + std::to_string(e.mark.line + 1) + ":" +
                             std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!doc.IsMap()) throw std::runtime_error("node.kubelet_config: " + fs.at(path) + ": expected a KubeletConfiguration mapping");
  const std::string file = fs.at(path);
  auto r = out.row();
  r.field("path", "/var/lib/kubelet/config.yaml");
  opt_text(r, "kind", doc["kind"]);
  opt_bool(r, "anonymous_auth", at(doc, {"authentication", "anonymous", "enabled"}), file);
  opt_bool(r, "webhook_authn", at(doc, {"authentication", "webhook", "enabled"}), file);
  opt_text(r, "authorization_mode", at(doc, {"authorization", "mode"}));
  const YAML::Node port = doc["readOnlyPort"];
  if (port && port.IsScalar()) {
    try {
      r.field("read_only_port", static_cast<int64_t>(port.as<long long>()));
    } catch (const YAML::Exception&) {
      throw std::runtime_error(file + ":" + std::to_string(port.Mark().line + 1) + ": readOnlyPort: expected a number");
    }
  } else {
    r.null("read_only_port");
  }
  opt_bool(r, "rotate_certificates", doc["rotateCertificates"], file);
  opt_bool(r, "server_tls_bootstrap", doc["serverTLSBootstrap"], file);
  opt_text(r, "cgroup_driver", doc["cgroupDriver"]);
  opt_bool(r, "fail_swap_on", doc["failSwapOn"], file);
  opt_bool(r, "protect_kernel_defaults", doc["protectKernelDefaults"], file);
  if (doc["evictionHard"]) json_of(doc["evictionHard"], r, "eviction_hard");
  else r.null("eviction_hard");
  json_of(doc, r, "document");
}

}  // namespace node
