// The daemon's HTTP server: Boost.Beast parses each request and serializes
// each response; the sockets are plain, every read and write waits through
// poll() with the request's deadline, so a slow or silent client costs one
// connection slot until the deadline and never a thread forever. Limits
// (config.h): header and body size (431, 413), connections at once (503),
// time to receive a request whole (408). Errors are JSON with a reason.
#pragma once

#include <atomic>
#include <functional>
#include <map>
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
  int port() const { return port_; }
  void start();
  // Stops accepting and waits (bounded by the request timeout) for the
  // connections being served to finish.
  void stop();

  size_t active_connections() const { return active_; }
  uint64_t requests() const { return requests_; }
  uint64_t refused() const { return refused_; }

 private:
  void accept_loop();
  void serve(int fd);

  Limits limits_;
  HttpHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  std::atomic<uint64_t> requests_{0}, refused_{0};
};

}  // namespace kinspect::daemon
