// Functions that decode or match text: JSON/YAML/base64 documents, X.509
// certificates, CIDR blocks and RE2 regular expressions.
#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <boost/json/parse.hpp>

#include <array>
#include <charconv>
#include <cstring>
#include <ctime>

#include "core/kcql/functions.h"

namespace kinspect::kcql {

namespace json = boost::json;

// "10.0.0.0/8", "fd00::/64", or a bare address (a /32 or /128).
bool parse_network(std::string_view text, Network& n) {
  std::string s(text);
  size_t slash = s.find('/');
  std::string addr = s.substr(0, slash);
  n.v6 = addr.find(':') != std::string::npos;
  int max = n.v6 ? 128 : 32;
  if (inet_pton(n.v6 ? AF_INET6 : AF_INET, addr.c_str(), n.bytes.data()) != 1) return false;
  n.prefix = max;
  if (slash != std::string::npos) {
    std::string_view p = std::string_view(s).substr(slash + 1);
    auto r = std::from_chars(p.data(), p.data() + p.size(), n.prefix);
    if (r.ec != std::errc() || r.ptr != p.data() + p.size() || n.prefix < 0 || n.prefix > max) return false;
  }
  return true;
}

bool same_prefix(const Network& a, const Network& b, int bits) {
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((a.bytes[byte] >> bit) & 1) != ((b.bytes[byte] >> bit) & 1)) return false;
  }
  return true;
}

bool network_contains(const Network& net, const Network& inner) {
  return net.v6 == inner.v6 && inner.prefix >= net.prefix && same_prefix(net, inner, net.prefix);
}

Network masked(const Network& n, int bits) {
  Network m = n;
  m.prefix = bits;
  for (int i = bits; i < 128; ++i) m.bytes[size_t(i / 8)] &= uint8_t(~(0x80u >> (i % 8)));
  return m;
}

namespace {

Value fn_json_decode(FunctionContext& ctx, const Value* a, size_t) {
  std::string s;
  if (!text_of(a[0], s)) return ctx.fail("json_decode() expects text");
  boost::system::error_code ec;
  json::value v = json::parse(s, ec, ctx.arena.storage());
  if (ec) return ctx.fail("invalid JSON: " + ec.message());
  return Value::json(ctx.arena.keep(std::move(v)));
}

json::value yaml_to_json(const YAML::Node& n, const json::storage_ptr& sp, int depth) {
  if (depth > 64) throw YAML::Exception(YAML::Mark::null_mark(), "document nested too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      json::array a(sp);
      for (const auto& e : n) a.push_back(yaml_to_json(e, sp, depth + 1));
      return json::value(std::move(a), sp);
    }
    case YAML::NodeType::Map: {
      json::object o(sp);
      for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second, sp, depth + 1);
      return json::value(std::move(o), sp);
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      // Only plain scalars are typed; a quoted "true" stays text (tag "!").
      if (n.Tag() == "?") {
        if (s == "true" || s == "True" || s == "TRUE") return json::value(true, sp);
        if (s == "false" || s == "False" || s == "FALSE") return json::value(false, sp);
        if (s == "null" || s == "Null" || s == "NULL" || s == "~") return json::value(nullptr, sp);
        int64_t i;
        auto r = std::from_chars(s.data(), s.data() + s.size(), i);
        if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return json::value(i, sp);
        double d;
        auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
        if (rd.ec == std::errc() && rd.ptr == s.data() + s.size() && !s.empty()) return json::value(d, sp);
      }
      return json::value(json::string_view(s), sp);
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return json::value(nullptr, sp);
}

Value fn_yaml_decode(FunctionContext& ctx, const Value* a, size_t) {
  std::string s;
  if (!text_of(a[0], s)) return ctx.fail("yaml_decode() expects text");
  try {
    YAML::Node root = YAML::Load(s);
    return Value::json(ctx.arena.keep(yaml_to_json(root, ctx.arena.storage(), 0)));
  } catch (const std::exception& e) {
    return ctx.fail(std::string("invalid YAML: ") + e.what());
  }
}

// Standard and URL-safe alphabets; white space (as in wrapped PEM bodies) is
// skipped and padding is optional.
bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '=') { ++padding; continue; }
    else if (std::isspace(static_cast<unsigned char>(c))) continue;
    else return false;
    if (padding) return false;  // data after padding
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  return padding <= 2;
}

Value fn_base64_decode(FunctionContext& ctx, const Value* a, size_t) {
  std::string s, out;
  if (!text_of(a[0], s)) return ctx.fail("base64_decode() expects text");
  if (!base64_decode(s, out)) return ctx.fail("invalid base64");
  return ctx.arena.string(out);
}

// Secrets hold tls.crt base64-encoded; accept that as well as PEM itself.
Value certificate_time(FunctionContext& ctx, const Value& arg, bool not_after) {
  std::string s;
  if (!text_of(arg, s)) return ctx.fail("x509 functions expect a PEM certificate as text");
  if (s.find("-----BEGIN") == std::string::npos) {
    std::string decoded;
    if (!base64_decode(s, decoded) || decoded.find("-----BEGIN") == std::string::npos)
      return ctx.fail("not a PEM certificate");
    s = std::move(decoded);
  }
  BIO* bio = BIO_new_mem_buf(s.data(), int(s.size()));
  if (!bio) return ctx.fail("out of memory");
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) return ctx.fail("cannot read the PEM certificate");
  const ASN1_TIME* t = not_after ? X509_get0_notAfter(cert) : X509_get0_notBefore(cert);
  std::tm tm{};
  bool ok = t && ASN1_TIME_to_tm(t, &tm) == 1;
  X509_free(cert);
  if (!ok) return ctx.fail("the certificate has an invalid validity time");
  return Value::integer(int64_t(timegm(&tm)));
}

Value fn_x509_not_after(FunctionContext& ctx, const Value* a, size_t) { return certificate_time(ctx, a[0], true); }
Value fn_x509_not_before(FunctionContext& ctx, const Value* a, size_t) { return certificate_time(ctx, a[0], false); }

bool network_args(FunctionContext& ctx, const Value* a, Network& x, Network& y, std::string_view fn) {
  std::string s, t;
  if (!text_of(a[0], s) || !text_of(a[1], t)) {
    ctx.fail(std::string(fn) + "() expects CIDR blocks or addresses as text");
    return false;
  }
  if (!parse_network(s, x)) return ctx.fail("invalid CIDR '" + s + "'"), false;
  if (!parse_network(t, y)) return ctx.fail("invalid CIDR or address '" + t + "'"), false;
  return true;
}

Value fn_cidr_contains(FunctionContext& ctx, const Value* a, size_t) {
  Network net, inner;
  if (!network_args(ctx, a, net, inner, "cidr_contains")) return {};
  return Value::boolean(network_contains(net, inner));
}

Value fn_cidr_overlaps(FunctionContext& ctx, const Value* a, size_t) {
  Network x, y;
  if (!network_args(ctx, a, x, y, "cidr_overlaps")) return {};
  if (x.v6 != y.v6) return Value::boolean(false);
  return Value::boolean(same_prefix(x, y, std::min(x.prefix, y.prefix)));
}

std::string compile_regex(const Value& pattern, std::shared_ptr<const void>& out) {
  std::string p;
  if (!text_of(pattern, p)) return "the regular expression must be text";
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(p, options);
  if (!re->ok()) return "invalid regular expression '" + p + "': " + re->error();
  out = re;
  return {};
}

// The pattern compiled at bind time when it is a constant; otherwise compiled
// once per distinct pattern per execution.
const RE2* regex_for(FunctionContext& ctx, const Value& pattern) {
  if (ctx.prepared) return static_cast<const RE2*>(ctx.prepared);
  if (!ctx.cache) {
    ctx.fail("internal error: no regular expression cache");
    return nullptr;
  }
  std::string key = "re:" + to_text(pattern);
  if (auto it = ctx.cache->find(key); it != ctx.cache->end()) return static_cast<const RE2*>(it->second.get());
  std::shared_ptr<const void> compiled;
  std::string err = compile_regex(pattern, compiled);
  if (!err.empty()) {
    ctx.fail(err);
    return nullptr;
  }
  // Patterns from data could be all different: bound the memory they take.
  if (ctx.cache->size() >= 1024) ctx.cache->clear();
  auto& slot = (*ctx.cache)[key];
  slot = std::move(compiled);
  return static_cast<const RE2*>(slot.get());
}

Value fn_regex_match(FunctionContext& ctx, const Value* a, size_t) {
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("regex_match() expects text");
  const RE2* re = regex_for(ctx, a[1]);
  if (!re) return {};
  return Value::boolean(RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re));
}

Value fn_regex_extract(FunctionContext& ctx, const Value* a, size_t) {
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("regex_extract() expects text");
  const RE2* re = regex_for(ctx, a[1]);
  if (!re) return {};
  // The first capture group when there is one, else the whole match.
  int groups = re->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> m(size_t(groups) + 1);
  if (!re->Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::UNANCHORED, m.data(), int(m.size())))
    return {};
  const auto& piece = groups > 0 ? m[1] : m[0];
  if (piece.data() == nullptr) return {};
  return ctx.arena.string(std::string_view(piece.data(), piece.size()));
}

}  // namespace

void register_codec_functions(std::vector<FunctionDef>& out) {
  auto add = [&](FunctionDef d) { out.push_back(d); };
  add({"json_decode", 1, 1, fn_json_decode, "json_decode(text) -> value", "parses JSON text"});
  add({"yaml_decode", 1, 1, fn_yaml_decode, "yaml_decode(text) -> value", "parses a YAML document"});
  add({"base64_decode", 1, 1, fn_base64_decode, "base64_decode(text) -> text", "decodes base64 (standard or URL-safe)"});
  add({"x509_not_after", 1, 1, fn_x509_not_after, "x509_not_after(pem) -> number",
       "expiry (epoch seconds) of a PEM certificate, also base64-encoded PEM as in Secrets"});
  add({"x509_not_before", 1, 1, fn_x509_not_before, "x509_not_before(pem) -> number", "start of validity (epoch seconds)"});
  add({"cidr_contains", 2, 2, fn_cidr_contains, "cidr_contains(cidr, address|cidr) -> boolean",
       "whether the block contains the address or block (IPv4 and IPv6)"});
  add({"cidr_overlaps", 2, 2, fn_cidr_overlaps, "cidr_overlaps(cidr, cidr) -> boolean", "whether two blocks share addresses"});
  FunctionDef match{"regex_match", 2, 2, fn_regex_match, "regex_match(text, regex) -> boolean",
                    "RE2 search (unanchored; use ^ and $ to anchor)"};
  match.prepare_arg = 1;
  match.prepare = compile_regex;
  add(match);
  FunctionDef extract{"regex_extract", 2, 2, fn_regex_extract, "regex_extract(text, regex) -> text",
                      "the first capture group (or the whole match) of an RE2 search"};
  extract.prepare_arg = 1;
  extract.prepare = compile_regex;
  add(extract);
}

}  // namespace kinspect::kcql
