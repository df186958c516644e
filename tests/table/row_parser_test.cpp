// Parsing row batches with projection: only the requested paths are built,
// arrays are transparent, and bad rows are reported with their byte offset.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "core/table/row_parser.h"

using namespace kinspect;
namespace json = boost::json;

namespace {

std::vector<json::value> parse(std::string_view batch, std::vector<std::string> paths, Status* st = nullptr,
                               uint64_t* sax_batches = nullptr) {
  RowParser p{Projection(paths)};
  TableData data;
  Status s = p.feed(batch, data, "table t");
  if (sax_batches) *sax_batches = p.sax_batches();
  if (st) *st = s;
  else EXPECT_TRUE(s.ok()) << s.error().message();
  // Rows are packed; compare them as JSON.
  std::vector<json::value> rows;
  for (packed::Ref r : data.rows) rows.push_back(packed::to_json(r));
  return rows;
}

}  // namespace

TEST(RowParser, KeepsEverythingWithoutProjection) {
  auto rows = parse("{\"a\":1,\"b\":{\"c\":[1,2,{\"d\":null}]}}\n{\"a\":2}", {});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(json::serialize(rows[0]), R"({"a":1,"b":{"c":[1,2,{"d":null}]}})");
  EXPECT_EQ(rows[1].at("a").as_int64(), 2);
}

TEST(RowParser, ProjectsPathsThroughObjectsAndArrays) {
  const char* pod = R"({"metadata":{"name":"p","labels":{"app":"x"},"managedFields":[{"big":1}]},
    "spec":{"containers":[{"name":"a","image":"i1","env":[1,2]},{"name":"b","image":"i2"}]},
    "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})";
  auto rows = parse(pod, {"metadata.name", "spec.containers.image", "status.conditions"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(json::serialize(rows[0]),
            R"({"metadata":{"name":"p"},"spec":{"containers":[{"image":"i1"},{"image":"i2"}]},)"
            R"("status":{"conditions":[{"type":"Ready","status":"True"}]}})");
}

TEST(RowParser, WholeColumnSubsumesDeeperPaths) {
  auto rows = parse(R"({"m":{"a":1,"b":2},"x":3})", {"m.a", "m"});
  EXPECT_EQ(json::serialize(rows[0]), R"({"m":{"a":1,"b":2}})");
}

// A key with a dot in it (an annotation) is asked for with the dot escaped,
// and only that key is kept: not its neighbours, not a key split at the dot.
TEST(RowParser, AnEscapedDotIsPartOfTheKey) {
  const char* pod = R"({"metadata":{"name":"p","annotations":{"kinspect.io/waive":"x","kinspect.io/waive-reason":"r",)"
                    R"("other.io/big":"dropped"},"kinspect":{"io/waive":"not this"}}})";
  auto rows = parse(pod, {"metadata.name", "metadata.annotations.kinspect\\.io/waive"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(json::serialize(rows[0]), R"({"metadata":{"name":"p","annotations":{"kinspect.io/waive":"x"}}})");
  // Without the escape the dot splits the key, as always.
  rows = parse(pod, {"metadata.kinspect.io/waive"});
  EXPECT_EQ(json::serialize(rows[0]), R"({"metadata":{"kinspect":{"io/waive":"not this"}}})");
}

// "a.#" names a key no object has: what is at a is kept as a shell, enough
// to tell whether it is there (IS NULL) or how many elements it has (UNNEST).
TEST(RowParser, AShellPathKeepsWhetherAValueIsThereAndNotItsContents) {
  const char* rows_text = R"({"c":[{"probe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":10}},)"
                          R"({"probe":null},{},{"probe":"odd"},{"probe":[{"x":1},2]}]})";
  auto rows = parse(rows_text, {"c.probe.#"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(json::serialize(rows[0]), R"({"c":[{"probe":{}},{"probe":null},{},{"probe":"odd"},{"probe":[{},2]}]})");
  // A path that reads the value itself subsumes the shell, in either order.
  for (const auto& paths : {std::vector<std::string>{"c.probe.#", "c.probe"}, {"c.probe", "c.probe.#"}}) {
    rows = parse(rows_text, paths);
    EXPECT_EQ(json::serialize(rows[0].at("c").at(0)), R"({"probe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":10}})");
  }
}

TEST(RowParser, ScalarWhereAnObjectWasExpectedIsKept) {
  auto rows = parse(R"({"spec":"oops","other":{"spec":1}})", {"spec.containers"});
  EXPECT_EQ(json::serialize(rows[0]), R"({"spec":"oops"})");
}

TEST(RowParser, EscapedKeysAndUnicodeSurvive) {
  auto rows = parse(R"({"metadata":{"labels":{"app.kubernetes.io/name":"caf\u00e9 ✓","a\"b":1}}})", {"metadata.labels"});
  const auto& labels = rows[0].at("metadata").at("labels");
  EXPECT_EQ(labels.at("app.kubernetes.io/name").as_string(), "café ✓");
  EXPECT_EQ(labels.at("a\"b").as_int64(), 1);
}

TEST(RowParser, BadRowsSayWhere) {
  Status st;
  parse("{\"a\":1}\n{\"a\":", {"a"}, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("table t: invalid JSON row at byte"), std::string::npos) << st.error().message();
  parse("{\"a\":1} [1,2]", {}, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "table t: row at byte 8 is not a JSON object");
}

TEST(RowParser, DeepNestingIsAllowed) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "{\"k\":";
  deep += "1";
  for (int i = 0; i < 200; ++i) deep += "}";
  auto rows = parse(deep, {});
  ASSERT_EQ(rows.size(), 1u);
}

TEST(RowText, SplitsWithoutParsing) {
  std::vector<std::string> rows;
  bool whole = for_each_row_text("{\"a\":\"}{\"}\n {\"b\":[1,{}]}", [&](std::string_view r) { rows.emplace_back(r); });
  EXPECT_TRUE(whole);
  EXPECT_EQ(rows, (std::vector<std::string>{"{\"a\":\"}{\"}", "{\"b\":[1,{}]}"}));
  EXPECT_FALSE(for_each_row_text("{\"a\":1", [](std::string_view) {}));
}

// simdjson reads most batches (the fast path) and the SAX parser the rest:
// whichever reads a row, it must come out as Boost.JSON reads it. These are
// the values where JSON parsers are known to differ. One exception: a zero
// with an exponent past a double's range (`0e1007`) is 0, which simdjson
// reads and Boost.JSON 1.81 reads as NaN (0 times infinity). Duplicate keys
// are in packed.h's tests: a packed object keeps both, Boost.JSON the last.
TEST(RowParser, EdgeValuesReadAsBoostJsonReadsThem) {
  json::parse_options opts;
  opts.max_depth = 1024;
  opts.allow_invalid_utf8 = true;
  const std::vector<std::string> rows = {
      R"({"a":-0})", R"({"a":-0.0})", R"({"a":1e308})", R"({"a":18446744073709551615})",
      R"({"a":18446744073709551616})", R"({"a":-9223372036854775808})", R"({"a":-9223372036854775809})",
      R"({"a":4.9e-324})", R"({"a":0.1})", R"({"a":123456789012345678901234567890})", R"({"a":1E2})",
      R"({"k\u00e9y":"\ud83d\ude00 \u0000 \/ \b"})", "{\"a\":\"caf\xc3\xa9\"}", "{\"a\":\"bad \xff\xfe utf8\"}",
      R"({})", R"({"a":[],"b":{},"c":[[[]]]})", R"({"a":true,"b":false,"c":null})"};
  for (const std::string& text : rows) {
    SCOPED_TRACE(text);
    Status st;
    auto got = parse(text + "\n" + text, {}, &st);
    json::error_code ec;
    json::value want = json::parse(text, ec, {}, opts);
    if (ec) {
      EXPECT_FALSE(st.ok());
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.error().message();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(json::serialize(got[0]), json::serialize(want));
    EXPECT_EQ(json::serialize(got[1]), json::serialize(want));
  }
  auto zero = parse(R"({"a":0e1007})", {});
  ASSERT_EQ(zero.size(), 1u);
  EXPECT_EQ(zero[0].at("a"), json::value(0.0));
}

// simdjson reads a batch in windows of about 1 MiB; a row longer than that
// (a large ConfigMap) is read whole, with the rows before and after it.
TEST(RowParser, ARowLongerThanAReadingWindowIsReadWhole) {
  const std::string big(1536 * 1024, 'x');
  std::string batch;
  for (int i = 0; i < 3000; ++i) batch += "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(300, 'p') + "\"}\n";
  batch += "{\"n\":-1,\"data\":{\"big\":\"" + big + "\"}}\n{\"n\":3000}";
  uint64_t sax = 1;
  auto rows = parse(batch, {"n", "data.big"}, nullptr, &sax);
  EXPECT_EQ(sax, 0u) << "simdjson did not read the batch";
  ASSERT_EQ(rows.size(), 3002u);
  EXPECT_EQ(rows[2999].at("n").as_int64(), 2999);
  EXPECT_EQ(rows[3000].at("data").at("big").as_string().size(), big.size());
  EXPECT_EQ(rows[3001].at("n").as_int64(), 3000);
  EXPECT_FALSE(rows[0].as_object().contains("pad"));
}

// What simdjson does not read cleanly, the SAX parser reads: bytes that are
// not UTF-8 (files from a host), integers past 64 bits.
TEST(RowParser, TheSaxParserReadsWhatSimdjsonRejects) {
  uint64_t sax = 0;
  auto rows = parse("{\"a\":1}\n{\"a\":2}", {}, nullptr, &sax);
  EXPECT_EQ(sax, 0u);
  ASSERT_EQ(rows.size(), 2u);
  rows = parse("{\"a\":1}\n{\"a\":\"bad \xff\"}", {}, nullptr, &sax);
  EXPECT_EQ(sax, 1u);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].at("a").as_string(), "bad \xff");
  rows = parse("{\"a\":123456789012345678901234567890}", {}, nullptr, &sax);
  EXPECT_EQ(sax, 1u);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].at("a").is_double());
}

// The same projection through either parser: a byte that is not UTF-8, in a
// field no path keeps, sends the batch through the SAX parser.
TEST(RowParser, BothParsersProjectAlike) {
  const std::string pod = R"({"metadata":{"name":"p","labels":{"app":"x"},"managedFields":[{"f":{"a":[1,{"b":2}]}}]},
    "spec":{"containers":[{"name":"a","image":"i1","livenessProbe":{"exec":{"command":["x"]}},"env":[1]},
                          {"name":"b","image":"i2","ports":[]}]},
    "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]})";
  const std::vector<std::string> paths = {"metadata.name", "metadata.labels", "spec.containers.image",
                                          "spec.containers.livenessProbe.#", "spec.containers.ports.#",
                                          "status.conditions", "status.missing.deeper"};
  uint64_t sax = 1;
  auto fast = parse(pod + "}", paths, nullptr, &sax);
  EXPECT_EQ(sax, 0u);
  auto slow = parse(pod + ",\"junk\":{\"x\":[\"\xff\"]}}", paths, nullptr, &sax);
  EXPECT_EQ(sax, 1u);
  ASSERT_EQ(fast.size(), 1u);
  ASSERT_EQ(slow.size(), 1u);
  EXPECT_EQ(json::serialize(fast[0]), json::serialize(slow[0]));
  EXPECT_EQ(json::serialize(fast[0].at("spec")),
            R"({"containers":[{"image":"i1","livenessProbe":{}},{"image":"i2","ports":[]}]})");
}

TEST(BatchTail, VouchesOnlyForItsOwnBatchAndNests) {
  const std::string a = "{\"a\":1}\n", b = "{\"b\":2}\n";
  EXPECT_EQ(BatchTail::readable_after(a), 0u);
  {
    BatchTail outer(a, 100);
    EXPECT_EQ(BatchTail::readable_after(a), 100u);
    EXPECT_EQ(BatchTail::readable_after(b), 0u);
    EXPECT_EQ(BatchTail::readable_after(std::string_view(a).substr(0, 3)), 0u);  // same start, not the batch
    {
      BatchTail inner(b, 64);
      EXPECT_EQ(BatchTail::readable_after(b), 64u);
      EXPECT_EQ(BatchTail::readable_after(a), 0u);  // the innermost tail is the one asked
    }
    EXPECT_EQ(BatchTail::readable_after(a), 100u);
  }
  EXPECT_EQ(BatchTail::readable_after(a), 0u);
}

// simdjson reads up to 64 bytes past a document: a batch that ends right
// before a page nothing may read is copied into a padded buffer first,
// unless its producer vouches for the bytes after it (a shared slot); then
// it is read where it lies, whatever those bytes hold, and no further.
TEST(RowParser, ReadsABatchInPlaceOnlyWhereTheBytesAfterItAreVouchedFor) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* map = mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  char* base = static_cast<char*>(map);
  ASSERT_EQ(mprotect(base + 2 * page, page, PROT_NONE), 0);
  const std::string batch = "{\"a\":1,\"s\":\"x\"}\n{\"a\":2,\"s\":\"end\"}";
  const json::value want = json::parse("[{\"a\":1,\"s\":\"x\"},{\"a\":2,\"s\":\"end\"}]");
  auto rows_of = [&](std::string_view at, uint64_t& copied) {
    RowParser p{Projection({"a", "s"})};
    TableData data;
    Status st = p.feed(at, data, "table t");
    EXPECT_TRUE(st.ok()) << st.error().message();
    copied = p.copied_batches();
    json::array rows;
    for (packed::Ref r : data.rows) rows.push_back(packed::to_json(r));
    return json::value(rows);
  };

  char* flush = base + 2 * page - batch.size();  // ends where the unreadable page begins
  std::memcpy(flush, batch.data(), batch.size());
  uint64_t copied = 0;
  EXPECT_EQ(rows_of({flush, batch.size()}, copied), want);
  EXPECT_EQ(copied, 1u);

  char* vouched = base + 2 * page - 64 - batch.size();  // 64 readable bytes after it, of junk
  std::memcpy(vouched, batch.data(), batch.size());
  std::memset(vouched + batch.size(), '"', 32);
  std::memset(vouched + batch.size() + 32, '7', 32);
  {
    BatchTail tail({vouched, batch.size()}, 64);
    EXPECT_EQ(rows_of({vouched, batch.size()}, copied), want);
    EXPECT_EQ(copied, 0u);
  }
  munmap(map, 3 * page);
}
