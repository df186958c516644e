// KCQL over a large cluster: 150,000 generated pods on 5,000 nodes. Measures
// a filter, a join, a GROUP BY and an UNNEST; the rows/s counter is input rows
// (pods) processed per second.
#include <benchmark/benchmark.h>

#include <boost/json/object.hpp>

#include "core/kcql/kcql.h"

namespace {

using namespace kinspect;
namespace json = boost::json;

constexpr size_t kPods = 150000;
constexpr size_t kNodes = 5000;

class BenchCatalog : public Catalog {
 public:
  BenchCatalog() {
    auto json_col = [](const char* n) { return ColumnSchema{n, ColumnType::Json, "", false}; };
    pods_ = {"k8s.pods", "", {{"name", ColumnType::Text, "", false}, {"namespace", ColumnType::Text, "", false},
                              json_col("metadata"), json_col("spec"), json_col("status")}, {}, {}, ""};
    nodes_ = {"k8s.nodes", "", {{"name", ColumnType::Text, "", false}, json_col("metadata"), json_col("spec"),
                                json_col("status")}, {}, {}, ""};
  }
  const TableSchema* find(std::string_view n) const override {
    return n == "k8s.pods" ? &pods_ : n == "k8s.nodes" ? &nodes_ : nullptr;
  }
  std::vector<std::string> names() const override { return {"k8s.pods", "k8s.nodes"}; }

 private:
  TableSchema pods_, nodes_;
};

std::shared_ptr<TableData> make_table() { return std::make_shared<TableData>(); }

// Realistic shapes (labels, two containers with resources, statuses,
// conditions), varied so that filters and groups are not trivial.
std::shared_ptr<const TableData> pods() {
  static auto table = [] {
    auto t = make_table();
    t->rows.reserve(kPods);
    for (size_t i = 0; i < kPods; ++i) {
      std::string name = "app-" + std::to_string(i / 3) + "-" + std::to_string(i);
      std::string ns = "team-" + std::to_string(i % 200);
      json::object container{{"name", "main"},
                             {"image", i % 50 ? "registry.example.com/app:1." + std::to_string(i % 9) : "nginx"},
                             {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}}}};
      if (i % 10) container["resources"].as_object()["limits"] = {{"cpu", "1"}, {"memory", "512Mi"}};
      json::object sidecar{{"name", "proxy"}, {"image", "envoy:v1.29"}, {"resources", json::object{}}};
      json::object row;
      row["name"] = name;
      row["namespace"] = ns;
      row["metadata"] = {{"name", name}, {"namespace", ns}, {"uid", "uid-" + std::to_string(i)},
                         {"labels", {{"app", "app-" + std::to_string(i / 3)}, {"tier", i % 2 ? "web" : "db"}}},
                         {"creationTimestamp", "2026-11-30T12:00:00Z"}};
      row["spec"] = {{"nodeName", "node-" + std::to_string(i % kNodes)},
                     {"containers", json::array{container, sidecar}},
                     {"restartPolicy", "Always"}};
      row["status"] = {{"phase", i % 97 ? "Running" : "Pending"},
                       {"conditions", json::array{{{"type", "Ready"}, {"status", i % 13 ? "True" : "False"}}}},
                       {"containerStatuses", json::array{{{"name", "main"}, {"restartCount", int64_t(i % 11)}},
                                                         {{"name", "proxy"}, {"restartCount", 0}}}}};
      t->add(row);
    }
    return std::shared_ptr<const TableData>(t);
  }();
  return table;
}

std::shared_ptr<const TableData> nodes() {
  static auto table = [] {
    auto t = make_table();
    for (size_t i = 0; i < kNodes; ++i) {
      std::string name = "node-" + std::to_string(i);
      json::object row;
      row["name"] = name;
      row["metadata"] = {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}};
      row["spec"] = {{"podCIDR", "10.244." + std::to_string(i % 250) + ".0/24"}};
      row["status"] = {{"conditions", json::array{{{"type", "Ready"}, {"status", i % 100 ? "True" : "False"},
                                                   {"lastTransitionTime", "2026-11-30T12:00:00Z"}}}},
                       {"nodeInfo", {{"kubeletVersion", "v1.29.3"}}}};
      t->add(row);
    }
    return std::shared_ptr<const TableData>(t);
  }();
  return table;
}

class BenchProvider : public TableProvider {
 public:
  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) override {
    if (spec.table == "k8s.pods") return pods();
    return nodes();
  }
};

void run_query(benchmark::State& state, const char* text, size_t expected_min_rows) {
  static const BenchCatalog catalog;
  auto q = kcql::parse_query(text);
  auto plan = kcql::bind_query(*q, catalog);
  if (!plan) {
    state.SkipWithError(plan.error().format().c_str());
    return;
  }
  BenchProvider provider;
  pods();
  nodes();
  kcql::ExecOptions options;
  options.now = 1796083200;
  size_t rows = 0;
  for (auto _ : state) {
    auto rs = kcql::execute(*plan, provider, options);
    if (!rs) {
      state.SkipWithError(rs.error().message().c_str());
      return;
    }
    rows = rs->rows.size();
    benchmark::DoNotOptimize(rows);
  }
  if (rows < expected_min_rows) state.SkipWithError("too few result rows");
  state.counters["rows/s"] = benchmark::Counter(double(kPods) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["results"] = double(rows);
}

void BM_Filter(benchmark::State& state) {
  run_query(state,
            "SELECT p.metadata.name FROM k8s.pods p WHERE p.status.phase = 'Pending' "
            "OR p.status.containerStatuses[name = 'main'].restartCount > 9",
            1000);
}

void BM_HashJoin(benchmark::State& state) {
  run_query(state,
            "SELECT p.metadata.name, n.metadata.name FROM k8s.pods p JOIN k8s.nodes n "
            "ON n.metadata.name = p.spec.nodeName WHERE condition(n, 'Ready').status != 'True'",
            1000);
}

void BM_GroupBy(benchmark::State& state) {
  run_query(state,
            "SELECT p.metadata.namespace AS ns, count(*) AS pods, sum(p.status.containerStatuses[0].restartCount) AS "
            "restarts, count(DISTINCT p.spec.nodeName) AS nodes FROM k8s.pods p GROUP BY ns HAVING count(*) > 10",
            200);
}

void BM_UnnestContainers(benchmark::State& state) {
  run_query(state,
            "SELECT p.metadata.name, c.name FROM k8s.pods p, UNNEST(p.spec.containers) AS c "
            "WHERE c.resources.limits IS NULL AND c.name = 'main'",
            1000);
}

void BM_NotExistsSemiJoin(benchmark::State& state) {
  run_query(state,
            "SELECT n.metadata.name FROM k8s.nodes n WHERE NOT EXISTS (SELECT 1 FROM k8s.pods p "
            "WHERE p.spec.nodeName = n.metadata.name AND p.status.phase = 'Pending')",
            1000);
}

}  // namespace

BENCHMARK(BM_Filter)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HashJoin)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GroupBy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UnnestContainers)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NotExistsSemiJoin)->Unit(benchmark::kMillisecond);
