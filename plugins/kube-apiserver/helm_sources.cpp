#include "helm_sources.h"

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <functional>

namespace json = boost::json;
namespace ks = kinspect::sdk;

namespace kapi {
namespace {

// At most this many objects a page: a release Secret may be near 1 MiB.
constexpr int kMaxHelmPage = 25;

struct Collection {
  const char* resource;  // "secrets"
  const char* kind;      // items of a List have none: "Secret"
  std::string selector;  // "fieldSelector=..." or "labelSelector=..."
};

// The JSON values of a batch, in order. A row is not always one line: an
// object read from a file is passed on as it was written.
std::vector<json::value> values_of(std::string_view batch) {
  std::vector<json::value> out;
  json::parser p;
  size_t pos = batch.find_first_not_of(" \t\r\n");
  while (pos != std::string_view::npos && pos < batch.size()) {
    p.reset();
    json::error_code ec;
    pos += p.write_some(batch.data() + pos, batch.size() - pos, ec);
    if (ec) throw std::runtime_error("a row of the snapshot is not valid JSON");
    out.push_back(p.release());  // throws when the row is incomplete
    pos = batch.find_first_not_of(" \t\r\n", pos);
  }
  return out;
}

void add_rows(std::vector<std::string>& rows, const HelmHolder& h, const HelmLimits& limits) {
  std::string batch;
  ks::BatchWriter out(batch);
  write_helm_rows(out, h, limits);
  for (const json::value& v : values_of(batch)) rows.push_back(json::serialize(v));
}

// Every page of one LIST, each item handed to `item`.
void list_all(ApiClient& client, const std::string& path, const Collection& c, int page_size,
              const CancelCheck& cancel, const std::function<void(const json::object&)>& item) {
  const std::string base = path + "?limit=" + std::to_string(std::clamp(page_size, 1, kMaxHelmPage)) + "&" + c.selector;
  std::string cont;
  do {
    cancel.check();
    std::string body;
    try {
      body = client.get_all(base + (cont.empty() ? "" : "&continue=" + url_encode(cont)));
    } catch (const HttpError& e) {
      if (e.status() == 403)
        throw ks::Unavailable("forbidden", std::string("cannot list ") + c.resource + " (403) for k8s.helm_release_objects: " +
                                               e.message() + " — see deploy/rbac.yaml");
      if (e.status() == 404) throw ks::Unavailable("not served", "the server does not serve " + path + " (404)");
      throw;
    }
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) throw std::runtime_error("GET " + path + ": the answer is not a JSON object");
    if (const json::value* items = v.as_object().if_contains("items"); items && items->is_array())
      for (const json::value& x : items->as_array())
        if (x.is_object()) item(x.as_object());
    cont.clear();
    if (const json::value* meta = v.as_object().if_contains("metadata"); meta && meta->is_object())
      if (const json::value* k = meta->as_object().if_contains("continue"); k && k->is_string()) cont = k->as_string();
  } while (!cont.empty());
}

// Each row of a scan, parsed; the rows of the last batch too.
void for_each_row(ks::Scan& scan, const std::function<void(const json::object&)>& row) {
  for (bool more = true; more;) {
    std::string batch;
    ks::BatchWriter out(batch);
    more = scan.next(out);
    for (const json::value& v : values_of(batch))
      if (v.is_object()) row(v.as_object());
  }
}

std::vector<std::string> raw_rows(ks::Scan& scan) {
  std::vector<std::string> rows;
  for_each_row(scan, [&](const json::object& o) { rows.push_back(json::serialize(o)); });
  return rows;
}

}  // namespace

std::vector<std::string> helm_rows_live(ApiClient& client, const Scope& scope, int page_size, const CancelCheck& cancel,
                                        const HelmLimits& limits) {
  const Collection kinds[] = {
      {"secrets", "Secret", "fieldSelector=" + url_encode("type=helm.sh/release.v1")},
      {"configmaps", "ConfigMap", "labelSelector=" + url_encode("OWNER=TILLER")},
  };
  std::vector<std::string> rows;
  for (const Collection& c : kinds) {
    // The run's namespaces: one LIST each; excluded ones dropped as read.
    std::vector<std::string> paths;
    for (const auto& ns : scope.namespaces)
      if (scope.admits_namespace(ns)) paths.push_back("/api/v1/namespaces/" + ns + "/" + c.resource);
    if (scope.namespaces.empty()) paths.push_back(std::string("/api/v1/") + c.resource);
    for (const auto& path : paths)
      list_all(client, path, c, page_size, cancel, [&](const json::object& item) {
        json::object o = item;
        if (!o.contains("kind")) o["kind"] = c.kind;
        auto h = helm_holder(o);
        if (h && scope.admits_namespace(h->ns)) add_rows(rows, *h, limits);
      });
  }
  return rows;
}

std::vector<std::string> helm_rows_from_snapshot(Snapshot& snap, const Scope& scope, const CancelCheck& cancel,
                                                 const HelmLimits& limits) {
  // 1. The table as `kinspect snapshot` captured it (decoded live).
  Target own;
  own.table = "k8s.helm_release_objects";
  own.special = Target::kHelmReleases;
  std::string own_why;
  try {
    return raw_rows(*snap.scan(own, cancel, RowOptions{}));
  } catch (const ks::Unavailable& e) {
    own_why = e.what();
  }
  // 2. Release Secrets (and Tiller ConfigMaps) with their data: a
  // `kubectl get secret -o json` dump. Read whole, here only: the rows
  // carry nothing of them but the objects' identities.
  RowOptions ro;
  ro.include_secret_data = true;
  std::vector<std::string> rows;
  size_t withheld = 0;
  auto holder = [&](const json::object& o) {
    auto h = helm_holder(o);
    if (!h || !scope.admits_namespace(h->ns)) return;
    if (!h->value) ++withheld;
    else add_rows(rows, *h, limits);
  };
  Target secrets{"k8s.secrets", "Secret", "v1", "secrets"};
  try {
    for_each_row(*snap.scan(secrets, cancel, ro, false), holder);
  } catch (const ks::Unavailable& e) {
    throw ks::Unavailable("not captured", own_why + "; nor does it hold the Helm release Secrets (" + e.what() + ")");
  }
  Target configmaps{"k8s.configmaps", "ConfigMap", "v1", "configmaps"};
  try {
    for_each_row(*snap.scan(configmaps, cancel, RowOptions{}, false), holder);
  } catch (const ks::Unavailable&) {
    // No ConfigMaps: no Helm 2 releases to read, the Helm 3 ones stand.
  }
  if (withheld)
    throw ks::Unavailable("not captured", own_why + "; the snapshot holds " + std::to_string(withheld) +
                                              " Helm release Secrets without their data (kinspect snapshot withholds "
                                              "Secret values; it captures k8s.helm_release_objects itself when a check "
                                              "reads it, or --table k8s.helm_release_objects)");
  return rows;
}

}  // namespace kapi
