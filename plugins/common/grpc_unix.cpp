#include "common/grpc_unix.h"

#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <new>

#include "common/text.h"

namespace plugin_common {

using Clock = std::chrono::steady_clock;

std::string grpc_status_name(int code) {
  static const char* const names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                      "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? names[code] : "code " + std::to_string(code);
}

namespace {

uint32_t declared_length(std::string_view body) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(body[1])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(body[2])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(body[3])) << 8) | static_cast<uint8_t>(body[4]);
}

// The first problem of a gRPC message prefix (flag, length), or "".
std::string prefix_problem(std::string_view body, size_t max_message) {
  if (body[0] != 0)
    return body[0] == 1 ? "the answer message is compressed, which was not asked for"
                        : "the answer's gRPC prefix has flag byte " + std::to_string(static_cast<uint8_t>(body[0])) + " (0 or 1 expected)";
  if (declared_length(body) > max_message)
    return "the answer's gRPC prefix declares a " + std::to_string(declared_length(body)) + "-byte message; at most " +
           std::to_string(max_message) + " are accepted";
  return "";
}

// A peer's text as an error quotes it: printable ASCII, other bytes as '?'
// (a row's text must be UTF-8, and a control byte must not reach a terminal).
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

std::string hex_prefix(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes.substr(0, 16)) out += std::string{digits[c >> 4], digits[c & 15], ' '};
  if (!out.empty()) out.pop_back();
  return out;
}

// grpc-message is percent-encoded (gRPC's HTTP/2 protocol); kept to 1 KiB.
std::string percent_decode(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size() && out.size() < 1024; ++i) {
    auto hexval = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) ? (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10) : -1; };
    if (v[i] == '%' && i + 2 < v.size() && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
      out += static_cast<char>(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return valid_utf8(out) ? out : "<not UTF-8>";
}

}  // namespace

std::optional<std::string_view> grpc_unframe(std::string_view body, size_t max_message, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<std::string_view> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (body.size() < 5) return fail("the answer holds " + std::to_string(body.size()) + " bytes; a gRPC message needs a 5-byte prefix");
  if (auto p = prefix_problem(body, max_message); !p.empty()) return fail(p);
  const size_t n = declared_length(body);
  if (body.size() - 5 < n)
    return fail("the answer's gRPC prefix declares " + std::to_string(n) + " bytes; " + std::to_string(body.size() - 5) + " came");
  if (body.size() - 5 > n) return fail("the answer holds " + std::to_string(body.size() - 5 - n) + " bytes after its one message");
  return body.substr(5, n);
}

std::string grpc_frame(std::string_view message) {
  const auto n = static_cast<uint32_t>(message.size());
  std::string out{'\0', static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return out.append(message);
}

struct GrpcUnaryCall::State {
  nghttp2_session* session = nullptr;
  size_t max_message = 0;
  std::string request;       // the framed request message
  size_t request_sent = 0;
  int32_t stream = -1;
  bool stream_closed = false;
  uint32_t reset_code = 0;   // the HTTP/2 error code the stream closed with
  std::string http_status;
  std::optional<int> grpc_status;
  std::string grpc_message;
  std::string body;
  std::string head;          // the peer's first bytes, to name an answer that is not HTTP/2
  std::string library_error; // what nghttp2 said about a connection error
  std::string failure;       // the first fatal problem
  bool peer_closed = false;
  size_t frames = 0;         // complete frames received

  void fail(const std::string& why) {
    if (failure.empty()) failure = why;
  }
  std::string not_http2(const std::string& detail) const {
    if (head.rfind("HTTP/", 0) == 0)
      return "answered in HTTP/1 ('" + printable(head.substr(0, std::min(head.find('\r'), size_t{80}))) +
             "'), not HTTP/2: not a gRPC server";
    return "the answer is not HTTP/2 (" + (library_error.empty() ? detail : library_error) + "); its first bytes: " +
           hex_prefix(head);
  }
};

namespace {

using State = GrpcUnaryCall::State;

int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
              size_t valuelen, uint8_t, void* user) {
  auto* s = static_cast<State*>(user);
  if (frame->hd.stream_id != s->stream) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") s->http_status = printable(v.substr(0, 3));
  else if (n == "grpc-message") s->grpc_message = percent_decode(v);
  else if (n == "grpc-status") {
    int code = 0;
    bool digits = !v.empty() && v.size() <= 3;
    for (size_t i = 0; digits && i < v.size(); ++i) {
      digits = v[i] >= '0' && v[i] <= '9';
      code = code * 10 + (v[i] - '0');
    }
    if (digits) s->grpc_status = code;
    else s->fail("grpc-status is not a number: '" + printable(v.substr(0, 20)) + "'");
  }
  return 0;
}

int on_data(nghttp2_session*, uint8_t, int32_t stream, const uint8_t* data, size_t len, void* user) {
  auto* s = static_cast<State*>(user);
  if (stream != s->stream) return 0;
  if (len > s->max_message + 5 - std::min(s->body.size(), s->max_message + 5)) {
    s->fail("the answer is longer than one message of at most " + std::to_string(s->max_message) + " bytes");
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  const bool had_prefix = s->body.size() >= 5;
  s->body.append(reinterpret_cast<const char*>(data), len);
  if (!had_prefix && s->body.size() >= 5) {
    if (auto p = prefix_problem(s->body, s->max_message); !p.empty()) {
      s->fail(p);  // said at once: a huge declared length is not waited for
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }
  return 0;
}

int on_frame(nghttp2_session*, const nghttp2_frame*, void* user) {
  ++static_cast<State*>(user)->frames;
  return 0;
}

int on_close(nghttp2_session*, int32_t stream, uint32_t code, void* user) {
  auto* s = static_cast<State*>(user);
  if (stream == s->stream) s->stream_closed = true, s->reset_code = code;
  return 0;
}

int on_error(nghttp2_session*, int, const char* msg, size_t len, void* user) {
  auto* s = static_cast<State*>(user);
  if (s->library_error.empty()) s->library_error = std::string(msg, std::min(len, size_t{300}));
  return 0;
}

ssize_t read_request(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags, nghttp2_data_source*,
                     void* user) {
  auto* s = static_cast<State*>(user);
  const size_t n = std::min(length, s->request.size() - s->request_sent);
  std::memcpy(buf, s->request.data() + s->request_sent, n);
  s->request_sent += n;
  if (s->request_sent == s->request.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

nghttp2_nv header(std::string_view name, std::string_view value) {
  return {const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
          const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

GrpcUnaryCall::GrpcUnaryCall(std::string_view path, std::string_view request, size_t max_message,
                             std::string_view authority)
    : s_(std::make_unique<State>()) {
  s_->max_message = max_message;
  s_->request = grpc_frame(request);
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame);
  nghttp2_session_callbacks_set_error_callback2(cbs, on_error);
  const int rv = nghttp2_session_client_new(&s_->session, cbs, s_.get());
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) throw std::bad_alloc();
  // No server push; a header list of at most 16 KiB (a Version answer's is a few dozen bytes).
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                             {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 16384}};
  nghttp2_submit_settings(s_->session, NGHTTP2_FLAG_NONE, settings, 2);
  const nghttp2_nv headers[] = {header(":method", "POST"), header(":scheme", "http"), header(":path", path),
                                header(":authority", authority), header("content-type", "application/grpc"),
                                header("te", "trailers"), header("user-agent", "kinspect")};
  nghttp2_data_provider body{};
  body.read_callback = read_request;
  s_->stream = nghttp2_submit_request(s_->session, nullptr, headers, std::size(headers), &body, nullptr);
  if (s_->stream < 0) s_->fail(std::string("cannot make the request: ") + nghttp2_strerror(s_->stream));
}

GrpcUnaryCall::~GrpcUnaryCall() { nghttp2_session_del(s_->session); }

std::string GrpcUnaryCall::take_output() {
  std::string out;
  while (s_->failure.empty()) {  // a session that failed is only deleted (nghttp2's rule)
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(s_->session, &data);
    if (n < 0) s_->fail(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(n)));
    if (n <= 0) return out;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  return out;
}

void GrpcUnaryCall::feed(std::string_view bytes) {
  if (!s_->failure.empty()) return;
  const bool had_frame_header = s_->head.size() >= 9;
  if (s_->head.size() < 64) s_->head.append(bytes.substr(0, 64 - s_->head.size()));
  // A server's connection preface is a SETTINGS frame (RFC 9113 3.4): said at
  // once, rather than waiting for the rest of a "frame" of garbage length.
  if (!had_frame_header && s_->head.size() >= 9 && s_->head[3] != 4) {
    s_->fail(s_->not_http2("its first frame is not SETTINGS"));
    return;
  }
  const ssize_t rv = nghttp2_session_mem_recv(s_->session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0 && rv != NGHTTP2_ERR_CALLBACK_FAILURE) s_->fail(s_->not_http2(nghttp2_strerror(static_cast<int>(rv))));
  // A connection error ends the session without closing the stream: the
  // peer's bytes are not the HTTP/2 the request asked for.
  if (!s_->stream_closed && !nghttp2_session_want_read(s_->session)) s_->fail(s_->not_http2("a connection error"));
}

void GrpcUnaryCall::peer_closed() { s_->peer_closed = true; }

bool GrpcUnaryCall::done() const { return !s_->failure.empty() || s_->stream_closed || s_->peer_closed; }

bool GrpcUnaryCall::received_any() const { return !s_->head.empty(); }

GrpcAnswer GrpcUnaryCall::answer() const {
  GrpcAnswer a;
  const State& s = *s_;
  if (!s.failure.empty()) a.error = s.failure;
  else if (!s.stream_closed && s.head.rfind("HTTP/", 0) == 0) a.error = s.not_http2("");
  else if (!s.stream_closed && s.head.empty()) a.error = "closed the connection without answering";
  else if (!s.stream_closed && s.frames == 0) a.error = s.not_http2("the connection closed inside the first frame");
  else if (!s.stream_closed && s.http_status.empty()) a.error = "closed the connection before answering the call";
  else if (!s.stream_closed) a.error = "closed the connection before the answer ended";
  else if (!s.grpc_status && s.reset_code != 0)
    a.error = "reset the request (HTTP/2 error code " + std::to_string(s.reset_code) + ")";
  else if (s.http_status != "200") a.error = "answered HTTP status " + (s.http_status.empty() ? "(none)" : s.http_status) + ", not 200";
  else if (!s.grpc_status) a.error = "the answer has no grpc-status";
  if (!a.error.empty()) return a;
  a.grpc_status = *s.grpc_status;
  a.grpc_message = s.grpc_message;
  if (a.grpc_status != 0) return a;
  std::string why;
  auto message = grpc_unframe(s.body, s.max_message, &why);
  if (!message) {
    a.grpc_status = -1;
    a.error = why;
    return a;
  }
  a.message = std::string(*message);
  return a;
}

namespace {

// The back and forth of one call on a connected socket, until done or the deadline.
void exchange(int fd, const Endpoint& to, GrpcUnaryCall& call, Clock::time_point deadline, size_t max_bytes,
              GrpcResult& r) {
  ProbeResult pr;
  size_t read = 0;
  char buf[16384];
  for (;;) {
    const std::string out = call.take_output();
    if (!out.empty() && !send_within(fd, out, to, deadline, pr)) {
      if (pr.status == "timeout" && !call.done()) {
        r.status = "timeout", r.error = pr.error;
        return;
      }
      call.peer_closed();  // it stopped reading: what it sent before decides
    }
    if (call.done()) break;
    if (!readable_within(fd, deadline)) {
      r.status = "timeout";
      r.error = to.describe() + (call.received_any() ? " began an answer but did not finish it in time"
                                                     : " accepted the connection but did not answer in time");
      return;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0 && errno != ECONNRESET) {
      r.status = "error", r.error = "read from " + to.describe() + ": " + std::strerror(errno);
      return;
    }
    if (n <= 0) {
      call.peer_closed();
      continue;
    }
    read += static_cast<size_t>(n);
    if (read > max_bytes) {
      r.status = "error", r.error = to.describe() + " sent more than " + std::to_string(max_bytes) + " bytes for one call";
      return;
    }
    call.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  r.answer = call.answer();
  if (r.answer.error.empty()) r.status = "ok";
  else r.status = "error", r.error = to.describe() + ": " + r.answer.error;
}

}  // namespace

GrpcResult grpc_unary(const Endpoint& to, std::string_view path, std::string_view request,
                      std::chrono::milliseconds timeout, size_t max_message, size_t max_bytes) {
  GrpcResult r;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  ProbeResult pr;
  const int fd = connect_within(to, deadline, pr);
  if (fd < 0) {
    r.status = pr.status, r.error = pr.error;
  } else {
    GrpcUnaryCall call(path, request, max_message);
    exchange(fd, to, call, deadline, max_bytes, r);
    ::close(fd);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

}  // namespace plugin_common
