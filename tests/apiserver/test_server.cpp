// The only test translation unit that includes Beast/Asio.
#include "test_server.h"

#include "catalog.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#ifdef KAPI_TEST_HAVE_ZLIB
#include <zlib.h>
#endif

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace kapitest {

// ------------------------------------------------------------------ files

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << data;
}

std::string base64(const std::string& s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    b += k[v >> 18]; b += k[(v >> 12) & 63]; b += k[(v >> 6) & 63]; b += k[v & 63];
  }
  if (i + 1 == s.size()) {
    uint32_t v = uint8_t(s[i]) << 16;
    b += k[v >> 18]; b += k[(v >> 12) & 63]; b += "==";
  } else if (i + 2 == s.size()) {
    uint32_t v = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
    b += k[v >> 18]; b += k[(v >> 12) & 63]; b += k[(v >> 6) & 63]; b += '=';
  }
  return b;
}

std::string temp_dir(const std::string& name) {
  // Removed at exit unless KAPI_KEEP_TMP is set.
  struct Base {
    std::string path;
    Base() {
      path = (std::filesystem::temp_directory_path() / ("kapi-test-" + std::to_string(::getpid()))).string();
      std::filesystem::remove_all(path);
      std::filesystem::create_directories(path);
    }
    ~Base() {
      std::error_code ec;
      if (!std::getenv("KAPI_KEEP_TMP")) std::filesystem::remove_all(path, ec);
    }
  };
  static const Base b;
  const std::string& base = b.path;
  std::string d = base + "/" + name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

std::string write_kubeconfig(const std::string& path, const std::string& server, const std::string& cluster_yaml,
                             const std::string& user_yaml, const std::string& context) {
  std::string y = "apiVersion: v1\nkind: Config\ncurrent-context: " + context +
                  "\nclusters:\n- name: test-cluster\n  cluster:\n    server: " + server + "\n" + cluster_yaml +
                  "contexts:\n- name: " + context + "\n  context:\n    cluster: test-cluster\n    user: test-user\n" +
                  "users:\n- name: test-user\n  user:\n" + user_yaml;
  write_file(path, y);
  return path;
}

// ------------------------------------------------------------------ certs

namespace {

struct KeyCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

std::string pem_cert(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* d;
  long n = BIO_get_mem_data(b, &d);
  std::string s(d, size_t(n));
  BIO_free(b);
  return s;
}

std::string pem_key(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* d;
  long n = BIO_get_mem_data(b, &d);
  std::string s(d, size_t(n));
  BIO_free(b);
  return s;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ex) throw std::runtime_error("X509V3_EXT_conf_nid failed");
  X509_add_ext(cert, ex, -1);
  X509_EXTENSION_free(ex);
}

KeyCert make_cert(const char* cn, const char* org, const KeyCert* issuer, bool ca, const char* san, long from_s,
                  long to_s) {
  static long serial = 1;
  KeyCert kc;
  kc.key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!kc.key) throw std::runtime_error("keygen failed");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), from_s);
  X509_gmtime_adj(X509_getm_notAfter(x), to_s);
  X509_set_pubkey(x, kc.key);
  X509_NAME* name = X509_get_subject_name(x);
  if (org) X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(org), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* iss = issuer ? issuer->cert : x;
  X509_set_issuer_name(x, X509_get_subject_name(iss));
  if (ca) {
    add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    add_ext(x, iss, NID_subject_key_identifier, "hash");
  } else {
    add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(x, iss, NID_ext_key_usage, san ? "serverAuth" : "clientAuth");
    if (san) add_ext(x, iss, NID_subject_alt_name, san);
  }
  if (!X509_sign(x, issuer ? issuer->key : kc.key, EVP_sha256())) throw std::runtime_error("X509_sign failed");
  kc.cert = x;
  return kc;
}

void free_kc(KeyCert& k) {
  X509_free(k.cert);
  EVP_PKEY_free(k.key);
}

}  // namespace

Certs make_certs(const std::string& dir) {
  Certs c;
  c.dir = dir;
  const long day = 86400;
  KeyCert ca = make_cert("kinspect-test-ca", nullptr, nullptr, true, nullptr, -day, 30 * day);
  KeyCert other = make_cert("some-other-ca", nullptr, nullptr, true, nullptr, -day, 30 * day);
  KeyCert server = make_cert("kube-apiserver", nullptr, &ca, false, "IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes", -day, 30 * day);
  KeyCert client = make_cert("admin", "system:masters", &ca, false, nullptr, -day, 30 * day);
  KeyCert expired = make_cert("old-admin", "system:masters", &ca, false, nullptr, -10 * day, -day);
  c.ca_pem = pem_cert(ca.cert);
  c.other_ca_pem = pem_cert(other.cert);
  c.client_cert_pem = pem_cert(client.cert);
  c.client_key_pem = pem_key(client.key);
  c.expired_cert_pem = pem_cert(expired.cert);
  c.expired_key_pem = pem_key(expired.key);
  c.ca_file = dir + "/ca.crt";
  c.other_ca_file = dir + "/other-ca.crt";
  c.server_cert_file = dir + "/server.crt";
  c.server_key_file = dir + "/server.key";
  c.client_cert_file = dir + "/client.crt";
  c.client_key_file = dir + "/client.key";
  c.expired_cert_file = dir + "/expired.crt";
  c.expired_key_file = dir + "/expired.key";
  write_file(c.ca_file, c.ca_pem);
  write_file(c.other_ca_file, c.other_ca_pem);
  write_file(c.server_cert_file, pem_cert(server.cert) + c.ca_pem);
  write_file(c.server_key_file, pem_key(server.key));
  write_file(c.client_cert_file, c.client_cert_pem);
  write_file(c.client_key_file, c.client_key_pem);
  write_file(c.expired_cert_file, c.expired_cert_pem);
  write_file(c.expired_key_file, c.expired_key_pem);
  for (KeyCert* k : {&ca, &other, &server, &client, &expired}) free_kc(*k);
  return c;
}

// ------------------------------------------------------------------ server

namespace {

std::string url_decode(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      o += ' ';
    } else {
      o += s[i];
    }
  }
  return o;
}

std::string status_json(int code, const std::string& reason, const std::string& message) {
  json::object o{{"kind", "Status"},   {"apiVersion", "v1"},   {"metadata", json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason},
                 {"code", code}};
  return json::serialize(o);
}

// ---- fieldSelector and labelSelector, as much of them as the driver sends

std::string text_at(const json::value& item, const std::string& dotted) {
  const json::value* v = &item;
  for (size_t start = 0; v;) {
    size_t dot = dotted.find('.', start);
    std::string field = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    v = v->is_object() ? v->as_object().if_contains(field) : nullptr;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Splits on commas outside parentheses ("a=b,c in (x,y)").
std::vector<std::string> requirements(const std::string& selector) {
  std::vector<std::string> out(1);
  int depth = 0;
  for (char c : selector) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) out.emplace_back();
    else out.back() += c;
  }
  return out;
}

// The fields a real API server selects on (any resource, then pods); an
// unknown one is its 400 "field label not supported".
bool field_supported(const std::string& path, const std::string& field) {
  if (field == "metadata.name" || field == "metadata.namespace") return true;
  if (field == "type") return path.size() >= 8 && path.compare(path.size() - 8, 8, "/secrets") == 0;  // Secrets select on type
  return path.size() >= 5 && path.compare(path.size() - 5, 5, "/pods") == 0 &&
         (field == "spec.nodeName" || field == "status.phase");
}

// Whether `item` passes the request's selectors; `error` set on a selector
// this server does not understand.
bool selected(const json::value& item, const Request& r, const std::string& path, std::string& error) {
  if (auto it = r.params.find("fieldSelector"); it != r.params.end())
    for (const auto& req : requirements(it->second)) {
      size_t eq = req.find('=');
      const bool negated = eq != std::string::npos && eq > 0 && req[eq - 1] == '!';  // "metadata.namespace!=x"
      const std::string field = eq == std::string::npos ? req : req.substr(0, negated ? eq - 1 : eq);
      if (eq == std::string::npos || !field_supported(path, field)) {
        error = "field label not supported: " + req;
        return false;
      }
      const std::string want = req.substr(!negated && req[eq + 1] == '=' ? eq + 2 : eq + 1);
      if ((text_at(item, field) == want) == negated) return false;
    }
  if (auto it = r.params.find("labelSelector"); it != r.params.end())
    for (const auto& req : requirements(it->second)) {
      json::value labels = item;
      std::string key, want;
      size_t in = req.find(" in (");
      if (size_t eq = req.find('='); in == std::string::npos && eq != std::string::npos) {
        key = req.substr(0, eq);
        want = "," + req.substr(eq + 1) + ",";
      } else if (in != std::string::npos && req.back() == ')') {
        key = req.substr(0, in);
        want = "," + req.substr(in + 5, req.size() - in - 6) + ",";
      } else {
        error = "unable to parse requirement: " + req;
        return false;
      }
      const json::value* m = item.as_object().if_contains("metadata");
      const json::value* l = m && m->is_object() ? m->as_object().if_contains("labels") : nullptr;
      const json::value* v = l && l->is_object() ? l->as_object().if_contains(key) : nullptr;
      if (!v || !v->is_string() || want.find("," + std::string(v->as_string()) + ",") == std::string::npos) return false;
    }
  return true;
}

std::string resource_list(const std::string& gv) {
  json::array res;
  auto add = [&](const std::string& name, const std::string& singular, bool ns, const std::string& kind,
                 std::vector<std::string> shorts = {}) {
    json::array sn;
    for (auto& s : shorts) sn.push_back(json::string(s));
    json::object r{{"name", name},   {"singularName", singular}, {"namespaced", ns},
                   {"kind", kind},   {"verbs", json::array{"get", "list", "watch"}}};
    if (!sn.empty()) r["shortNames"] = sn;
    res.push_back(r);
  };
  for (const auto& r : kapi::well_known())
    if (r.group_version() == gv) {
      std::string singular = r.kind;
      for (char& ch : singular) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      add(r.resource, singular, r.namespaced, r.kind, r.resource == "nodes" ? std::vector<std::string>{"no"} : std::vector<std::string>{});
    }
  if (gv == "v1") add("pods/log", "", true, "Pod");
  if (gv == "crd-publish-openapi-test-foo.example.com/v1") add("foos", "foo", true, "Foo");
  json::object o{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", res}};
  return json::serialize(o);
}

#ifdef KAPI_TEST_HAVE_ZLIB
std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}
#endif

std::string strip_identity(const json::value& item) {
  json::object o = item.as_object();
  o.erase("apiVersion");
  o.erase("kind");
  return json::serialize(o);
}

}  // namespace

struct Server::Impl {
  Server& self;
  const Certs& certs;
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  std::mutex threads_mu;
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::atomic<bool> stopping{false};

  Impl(Server& s, const Certs& c) : self(s), certs(c) {
    ctx.use_certificate_chain_file(c.server_cert_file);
    ctx.use_private_key_file(c.server_key_file, ssl::context::pem);
    ctx.add_certificate_authority(asio::buffer(c.ca_pem));
    ctx.set_verify_mode(ssl::verify_peer);  // ask for a client cert, but don't require one
    ctx.set_verify_callback([](bool preverified, ssl::verify_context&) { return preverified; });
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
    self.port_ = acceptor.local_endpoint().port();
    accept_thread = std::thread([this] { accept_loop(); });
  }

  ~Impl() {
    stopping = true;
    {
      // Wake the blocking accept() with a connection of our own.
      boost::system::error_code ec;
      tcp::socket s(ioc);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(self.port_)), ec);
    }
    accept_thread.join();
    {
      std::lock_guard<std::mutex> l(threads_mu);
      for (auto& s : sockets) {
        boost::system::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
        s->close(ec);
      }
    }
    for (auto& t : threads) t.join();
  }

  void accept_loop() {
    for (;;) {
      auto sock = std::make_shared<tcp::socket>(ioc);
      boost::system::error_code ec;
      acceptor.accept(*sock, ec);
      if (stopping) return;
      if (ec) continue;
      ++self.connections_;
      std::lock_guard<std::mutex> l(threads_mu);
      sockets.push_back(sock);
      threads.emplace_back([this, sock] { serve(sock); });
    }
  }

  void serve(std::shared_ptr<tcp::socket> sock) {
    try {
      if (self.plain_) {
        serve_loop(*sock, sock, std::string());
        return;
      }
      ssl::stream<tcp::socket&> stream(*sock, ctx);
      boost::system::error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) return;
      std::string cn;
      if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
        if (SSL_get_verify_result(stream.native_handle()) == X509_V_OK) {
          char buf[256];
          if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf) > 0) cn = buf;
        }
        X509_free(peer);
      }
      serve_loop(stream, sock, cn);
    } catch (const std::exception&) {
    }
  }

  // A WATCH: chunks as the handler produces them; false when the
  // connection ended (a client gone, or dropped on purpose).
  template <class Stream>
  bool stream_body(Stream& stream, std::shared_ptr<tcp::socket> sock, Response& out) {
    boost::system::error_code ec;
    http::response<http::empty_body> res{static_cast<http::status>(out.status), 11};
    res.set(http::field::content_type, out.content_type);
    res.keep_alive(true);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    http::write_header(stream, sr, ec);
    if (ec) return false;
    bool ended = out.stream([&](const std::string& piece) {
      asio::write(stream, http::make_chunk(asio::buffer(piece)), ec);
      return !ec;
    });
    if (!ended || ec) {
      sock->shutdown(tcp::socket::shutdown_both, ec);
      return false;
    }
    asio::write(stream, http::make_chunk_last(), ec);
    return !ec;
  }

  template <class Stream>
  void serve_loop(Stream& stream, std::shared_ptr<tcp::socket> sock, const std::string& cn) {
    boost::system::error_code ec;
    {
      beast::flat_buffer buffer;
      for (;;) {
        // Beast's default limit is 1 MiB; the client's tests write more.
        http::request_parser<http::string_body> parser;
        parser.body_limit(64u << 20);
        http::read(stream, buffer, parser, ec);
        if (ec) return;
        http::request<http::string_body> req = parser.release();
        Request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        size_t q = r.target.find('?');
        r.path = r.target.substr(0, q);
        if (q != std::string::npos) {
          r.query = r.target.substr(q + 1);
          std::stringstream ss(r.query);
          std::string kv;
          while (std::getline(ss, kv, '&')) {
            size_t eq = kv.find('=');
            r.params[url_decode(kv.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(kv.substr(eq + 1));
          }
        }
        r.content_type = std::string(req[http::field::content_type]);
        r.body = req.body();
        r.accept = std::string(req[http::field::accept]);
        r.accept_encoding = std::string(req[http::field::accept_encoding]);
        std::string auth(req[http::field::authorization]);
        if (!cn.empty()) r.user = cn;
        else if (auth.rfind("Bearer ", 0) == 0) {
          auto it = self.tokens_.find(auth.substr(7));
          if (it != self.tokens_.end()) r.user = it->second;
        } else if (auth.rfind("Basic ", 0) == 0) {
          for (auto& [u, p] : self.basic_)
            if (auth.substr(6) == base64(u + ":" + p)) r.user = u;
        }
        {
          std::lock_guard<std::mutex> l(self.mu_);
          self.log_.push_back(r.method + " " + r.target + " user=" + r.user);
        }
        Response out;
        if (r.user.empty() && !self.anonymous_) {
          out.status = 401;
          out.body = status_json(401, "Unauthorized", "Unauthorized");
        } else {
          self.route(r, out);
        }
        if (out.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(out.delay_ms));
#ifdef KAPI_TEST_HAVE_ZLIB
        if (self.gzip_ && r.accept_encoding.find("gzip") != std::string::npos && !out.body.empty()) {
          out.body = gzip(out.body);
          out.headers.push_back({"Content-Encoding", "gzip"});
          ++self.gzipped_;
        }
#endif
        bool keep = req.keep_alive();
        if (out.cut_after) {
          std::string raw = "HTTP/1.1 " + std::to_string(out.status) + " OK\r\nContent-Type: " + out.content_type +
                            "\r\nContent-Length: " + std::to_string(out.body.size()) + "\r\n\r\n" +
                            out.body.substr(0, out.cut_after);
          asio::write(stream, asio::buffer(raw), ec);
          sock->shutdown(tcp::socket::shutdown_both, ec);
          return;
        }
        if (out.stream) {
          if (!stream_body(stream, sock, out)) return;
        } else if (!out.chunked) {
          http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
          res.set(http::field::content_type, out.content_type);
          for (auto& [k, v] : out.headers) res.set(k, v);
          res.body() = std::move(out.body);  // a page of 500 pods is 4 MB: not copied again
          res.keep_alive(keep);
          res.prepare_payload();
          http::write(stream, res, ec);
          if (ec) return;
        } else {
          http::response<http::empty_body> res{static_cast<http::status>(out.status), 11};
          res.set(http::field::content_type, out.content_type);
          for (auto& [k, v] : out.headers) res.set(k, v);
          res.keep_alive(keep);
          res.chunked(true);
          http::response_serializer<http::empty_body> sr{res};
          http::write_header(stream, sr, ec);
          if (ec) return;
          for (size_t off = 0; off < out.body.size(); off += out.chunk_size) {
            std::string piece = out.body.substr(off, out.chunk_size);
            asio::write(stream, http::make_chunk(asio::buffer(piece)), ec);
            if (ec) return;
            if (out.chunk_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(out.chunk_delay_ms));
          }
          asio::write(stream, http::make_chunk_last(), ec);
          if (ec) return;
        }
        if (!keep) {
          if constexpr (std::is_same_v<Stream, tcp::socket>) sock->shutdown(tcp::socket::shutdown_both, ec);
          else stream.shutdown(ec);
          return;
        }
      }
    }
  }
};

bool Server::gzip_supported() {
#ifdef KAPI_TEST_HAVE_ZLIB
  return true;
#else
  return false;
#endif
}

Server::Server(const Certs& certs, bool plain) : plain_(plain) {
  version_ = R"({"major":"1","minor":"32","gitVersion":"v1.32.0","gitCommit":"0000000000000000000000000000000000000000","gitTreeState":"clean","buildDate":"2024-12-11T00:00:00Z","goVersion":"go1.23.3","compiler":"gc","platform":"linux/amd64"})";
  readyz_ = "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]informer-sync ok\nreadyz check passed\n";
  impl_ = std::make_unique<Impl>(*this, certs);
}

Server::~Server() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  impl_.reset();
}

void Server::hook(Hook h) {
  std::lock_guard<std::mutex> l(mu_);
  hooks_.push_back(std::move(h));
}

std::vector<std::string> Server::log() const {
  std::lock_guard<std::mutex> l(mu_);
  return log_;
}

size_t Server::count(const std::string& prefix) const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (auto& s : log_)
    if (s.compare(0, prefix.size(), prefix) == 0) ++n;
  return n;
}

void Server::add_collection(const std::string& path, const std::string& list_kind, const std::string& api_version,
                            const std::vector<std::string>& items_json) {
  Collection c;
  c.list_kind = list_kind;
  c.api_version = api_version;
  for (auto& s : items_json) {
    json::value v = json::parse(s);
    std::string ns;
    if (auto* m = v.as_object().if_contains("metadata"))
      if (auto* n = m->as_object().if_contains("namespace")) ns = std::string(n->as_string());
    c.items.push_back(strip_identity(v));
    c.namespaces.push_back(ns);
  }
  std::lock_guard<std::mutex> l(mu_);
  collections_[path] = std::move(c);
}

void Server::add_collection_file(const std::string& path, const std::string& file) {
  json::value v = json::parse(read_file(file));
  std::vector<std::string> items;
  for (auto& i : v.as_object().at("items").as_array()) items.push_back(json::serialize(i));
  std::string kind(v.as_object().at("kind").as_string());
  std::string api(v.as_object().at("apiVersion").as_string());
  add_collection(path, kind, api, items);
}

void Server::add_pod_log(const std::string& ns, const std::string& pod, const std::string& container,
                         const std::string& log) {
  std::lock_guard<std::mutex> l(mu_);
  pod_logs_[ns + "/" + pod][container] = log;
}

// GET /api/v1/namespaces/NS/pods/POD[/log]: one pod, or its log, as a real
// API server answers them (errors as Status objects, logs as text/plain).
bool Server::route_pod(const Request& r, Response& out) {
  static const std::string kPrefix = "/api/v1/namespaces/";
  if (r.path.rfind(kPrefix, 0) != 0) return false;
  std::vector<std::string> parts;
  for (size_t at = kPrefix.size(), next; at <= r.path.size(); at = next + 1) {
    next = r.path.find('/', at);
    if (next == std::string::npos) next = r.path.size();
    parts.push_back(r.path.substr(at, next - at));
  }
  if (parts.size() < 3 || parts.size() > 4 || parts[1] != "pods" || (parts.size() == 4 && parts[3] != "log")) return false;
  const std::string &ns = parts[0], &name = parts[2];
  std::lock_guard<std::mutex> l(mu_);
  auto pods = collections_.find("/api/v1/pods");
  const std::string* item = nullptr;
  for (size_t i = 0; pods != collections_.end() && i < pods->second.items.size(); ++i)
    if (pods->second.namespaces[i] == ns && text_at(json::parse(pods->second.items[i]), "metadata.name") == name)
      item = &pods->second.items[i];
  if (!item) {
    out.status = 404;
    out.body = status_json(404, "NotFound", "pods \"" + name + "\" not found");
    return true;
  }
  if (parts.size() == 3) {
    json::value v = json::parse(*item);
    v.as_object()["apiVersion"] = "v1";
    v.as_object()["kind"] = "Pod";
    out.body = json::serialize(v);
    return true;
  }
  const auto& logs = pod_logs_[ns + "/" + name];
  std::string container = r.params.count("container") ? r.params.at("container") : "";
  if (container.empty() && logs.size() == 1) container = logs.begin()->first;
  auto log = logs.find(container);
  if (log == logs.end()) {
    out.status = 400;
    out.body = status_json(400, "BadRequest", "container " + container + " is not valid for pod " + name);
    return true;
  }
  out.content_type = "text/plain";
  out.body = log->second;
  if (r.params.count("limitBytes")) out.body = out.body.substr(0, std::stoul(r.params.at("limitBytes")));
  return true;
}

// ------------------------------------------------------------------ proxy

struct ConnectProxy::Impl {
  ConnectProxy& self;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  std::mutex mu;
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::atomic<bool> stopping{false};

  explicit Impl(ConnectProxy& p) : self(p) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(ep.protocol());
    acceptor.bind(ep);
    acceptor.listen();
    self.port_ = acceptor.local_endpoint().port();
    accept_thread = std::thread([this] {
      for (;;) {
        auto sock = std::make_shared<tcp::socket>(ioc);
        boost::system::error_code ec;
        acceptor.accept(*sock, ec);
        if (stopping) return;
        if (ec) continue;
        std::lock_guard<std::mutex> l(mu);
        sockets.push_back(sock);
        threads.emplace_back([this, sock] { tunnel(sock); });
      }
    });
  }
  ~Impl() {
    stopping = true;
    {
      boost::system::error_code ec;
      tcp::socket s(ioc);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(self.port_)), ec);
    }
    accept_thread.join();
    {
      std::lock_guard<std::mutex> l(mu);
      for (auto& s : sockets) {
        boost::system::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
        s->close(ec);
      }
    }
    for (auto& t : threads) t.join();
  }
  void tunnel(std::shared_ptr<tcp::socket> client) {
    boost::system::error_code ec;
    beast::flat_buffer buf;
    http::request<http::empty_body> req;
    http::read(*client, buf, req, ec);
    if (ec || req.method() != http::verb::connect) return;
    std::string target(req.target());
    {
      std::lock_guard<std::mutex> l(self.mu_);
      self.targets_.push_back(target);
    }
    size_t colon = target.rfind(':');
    auto upstream = std::make_shared<tcp::socket>(ioc);
    upstream->connect(tcp::endpoint(asio::ip::make_address(target.substr(0, colon)),
                                    static_cast<unsigned short>(std::stoi(target.substr(colon + 1)))), ec);
    if (ec) {
      asio::write(*client, asio::buffer(std::string("HTTP/1.1 502 Bad Gateway\r\n\r\n")), ec);
      return;
    }
    {
      std::lock_guard<std::mutex> l(mu);
      sockets.push_back(upstream);
    }
    ++self.tunnels_;
    asio::write(*client, asio::buffer(std::string("HTTP/1.1 200 Connection established\r\n\r\n")), ec);
    if (buf.size()) asio::write(*upstream, buf.data(), ec);
    std::thread back([client, upstream] {
      char b[16384];
      boost::system::error_code e;
      for (;;) {
        size_t n = upstream->read_some(asio::buffer(b), e);
        if (e) break;
        asio::write(*client, asio::buffer(b, n), e);
        if (e) break;
      }
      client->shutdown(tcp::socket::shutdown_both, e);
    });
    char b[16384];
    for (;;) {
      size_t n = client->read_some(asio::buffer(b), ec);
      if (ec) break;
      asio::write(*upstream, asio::buffer(b, n), ec);
      if (ec) break;
    }
    upstream->shutdown(tcp::socket::shutdown_both, ec);
    back.join();
  }
};

ConnectProxy::ConnectProxy() { impl_ = std::make_unique<Impl>(*this); }
ConnectProxy::~ConnectProxy() { impl_.reset(); }
std::vector<std::string> ConnectProxy::targets() const {
  std::lock_guard<std::mutex> l(mu_);
  return targets_;
}

void Server::fail_every_request(int status, const std::string& retry_after) {
  hook([status, retry_after](const Request&, Response& out) {
    out.status = status;
    out.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected failure","code":)" +
               std::to_string(status) + "}";
    if (!retry_after.empty()) out.headers.emplace_back("Retry-After", retry_after);
    return true;
  });
}

bool Server::route(const Request& r, Response& out) {
  bool handled = route_request(r, out);
  if (size_t bytes = drip_bytes_) {
    out.chunked = true;
    out.chunk_size = bytes;
    out.chunk_delay_ms = drip_delay_ms_;
  }
  return handled;
}

bool Server::route_request(const Request& r, Response& out) {
  std::vector<Hook> hooks;
  {
    std::lock_guard<std::mutex> l(mu_);
    hooks = hooks_;
  }
  for (auto& h : hooks)
    if (h(r, out)) return true;
  if (r.path == "/version") {
    out.body = version_;
    return true;
  }
  if (r.path == "/metrics") {
    out.status = metrics_status_;
    out.content_type = "text/plain; version=0.0.4; charset=utf-8";
    out.body = metrics_;
    return true;
  }
  if (r.path == "/readyz" || r.path == "/livez") {
    out.status = readyz_status_;
    out.content_type = "text/plain; charset=utf-8";
    out.body = readyz_;
    return true;
  }
  if (r.path == "/api") {
    out.body = R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:)" +
               std::to_string(port_) + "\"}]}";
    return true;
  }
  if (r.path == "/apis") {
    if (groups_.empty()) {
      out.body = R"({"kind":"APIGroupList","apiVersion":"v1","groups":[]})";
    } else {
      json::value v = json::parse(groups_);
      json::array keep;
      for (auto& g : v.as_object()["groups"].as_array())
        if (!g.as_object().at("name").as_string().empty()) keep.push_back(g);
      v.as_object()["groups"] = keep;
      out.body = json::serialize(v);
    }
    return true;
  }
  if (r.path == "/api/v1") {
    out.body = resource_list("v1");
    return true;
  }
  if (route_pod(r, out)) return true;
  if (route_object(r, out)) return true;
  // Collections, possibly narrowed to a namespace.
  std::string path = r.path, ns;
  size_t nsp = path.find("/namespaces/");
  if (nsp != std::string::npos) {
    size_t end = path.find('/', nsp + 12);
    if (end != std::string::npos) {
      ns = path.substr(nsp + 12, end - nsp - 12);
      path = path.substr(0, nsp) + path.substr(end);
    }
  }
  auto watch = r.params.find("watch");
  if (watch != r.params.end() && (watch->second == "1" || watch->second == "true"))
    if (route_watch(r, path, ns, out)) return true;
  // Held while the page is written: objects change only between pages.
  std::unique_lock<std::mutex> collection_lock(mu_);
  auto found = collections_.find(path);
  const std::string list_rv = std::to_string(rv_);
  if (found == collections_.end()) collection_lock.unlock();
  if (found != collections_.end()) {
    Collection* c = &found->second;
    const bool selectors = r.params.count("fieldSelector") || r.params.count("labelSelector");
    size_t limit = r.params.count("limit") ? std::stoul(r.params.at("limit")) : 0;
    size_t offset = 0;
    if (r.params.count("continue")) {
      const std::string& t = r.params.at("continue");
      if (t.rfind("off:", 0) != 0) {
        out.status = 400;
        out.body = status_json(400, "BadRequest", "invalid continue token");
        return true;
      }
      offset = std::stoul(t.substr(4));
    }
    // A page of the whole collection reads only its own items, as an
    // apiserver's range read from etcd does: not a pass over every item
    // for every page (338 pages of 168,000 pods: 57 million looks).
    const bool every_item = ns.empty() && !selectors;
    std::vector<const std::string*> sel;
    std::string bad_selector;
    if (!every_item) {
      for (size_t i = 0; i < c->items.size(); ++i)
        if ((ns.empty() || c->namespaces[i] == ns) && (!selectors || selected(json::parse(c->items[i]), r, path, bad_selector)))
          sel.push_back(&c->items[i]);
    }
    const size_t total = every_item ? c->items.size() : sel.size();
    auto item = [&](size_t i) -> const std::string& { return every_item ? c->items[i] : *sel[i]; };
    if (!bad_selector.empty()) {
      out.status = 400;
      out.body = status_json(400, "BadRequest", bad_selector);
      return true;
    }
    size_t end = limit ? std::min(total, offset + limit) : total;
    bool partial = r.accept.find("as=PartialObjectMetadataList") != std::string::npos;
    if (partial) ++metadata_lists_;
    std::string body = "{\"kind\":\"" + (partial ? std::string("PartialObjectMetadataList") : c->list_kind) +
                       "\",\"apiVersion\":\"" + (partial ? std::string("meta.k8s.io/v1") : c->api_version) +
                       "\",\"metadata\":{\"resourceVersion\":\"" + list_rv + "\"";
    if (end < total) body += ",\"continue\":\"off:" + std::to_string(end) + "\",\"remainingItemCount\":" + std::to_string(total - end);
    body += "},\"items\":[";
    for (size_t i = offset; i < end; ++i) {
      if (i > offset) body += ',';
      if (partial) {
        json::value v = json::parse(item(i));
        body += json::serialize(json::object{{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"},
                                             {"metadata", v.as_object()["metadata"]}});
      } else {
        body += item(i);
      }
    }
    body += "]}";
    out.body = std::move(body);
    if (list_chunk_) {
      out.chunked = true;
      out.chunk_size = list_chunk_;
      out.chunk_delay_ms = list_chunk_delay_;
    }
    return true;
  }
  if (r.path.rfind("/apis/", 0) == 0) {
    std::string gv = r.path.substr(6);
    if (std::count(gv.begin(), gv.end(), '/') == 1) {
      bool served = false;
      if (!groups_.empty()) {
        json::value v = json::parse(groups_);
        for (auto& g : v.as_object()["groups"].as_array())
          for (auto& ver : g.as_object()["versions"].as_array())
            if (ver.as_object()["groupVersion"].as_string() == gv) served = true;
      }
      if (served) {
        out.body = resource_list(gv);
        return true;
      }
    }
  }
  out.status = 404;
  out.body = status_json(404, "NotFound", "the server could not find the requested resource");
  return false;
}


// ---------------------------------------------------------------- writes

namespace {
std::string meta_text(const json::value& v, const char* key) {
  const json::value* m = v.as_object().if_contains("metadata");
  const json::value* x = m && m->is_object() ? m->as_object().if_contains(key) : nullptr;
  return x && x->is_string() ? std::string(x->as_string()) : std::string();
}

std::string singular_kind(const std::string& list_kind) {
  return list_kind.size() > 4 && list_kind.ends_with("List") ? list_kind.substr(0, list_kind.size() - 4) : list_kind;
}

// RFC 7386 merge patch; `strategic` also merges status.conditions by type,
// the one strategic-merge rule write-back relies on.
void merge_patch(json::value& target, const json::value& patch, bool strategic) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object{};
  json::object& t = target.as_object();
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      t.erase(k);
    } else if (strategic && k == "conditions" && v.is_array() && t.contains(k) && t[k].is_array()) {
      json::array& have = t[k].as_array();
      for (const json::value& c : v.as_array()) {
        auto same = std::find_if(have.begin(), have.end(), [&](const json::value& h) {
          return h.is_object() && c.is_object() && h.as_object().contains("type") &&
                 h.as_object().at("type") == c.as_object().at("type");
        });
        if (same != have.end()) merge_patch(*same, c, strategic);
        else have.push_back(c);
      }
    } else {
      merge_patch(t[k], v, strategic);
    }
  }
}
}  // namespace

size_t Server::writes() const { return writes_; }

// GET, POST and PATCH of one object of a collection put here: the path
// without its namespace is COLLECTION[/NAME[/status]].
bool Server::route_object(const Request& r, Response& out) {
  std::string path = r.path, ns;
  if (size_t at = path.find("/namespaces/"); at != std::string::npos) {
    size_t end = path.find('/', at + 12);
    if (end == std::string::npos) return false;
    ns = path.substr(at + 12, end - at - 12);
    path = path.substr(0, at) + path.substr(end);
  }
  bool status = path.size() > 7 && path.ends_with("/status");
  if (status) path.resize(path.size() - 7);
  std::string collection = path, name;
  const bool post = r.method == "POST";
  if (!post) {
    size_t slash = path.rfind('/');
    collection = path.substr(0, slash);
    name = path.substr(slash + 1);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!collections_.count(collection)) return false;
  }
  if (r.method == "GET" && !status) {
    std::lock_guard<std::mutex> l(mu_);
    Collection& c = collections_.at(collection);
    for (size_t i = 0; i < c.items.size(); ++i)
      if (c.namespaces[i] == ns && meta_text(json::parse(c.items[i]), "name") == name) {
        json::value v = json::parse(c.items[i]);
        v.as_object()["apiVersion"] = c.api_version;
        v.as_object()["kind"] = singular_kind(c.list_kind);
        out.body = json::serialize(v);
        return true;
      }
    out.status = 404;
    out.body = status_json(404, "NotFound", name + " not found");
    return true;
  }
  if (r.method != "POST" && r.method != "PATCH") return false;
  if (std::find(writers_.begin(), writers_.end(), r.user) == writers_.end()) {
    out.status = 403;
    out.body = status_json(403, "Forbidden", "User \"" + r.user + "\" cannot " +
                                                 (post ? "create" : "patch") + " resource at " + r.path);
    return true;
  }
  return write_object(r, collection, ns, name, status, out);
}

bool Server::write_object(const Request& r, const std::string& collection, const std::string& ns,
                          const std::string& name, bool status, Response& out) {
  json::error_code ec;
  json::value body = json::parse(r.body, ec);
  if (ec || !body.is_object()) {
    out.status = 400;
    out.body = status_json(400, "BadRequest", "the body is not a JSON object");
    return true;
  }
  std::optional<json::value> current;
  const std::string wanted = r.method == "POST" ? meta_text(body, "name") : name;
  {
    std::lock_guard<std::mutex> l(mu_);
    Collection& c = collections_.at(collection);
    for (size_t i = 0; i < c.items.size(); ++i)
      if (c.namespaces[i] == ns && meta_text(json::parse(c.items[i]), "name") == wanted) current = json::parse(c.items[i]);
  }
  json::value stored;
  if (r.method == "POST") {
    if (wanted.empty() || status) {
      out.status = 422;
      out.body = status_json(422, "Invalid", "metadata.name: Required value");
      return true;
    }
    if (current) {
      out.status = 409;
      out.body = status_json(409, "AlreadyExists", "\"" + wanted + "\" already exists");
      return true;
    }
    stored = body;
    stored.as_object()["metadata"].as_object()["namespace"] = ns;
    if (ns.empty()) stored.as_object()["metadata"].as_object().erase("namespace");
    out.status = 201;
  } else {
    const bool strategic = r.content_type == "application/strategic-merge-patch+json";
    if (!strategic && r.content_type != "application/merge-patch+json") {
      out.status = 415;
      out.body = status_json(415, "UnsupportedMediaType", "the body of the request was in an unknown format");
      return true;
    }
    if (!current) {
      out.status = 404;
      out.body = status_json(404, "NotFound", "\"" + name + "\" not found");
      return true;
    }
    stored = *current;
    merge_patch(stored, body, strategic);
  }
  put_object(collection, json::serialize(stored));
  ++writes_;
  out.body = json::serialize(stored);
  return true;
}

// ---------------------------------------------------------------- watch

namespace {
std::string event_line(const std::string& type, const std::string& object) {
  return "{\"type\":\"" + type + "\",\"object\":" + object + "}\n";
}
}  // namespace

// With mu_ held: bumps the resourceVersion, stamps it on the object and
// keeps the event for watches.
void Server::record(const std::string& path, const std::string& type, const std::string& object_json, Collection& c) {
  (void)path;
  json::value v = json::parse(object_json);
  json::object& o = v.as_object();
  ++rv_;
  if (type != "DELETED") o["metadata"].as_object()["resourceVersion"] = std::to_string(rv_);
  o["apiVersion"] = c.api_version;
  o["kind"] = singular_kind(c.list_kind);
  c.events.push_back(Event{rv_, type, json::serialize(v), meta_text(v, "namespace")});
  changed_.notify_all();
}

void Server::put_object(const std::string& path, const std::string& object_json) {
  json::value v = json::parse(object_json);
  const std::string ns = meta_text(v, "namespace"), name = meta_text(v, "name");
  std::lock_guard<std::mutex> l(mu_);
  Collection& c = collections_.at(path);
  record(path, "ADDED", object_json, c);  // stamps the resourceVersion
  Event& e = c.events.back();
  const std::string stored = strip_identity(json::parse(e.object));
  for (size_t i = 0; i < c.items.size(); ++i)
    if (c.namespaces[i] == ns && meta_text(json::parse(c.items[i]), "name") == name) {
      c.items[i] = stored;
      e.type = "MODIFIED";
      return;
    }
  c.items.push_back(stored);
  c.namespaces.push_back(ns);
}

void Server::delete_object(const std::string& path, const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  Collection& c = collections_.at(path);
  for (size_t i = 0; i < c.items.size(); ++i)
    if (c.namespaces[i] == ns && meta_text(json::parse(c.items[i]), "name") == name) {
      record(path, "DELETED", c.items[i], c);
      c.items.erase(c.items.begin() + long(i));
      c.namespaces.erase(c.namespaces.begin() + long(i));
      return;
    }
  throw std::runtime_error("delete_object: no " + ns + "/" + name + " in " + path);
}

uint64_t Server::resource_version() const {
  std::lock_guard<std::mutex> l(mu_);
  return rv_;
}

void Server::expire_history(bool as_status) {
  std::lock_guard<std::mutex> l(mu_);
  oldest_rv_ = ++rv_;  // a compaction: every version a watch could hold is gone
  gone_as_status_ = as_status;
}

void Server::drop_watches() {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++drops_;
  }
  changed_.notify_all();
}

namespace {
bool is_watch(const std::string& line) {
  return line.find("?watch=1") != std::string::npos || line.find("&watch=1") != std::string::npos ||
         line.find("?watch=true") != std::string::npos || line.find("&watch=true") != std::string::npos;
}
bool of_path(const std::string& line, const std::string& path) {
  const std::string prefix = "GET " + path;
  return line.compare(0, prefix.size(), prefix) == 0 && line.size() > prefix.size() &&
         (line[prefix.size()] == '?' || line[prefix.size()] == ' ');
}
}  // namespace

size_t Server::lists(const std::string& path) const {
  size_t n = 0;
  for (const auto& line : log())
    if (of_path(line, path) && !is_watch(line)) ++n;
  return n;
}

size_t Server::watches(const std::string& path) const {
  size_t n = 0;
  for (const auto& line : log())
    if (of_path(line, path) && is_watch(line)) ++n;
  return n;
}

std::vector<std::string> Server::watch_versions(const std::string& path) const {
  std::vector<std::string> out;
  for (const auto& line : log()) {
    if (!of_path(line, path) || !is_watch(line)) continue;
    size_t at = line.find("resourceVersion=");
    size_t end = at == std::string::npos ? at : line.find_first_of("& ", at);
    out.push_back(at == std::string::npos ? "" : line.substr(at + 16, end - at - 16));
  }
  return out;
}

// GET <collection>?watch=1: the events after `resourceVersion` (all objects
// as ADDED when it is empty or "0"), then each new one as it happens, until
// timeoutSeconds, drop_watches() or the server's end. 410 Gone for a
// version older than expire_history() left.
bool Server::route_watch(const Request& r, const std::string& path, const std::string& ns, Response& out) {
  uint64_t from = 0;
  if (auto it = r.params.find("resourceVersion"); it != r.params.end() && !it->second.empty())
    from = std::stoull(it->second);
  const int timeout_s = r.params.count("timeoutSeconds") ? std::stoi(r.params.at("timeoutSeconds")) : 1800;
  const bool bookmarks = r.params.count("allowWatchBookmarks") && r.params.at("allowWatchBookmarks") == "true";
  std::lock_guard<std::mutex> l(mu_);
  if (!collections_.count(path)) return false;
  const std::string gone = status_json(410, "Expired", "too old resource version: " + std::to_string(from) + " (" +
                                                           std::to_string(oldest_rv_) + ")");
  if (from != 0 && from < oldest_rv_ && gone_as_status_) {
    out.status = 410;
    out.body = gone;
    return true;
  }
  const bool expired = from != 0 && from < oldest_rv_;
  out.stream = [this, r, path, ns, from, timeout_s, bookmarks, expired, gone](const auto& write) {
    if (expired) return write(event_line("ERROR", gone));
    ++open_watches_;
    struct Closing {
      std::atomic<size_t>& n;
      ~Closing() { --n; }
    } closing{open_watches_};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    std::unique_lock<std::mutex> l(mu_);
    const uint64_t drops = drops_;
    uint64_t cursor = from;
    std::vector<std::string> pending;
    if (from == 0) {
      const Collection& c = collections_.at(path);
      for (size_t i = 0; i < c.items.size(); ++i)
        if (ns.empty() || c.namespaces[i] == ns) {
          json::value v = json::parse(c.items[i]);
          v.as_object()["apiVersion"] = c.api_version;
          v.as_object()["kind"] = singular_kind(c.list_kind);
          pending.push_back(event_line("ADDED", json::serialize(v)));
        }
      cursor = rv_;
    }
    for (;;) {
      const Collection& c = collections_.at(path);
      std::string unused;
      for (const Event& e : c.events)
        if (e.rv > cursor && (ns.empty() || e.ns == ns) && selected(json::parse(e.object), r, path, unused))
          pending.push_back(event_line(e.type, e.object));
      cursor = std::max(cursor, rv_);
      l.unlock();
      for (const auto& p : pending)
        if (!write(p)) return false;
      pending.clear();
      l.lock();
      if (drops_ != drops) return false;  // cut mid-body
      if (stopping_ || std::chrono::steady_clock::now() >= deadline) return true;
      const int ms = bookmark_ms_;
      const bool woke = changed_.wait_for(l, std::chrono::milliseconds(ms > 0 ? ms : 200),
                                          [&] { return stopping_ || drops_ != drops || rv_ > cursor; });
      if (!woke && bookmarks && ms > 0)
        pending.push_back(event_line("BOOKMARK", "{\"kind\":\"" + singular_kind(c.list_kind) + "\",\"apiVersion\":\"" +
                                                     c.api_version + "\",\"metadata\":{\"resourceVersion\":\"" +
                                                     std::to_string(rv_) + "\"}}"));
    }
  };
  return true;
}

}  // namespace kapitest
