// In-memory catalog and provider over the JSON fixtures in tests/data/kcql.
// The provider keeps only the paths each ScanSpec asks for, as a real driver
// may, so a plan that forgets to declare a path it reads fails the tests.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/kcql/check.h"
#include "core/kcql/functions.h"
#include "core/kcql/kcql.h"

namespace kinspect::kcql::test {

namespace json = boost::json;

// 2026-12-01T00:00:00Z: the fixtures' "now".
constexpr double kNow = 1796083200;

class FixtureCatalog : public Catalog {
 public:
  FixtureCatalog();
  const TableSchema* find(std::string_view name) const override;
  std::vector<std::string> names() const override;
  void add(TableSchema schema) { tables_[schema.name] = std::move(schema); }

 private:
  std::map<std::string, TableSchema, std::less<>> tables_;
};

class FixtureProvider : public TableProvider {
 public:
  FixtureProvider();  // the tables of tests/data/kcql
  Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) override;
  void set_rows(const std::string& table, boost::json::array rows) { rows_[table] = std::move(rows); }
  std::vector<ScanSpec> requests;  // every fetch, in order
  bool prune = true;

 private:
  std::map<std::string, boost::json::array> rows_;
};

// Rows of a fixture file: an array of rows, or a Kubernetes List whose items
// become {name, namespace, metadata, spec, status}.
boost::json::array load_rows(const std::string& file);
std::string read_file(const std::string& path);

// Keeps the parts of `row` named by dotted `paths` (arrays traversed).
boost::json::value prune_row(const boost::json::value& row, const std::vector<std::string>& paths);

// Parses, binds and executes; fails the test with the error text otherwise.
ResultSet run(const std::string& query, const Params& params = {}, FixtureProvider* provider = nullptr,
              ExecOptions options = {});
// The error text of a query that must fail at parse, bind or execution.
std::string error_of(const std::string& query, const Params& params = {}, ExecOptions options = {});
// The error of a query that must fail while executing over `provider`.
std::string error_of_with(FixtureProvider& provider, const std::string& query, ExecOptions options = {});
// Values of column `col` of every row, serialized as JSON text.
std::vector<std::string> column(const ResultSet& rs, size_t col = 0);
// The single value of a one-row, one-column query, serialized.
std::string scalar(const std::string& expr_query);
// Parses the first check of `text`, expects it to lint clean against the
// fixture catalog, binds it and runs it over `provider` (the fixtures when
// null) at kNow; the findings, or the first error.
Expected<std::vector<Finding>> run_check_text(const std::string& text, const std::string& file,
                                              FixtureProvider* provider = nullptr);
// Every row of `rs` as one JSON array of arrays.
std::string rows_of(const ResultSet& rs);
// The EXPLAIN of a query bound against the fixture catalog; "" (and a
// failed test) when it does not parse or bind.
std::string explain_of(const std::string& query);

}  // namespace kinspect::kcql::test
