// net.http_probe end to end: `kinspect query` against servers this test runs
// on loopback: the API server test double of tests/apiserver (Boost.Beast,
// plain and TLS with a CA made for the test, so its certificate is not
// trusted by the system) answering 200, 500, a long body, redirects and a
// dripped body; a listener that accepts and never answers; a closed port.
// Every probe must end within its timeout. No traffic leaves loopback.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>

#include "test_server.h"
#include "tests/common/run_command.h"

namespace json = boost::json;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

namespace {

const std::string kKinspect = std::string(KINSPECT_BIN) + " --color never";

struct Probe {
  json::object row;
  double seconds = 0;
};

// SELECT * FROM net.http_probe(args) through `kinspect query`, with its wall time.
Probe probe(const std::string& args) {
  const std::string sql = "SELECT * FROM net.http_probe(" + args + ")";
  const auto start = std::chrono::steady_clock::now();
  auto r = run_command(kKinspect + " query --format json " + sh_quote(sql));
  Probe p;
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  json::error_code ec;
  json::value v = json::parse(r.out, ec);
  if (!ec && v.is_array() && v.as_array().size() == 1) p.row = v.as_array()[0].as_object();
  else ADD_FAILURE() << sql << ": not one row: " << r.out << r.err;
  return p;
}

std::string lit(const std::string& s) { return "'" + s + "'"; }

// Answers `path` with `status` and `body`.
void serve(kapitest::Server& s, const std::string& path, int status, const std::string& body,
           std::vector<std::pair<std::string, std::string>> headers = {}) {
  s.hook([=](const kapitest::Request& r, kapitest::Response& out) {
    if (r.path != path) return false;
    out.status = status, out.body = body, out.content_type = "text/plain", out.headers = headers;
    return true;
  });
}

class HttpProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new kapitest::Certs(kapitest::make_certs(kapitest::temp_dir("http-probe"))); }
  static void TearDownTestSuite() { delete certs_; }
  static kapitest::Certs* certs_;
};
kapitest::Certs* HttpProbeTest::certs_ = nullptr;

}  // namespace

TEST_F(HttpProbeTest, HealthyEndpointAnswers200) {
  kapitest::Server s(*certs_, true);
  s.allow_anonymous(true);
  serve(s, "/healthz", 200, "ok");
  auto p = probe(lit(s.url() + "/healthz") + ", '2s'").row;
  EXPECT_EQ(p["status"], "ok") << json::serialize(p);
  EXPECT_EQ(p["http_status"], 200);
  EXPECT_EQ(p["body"], "ok");
  EXPECT_EQ(p["body_truncated"], false);
  EXPECT_EQ(p["address"], "127.0.0.1");
  EXPECT_EQ(p["tls"], false);
  EXPECT_TRUE(p["tls_verified"].is_null());
  EXPECT_TRUE(p["error"].is_null());
  EXPECT_EQ(p["timeout_ms"], 2000);
}

TEST_F(HttpProbeTest, FailingEndpointReports500WithItsBody) {
  kapitest::Server s(*certs_, true);
  s.allow_anonymous(true);
  serve(s, "/readyz", 500, "[-]etcd failed: reason withheld\nreadyz check failed\n");
  auto p = probe(lit(s.url() + "/readyz")).row;
  EXPECT_EQ(p["status"], "ok") << json::serialize(p);
  EXPECT_EQ(p["http_status"], 500);
  EXPECT_EQ(p["body"], "[-]etcd failed: reason withheld\nreadyz check failed\n");
}

TEST_F(HttpProbeTest, LongBodyIsCutAt256Bytes) {
  kapitest::Server s(*certs_, true);
  s.allow_anonymous(true);
  serve(s, "/metrics", 200, std::string(100000, 'x'));
  auto p = probe(lit(s.url() + "/metrics")).row;
  EXPECT_EQ(p["status"], "ok") << json::serialize(p);
  EXPECT_EQ(p["body"].as_string().size(), 256u);
  EXPECT_EQ(p["body_truncated"], true);
}

TEST_F(HttpProbeTest, SelfSignedHttpsIsATlsErrorUnlessNotVerified) {
  kapitest::Server s(*certs_);  // TLS; its CA is not in the system's store
  s.allow_anonymous(true);
  serve(s, "/healthz", 200, "ok");
  const std::string url = lit(s.url() + "/healthz");
  auto strict = probe(url).row;
  EXPECT_EQ(strict["status"], "tls-error") << json::serialize(strict);
  EXPECT_EQ(strict["tls"], true);
  EXPECT_EQ(strict["tls_verified"], false);
  EXPECT_EQ(strict["tls_verify_error"], "self-signed certificate in certificate chain");
  EXPECT_TRUE(strict["http_status"].is_null());

  auto insecure = probe(url + ", '2s', FALSE").row;
  EXPECT_EQ(insecure["status"], "ok") << json::serialize(insecure);
  EXPECT_EQ(insecure["http_status"], 200);
  EXPECT_EQ(insecure["body"], "ok");
  EXPECT_EQ(insecure["tls_verified"], false);
  EXPECT_EQ(insecure["tls_verify_error"], "self-signed certificate in certificate chain");

  auto with_ca = probe(url + ", '2s', TRUE, " + lit(certs_->ca_file)).row;
  EXPECT_EQ(with_ca["status"], "ok") << json::serialize(with_ca);
  EXPECT_EQ(with_ca["tls_verified"], true);
  EXPECT_TRUE(with_ca["tls_verify_error"].is_null());

  auto other_ca = probe(url + ", '2s', TRUE, " + lit(certs_->other_ca_file)).row;
  EXPECT_EQ(other_ca["status"], "tls-error") << json::serialize(other_ca);
}

TEST_F(HttpProbeTest, RedirectsAreFollowedOnlyWithinTheOrigin) {
  kapitest::Server s(*certs_, true);
  s.allow_anonymous(true);
  serve(s, "/healthz", 200, "ok");
  serve(s, "/old", 302, "", {{"Location", "/healthz"}});
  serve(s, "/away", 302, "", {{"Location", "http://192.0.2.1/healthz"}});
  auto same = probe(lit(s.url() + "/old")).row;
  EXPECT_EQ(same["http_status"], 200) << json::serialize(same);
  EXPECT_EQ(same["redirects"], 1);
  EXPECT_EQ(same["final_url"], json::value(s.url() + "/healthz"));
  auto away = probe(lit(s.url() + "/away")).row;
  EXPECT_EQ(away["status"], "ok") << json::serialize(away);
  EXPECT_EQ(away["http_status"], 302);
  EXPECT_EQ(away["redirects"], 0);
  EXPECT_EQ(away["location"], "http://192.0.2.1/healthz");
}

TEST_F(HttpProbeTest, ServerThatNeverAnswersTimesOutWithinTheBound) {
  // The kernel completes the handshake of a listening socket; nobody reads.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string base = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  for (const std::string scheme : {"http", "https"}) {
    auto p = probe(lit(scheme + "://" + base + "/healthz") + ", '700ms'");
    EXPECT_EQ(p.row["status"], "timeout") << json::serialize(p.row);
    EXPECT_GE(p.row["latency_ms"].to_number<double>(), 680);
    EXPECT_LT(p.row["latency_ms"].to_number<double>(), 900);
    EXPECT_LT(p.seconds, 2.7) << scheme << ": the query outlived the 700 ms bound by far";
  }
  ::close(fd);
}

TEST_F(HttpProbeTest, DrippingServerTimesOutWithinTheBound) {
  kapitest::Server s(*certs_, true);
  s.allow_anonymous(true);
  serve(s, "/healthz", 200, std::string(200, 'o'));
  s.drip(1, 150);  // one byte every 150 ms: 30 s for the body
  auto p = probe(lit(s.url() + "/healthz") + ", '1s'");
  EXPECT_EQ(p.row["status"], "timeout") << json::serialize(p.row);
  EXPECT_EQ(p.row["http_status"], 200);
  EXPECT_LT(p.row["body"].as_string().size(), 20u);
  EXPECT_LT(p.row["latency_ms"].to_number<double>(), 1200);
  EXPECT_LT(p.seconds, 3.0);
}

TEST_F(HttpProbeTest, ClosedPortIsRefused) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // bound, never listening
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto p = probe(lit("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/healthz")).row;
  ::close(fd);
  EXPECT_EQ(p["status"], "refused") << json::serialize(p);
  EXPECT_NE(std::string(p["error"].as_string()).find("Connection refused"), std::string::npos);
}

TEST_F(HttpProbeTest, BadUrlFailsWithTheCall) {
  auto r = run_command(kKinspect + " query " + sh_quote("SELECT * FROM net.http_probe('ftp://127.0.0.1/x')"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("only http:// and https:// URLs are probed"), std::string::npos) << r.err;
  r = run_command(kKinspect + " query " + sh_quote("SELECT * FROM net.http_probe('http://user:pw@127.0.0.1/x')"));
  EXPECT_NE(r.err.find("credentials in the URL are not sent"), std::string::npos) << r.err;
}
