// A test Kubernetes API server over real TLS (Boost.Beast + OpenSSL), for the
// kube-apiserver driver's tests and for the real kubectl. No Beast in this
// header: only test_server.cpp includes it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kapitest {

// PEM files generated at run time with the OpenSSL API.
struct Certs {
  std::string dir;
  std::string ca_pem, ca_file;                  // the cluster CA
  std::string server_cert_file, server_key_file;  // SAN 127.0.0.1, ::1, localhost
  std::string client_cert_pem, client_key_pem, client_cert_file, client_key_file;  // CN=admin, O=system:masters
  std::string expired_cert_pem, expired_key_pem, expired_cert_file, expired_key_file;
  std::string other_ca_pem, other_ca_file;      // a CA that signed nothing here
};
Certs make_certs(const std::string& dir);

struct Request {
  std::string method, target, path, query;
  std::map<std::string, std::string> params;  // decoded query parameters
  std::string user;                           // authenticated user ("" if none)
  std::string accept;
  std::string accept_encoding;
  std::string content_type;
  std::string body;  // of a POST or PATCH
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;      // before the header
  bool chunked = false;  // send the body in chunks of chunk_size
  size_t chunk_size = 4096;
  int chunk_delay_ms = 0;
  size_t cut_after = 0;  // >0: send only this many body bytes, then drop the connection
  // A chunked body written as it is produced (a WATCH stream): `write` sends
  // one chunk (false once the client is gone); returning false drops the
  // connection without ending the body.
  std::function<bool(const std::function<bool(const std::string&)>& write)> stream;
};

// Returns true when it handled the request (fault injection, overrides).
using Hook = std::function<bool(const Request&, Response&)>;

class Server {
 public:
  // plain: serve http:// without TLS (like `kubectl proxy`).
  explicit Server(const Certs& certs, bool plain = false);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  std::string url() const { return (plain_ ? "http://127.0.0.1:" : "https://127.0.0.1:") + std::to_string(port_); }

  // Authentication. A verified client certificate (CN) always works.
  void add_token(const std::string& token, const std::string& user) { tokens_[token] = user; }
  void add_basic(const std::string& user, const std::string& password) { basic_[user] = password; }
  void allow_anonymous(bool v) { anonymous_ = v; }

  // A collection served with LIST, limit and continue. Items are stored
  // without apiVersion/kind, as a real LIST returns them.
  void add_collection(const std::string& path, const std::string& list_kind, const std::string& api_version,
                      const std::vector<std::string>& items_json);
  // Loads a List JSON file and serves it at `path` (and per-namespace paths).
  void add_collection_file(const std::string& path, const std::string& file);
  // A container's log, served at GET /api/v1/namespaces/NS/pods/POD/log
  // (query: container, required when the pod has several; limitBytes) as
  // text/plain. The pod itself (GET .../pods/POD, as `kubectl logs` asks
  // first) is served from the /api/v1/pods collection.
  void add_pod_log(const std::string& ns, const std::string& pod, const std::string& container, const std::string& log);
  void set_version_json(const std::string& v) { version_ = v; }
  void set_groups_json(const std::string& v) { groups_ = v; }
  void set_readyz(const std::string& text, int status) { readyz_ = text; readyz_status_ = status; }
  // GET /metrics: by default the deprecated-API family with no samples, as a
  // server whose clients call no deprecated API serves it.
  void set_metrics(const std::string& text, int status = 200) { metrics_ = text; metrics_status_ = status; }
  // All list bodies chunked (chunk size, delay between chunks).
  void set_chunked_lists(size_t chunk, int delay_ms) { list_chunk_ = chunk; list_chunk_delay_ = delay_ms; }

  // Failing servers. Every request answered with `status` (429, 500, 503
  // ...), with a Retry-After header when `retry_after` is not empty.
  void fail_every_request(int status, const std::string& retry_after = "");
  // Every body sent `bytes` at a time, `delay_ms` apart: a server that
  // drips its answer to keep a client waiting.
  void drip(size_t bytes, int delay_ms) { drip_bytes_ = bytes; drip_delay_ms_ = delay_ms; }

  // gzip bodies when the client accepts it (only with zlib; see gzip_supported()).
  void set_gzip(bool v) { gzip_ = v; }
  static bool gzip_supported();
  size_t gzipped() const { return gzipped_; }
  // LISTs answered as PartialObjectMetadataList (asked for with Accept).
  size_t metadata_lists() const { return metadata_lists_; }

  // Changes to a collection's objects, as watch events (ADDED, MODIFIED,
  // DELETED) with the cluster's resourceVersion bumped each time; LISTs see
  // them too. put_object adds or replaces by namespace and name.
  void put_object(const std::string& path, const std::string& object_json);
  void delete_object(const std::string& path, const std::string& ns, const std::string& name);
  // The current resourceVersion (the one a LIST reports now).
  uint64_t resource_version() const;
  // Watches from a resourceVersion older than the current one are answered
  // 410 Gone from now on, as after etcd compaction: as an ERROR event in a
  // 200 stream (what kube-apiserver sends), or with `as_status`, as HTTP 410.
  void expire_history(bool as_status = false);
  // Cuts every open watch stream mid-body (a dropped connection).
  void drop_watches();
  // BOOKMARK events every `ms` of quiet on streams that allow them (0: none).
  void set_bookmark_interval(int ms) { bookmark_ms_ = ms; }
  // From the request log: GETs of exactly `path` (no namespace narrowing
  // unless `path` has it) without watch, and with it.
  size_t lists(const std::string& path) const;
  size_t watches(const std::string& path) const;
  // The resourceVersion each WATCH of `path` started from, in order.
  std::vector<std::string> watch_versions(const std::string& path) const;
  // Watch streams open now.
  size_t open_watches() const { return open_watches_; }

  // Writes, as far as write-back needs them: POST into a collection (409
  // when the name exists), GET of one object by name, and PATCH of one
  // object or its /status, as a JSON merge patch or a strategic merge patch
  // (which merges status.conditions by type, as the API server does for
  // Node). Only users given here may write; others get 403, as RBAC
  // answers a read-only role. Writes are changes like put_object's.
  void allow_writes(const std::string& user) { writers_.push_back(user); }
  size_t writes() const;  // POST and PATCH requests answered 2xx

  // Hooks run first, in order.
  void hook(Hook h);

  // "GET /api/v1/nodes?limit=500 user=admin" per request.
  std::vector<std::string> log() const;
  size_t count(const std::string& path_prefix) const;
  size_t connections() const { return connections_; }

 private:
  struct Impl;
  friend struct Impl;
  bool route(const Request& r, Response& out);
  bool route_request(const Request& r, Response& out);
  bool route_pod(const Request& r, Response& out);
  bool route_object(const Request& r, Response& out);
  bool write_object(const Request& r, const std::string& collection, const std::string& ns, const std::string& name,
                    bool status, Response& out);
  struct Collection;
  bool route_watch(const Request& r, const std::string& path, const std::string& ns, Response& out);
  void record(const std::string& path, const std::string& type, const std::string& object_json, Collection& c);
  std::atomic<size_t> drip_bytes_{0};
  std::atomic<int> drip_delay_ms_{0};
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  bool plain_ = false;
  std::map<std::string, std::string> tokens_, basic_;
  bool anonymous_ = false;
  std::vector<std::string> writers_;
  std::atomic<size_t> writes_{0};
  struct Event {
    uint64_t rv;
    std::string type, object, ns;  // object with apiVersion and kind, as a watch sends it
  };
  struct Collection {
    std::string list_kind, api_version;
    std::vector<std::string> items;
    std::vector<std::string> namespaces;
    std::vector<Event> events;
  };
  std::map<std::string, Collection> collections_;
  std::map<std::string, std::map<std::string, std::string>> pod_logs_;  // "ns/pod" -> container -> log
  std::string version_, groups_;
  std::string readyz_;
  int readyz_status_ = 200;
  std::string metrics_ =
      "# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out "
      "by API group, version, resource, subresource, and removed_release.\n"
      "# TYPE apiserver_requested_deprecated_apis gauge\n";
  int metrics_status_ = 200;
  size_t list_chunk_ = 0;
  int list_chunk_delay_ = 0;
  bool gzip_ = false;
  std::atomic<size_t> gzipped_{0};
  std::atomic<size_t> metadata_lists_{0};
  std::vector<Hook> hooks_;
  uint64_t rv_ = 12345;      // under mu_
  uint64_t oldest_rv_ = 0;   // watches from before this are 410 Gone
  bool gone_as_status_ = false;
  uint64_t drops_ = 0;       // drop_watches() calls
  std::condition_variable changed_;
  std::atomic<int> bookmark_ms_{0};
  std::atomic<size_t> open_watches_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<std::string> log_;
  std::atomic<size_t> connections_{0};
};

// An HTTP CONNECT proxy on 127.0.0.1 (for proxy-url), counting tunnels.
class ConnectProxy {
 public:
  ConnectProxy();
  ~ConnectProxy();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  size_t tunnels() const { return tunnels_; }
  std::vector<std::string> targets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<size_t> tunnels_{0};
  mutable std::mutex mu_;
  std::vector<std::string> targets_;
};

// Writes a kubeconfig; `user_yaml` is the body of the user entry, indented 4.
std::string write_kubeconfig(const std::string& path, const std::string& server, const std::string& cluster_yaml,
                             const std::string& user_yaml, const std::string& context = "test");

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
std::string base64(const std::string& s);
// A fresh empty directory under the test's temp dir.
std::string temp_dir(const std::string& name);

}  // namespace kapitest
