// LIST against the TLS test server: pagination, identity fill-in, retries,
// errors, keep-alive, rate limiting, discovery and the special tables.
#include "fixture.h"
#include "http_client.h"
#include "kubeconfig.h"

#include <chrono>
#include <fstream>
#include <thread>

using namespace kapitest;
using kitest::q;
namespace json = boost::json;

namespace {

class Live : public ::testing::Test {
 protected:
  EnvGuard env_{"KUBECONFIG", "HOME"};
  void SetUp() override {
    unsetenv("KUBECONFIG");
    setenv("HOME", temp_dir("home-live").c_str(), 1);
  }
};

size_t count_containing(const std::vector<std::string>& log, const std::string& needle) {
  size_t n = 0;
  for (auto& l : log)
    if (l.find(needle) != std::string::npos) ++n;
  return n;
}

// Answers 429 with Retry-After; true, for a hook.
bool too_many_requests(Response& out, const std::string& retry_after) {
  out.status = 429;
  out.headers.push_back({"Retry-After", retry_after});
  out.body = R"({"kind":"Status","message":"too many requests","code":429})";
  return true;
}

// A client of the cluster's server, as the driver makes one.
std::unique_ptr<kapi::ApiClient> client_of(Cluster& c) {
  kapi::ResolveOptions ro;
  ro.kubeconfig = c.token_kubeconfig();
  auto conn = kapi::resolve_connection(ro, [](int, const std::string&) {});
  if (!conn) return nullptr;
  kapi::ClientOptions co;
  co.backoff_base_seconds = 0.01;
  return std::make_unique<kapi::ApiClient>(std::move(*conn), co, nullptr);
}

std::string read_all(kapi::BodyReader& body) {
  std::string out;
  char buf[4096];
  while (size_t n = body.read(buf, sizeof buf)) out.append(buf, n);
  return out;
}

// Waits up to 5 s for the server to have seen a request containing `needle`.
size_t wait_for_request(Cluster& c, const std::string& needle) {
  auto t0 = std::chrono::steady_clock::now();
  size_t n = 0;
  while ((n = count_containing(c.server->log(), needle)) == 0 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return n;
}

}  // namespace

// A LIST asks for its next page while it reads this one, on a connection of
// its own, so that the server builds that page meanwhile: the server has
// the request before the first body is read to its end, and both answers
// arrive whole.
TEST_F(Live, NextPageIsAskedForWhileThisOneIsRead) {
  Cluster c("live-ahead");
  c.server->set_chunked_lists(200, 20);  // page 1 takes a while to arrive
  auto client = client_of(c);
  ASSERT_TRUE(client);
  auto page1 = client->get("/api/v1/pods?limit=5");
  char head[64];
  ASSERT_GT(page1->read(head, sizeof head), 0u);
  auto ahead = client->send_get("/api/v1/pods?limit=5&continue=off%3A5");
  EXPECT_EQ(ahead->target(), "/api/v1/pods?limit=5&continue=off%3A5");
  EXPECT_EQ(wait_for_request(c, "continue=off%3A5"), 1u) << "the next page was not asked for while page 1 was open";
  EXPECT_EQ(c.server->connections(), 2u);
  std::string body1 = std::string(head, sizeof head) + read_all(*page1);
  auto page2 = client->get(std::move(ahead));
  auto v1 = json::parse(body1), v2 = json::parse(read_all(*page2));
  EXPECT_EQ(v1.at("items").as_array().size(), 5u);
  ASSERT_EQ(v2.at("items").as_array().size(), 5u);
  EXPECT_EQ(v2.at("metadata").at("continue").as_string(), "off:10");
  EXPECT_NE(v1.at("items").at(0).at("metadata").at("name"), v2.at("items").at(0).at("metadata").at("name"));
}

// An answer asked for ahead is retried as any other (429 here), and a
// request that could not be sent fails where its answer is asked for.
TEST_F(Live, NextPageAskedForAheadIsRetriedAndFailsWhereRead) {
  Cluster c("live-ahead-retry");
  int left = 1;
  c.server->hook([&](const Request& r, Response& out) {
    return r.path == "/api/v1/pods" && r.params.count("continue") && left-- > 0 && too_many_requests(out, "0");
  });
  auto client = client_of(c);
  ASSERT_TRUE(client);
  auto ahead = client->send_get("/api/v1/pods?limit=5&continue=off%3A5");
  auto v = json::parse(read_all(*client->get(std::move(ahead))));
  EXPECT_EQ(v.at("items").as_array().size(), 5u);
  EXPECT_EQ(count_containing(c.server->log(), "continue=off%3A5"), 2u);
  client->interrupt();
  std::unique_ptr<kapi::PendingGet> unsent;
  EXPECT_NO_THROW(unsent = client->send_get("/api/v1/pods?limit=5&continue=off%3A10"));
  EXPECT_THROW(client->get(std::move(unsent)), std::runtime_error);
}

TEST_F(Live, PaginatedListFillsApiVersionAndKind) {
  Cluster c("live-pages");
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"page_size\":5"));
  auto r = p->scan("k8s.pods");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 14u);
  for (auto& row : r.rows) {
    EXPECT_EQ(str(row, "kind"), "Pod");
    EXPECT_EQ(str(row, "apiVersion"), "v1");
  }
  auto log = c.server->log();
  EXPECT_EQ(count_containing(log, "GET /api/v1/pods?limit=5&resourceVersion=0 "), 1u);
  EXPECT_EQ(count_containing(log, "GET /api/v1/pods?limit=5&continue=off%3A5 "), 1u);
  EXPECT_EQ(count_containing(log, "GET /api/v1/pods?limit=5&continue=off%3A10 "), 1u);
  // Two kept-alive connections for all pages (each next page is asked for on
  // the other one while this one is read) and the next scan.
  EXPECT_EQ(c.server->connections(), 2u);
  auto n = p->scan("k8s.nodes");
  ASSERT_TRUE(n.ok) << n.error;
  EXPECT_EQ(c.server->connections(), 2u);
  auto d = p->scan("k8s.deployments");
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_GT(d.rows.size(), 0u);
  EXPECT_EQ(str(d.rows[0], "apiVersion"), "apps/v1");
}

// The server follows the client's order of TLS 1.3 suites (OpenSSL's
// default, as many servers do): kinspect asks for AES-128-GCM first, as
// kubectl does, and the debug log names what was agreed.
TEST_F(Live, TlsPrefersAes128AsKubectlDoes) {
  Cluster c("live-cipher");
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto r = p->scan("k8s.pods");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NE(p->all_logs().find("over TLSv1.3 with TLS_AES_128_GCM_SHA256"), std::string::npos) << p->all_logs();
}

TEST_F(Live, ConsistentReadAndNamespaceConstraint) {
  Cluster c("live-consistent");
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"consistent_read\":true"));
  auto r = p->scan("k8s.pods", {}, {{"metadata.namespace", "kube-system"}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 14u);
  EXPECT_EQ(count_containing(c.server->log(), "GET /api/v1/namespaces/kube-system/pods?limit=500 "), 1u);
  auto none = p->scan("k8s.pods", {}, {{"metadata.namespace", "default"}});
  ASSERT_TRUE(none.ok);
  EXPECT_EQ(none.rows.size(), 0u);
}

TEST_F(Live, ChunkedSlowBodyIsStreamed) {
  Cluster c("live-chunked");
  c.server->set_chunked_lists(333, 1);
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto r = p->scan("k8s.pods");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 14u);
}

TEST_F(Live, GoneContinueTokenRelistsWithoutDuplicates) {
  Cluster c("live-410");
  bool fired = false;
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path == "/api/v1/pods" && r.params.count("continue") && r.params.at("continue") == "off:10" && !fired) {
      fired = true;
      out.status = 410;
      out.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410})";
      return true;
    }
    return false;
  });
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"page_size\":5"));
  auto r = p->scan("k8s.pods");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 14u);
  EXPECT_EQ(names(r).size(), 14u);
  EXPECT_TRUE(fired);
  EXPECT_NE(p->all_logs().find("410 Gone"), std::string::npos) << p->all_logs();
  EXPECT_EQ(count_containing(c.server->log(), "GET /api/v1/pods?limit=5&resourceVersion=0 "), 2u);
}

TEST_F(Live, TooManyRequestsHonoursRetryAfter) {
  Cluster c("live-429");
  int left = 2;
  c.server->hook([&](const Request& r, Response& out) {
    return r.path == "/api/v1/nodes" && left-- > 0 && too_many_requests(out, "1");
  });
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto t0 = std::chrono::steady_clock::now();
  auto r = p->scan("k8s.nodes");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 3u);
  EXPECT_GE(secs, 1.9);
  EXPECT_EQ(c.server->count("GET /api/v1/nodes"), 3u);
}

TEST_F(Live, ServerErrorsRetryBoundedThenFail) {
  Cluster c("live-500");
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/api/v1/nodes") return false;
    out.status = 500;
    out.body = R"({"kind":"Status","message":"etcdserver: request timed out","code":500})";
    return true;
  });
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"max_retries\":2,\"backoff_base_seconds\":0.05"));
  auto r = p->scan("k8s.nodes");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("HTTP 500: etcdserver: request timed out"), std::string::npos) << r.error;
  EXPECT_EQ(c.server->count("GET /api/v1/nodes"), 3u);
}

TEST_F(Live, ForbiddenNamesTheResource) {
  Cluster c("live-403");
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/api/v1/secrets") return false;
    out.status = 403;
    out.body = R"({"kind":"Status","message":"secrets is forbidden: User \"token-user\" cannot list resource \"secrets\" in API group \"\" at the cluster scope","reason":"Forbidden","code":403})";
    return true;
  });
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto r = p->scan("k8s.secrets");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("forbidden: cannot list secrets at the cluster scope (403)", 0), 0u) << r.error;
}

TEST_F(Live, UnauthorizedToken) {
  Cluster c("live-401");
  auto p = plugin(c.config(c.token_kubeconfig("bad-token")));
  auto r = p->scan("k8s.nodes");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("unauthorized (401)"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("bad-token"), std::string::npos) << "token leaked into the message";
}

TEST_F(Live, TruncatedBody) {
  Cluster c("live-trunc");
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/api/v1/pods") return false;
    out.body = R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"a"}},{"metadata":{"na)";
    return true;
  });
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto r = p->scan("k8s.pods");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("truncated JSON in pods"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("at byte 101"), std::string::npos) << r.error;
}

TEST_F(Live, UnreachableServer) {
  std::string dir = temp_dir("live-unreach");
  int port;
  {
    Certs certs = make_certs(dir);
    Server s(certs);
    port = s.port();
  }  // closed: nothing listens there now
  std::string kc = write_kubeconfig(dir + "/kc", "https://127.0.0.1:" + std::to_string(port), "    insecure-skip-tls-verify: true\n",
                                    "    token: t\n");
  auto p = plugin("{\"kubeconfig\":" + q(kc) + ",\"timeout_seconds\":5}");
  auto r = p->scan("k8s.nodes");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("cannot connect to https://127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error;
}

TEST_F(Live, WrongCertificateAuthority) {
  Cluster c("live-wrongca");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.other_ca_file + "\n",
                                    "    token: good-token\n");
  auto p = plugin(c.config(kc));
  auto r = p->scan("k8s.nodes");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("TLS handshake with " + c.server->url() + " failed"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("check certificate-authority"), std::string::npos) << r.error;
}

TEST_F(Live, ExpiredClientCertificate) {
  Cluster c("live-expired");
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(), "    certificate-authority: " + c.certs.ca_file + "\n",
                                    "    client-certificate: " + c.certs.expired_cert_file + "\n    client-key: " +
                                        c.certs.expired_key_file + "\n");
  auto p = plugin(c.config(kc));
  auto r = p->scan("k8s.nodes");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("client certificate expired"), std::string::npos) << r.error;
}

TEST_F(Live, SlowResponseTimesOut) {
  Cluster c("live-slow");
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/api/v1/nodes") return false;
    out.delay_ms = 2500;
    out.body = "{}";
    return true;
  });
  auto p = plugin("{\"kubeconfig\":" + q(c.token_kubeconfig()) + ",\"timeout_seconds\":1}");
  auto r = p->scan("k8s.nodes");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
}

TEST_F(Live, ClientSideRateLimit) {
  Cluster c("live-qps");
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"page_size\":1,\"qps\":10,\"burst\":1"));
  auto t0 = std::chrono::steady_clock::now();
  auto r = p->scan("k8s.pods");  // 14 pages
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 14u);
  EXPECT_GE(secs, 1.2);
}

TEST_F(Live, VersionHealthAndDiscovery) {
  Cluster c("live-special");
  c.server->set_readyz("[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]informer-sync ok\nreadyz check failed\n", 500);
  c.server->add_collection("/apis/crd-publish-openapi-test-foo.example.com/v1/foos", "FooList",
                           "crd-publish-openapi-test-foo.example.com/v1",
                           {R"({"metadata":{"name":"f1","namespace":"default"},"spec":{"size":1}})"});
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"discover\":true"));
  auto v = p->scan("k8s.version");
  ASSERT_TRUE(v.ok) << v.error;
  ASSERT_EQ(v.rows.size(), 1u);
  EXPECT_EQ(str(v.rows[0], "gitVersion"), "v1.21.1");
  auto rz = p->scan("k8s.readyz");
  ASSERT_TRUE(rz.ok) << rz.error;
  ASSERT_EQ(rz.rows.size(), 4u);
  EXPECT_EQ(str(rz.rows[2], "name"), "etcd");
  EXPECT_FALSE(rz.rows[2].as_object().at("ok").as_bool());
  auto lz = p->scan("k8s.livez");
  ASSERT_TRUE(lz.ok) << lz.error;
  auto ar = p->scan("k8s.api_resources");
  ASSERT_TRUE(ar.ok) << ar.error;
  bool pods = false, foos = false, subresource = false;
  for (auto& row : ar.rows) {
    if (str(row, "resource") == "pods" && str(row, "groupVersion") == "v1") pods = row.as_object().at("namespaced").as_bool();
    if (str(row, "resource") == "foos") foos = str(row, "kind") == "Foo";
    if (str(row, "resource").find('/') != std::string::npos) subresource = true;
  }
  EXPECT_TRUE(pods);
  EXPECT_TRUE(foos);
  EXPECT_FALSE(subresource);
  // Discovered resources become tables; the generic function reaches them too.
  auto d = p->describe();
  bool has_foos = false;
  for (auto& t : d.as_object()["tables"].as_array()) has_foos |= t.as_object().at("name").as_string() == "k8s.foos";
  EXPECT_TRUE(has_foos);
  auto f = p->scan("k8s.foos");
  ASSERT_TRUE(f.ok) << f.error;
  ASSERT_EQ(f.rows.size(), 1u);
  EXPECT_EQ(str(f.rows[0], "kind"), "Foo");
  EXPECT_EQ(str(f.rows[0], "apiVersion"), "crd-publish-openapi-test-foo.example.com/v1");
  auto g = p->scan("k8s.resource", {"crd-publish-openapi-test-foo.example.com/v1", "foos"});
  ASSERT_TRUE(g.ok) << g.error;
  EXPECT_EQ(g.rows.size(), 1u);
}

TEST_F(Live, DescribeMakesNoNetworkCallsWithoutDiscover) {
  Cluster c("live-nodiscover");
  auto p = plugin(c.config(c.token_kubeconfig()));
  p->describe();
  EXPECT_EQ(c.server->log().size(), 0u);
}

// Not served is not "none": the checks reading it must be "not checked".
TEST_F(Live, NotServedResourceIsUnavailable) {
  Cluster c("live-404");
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto r = p->scan("k8s.flowschemas");
  EXPECT_EQ(r.rc, KI_UNAVAILABLE) << r.error;
  EXPECT_EQ(r.error, "not served: the server does not serve /apis/flowcontrol.apiserver.k8s.io/v1/flowschemas (404)");
}

TEST_F(Live, SecretsAreStripped) {
  Cluster c("live-secrets");
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1",
                           {R"({"metadata":{"name":"db","namespace":"prod"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}})"});
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto r = p->scan("k8s.secrets");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_TRUE(r.rows[0].as_object().at("data").as_object().at("password").is_null());
  EXPECT_EQ(str(r.rows[0], "kind"), "Secret");
  EXPECT_EQ(p->all_logs().find("aHVudGVyMg"), std::string::npos);
}

TEST_F(Live, DroppedConnectionMidPageIsReadAgain) {
  Cluster c("live-drop");
  int seen = 0;
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"page_size\":5"));
  // Use a dedicated collection so the cut lands inside items.
  std::vector<std::string> items;
  for (int i = 0; i < 12; ++i)
    items.push_back("{\"metadata\":{\"name\":\"p" + std::to_string(i) + "\",\"namespace\":\"d\",\"uid\":\"uid-" +
                    std::to_string(i) + "\"},\"spec\":{\"pad\":\"" + std::string(400, 'x') + "\"}}");
  c.server->add_collection("/api/v1/configmaps", "ConfigMapList", "v1", items);
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path == "/api/v1/configmaps" && r.params.count("continue") && seen++ == 0) {
      std::string body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"continue\":\"off:10\"},\"items\":[";
      for (int i = 5; i < 10; ++i) body += (i > 5 ? "," : "") + items[i];
      body += "]}";
      out.body = body;
      out.cut_after = body.size() / 2;
      return true;
    }
    return false;
  });
  auto r = p->scan("k8s.configmaps");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 12u);
  EXPECT_EQ(names(r).size(), 12u);
  EXPECT_NE(p->all_logs().find("reading the page of configmaps again"), std::string::npos) << p->all_logs();
}

TEST_F(Live, HttpConnectProxy) {
  Cluster c("live-proxy");
  ConnectProxy proxy;
  std::string kc = write_kubeconfig(c.dir + "/kc", c.server->url(),
                                    "    certificate-authority: " + c.certs.ca_file + "\n    proxy-url: " + proxy.url() + "\n",
                                    "    token: good-token\n");
  auto p = plugin(c.config(kc));
  auto r = p->scan("k8s.nodes");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(proxy.tunnels(), 1u);
  ASSERT_EQ(proxy.targets().size(), 1u);
  EXPECT_EQ(proxy.targets()[0], "127.0.0.1:" + std::to_string(c.server->port()));
}

namespace {
size_t rss_kb_live() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}
}  // namespace

TEST_F(Live, LargePaginatedListBoundedMemory) {
  Cluster c("live-large");
  // KAPI_LIVE_ITEMS=150000 reproduces the figure in the scale notes.
  const char* env = std::getenv("KAPI_LIVE_ITEMS");
  const int kItems = env && std::atoi(env) >= 500 ? std::atoi(env) / 500 * 500 : 30000;
  std::vector<std::string> items;
  items.reserve(kItems);
  for (int i = 0; i < kItems; ++i)
    items.push_back("{\"metadata\":{\"name\":\"pod-" + std::to_string(i) + "\",\"namespace\":\"ns-" + std::to_string(i % 50) +
                    "\",\"uid\":\"00000000-0000-0000-0000-" + std::to_string(100000000000 + i) +
                    "\",\"annotations\":{\"pad\":\"" + std::string(700, 'y') + "\"}},\"spec\":{\"nodeName\":\"n" +
                    std::to_string(i % 100) + "\"},\"status\":{\"phase\":\"Running\"}}");
  c.server->add_collection("/api/v1/pods", "PodList", "v1", items);
  items.clear();
  items.shrink_to_fit();
  c.server->set_chunked_lists(16384, 0);
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"qps\":0"));
  size_t before = rss_kb_live(), peak = before;
  auto t0 = std::chrono::steady_clock::now();
  auto r = p->scan("k8s.pods", {}, {}, false, [&](std::string_view) { peak = std::max(peak, rss_kb_live()); });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.row_count, size_t(kItems));
  EXPECT_EQ(c.server->count("GET /api/v1/pods"), size_t(kItems / 500));
  double growth = double(peak - before) / 1024;
  std::printf("[ figures  ] live LIST of %d pods (%d pages of 500, chunked, TLS): %.2f s, RSS growth %.1f MiB (server included)\n",
              kItems, kItems / 500, secs, growth);
  if (rss_meaningful()) {
    EXPECT_LT(growth, 64.0);
  }
}

TEST_F(Live, GzipCompressedResponses) {
  if (!Server::gzip_supported()) GTEST_SKIP() << "built without zlib";
  Cluster c("live-gzip");
  c.server->set_gzip(true);
  c.server->set_chunked_lists(1000, 0);
  c.server->hook([&](const Request& r, Response& out) {
    if (r.path != "/api/v1/secrets") return false;
    out.status = 403;
    out.body = R"({"kind":"Status","message":"secrets is forbidden","code":403})";
    return true;
  });
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"page_size\":4"));
  auto r = p->scan("k8s.pods");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 14u);
  auto f = p->scan("k8s.secrets");
  ASSERT_FALSE(f.ok);
  EXPECT_NE(f.error.find("(403): secrets is forbidden"), std::string::npos) << f.error;
  auto n = p->scan("k8s.nodes");
  ASSERT_TRUE(n.ok) << n.error;
  EXPECT_EQ(n.rows.size(), 3u);
  EXPECT_GE(c.server->gzipped(), 6u);
  // gzip bodies are drained: keep-alive still works (a paged LIST uses two).
  EXPECT_EQ(c.server->connections(), 2u);
}

// The capture the core does for `kinspect snapshot` (scan each table with no
// projection, write List files and a manifest with snapshot_format.h), read
// back by the driver: the same rows.
#include <kinspect/snapshot_format.h>

TEST_F(Live, SnapshotRoundTrip) {
  namespace snap = kinspect::snapshot;
  Cluster c("live-roundtrip");
  auto live = plugin(c.config(c.token_kubeconfig()));
  std::string dir = temp_dir("roundtrip-snap");
  json::array resources;
  std::map<std::string, std::vector<std::string>> captured;
  c.server->add_collection("/api/v1/services", "ServiceList", "v1", {});  // served, and empty
  for (const char* table : {"k8s.pods", "k8s.nodes", "k8s.events", "k8s.deployments", "k8s.version", "k8s.readyz",
                            "k8s.api_resources", "k8s.services"}) {
    auto r = live->scan(table);
    ASSERT_TRUE(r.ok) << table << ": " << r.error;
    std::string file = snap::file_for_table(table);
    std::string body(snap::kListOpen);
    for (size_t i = 0; i < r.rows.size(); ++i) {
      if (i) body += ",\n";
      body += json::serialize(r.rows[i]);
      captured[table].push_back(json::serialize(r.rows[i]));
    }
    body += snap::kListClose;
    write_file(dir + "/" + file, body);
    resources.push_back(json::object{{"table", table}, {"file", file}, {"count", r.rows.size()}});
  }
  json::object manifest{{"format", std::string(snap::kFormat)}, {"created", "2026-01-01T00:00:00Z"},
                        {"cluster", json::object{{"version", json::parse(captured["k8s.version"][0])}}},
                        {"resources", resources}};
  write_file(dir + "/" + std::string(snap::kManifest), json::serialize(manifest));

  auto check = [&](const std::string& path) {
    auto back = plugin("{\"snapshot\":" + q(path) + "}");
    for (auto& [table, rows] : captured) {
      auto r = back->scan(table);
      ASSERT_TRUE(r.ok) << path << " " << table << ": " << r.error;
      std::vector<std::string> got;
      for (auto& row : r.rows) got.push_back(json::serialize(row));
      EXPECT_EQ(got, rows) << path << " " << table;
    }
  };
  check(dir);
  EXPECT_EQ(captured["k8s.pods"].size(), 14u);
  EXPECT_EQ(captured["k8s.services"].size(), 0u);  // not served by the test server: empty, still captured
}

// Two scans read in turns (as a join may do): each has its own connections.
TEST_F(Live, InterleavedScans) {
  Cluster c("live-interleave");
  std::vector<std::string> items;
  for (int i = 0; i < 12000; ++i)
    items.push_back("{\"metadata\":{\"name\":\"pod-" + std::to_string(i) + "\",\"uid\":\"u-" + std::to_string(i) +
                    "\",\"annotations\":{\"pad\":\"" + std::string(900, 'z') + "\"}}}");
  c.server->add_collection("/api/v1/pods", "PodList", "v1", items);
  auto p = plugin(c.config(c.token_kubeconfig(), ",\"page_size\":6000"));
  ki_scan_t* a = p->open("k8s.pods");
  size_t a_rows = 0, b_rows = 0;
  ASSERT_TRUE(p->next(a, a_rows));  // the first 4 MiB: mid-page
  EXPECT_GT(a_rows, 0u);
  EXPECT_LT(a_rows, 6000u);
  ki_scan_t* b = p->open("k8s.nodes");
  while (p->next(b, b_rows)) {
  }
  p->close(b);
  EXPECT_EQ(b_rows, 3u);
  while (p->next(a, a_rows)) {
  }
  p->close(a);
  EXPECT_EQ(a_rows, 12000u);
  // The pods' two pages (the second asked for ahead, on a connection of
  // its own) and the nodes.
  EXPECT_EQ(c.server->connections(), 3u);
  // Every connection went back to the pool: a third scan opens none.
  auto n = p->scan("k8s.nodes");
  ASSERT_TRUE(n.ok) << n.error;
  EXPECT_EQ(c.server->connections(), 3u);
}

// A query that reads only metadata gets PartialObjectMetadata from the server.
TEST_F(Live, MetadataOnlyQueriesAskForPartialObjectMetadata) {
  Cluster c("live-partial");
  c.server->add_collection("/api/v1/secrets", "SecretList", "v1",
                           {R"({"metadata":{"name":"db","namespace":"prod","managedFields":[{"manager":"x"}]},"type":"Opaque","data":{"password":"aHVudGVyMg=="}})"});
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto r = p->scan_paths("k8s.pods", {"metadata.name", "metadata.labels"});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.rows.size(), 14u);
  for (auto& row : r.rows) {
    EXPECT_EQ(str(row, "kind"), "Pod");
    EXPECT_EQ(str(row, "apiVersion"), "v1");
    EXPECT_FALSE(str(row, "metadata", "name").empty());
    EXPECT_FALSE(row.as_object().contains("spec"));
  }
  EXPECT_EQ(c.server->metadata_lists(), 1u);
  auto s = p->scan_paths("k8s.secrets", {"metadata"});
  ASSERT_TRUE(s.ok) << s.error;
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(s.rows[0], json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"prod"}})"));
  EXPECT_EQ(c.server->metadata_lists(), 2u);
  // Reading spec needs the whole objects.
  auto full = p->scan_paths("k8s.pods", {"metadata.name", "spec.nodeName"});
  ASSERT_TRUE(full.ok);
  EXPECT_TRUE(full.rows[0].as_object().contains("spec"));
  EXPECT_EQ(c.server->metadata_lists(), 2u);
}

// A plain http:// server, as `kubectl proxy` offers.
TEST_F(Live, PlainHttpServerLikeKubectlProxy) {
  std::string dir = temp_dir("live-plain");
  Certs certs = make_certs(dir);
  Server s(certs, /*plain=*/true);
  s.allow_anonymous(true);
  s.add_collection_file("/api/v1/nodes", data("kind_nodes_NodeList.json"));
  std::string kc = write_kubeconfig(dir + "/kc", s.url(), "", "    {}\n");
  auto p = plugin("{\"kubeconfig\":" + q(kc) + ",\"timeout_seconds\":10}");
  auto r = p->scan("k8s.nodes");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.rows.size(), 3u);
  auto r2 = p->scan("k8s.nodes");
  ASSERT_TRUE(r2.ok) << r2.error;
  EXPECT_EQ(s.connections(), 1u);
  EXPECT_NE(p->all_logs().find("is plain http: the connection is not encrypted"), std::string::npos) << p->all_logs();
}

// k8s.objects live: one LIST per resource discovery offers, custom
// resources included; a constraint on kind lists only that kind's resource.
TEST_F(Live, ObjectsListEveryResourceDiscoveryOffers) {
  Cluster c("live-objects");
  c.server->add_collection("/apis/crd-publish-openapi-test-foo.example.com/v1/foos", "FooList",
                           "crd-publish-openapi-test-foo.example.com/v1",
                           {R"({"metadata":{"name":"f1","namespace":"default"},"spec":{"size":1}})"});
  auto p = plugin(c.config(c.token_kubeconfig()));
  auto all = p->scan("k8s.objects");
  ASSERT_TRUE(all.ok) << all.error;
  std::map<std::string, size_t> by_kind;
  for (const auto& row : all.rows) {
    ++by_kind[str(row, "kind")];
    EXPECT_EQ(str(row, "found_in"), "live");
  }
  EXPECT_EQ(by_kind["Pod"], 14u);
  ASSERT_EQ(by_kind["Foo"], 1u);
  size_t before = c.server->log().size();
  auto foos = p->scan_paths("k8s.objects", {"kind", "metadata.name", "resource"}, {{"kind", "Foo"}});
  ASSERT_TRUE(foos.ok) << foos.error;
  ASSERT_EQ(foos.rows.size(), 1u);
  EXPECT_EQ(str(foos.rows[0], "resource"), "foos");
  EXPECT_EQ(str(foos.rows[0], "apiVersion"), "crd-publish-openapi-test-foo.example.com/v1");
  // Discovery is cached: the only LIST sent is the custom resource's.
  size_t lists = 0;
  for (size_t i = before; i < c.server->log().size(); ++i) lists += c.server->log()[i].find("/foos") != std::string::npos;
  EXPECT_EQ(c.server->log().size() - before, 1u);
  EXPECT_EQ(lists, 1u);
}
