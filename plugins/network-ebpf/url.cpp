#include "url.h"

#include <sys/socket.h>

#include <cctype>

#include "common/probe.h"

namespace network_ebpf {

std::optional<Url> split_url(const std::string& url, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<Url> {
    if (why) *why = w + ", got '" + url + "'";
    return std::nullopt;
  };
  Url u;
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return fail("the URL must start with http:// or https://");
  u.scheme = url.substr(0, sep);
  for (char& ch : u.scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (u.scheme != "http" && u.scheme != "https") return fail("only http:// and https:// URLs are probed");
  for (unsigned char ch : url)
    if (ch <= ' ' || ch >= 0x7f) return fail("the URL has a space or a control or non-ASCII character");
  const size_t start = sep + 3;
  const size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  u.target = end == std::string::npos ? "/" : url.substr(end);
  if (u.target.front() == '?') u.target.insert(0, "/");
  if (size_t hash = u.target.find('#'); hash != std::string::npos) u.target.erase(hash);
  if (u.target.empty()) u.target = "/";
  if (authority.find('@') != std::string::npos) return fail("credentials in the URL are not sent by a probe");
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return fail("an IPv6 address without its closing ]");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] != ':') return fail("text after the IPv6 address");
    if (close + 1 < authority.size()) port = authority.substr(close + 2);
    if (!plugin_common::is_numeric_address(u.host)) return fail("not an IPv6 address inside []");
  } else {
    const size_t colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return fail("the URL has no host");
  if (!plugin_common::is_numeric_address(u.host) && u.host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != std::string::npos)
    return fail("a host that is neither a name nor an address");
  if (port.empty()) u.port = u.scheme == "https" ? 443 : 80;
  else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return fail("a bad port");
    const long n = std::stol(port);
    if (n < 1 || n > 65535) return fail("a port out of 1 to 65535");
    u.port = static_cast<uint16_t>(n);
  }
  return u;
}

}  // namespace network_ebpf
