// The arena that holds a query's computed values: keep_only() keeps a result
// row's value and lets the intermediate values computed for it be reused.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "core/kcql/value.h"

namespace kinspect::kcql {
namespace {

TEST(Arena, KeepOnlyMovesAStringOverTheIntermediatesBeforeIt) {
  Arena arena;
  arena.copy("computed before the mark");
  const Arena::Mark m = arena.mark();
  std::string_view garbage = arena.copy("an intermediate result, such as replace() gave to lower()");
  Value result = arena.string("deployment/shop/frontend");
  Value kept = arena.keep_only(result, m);
  EXPECT_EQ(kept.as_string(), "deployment/shop/frontend");
  // It now starts where the first byte after the mark went: the garbage's room.
  EXPECT_EQ(kept.as_string().data(), garbage.data());
  // And the next value follows it, not the garbage.
  std::string_view next = arena.copy("next");
  EXPECT_EQ(next.data(), kept.as_string().data() + kept.as_string().size());
}

TEST(Arena, KeepOnlyMovesPackedJson) {
  Arena arena;
  const Arena::Mark m = arena.mark();
  std::string_view garbage = arena.copy(std::string(300, 'x'));
  Value result = Value::json(arena.keep(boost::json::parse(R"({"ns":"shop","ports":[80,443],"ok":true})")));
  Value kept = arena.keep_only(result, m);
  ASSERT_TRUE(kept.is_json());
  EXPECT_EQ(static_cast<const void*>(kept.as_json().data()), static_cast<const void*>(garbage.data()));
  EXPECT_EQ(boost::json::serialize(to_json(kept)), R"({"ns":"shop","ports":[80,443],"ok":true})");
}

TEST(Arena, KeepOnlyLeavesBytesFromBeforeTheMarkWhereTheyAre) {
  Arena arena;
  Value row_string = arena.string("a value of the row itself");
  const Arena::Mark m = arena.mark();
  std::string_view garbage = arena.copy("scratch");
  Value kept = arena.keep_only(row_string, m);
  EXPECT_EQ(kept.as_string().data(), row_string.as_string().data());
  EXPECT_EQ(kept.as_string(), "a value of the row itself");
  // Everything since the mark was freed.
  EXPECT_EQ(arena.copy("z").data(), garbage.data());
}

TEST(Arena, KeepOnlyFreesWhatAScalarLeftBehind) {
  Arena arena;
  const Arena::Mark m = arena.mark();
  std::string_view garbage = arena.copy("the text a number was parsed from");
  Value kept = arena.keep_only(Value::integer(42), m);
  EXPECT_EQ(kept.as_int(), 42);
  EXPECT_EQ(arena.copy("z").data(), garbage.data());
}

TEST(Arena, KeepOnlyMovesAResultBackAcrossChunks) {
  Arena arena;
  arena.copy("start");
  const Arena::Mark m = arena.mark();
  // More than the first chunk holds: the result lands in a later chunk.
  std::string_view garbage = arena.copy(std::string(40000, 'g'));
  std::string big(30000, 'r');
  big[0] = 'R';
  Value result = arena.string(big);
  Value kept = arena.keep_only(result, m);
  EXPECT_EQ(kept.as_string(), big);
  EXPECT_EQ(kept.as_string().data(), garbage.data());
}

}  // namespace
}  // namespace kinspect::kcql
