// libFuzzer target: any bytes as a container runtime's answer to one unary
// gRPC call (plugins/common/grpc_unix.cpp over nghttp2, then the protobuf
// reader of plugins/common/proto_wire.cpp), fed in two pieces as a socket
// may deliver them; and the same bytes straight into grpc_unframe() and
// proto_bytes_fields(). Properties: a call ends with an error or an answer,
// never both; an answer message is within its bound; every field the reader
// returns lies inside its input; a refusal says why. Never a crash, a hang or
// a read out of bounds.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugins/common/grpc_unix.h"
#include "plugins/common/proto_wire.h"

namespace {

constexpr size_t kMaxMessage = 4096;

void check_fields(std::string_view in) {
  std::string why;
  auto fields = plugin_common::proto_bytes_fields(in, &why);
  if (!fields) {
    if (why.empty()) std::abort();
    return;
  }
  for (const auto& [number, value] : *fields)
    if (number == 0 || value.data() < in.data() || value.data() + value.size() > in.data() + in.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  plugin_common::GrpcUnaryCall call("/runtime.v1.RuntimeService/Version", plugin_common::proto_string_field(1, "v1"),
                                    kMaxMessage);
  (void)call.take_output();
  const size_t split = size == 0 ? 0 : data[size - 1] % (size + 1);
  call.feed(in.substr(0, split));
  (void)call.take_output();
  call.feed(in.substr(split));
  (void)call.take_output();
  call.peer_closed();
  if (!call.done()) std::abort();
  const auto a = call.answer();
  if (a.error.empty() == (a.grpc_status < 0)) std::abort();  // exactly one of an answer and an error
  if (a.message.size() > kMaxMessage || a.grpc_message.size() > 1024) std::abort();
  if (a.grpc_status == 0) check_fields(a.message);

  std::string why;
  auto message = plugin_common::grpc_unframe(in, kMaxMessage, &why);
  if (message && (message->size() > kMaxMessage || message->size() + 5 != size)) std::abort();
  if (!message && why.empty()) std::abort();
  check_fields(in);
  return 0;
}
