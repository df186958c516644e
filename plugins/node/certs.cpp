#include "certs.h"

#include "common/time.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace ks = kinspect::sdk;

namespace node {

namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";

std::string name_of(X509_NAME* n) {
  BIO* b = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<size_t>(len));
  BIO_free(b);
  return s;
}

int64_t epoch_of(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<CertInfo> info_of(std::string_view pem, std::string* error) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  if (!x) {
    if (error) *error = "a CERTIFICATE block OpenSSL cannot parse";
    return std::nullopt;
  }
  CertInfo c;
  c.subject = name_of(X509_get_subject_name(x));
  c.issuer = name_of(X509_get_issuer_name(x));
  c.not_before = epoch_of(X509_get0_notBefore(x));
  c.not_after = epoch_of(X509_get0_notAfter(x));
  c.is_ca = X509_check_ca(x) > 0;
  if (auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_DNS)
        c.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                                 static_cast<size_t>(ASN1_STRING_length(g->d.dNSName)));
    }
    GENERAL_NAMES_free(names);
  }
  X509_free(x);
  return c;
}

}  // namespace

std::vector<CertInfo> parse_pem_certificates(std::string_view text, std::string* error) {
  std::vector<CertInfo> out;
  for (size_t pos = 0; (pos = text.find(kBegin, pos)) != std::string_view::npos;) {
    size_t end = text.find(kEnd, pos);
    if (end == std::string_view::npos) {
      if (error) *error = "a CERTIFICATE block without its END line";
      break;
    }
    end += kEnd.size();
    if (auto c = info_of(text.substr(pos, end - pos), error)) {
      c->index = out.size();
      out.push_back(std::move(*c));
    }
    pos = end;
  }
  return out;
}

std::string certificate_role(const std::string& path, const CertInfo& c) {
  const std::string file = path.substr(path.rfind('/') + 1);
  if (path.find("/kubelet/pki/") != std::string::npos) {
    if (file.rfind("kubelet-client", 0) == 0) return "kubelet-client";
    if (file.rfind("kubelet-server", 0) == 0 || file == "kubelet.crt") return "kubelet-serving";
  }
  if (c.is_ca) return "ca";
  if (path.find("/etcd/") != std::string::npos) return "etcd";
  if (file.rfind("front-proxy", 0) == 0) return "front-proxy";
  if (file.rfind("apiserver", 0) == 0) return "apiserver";
  return "other";
}

ks::TableSpec certificates_table() {
  using T = ks::Type;
  return {"node.certificates",
          "Certificates on the node's disk: <root>/etc/kubernetes/pki/*.crt (and etcd/), <root>/var/lib/kubelet/pki/*.crt "
          "and *.pem, one row per certificate (a chain has several). Read with OpenSSL; private keys are never parsed "
          "(*.key is not opened; only CERTIFICATE blocks are cut out of a .pem that holds a key too).",
          {{"path", T::Text, "The file on the host"},
           {"index", T::Integer, "Position in the file (0 for the leaf of a chain)"},
           {"role", T::Text, "kubelet-client, kubelet-serving, ca, apiserver, etcd, front-proxy or other (from the path and the CA flag)"},
           {"subject", T::Text, "Subject, RFC 2253"},
           {"issuer", T::Text, "Issuer, RFC 2253"},
           {"not_before", T::Timestamp, "Valid from"},
           {"not_after", T::Timestamp, "Valid until"},
           {"is_ca", T::Boolean, "Whether it may sign certificates (basicConstraints CA)"},
           {"dns_names", T::Json, "Subject alternative DNS names, an array"},
           {"error", T::Text, "Why a file's certificate could not be read (a row with NULL subject)"}},
          {},
          {"SELECT path, role, not_after FROM node.certificates ORDER BY not_after"}};
}

namespace {

std::vector<std::string> files_in(const plugin_common::HostFs& fs, const std::string& dir) {
  std::vector<std::string> out;
  std::string resolved;
  try {
    resolved = fs.resolve(dir);
  } catch (const std::exception&) {
    return out;
  }
  DIR* d = ::opendir(fs.at(resolved).c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    auto ends = [&](const char* suf) { return n.size() > std::strlen(suf) && n.compare(n.size() - std::strlen(suf), std::string::npos, suf) == 0; };
    if (ends(".crt") || ends(".pem")) out.push_back(resolved + "/" + n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string rfc3339(int64_t t) { return plugin_common::rfc3339(t); }

}  // namespace

void certificate_rows(const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  for (const char* dir : {"/etc/kubernetes/pki", "/etc/kubernetes/pki/etcd", "/var/lib/kubelet/pki"}) {
    for (const auto& path : files_in(fs, dir)) {
      std::string resolved;
      try {
        resolved = fs.resolve(path);  // kubelet-client-current.pem is a symlink to the dated file
      } catch (const std::exception&) {
        continue;
      }
      auto text = fs.read(resolved, nullptr, 1 << 20);
      if (!text) continue;
      std::string error;
      auto certs = parse_pem_certificates(*text, &error);
      OPENSSL_cleanse(text->data(), text->size());  // the file may hold a key as well
      for (const auto& c : certs) {
        auto r = out.row();
        r.field("path", path).field("index", static_cast<int64_t>(c.index)).field("role", certificate_role(path, c));
        r.field("subject", c.subject).field("issuer", c.issuer);
        r.field("not_before", rfc3339(c.not_before)).field("not_after", rfc3339(c.not_after)).field("is_ca", c.is_ca);
        {
          auto a = r.array("dns_names");
          for (const auto& n : c.dns_names) a.value(n);
        }
        r.null("error");
      }
      if (certs.empty() && !error.empty()) {
        auto r = out.row();
        r.field("path", path).null("index").null("role").null("subject").null("issuer").null("not_before");
        r.null("not_after").null("is_ca").raw("dns_names", "[]").field("error", error);
      }
    }
  }
}

}  // namespace node
