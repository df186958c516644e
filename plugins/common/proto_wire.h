// The protobuf wire format, just enough for small messages whose fields are
// strings (the container runtimes' Version answers): a reader that walks a
// message's fields with every length checked against what is left, and a
// writer of string fields. Why not libprotobuf: these messages have two to
// four string fields, so a bounded reader of a few dozen lines replaces a
// code generator, .proto files in the tree and a large library.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace plugin_common {

// The length-delimited fields (wire type 2: strings, bytes, sub-messages) of
// `message`, by field number (the last occurrence wins, as protobuf merges).
// Varint and fixed-width fields are skipped. nullopt with *why (naming the
// byte offset) for a truncated field, a varint longer than 10 bytes, a
// length past the end, field number 0, a group (wire types 3 and 4, which
// proto3 does not use) or an unknown wire type; and for more than
// `max_fields` fields, so a hostile message cannot make the walk long.
std::optional<std::map<uint32_t, std::string_view>> proto_bytes_fields(std::string_view message, std::string* why,
                                                                      size_t max_fields = 1024);

// One string field, encoded: tag (field << 3 | 2), varint length, bytes.
std::string proto_string_field(uint32_t field, std::string_view value);

}  // namespace plugin_common
