#include "core/daemon/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
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

bool send_all(int fd, const std::string& data, Steady::time_point deadline, const std::atomic<bool>& stopping) {
  for (size_t done = 0; done < data.size();) {
    if (!wait_for(fd, POLLOUT, deadline, stopping)) return false;
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

// One client's byte stream: the socket itself, or TLS over it. Every call
// waits at most until the deadline it is given.
class Connection {
 public:
  Connection(int fd, SSL_CTX* tls) : fd_(fd) {
    if (tls) ssl_ = SSL_new(tls), SSL_set_fd(ssl_, fd);
  }
  ~Connection() {
    if (!ssl_) return;
    if (handshaken_) SSL_shutdown(ssl_);  // close_notify, best effort: the socket is non-blocking
    SSL_free(ssl_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  enum class Handshake { ok, timed_out, plain_http, failed };
  Handshake handshake(Steady::time_point deadline, const std::atomic<bool>& stopping) {
    if (!ssl_) return Handshake::ok;
    while (true) {
      ERR_clear_error();
      const int r = SSL_accept(ssl_);
      if (r == 1) return handshaken_ = true, Handshake::ok;
      const int why = SSL_get_error(ssl_, r);
      if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
        if (!wait_for(fd_, why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, stopping)) return Handshake::timed_out;
        continue;
      }
      const unsigned long e = ERR_peek_error();
      const bool http = ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST;
      ERR_clear_error();
      return http ? Handshake::plain_http : Handshake::failed;
    }
  }

  // Bytes read (> 0), 0 when the client closed, -1 on error, -2 on timeout.
  ssize_t read_some(char* buf, size_t size, Steady::time_point deadline, const std::atomic<bool>& stopping) {
    while (true) {
      short want = POLLIN;
      if (ssl_) {
        ERR_clear_error();
        const int r = SSL_read(ssl_, buf, int(size));
        if (r > 0) return r;
        const int why = SSL_get_error(ssl_, r);
        if (why == SSL_ERROR_ZERO_RETURN) return 0;
        if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) return -1;
        if (why == SSL_ERROR_WANT_WRITE) want = POLLOUT;
      } else {
        const ssize_t r = ::recv(fd_, buf, size, MSG_DONTWAIT);
        if (r >= 0) return r;
        if (errno != EINTR && errno != EAGAIN) return -1;
      }
      if (!wait_for(fd_, want, deadline, stopping)) return -2;
    }
  }

  bool write_all(const std::string& data, Steady::time_point deadline, const std::atomic<bool>& stopping) {
    if (!ssl_) return send_all(fd_, data, deadline, stopping);
    for (size_t done = 0; done < data.size();) {
      ERR_clear_error();
      size_t n = 0;
      const int r = SSL_write_ex(ssl_, data.data() + done, data.size() - done, &n);
      if (r == 1) {
        done += n;
        continue;
      }
      const int why = SSL_get_error(ssl_, r);
      if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) return false;
      if (!wait_for(fd_, why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, stopping)) return false;
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
  bool handshaken_ = false;
};

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

// Feeds the parser until a request is whole or the parser fails (`ec`);
// false when the connection is done: the client went away, or sent part of a
// request and no more in time (answered 408).
bool read_request(Connection& conn, http::request_parser<http::string_body>& parser, std::string& pending,
                  Steady::time_point deadline, const std::atomic<bool>& stopping, boost::system::error_code& ec) {
  bool got_any = !pending.empty();
  while (!parser.is_done()) {
    if (!pending.empty()) {
      size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec && ec != http::error::need_more) return true;
      ec = {};
      if (parser.is_done()) break;
      if (used > 0 && !pending.empty()) continue;
    }
    char buf[16384];
    const ssize_t r = conn.read_some(buf, sizeof buf, deadline, stopping);
    if (r == -2 && got_any && !stopping)
      conn.write_all(serialize(json_error(408, "request not received in time"), false), deadline + std::chrono::seconds(1),
                     stopping);
    if (r <= 0) return false;
    pending.append(buf, size_t(r));
    got_any = true;
  }
  return true;
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

struct HttpServer::TlsContext {
  boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_server};
};

namespace {

// The first OpenSSL error queued, as text ("" when none).
std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// "" when `path` can be opened for reading, else why not (errno's words).
std::string unreadable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (in) return "";
  return std::strerror(errno);
}

}  // namespace

Status HttpServer::use_tls(const std::string& cert_file, const std::string& key_file) {
  if (auto why = unreadable(cert_file); !why.empty()) return Error("TLS certificate " + cert_file + ": cannot read it: " + why);
  if (auto why = unreadable(key_file); !why.empty()) return Error("TLS key " + key_file + ": cannot read it: " + why);
  auto t = std::make_shared<TlsContext>();
  SSL_CTX* ctx = t->ctx.native_handle();
  // TLS 1.2 is the oldest version without known protocol breaks; 1.0 and 1.1 are refused.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  t->ctx.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::single_dh_use |
                     SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  ERR_clear_error();
  boost::system::error_code ec;
  t->ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) return Error("TLS certificate " + cert_file + ": not a PEM certificate: " + ec.message());
  // Read apart from the certificate, so "not a key" and "not this
  // certificate's key" are told apart.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(key_file.c_str(), "r"), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (!key) return Error("TLS key " + key_file + ": not a PEM private key (" + openssl_error() + ")");
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    // OpenSSL's own words here depend on the key types ("key values
    // mismatch", "no certificate assigned"); ours say what to fix.
    return ERR_clear_error(), Error("TLS key " + key_file + ": is not the private key of the certificate " + cert_file);
  tls_ = std::move(t);
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
      refuse(fd);
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

// A connection past max_connections: 503 in plain HTTP; on a TLS port it is
// closed unanswered (a handshake would cost the acceptor the time the limit
// is there to save).
void HttpServer::refuse(int fd) {
  ++refused_;
  if (!tls_)
    send_all(fd, serialize(json_error(503, "too many connections"), false), Steady::now() + std::chrono::seconds(1),
             stopping_);
  ::close(fd);
}

void HttpServer::serve(int fd) {
  const auto timeout = std::chrono::duration_cast<Steady::duration>(limits_.request_timeout);
  Connection conn(fd, tls_ ? tls_->ctx.native_handle() : nullptr);
  // The handshake counts against the first request's deadline.
  auto deadline = Steady::now() + timeout;
  switch (conn.handshake(deadline, stopping_)) {
    case Connection::Handshake::ok: break;
    case Connection::Handshake::plain_http:
      ++handshake_failures_;
      send_all(fd, serialize(json_error(400, "this port speaks HTTPS only: use https://"), false),
               Steady::now() + std::chrono::seconds(1), stopping_);
      return;
    default:
      ++handshake_failures_;
      return;
  }
  std::string pending;
  for (int n = 0; n < kMaxRequestsPerConnection && !stopping_; ++n, deadline = Steady::now() + timeout) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(uint32_t(limits_.max_header_bytes));
    parser.body_limit(limits_.max_body_bytes);
    parser.eager(true);
    boost::system::error_code ec;
    if (!read_request(conn, parser, pending, deadline, stopping_, ec)) return;
    if (ec) {
      conn.write_all(serialize(read_failure(ec), false), deadline + std::chrono::seconds(1), stopping_);
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
    if (!conn.write_all(serialize(res, keep), Steady::now() + timeout, stopping_) || !keep) return;
  }
}

}  // namespace kinspect::daemon
