// The packed row format: every JSON value survives a round trip, lookups find
// members by key id, skipping works over nested containers, and the key
// dictionary is shared safely between threads.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <thread>

#include "core/table/packed.h"
#include "core/table/row_parser.h"
#include "core/table/table.h"

using namespace kinspect;
namespace json = boost::json;

namespace {

std::string pack(const json::value& v) {
  packed::Writer w;
  w.json(v);
  return std::string(w.bytes());
}

packed::Ref view_of(const std::string& bytes) { return packed::Ref(reinterpret_cast<const uint8_t*>(bytes.data())); }

}  // namespace

TEST(Packed, EveryKindRoundTrips) {
  const char* docs[] = {
      "null", "true", "false", "0", "-1", "63", "64", "-65", "9223372036854775807", "-9223372036854775808",
      "18446744073709551615", "1.5", "-0.25", "1e300", R"("")", R"("héllo \"w\" \u0000 ✓")",
      "[]", "{}", R"([1,[2,[3,[]]],{"a":{}}])",
      R"({"metadata":{"name":"web-1","labels":{"app.kubernetes.io/name":"web"}},"spec":{"containers":[{"name":"a","ports":[{"containerPort":80}]},{"name":"b"}]},"status":{"phase":"Running","startTime":null}})",
  };
  for (const char* doc : docs) {
    json::value v = json::parse(doc);
    std::string bytes = pack(v);
    EXPECT_EQ(json::serialize(packed::to_json(view_of(bytes))), json::serialize(v)) << doc;
    EXPECT_EQ(view_of(bytes).encoded_size(), bytes.size()) << doc;
  }
}

TEST(Packed, LargeIntegersKeepTheirKind) {
  std::string big = pack(json::parse("18446744073709551615"));
  EXPECT_EQ(view_of(big).tag(), packed::Tag::UInt);
  EXPECT_EQ(view_of(big).get_uint64(), 18446744073709551615ull);
  // An unsigned value that fits int64 is stored as an Int.
  std::string small = pack(json::value(uint64_t(42)));
  EXPECT_EQ(view_of(small).tag(), packed::Tag::Int);
  EXPECT_EQ(view_of(small).get_int64(), 42);
  std::string neg = pack(json::value(int64_t(INT64_MIN)));
  EXPECT_EQ(view_of(neg).get_int64(), INT64_MIN);
}

TEST(Packed, FindSkipsNestedMembersAndReportsAbsence) {
  std::string bytes = pack(json::parse(
      R"({"skip":{"deep":[1,2,{"x":"a long string that is skipped in one step"}]},"s":"v","n":7,"arr":[10,20,30]})"));
  packed::Ref r = view_of(bytes);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r.size(), 4u);
  EXPECT_EQ(r.find("s").get_string(), "v");
  EXPECT_EQ(r.find(packed::intern("n")).get_int64(), 7);
  EXPECT_FALSE(r.find("missing"));
  EXPECT_FALSE(r.find("a key never seen by this process 9f2c"));
  packed::Ref arr = r.find("arr");
  ASSERT_TRUE(arr.is_array());
  EXPECT_EQ(arr.size(), 3u);
  EXPECT_EQ(arr.at(2).get_int64(), 30);
  EXPECT_FALSE(arr.at(3));
  std::vector<std::string> keys;
  for (const auto& m : r.members()) keys.emplace_back(m.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"skip", "s", "n", "arr"}));
  int64_t sum = 0;
  for (packed::Ref e : arr.elements()) sum += e.get_int64();
  EXPECT_EQ(sum, 60);
}

TEST(Packed, EmptyContainersIterateToNothing) {
  std::string bytes = pack(json::parse(R"({"a":[],"b":{}})"));
  packed::Ref r = view_of(bytes);
  EXPECT_TRUE(r.find("a").empty());
  EXPECT_TRUE(r.find("b").empty());
  EXPECT_EQ(r.find("a").size(), 0u);
  for (packed::Ref e : r.find("a").elements()) ADD_FAILURE() << "element in an empty array at " << e.data();
  for (const auto& m : r.find("b").members()) ADD_FAILURE() << "member in an empty object: " << m.key();
}

TEST(Packed, KeysCostFarLessThanTheirText) {
  // 1,000 objects with the same long keys: the keys are stored once, in the
  // dictionary, so the packed form is much smaller than the JSON text.
  json::array rows;
  for (int i = 0; i < 1000; ++i)
    rows.push_back(json::object{{"terminationMessagePolicy", "File"}, {"imagePullPolicy", "IfNotPresent"}, {"restartCount", i}});
  std::string text = json::serialize(rows);
  std::string bytes = pack(rows);
  EXPECT_LT(bytes.size() * 2, text.size()) << bytes.size() << " packed bytes for " << text.size() << " bytes of JSON";
}

TEST(Packed, DictionaryIsConsistentAcrossThreads) {
  // Threads intern overlapping key sets at once; every thread must see the
  // same id for the same key and the id's text must be the key.
  constexpr int kThreads = 4, kKeys = 3000;
  std::vector<std::vector<uint32_t>> ids(kThreads, std::vector<uint32_t>(kKeys));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        static const int kStride[kThreads] = {1, 7, 11, 13};  // coprime to kKeys: each visits every key
        int key = (k * kStride[t] + t * 101) % kKeys;
        ids[size_t(t)][size_t(key)] = packed::intern("thread-key-" + std::to_string(key));
      }
    });
  for (auto& th : threads) th.join();
  for (int k = 0; k < kKeys; ++k) {
    for (int t = 1; t < kThreads; ++t) ASSERT_EQ(ids[size_t(t)][size_t(k)], ids[0][size_t(k)]) << k;
    EXPECT_EQ(packed::key_name(ids[0][size_t(k)]), "thread-key-" + std::to_string(k));
    EXPECT_EQ(packed::lookup("thread-key-" + std::to_string(k)), ids[0][size_t(k)]);
  }
}

// The writer reserves room per value, not per byte: values of every size,
// across many growths of its buffer and a move, read back as written.
TEST(Packed, AWriterKeepsEveryValueAcrossItsGrowthAndAMove) {
  packed::Writer w;
  json::array want;
  size_t at = w.open_array();
  for (int i = 0; i < 2000; ++i) {
    std::string s(static_cast<size_t>(i * 7 % 300), char('a' + i % 26));
    w.string(s);
    w.int64(int64_t(i) * -123456789);
    w.real(i + 0.5);
    w.uint64(UINT64_MAX - uint64_t(i));
    w.boolean(i % 2 == 0);
    w.null_value();
    want.insert(want.end(), {json::value(s), json::value(int64_t(i) * -123456789), json::value(i + 0.5),
                             json::value(UINT64_MAX - uint64_t(i)), json::value(i % 2 == 0), json::value(nullptr)});
  }
  w.close(at);
  packed::Writer moved = std::move(w);
  EXPECT_TRUE(w.bytes().empty());
  const std::string bytes(moved.bytes());
  EXPECT_EQ(packed::to_json(view_of(bytes)), json::value(want));
  moved.clear();
  moved.int64(7);
  EXPECT_EQ(packed::to_json(view_of(std::string(moved.bytes()))), json::value(7));
}

TEST(Packed, StoreKeepsRowsStableAcrossChunks) {
  // Rows larger and smaller than a chunk, many of them: earlier rows must not
  // move when later ones are added.
  TableData t;
  std::string big(3 << 20, 'x');
  for (int i = 0; i < 2000; ++i) t.add(json::object{{"i", i}, {"pad", i % 500 == 0 ? big : std::string(900, 'y')}});
  ASSERT_EQ(t.rows.size(), 2000u);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(t.rows[size_t(i)].find("i").get_int64(), i);
    EXPECT_EQ(t.rows[size_t(i)].find("pad").get_string().size(), i % 500 == 0 ? big.size() : 900u);
  }
  EXPECT_GE(t.store.bytes_reserved(), 2000u * 900u);
}

TEST(Packed, DuplicateKeysAnswerWithTheFirstEverywhere) {
  kinspect::RowParser parser{kinspect::Projection()};
  TableData t;
  ASSERT_TRUE(parser.feed(R"({"a":1,"b":2,"a":3})", t, "test").ok());
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].find("a").get_int64(), 1);
  EXPECT_EQ(json::serialize(packed::to_json(t.rows[0])), R"({"a":1,"b":2})");
}

// A fetch shared by several readers brings every row any of them needs.
TEST(ScanSpec, MergeKeepsOnlyWhatEveryReaderNarrows) {
  ScanSpec a("k8s.pods", {}, {"metadata"}, {{"metadata.namespace", {"shop"}}, {"spec.nodeName", {"n1"}}});
  ScanSpec b("k8s.pods", {}, {"spec"}, {{"metadata.namespace", {"payments", "shop"}}});
  ScanSpec merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.paths, (std::vector<std::string>{"metadata", "spec"}));
  ASSERT_EQ(merged.constraints.size(), 1u);
  EXPECT_EQ(merged.constraints[0].text(), "metadata.namespace IN ('payments', 'shop')");
  ScanSpec everything("k8s.pods");
  merged.merge(everything);
  EXPECT_TRUE(merged.paths.empty()) << "one reader of every column: every column";
  EXPECT_TRUE(merged.constraints.empty()) << "one reader of every row: every row";
  EXPECT_EQ(ScanConstraint({"metadata.name", {"it's"}}).text(), "metadata.name = 'it''s'");
}
