#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/report/detail.h"
#include "core/util/categories.h"

namespace kinspect::report::detail {

int order_rank(const CheckResult& c) {
  switch (c.status) {
    case Status::Fail: return 2 - rank(c.severity);
    case Status::Error: return kRankError;
    case Status::Skipped: return kRankSkipped;
    case Status::Pass: return kRankPass;
  }
  return kRankError;
}

void Counts::add(const CheckResult& c) {
  ++checks;
  findings += c.findings.size();
  if (counts_as_not_checked(c)) ++not_checked;
  switch (c.status) {
    case Status::Pass: ++passed; break;
    case Status::Fail:
      ++failed;
      (c.severity == Severity::Critical ? critical : c.severity == Severity::Warning ? warning : info)++;
      break;
    case Status::Error: ++errors; break;
    case Status::Skipped:
      ++skipped;
      (counts_as_not_checked(c) ? unchecked_skips : other_skips)++;
      break;
  }
}

namespace {
int category_index(std::string_view c) {
  for (size_t i = 0; i < std::size(kCheckCategories); ++i)
    if (c == kCheckCategories[i].id) return static_cast<int>(i);
  return -1;
}
}  // namespace

std::string category_title(std::string_view category) {
  int i = category_index(category);
  if (i >= 0) return std::string(kCheckCategories[i].title);
  return category.empty() ? std::string("Other") : std::string(category);
}

std::string_view group_state(const Counts& c) {
  if (c.failed) return "abnormal";
  if (c.passed == 0 && c.not_checked) return "not checked";  // never "normal" on nothing
  if (c.not_checked) return "incomplete";
  return c.passed ? "normal" : "not applicable";
}

std::vector<CategoryGroup> group_checks(const Report& r) {
  std::vector<CategoryGroup> cats;
  std::map<std::string, size_t> cat_at;
  for (const auto& c : r.checks) {
    auto [it, added] = cat_at.emplace(c.category, cats.size());
    if (added) {
      cats.push_back({c.category, {}, kRankPass, {}});
    }
    CategoryGroup& cat = cats[it->second];
    std::string comp_name = c.component.empty() ? "general" : c.component;
    auto comp = std::find_if(cat.components.begin(), cat.components.end(),
                             [&](const ComponentGroup& g) { return g.name == comp_name; });
    if (comp == cat.components.end()) {
      cat.components.push_back({comp_name, {}, kRankPass, {}});
      comp = cat.components.end() - 1;
    }
    comp->checks.push_back(&c);
    comp->worst = std::min(comp->worst, order_rank(c));
    comp->counts.add(c);
    cat.worst = std::min(cat.worst, order_rank(c));
    cat.counts.add(c);
  }
  for (auto& cat : cats) {
    for (auto& comp : cat.components)
      std::stable_sort(comp.checks.begin(), comp.checks.end(),
                       [](const CheckResult* a, const CheckResult* b) { return order_rank(*a) < order_rank(*b); });
    std::stable_sort(cat.components.begin(), cat.components.end(),
                     [](const ComponentGroup& a, const ComponentGroup& b) { return a.worst < b.worst; });
  }
  // Appearance order is kept for unknown categories (stable sort, index 1000).
  auto key = [](const CategoryGroup& g) {
    int i = category_index(g.name);
    return std::pair{g.worst, i < 0 ? 1000 : i};
  };
  std::stable_sort(cats.begin(), cats.end(),
                   [&](const CategoryGroup& a, const CategoryGroup& b) { return key(a) < key(b); });
  return cats;
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string format_duration(double ms) {
  char buf[64];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  } else if (ms < 60000) {
    std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  } else {
    long long s = static_cast<long long>(ms / 1000 + 0.5);
    std::snprintf(buf, sizeof buf, "%lld min %lld s", s / 60, s % 60);
  }
  return buf;
}

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 if there is none
// (bad lead or continuation bytes, overlong forms, surrogates, above U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  bool ok = len != 0 && i + len <= s.size();
  for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  if (ok && len > 1) {
    uint32_t cp = c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
  }
  return ok ? len : 0;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0, run = 0;  // s[run, i) is valid and not yet copied
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len = utf8_sequence(s, i);
    if (len) {
      i += len;
      continue;
    }
    out.append(s.substr(run, i - run));
    out += kReplacement;
    run = ++i;
  }
  out.append(s.substr(run));
  return out;
}

namespace {

// The first byte from s[i] on that a JSON string cannot hold as it is (a
// control byte, '"', '\\') or that starts a multi-byte sequence, or
// s.size(). A report of 150,000 findings writes about 100 MB of plain text;
// with SSE2 (every x86-64) 16 bytes are tested at once.
size_t plain_end(std::string_view s, size_t i) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  while (s.size() - i >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // Signed: bytes from 0x80 on are negative, so below 0x20 as well.
    __m128i special = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (int hits = _mm_movemask_epi8(special)) return i + size_t(__builtin_ctz(static_cast<unsigned>(hits)));
    i += 16;
  }
#endif
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
  }
  return i;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0, run = 0;  // s[run, i) needs no escape and is not yet copied
  auto flush = [&] { out.append(s.substr(run, i - run)); };
  while ((i = plain_end(s, i)) < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (size_t len = utf8_sequence(s, i)) {
        i += len;
        continue;
      }
      flush();
      out += kReplacement;
      run = ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    run = ++i;
  }
  flush();
  out += '"';
}

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  std::string out = std::to_string(n) + " ";
  if (n == 1) out += one;
  else if (!many.empty()) out += many;
  else (out += one) += "s";
  return out;
}

std::string esc(std::string_view text) {
  std::string valid = detail::valid_utf8(text);
  std::string_view s = valid;
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') out += "\xEF\xBF\xBD";
        else out += c;
    }
  }
  return out;
}

}  // namespace kinspect::report::detail
