#include "core/daemon/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "core/util/log.h"

namespace kinspect::daemon {

namespace http = boost::beast::http;
namespace json = boost::json;
using Steady = std::chrono::steady_clock;

HttpResponse json_error(int status, const std::string& reason) {
  return {status, "application/json", json::serialize(json::object{{"error", reason}, {"status", status}}) + "\n"};
}

namespace {

constexpr int kMaxRequestsPerConnection = 100;

int ms_left(Steady::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
  return left <= 0 ? 0 : int(std::min<int64_t>(left, 1000));
}

// Waits for `events` on fd until the deadline; false on timeout or stop.
bool wait_for(int fd, short events, Steady::time_point deadline, const std::atomic<bool>& stopping) {
  while (Steady::now() < deadline) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, std::min(ms_left(deadline), 200));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
    if (stopping && events == POLLIN) return false;
  }
  return false;
}

bool write_all(int fd, const std::string& data, Steady::time_point deadline, const std::atomic<bool>& stopping) {
  for (size_t done = 0; done < data.size();) {
    if (!wait_for(fd, POLLOUT, deadline, stopping)) return false;
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

std::string serialize(const HttpResponse& r, bool keep_alive) {
  http::response<http::string_body> res{http::status(r.status), 11};
  res.set(http::field::server, "kinspect");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else out += s[i];
  }
  return out;
}

HttpRequest to_request(const http::request<http::string_body>& m) {
  HttpRequest r;
  r.method = std::string(m.method_string());
  r.target = std::string(m.target());
  const size_t q = r.target.find('?');
  r.path = percent_decode(r.target.substr(0, q));
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(r.target).substr(q + 1);
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view kv = rest.substr(0, amp);
      size_t eq = kv.find('=');
      r.query[percent_decode(kv.substr(0, eq))] = eq == std::string_view::npos ? "" : percent_decode(kv.substr(eq + 1));
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    }
  }
  r.authorization = std::string(m[http::field::authorization]);
  r.content_type = std::string(m[http::field::content_type]);
  r.body = m.body();
  return r;
}

// Why a request could not be read, as a response; status 0 = the client
// went away or sent nothing (no answer owed).
HttpResponse read_failure(const boost::system::error_code& ec) {
  if (ec == http::error::body_limit) return json_error(413, "request body too large");
  if (ec == http::error::header_limit) return json_error(431, "request header too large");
  return json_error(400, "malformed HTTP request: " + ec.message());
}

}  // namespace

HttpServer::HttpServer(Limits limits, HttpHandler handler) : limits_(limits), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::listen(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Error("--listen " + address + ": want ADDRESS:PORT, e.g. 127.0.0.1:8080");
  std::string host = address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  char* end = nullptr;
  long port = std::strtol(address.c_str() + colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535 || ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
    return Error("--listen " + address + ": want an IPv4 ADDRESS:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080");
  sa.sin_port = htons(uint16_t(port));
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(listen_fd_, 128) != 0)
    return Error("--listen " + address + ": " + std::strerror(errno));
  socklen_t len = sizeof sa;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
  return {};
}

void HttpServer::start() {
  acceptor_ = std::thread([this] { accept_loop(); });
}

void HttpServer::stop() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_), listen_fd_ = -1;
  const auto deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(limits_.request_timeout);
  while (active_ > 0 && Steady::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void HttpServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    if (active_ >= limits_.max_connections) {
      ++refused_;
      write_all(fd, serialize(json_error(503, "too many connections"), false), Steady::now() + std::chrono::seconds(1),
                stopping_);
      ::close(fd);
      continue;
    }
    ++active_;
    std::thread([this, fd] {
      serve(fd);
      ::close(fd);
      --active_;
    }).detach();
  }
}

void HttpServer::serve(int fd) {
  std::string pending;
  for (int n = 0; n < kMaxRequestsPerConnection && !stopping_; ++n) {
    const auto deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(limits_.request_timeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(uint32_t(limits_.max_header_bytes));
    parser.body_limit(limits_.max_body_bytes);
    parser.eager(true);
    boost::system::error_code ec;
    bool got_any = !pending.empty();
    while (!parser.is_done()) {
      if (!pending.empty()) {
        size_t used = parser.put(boost::asio::buffer(pending), ec);
        pending.erase(0, used);
        if (ec && ec != http::error::need_more) break;
        ec = {};
        if (parser.is_done()) break;
        if (used > 0 && !pending.empty()) continue;
      }
      if (!wait_for(fd, POLLIN, deadline, stopping_)) {
        if (got_any && !stopping_) write_all(fd, serialize(json_error(408, "request not received in time"), false), deadline + std::chrono::seconds(1), stopping_);
        return;
      }
      char buf[16384];
      ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) return;  // the client went away
      pending.append(buf, size_t(r));
      got_any = true;
    }
    if (ec) {
      write_all(fd, serialize(read_failure(ec), false), deadline + std::chrono::seconds(1), stopping_);
      return;
    }
    ++requests_;
    const auto& message = parser.get();
    // The last request a connection may carry says so (Connection: close).
    const bool keep = message.keep_alive() && !stopping_ && n + 1 < kMaxRequestsPerConnection;
    HttpResponse res;
    try {
      res = handler_(to_request(message));
    } catch (const std::exception& e) {
      log::error("http", std::string("handler failed: ") + e.what());
      res = json_error(500, "internal error");
    }
    if (!write_all(fd, serialize(res, keep), Steady::now() + std::chrono::duration_cast<Steady::duration>(limits_.request_timeout), stopping_) || !keep) return;
  }
}

}  // namespace kinspect::daemon
