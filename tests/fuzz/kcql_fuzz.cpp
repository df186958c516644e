// libFuzzer target: any text through the query parser, the check-file parser,
// the binder (against a small fixed catalog) and, when it binds, the executor
// over a few rows with tight budgets. Nothing may crash, hang or leak.
#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/kcql/check.h"
#include "core/kcql/kcql.h"

namespace {

using namespace kinspect;

class FuzzCatalog : public Catalog {
 public:
  FuzzCatalog() {
    auto json_col = [](const char* n) { return ColumnSchema{n, ColumnType::Json, "", false}; };
    TableSchema pods{"k8s.pods", "", {{"name", ColumnType::Text, "", false}, {"namespace", ColumnType::Text, "", false},
                                      json_col("metadata"), json_col("spec"), json_col("status")}, {}, {}, ""};
    TableSchema nodes{"k8s.nodes", "", {{"name", ColumnType::Text, "", false}, json_col("metadata"), json_col("spec"),
                                        json_col("status")}, {}, {}, ""};
    TableSchema file{"node.file", "", {{"node", ColumnType::Text, "", false}, {"content", ColumnType::Text, "", false}},
                     {{"path", ColumnType::Text, "", true}}, {}, ""};
    tables_ = {pods, nodes, file};
  }
  const TableSchema* find(std::string_view name) const override {
    for (const auto& t : tables_)
      if (t.name == name) return &t;
    return nullptr;
  }
  std::vector<std::string> names() const override { return {"k8s.pods", "k8s.nodes", "node.file"}; }

 private:
  std::vector<TableSchema> tables_;
};

class FuzzProvider : public TableProvider {
 public:
  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) override {
    auto data = std::make_shared<TableData>();
    const char* rows = spec.table == "k8s.nodes"
        ? R"([{"name":"a","metadata":{"name":"a","labels":{"x":"1"}},"status":{"conditions":[{"type":"Ready","status":"False"}],"nodeInfo":{"kubeletVersion":"v1.28.1"}}},
             {"name":"b","metadata":{"name":"b"},"status":{"conditions":[]}}])"
        : spec.table == "k8s.pods"
        ? R"([{"name":"p","namespace":"n","metadata":{"name":"p","labels":{"app":"w"}},"spec":{"nodeName":"a","containers":[{"name":"c","image":"nginx","args":["-x"]}]},"status":{"phase":"Running","containerStatuses":[{"name":"c","restartCount":3}]}},
             {"name":"q","namespace":"n","metadata":{"name":"q"},"spec":{"containers":[]},"status":{"phase":"Pending"}}])"
        : R"([{"node":"a","content":"--anonymous-auth=false"}])";
    boost::json::value parsed = boost::json::parse(rows);
    for (auto& row : parsed.as_array()) data->add(row);
    return std::shared_ptr<const TableData>(std::move(data));
  }
};

void run(const kcql::Plan& plan) {
  FuzzProvider provider;
  kcql::ExecOptions options;
  options.now = 1796083200;
  options.row_budget = 20000;
  options.time_budget = std::chrono::milliseconds(500);
  (void)kcql::execute(plan, provider, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FuzzCatalog catalog;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto q = kcql::parse_query(text, "<fuzz>")) {
    kcql::Params params{{"n", 3}, {"s", "x"}};
    if (auto plan = kcql::bind_query(*q, catalog, params)) {
      (void)plan->explain();
      run(*plan);
    } else {
      (void)plan.error().format();
    }
  } else {
    (void)q.error().format();
  }
  if (auto checks = kcql::parse_checks(text, "<fuzz>")) {
    for (const auto& c : *checks) {
      auto bound = kcql::bind_check(c, catalog);
      if (!bound) continue;
      FuzzProvider provider;
      kcql::ExecOptions options;
      options.row_budget = 20000;
      options.time_budget = std::chrono::milliseconds(500);
      (void)kcql::run_check(*bound, provider, options);
    }
  } else {
    (void)checks.error().format();
  }
  return 0;
}
