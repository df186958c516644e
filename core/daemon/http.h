// The daemon's HTTP server: Boost.Beast parses each request and serializes
// each response; every read and write waits through poll() with the
// request's deadline, so a slow or silent client costs one connection slot
// until the deadline and never a thread forever. Limits (config.h): header
// and body size (431, 413), connections at once (503), time to receive a
// request whole (408). Errors are JSON with a reason.
//
// With use_tls() the port speaks HTTPS only (TLS 1.2 or newer): the
// certificate and key are set up through Boost.Asio's ssl::context, and each
// connection's handshake runs on the same non-blocking socket under the first
// request's deadline, so a client that connects and never handshakes holds
// its slot only until request_timeout. A plain-HTTP request to the TLS port
// is answered 400 in plain text-over-TCP and closed.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/daemon/config.h"

namespace kinspect::daemon {

struct HttpRequest {
  std::string method, target, path;
  std::map<std::string, std::string> query;  // decoded
  std::string authorization;                 // the header, as sent
  std::string content_type;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// {"error": reason, "status": status}
HttpResponse json_error(int status, const std::string& reason);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer(Limits limits, HttpHandler handler);
  ~HttpServer();

  // Binds ADDR:PORT (port 0 = any free one); the error names the address.
  Status listen(const std::string& address);
  // Serves HTTPS with this PEM certificate (chain) and key; the error names
  // the file that is unreadable, not PEM, or not the certificate's key.
  // Call before start().
  Status use_tls(const std::string& cert_file, const std::string& key_file);
  bool tls() const { return tls_ != nullptr; }
  int port() const { return port_; }
  void start();
  // Stops accepting and waits (bounded by the request timeout) for the
  // connections being served to finish.
  void stop();

  size_t active_connections() const { return active_; }
  uint64_t requests() const { return requests_; }
  uint64_t refused() const { return refused_; }
  uint64_t handshake_failures() const { return handshake_failures_; }  // TLS only

 private:
  void accept_loop();
  void serve(int fd);
  void refuse(int fd);

  struct TlsContext;
  std::shared_ptr<TlsContext> tls_;
  Limits limits_;
  HttpHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  std::atomic<uint64_t> requests_{0}, refused_{0}, handshake_failures_{0};
};

}  // namespace kinspect::daemon
