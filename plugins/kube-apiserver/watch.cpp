#include "watch.h"

#include "splitter.h"

#include <boost/json.hpp>

#include <algorithm>
#include <random>

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace kapi {

namespace {
using Steady = std::chrono::steady_clock;

// A watch event line longer than this is refused (an object is at most a few MiB).
constexpr size_t kMaxEventBytes = 64u << 20;

// Whether dotted path `p` is read when `paths` are ("spec" covers "spec.containers").
bool path_covered(const std::string& p, const std::vector<std::string>& paths) {
  for (const auto& q : paths)
    if (p == q || (p.size() > q.size() && p.compare(0, q.size(), q) == 0 && p[q.size()] == '.')) return true;
  return false;
}

std::vector<std::string> merged(std::vector<std::string> a, const std::vector<std::string>& b) {
  for (const auto& x : b)
    if (std::find(a.begin(), a.end(), x) == a.end()) a.push_back(x);
  return a;
}

std::string member_text(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
}  // namespace

bool covers(const RowOptions& have, const RowOptions& want) {
  if (have.include_secret_data != want.include_secret_data) return false;
  if (have.strip_managed_fields && !want.strip_managed_fields) return false;
  if (have.project) {
    if (!want.project) return false;
    for (const auto& k : want.keep)
      if (!have.keeps(k)) return false;
  }
  // Empty read_paths: nothing was skipped.
  if (!have.read_paths.empty()) {
    if (want.read_paths.empty()) return false;
    for (const auto& p : want.read_paths)
      if (!path_covered(p, have.read_paths)) return false;
  }
  return true;
}

RowOptions widest(const RowOptions& a, const RowOptions& b) {
  RowOptions o = a;
  o.project = a.project && b.project;
  o.keep = o.project ? merged(a.keep, b.keep) : std::vector<std::string>{};
  o.read_paths = a.read_paths.empty() || b.read_paths.empty() ? std::vector<std::string>{} : merged(a.read_paths, b.read_paths);
  o.strip_managed_fields = a.strip_managed_fields && b.strip_managed_fields;
  o.drop_identity = false;
  return o;
}

void WatchedTable::Rows::put(std::string_view uid, std::string row) {
  auto ptr = std::make_shared<const std::string>(std::move(row));
  if (uid.empty()) {  // cannot be followed by events; kept as listed
    by_seq.emplace(next_seq++, std::move(ptr));
    return;
  }
  auto [it, fresh] = seq_of_uid.try_emplace(std::string(uid), next_seq);
  if (fresh) ++next_seq;
  by_seq[it->second] = std::move(ptr);
}

void WatchedTable::Rows::erase(const std::string& uid) {
  auto it = seq_of_uid.find(uid);
  if (it == seq_of_uid.end()) return;
  by_seq.erase(it->second);
  seq_of_uid.erase(it);
}

class WatchedTable::Capture final : public ListCapture {
 public:
  void reset() override { rows = Rows(); }
  void add(std::string_view uid, std::string row) override { rows.put(uid, std::move(row)); }
  Rows rows;
};

WatchedTable::WatchedTable(WatchTarget target, WatchOptions options, ClientFactory make_client, Lister lister,
                           const ks::Host& host)
    : target_(std::move(target)), options_(options), make_client_(std::move(make_client)),
      lister_(std::move(lister)), host_(host), last_used_(Steady::now()) {}

WatchedTable::~WatchedTable() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
    if (client_) client_->interrupt();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WatchedTable::start(ApiClient& client) {
  list_into_place(client);
  set_health(true, "");
  thread_ = std::thread([this] { loop(); });
}

void WatchedTable::list_into_place(ApiClient& client) {
  Capture capture;
  std::string rv = lister_(client, capture);
  if (rv.empty()) throw std::runtime_error("the LIST of " + target_.resource + " carried no resourceVersion to watch from");
  std::lock_guard<std::mutex> lock(mutex_);
  rows_ = std::move(capture.rows);
  rv_ = std::move(rv);
}

std::optional<std::vector<RowPtr>> WatchedTable::rows(std::string& why) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_used_ = Steady::now();
  const double broken_for = std::chrono::duration<double>(Steady::now() - unhealthy_since_).count();
  if (!live_ && broken_for > options_.stale_seconds) {
    why = "the watch of " + target_.resource + " has not been current for " + std::to_string(int(broken_for)) +
          "s: " + problem_;
    return std::nullopt;
  }
  std::vector<RowPtr> out;
  out.reserve(rows_.by_seq.size());
  for (const auto& [seq, row] : rows_.by_seq) out.push_back(row);
  return out;
}

void WatchedTable::set_health(bool live, const std::string& problem) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (live_ && !live) unhealthy_since_ = Steady::now();
  live_ = live;
  if (!problem.empty()) problem_ = problem;
}

std::unique_ptr<ApiClient> WatchedTable::new_client() {
  auto c = make_client_();
  std::lock_guard<std::mutex> lock(stop_mutex_);
  client_ = c.get();
  if (stopping_) c->interrupt();
  return c;
}

// Doubling from backoff_base_seconds up to backoff_max_seconds, with up to
// half of it random so many watchers do not come back at once; ends early
// when the table is dropped.
void WatchedTable::pause(int failures) {
  double d = options_.backoff_base_seconds * double(1u << std::min(failures, 16));
  d = std::min(d, options_.backoff_max_seconds);
  static thread_local std::mt19937 rng(std::random_device{}());
  d *= 0.5 + std::uniform_real_distribution<double>(0, 0.5)(rng);
  std::unique_lock<std::mutex> lock(stop_mutex_);
  stop_cv_.wait_for(lock, std::chrono::duration<double>(d), [this] { return stopping_; });
}

void WatchedTable::loop() {
  std::unique_ptr<ApiClient> client;
  bool relist = false;
  int failures = 0;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      if (stopping_) return;
    }
    std::string problem;
    try {
      if (!client) client = new_client();
      if (relist) {
        host_.log(KI_LOG_INFO, "kube-apiserver", "watch of " + target_.resource + ": relisting from scratch");
        list_into_place(*client);
        relist = false;
      }
      if (watch_once(*client) == Ended::kGone) relist = true;
      failures = 0;
      continue;
    } catch (const HttpError& e) {
      relist = e.status() == 410;
      if (relist) continue;
      problem = e.what();
    } catch (const std::exception& e) {
      problem = e.what();
    }
    set_health(false, problem);
    host_.log(KI_LOG_WARNING, "kube-apiserver", "watch of " + target_.resource + ": " + problem + "; trying again");
    {
      // A client that failed may hold a dead connection; the next try starts afresh.
      std::lock_guard<std::mutex> lock(stop_mutex_);
      client_ = nullptr;
    }
    client.reset();
    pause(failures++);
  }
}

// One WATCH request from the last resourceVersion, applied event by event
// until the server ends it (timeoutSeconds) or says the version is gone.
WatchedTable::Ended WatchedTable::watch_once(ApiClient& client) {
  std::string rv;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rv = rv_;
  }
  auto body = client.get(target_.path + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + url_encode(rv) +
                         "&timeoutSeconds=" + std::to_string(options_.timeout_seconds) + target_.selectors);
  set_health(true, "");
  std::vector<char> buf(64 * 1024);
  std::string line;
  for (;;) {
    size_t n = body->read(buf.data(), buf.size());
    if (n == 0) {
      set_health(false, "the watch stream ended");
      return Ended::kTimeout;
    }
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line.push_back(buf[i]);
        if (line.size() > kMaxEventBytes) throw std::runtime_error("a watch event is larger than 64 MiB");
        continue;
      }
      if (!line.empty() && !apply(line)) {
        set_health(false, "410 Gone");
        return Ended::kGone;
      }
      line.clear();
    }
  }
}

// One event: {"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR", "object": {...}}.
bool WatchedTable::apply(std::string_view line) {
  json::value v = json::parse(line);
  const json::object& ev = v.as_object();
  const std::string type = member_text(ev, "type");
  const json::object& obj = ev.at("object").as_object();
  if (type == "ERROR") {
    const json::value* code = obj.if_contains("code");
    if (code && code->is_number() && code->to_number<int64_t>() == 410) return false;
    throw std::runtime_error("the server ended the watch with an error: " + member_text(obj, "message"));
  }
  const json::object* meta = obj.contains("metadata") && obj.at("metadata").is_object() ? &obj.at("metadata").as_object() : nullptr;
  std::string rv = meta ? member_text(*meta, "resourceVersion") : std::string();
  std::string uid = meta ? member_text(*meta, "uid") : std::string();
  std::string row;
  if (type == "ADDED" || type == "MODIFIED") row = row_of(json::serialize(obj));
  std::lock_guard<std::mutex> lock(mutex_);
  if (type == "ADDED" || type == "MODIFIED") rows_.put(uid, std::move(row));
  else if (type == "DELETED") rows_.erase(uid);
  else if (type != "BOOKMARK") return true;  // an event type this version does not know: skipped
  if (!rv.empty()) rv_ = std::move(rv);
  return true;
}

// The object as the LIST would have written it: the same splitter (read as
// a one-item List) and the same projection.
std::string WatchedTable::row_of(std::string_view object_json) const {
  ListSplitter splitter(target_.resource + " (watch event)");
  splitter.skip_unread_strings(target_.opts.read_paths);
  std::string row;
  auto sink = [&](const SplitItem& it) {
    ks::BatchWriter out(row);
    write_item(out, it, identify(it, target_.identity.kind, target_.identity.api_version), target_.opts);
  };
  const std::string list = "{\"items\":[" + std::string(object_json) + "]}";
  splitter.feed(list.data(), list.size(), sink);
  splitter.finish(sink);
  return row;
}

}  // namespace kapi
