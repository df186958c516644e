#include "probe_tables.h"

namespace network_ebpf {

namespace {

using T = ks::Type;

void text_or_null(ks::JsonWriter& r, const char* name, const std::string& v) {
  if (v.empty()) r.null(name);
  else r.field(name, v);
}

}  // namespace

ks::TableSpec dns_probe_spec() {
  return {"net.dns_probe",
          "One DNS question from this node to a server, or to each nameserver of resolv.conf at once, bounded by its timeout: the answer records, the response code and the latency. UDP, again over TCP when the answer is truncated.",
          {{"name", T::Text, "The name asked for"},
           {"type", T::Text, "The record type asked for (A, AAAA, SRV, CNAME...)"},
           {"server", T::Text, "The server asked, address:port"},
           {"transport", T::Text, "udp, or tcp when the UDP answer was truncated"},
           {"status", T::Text, "ok (the server answered NOERROR or NXDOMAIN), timeout (no answer within the timeout), refused (REFUSED, or the port refused: ICMP unreachable or a TCP reset), error (SERVFAIL, another rcode, a malformed answer, a socket error)"},
           {"rcode", T::Text, "The response code: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, NOTIMP, FORMERR...; NULL without an answer"},
           {"error", T::Text, "Why, for anything but ok; else NULL"},
           {"answers", T::Json, "The answer section, an array of {name, type, ttl, data} (data as in a zone file: \"10.96.0.1\", \"0 5 443 api.example.\")"},
           {"data", T::Json, "The data of each answer record, an array of text"},
           {"answer_count", T::Integer, "Number of answer records"},
           {"latency_ms", T::Real, "Milliseconds from sending the question to the outcome"},
           {"timeout_ms", T::Integer, "The bound"}},
          {{"name", T::Text, "The domain name to ask for"},
           {"server", T::Text, "A numeric address with an optional port ('10.96.0.10', '127.0.0.1:5353', '[::1]:53'); '' or NULL: every nameserver of resolv.conf (under the setting root)", false},
           {"type", T::Text, "Record type: A (default), AAAA, SRV, CNAME, or any type ldns knows (MX, TXT, NS, PTR, SOA...)", false},
           {"timeout", T::Text, "How long to wait: '2s' (default), '500ms' or seconds, at most 60s", false}},
          {"SELECT status, rcode, data, latency_ms FROM net.dns_probe('kubernetes.default.svc.cluster.local', '10.96.0.10')",
           "SELECT server, status, rcode, latency_ms FROM net.dns_probe('example.com', '', 'AAAA', '1s')"}};
}

ks::TableSpec http_probe_spec() {
  return {"net.http_probe",
          "One GET of an http:// or https:// health endpoint from this node, bounded by its timeout (name lookup, connect, TLS, request, headers and body together): the HTTP status, the first bytes of the body, the TLS verification result and the latency. Redirects are followed only within the same scheme, host and port.",
          {{"url", T::Text, "The URL asked for"},
           {"final_url", T::Text, "The URL that gave the answer, after redirects within the origin"},
           {"address", T::Text, "The address connected to; NULL when none"},
           {"status", T::Text, "ok (an HTTP response came, whatever its code), timeout, refused, tls-error (handshake failed, or the certificate did not verify and verify was true), unresolved, error"},
           {"error", T::Text, "Why, for anything but ok; else NULL"},
           {"http_status", T::Integer, "The HTTP status code; NULL when no response header came"},
           {"body", T::Text, "The first 256 bytes of the body (decoded when chunked)"},
           {"body_truncated", T::Boolean, "Whether the body was longer than what is kept"},
           {"location", T::Text, "A redirect that was not followed (to another origin, or past 5 redirects); else NULL"},
           {"redirects", T::Integer, "Redirects followed"},
           {"tls", T::Boolean, "Whether TLS was used"},
           {"tls_verified", T::Boolean, "Whether the server's certificate verified (chain to the CA bundle, and the host name or address); NULL for http"},
           {"tls_verify_error", T::Text, "OpenSSL's reason when it did not verify; else NULL"},
           {"latency_ms", T::Real, "Milliseconds from the start to the outcome"},
           {"timeout_ms", T::Integer, "The bound"}},
          {{"url", T::Text, "http:// or https:// URL; the host is a name or a numeric address"},
           {"timeout", T::Text, "The bound on the whole probe: '3s' (default), '500ms' or seconds, at most 60s", false},
           {"verify", T::Boolean, "TRUE (default): a certificate that does not verify is a tls-error and nothing is sent; FALSE: the request is sent anyway (for self-signed healthz such as the kubelet's 10250) and tls_verified says what the certificate is", false},
           {"ca_file", T::Text, "A PEM CA bundle to verify against (e.g. /etc/kubernetes/pki/ca.crt); default the system's store", false}},
          {"SELECT status, http_status, body, latency_ms FROM net.http_probe('https://10.0.0.10:6443/readyz', '2s', FALSE)",
           "SELECT http_status, tls_verified, tls_verify_error FROM net.http_probe('https://127.0.0.1:10250/healthz', '2s', FALSE)"}};
}

void write_dns_probes(const std::vector<DnsProbe>& probes, std::chrono::milliseconds timeout, ks::BatchWriter& out) {
  for (const DnsProbe& p : probes) {
    auto r = out.row();
    r.field("name", p.name).field("type", p.type).field("server", p.server).field("transport", p.transport);
    r.field("status", p.status);
    text_or_null(r, "rcode", p.rcode);
    text_or_null(r, "error", p.error);
    {
      auto a = r.array("answers");
      for (const DnsRecord& rec : p.answers) {
        auto o = a.object();
        o.field("name", rec.name).field("type", rec.type).field("ttl", rec.ttl).field("data", rec.data);
      }
    }
    {
      auto a = r.array("data");
      for (const DnsRecord& rec : p.answers) a.value(rec.data);
    }
    r.field("answer_count", p.answers.size());
    r.field("latency_ms", p.latency_ms).field("timeout_ms", static_cast<int64_t>(timeout.count()));
  }
}

void write_http_probe(const HttpProbe& p, std::chrono::milliseconds timeout, ks::BatchWriter& out) {
  auto r = out.row();
  r.field("url", p.url).field("final_url", p.final_url);
  text_or_null(r, "address", p.address);
  r.field("status", p.status);
  text_or_null(r, "error", p.error);
  if (p.http_status) r.field("http_status", p.http_status);
  else r.null("http_status");
  r.field("body", p.body).field("body_truncated", p.body_truncated);
  text_or_null(r, "location", p.location);
  r.field("redirects", p.redirects).field("tls", p.tls);
  if (p.tls_verified) r.field("tls_verified", *p.tls_verified);
  else r.null("tls_verified");
  text_or_null(r, "tls_verify_error", p.tls_verify_error);
  r.field("latency_ms", p.latency_ms).field("timeout_ms", static_cast<int64_t>(timeout.count()));
}

}  // namespace network_ebpf
