#include "common/text.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace plugin_common {

namespace {
constexpr size_t kMaxWarningsKept = 5;
}  // namespace

void Warnings::add(std::string_view file, size_t line, std::string_view why) {
  ++count;
  if (first.size() < kMaxWarningsKept)
    first.push_back(std::string(file) + ":" + std::to_string(line) + ": " + std::string(why));
}

std::string Warnings::summary() const {
  std::string s = std::to_string(count) + (count == 1 ? " malformed line skipped: " : " malformed lines skipped: ");
  for (size_t i = 0; i < first.size(); ++i) s += (i ? "; " : "") + first[i];
  if (count > first.size()) s += "; ...";
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_real(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // strtod needs a terminated string; these numbers are short.
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(tmp.c_str(), &end);
  if (errno != 0 || end != tmp.c_str() + tmp.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::map<std::string, std::string> parse_key_values(std::string_view text, std::string_view file, Warnings& w) {
  std::map<std::string, std::string> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    line = trim(line);
    if (line.empty() || line.front() == '#') return;
    size_t eq = line.find('=');
    if (eq == 0 || eq == std::string_view::npos) {
      w.add(file, n, "expected KEY=value");
      return;
    }
    std::string_view v = line.substr(eq + 1);
    std::string value;
    if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
      char q = v.front();
      if (v.size() < 2 || v.back() != q) {
        w.add(file, n, "unterminated quoted value");
        return;
      }
      v = v.substr(1, v.size() - 2);
      // Inside double quotes os-release allows \" \\ \$ \` escapes.
      for (size_t i = 0; i < v.size(); ++i) {
        if (q == '"' && v[i] == '\\' && i + 1 < v.size()) ++i;
        value += v[i];
      }
    } else {
      value = std::string(v);
    }
    out[std::string(line.substr(0, eq))] = std::move(value);
  });
  return out;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

}  // namespace plugin_common
