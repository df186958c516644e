#include "core/run/execute.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <sstream>
#include <mutex>

#include "core/kcql/executor.h"
#include "core/run/findings.h"
#include "core/util/parallel.h"

namespace kinspect {

using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

Clock::time_point deadline_in(double seconds) {
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// The run's tables, each fetched once; a check reads them from here once
// its fetches are done, and a table is freed after its last reader.
class Prefetched final : public TableProvider {
 public:
  struct Entry {
    std::shared_ptr<const TableData> data;
    std::optional<Error> error;
  };
  std::map<std::string, Entry> tables;  // by ScanSpec::key(); the shape is fixed before threads start

  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) override {
    auto it = tables.find(spec.key());
    if (it == tables.end()) return Error("table " + spec.key() + " was not fetched for this run");
    if (it->second.error) return *it->second.error;
    return it->second.data;
  }
};

// A check whose table could not be read: not checked when the source said
// the data is not there (not served, forbidden, not captured), an error
// when reading it failed. Never a pass.
void mark_unreadable(report::CheckResult& r, const std::string& table, const Error& e) {
  if (e.is_unavailable()) {
    r.status = report::Status::Skipped;
    r.cause = e.cause();
    std::string_view detail = e.message();
    if (detail.rfind(e.cause() + ": ", 0) == 0) detail.remove_prefix(e.cause().size() + 2);  // the cause is its own field
    r.reason = table + ": " + std::string(detail);
  } else {
    r.status = report::Status::Error;
    r.cause = "error";
    r.reason = "needs table " + table + ", which could not be read: " + e.message();
  }
}

// What the run's --timeout left undone: not checked, never passed, with
// the bound named so the user knows which knob to turn.
constexpr const char* kRunTimeout = "run timeout";

std::string timeout_text(double seconds) {
  std::ostringstream s;
  s << "the run's --timeout of " << seconds << "s was reached";
  return s.str();
}

class Execution {
 public:
  Execution(PreparedRun& run, const Schedule& s, PluginRegistry& registry, unsigned threads,
            const std::function<void(const RunProgress&)>& progress, const ObjectTableSink& on_object_table)
      : run_(run), s_(s), registry_(registry), threads_(threads), progress_(progress), on_object_table_(on_object_table),
        fetches_(s.fetches.size()), fetch_done_(s.fetches.size(), false), taken_(s.units.size(), false),
        unread_(s.readers) {
    for (const auto& f : s.fetches) prefetched_.tables[f.key()];
    // Rows detection read that no fetch of this run takes (its checks read
    // more of the nodes) are not held through the run.
    for (auto& e : run_.early_fetches)
      if (std::none_of(s.fetches.begin(), s.fetches.end(), [&](const ScanSpec& f) { return e.spec.covers(f); }))
        e.data.reset();
  }

  std::vector<report::TableFetch> go() {
    // Fetches come first in the queue and are handed out first, so a check
    // only ever waits for a fetch already under way.
    parallel_for(s_.fetches.size() + s_.units.size(), threads_, [&](size_t item) {
      if (item < s_.fetches.size()) return fetch(item);
      if (const Unit* unit = next_unit()) unit->shared_scan ? run_shared_scan(unit->tasks) : run_alone(unit->tasks[0]);
    });
    return std::move(fetches_);
  }

 private:
  void fetch(size_t i) {
    const ScanSpec& s = s_.fetches[i];
    CancelToken budget;
    budget.deadline = capped(run_.driver_timeout_seconds);
    auto t1 = Clock::now();
    double early_ms = 0;
    std::shared_ptr<const TableData> early = take_early(s, early_ms);
    auto data = early                   ? Expected<std::shared_ptr<const TableData>>(early)
                : source_is_down(s.table) ? Expected<std::shared_ptr<const TableData>>(not_sent(s.table))
                                          : registry_.fetch(s, &budget);
    if (!data && out_of_time())
      data = Error::unavailable(kRunTimeout, std::string(kRunTimeout) + ": " + s.table + " was still being read when " +
                                                 timeout_text(run_.timeout_seconds));
    report::TableFetch& f = fetches_[i];
    f.name = s.key();
    if (LoadedPlugin* owner = registry_.owner(s.table)) f.plugin = std::string(owner->name());
    f.duration_ms = early ? early_ms : ms_since(t1);
    Prefetched::Entry e;
    if (data) {
      f.rows = (*data)->rows.size();
      e.data = *data;
    } else {
      f.error = data.error().message();
      f.cause = data.error().cause();
      e.error = data.error();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    prefetched_.tables[s.key()] = std::move(e);
    fetch_done_[i] = true;
    fetch_finished_.notify_all();
    if (progress_) progress_({"tables", ++fetched_, s_.fetches.size(), s.table});
  }

  // The rows detection read for `s`, when they hold all it reads; taken, so
  // that they are freed after their last reader as fetched rows are. Only
  // the fetch whose key matches touches an entry's rows.
  std::shared_ptr<const TableData> take_early(const ScanSpec& s, double& duration_ms) {
    for (auto& e : run_.early_fetches)
      if (e.spec.covers(s) && e.data) {
        duration_ms = e.duration_ms;
        return std::move(e.data);
      }
    return nullptr;
  }

  // Each thread takes the first unit whose tables are all in (in check
  // order), waiting only when none is: a check on pods never holds a thread
  // while deployments' checks could run.
  const Unit* next_unit() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      bool any_left = false;
      for (size_t u = 0; u < s_.units.size(); ++u) {
        if (taken_[u]) continue;
        any_left = true;
        bool ready = true;
        for (size_t i : s_.units[u].tasks)
          for (size_t f : s_.waits_for[i]) ready = ready && fetch_done_[f];
        if (ready) {
          taken_[u] = true;
          return &s_.units[u];
        }
      }
      if (!any_left) return nullptr;
      fetch_finished_.wait(lock);  // every fetch was handed out before any unit
    }
  }

  bool source_is_down(const std::string& table) const {
    LoadedPlugin* owner = run_.source_down ? registry_.owner(table) : nullptr;
    return owner && owner->name() == run_.source_down->plugin;
  }
  // Worded like the plugin's own errors ("plugin 'p', table t: ..."), so the
  // report lists the failure once for all the tables it took down.
  Error not_sent(const std::string& table) const {
    return Error("plugin '" + run_.source_down->plugin + "', table " + table +
                 ": not sent: the source failed when the run began (" +
                 without_table_prefix(run_.source_down->error.message()) + ")");
  }

  Clock::time_point capped(double seconds) const { return std::min(deadline_in(seconds), run_.deadline); }
  bool out_of_time() const { return Clock::now() >= run_.deadline; }

  // A check the run's --timeout stopped, or never let start.
  void mark_out_of_time(report::CheckResult& r, const char* when) const {
    r.status = report::Status::Skipped;
    r.cause = kRunTimeout;
    r.reason = std::string(when) + ": " + timeout_text(run_.timeout_seconds);
    r.findings.clear();
  }

  kcql::ExecOptions check_options(const report::CheckResult& r) const {
    kcql::ExecOptions opts;
    opts.now = run_.now;
    opts.time_budget = std::chrono::duration_cast<std::chrono::milliseconds>(
        capped(run_.check_timeout_seconds) - Clock::now());
    if (opts.time_budget.count() < 1) opts.time_budget = std::chrono::milliseconds(1);
    opts.label = "check " + r.id;
    opts.output_budget = run_.check_output_budget;
    return opts;
  }

  // Marks a check whose table failed; true when it can still run.
  bool tables_ready(Task& t) {
    if (!t.runnable()) return false;
    if (out_of_time()) {
      mark_out_of_time(t.result, "not started");
      return false;
    }
    for (const auto& s : t.scans) {
      auto it = prefetched_.tables.find(s.key());
      if (it != prefetched_.tables.end() && it->second.error) {
        mark_unreadable(t.result, s.table, *it->second.error);
        return false;
      }
    }
    return true;
  }

  // A check's findings go into its result as they are made (so they are
  // never held twice); an error afterwards throws them away.
  static kcql::FindingsCollector::Keep into_result(Task& t) {
    return [&t](kcql::Finding&& f) { add_kcql_finding(t.result, std::move(f)); };
  }
  static kcql::FindingsCollector::Expect room_in_result(Task& t) {
    return [&t](size_t n) { t.result.findings.reserve(t.result.findings.size() + n); };
  }

  void take_findings(Task& t, Expected<std::vector<kcql::Finding>> findings) {
    if (findings) {
      for (auto& f : *findings) add_kcql_finding(t.result, std::move(f));
      return;
    }
    t.result.findings = {};
    if (out_of_time()) return mark_out_of_time(t.result, "stopped");
    t.result.status = report::Status::Error;
    t.result.cause = "error";
    t.result.reason = findings.error().format();
  }

  void run_native(Task& t) {
    CancelToken budget;
    budget.deadline = capped(run_.check_timeout_seconds);
    LoadedPlugin* owner = nullptr;
    for (const auto& p : registry_.plugins())
      if (p->name() == t.native->plugin) owner = p.get();
    std::string batches;
    Status st = owner->run_check(t.result.id, t.native_params, [&](std::string_view b) {
      if (batches.size() + b.size() > run_.check_output_budget)
        return Status(kcql::output_budget_error(check_options(t.result), batches.size(), "bytes of the plugin's findings"));
      batches.append(b).push_back('\n');
      return Status::Ok();
    }, &budget, &registry_);
    if (st.ok()) st = add_native_findings(t.result, batches, t.native->plugin, t.severity_override);
    if (!st.ok() && out_of_time()) return mark_out_of_time(t.result, "stopped");
    if (!st.ok()) {
      t.result.status = report::Status::Error;
      t.result.cause = "error";
      t.result.reason = st.error().message();
    }
  }

  void run_alone(size_t i) {
    Task& t = run_.tasks[i];
    auto t1 = Clock::now();
    if (tables_ready(t)) {
      if (t.bound)
        take_findings(t, kcql::run_check(*t.bound, prefetched_, check_options(t.result), into_result(t), room_in_result(t)));
      else if (t.native) run_native(t);
    }
    t.result.duration_ms = ms_since(t1);
    done(t);
    if (t.result.duration_ms >= kLongCheckMs) trim_if_much_free();
  }

  // Memory goes back to the system after a long check (hundreds of MB of
  // tuples, rows and indexes at 150,000 pods) only when much of it lies
  // free. A trim after every long check gave back pages that the next check
  // faulted in and the kernel zeroed again: 8-13% of the run's CPU on the
  // bench's 150k snapshots. Never trimming kept peak RSS under the 0.3x
  // target here, but each check thread has a malloc arena of its own, and
  // with many cores what they keep free would add up (bench/README.md,
  // ninth pass).
  static constexpr double kLongCheckMs = 50;
  static constexpr size_t kTrimWhenFreeBytes = size_t(128) << 20;
  static void trim_if_much_free() {
    if (::mallinfo2().fordblks >= kTrimWhenFreeBytes) ::malloc_trim(0);
  }

  // Checks walking the same large table together (see kcql::SteppedRun):
  // each range of rows is read from memory once for all of them.
  void run_shared_scan(const std::vector<size_t>& unit) {
    std::vector<std::unique_ptr<kcql::SteppedRun>> runs(unit.size());
    std::vector<Clock::duration> spent(unit.size(), Clock::duration::zero());
    for (size_t j = 0; j < unit.size(); ++j) {
      auto t1 = Clock::now();
      Task& t = run_.tasks[unit[j]];
      if (tables_ready(t)) {
        auto started = kcql::start_stepped(t.bound->plan.impl(), prefetched_, check_options(t.result));
        if (started) runs[j] = std::move(started.value());
        else take_findings(t, started.error());
      }
      spent[j] += Clock::now() - t1;
    }
    feed_in_steps(runs, spent);
    for (size_t j = 0; j < unit.size(); ++j) {
      Task& t = run_.tasks[unit[j]];
      auto t1 = Clock::now();
      if (runs[j]) {
        kcql::FindingsCollector findings(*t.bound, check_options(t.result), into_result(t), room_in_result(t));
        auto examined = runs[j]->finish(findings.sink());
        take_findings(t, examined ? findings.take() : Expected<std::vector<kcql::Finding>>(examined.error()));
        runs[j].reset();
      }
      spent[j] += Clock::now() - t1;
      t.result.duration_ms = std::chrono::duration<double, std::milli>(spent[j]).count();
      done(t);
    }
    trim_if_much_free();
  }

  static void feed_in_steps(std::vector<std::unique_ptr<kcql::SteppedRun>>& runs, std::vector<Clock::duration>& spent) {
    constexpr size_t kStep = 512;  // rows of ~2.5 KB: about the size of a core's L2 cache
    size_t rows = 0;
    std::vector<bool> live(runs.size());
    for (size_t j = 0; j < runs.size(); ++j)
      if ((live[j] = runs[j] != nullptr)) rows = std::max(rows, runs[j]->rows());
    for (size_t begin = 0; begin < rows; begin += kStep)
      for (size_t j = 0; j < runs.size(); ++j) {
        if (!live[j]) continue;
        auto t1 = Clock::now();
        live[j] = runs[j]->feed(begin, std::min(rows, begin + kStep));
        spent[j] += Clock::now() - t1;
      }
  }

  void done(Task& t) {
    report::CheckResult& r = t.result;
    if (r.status == report::Status::Pass && !r.findings.empty()) r.status = report::Status::Fail;
    std::vector<std::pair<std::string, std::shared_ptr<const TableData>>> objects;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // A table no check still has to read is freed now rather than at the
      // end of the run: deployments and services go while pods are parsed.
      for (const auto& s : t.scans) {
        auto it = unread_.find(s.key());
        if (it == unread_.end() || --it->second != 0) continue;
        auto& data = prefetched_.tables[s.key()].data;
        if (data && on_object_table_ && s_.object_fetches.count(s.key())) objects.emplace_back(s.table, std::move(data));
        data.reset();
      }
      if (progress_) progress_({"checks", ++checked_, run_.tasks.size(), r.id});
    }
    for (auto& [table, data] : objects) on_object_table_(table, std::move(data));  // outside the lock: it reads the table
  }

  PreparedRun& run_;
  const Schedule& s_;
  PluginRegistry& registry_;
  unsigned threads_;
  const std::function<void(const RunProgress&)>& progress_;
  const ObjectTableSink& on_object_table_;
  Prefetched prefetched_;
  std::vector<report::TableFetch> fetches_;
  std::vector<bool> fetch_done_, taken_;
  std::map<std::string, size_t> unread_;  // scan key -> checks yet to finish reading it
  std::mutex mutex_;
  std::condition_variable fetch_finished_;
  size_t fetched_ = 0, checked_ = 0;
};

}  // namespace

std::vector<report::TableFetch> execute(PreparedRun& run, const Schedule& schedule, PluginRegistry& registry,
                                        unsigned threads, const std::function<void(const RunProgress&)>& progress,
                                        const ObjectTableSink& on_object_table) {
  return Execution(run, schedule, registry, threads, progress, on_object_table).go();
}

}  // namespace kinspect
