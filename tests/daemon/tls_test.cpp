// `kinspect serve --tls-cert --tls-key` (issue 17: "TLS with a certificate and
// key when given"): the real binary on loopback with a CA and a server
// certificate the test makes with the openssl CLI; an OpenSSL client that
// verifies against that CA, curl --cacert, a plain-HTTP client, a TLS 1.1
// client, a client that never handshakes, and keys that do not fit.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>

#include "tests/common/run_command.h"
#include "tests/daemon/serve_process.h"

using namespace kinspect::testing;
namespace fs = std::filesystem;

namespace {

// A folder with a test CA, a server certificate for 127.0.0.1 signed by it,
// a second key that fits nothing, and a configuration for the example snapshot.
struct TlsFolder {
  fs::path dir;
  std::string setup_error;

  explicit TlsFolder(const std::string& name) {
    dir = fs::temp_directory_path() / ("kinspect-tls-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                         "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n";
    const std::string d = dir.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    const std::string script =
        "cd " + d + " && openssl req -x509" + ec + "-keyout ca.key -out ca.pem -days 2 -subj /CN=kinspect-test-ca" +
        " && openssl req" + ec + "-keyout server.key -out server.csr -subj /CN=127.0.0.1" +
        " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2"
        " -extfile server.ext && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out other.key";
    auto r = run_command(script);
    if (r.exit_code != 0) setup_error = "openssl failed: " + r.err;
    std::ofstream(dir / "serve.yaml") << "interval: 1h\n"
                                         "limits:\n  request_timeout: 2s\n  max_connections: 2\n"
                                         "clusters:\n  - name: example\n    snapshot: " KINSPECT_SOURCE_DIR "/examples/cluster\n";
  }
  ~TlsFolder() { fs::remove_all(dir); }
  std::string path(const std::string& f) const { return (dir / f).string(); }
  std::vector<std::string> args(const std::string& key = "server.key") const {
    return {"--config", path("serve.yaml"), "--plugin-dir", KINSPECT_PLUGIN_DIR, "--tls-cert", path("server.pem"),
            "--tls-key", path(key)};
  }
};

// A server closing a connection must not kill the test with SIGPIPE.
const bool kIgnoreSigpipe = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();


struct TlsGet {
  bool handshake = false;
  std::string error;  // OpenSSL's reason when the handshake failed
  HttpResult http;
};

// GET `target` over TLS, verifying the server against `ca_file` and its
// address 127.0.0.1; `max_version` (e.g. TLS1_1_VERSION) caps what the client offers.
TlsGet tls_get(int port, const std::string& ca_file, const std::string& target, int max_version = 0) {
  TlsGet out;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (max_version) {
    SSL_CTX_set_security_level(ctx, 0);  // else the client itself would not offer TLS 1.1
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, max_version);
  }
  const int fd = connect_loopback(port, std::chrono::seconds(10));
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "127.0.0.1");
  if (fd >= 0 && SSL_connect(ssl) == 1) {
    out.handshake = true;
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    SSL_write(ssl, req.data(), int(req.size()));
    std::string got;
    char buf[16384];
    for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
    const size_t end = got.find("\r\n\r\n");
    if (got.size() >= 12 && end != std::string::npos) {
      out.http.status = std::atoi(got.substr(9, 3).c_str());
      out.http.headers = got.substr(0, end);
      out.http.body = got.substr(end + 4);
    }
  } else {
    char buf[256] = "";
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    out.error = buf;
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (fd >= 0) ::close(fd);
  return out;
}

}  // namespace

TEST(ServeTls, AVerifyingClientGetsHealthzAndPlainHttpAndTls11AreRefused) {
  TlsFolder f("ok");
  ASSERT_EQ(f.setup_error, "");
  ServeProcess serve(f.args(), f.path("log"));
  ASSERT_GT(serve.port(), 0) << serve.log();
  EXPECT_NE(serve.log().find("(HTTPS)"), std::string::npos) << serve.log();

  TlsGet ok = tls_get(serve.port(), f.path("ca.pem"), "/healthz");
  ASSERT_TRUE(ok.handshake) << ok.error;
  EXPECT_EQ(ok.http.status, 200);
  EXPECT_EQ(ok.http.body, "ok\n");

  // A client trusting another CA (its own) does not accept the server.
  TlsGet wrong_ca = tls_get(serve.port(), f.path("server.pem"), "/healthz");
  EXPECT_FALSE(wrong_ca.handshake);

  // Plain HTTP to the TLS port: a clear 400 in plain HTTP, then closed.
  HttpResult plain = http(serve.port(), "GET", "/healthz");
  EXPECT_EQ(plain.status, 400) << plain.headers;
  EXPECT_NE(plain.body.find("HTTPS"), std::string::npos) << plain.body;

  // TLS 1.1 is below the minimum.
  TlsGet old = tls_get(serve.port(), f.path("ca.pem"), "/healthz", TLS1_1_VERSION);
  EXPECT_FALSE(old.handshake);
  EXPECT_NE(old.error.find("protocol"), std::string::npos) << old.error;

  // The real curl, verifying against the test CA.
  if (run_command("command -v curl").exit_code != 0) GTEST_SKIP() << "curl is not installed (scripts/setup installs it)";
  auto c = run_command("curl -sS --max-time 10 --cacert " + f.path("ca.pem") + " https://127.0.0.1:" +
                       std::to_string(serve.port()) + "/api/v1/clusters");
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("\"example\""), std::string::npos) << c.out;
  auto untrusted = run_command("curl -sS --max-time 10 https://127.0.0.1:" + std::to_string(serve.port()) + "/healthz");
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.out;
}

TEST(ServeTls, AClientThatNeverHandshakesHoldsItsSlotOnlyUntilTheRequestTimeout) {
  TlsFolder f("stall");
  ASSERT_EQ(f.setup_error, "");
  ServeProcess serve(f.args(), f.path("log"));
  ASSERT_GT(serve.port(), 0) << serve.log();
  // Both slots (max_connections: 2) taken by clients that connect and say nothing.
  const auto t0 = std::chrono::steady_clock::now();
  const auto bound = std::chrono::seconds(10);
  int stalled[2] = {connect_loopback(serve.port(), bound), connect_loopback(serve.port(), bound)};
  ASSERT_GE(stalled[0], 0);
  ASSERT_GE(stalled[1], 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A third is refused while they hold the slots.
  EXPECT_FALSE(tls_get(serve.port(), f.path("ca.pem"), "/healthz").handshake);
  // The server cuts them at request_timeout (2 s): recv sees the close.
  for (int fd : stalled) {
    char c;
    EXPECT_EQ(::recv(fd, &c, 1, 0), 0) << "the stalled connection was not closed";
    ::close(fd);
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("stalled handshakes closed after %.2f s (request_timeout 2 s)\n", waited);
  EXPECT_GE(waited, 1.8);
  EXPECT_LT(waited, 5.0);
  // And the slots are free again.
  TlsGet ok = tls_get(serve.port(), f.path("ca.pem"), "/healthz");
  EXPECT_TRUE(ok.handshake) << ok.error;
  EXPECT_EQ(ok.http.status, 200);
}

TEST(ServeTls, AKeyThatIsNotTheCertificatesFailsStartupNamingTheFile) {
  TlsFolder f("mismatch");
  ASSERT_EQ(f.setup_error, "");
  {
    ServeProcess serve(f.args("other.key"), f.path("log"));
    EXPECT_EQ(serve.wait(std::chrono::seconds(30)), 2);
    const std::string log = serve.log();
    EXPECT_NE(log.find(f.path("other.key")), std::string::npos) << log;
    EXPECT_NE(log.find(": is not the private key of the certificate " + f.path("server.pem")), std::string::npos) << log;
  }
  {
    ServeProcess serve(f.args("missing.key"), f.path("log2"));
    EXPECT_EQ(serve.wait(std::chrono::seconds(30)), 2);
    EXPECT_NE(serve.log().find(f.path("missing.key") + ": cannot read it: No such file"), std::string::npos) << serve.log();
  }
  {
    std::ofstream(f.path("garbage.pem")) << "not a certificate\n";
    auto args = f.args();
    args[5] = f.path("garbage.pem");  // --tls-cert
    ServeProcess serve(args, f.path("log3"));
    EXPECT_EQ(serve.wait(std::chrono::seconds(30)), 2);
    EXPECT_NE(serve.log().find("TLS certificate " + f.path("garbage.pem") + ": not a PEM certificate"), std::string::npos)
        << serve.log();
  }
}
