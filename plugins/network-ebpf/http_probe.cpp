#include "http_probe.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/probe.h"
#include "probes.h"

namespace network_ebpf {

namespace {

using Clock = std::chrono::steady_clock;
namespace http = boost::beast::http;

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown TLS error";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// One connection, plain or TLS, every call bounded by the probe's deadline.
// A failing call sets the probe's status and error and returns false.
class Conn {
 public:
  Conn(HttpProbe& p, Clock::time_point deadline) : p_(p), deadline_(deadline) {}
  ~Conn() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool connect(const Url& u) {
    Resolved r = resolve(u.host, u.port, deadline_);
    if (r.result != "ok") return fail(r.result, r.error);
    const auto* sa = reinterpret_cast<const sockaddr*>(&r.addresses[0]);
    p_.address = address_text(sa);
    fd_ = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail("error", std::string("socket(): ") + std::strerror(errno));
    if (::connect(fd_, sa, r.lengths[0]) != 0 && errno != EINPROGRESS) return fail_errno("connect to " + p_.address, errno);
    if (!plugin_common::wait_ready(fd_, POLLOUT, deadline_)) return fail("timeout", "connect to " + p_.address + " did not complete in time");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    return err == 0 || fail_errno("connect to " + p_.address, err);
  }

  bool start_tls(const Url& u, const HttpProbeOptions& opts) {
    p_.tls = true;
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return fail("tls-error", openssl_error());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    // A health endpoint that answers with Connection: close may end its body
    // by closing without close_notify; that is the body's end, not an attack
    // on a probe that reads at most 256 bytes of it.
    SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (!opts.ca_file.empty() ? SSL_CTX_load_verify_locations(ctx_, opts.ca_file.c_str(), nullptr) != 1
                              : SSL_CTX_set_default_verify_paths(ctx_) != 1)
      return fail("error", "the CA bundle " + (opts.ca_file.empty() ? std::string("of the system") : opts.ca_file) +
                               " cannot be read: " + openssl_error());
    // Verified in full, but judged after the handshake, so that the result
    // is reported (tls_verified) even when the caller chose to go on.
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (plugin_common::is_numeric_address(u.host)) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), u.host.c_str());
    else SSL_set_tlsext_host_name(ssl_, u.host.c_str()), SSL_set1_host(ssl_, u.host.c_str());
    while (true) {
      int rc = SSL_connect(ssl_);
      if (rc == 1) break;
      if (!wait_tls(rc, "the TLS handshake with " + p_.address)) return false;
    }
    long v = SSL_get_verify_result(ssl_);
    p_.tls_verified = v == X509_V_OK;
    if (v != X509_V_OK) p_.tls_verify_error = X509_verify_cert_error_string(v);
    if (v != X509_V_OK && opts.verify)
      return fail("tls-error", "the certificate of " + u.host + " does not verify: " + p_.tls_verify_error);
    return true;
  }

  bool write_all(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ssl_ ? SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off))
                       : ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (ssl_ ? !wait_tls(static_cast<int>(n), "sending to " + p_.address) : !wait_plain(POLLOUT, "sending to " + p_.address))
        return false;
    }
    return true;
  }

  // Bytes read into buf; 0 at the end of the stream; -1 with the probe failed.
  ssize_t read_some(char* buf, size_t size) {
    for (;;) {
      ssize_t n = ssl_ ? SSL_read(ssl_, buf, static_cast<int>(size)) : ::recv(fd_, buf, size, 0);
      if (n > 0) return n;
      if (!ssl_ && n == 0) return 0;
      if (ssl_ && SSL_get_error(ssl_, static_cast<int>(n)) == SSL_ERROR_ZERO_RETURN) return 0;
      if (ssl_ ? !wait_tls(static_cast<int>(n), "reading from " + p_.address) : !wait_plain(POLLIN, "reading from " + p_.address))
        return -1;
    }
  }

 private:
  bool fail(const std::string& status, const std::string& error) {
    p_.status = status, p_.error = error;
    return false;
  }
  bool fail_errno(const std::string& what, int err) {
    return fail(err == ECONNREFUSED ? "refused" : "error", what + ": " + std::strerror(err));
  }
  bool wait_plain(short events, const std::string& what) {
    if (errno != EAGAIN && errno != EINTR) return fail_errno(what, errno);
    return plugin_common::wait_ready(fd_, events, deadline_) || fail("timeout", what + ": no progress in time");
  }
  // After an SSL call returned rc: waits for what OpenSSL wants, or fails.
  bool wait_tls(int rc, const std::string& what) {
    int e = SSL_get_error(ssl_, rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      std::string why = e == SSL_ERROR_SYSCALL && errno ? std::strerror(errno) : openssl_error();
      return fail(e == SSL_ERROR_SYSCALL && errno == ECONNREFUSED ? "refused" : "tls-error", what + ": " + why);
    }
    return plugin_common::wait_ready(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_) ||
           fail("timeout", what + ": no progress in time");
  }

  HttpProbe& p_;
  Clock::time_point deadline_;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

std::string request_for(const Url& u) {
  const bool default_port = (u.scheme == "http" && u.port == 80) || (u.scheme == "https" && u.port == 443);
  const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  return "GET " + u.target + " HTTP/1.1\r\nHost: " + host + (default_port ? "" : ":" + std::to_string(u.port)) +
         "\r\nUser-Agent: kinspect-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

// Feeds what arrives to Beast's parser until the response is complete, the
// body holds max_body bytes, or the deadline; fills the probe.
void read_response(Conn& c, const HttpProbeOptions& opts, HttpProbe& p) {
  http::response_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(boost::none);
  parser.eager(true);
  std::string pending;
  char buf[4096];
  boost::beast::error_code ec;
  auto body_full = [&] { return parser.is_header_done() && parser.get().body().size() >= opts.max_body; };
  while (!parser.is_done() && !body_full()) {
    ssize_t n = c.read_some(buf, sizeof buf);
    if (n < 0) break;
    if (n == 0) {
      parser.put_eof(ec);
      if (ec && !parser.is_header_done()) p.status = "error", p.error = p.address + " closed the connection before a complete response header";
      else if (ec) p.status = "error", p.error = p.address + " closed the connection inside the body: " + ec.message();
      break;
    }
    pending.append(buf, static_cast<size_t>(n));
    while (!pending.empty() && !parser.is_done()) {
      size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == http::error::need_more) { ec = {}; break; }
      if (ec) {
        p.status = "error", p.error = p.address + " sent what is not an HTTP response: " + ec.message();
        return;
      }
    }
  }
  if (parser.is_header_done()) {
    p.http_status = static_cast<int>(parser.get().result_int());
    const std::string& body = parser.get().body();
    p.body = body.substr(0, opts.max_body);
    p.body_truncated = body.size() > opts.max_body || (!parser.is_done() && body_full());
    if (p.status == "timeout") p.error += " (the header came; the body stalled after " + std::to_string(body.size()) + " bytes)";
    if (parser.get().result_int() / 100 == 3) p.location = std::string(parser.get()[http::field::location]);
  }
  if (p.status.empty()) p.status = "ok";
}

// One request; the next URL to follow when it redirects within the origin.
std::optional<Url> fetch_once(const Url& u, const HttpProbeOptions& opts, Clock::time_point deadline, HttpProbe& p) {
  p.status.clear(), p.error.clear(), p.http_status = 0, p.body.clear(), p.location.clear();
  p.tls = false, p.tls_verified.reset(), p.tls_verify_error.clear();
  Conn c(p, deadline);
  if (!c.connect(u) || (u.scheme == "https" && !c.start_tls(u, opts)) || !c.write_all(request_for(u))) return std::nullopt;
  read_response(c, opts, p);
  if (p.status != "ok" || p.location.empty()) return std::nullopt;
  std::optional<Url> next;
  if (p.location.front() == '/' && p.location.rfind("//", 0) != 0) next = Url{u.scheme, u.host, p.location, u.port};
  else if (auto abs = split_url(p.location, nullptr); abs && abs->same_origin(u)) next = abs;
  return next;
}

}  // namespace

HttpProbe http_probe(const std::string& url, const HttpProbeOptions& opts) {
  HttpProbe p;
  p.url = p.final_url = url;
  const auto start = Clock::now();
  std::string why;
  std::optional<Url> u = split_url(url, &why);
  if (!u) p.status = "error", p.error = why;
  while (u) {
    std::optional<Url> next = fetch_once(*u, opts, start + opts.timeout, p);
    if (!next) break;
    if (p.redirects == opts.max_redirects) break;  // location stays: not followed
    ++p.redirects;
    p.final_url = next->scheme + "://" + (next->host.find(':') != std::string::npos ? "[" + next->host + "]" : next->host) +
                  ":" + std::to_string(next->port) + next->target;
    u = next;
  }
  p.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return p;
}

}  // namespace network_ebpf
