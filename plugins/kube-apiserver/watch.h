// Tables kept current with WATCH (`watch` setting, set by `kinspect serve`
// for live clusters). A table's first scan LISTs it as always; its rows (the
// scan's projection) are then kept by a thread that follows the collection
// with WATCH from the list's resourceVersion, and later scans copy them
// instead of LISTing again.
//
// Consistency: a table's rows change only under its lock, one event at a
// time, and a scan copies them (shared pointers, no row bytes) under that
// lock: what a scan returns is the collection exactly as of one
// resourceVersion, the newest event received before the scan began. Two
// tables may be at different resourceVersions, as two LISTs are today.
//
// Staleness: when the stream breaks, the thread resumes from the last
// resourceVersion (a dropped connection, the server's timeoutSeconds), relists
// from scratch on 410 Gone, and backs off (jittered, doubling, bounded) on
// errors. A table whose watch has not been healthy for `stale_seconds` is not
// served from memory: rows() says why and the scan LISTs instead, so data is
// never older than that without the run knowing.
#pragma once

#include "http_client.h"
#include "rows.h"

#include <kinspect/sdk.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kapi {

// Receives the rows of a LIST as they are read.
class ListCapture {
 public:
  virtual ~ListCapture() = default;
  // The LIST starts again from scratch (its continue token expired).
  virtual void reset() = 0;
  virtual void add(std::string_view uid, std::string row) = 0;
};

// LISTs the table with `client` into `capture`; returns the list's resourceVersion.
using Lister = std::function<std::string(ApiClient& client, ListCapture& capture)>;
// A client of its own for the watch thread (a stream holds its connection).
using ClientFactory = std::function<std::unique_ptr<ApiClient>()>;

struct WatchOptions {
  int timeout_seconds = 300;  // each WATCH request's timeoutSeconds; then it resumes
  double stale_seconds = 10;  // a watch unhealthy this long is not served
  double backoff_base_seconds = 0.5;
  double backoff_max_seconds = 30;
};

// What one table's watch follows: one LIST target with one projection.
struct WatchTarget {
  std::string path;       // "/api/v1/pods", "/api/v1/namespaces/ns/pods"
  std::string selectors;  // "&fieldSelector=...", as the LIST sends them
  std::string resource;   // for messages
  ItemIdentity identity;  // kind/apiVersion for objects that lack them
  RowOptions opts;
};

// Whether rows written with `have` hold everything rows written with `want` would.
bool covers(const RowOptions& have, const RowOptions& want);
// The narrowest projection that covers both.
RowOptions widest(const RowOptions& a, const RowOptions& b);

using RowPtr = std::shared_ptr<const std::string>;

class WatchedTable {
 public:
  WatchedTable(WatchTarget target, WatchOptions options, ClientFactory make_client, Lister lister,
               const kinspect::sdk::Host& host);
  ~WatchedTable();  // stops the thread (interrupting its stream) and joins it
  WatchedTable(const WatchedTable&) = delete;
  WatchedTable& operator=(const WatchedTable&) = delete;

  // The first LIST, on the caller's thread with its client (its errors are
  // the scan's: forbidden, not served); then the watch thread starts.
  void start(ApiClient& client);
  // The rows as of the newest event received, in LIST order (objects added
  // later at the end); nullopt, with the reason in `why`, when the watch has
  // not been healthy for stale_seconds.
  std::optional<std::vector<RowPtr>> rows(std::string& why);
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }
  const RowOptions& options() const { return target_.opts; }

 private:
  struct Rows {
    std::map<uint64_t, RowPtr> by_seq;             // in order of first appearance
    std::unordered_map<std::string, uint64_t> seq_of_uid;
    uint64_t next_seq = 0;
    void put(std::string_view uid, std::string row);
    void erase(const std::string& uid);
  };
  class Capture;
  enum class Ended { kTimeout, kGone };

  void loop();
  void list_into_place(ApiClient& client);
  Ended watch_once(ApiClient& client);
  bool apply(std::string_view line);  // false: 410 Gone
  std::string row_of(std::string_view object_json) const;
  void set_health(bool live, const std::string& problem);
  void pause(int failures);
  std::unique_ptr<ApiClient> new_client();

  WatchTarget target_;
  WatchOptions options_;
  ClientFactory make_client_;
  Lister lister_;
  const kinspect::sdk::Host& host_;

  mutable std::mutex mutex_;  // rows_, rv_, health
  Rows rows_;
  std::string rv_;
  bool live_ = false;
  std::chrono::steady_clock::time_point unhealthy_since_;
  std::string problem_;
  std::chrono::steady_clock::time_point last_used_;

  std::mutex stop_mutex_;  // stopping_, client_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  ApiClient* client_ = nullptr;  // the thread's, to interrupt
  std::thread thread_;
};

}  // namespace kapi
