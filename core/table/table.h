// Tables as the core sees them: the schema a data driver declares, the catalog
// of every registered table, and the rows a scan brings back.
//
// This header is the contract between the plugin registry (which fills the
// catalog and fetches rows) and the KCQL engine (which binds names against the
// catalog and evaluates over rows). Neither depends on the other.
#pragma once

#include <boost/json/value.hpp>
#include <boost/json/storage_ptr.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/table/label_index.h"
#include "core/table/packed.h"
#include "core/util/error.h"

namespace kinspect {

enum class ColumnType { Text, Integer, Real, Boolean, Json, Timestamp };

std::string_view to_string(ColumnType t);
// Accepts the names to_string() produces ("text", "integer", ...).
bool parse_column_type(std::string_view s, ColumnType& out);

struct ColumnSchema {
  std::string name;
  ColumnType type = ColumnType::Text;
  std::string doc;
  bool hidden = false;  // not part of SELECT *
};

// An argument of a table function, e.g. node.file(path).
struct ArgumentSchema {
  std::string name;
  ColumnType type = ColumnType::Text;
  std::string doc;
  bool required = true;
};

struct TableSchema {
  std::string name;  // "k8s.pods"
  std::string doc;
  std::vector<ColumnSchema> columns;
  std::vector<ArgumentSchema> arguments;  // non-empty: a table function
  std::vector<std::string> examples;      // example KCQL queries
  std::string plugin;                     // the plugin that declares it
  // "apps/v1/Deployment": each row is an object of that Kubernetes kind (the
  // driver says so, ABI 1.4), so paths into it can be checked against the
  // kind's fields. Empty for every other table.
  std::string row_kind;
  // Every top-level field of a row is a column (JSON), declared or not:
  // tables of objects whose shape the plugin cannot know (any resource, any
  // CRD). Only a qualified name (`o.usage`) reaches an undeclared one.
  bool open_columns = false;
  // A table its plugin computes from others of its own (k8s.workloads from
  // the pod template carriers): a snapshot captures those instead. "*"
  // stands for every table of the plugin without arguments.
  std::vector<std::string> made_of;

  const ColumnSchema* column(std::string_view name) const {
    for (const auto& c : columns)
      if (c.name == name) return &c;
    return nullptr;
  }
};

// Every table that can be queried. The registry implements it for loaded
// plugins; tests implement it over fixtures.
class Catalog {
 public:
  virtual ~Catalog() = default;
  virtual const TableSchema* find(std::string_view name) const = 0;
  virtual std::vector<std::string> names() const = 0;
};

// What a plan needs from one table: the table, its arguments (constants) and
// the paths it reads. A path is dotted from the column, e.g. "metadata.name" or
// "status.conditions"; arrays are traversed transparently. A path that is just
// a column name asks for the whole column. An empty list asks for every column.
// A provider must return at least these paths and may return more.
//
// Constraints narrow what the source needs to send: a path that must equal
// one of a few texts (`path = 'x'` is one value, `path IN ('x', 'y')` several).
// They are a hint the plugin MAY use (the API-server driver then LISTs one
// namespace or sends a fieldSelector); every query still applies its own
// predicates to the rows it gets, so a provider that ignores them is correct.
struct ScanConstraint {
  std::string path;                 // dotted from the column, "metadata.namespace"
  std::vector<std::string> values;  // sorted, distinct; the path equals one of them

  bool operator==(const ScanConstraint&) const = default;
  // "metadata.namespace = 'x'" or "metadata.namespace IN ('x', 'y')".
  std::string text() const;
};

struct ScanSpec {
  ScanSpec() = default;
  // Spelled out so that `ScanSpec{table, args, paths}` needs no constraints.
  ScanSpec(std::string table_name, std::vector<boost::json::value> table_args = {},
           std::vector<std::string> read_paths = {}, std::vector<ScanConstraint> narrowing = {})
      : table(std::move(table_name)), args(std::move(table_args)), paths(std::move(read_paths)),
        constraints(std::move(narrowing)) {}

  std::string table;
  std::vector<boost::json::value> args;
  std::vector<std::string> paths;
  std::vector<ScanConstraint> constraints;  // sorted by path, one per path

  // Identity for fetching each table once per run: table and arguments
  // (paths are merged across the plans that share a table, constraints
  // kept only where they all agree: see narrowest_common below).
  std::string key() const;

  // Widens this fetch to serve `other` too (same key()): the union of the
  // paths (none means every column) and the constraints both agree on.
  void merge(const ScanSpec& other);

  // Whether rows fetched for this spec hold all that `other` reads, so they
  // can serve it instead of a second fetch: the same key(), every row (no
  // constraint here), and each of `other`'s paths read whole here or inside
  // a path read whole here.
  bool covers(const ScanSpec& other) const;
};

// The keys of a projection path: "a.b\\.c" -> {"a", "b.c"} (a dot after a
// backslash belongs to the key).
std::vector<std::string> path_keys(std::string_view path);

// The constraints that hold for every one of several readers of one fetch:
// a path they all constrain, with the union of their values. A reader that
// does not constrain a path makes it unconstrained for all, since the fetch
// must bring that reader every row.
std::vector<ScanConstraint> narrowest_common(const std::vector<ScanConstraint>& a,
                                             const std::vector<ScanConstraint>& b);

// Rows of one table, each a packed JSON object keyed by column name (see
// packed.h). All row memory lives in `store`, so a table is freed at once.
struct TableData {
  packed::Store store;
  std::vector<packed::Ref> rows;

  // Packs a row built as a JSON value (tests, providers of a few rows).
  void add(const boost::json::value& row);

  // Rows by the text at a path (key ids from the row down), built on first
  // use and shared by every query that filters the table on that path
  // equalling a constant: twenty checks looking for kube-proxy, CoreDNS or
  // etcd pods then read a handful of rows each instead of 150,000.
  using PathIndex = std::unordered_map<std::string_view, std::vector<uint32_t>>;
  const PathIndex& index(const std::vector<uint32_t>& path) const;

  // Rows by the text members of the map at a path (pods by
  // metadata.labels), built on first use and shared the same way: the
  // checks that match Service, PodDisruptionBudget or policy selectors
  // against every pod's labels each probe one index, rather than each
  // building its own over 590,000 labels.
  const LabelIndex& labels(const std::vector<uint32_t>& path) const;

 private:
  // One index per path, each built once by the first query to ask; a query
  // waits only for the index it asked for, not for another path's.
  template <class Index>
  struct Built {
    std::once_flag once;
    Index index;
  };
  struct Indexes {
    std::mutex mutex;  // guards the maps, not the indexes in them
    std::map<std::vector<uint32_t>, std::unique_ptr<Built<PathIndex>>> by_path;
    std::map<std::vector<uint32_t>, std::unique_ptr<Built<LabelIndex>>> labels_by_path;
  };
  // The value at `path` (key ids from the row down) in row `r`; absent if
  // some step is not an object or lacks the key.
  packed::Ref at_path(uint32_t r, const std::vector<uint32_t>& path) const;
  std::unique_ptr<Indexes> indexes_ = std::make_unique<Indexes>();  // a pointer keeps TableData movable
};

// Fetches tables for evaluation. The report executor prefetches every table a
// run needs; `kinspect query` fetches on demand.
class TableProvider {
 public:
  virtual ~TableProvider() = default;
  virtual Expected<std::shared_ptr<const TableData>> fetch(const ScanSpec& spec) = 0;
};

}  // namespace kinspect
