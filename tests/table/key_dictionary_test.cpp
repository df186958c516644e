// The key dictionary of packed rows (core/table/packed.h): bounded, with a
// clear error when full, and renewed by generation. These tests change the
// process-wide dictionary, so they live in their own executable, and ctest
// runs each in its own process.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/table/packed.h"
#include "core/table/row_parser.h"
#include "core/table/table.h"

using namespace kinspect;
namespace json = boost::json;

TEST(KeyDictionary, FullIsAnErrorNamingTheBound) {
  const uint32_t bound = packed::key_count() + 3;
  packed::set_key_limit(bound);
  EXPECT_EQ(packed::key_limit(), bound);
  for (const char* k : {"full-a", "full-b", "full-c"}) EXPECT_NE(packed::intern(k), packed::kNoKey);
  EXPECT_EQ(packed::intern("full-a"), packed::lookup("full-a")) << "a known key still interns when full";
  try {
    packed::intern("full-d");
    FAIL() << "a key past the bound was accepted";
  } catch (const packed::KeyDictionaryFull& e) {
    EXPECT_NE(std::string(e.what()).find("full: generation 1 already holds its bound of " + std::to_string(bound)),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(packed::key_count(), bound);

  // A table whose rows bring one key too many fails with the table's name.
  RowParser all{Projection()};
  TableData data;
  Status st = all.feed(R"({"full-a":1,"full-e":2})", data, "table test.wide");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("table test.wide: the key dictionary of packed rows is full"), std::string::npos)
      << st.error().message();
  // So does a projection that names a new key.
  RowParser projected{Projection({"full-f.x"})};
  st = projected.feed(R"({"full-a":1})", data, "table test.projected");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("table test.projected: the key dictionary"), std::string::npos)
      << st.error().message();
}

TEST(KeyDictionary, ANewGenerationStartsEmptyOnceNothingHoldsTheOld) {
  const packed::FixedKey status("status");
  const uint32_t old_status = packed::intern("status");
  EXPECT_EQ(status.id(), old_status);
  const uint64_t first = packed::generation();
  {
    packed::GenerationPin run;  // a run in flight
    packed::GenerationResult refused = packed::begin_generation();
    EXPECT_FALSE(refused.ok);
    EXPECT_NE(refused.error.find("generation " + std::to_string(first) + " is still held by 1 user(s)"),
              std::string::npos)
        << refused.error;
    EXPECT_EQ(packed::generation(), first);
    EXPECT_EQ(packed::lookup("status"), old_status) << "nothing changed";
  }
  packed::GenerationResult next = packed::begin_generation();
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.generation, first + 1);
  EXPECT_EQ(packed::generation(), first + 1);
  EXPECT_EQ(packed::key_count(), 0u);
  EXPECT_EQ(packed::lookup("status"), packed::kNoKey) << "the old keys are gone";

  // Fresh ids from zero; a FixedKey follows; rows pack and read back.
  EXPECT_EQ(packed::intern("kind"), 0u);
  EXPECT_EQ(status.id(), 1u);
  EXPECT_EQ(packed::key_name(status.id()), "status");
  TableData data;
  data.add(json::parse(R"({"status":{"phase":"Running"},"kind":"Pod"})"));
  EXPECT_EQ(json::serialize(packed::to_json(data.rows[0])), R"({"status":{"phase":"Running"},"kind":"Pod"})");
}

TEST(KeyDictionary, ThreadCachesForgetAnOldGeneration) {
  // This thread's cache now holds "cached-key" with its old id...
  const uint32_t before = packed::intern("cached-key");
  EXPECT_EQ(packed::lookup("cached-key"), before);
  ASSERT_TRUE(packed::begin_generation().ok);
  // ...which must not answer in the new generation, where the id is another.
  EXPECT_EQ(packed::lookup("cached-key"), packed::kNoKey);
  EXPECT_EQ(packed::intern("first"), 0u);
  EXPECT_EQ(packed::intern("cached-key"), 1u);
  EXPECT_EQ(packed::key_name(1), "cached-key");
  std::atomic<uint32_t> other{packed::kNoKey};
  std::thread([&] { other = packed::lookup("cached-key"); }).join();
  EXPECT_EQ(other.load(), 1u);
}

TEST(KeyDictionary, APinMovesWithItsOwner) {
  packed::GenerationPin a;
  packed::GenerationPin b(std::move(a));
  EXPECT_FALSE(packed::begin_generation().ok);
  packed::GenerationPin c;
  c = std::move(b);  // c's own pin is released, b's taken over: one held
  packed::GenerationResult r = packed::begin_generation();
  EXPECT_NE(r.error.find("held by 1 user(s)"), std::string::npos) << r.error;
}

// Many distinct keys from several threads at once (label and annotation keys
// unique to each object): the table grows many times over while other
// threads intern and read names, and every key keeps one id whose name is
// its text, whatever thread asked first. Keys of every length up to one past
// a text block's limit for sharing a block.
TEST(KeyDictionary, ManyDistinctKeysFromManyThreadsKeepOneIdEach) {
  constexpr int kThreads = 4, kKeys = 60000;
  auto key_of = [](int i) {
    std::string k = "example.com/k" + std::to_string(i) + "-";
    k.append(size_t(i % 97), char('a' + i % 26));
    if (i % 20000 == 7) k.append(16 * 1024, 'x');  // longer than a shared block takes
    return k;
  };
  std::vector<std::vector<uint32_t>> ids(kThreads, std::vector<uint32_t>(kKeys));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Each thread walks the keys from another starting point, so the first
      // to intern a key differs from key to key.
      for (int n = 0; n < kKeys; ++n) {
        int i = (n + t * (kKeys / kThreads)) % kKeys;
        ids[t][i] = packed::intern(key_of(i));
      }
    });
  for (auto& th : threads) th.join();
  std::set<uint32_t> distinct;
  for (int i = 0; i < kKeys; ++i) {
    for (int t = 1; t < kThreads; ++t) ASSERT_EQ(ids[t][i], ids[0][i]) << "key " << i << " in thread " << t;
    ASSERT_EQ(packed::key_name(ids[0][i]), key_of(i)) << "key " << i;
    ASSERT_EQ(packed::lookup(key_of(i)), ids[0][i]) << "key " << i;
    distinct.insert(ids[0][i]);
  }
  EXPECT_EQ(distinct.size(), size_t(kKeys)) << "two keys share an id";
  EXPECT_EQ(packed::lookup("example.com/never-interned"), packed::kNoKey);
}
