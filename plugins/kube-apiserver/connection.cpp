#include "connection.h"

#include <charconv>

namespace kapi {

std::optional<ServerAddress> server_address(std::string_view url) {
  size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);  // user:password@
  ServerAddress a;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    a.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    a.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (a.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) return std::nullopt;
    a.port = static_cast<uint16_t>(p);
  }
  return a;
}

void write_connection_row(const Connection& c, kinspect::sdk::BatchWriter& out) {
  auto r = out.row();
  // resolve_connection names the in-cluster context so; a kubeconfig context may not.
  const bool in_cluster = c.origin.rfind("in-cluster", 0) == 0;
  r.field("source", in_cluster ? "in-cluster" : "kubeconfig");
  r.field("server", redact_url(c.server));
  if (auto a = server_address(c.server)) r.field("host", a->host).field("port", a->port);
  else r.null("host").null("port");
  if (c.context.empty()) r.null("context");
  else r.field("context", c.context);
  if (c.cluster_name.empty()) r.null("cluster");
  else r.field("cluster", c.cluster_name);
  r.field("origin", c.origin);
}

void write_snapshot_connection_row(const std::string& snapshot_path, const boost::json::object* recorded,
                                   kinspect::sdk::BatchWriter& out) {
  auto r = out.row();
  r.field("source", "snapshot");
  std::string from;
  for (const char* key : {"server", "host", "port", "context", "cluster"}) {
    const boost::json::value* v = recorded ? recorded->if_contains(key) : nullptr;
    if (v && v->is_string() && std::string_view(key) == "server") r.field(key, redact_url(v->as_string()));
    else if (v && v->is_string()) r.field(key, std::string_view(v->as_string()));
    else if (v && v->is_int64() && std::string_view(key) == "port") r.field(key, v->as_int64());
    else r.null(key);
  }
  if (const boost::json::value* o = recorded ? recorded->if_contains("origin") : nullptr; o && o->is_string())
    from = ", taken through " + std::string(o->as_string());
  r.field("origin", "snapshot " + snapshot_path + from);
}

}  // namespace kapi
