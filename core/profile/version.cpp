#include "core/profile/version.h"

#include <algorithm>
#include <charconv>

namespace kinspect {

std::optional<KubeVersion> KubeVersion::parse(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  KubeVersion v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  size_t i = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (; i < 3; ++i) {
    if (p == end) break;
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc() || *parts[i] < 0) return std::nullopt;
    p = next;
    if (p == end || *p != '.') {
      ++i;
      break;
    }
    ++p;
  }
  if (i < 2) return std::nullopt;  // a major alone is not a Kubernetes version
  // What follows (-rc.1, -eks-abc, +k3s1) does not change the ordering we need.
  if (p != end && *p != '-' && *p != '+') return std::nullopt;
  return v;
}

std::string KubeVersion::str() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

Expected<VersionRange> VersionRange::parse(std::string_view text) {
  VersionRange r;
  r.text_ = std::string(text);
  std::string_view rest = text;
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  if (trim(rest).empty() || trim(rest) == "*") return r;
  while (true) {
    size_t bar = rest.find("||");
    std::string_view alt = trim(rest.substr(0, bar));
    std::vector<Comparator> comps;
    while (!alt.empty()) {
      size_t sp = alt.find(' ');
      std::string_view tok = alt.substr(0, sp);
      alt = sp == std::string_view::npos ? std::string_view() : trim(alt.substr(sp));
      Op op = Op::SameMinor;
      if (tok.starts_with(">=")) op = Op::Ge, tok.remove_prefix(2);
      else if (tok.starts_with("<=")) op = Op::Le, tok.remove_prefix(2);
      else if (tok.starts_with(">")) op = Op::Gt, tok.remove_prefix(1);
      else if (tok.starts_with("<")) op = Op::Lt, tok.remove_prefix(1);
      else if (tok.starts_with("=")) op = Op::Eq, tok.remove_prefix(1);
      bool wildcard = tok.ends_with(".x") || tok.ends_with(".*");
      if (wildcard) tok.remove_suffix(2);
      auto v = KubeVersion::parse(tok);
      if (!v)
        return Error("bad version range '" + std::string(text) + "': '" + std::string(tok) +
                     "' is not a version (want e.g. \">=1.26 <1.31\", \"1.28\" or \"1.28.x || 1.29.x\")");
      // A bare "1.28" (or 1.28.x) means every patch of that minor.
      if (op == Op::SameMinor && !wildcard && std::count(tok.begin(), tok.end(), '.') >= 2) op = Op::Eq;
      comps.push_back({op, *v});
    }
    if (comps.empty()) return Error("bad version range '" + std::string(text) + "': empty alternative");
    r.alternatives_.push_back(std::move(comps));
    if (bar == std::string_view::npos) break;
    rest = rest.substr(bar + 2);
  }
  return r;
}

bool VersionRange::contains(const KubeVersion& v) const {
  if (alternatives_.empty()) return true;
  for (const auto& alt : alternatives_) {
    bool all = true;
    for (const auto& c : alt) {
      bool ok = false;
      switch (c.op) {
        case Op::Ge: ok = v >= c.v; break;
        case Op::Gt: ok = v > c.v; break;
        case Op::Le: ok = v <= c.v; break;
        case Op::Lt: ok = v < c.v; break;
        case Op::Eq: ok = v == c.v; break;
        case Op::SameMinor: ok = v.major == c.v.major && v.minor == c.v.minor; break;
      }
      if (!ok) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace kinspect
