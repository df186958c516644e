#include "core/run/schedule.h"

#include <algorithm>
#include <set>

#include "core/kcql/executor.h"

namespace kinspect {

namespace {

// Checks that walk a table together only pay off from a few on.
constexpr size_t kMinSharedScan = 3;

// One scan per table key, reading every path any of its checks reads and
// narrowed only where every one of them narrows it (ScanSpec::merge).
std::vector<ScanSpec> merged_scans(const std::vector<Task>& tasks) {
  std::map<std::string, ScanSpec> needed;
  for (const auto& t : tasks) {
    if (!t.runnable() || t.native) continue;  // native checks read through the host
    for (const auto& s : t.scans) {
      auto [it, fresh] = needed.emplace(s.key(), s);
      if (fresh) continue;
      it->second.merge(s);
    }
  }
  std::vector<ScanSpec> scans;
  for (auto& [_, s] : needed) scans.push_back(std::move(s));
  return scans;
}

// Tasks in the order their last table arrives.
std::vector<size_t> check_order(const Schedule& s, size_t tasks) {
  std::vector<size_t> order(tasks), ready_after(tasks, 0);
  for (size_t i = 0; i < tasks; ++i) {
    order[i] = i;
    for (size_t f : s.waits_for[i]) ready_after[i] = std::max(ready_after[i], f + 1);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ready_after[a] < ready_after[b]; });
  return order;
}

std::vector<Unit> make_units(const std::vector<Task>& tasks, const Schedule& s, unsigned threads) {
  std::vector<Unit> units;
  std::map<std::string, std::vector<size_t>> walking;  // table key -> checks that walk it
  for (size_t i : check_order(s, tasks.size())) {
    const Task& t = tasks[i];
    std::string table = t.bound && t.runnable() ? kcql::steppable_table(t.bound->plan.impl()) : "";
    if (!table.empty() && s.fetch_of.count(table)) walking[table].push_back(i);
    else units.push_back({{i}, false});
  }
  for (auto& [_, group] : walking) {
    if (group.size() < kMinSharedScan) {
      for (size_t i : group) units.push_back({{i}, false});
      continue;
    }
    size_t parts = std::min<size_t>(std::max(1u, threads), group.size());
    std::vector<Unit> split(parts);
    for (size_t j = 0; j < group.size(); ++j) {
      split[j % parts].tasks.push_back(group[j]);
      split[j % parts].shared_scan = true;
    }
    for (auto& u : split) units.push_back(std::move(u));
  }
  return units;
}

}  // namespace

Schedule make_schedule(const std::vector<Task>& tasks, unsigned threads) {
  Schedule s;
  for (const auto& t : tasks)
    for (const auto& scan : t.scans) ++s.readers[scan.key()];
  s.fetches = merged_scans(tasks);
  std::stable_sort(s.fetches.begin(), s.fetches.end(), [&](const ScanSpec& a, const ScanSpec& b) {
    return s.readers[a.key()] > s.readers[b.key()];
  });
  for (size_t i = 0; i < s.fetches.size(); ++i) s.fetch_of[s.fetches[i].key()] = i;
  s.waits_for.resize(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i)
    for (const auto& scan : tasks[i].scans)
      if (auto it = s.fetch_of.find(scan.key()); it != s.fetch_of.end()) s.waits_for[i].push_back(it->second);
  s.units = make_units(tasks, s, threads);
  return s;
}

void read_objects_with(Schedule& schedule, const Catalog& catalog, const std::vector<std::string>& paths) {
  if (paths.empty()) return;
  for (auto& f : schedule.fetches) {
    const TableSchema* t = catalog.find(f.table);
    if (!t || t->row_kind.empty() || !f.args.empty() || !f.constraints.empty()) continue;
    schedule.object_fetches.insert(f.key());
    if (f.paths.empty()) continue;  // every column already
    for (const auto& p : paths)
      if (std::find(f.paths.begin(), f.paths.end(), p) == f.paths.end()) f.paths.push_back(p);
  }
}

}  // namespace kinspect
