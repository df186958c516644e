// kube-apiserver data driver: Kubernetes objects as k8s.* tables, from a live
// cluster (as kubectl connects to it) or from a snapshot.
#include "catalog.h"
#include "connection.h"
#include "helm_sources.h"
#include "http_client.h"
#include "kubeconfig.h"
#include "objects.h"
#include "pod_logs.h"
#include "rows.h"
#include "scope.h"
#include "snapshot.h"
#include "splitter.h"
#include "watch.h"

#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <unordered_set>

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace kapi {
namespace {

// An exec credential plugin's answer, as shared between the workers of a run
// (ABI 1.2 share/adopt): the token, certificate and key never leave memory.
json::object exec_outcome_to_json(const ApiClient::ExecOutcome& o) {
  json::object j;
  if (!o.error.empty()) j["error"] = o.error;
  if (!o.credential) return j;
  j["token"] = o.credential->token;
  j["cert"] = o.credential->cert_pem;
  j["key"] = o.credential->key_pem;
  if (o.credential->expires)
    j["expires"] = std::chrono::duration_cast<std::chrono::seconds>(o.credential->expires->time_since_epoch()).count();
  return j;
}

ApiClient::ExecOutcome exec_outcome_from_json(const json::object& j) {
  ApiClient::ExecOutcome o;
  auto text = [&](const char* key) { return j.contains(key) ? json::value_to<std::string>(j.at(key)) : std::string(); };
  o.error = text("error");
  if (!j.contains("token") && !j.contains("cert")) return o;
  ExecCredential c{text("token"), text("cert"), text("key"), std::nullopt};
  if (const auto* e = j.if_contains("expires"))
    c.expires = std::chrono::system_clock::time_point(std::chrono::seconds(e->to_number<int64_t>()));
  o.credential = std::move(c);
  return o;
}

constexpr const char* kNoCluster = "no cluster: pass --kubeconfig, set KUBECONFIG, or --snapshot";

struct Config {
  std::string kubeconfig, context, snapshot;
  double qps = 20;
  int burst = 40;
  int timeout_seconds = 30;
  bool consistent_read = false;
  bool include_secret_data = false;
  bool discover = false;
  bool watch = false;  // keep tables current with WATCH (the daemon, for live clusters)
  WatchOptions watch_options;
  double watch_forget_seconds = 3600;
  int page_size = 500;
  int max_retries = 5;
  int exec_timeout_seconds = 30;
  ReadLimits limits;
  uint64_t max_response_bytes = 4ull << 30;
  double backoff_base_seconds = 0.5;
  uint64_t pod_log_max_bytes = kDefaultPodLogMaxBytes;
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  Scope scope;  // namespaces, exclude_namespaces, label_selector
};

bool namespace_ok(std::string_view v);

// A list of namespaces: a JSON array of names, or one text of comma-separated
// names (as --set kube-apiserver.namespaces=a,b gives it).
std::vector<std::string> namespace_list(const json::value& x, const std::string& key) {
  std::vector<std::string> out;
  auto add = [&](std::string_view n) {
    std::string name(n);
    if (name.empty()) return;
    if (!namespace_ok(name))
      throw std::runtime_error("kube-apiserver config: '" + key + "': '" + name + "' is not a namespace name");
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  if (x.is_string()) {
    std::string_view t = x.as_string();
    for (size_t start = 0; start <= t.size();) {
      size_t comma = std::min(t.find(',', start), t.size());
      add(t.substr(start, comma - start));
      start = comma + 1;
    }
  } else if (x.is_array()) {
    for (const auto& v : x.as_array()) {
      if (!v.is_string()) throw std::runtime_error("kube-apiserver config: '" + key + "' must be a list of names");
      add(v.as_string());
    }
  } else if (!x.is_null()) {
    throw std::runtime_error("kube-apiserver config: '" + key + "' must be a list of names");
  }
  return out;
}

Config parse_config(std::string_view text, const ks::Host& host) {
  Config c;
  json::value v;
  try {
    v = json::parse(text.empty() ? std::string_view("{}") : text);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("kube-apiserver config: invalid JSON: ") + e.what());
  }
  if (!v.is_object()) throw std::runtime_error("kube-apiserver config: expected a JSON object");
  for (auto& kv : v.as_object()) {
    std::string k(kv.key());
    const json::value& x = kv.value();
    auto bad = [&](const char* want) {
      throw std::runtime_error("kube-apiserver config: '" + k + "' must be " + want);
    };
    auto str = [&](std::string& into) {
      if (x.is_null()) return;
      if (!x.is_string()) bad("a string");
      into = std::string(x.as_string());
    };
    auto num = [&]() -> double {
      if (x.is_int64()) return double(x.as_int64());
      if (x.is_uint64()) return double(x.as_uint64());
      if (x.is_double()) return x.as_double();
      bad("a number");
      return 0.0;
    };
    auto bytes = [&](double d) -> uint64_t {
      if (d < 1 || d > 1e18) bad("a positive number");
      return static_cast<uint64_t>(d);
    };
    auto boolean = [&]() -> bool {
      if (!x.is_bool()) {
        bad("true or false");
        return false;
      }
      return x.as_bool();
    };
    if (k == "kubeconfig") str(c.kubeconfig);
    else if (k == "context") str(c.context);
    else if (k == "snapshot") str(c.snapshot);
    else if (k == "service_account_dir") str(c.service_account_dir);
    else if (k == "qps") c.qps = num();
    else if (k == "burst") c.burst = int(num());
    else if (k == "timeout_seconds") c.timeout_seconds = int(num());
    else if (k == "page_size") c.page_size = int(num());
    else if (k == "max_retries") c.max_retries = int(num());
    else if (k == "exec_timeout_seconds") c.exec_timeout_seconds = int(num());
    else if (k == "max_member_bytes") c.limits.max_member_bytes = bytes(num());
    else if (k == "max_snapshot_bytes") c.limits.max_snapshot_bytes = bytes(num());
    else if (k == "max_compression_ratio") c.limits.max_compression_ratio = bytes(num());
    else if (k == "max_response_bytes") c.max_response_bytes = bytes(num());
    else if (k == "pod_log_max_bytes") c.pod_log_max_bytes = bytes(num());
    else if (k == "backoff_base_seconds") c.backoff_base_seconds = num();
    else if (k == "consistent_read") c.consistent_read = boolean();
    else if (k == "include_secret_data") c.include_secret_data = boolean();
    else if (k == "discover") c.discover = boolean();
    else if (k == "watch") c.watch = boolean();
    else if (k == "watch_timeout_seconds") c.watch_options.timeout_seconds = std::clamp(int(num()), 1, 3600);
    else if (k == "watch_stale_seconds") c.watch_options.stale_seconds = std::max(0.0, num());
    else if (k == "watch_forget_seconds") c.watch_forget_seconds = std::max(1.0, num());
    else if (k == "namespaces") c.scope.namespaces = namespace_list(x, k);
    else if (k == "exclude_namespaces") c.scope.exclude = namespace_list(x, k);
    else if (k == "label_selector") {
      str(c.scope.selector);
      try {
        c.scope.requirements = parse_label_selector(c.scope.selector);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error("kube-apiserver config: 'label_selector': " + std::string(e.what()));
      }
    }
    else host.warn("kube-apiserver config: unknown key '" + k + "' ignored");
  }
  if (c.page_size < 1) c.page_size = 500;
  c.watch_options.backoff_base_seconds = c.backoff_base_seconds;
  return c;
}

// A resource to LIST live.
struct ListTarget {
  std::string table;
  std::string path;     // "/api/v1/pods"
  std::string resource; // "pods"
  std::string ns;       // namespace the LIST is narrowed to
  std::string kind, api_version;  // fallbacks for items
  std::string selectors;  // "&fieldSelector=...&labelSelector=..." or ""
  // k8s.objects: members added to each row (object_members()), and a
  // resource the server lists in discovery but will not list now (404, 405,
  // 503 of a broken aggregated API) or not to this role (403: custom
  // resources are opt-in in deploy/rbac.yaml) is skipped with a warning
  // naming it, not fatal.
  std::string members;
  bool skip_if_unlistable = false;
};

// What the query's constraints let the LISTs ask for. The host re-applies
// every constraint, so what cannot be said here is simply not narrowed.
struct Narrowing {
  std::vector<std::string> namespaces;  // one LIST each; empty: one LIST of all
  std::vector<std::string> fields;      // fieldSelector requirements
  std::vector<std::string> labels;      // labelSelector requirements
  bool none = false;                    // the scope leaves no namespace to list
  std::string selectors() const;        // "&fieldSelector=...&labelSelector=..." or ""
};

// More namespaces than this and one LIST of all is cheaper than many.
constexpr size_t kMaxNamespaceLists = 8;

// Whether `s` has 1..max characters, alphanumeric at both ends (lower case
// only if `lower`) and alphanumeric or one of `inner` between: the shape of
// Kubernetes names. A value of another shape is not pushed, so the server
// never refuses a selector the query did not ask for.
bool name_shaped(std::string_view s, size_t max, std::string_view inner, bool lower) {
  auto alnum = [&](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || std::islower(static_cast<unsigned char>(c)) ||
           (!lower && std::isupper(static_cast<unsigned char>(c)));
  };
  if (s.empty() || s.size() > max || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || inner.find(c) != std::string_view::npos; });
}
// A namespace name (a DNS label).
bool namespace_ok(std::string_view v) { return name_shaped(v, 63, "-", true); }
// A label value (empty ones are not pushed).
bool label_value_ok(std::string_view v) { return name_shaped(v, 63, "-_.", false); }
// A label key: [DNS subdomain prefix "/"] name.
bool label_key_ok(std::string_view k) {
  size_t slash = k.find('/');
  if (slash == std::string_view::npos) return label_value_ok(k);
  return name_shaped(k.substr(0, slash), 253, "-.", true) && label_value_ok(k.substr(slash + 1));
}
// A fieldSelector value without the characters its syntax gives a meaning.
bool field_value_ok(std::string_view v) { return name_shaped(v, 253, "-_.:", false); }

std::string joined(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// `metadata.labels.<key>` constraints as a labelSelector's requirements.
std::vector<std::string> label_requirements(const ks::ScanContext& ctx) {
  constexpr std::string_view kLabels = "metadata.labels.";
  std::vector<std::string> out;
  for (std::string_view path : ctx.text_constrained_paths()) {
    if (path.substr(0, kLabels.size()) != kLabels || !label_key_ok(path.substr(kLabels.size()))) continue;
    std::vector<std::string_view> values = ctx.one_of(path);
    if (!std::all_of(values.begin(), values.end(), label_value_ok)) continue;
    std::vector<std::string> v(values.begin(), values.end());
    std::string key(path.substr(kLabels.size()));
    out.push_back(v.size() == 1 ? key + "=" + v[0] : key + " in (" + joined(v, ",") + ")");
  }
  return out;
}

Narrowing narrowing(const ks::ScanContext& ctx, bool namespaced, std::string_view resource) {
  Narrowing n;
  std::vector<std::string_view> ns = ctx.one_of("metadata.namespace");
  if (namespaced && ns.size() <= kMaxNamespaceLists && std::all_of(ns.begin(), ns.end(), namespace_ok))
    n.namespaces.assign(ns.begin(), ns.end());
  // fieldSelector has no IN: only single values are sent.
  std::vector<std::string> fields;
  for (const char* path : {"metadata.name", "spec.nodeName"}) {
    if (std::string_view(path) == "spec.nodeName" && resource != "pods") continue;
    std::vector<std::string_view> v = ctx.one_of(path);
    if (v.size() == 1 && field_value_ok(v[0])) fields.push_back(std::string(path) + "=" + std::string(v[0]));
  }
  n.fields = std::move(fields);
  n.labels = label_requirements(ctx);
  return n;
}

std::string Narrowing::selectors() const {
  std::string out;
  if (!fields.empty()) out += "&fieldSelector=" + url_encode(joined(fields, ","));
  if (!labels.empty()) out += "&labelSelector=" + url_encode(joined(labels, ","));
  return out;
}

// The run's scope on a namespaced resource's LISTs: one per namespace of
// the scope (those the query asks for too), excluded namespaces dropped or
// refused with fieldSelector metadata.namespace!=X, and the scope's label
// selector added to the query's.
void apply_scope(const Scope& scope, Narrowing& n) {
  const bool narrowed = !n.namespaces.empty() || !scope.namespaces.empty();
  if (n.namespaces.empty()) n.namespaces = scope.namespaces;
  std::erase_if(n.namespaces, [&](const std::string& ns) { return !scope.admits_namespace(ns); });
  if (narrowed && n.namespaces.empty()) n.none = true;
  if (n.namespaces.empty())
    for (const auto& ns : scope.exclude) n.fields.push_back("metadata.namespace!=" + ns);
  if (!scope.selector.empty()) n.labels.push_back(scope.selector);
}

std::string scope_desc(const ListTarget& t) {
  return t.ns.empty() ? "at the cluster scope" : "in namespace " + t.ns;
}

[[noreturn]] void rethrow_http(const HttpError& e, const ListTarget& t, const Connection& c) {
  int s = e.status();
  std::string m = e.message();
  if (s == 403)
    throw ks::Unavailable("forbidden", "cannot list " + t.resource + " " + scope_desc(t) + " (403): " + m +
                                           " — see deploy/rbac.yaml for the read-only role kinspect needs");
  // The same words for every table, so the run reports it once.
  if (s == 401)
    throw std::runtime_error("unauthorized (401): the credentials of user '" + c.user_name + "' (" + c.origin +
                             ") were rejected: " + m);
  throw std::runtime_error("listing " + t.resource + " " + scope_desc(t) + " failed: HTTP " + std::to_string(s) + ": " + m);
}

// The objects a LIST produced, as 64-bit hashes of their uids (about 1 MB
// for 150,000): asked only when the LIST is read again (a page after a
// dropped connection, or from scratch after 410 Gone), so they are appended
// while reading and sorted once when reading again starts.
class SeenObjects {
 public:
  void add(uint64_t hash) { hashes_.push_back(hash); }
  // Reading again starts: `contains` answers for everything added so far.
  void seal() {
    std::sort(hashes_.begin(), hashes_.end());
    hashes_.erase(std::unique(hashes_.begin(), hashes_.end()), hashes_.end());
    sealed_ = hashes_.size();
  }
  bool contains(uint64_t hash) const {
    return std::binary_search(hashes_.begin(), hashes_.begin() + static_cast<std::ptrdiff_t>(sealed_), hash);
  }
  size_t size() const { return hashes_.size(); }
  void clear() {
    hashes_.clear();
    sealed_ = 0;
  }

 private:
  std::vector<uint64_t> hashes_;
  size_t sealed_ = 0;  // hashes_[0, sealed_) are sorted
};

class ListScan : public ks::Scan {
 public:
  // With `capture`, rows go there instead of to the batch (a watched
  // table's LIST), and objects come whole, as watch events bring them.
  ListScan(ApiClient& client, std::vector<ListTarget> targets, const Config& cfg, const ks::Host& host,
           CancelCheck cancel, RowOptions opts, ListCapture* capture = nullptr)
      : client_(client), targets_(std::move(targets)), t_(targets_.front()), cfg_(cfg), host_(host), cancel_(cancel),
        opts_(std::move(opts)), buf_(64 * 1024), capture_(capture) {
    // A query that reads only metadata gets PartialObjectMetadata from the
    // server: no spec/status (nor Secret values) cross the network.
    metadata_only_ = !capture_ && opts_.metadata_only() && !t_.kind.empty() && !t_.api_version.empty();
  }

  // The resourceVersion of the last page read (a paged LIST is one version).
  const std::string& resource_version() const { return resource_version_; }

  bool next(ks::BatchWriter& out) override {
    cancel_.check();
    while (!out.full()) {
      if (!body_) {
        if (done_ && !next_target()) return false;
        if (!open_page()) return false;
      }
      size_t n = 0;
      try {
        n = body_->read(buf_.data(), buf_.size());
      } catch (const UnretryableError&) {
        throw;  // too slow or too big: it would be again
      } catch (const std::exception& e) {
        // The connection dropped mid-page: read the page again (same
        // continue token), skipping the objects already produced.
        if (++body_retries_ > cfg_.max_retries) throw;
        host_.log(KI_LOG_WARNING, "kube-apiserver",
                  std::string(e.what()) + "; reading the page of " + t_.resource + " again");
        body_.reset();
        relisted_ = true;
        seen_.seal();
        continue;
      }
      if (n == 0) {
        splitter_->finish(sink(out));
        body_.reset();
        resource_version_ = list_meta("resourceVersion");
        std::string cont = list_meta("continue");
        if (cont.empty()) {
          done_ = true;
          if (!next_target()) return false;
          continue;
        }
        continue_ = cont;
        continue;
      }
      splitter_->feed(buf_.data(), n, sink(out));
      if (!next_page_asked_ && splitter_->root_metadata_read()) ask_next_page();
    }
    return true;
  }

 private:
  ListSplitter::Sink sink(ks::BatchWriter& out) {
    return [this, &out](const SplitItem& it) {
      if (relisted_ || track_uids_) {
        if (!it.uid.empty()) {
          // 64-bit hashes of uids: ~6 MB for 150,000 objects.
          uint64_t h = std::hash<std::string_view>()(it.uid);
          if (relisted_ && seen_.contains(h)) return;
          if (track_uids_) seen_.add(h);
        }
      }
      if (capture_) {
        std::string row;
        ks::BatchWriter w(row);
        write_item(w, it, identify(it, t_.kind, t_.api_version), opts_);
        capture_->add(it.uid, std::move(row));
        return;
      }
      // PartialObjectMetadata items: give them their real identity.
      ItemIdentity id = metadata_only_ ? ItemIdentity{t_.kind, t_.api_version} : identify(it, t_.kind, t_.api_version);
      if (t_.members.empty()) write_item(out, it, id, opts_, metadata_only_);
      else write_item_with(out, it, id, opts_, t_.members, metadata_only_);
    };
  }

  // A member of the List's metadata ("continue", "resourceVersion").
  std::string list_meta(const char* key) const {
    const std::string& meta = splitter_->root_metadata();
    if (meta.empty()) return {};
    try {
      auto v = json::parse(meta);
      if (auto* c = v.as_object().if_contains(key); c && c->is_string()) return std::string(c->as_string());
    } catch (...) {
    }
    return {};
  }

  // As soon as this page's continue token is known, the next page is asked
  // for on a second connection: the server builds it while this one is
  // read, instead of after (open_page() takes its answer).
  void ask_next_page() {
    next_page_asked_ = true;
    const std::string cont = list_meta("continue");
    if (!cont.empty()) next_page_ = client_.send_get(page_target(cont), accept());
  }

  std::string page_target(const std::string& cont) const {
    return t_.path + "?limit=" + std::to_string(cfg_.page_size) + t_.selectors + "&continue=" + url_encode(cont);
  }

  std::string accept() const {
    return metadata_only_ ? "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
                          : "application/json";
  }

  // The next namespace's LIST, from its first page; false after the last.
  bool next_target() {
    if (++target_index_ >= targets_.size()) return false;
    t_ = targets_[target_index_];
    continue_.clear();
    done_ = relisted_ = track_uids_ = false;
    relists_ = pages_ = 0;
    seen_.clear();
    return true;
  }

  std::string first_page() const {
    std::string target = t_.path + "?limit=" + std::to_string(cfg_.page_size) + t_.selectors;
    if (!cfg_.consistent_read) target += "&resourceVersion=0";
    return target;
  }

  bool open_page() {
    std::string target = continue_.empty() ? first_page() : page_target(continue_);
    // Asked for ahead, unless this page is read again or the LIST relisted.
    auto asked = std::move(next_page_);
    next_page_asked_ = false;
    if (asked && asked->target() != target) asked.reset();
    for (;;) {
      try {
        body_ = asked ? client_.get(std::move(asked)) : client_.get(target, accept());
        break;
      } catch (const HttpError& e) {
        if (e.status() == 410 && !continue_.empty() && relists_ < 3) {
          ++relists_;
          host_.log(KI_LOG_WARNING, "kube-apiserver",
                    "continue token for " + t_.resource + " expired (410 Gone); relisting from scratch, skipping the " +
                        std::to_string(seen_.size()) + " objects already read");
          relisted_ = true;
          seen_.seal();
          continue_.clear();
          target = first_page();
          if (capture_) {
            // A watched table starts over: its rows must all be of one version.
            capture_->reset();
            relisted_ = false;
          }
          continue;
        }
        // Not served is not empty: the checks on it are "not checked". A
        // 404 on the first page says the server has no such collection,
        // whether the table is well known or came from discovery.
        if (t_.skip_if_unlistable && continue_.empty() && pages_ == 0 &&
            (e.status() == 403 || e.status() == 404 || e.status() == 405 || e.status() == 503)) {
          host_.warn("k8s.objects: skipping " + t_.resource + " (" + t_.api_version + "): GET " + t_.path +
                     " answered " + std::to_string(e.status()) + "; its objects are not among the rows" +
                     (e.status() == 403 ? " (deploy/rbac.yaml: the OPT-IN rule for custom resources grants it)" : ""));
          if (!next_target()) return false;
          target = first_page();
          continue;
        }
        if (e.status() == 404 && continue_.empty() && pages_ == 0)
          throw ks::Unavailable("not served", "the server does not serve " + t_.path + " (404)");
        rethrow_http(e, t_, client_.connection());
      }
    }
    ++pages_;
    // After the first page we know whether more pages follow; uids are only
    // tracked when they do (to survive a 410 relist without duplicates).
    splitter_ = std::make_unique<ListSplitter>(t_.resource + " (GET " + t_.path + ")");
    splitter_->skip_unread_strings(opts_.read_paths);
    track_uids_ = true;
    return true;
  }

  ApiClient& client_;
  std::vector<ListTarget> targets_;  // one per namespace asked for, in order
  size_t target_index_ = 0;
  ListTarget t_;
  const Config& cfg_;
  const ks::Host& host_;
  CancelCheck cancel_;
  RowOptions opts_;
  std::vector<char> buf_;
  std::unique_ptr<BodyReader> body_;
  int body_retries_ = 0;
  bool metadata_only_ = false;
  std::unique_ptr<ListSplitter> splitter_;
  std::unique_ptr<PendingGet> next_page_;  // the next page, asked for ahead
  bool next_page_asked_ = false;
  std::string continue_;
  bool done_ = false;
  bool relisted_ = false;
  bool track_uids_ = false;
  int relists_ = 0;
  int pages_ = 0;
  SeenObjects seen_;
  ListCapture* capture_ = nullptr;
  std::string resource_version_;
};

// A watched table's rows, as of the moment the scan began.
class SnapshotRows final : public ks::Scan {
 public:
  explicit SnapshotRows(std::vector<RowPtr> rows) : rows_(std::move(rows)) {}
  bool next(ks::BatchWriter& out) override {
    while (next_ < rows_.size() && !out.full()) out.raw_row(*rows_[next_++]);
    return next_ < rows_.size();
  }

 private:
  std::vector<RowPtr> rows_;
  size_t next_ = 0;
};

// Rows already read, handed over a batch at a time.
class PreparedRows final : public ks::Scan {
 public:
  explicit PreparedRows(std::vector<std::string> rows) : rows_(std::move(rows)) {}
  bool next(ks::BatchWriter& out) override {
    while (next_ < rows_.size() && !out.full()) {
      out.raw_row(rows_[next_]);
      std::string().swap(rows_[next_++]);
    }
    return next_ < rows_.size();
  }

 private:
  std::vector<std::string> rows_;
  size_t next_ = 0;
};

struct Discovered {
  std::string group, version, resource, kind, singular;
  bool namespaced = false;
  bool preferred = false;
  json::value verbs, short_names, categories;
  std::string group_version() const { return group.empty() ? version : group + "/" + version; }
};

class KubeApiserver : public ks::Plugin {
 public:
  KubeApiserver(const ks::Host& host, std::string_view config) : host_(host), cfg_(parse_config(config, host)) {
    if (!cfg_.snapshot.empty()) {
      RowOptions ro;
      ro.include_secret_data = cfg_.include_secret_data;
      snap_ = std::make_unique<Snapshot>(cfg_.snapshot, ro, host_, cfg_.limits);
      snap_->set_scope(cfg_.scope);
    }
  }

  std::vector<ks::SettingSpec> settings() const override {
    using T = ks::Type;
    return {
        {"kubeconfig", T::Text, "null", "kubeconfig file(s), ':'-separated (--kubeconfig)"},
        {"context", T::Text, "null", "kubeconfig context (--context)"},
        {"snapshot", T::Text, "null", "read this snapshot instead of a live server (--snapshot)"},
        {"qps", T::Real, "20", "API requests per second, like client-go (--qps)"},
        {"burst", T::Integer, "40", "request burst (--burst)"},
        {"timeout_seconds", T::Real, "30", "seconds per request (--request-timeout)"},
        {"page_size", T::Integer, "500", "objects per LIST page"},
        {"max_retries", T::Integer, "5", "retries of a request on 429, 5xx or a dropped connection"},
        {"backoff_base_seconds", T::Real, "0.5", "first retry delay; doubles each retry"},
        {"consistent_read", T::Boolean, "false", "read from etcd, not the watch cache (--consistent-read)"},
        {"include_secret_data", T::Boolean, "false", "read Secret values too (--include-secret-data)"},
        {"discover", T::Boolean, "false", "declare a table for every served resource (CRDs included)"},
        {"watch", T::Boolean, "false",
         "keep each table read current with WATCH after its first LIST (kinspect serve sets it for live clusters)"},
        {"watch_timeout_seconds", T::Integer, "300", "timeoutSeconds of each WATCH request; the watch then resumes"},
        {"watch_stale_seconds", T::Real, "10", "a watch broken this long is not served: the scan LISTs instead"},
        {"watch_forget_seconds", T::Real, "3600", "a watched table no scan read for this long is dropped"},
        {"pod_log_max_bytes", T::Integer, "16777216", "the most bytes k8s.pod_logs reads of one container's log"},
        {"namespaces", T::Json, "[]",
         "read namespaced objects of these namespaces only, one LIST each (-n/--namespace); [] : all"},
        {"exclude_namespaces", T::Json, "[]",
         "leave out these namespaces' objects (--exclude-namespace): fieldSelector metadata.namespace!=NAME"},
        {"label_selector", T::Text, "\"\"",
         "read only namespaced objects with these labels, as labelSelector= (-l/--selector)"},
        {"service_account_dir", T::Text, "\"/var/run/secrets/kubernetes.io/serviceaccount\"",
         "where the in-cluster token and CA are"},
    };
  }

  std::vector<ks::TableSpec> tables() const override {
    std::vector<ks::TableSpec> v;
    for (const auto& r : well_known()) {
      ks::TableSpec t{r.table, r.doc + (r.namespaced ? " Namespaced." : " Cluster-scoped."), r.columns, {}, {}};
      t.examples.push_back("SELECT metadata.name FROM " + r.table);
      // The aggregated metrics API is not in the Kubernetes OpenAPI schema
      // the host checks paths against: its tables are left unchecked.
      if (r.group != "metrics.k8s.io") t.row_kind = r.group_version() + "/" + r.kind;
      v.push_back(std::move(t));
    }
    for (auto& s : special_tables()) v.push_back(std::move(s));
    std::unordered_set<std::string> names;
    for (const auto& t : v) names.insert(t.name);
    if (snap_) {
      for (const auto& t : snap_->manifest_tables())
        if (names.insert(t).second) {
          v.push_back({t, "Objects of " + t + " from the snapshot's manifest.", generic_columns(), {}, {}});
          v.back().open_columns = true;
        }
    } else if (cfg_.discover) {
      try {
        const_cast<KubeApiserver*>(this)->discover();
        for (const auto& d : discovered_) {
          std::string t = "k8s." + d.resource;
          if (!d.preferred || !names.insert(t).second) continue;
          v.push_back({t, d.kind + " (" + d.group_version() + "), discovered.", generic_columns(), {}, {}});
          v.back().open_columns = true;
        }
      } catch (const std::exception& e) {
        host_.warn(std::string("discovery failed: ") + e.what());
      }
    }
    return v;
  }

  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override {
    std::string table(ctx.table());
    if (table == "k8s.pod_logs") return pod_logs_scan(ctx);
    if (table == "k8s.connection") return connection_scan();
    if (table == "k8s.helm_release_objects") return helm_scan(ctx);
    if (table == "k8s.objects") return objects_scan(ctx);
    if (table == "k8s.workloads") return workloads(ctx);
    Target t;
    t.table = table;
    if (table == "k8s.version") t.special = Target::kVersion;
    else if (table == "k8s.readyz") t.special = Target::kReadyz;
    else if (table == "k8s.livez") t.special = Target::kLivez;
    else if (table == "k8s.api_resources") t.special = Target::kApiResources;
    else if (table == "k8s.deprecated_api_requests") t.special = Target::kDeprecatedApis;
    else if (table == "k8s.resource") {
      if (ctx.arg_count() < 2 || !ctx.arg(0).is_text() || !ctx.arg(1).is_text())
        throw std::runtime_error("k8s.resource(group_version, resource) needs two text arguments, e.g. k8s.resource('apps/v1', 'deployments')");
      t.group_version = std::string(ctx.arg(0).text());
      t.resource = std::string(ctx.arg(1).text());
      if (t.group_version.empty() || t.resource.empty() || t.resource.find('/') != std::string::npos ||
          t.group_version.find("..") != std::string::npos)
        throw std::runtime_error("k8s.resource: invalid arguments '" + t.group_version + "', '" + t.resource + "'");
      // A well-known resource through the generic function behaves the same.
      for (const auto& r : well_known())
        if (r.resource == t.resource && r.group_version() == t.group_version) t.kind = r.kind;
    } else if (const Resource* r = find_by_table(table)) {
      t.kind = r->kind;
      t.resource = r->resource;
      t.group_version = r->group_version();
    } else if (table.rfind("k8s.", 0) == 0) {
      t.resource = table.substr(4);
    } else {
      throw std::runtime_error("kube-apiserver has no table " + table);
    }
    return resource_scan(ctx, t, row_options(ctx, cfg_.include_secret_data));
  }

  // The connection as this worker resolved it (kubeconfig files read and
  // merged, certificate files loaded), or why it could not be: every other
  // worker of the run starts from it, so a large kubeconfig is parsed once
  // per run and a broken one is reported the same way by every worker.
  std::optional<std::string> share() override {
    if (snap_) return std::nullopt;
    try {
      client();
    } catch (const std::exception&) {
    }
    json::object shared;
    if (client_) shared["connection"] = connection_to_text(client_->connection());
    else shared["error"] = conn_error_;
    if (client_)
      if (auto exec = client_->exec_outcome()) shared["exec"] = exec_outcome_to_json(*exec);
    return json::serialize(shared);
  }

  void adopt(std::string_view text) override {
    if (snap_ || client_) return;
    json::object shared = json::parse(text).as_object();
    if (const auto* e = shared.if_contains("error")) {
      conn_error_ = json::value_to<std::string>(*e);
      return;
    }
    connect(connection_from_text(shared.at("connection").as_string()));
    if (const auto* exec = shared.if_contains("exec"); exec && client_) {
      client_->adopt_exec_outcome(exec_outcome_from_json(exec->as_object()));
      host_.log(KI_LOG_DEBUG, "kube-apiserver", "started from the exec credential another worker obtained");
    }
    host_.log(KI_LOG_DEBUG, "kube-apiserver", "started from the connection another worker resolved");
  }

 private:
  // The rows of one table of objects, from the snapshot or the server.
  std::unique_ptr<ks::Scan> resource_scan(const ks::ScanContext& ctx, const Target& t, RowOptions opts) {
    if (snap_) return snap_->scan(t, CancelCheck(ctx), std::move(opts));
    return live_scan(ctx, t, std::move(opts));
  }

  // Every pod template carrier's table, read in turn. A carrier the source
  // cannot give (not captured, forbidden) makes the whole table unavailable:
  // rows of some kinds only would pass a check for the others unchecked.
  std::unique_ptr<ks::Scan> workloads(const ks::ScanContext& ctx) {
    std::vector<std::unique_ptr<ks::Scan>> sources;
    for (const auto& w : workload_sources()) {
      const Resource* r = find_by_table(w.table);
      Target t;
      t.table = w.table;
      t.kind = r->kind;
      t.resource = r->resource;
      t.group_version = r->group_version();
      sources.push_back(resource_scan(ctx, t, workload_source_options(cfg_.include_secret_data)));
    }
    return workloads_scan(std::move(sources));
  }

  // k8s.objects: live, one LIST per resource discovery offers (the group's
  // preferred version, verb list); from a snapshot, every object it holds.
  std::unique_ptr<ks::Scan> objects_scan(const ks::ScanContext& ctx) {
    RowOptions opts = objects_source_options(row_options(ctx, cfg_.include_secret_data));
    Target all;
    all.table = "k8s.objects";
    all.special = Target::kObjects;
    if (snap_) return snap_->scan(all, CancelCheck(ctx), std::move(opts));
    discover();
    // `WHERE o.kind = 'Deployment'` lists only the resources of that kind.
    std::vector<std::string_view> kinds = ctx.one_of("kind"), resources = ctx.one_of("resource");
    auto wanted = [](const std::vector<std::string_view>& only, const std::string& v) {
      return only.empty() || std::find(only.begin(), only.end(), v) != only.end();
    };
    std::vector<ListTarget> targets;
    for (const auto& d : discovered_) {
      if (!d.preferred || !listable(d) || !wanted(kinds, d.kind) || !wanted(resources, d.resource)) continue;
      if (d.group == "events.k8s.io" && d.resource == "events") continue;  // core/v1 Events again
      Target t;
      t.table = "k8s.resource";  // by group/version: "nodes" is also metrics.k8s.io's
      t.kind = d.kind;
      t.resource = d.resource;
      t.group_version = d.group_version();
      for (auto& lt : list_targets(ctx, t, d.namespaced)) {
        lt.members = object_members(d.resource, "live");
        lt.skip_if_unlistable = true;
        targets.push_back(std::move(lt));
      }
    }
    if (targets.empty()) return std::make_unique<PreparedRows>(std::vector<std::string>{});
    return std::make_unique<ListScan>(client(), std::move(targets), cfg_, host_, CancelCheck(ctx), std::move(opts));
  }

  static bool listable(const Discovered& d) {
    if (!d.verbs.is_array()) return false;
    const auto& verbs = d.verbs.as_array();
    return std::any_of(verbs.begin(), verbs.end(), [](const json::value& v) { return v == "list"; });
  }

  // Logs are never in a snapshot: the table is there but not captured, so a
  // check reading it is not checked rather than passed.
  std::unique_ptr<ks::Scan> pod_logs_scan(const ks::ScanContext& ctx) {
    PodLogRequest req = pod_log_request(ctx, cfg_.pod_log_max_bytes, cfg_.page_size);
    if (snap_)
      throw ks::Unavailable("not captured", "a snapshot holds no pod logs: k8s.pod_logs reads them from a live API server");
    return std::make_unique<PreparedRows>(pod_log_rows(client(), req, CancelCheck(ctx)));
  }

  // Helm releases: decoded here from the release Secrets and Tiller
  // ConfigMaps, which are read whole for that (whatever
  // include_secret_data says) and never leave as rows of their own.
  std::unique_ptr<ks::Scan> helm_scan(const ks::ScanContext& ctx) {
    HelmLimits limits;
    if (snap_) return std::make_unique<PreparedRows>(helm_rows_from_snapshot(*snap_, cfg_.scope, CancelCheck(ctx), limits));
    return std::make_unique<PreparedRows>(helm_rows_live(client(), cfg_.scope, cfg_.page_size, CancelCheck(ctx), limits));
  }

  // Resolving the connection sends nothing: the row says where requests go.
  std::unique_ptr<ks::Scan> connection_scan() {
    if (snap_) {
      std::optional<json::object> recorded = recorded_connection();
      return ks::rows([path = snap_->path(), recorded = std::move(recorded)](ks::BatchWriter& out) {
        write_snapshot_connection_row(path, recorded ? &*recorded : nullptr, out);
      });
    }
    const Connection& live = client().connection();
    Connection c;  // only what the row shows: no credential is copied
    c.server = live.server, c.context = live.context, c.cluster_name = live.cluster_name, c.origin = live.origin;
    return ks::rows([c = std::move(c)](ks::BatchWriter& out) { write_connection_row(c, out); });
  }

  // The k8s.connection row a snapshot captured, if it did.
  std::optional<json::object> recorded_connection() {
    Target t;
    t.table = "k8s.connection";
    std::string rows;
    try {
      auto scan = snap_->scan(t, CancelCheck(), RowOptions{});
      ks::BatchWriter out(rows);
      while (scan->next(out)) {
      }
    } catch (const ks::Unavailable&) {
      return std::nullopt;  // not captured: the address is not known
    }
    // BatchWriter puts one row a line: the first line is the first row.
    json::error_code ec;
    json::value first = json::parse(std::string_view(rows).substr(0, rows.find('\n')), ec);
    return !ec && first.is_object() ? std::optional<json::object>(first.as_object()) : std::nullopt;
  }

  ApiClient& client() {
    if (client_) return *client_;
    if (!conn_error_.empty()) throw std::runtime_error(conn_error_);
    try {
      ResolveOptions ro;
      ro.kubeconfig = cfg_.kubeconfig;
      ro.context = cfg_.context;
      ro.service_account_dir = cfg_.service_account_dir;
      auto conn = resolve_connection(ro, [this](int level, const std::string& m) {
        host_.log(static_cast<uint32_t>(level), "kube-apiserver", m);
      });
      if (!conn) throw std::runtime_error(kNoCluster);
      connect(std::move(*conn));
    } catch (const std::exception& e) {
      conn_error_ = e.what();
      throw;
    }
    return *client_;
  }

  ClientOptions client_options() const {
    ClientOptions co;
    co.qps = cfg_.qps;
    co.burst = cfg_.burst;
    co.timeout_seconds = cfg_.timeout_seconds;
    co.max_retries = cfg_.max_retries;
    co.exec_timeout_seconds = cfg_.exec_timeout_seconds;
    co.max_response_bytes = cfg_.max_response_bytes;
    co.max_compression_ratio = cfg_.limits.max_compression_ratio;
    co.backoff_base_seconds = cfg_.backoff_base_seconds;
    return co;
  }

  void connect(Connection conn) {
    ClientOptions co = client_options();
    host_.log(KI_LOG_DEBUG, "kube-apiserver", "connecting to " + redact_url(conn.server) + " (" + conn.origin + ")");
    client_ = std::make_unique<ApiClient>(std::move(conn), co, [this](int level, const std::string& m) {
      host_.log(static_cast<uint32_t>(level), "kube-apiserver", m);
    });
  }

  void discover() {
    if (discovered_done_) return;
    ApiClient& c = client();
    std::vector<std::tuple<std::string, std::string, bool>> gvs;  // group, version, preferred
    {
      auto v = json::parse(c.get_all("/api"));
      if (auto* vs = v.as_object().if_contains("versions"); vs && vs->is_array()) {
        bool first = true;
        for (auto& x : vs->as_array()) {
          gvs.emplace_back("", std::string(x.as_string()), first);
          first = false;
        }
      }
    }
    {
      auto v = json::parse(c.get_all("/apis"));
      if (auto* gs = v.as_object().if_contains("groups"); gs && gs->is_array())
        for (auto& g : gs->as_array()) {
          auto& go = g.as_object();
          std::string name(go.at("name").as_string());
          if (name.empty()) continue;  // the core group is /api's
          std::string pref;
          if (auto* p = go.if_contains("preferredVersion"); p && p->is_object())
            pref = std::string(p->as_object().at("version").as_string());
          for (auto& ver : go.at("versions").as_array()) {
            std::string vv(ver.as_object().at("version").as_string());
            gvs.emplace_back(name, vv, vv == pref);
          }
        }
    }
    for (auto& [group, version, preferred] : gvs) {
      std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
      json::value v;
      try {
        v = json::parse(c.get_all(path));
      } catch (const std::exception& e) {
        host_.warn("discovery of " + path + " failed (skipped): " + e.what());
        continue;
      }
      auto* rs = v.as_object().if_contains("resources");
      if (!rs || !rs->is_array()) continue;
      for (auto& r : rs->as_array()) {
        auto& ro = r.as_object();
        Discovered d;
        d.group = group;
        d.version = version;
        d.preferred = preferred;
        d.resource = std::string(ro.at("name").as_string());
        if (d.resource.find('/') != std::string::npos) continue;  // subresource
        if (auto* k = ro.if_contains("kind"); k && k->is_string()) d.kind = std::string(k->as_string());
        if (auto* s = ro.if_contains("singularName"); s && s->is_string()) d.singular = std::string(s->as_string());
        if (auto* n = ro.if_contains("namespaced"); n && n->is_bool()) d.namespaced = n->as_bool();
        d.verbs = ro.contains("verbs") ? ro.at("verbs") : json::array();
        d.short_names = ro.contains("shortNames") ? ro.at("shortNames") : json::array();
        d.categories = ro.contains("categories") ? ro.at("categories") : json::array();
        discovered_.push_back(std::move(d));
      }
    }
    discovered_done_ = true;
  }

  std::unique_ptr<ks::Scan> live_scan(const ks::ScanContext& ctx, const Target& t, RowOptions opts) {
    ApiClient& c = client();
    switch (t.special) {
      case Target::kVersion: {
        std::string body = c.get_all("/version");
        return ks::rows([body](ks::BatchWriter& out) {
          auto v = json::parse(body);
          if (v.is_object()) out.raw_row(json::serialize(v));
        });
      }
      case Target::kReadyz:
      case Target::kLivez: {
        std::string path = t.special == Target::kReadyz ? "/readyz?verbose" : "/livez?verbose";
        int status = 0;
        std::string body = c.get_all(path, &status);
        if (status == 401 || status == 403)
          throw std::runtime_error(std::string(status == 403 ? "forbidden" : "unauthorized") + ": cannot get " + path +
                                   " (" + std::to_string(status) + ")");
        if (status == 404) throw ks::Unavailable("not served", "the server does not serve " + path + " (404)");
        return ks::rows([body](ks::BatchWriter& out) { write_health_rows(out, body); });
      }
      case Target::kDeprecatedApis: {
        int status = 0;
        std::string body = c.get_all("/metrics", &status);
        // Forbidden is what a read-only role without the nonResourceURL
        // gets: the check is not checked, with what to grant.
        if (status == 403)
          throw ks::Unavailable("forbidden", "cannot get /metrics (403); the role needs nonResourceURLs [\"/metrics\"] "
                                             "with verb get (deploy/rbac.yaml)");
        if (status == 401) throw std::runtime_error("unauthorized: cannot get /metrics (401)");
        if (status == 404) throw ks::Unavailable("not served", "the server does not serve /metrics (404)");
        if (status < 200 || status >= 300) throw std::runtime_error("GET /metrics answered " + std::to_string(status));
        return ks::rows([body](ks::BatchWriter& out) { write_deprecated_api_rows(out, body, "/metrics"); });
      }
      case Target::kApiResources: {
        discover();
        return ks::rows([this](ks::BatchWriter& out) {
          for (const auto& d : discovered_) {
            auto r = out.row();
            r.field("group", d.group).field("version", d.version).field("groupVersion", d.group_version());
            r.field("resource", d.resource).field("singularName", d.singular).field("kind", d.kind);
            r.field("namespaced", d.namespaced);
            r.raw("verbs", json::serialize(d.verbs));
            r.raw("shortNames", json::serialize(d.short_names));
            r.raw("categories", json::serialize(d.categories));
            r.field("preferred", d.preferred);
          }
        });
      }
      case Target::kHelmReleases:  // helm_scan()
      case Target::kObjects:       // objects_scan()
      case Target::kNone:
        break;
    }
    if (cfg_.watch) return watched_scan(ctx, t, std::move(opts));
    std::vector<ListTarget> targets = list_targets(ctx, t);
    if (targets.empty()) return std::make_unique<PreparedRows>(std::vector<std::string>{});  // out of scope
    return std::make_unique<ListScan>(c, std::move(targets), cfg_, host_, CancelCheck(ctx), std::move(opts));
  }

  // A resource table served from its watched copies (one per LIST target),
  // each started by a LIST on this thread the first time. A copy whose
  // watch is broken past watch_stale_seconds makes this scan LIST, as
  // without `watch`.
  std::unique_ptr<ks::Scan> watched_scan(const ks::ScanContext& ctx, const Target& t, RowOptions opts) {
    std::vector<ListTarget> targets = list_targets(ctx, t);
    forget_unused_watches();
    std::vector<RowPtr> rows;
    for (const ListTarget& lt : targets) {
      WatchedTable& table = watched(lt, opts);
      std::string why;
      auto copy = table.rows(why);
      if (!copy) {
        host_.log(KI_LOG_WARNING, "kube-apiserver", why + "; listing instead");
        return std::make_unique<ListScan>(client(), std::move(targets), cfg_, host_, CancelCheck(ctx), opts);
      }
      rows.insert(rows.end(), std::make_move_iterator(copy->begin()), std::make_move_iterator(copy->end()));
    }
    return std::make_unique<SnapshotRows>(std::move(rows));
  }

  // One watched copy per LIST target, with the union of the projections
  // scans asked of it (the host re-reads only what it asked for, so more
  // columns are harmless). A scan that needs more than the copy holds
  // replaces it with a wider one, LISTed afresh: once per new projection,
  // in the first runs, never after.
  WatchedTable& watched(const ListTarget& lt, const RowOptions& asked) {
    const std::string key = lt.path + "?" + lt.selectors;
    RowOptions opts = asked;
    if (auto it = watches_.find(key); it != watches_.end()) {
      if (covers(it->second->options(), asked)) return *it->second;
      opts = widest(it->second->options(), asked);
      host_.log(KI_LOG_DEBUG, "kube-apiserver", "watch of " + lt.resource + ": a wider projection, listed again");
      watches_.erase(it);
    }
    WatchTarget wt{lt.path, lt.selectors, lt.resource, ItemIdentity{lt.kind, lt.api_version}, opts};
    Lister lister = [this, lt, opts](ApiClient& c, ListCapture& capture) {
      ListScan scan(c, {lt}, cfg_, host_, CancelCheck(), opts, &capture);
      std::string ignored;
      ks::BatchWriter out(ignored);
      while (scan.next(out)) {
      }
      return scan.resource_version();
    };
    auto table = std::make_unique<WatchedTable>(std::move(wt), cfg_.watch_options, watch_client_factory(),
                                                std::move(lister), host_);
    table->start(client());  // throws as a LIST does: the table is not kept
    return *watches_.emplace(key, std::move(table)).first->second;
  }

  // The watch thread's own client: the same connection (and exec
  // credential), a stream allowed to last its timeoutSeconds, and no
  // breaker (the watch loop backs off by itself).
  ClientFactory watch_client_factory() {
    ApiClient& main = client();
    Connection conn = main.connection();
    std::optional<ApiClient::ExecOutcome> exec = main.exec_outcome();
    ClientOptions co = client_options();
    co.timeout_seconds = cfg_.watch_options.timeout_seconds + std::max(1, cfg_.timeout_seconds);
    co.max_same_failures = std::numeric_limits<int>::max();
    return [this, conn, exec, co]() {
      auto c = std::make_unique<ApiClient>(conn, co, [this](int level, const std::string& m) {
        host_.log(static_cast<uint32_t>(level), "kube-apiserver", m);
      });
      if (exec) c->adopt_exec_outcome(*exec);
      return c;
    };
  }

  void forget_unused_watches() {
    const auto cutoff = std::chrono::steady_clock::now() -
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(cfg_.watch_forget_seconds));
    std::erase_if(watches_, [&](const auto& kv) { return kv.second->last_used() < cutoff; });
  }

  // The LISTs that bring a table's rows: one per namespace the query
  // narrows it to (or one for every namespace), with its selectors.
  // `namespaced`: known from discovery (a custom resource's scope).
  std::vector<ListTarget> list_targets(const ks::ScanContext& ctx, const Target& t,
                                       std::optional<bool> namespaced_known = std::nullopt) {
    ListTarget lt;
    lt.table = t.table;
    lt.resource = t.resource;
    lt.kind = t.kind;
    bool namespaced = false;
    std::string base;
    if (const Resource* r = find_by_table(t.table); r && t.table != "k8s.resource") {
      lt.kind = r->kind;
      lt.api_version = r->group_version();
      namespaced = r->namespaced;
      base = r->list_path();
      base.resize(base.size() - r->resource.size() - 1);
    } else {
      std::string gv = t.group_version;
      if (gv.empty()) {
        // A discovered table: find its group/version.
        discover();
        const Discovered* best = nullptr;
        for (const auto& d : discovered_)
          if (d.resource == t.resource && (!best || (d.preferred && !best->preferred))) best = &d;
        if (!best) throw ks::Unavailable("not served", "the server does not serve a resource named " + t.resource);
        gv = best->group_version();
        lt.kind = best->kind;
        namespaced = best->namespaced;
      } else if (!lt.kind.empty()) {
        namespaced = find_by_kind(lt.kind) && find_by_kind(lt.kind)->namespaced;
      }
      lt.api_version = gv;
      base = gv.find('/') == std::string::npos ? "/api/" + gv : "/apis/" + gv;
    }
    if (namespaced_known) namespaced = *namespaced_known;
    Narrowing n = narrowing(ctx, namespaced, lt.resource);
    if (namespaced) apply_scope(cfg_.scope, n);  // cluster-scoped resources are never narrowed
    if (n.none) return {};
    lt.selectors = n.selectors();
    std::vector<ListTarget> targets;
    for (const auto& ns : n.namespaces) {
      targets.push_back(lt);
      targets.back().ns = ns;
      targets.back().path = base + "/namespaces/" + ns + "/" + lt.resource;
    }
    if (targets.empty()) {
      lt.path = base + "/" + lt.resource;
      targets.push_back(std::move(lt));
    }
    return targets;
  }

  const ks::Host& host_;
  Config cfg_;
  std::unique_ptr<Snapshot> snap_;
  std::unique_ptr<ApiClient> client_;
  std::string conn_error_;
  std::vector<Discovered> discovered_;
  bool discovered_done_ = false;
  // Watched tables by target and projection; declared last so their threads
  // stop first, while the client and host they use still exist.
  std::map<std::string, std::unique_ptr<WatchedTable>> watches_;
};

}  // namespace
}  // namespace kapi

KINSPECT_PLUGIN(kapi::KubeApiserver, "kube-apiserver", "0.1.0",
                "Kubernetes objects from the API server (as kubectl connects) or from a snapshot", KI_KIND_DRIVER)
