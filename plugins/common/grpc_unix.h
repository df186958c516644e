// One unary gRPC call over a local socket (a container runtime's Unix
// socket), within a deadline: HTTP/2 framing by nghttp2's client session,
// the one request and one answer message framed by gRPC's 5-byte prefix
// (compressed flag, big-endian length). The message bytes are the caller's
// (plugins/common/proto_wire.h encodes and reads them).
//
// The protocol (GrpcUnaryCall) is kept apart from the socket (grpc_unary) so
// that the fuzzer feeds any bytes to the same code a runtime's answer meets.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/probe.h"

namespace plugin_common {

// What the call ended with, once done(): an answer (grpc_status set), or a
// failure (error set; the peer broke HTTP/2 or gRPC).
struct GrpcAnswer {
  std::string error;         // empty when a gRPC answer came
  int grpc_status = -1;      // 0 OK, 12 UNIMPLEMENTED, 14 UNAVAILABLE... (-1 without an answer)
  std::string grpc_message;  // the grpc-message trailer, percent-decoded, at most 1 KiB
  std::string message;       // the answer message (grpc_status 0)
};

// "OK", "UNIMPLEMENTED"... for codes 0 to 16; "code N" otherwise.
std::string grpc_status_name(int code);

// The 5-byte-prefixed gRPC message that `body` (an answer's DATA) holds:
// exactly one, uncompressed, at most `max_message` bytes. nullopt with *why
// for a cut-short prefix or message, a length over the bound (said before any
// of it is read), the compressed flag, or bytes after the message.
std::optional<std::string_view> grpc_unframe(std::string_view body, size_t max_message, std::string* why);
std::string grpc_frame(std::string_view message);

class GrpcUnaryCall {
 public:
  // `path` is "/package.Service/Method"; `authority` the :authority header.
  GrpcUnaryCall(std::string_view path, std::string_view request, size_t max_message = 64 * 1024,
                std::string_view authority = "localhost");
  ~GrpcUnaryCall();
  GrpcUnaryCall(const GrpcUnaryCall&) = delete;
  GrpcUnaryCall& operator=(const GrpcUnaryCall&) = delete;

  std::string take_output();              // bytes to send now (the preface and request first)
  void feed(std::string_view bytes);      // bytes the peer sent
  void peer_closed();                     // the peer closed the connection
  bool done() const;                      // the answer is complete or the call failed
  bool received_any() const;
  GrpcAnswer answer() const;              // once done()

  struct State;  // nghttp2's session and what its callbacks collected

 private:
  std::unique_ptr<State> s_;
};

struct GrpcResult {
  std::string status;   // ok (a gRPC answer, whatever its grpc_status), timeout, refused, absent, error
  std::string error;    // why, when status is not ok
  GrpcAnswer answer;    // when status is ok
  double seconds = 0;   // from the start of connect() to the answer's end
};

// Connects, sends and reads within `timeout` (one deadline for all of it);
// never blocks past it. At most `max_bytes` are read from the peer.
GrpcResult grpc_unary(const Endpoint& to, std::string_view path, std::string_view request,
                      std::chrono::milliseconds timeout, size_t max_message = 64 * 1024,
                      size_t max_bytes = 1 << 20);

}  // namespace plugin_common
