// The gRPC client's parts without a socket (plugins/common/grpc_unix.h,
// proto_wire.h): the protobuf wire reader on good and malformed messages,
// gRPC's 5-byte framing, and one call fed an answer written frame by frame.
// tests/node/services_test.cpp drives the same client against real servers.
#include <gtest/gtest.h>

#include "common/grpc_unix.h"
#include "common/proto_wire.h"
#include "fake_servers.h"

using plugin_common::GrpcUnaryCall;
using plugin_common::grpc_frame;
using plugin_common::grpc_unframe;
using plugin_common::proto_bytes_fields;
using plugin_common::proto_string_field;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

std::string why_not(std::string_view message) {
  std::string why;
  EXPECT_FALSE(proto_bytes_fields(message, &why)) << "accepted: " << message;
  return why;
}

}  // namespace

TEST(ProtoWire, StringFieldsRoundTripAndOtherWireTypesAreSkipped) {
  EXPECT_EQ(proto_string_field(1, "v1"), bytes({0x0a, 0x02, 'v', '1'}));
  const std::string long_value(300, 'x');  // a two-byte length varint (0xac 0x02)
  EXPECT_EQ(proto_string_field(3, long_value).substr(0, 3), bytes({0x1a, 0xac, 0x02}));
  // field 1 "a", field 2 varint 150, field 3 fixed64, field 4 fixed32, field 1 again "bc" (the last wins), field 20 "z"
  std::string msg = proto_string_field(1, "a") + bytes({0x10, 0x96, 0x01}) + bytes({0x19, 1, 2, 3, 4, 5, 6, 7, 8}) +
                    bytes({0x25, 1, 2, 3, 4}) + proto_string_field(1, "bc") + proto_string_field(20, "z") +
                    proto_string_field(3, long_value);
  std::string why;
  auto f = proto_bytes_fields(msg, &why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->size(), 3u);
  EXPECT_EQ(f->at(1), "bc");
  EXPECT_EQ(f->at(20), "z");
  EXPECT_EQ(f->at(3), long_value);
  EXPECT_TRUE(proto_bytes_fields("", &why)->empty());  // proto3: every field at its default
}

TEST(ProtoWire, MalformedMessagesAreRefusedNamingTheByte) {
  EXPECT_EQ(why_not(bytes({0x0a, 0x05, 'a', 'b'})), "protobuf message, byte 0: field 1 declares 5 bytes; 2 are left");
  EXPECT_EQ(why_not(proto_string_field(1, "ok") + bytes({0x12})),
            "protobuf message, byte 4: field 2: its length is cut short or too long");
  EXPECT_EQ(why_not(bytes({0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})),
            "protobuf message, byte 0: field 1: its length is cut short or too long");  // 10th byte > 1: overflows 64 bits
  EXPECT_EQ(why_not(bytes({0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})),
            "protobuf message, byte 0: field 1 declares 18446744073709551615 bytes; 0 are left");
  EXPECT_EQ(why_not(bytes({0x02, 0x00})), "protobuf message, byte 0: field number 0 is out of range");
  EXPECT_EQ(why_not(bytes({0x0b, 0x0c})), "protobuf message, byte 0: field 1 has wire type 3 (groups and unknown types are not read)");
  EXPECT_EQ(why_not(bytes({0x0e})), "protobuf message, byte 0: field 1 has wire type 6 (groups and unknown types are not read)");
  EXPECT_EQ(why_not(bytes({0x09, 1, 2, 3})), "protobuf message, byte 0: field 1: a fixed-width value is cut short");
  EXPECT_EQ(why_not(bytes({0x80, 0x80, 0x80})), "protobuf message, byte 0: a field's tag is cut short or longer than 10 bytes");
  std::string many;
  for (int i = 0; i < 1025; ++i) many += bytes({0x08, 0x01});
  EXPECT_EQ(why_not(many), "protobuf message, byte 2048: more than 1024 fields");
}

TEST(GrpcFraming, OneUncompressedMessageWithinItsBound) {
  std::string why;
  EXPECT_EQ(grpc_frame("abc"), bytes({0, 0, 0, 0, 3, 'a', 'b', 'c'}));
  EXPECT_EQ(grpc_unframe(grpc_frame("abc"), 16, &why).value_or("?"), "abc");
  EXPECT_EQ(grpc_unframe(grpc_frame(""), 16, &why).value_or("?"), "");
  EXPECT_FALSE(grpc_unframe(bytes({0, 0, 0}), 16, &why));
  EXPECT_EQ(why, "the answer holds 3 bytes; a gRPC message needs a 5-byte prefix");
  EXPECT_FALSE(grpc_unframe(bytes({1, 0, 0, 0, 1, 'x'}), 16, &why));
  EXPECT_EQ(why, "the answer message is compressed, which was not asked for");
  EXPECT_FALSE(grpc_unframe(bytes({0, 0, 0, 0, 17}) + std::string(17, 'x'), 16, &why));
  EXPECT_EQ(why, "the answer's gRPC prefix declares a 17-byte message; at most 16 are accepted");
  EXPECT_FALSE(grpc_unframe(bytes({0, 0, 0, 0, 4, 'a'}), 16, &why));
  EXPECT_EQ(why, "the answer's gRPC prefix declares 4 bytes; 1 came");
  EXPECT_FALSE(grpc_unframe(grpc_frame("ab") + "cd", 16, &why));
  EXPECT_EQ(why, "the answer holds 2 bytes after its one message");
}

TEST(GrpcUnaryCall, SendsTheRequestAndReadsAnAnswerFedAByteAtATime) {
  GrpcUnaryCall call("/runtime.v1.RuntimeService/Version", proto_string_field(1, "v1"));
  const std::string out = call.take_output();
  EXPECT_EQ(out.rfind("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0), 0u) << "the client connection preface comes first";
  EXPECT_NE(out.find(grpc_frame(proto_string_field(1, "v1"))), std::string::npos) << "the framed request";
  const std::string answer = node_test::h2_grpc_answer(grpc_frame(proto_string_field(3, "1.29.1")), "0");
  for (size_t i = 0; i < answer.size(); ++i) {
    EXPECT_FALSE(call.done()) << "done after " << i << " bytes";
    call.feed(answer.substr(i, 1));
    (void)call.take_output();
  }
  ASSERT_TRUE(call.done());
  auto a = call.answer();
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.grpc_status, 0);
  EXPECT_EQ(a.message, proto_string_field(3, "1.29.1"));
}

TEST(GrpcUnaryCall, TrailersOnlyErrorAndABadStatusHeader) {
  using node_test::h2_frame;
  using node_test::hpack_literal;
  GrpcUnaryCall call("/containerd.services.version.v1.Version/Version", "");
  (void)call.take_output();
  // A Trailers-Only answer: one HEADERS frame that ends the stream, grpc-message percent-encoded.
  call.feed(h2_frame(4, 0, 0, "") + h2_frame(1, 0x5, 1, hpack_literal(":status", "200") + hpack_literal("grpc-status", "12") +
                                                          hpack_literal("grpc-message", "unknown service %C3%A9 100%25")));
  ASSERT_TRUE(call.done());
  EXPECT_EQ(call.answer().grpc_status, 12);
  EXPECT_EQ(call.answer().grpc_message, "unknown service \xc3\xa9 100%");
  EXPECT_EQ(plugin_common::grpc_status_name(12), "UNIMPLEMENTED");
  EXPECT_EQ(plugin_common::grpc_status_name(99), "code 99");

  GrpcUnaryCall bad("/x/y", "");
  (void)bad.take_output();
  bad.feed(h2_frame(4, 0, 0, "") + h2_frame(1, 0x5, 1, hpack_literal(":status", "200") + hpack_literal("grpc-status", "ok")));
  EXPECT_EQ(bad.answer().error, "grpc-status is not a number: 'ok'");
  GrpcUnaryCall bad2("/x/y", "");  // digits then not: the fuzzer's find (an int overflowed reading on)
  (void)bad2.take_output();
  bad2.feed(h2_frame(4, 0, 0, "") + h2_frame(1, 0x5, 1, hpack_literal(":status", "200") + hpack_literal("grpc-status", "9\xa4\xa4")));
  EXPECT_EQ(bad2.answer().error, "grpc-status is not a number: '9?" "?'");

  GrpcUnaryCall not_200("/x/y", "");
  (void)not_200.take_output();
  not_200.feed(h2_frame(4, 0, 0, "") + h2_frame(1, 0x5, 1, hpack_literal(":status", "503")));
  EXPECT_EQ(not_200.answer().error, "answered HTTP status 503, not 200");
}
