#include "pod_logs.h"
#include "json_path.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "rows.h"

namespace kapi {

namespace json = boost::json;
namespace ks = kinspect::sdk;

namespace {

bool selector_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_./=!,() ").find(c) != std::string_view::npos;
}

bool dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

struct Pod {
  std::string ns, name, node, phase, created;
  std::vector<std::string> containers;
};

Pod pod_of(const json::value& item) {
  if (!item.is_object()) throw std::runtime_error("pods list: an item is not an object");
  const json::object& o = item.as_object();
  Pod p{text_at(o, {"metadata", "namespace"}), text_at(o, {"metadata", "name"}), text_at(o, {"spec", "nodeName"}),
        text_at(o, {"status", "phase"}), text_at(o, {"metadata", "creationTimestamp"}), {}};
  const json::value* spec = o.if_contains("spec");
  const json::value* cs = spec && spec->is_object() ? spec->as_object().if_contains("containers") : nullptr;
  if (cs && cs->is_array())
    for (const auto& c : cs->as_array())
      if (c.is_object()) {
        std::string name = text_at(c.as_object(), {"name"});
        if (!name.empty()) p.containers.push_back(std::move(name));
      }
  return p;
}

// Every pod the selector picks, following `continue` across pages.
std::vector<Pod> list_pods(ApiClient& client, const PodLogRequest& req, const CancelCheck& cancel) {
  std::string base = req.ns.empty() ? "/api/v1/pods" : "/api/v1/namespaces/" + req.ns + "/pods";
  base += "?limit=" + std::to_string(req.page_size) + "&labelSelector=" + url_encode(req.selector);
  std::vector<Pod> pods;
  std::string cont;
  do {
    cancel.check();
    json::value v;
    try {
      v = json::parse(client.get_all(base + (cont.empty() ? "" : "&continue=" + url_encode(cont))));
    } catch (const HttpError& e) {
      // RBAC says no: not readable here, which must not read as "no pods".
      if (e.status() == 403) throw ks::Unavailable("forbidden", "cannot list pods (403): " + e.message());
      throw;
    }
    if (!v.is_object()) throw std::runtime_error("pods list: not a JSON object");
    const json::value* items = v.as_object().if_contains("items");
    if (items && items->is_array())
      for (const auto& item : items->as_array()) pods.push_back(pod_of(item));
    cont = text_at(v.as_object(), {"metadata", "continue"});
  } while (!cont.empty());
  return pods;
}

struct Log {
  std::string text, error;
  bool truncated = false;
};

// One container's log, at most max_bytes of it whatever the server sends.
// The server is asked for one byte more, so that a log cut at the bound is
// known to be cut (truncated) rather than looking whole.
Log read_log(ApiClient& client, const Pod& p, const std::string& container, uint64_t max_bytes) {
  std::string target = "/api/v1/namespaces/" + p.ns + "/pods/" + p.name + "/log?container=" + url_encode(container) +
                       "&limitBytes=" + std::to_string(max_bytes + 1);
  Log log;
  try {
    auto body = client.get(target, "text/plain, */*");
    char buf[1 << 16];
    while (size_t n = body->read(buf, sizeof buf)) {
      log.text.append(buf, n);
      if (log.text.size() > max_bytes) {
        log.text.resize(max_bytes);
        log.truncated = true;
        break;
      }
    }
  } catch (const std::exception& e) {
    log.text.clear();
    log.error = "pod " + p.ns + "/" + p.name + " container " + container + ": " + e.what();
  }
  return log;
}

}  // namespace

PodLogRequest pod_log_request(const ks::ScanContext& ctx, uint64_t max_bytes, int page_size) {
  const char* usage = "k8s.pod_logs(label_selector[, namespace]), e.g. k8s.pod_logs('app=kube-bench')";
  if (ctx.arg_count() < 1 || !ctx.arg(0).is_text() || (ctx.arg_count() > 1 && !ctx.arg(1).is_text()))
    throw std::runtime_error(std::string("needs text arguments: ") + usage);
  PodLogRequest req;
  req.selector = std::string(ctx.arg(0).text());
  if (ctx.arg_count() > 1) req.ns = std::string(ctx.arg(1).text());
  if (req.selector.empty() || req.selector.size() > 1024 ||
      !std::all_of(req.selector.begin(), req.selector.end(), selector_char))
    throw std::runtime_error("k8s.pod_logs: invalid label selector '" + req.selector + "': " + usage);
  if (!req.ns.empty() && !dns_label(req.ns))
    throw std::runtime_error("k8s.pod_logs: invalid namespace '" + req.ns + "'");
  req.max_bytes = max_bytes;
  req.page_size = page_size;
  return req;
}

std::vector<std::string> pod_log_rows(ApiClient& client, const PodLogRequest& req,
                                      const CancelCheck& cancel) {
  std::vector<std::string> rows;
  for (const Pod& p : list_pods(client, req, cancel)) {
    for (const auto& container : p.containers) {
      cancel.check();
      Log log = read_log(client, p, container, req.max_bytes);
      std::string row;
      {
        ks::JsonWriter w(row, '{', '}');
        w.field("namespace", p.ns).field("pod", p.name).field("container", container);
        for (auto [key, value] : {std::pair{"node", &p.node}, {"phase", &p.phase}, {"created", &p.created}}) {
          if (value->empty()) w.null(key);
          else w.field(key, *value);
        }
        if (log.error.empty()) w.field("log", log.text).null("error");
        else w.null("log").field("error", log.error);
        w.field("truncated", log.truncated);
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace kapi
