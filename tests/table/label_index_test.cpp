// The label index: rows by key=value of a map of text, and its shared copy
// on a table (TableData::labels), which the selector checks probe.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/table/label_index.h"
#include "core/table/table.h"

namespace kinspect {
namespace {

std::vector<uint32_t> rows_of(const LabelIndex& index, std::string_view key, std::string_view value) {
  std::vector<uint32_t> out;
  for (uint32_t r : index.rows(LabelPair{packed::intern(key), value})) out.push_back(r);
  return out;
}

// Rows whose labels are mostly their own (a pod name, a hash), with a few
// pairs shared by many: the shape of real pods' labels.
TableData pods(size_t n) {
  TableData t;
  for (size_t i = 0; i < n; ++i) {
    boost::json::object labels{{"pod-name", "pod-" + std::to_string(i)}, {"app", "app-" + std::to_string(i % 7)}};
    if (i % 3 == 0) labels["tier"] = "web";
    if (i % 5 == 0) labels["count"] = int64_t(i);  // not text: not indexed
    boost::json::object row{{"metadata", boost::json::object{{"name", "p" + std::to_string(i)}}}};
    if (i % 11 != 0) row["metadata"].as_object()["labels"] = std::move(labels);  // some pods have none
    t.add(row);
  }
  return t;
}

std::vector<uint32_t> labels_path() { return {packed::intern("metadata"), packed::intern("labels")}; }

TEST(LabelIndex, GivesEachPairItsRowsAscending) {
  const size_t n = 20000;
  TableData t = pods(n);
  const LabelIndex& index = t.labels(labels_path());
  std::map<std::pair<std::string, std::string>, std::vector<uint32_t>> expected;
  for (uint32_t i = 0; i < n; ++i) {
    if (i % 11 == 0) continue;
    expected[{"pod-name", "pod-" + std::to_string(i)}].push_back(i);
    expected[{"app", "app-" + std::to_string(i % 7)}].push_back(i);
    if (i % 3 == 0) expected[{"tier", "web"}].push_back(i);
  }
  for (const auto& [pair, rows] : expected) {
    // Every pod-name pair is distinct: check a sample of them, and every shared pair.
    if (pair.first == "pod-name" && rows[0] % 97 != 1) continue;
    EXPECT_EQ(rows_of(index, pair.first, pair.second), rows) << pair.first << "=" << pair.second;
  }
  EXPECT_TRUE(rows_of(index, "tier", "db").empty());
  EXPECT_TRUE(rows_of(index, "pod-name", "pod-0").empty());  // pod 0 has no labels
  EXPECT_TRUE(rows_of(index, "count", "5").empty());         // a number is not a label value
}

TEST(LabelIndex, EmptyAndUnsealedIndexesHaveNoRows) {
  TableData t = pods(3);
  LabelIndex unsealed;
  unsealed.add_map(t.rows[1].find(packed::intern("metadata")).find(packed::intern("labels")), 1);
  EXPECT_TRUE(rows_of(unsealed, "app", "app-1").empty());
  LabelIndex empty;
  empty.seal();
  EXPECT_TRUE(rows_of(empty, "app", "app-1").empty());
  unsealed.seal();
  EXPECT_EQ(rows_of(unsealed, "app", "app-1"), std::vector<uint32_t>{1});
}

TEST(LabelIndex, TableBuildsItOnceForEveryQueryThatAsks) {
  TableData t = pods(5000);
  std::vector<const LabelIndex*> seen(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] { seen[i] = &t.labels(labels_path()); });
  for (auto& th : threads) th.join();
  for (const LabelIndex* p : seen) EXPECT_EQ(p, seen[0]);
  EXPECT_EQ(rows_of(*seen[0], "tier", "db").size(), 0u);
  size_t app_3 = 0;
  for (uint32_t i = 0; i < 5000; ++i) app_3 += i % 7 == 3 && i % 11 != 0;
  EXPECT_EQ(rows_of(*seen[0], "app", "app-3").size(), app_3);
  // Another path is another index.
  EXPECT_NE(&t.labels({packed::intern("metadata")}), seen[0]);
}

}  // namespace
}  // namespace kinspect
