// HTTPS client for the Kubernetes API (Boost.Beast + OpenSSL behind a pimpl:
// this header includes no Boost). One connection, kept alive and reused;
// client-side token-bucket rate limiting; retries with exponential backoff
// on 429 (honouring Retry-After) and 5xx; connect and I/O timeouts; bodies
// are streamed as they arrive (chunked or not).
#pragma once

#include "kubeconfig.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace kapi {

struct ClientOptions {
  double qps = 20;
  int burst = 40;
  int timeout_seconds = 30;  // connect, each read/write, and a whole response (retries included)
  int max_retries = 5;       // for 429 / 5xx / a dropped keep-alive connection
  double backoff_base_seconds = 0.5;
  double backoff_max_seconds = 30;
  int exec_timeout_seconds = 30;  // an exec credential plugin that runs longer is stopped
  uint64_t max_response_bytes = 4ull << 30;  // one response body, decompressed
  uint64_t max_compression_ratio = 300;      // gzip bodies: decompressed / received, past 64 MiB
  // Writes (POST, PATCH) are refused unless set: the kube-apiserver driver
  // never sets it, so it cannot write even by mistake; only the write-back
  // publisher (publish.h), which the user turns on, does.
  bool allow_writes = false;
  // After this many requests in a row failed the same way (after their
  // retries), the client stops sending: the server or the credentials are
  // broken, and every table would only wait for the same failure.
  int max_same_failures = 3;
};

// A non-2xx answer (after retries). message() is the Status object's message when present.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string target, std::string message)
      : std::runtime_error("HTTP " + std::to_string(status) + " for " + target + ": " + message),
        status_(status), target_(std::move(target)), message_(std::move(message)) {}
  int status() const { return status_; }
  const std::string& target() const { return target_; }
  const std::string& message() const { return message_; }

 private:
  int status_;
  std::string target_, message_;
};

// A response refused for what it is, not for a transport accident: it did
// not finish within the request timeout (a server dripping its body), or it
// grew past a size bound. Reading it again would end the same way.
class UnretryableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A POST or PATCH: its method, Content-Type and body.
struct WriteRequest {
  std::string method, content_type, body;
};

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to n body bytes; 0 at the end of the body.
  virtual size_t read(char* buf, size_t n) = 0;
};

// A GET whose request is sent and whose answer is read later, with
// ApiClient::get(pending): how a LIST asks for its next page while it reads
// this one, so that the server builds that page meanwhile.
class PendingGet {
 public:
  virtual ~PendingGet() = default;
  virtual const std::string& target() const = 0;
};

class ApiClient {
 public:
  ApiClient(Connection conn, ClientOptions opts, LogFn log);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // GET target (path and query, relative to the server URL). On 2xx returns
  // the body as a stream; only one body may be open at a time (a new get()
  // abandons an unfinished one and its connection). Throws HttpError for
  // other statuses, std::runtime_error for transport/TLS problems.
  std::unique_ptr<BodyReader> get(const std::string& target, const std::string& accept = "application/json");
  // Sends a GET on a connection other than any body's being read, and
  // returns at once; get(pending) reads its answer as get(target) would
  // (retries, errors and all). Never throws: a request that could not be
  // sent throws from get(pending). Dropping it unread closes its connection.
  std::unique_ptr<PendingGet> send_get(const std::string& target, const std::string& accept = "application/json");
  std::unique_ptr<BodyReader> get(std::unique_ptr<PendingGet> pending);
  // The whole body, for small documents (discovery, /version, /readyz).
  // With `status`, any HTTP status is returned there instead of thrown, and
  // nothing is retried (for /readyz, which answers 500 with its report).
  std::string get_all(const std::string& target, int* status = nullptr);

  // A write (POST, PATCH or PUT) with `body`, for the write-back publisher:
  // the status and body of the answer, whatever the status (409 and 404
  // are answers the caller acts on). Retries 429 and 503 only. Throws
  // std::logic_error unless ClientOptions::allow_writes, and
  // std::runtime_error for transport/TLS problems.
  struct Written {
    int status = 0;
    std::string body;
  };
  Written write(const std::string& method, const std::string& target, const std::string& body,
                const std::string& content_type);

  const Connection& connection() const;

  // What the connection's exec credential plugin answered (running it now
  // if it has not run), or why it failed; nullopt without an exec plugin.
  // The first worker of a run shares this so that the plugin runs once per
  // run, not once per worker; the others adopt it. A credential adopted
  // and later expired or refused (401) is asked for again, as kubectl does.
  struct ExecOutcome {
    std::optional<ExecCredential> credential;
    std::string error;
  };
  std::optional<ExecOutcome> exec_outcome();
  void adopt_exec_outcome(ExecOutcome outcome);

  // From any thread: ends the request or body read under way (it throws)
  // and every later one, for good. How a watch thread is stopped without
  // waiting for its stream's timeout.
  void interrupt();

  // Requests sent so far (retries included), for tests and logs.
  size_t requests() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kapi
