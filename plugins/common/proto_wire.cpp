#include "common/proto_wire.h"

namespace plugin_common {

namespace {

// Reads a base-128 varint at *pos; advances past it.
bool read_varint(std::string_view in, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70 && *pos < in.size(); shift += 7) {
    const auto b = static_cast<uint8_t>(in[(*pos)++]);
    if (shift == 63 && b > 1) return false;  // the 10th byte may carry only the top bit
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(0x80 | (v & 0x7f));
    v >>= 7;
  }
  out += static_cast<char>(v);
}

}  // namespace

std::optional<std::map<uint32_t, std::string_view>> proto_bytes_fields(std::string_view message, std::string* why,
                                                                      size_t max_fields) {
  auto fail = [&](size_t at, const std::string& w) -> std::optional<std::map<uint32_t, std::string_view>> {
    if (why) *why = "protobuf message, byte " + std::to_string(at) + ": " + w;
    return std::nullopt;
  };
  std::map<uint32_t, std::string_view> fields;
  size_t pos = 0;
  for (size_t count = 0; pos < message.size(); ++count) {
    if (count == max_fields) return fail(pos, "more than " + std::to_string(max_fields) + " fields");
    const size_t start = pos;
    uint64_t tag = 0, len = 0;
    if (!read_varint(message, &pos, &tag)) return fail(start, "a field's tag is cut short or longer than 10 bytes");
    const uint64_t number = tag >> 3;
    if (number == 0 || number > 0x1fffffff) return fail(start, "field number " + std::to_string(number) + " is out of range");
    switch (tag & 7) {
      case 0:
        if (!read_varint(message, &pos, &len)) return fail(start, "field " + std::to_string(number) + ": a varint is cut short or too long");
        break;
      case 1:
      case 5: {
        const size_t width = (tag & 7) == 1 ? 8 : 4;
        if (message.size() - pos < width) return fail(start, "field " + std::to_string(number) + ": a fixed-width value is cut short");
        pos += width;
        break;
      }
      case 2:
        if (!read_varint(message, &pos, &len)) return fail(start, "field " + std::to_string(number) + ": its length is cut short or too long");
        if (len > message.size() - pos)
          return fail(start, "field " + std::to_string(number) + " declares " + std::to_string(len) + " bytes; " +
                                 std::to_string(message.size() - pos) + " are left");
        fields[static_cast<uint32_t>(number)] = message.substr(pos, static_cast<size_t>(len));
        pos += static_cast<size_t>(len);
        break;
      default:
        return fail(start, "field " + std::to_string(number) + " has wire type " + std::to_string(tag & 7) +
                               " (groups and unknown types are not read)");
    }
  }
  return fields;
}

std::string proto_string_field(uint32_t field, std::string_view value) {
  std::string out;
  append_varint(out, (static_cast<uint64_t>(field) << 3) | 2);
  append_varint(out, value.size());
  out.append(value);
  return out;
}

}  // namespace plugin_common
