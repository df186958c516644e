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
  const size_t first_chunk = arena.bytes_reserved();
  const Arena::Mark m = arena.mark();
  // More than the first chunk holds: the garbage and the result each take a later chunk.
  std::string_view garbage = arena.copy(std::string(4 * first_chunk, 'g'));
  std::string big(2 * first_chunk, 'r');
  big[0] = 'R';
  Value result = arena.string(big);
  ASSERT_GT(arena.bytes_reserved(), 6 * first_chunk);  // the chunks were crossed
  Value kept = arena.keep_only(result, m);
  EXPECT_EQ(kept.as_string(), big);
  EXPECT_EQ(kept.as_string().data(), garbage.data());
}

TEST(Arena, KeepOnlyMovesOverItsOwnBytesInALaterChunk) {
  Arena arena;
  arena.copy("start");
  const size_t first_chunk = arena.bytes_reserved();
  // A later chunk made, then given back: what follows reuses it.
  const Arena::Mark m0 = arena.mark();
  arena.copy(std::string(2 * first_chunk, 'x'));
  arena.release(m0);
  const Arena::Mark m = arena.mark();
  // Too big for the first chunk's room: into the chunk kept from before.
  std::string_view garbage = arena.copy(std::string(first_chunk - 3, 'g'));
  std::string text(first_chunk, 'r');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = char('a' + i % 26);
  Value long_result = arena.string(text);
  ASSERT_EQ(long_result.as_string().data(), garbage.data() + garbage.size());
  const size_t reserved = arena.bytes_reserved();
  // It fits nowhere before its own chunk: it moves to that chunk's start,
  // over its own first bytes (the two ranges overlap).
  Value kept = arena.keep_only(long_result, m);
  EXPECT_EQ(kept.as_string(), text);
  EXPECT_EQ(kept.as_string().data(), garbage.data());
  EXPECT_EQ(arena.bytes_reserved(), reserved);  // no chunk made for the move
}

TEST(Arena, KeepOnlyMovesAShortResultBackToTheMarksChunk) {
  Arena arena;
  std::string_view start = arena.copy("start");
  const size_t first_chunk = arena.bytes_reserved();
  const Arena::Mark m = arena.mark();
  arena.copy(std::string(first_chunk, 'g'));  // garbage in a new chunk
  Value result = arena.string("short");        // after it, in that chunk
  Value kept = arena.keep_only(result, m);
  EXPECT_EQ(kept.as_string(), "short");
  EXPECT_EQ(kept.as_string().data(), start.data() + start.size());
}

TEST(Arena, KeepOnlyReturnsAValueOfAnotherArenaAsItIs) {
  Arena arena, other;
  Value elsewhere = other.string("kept by another arena");
  const Arena::Mark m = arena.mark();
  std::string_view garbage = arena.copy("scratch");
  Value kept = arena.keep_only(elsewhere, m);
  EXPECT_EQ(kept.as_string().data(), elsewhere.as_string().data());
  EXPECT_EQ(arena.copy("z").data(), garbage.data());
}

}  // namespace
}  // namespace kinspect::kcql
