// The HTTP client's transport: OpenSSL run on the socket (tls_channel.h),
// or the socket alone for http://. A body must come out byte for byte
// however the server frames it and however little the reader asks for at
// a time; a request larger than the sockets' buffers must go out whole; a
// connection cut mid-body is an error, never a body that ends early.
#include "fixture.h"
#include "http_client.h"
#include "kubeconfig.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

using namespace kapitest;

namespace {

// Every byte value, in an order that repeats nowhere near a record's size.
std::string noise(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::unique_ptr<kapi::ApiClient> client_for(const std::string& kubeconfig, bool writes = false, int timeout_seconds = 20) {
  kapi::ResolveOptions ro;
  ro.kubeconfig = kubeconfig;
  auto conn = kapi::resolve_connection(ro, [](int, const std::string&) {});
  if (!conn) return nullptr;
  kapi::ClientOptions co;
  co.timeout_seconds = timeout_seconds;
  co.max_retries = 0;
  co.allow_writes = writes;
  return std::make_unique<kapi::ApiClient>(std::move(*conn), co, nullptr);
}

std::string read_in_steps(kapi::BodyReader& body, size_t step) {
  std::string out, buf(step, '\0');
  while (size_t n = body.read(buf.data(), step)) out.append(buf.data(), n);
  return out;
}

// What /blob answers: a body, framed as asked.
struct Blob {
  const std::string* body = nullptr;
  bool chunked = false;
  size_t chunk = 4096;
};

void serve_blob(Server& server, const Blob& blob) {
  server.hook([&blob](const Request& r, Response& out) {
    if (r.path != "/blob") return false;
    out.content_type = "application/octet-stream";
    out.body = *blob.body;
    out.chunked = blob.chunked;
    out.chunk_size = blob.chunk;
    return true;
  });
}

// A listening socket on 127.0.0.1 for a server written in the test itself.
struct Listener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int port = 0;
  Listener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port = ntohs(a.sin_port);
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
  // The next connection, or -1 when none comes within 10 s (the test then
  // fails on what the client saw instead of hanging).
  int accept_one() const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 10000) == 1 ? ::accept(fd, nullptr, nullptr) : -1;
  }
};

}  // namespace

TEST(Transport, BodiesArriveByteForByteOverTlsAndPlainHttp) {
  const std::string dir = temp_dir("transport-bodies");
  Certs certs = make_certs(dir);
  const std::string big = noise((8u << 20) + 13, 7), small = noise((1u << 20) + 5, 11);
  for (bool plain : {false, true}) {
    Server server(certs, plain);
    server.add_token("good-token", "token-user");
    const std::string kc =
        write_kubeconfig(dir + (plain ? "/kc-plain" : "/kc-tls"), server.url(),
                         plain ? std::string() : "    certificate-authority: " + certs.ca_file + "\n", "    token: good-token\n");
    auto client = client_for(kc);
    ASSERT_TRUE(client);
    struct Case {
      const std::string* body;
      bool chunked;
      size_t chunk, step;
    };
    Blob blob;
    serve_blob(server, blob);
    // Whole-length bodies, chunks that straddle TLS records (16 KiB) and the
    // read-ahead (128 KiB), tiny chunks, and reads of 3 bytes at a time.
    for (const Case& k : {Case{&big, false, 0, 64 * 1024}, Case{&big, true, 7001, 1 << 20}, Case{&small, true, 100, 4096},
                          Case{&small, false, 0, 3}}) {
      blob = Blob{k.body, k.chunked, k.chunk};
      SCOPED_TRACE(std::string(plain ? "http" : "https") + (k.chunked ? " chunked " + std::to_string(k.chunk) : " whole") +
                   ", reads of " + std::to_string(k.step));
      auto body = client->get("/blob", "application/octet-stream");
      std::string got = read_in_steps(*body, k.step);
      ASSERT_EQ(got.size(), k.body->size());
      EXPECT_TRUE(got == *k.body) << "the bytes differ";
    }
    // Every body was read to its end, so one connection served them all.
    EXPECT_EQ(server.connections(), 1u);
  }
}

TEST(Transport, AConnectionCutMidBodyIsAnErrorNotAShortBody) {
  Cluster c("transport-cut");
  const std::string body = noise(3u << 20, 5);
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/blob") return false;
    out.body = body;
    out.cut_after = body.size() / 2 + 1;
    return true;
  });
  auto client = client_for(c.token_kubeconfig());
  ASSERT_TRUE(client);
  auto reader = client->get("/blob");
  std::string got, error;
  try {
    got = read_in_steps(*reader, 64 * 1024);
  } catch (const std::exception& e) {
    error = e.what();
  }
  EXPECT_FALSE(error.empty()) << "a body cut after " << got.size() << " of " << body.size() << " bytes ended as if whole";
  EXPECT_NE(error.find("reading the response from " + c.server->url()), std::string::npos) << error;
  EXPECT_LT(got.size(), body.size());
}

// 32 MiB is more than the two sockets' buffers hold, so the client's
// writes stop and wait for the server to read (the TLS write's WantWrite).
TEST(Transport, AWriteLargerThanTheSocketBuffersGoesOutWhole) {
  Cluster c("transport-write");
  const std::string body = noise(32u << 20, 3);
  std::mutex mu;
  std::string received;
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/api/v1/namespaces/default/configmaps") return false;
    std::lock_guard<std::mutex> lock(mu);
    received = r.body;
    out.status = 201;
    out.body = "{}";
    return true;
  });
  auto client = client_for(c.token_kubeconfig(), /*writes=*/true);
  ASSERT_TRUE(client);
  auto w = client->write("POST", "/api/v1/namespaces/default/configmaps", body, "application/octet-stream");
  EXPECT_EQ(w.status, 201);
  EXPECT_EQ(w.body, "{}");
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(received.size(), body.size());
  EXPECT_TRUE(received == body) << "the server received other bytes";
}

// A plain http:// server that answers one request by sending its response
// header a byte every 100 ms (about 7 s in all). The header has the
// request timeout as a whole, not each wait for its next byte.
TEST(Transport, AHeaderDrippedByteByByteEndsAtTheTimeout) {
  Listener listener;
  ASSERT_GT(listener.port, 0);
  const std::string dir = temp_dir("transport-drip-header");
  const std::string kc =
      write_kubeconfig(dir + "/kc", "http://127.0.0.1:" + std::to_string(listener.port), "", "    token: t\n");
  auto client = client_for(kc, false, /*timeout_seconds=*/1);
  ASSERT_TRUE(client);
  std::thread server([&listener] {
    int c = listener.accept_one();
    if (c < 0) return;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, size_t(n));
    }
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    for (char ch : answer) {
      if (::send(c, &ch, 1, MSG_NOSIGNAL) != 1) break;  // the client gave up
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::close(c);
  });
  const auto t0 = std::chrono::steady_clock::now();
  std::string error;
  try {
    client->get_all("/version");
  } catch (const std::exception& e) {
    error = e.what();
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  server.join();
  EXPECT_NE(error.find("timed out after 1s"), std::string::npos) << (error.empty() ? "the dripped answer was taken" : error);
  EXPECT_LT(took, 2.5) << "the header's timeout was per byte, not for the whole header";
}

// A TLS server that answers one GET, then closes the kept-alive connection
// (FIN), and closes the next connection right after its handshake. The
// client's next write goes out on the closed connection: the kernel marks
// the socket broken pipe (EPIPE), which without MSG_NOSIGNAL raises
// SIGPIPE and ends the whole process, as OpenSSL's own socket BIO (it
// writes with write()) did.
TEST(Transport, WritingToAConnectionTheServerClosedIsAnErrorNotSigpipe) {
  const std::string dir = temp_dir("transport-closed");
  Certs certs = make_certs(dir);
  Listener listener;
  ASSERT_GT(listener.port, 0);
  const std::string kc = write_kubeconfig(dir + "/kc", "https://127.0.0.1:" + std::to_string(listener.port),
                                          "    certificate-authority: " + certs.ca_file + "\n", "    token: t\n");
  auto client = client_for(kc, /*writes=*/true, /*timeout_seconds=*/10);
  ASSERT_TRUE(client);
  std::thread server([&] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx, certs.server_cert_file.c_str());
    SSL_CTX_use_PrivateKey_file(ctx, certs.server_key_file.c_str(), SSL_FILETYPE_PEM);
    for (int round = 0; round < 2; ++round) {
      int c = listener.accept_one();
      if (c < 0) break;
      SSL* ssl = SSL_new(ctx);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1 && round == 0) {
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
          int n = SSL_read(ssl, buf, sizeof buf);
          if (n <= 0) break;
          request.append(buf, size_t(n));
        }
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        SSL_write(ssl, answer.data(), int(answer.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(c);
    }
    SSL_CTX_free(ctx);
  });
  EXPECT_EQ(client->get_all("/version"), "{}");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server's FIN arrives: the pooled connection is closed
  std::string error;
  try {
    client->write("POST", "/api/v1/namespaces/default/configmaps", noise(8u << 20, 9), "application/json");
  } catch (const std::exception& e) {
    error = e.what();
  }
  server.join();
  // Still running: the write failed as an error (its retry on a new
  // connection met the second close).
  EXPECT_FALSE(error.empty()) << "a write to closed connections succeeded";
}
