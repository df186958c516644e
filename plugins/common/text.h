// Text helpers shared by the in-tree plugins (not part of the SDK): the
// line-oriented formats of /proc, /sys, /etc and tools' dumps. Parsers built
// on them never throw on bad input: a line they cannot make sense of is
// skipped and counted in Warnings, so one odd line (a kernel that adds a
// field, a truncated read) costs that line only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plugin_common {

// Malformed input skipped while parsing: how many lines, and the first few
// "file:line: why" messages (enough to diagnose, bounded for a huge file).
struct Warnings {
  size_t count = 0;
  std::vector<std::string> first;
  void add(std::string_view file, size_t line, std::string_view why);
  // One line for the log: "3 malformed lines skipped: /proc/swaps:2: ...; ...".
  std::string summary() const;
};

// Calls fn(line, number) for each line of `text`; number is 1-based. A final
// line without a newline is still a line.
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  size_t n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    fn(text.substr(0, nl), ++n);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// A decimal integer, optionally signed, the whole of `s`.
std::optional<int64_t> parse_int(std::string_view s);
// A decimal number such as "0.12", the whole of `s`.
std::optional<double> parse_real(std::string_view s);
// Splits on runs of spaces and tabs.
std::vector<std::string_view> fields(std::string_view line);
std::string_view trim(std::string_view s);

// KEY=value lines as in os-release(5) and env files: '#' comments, values
// optionally quoted ('...' literally, "..." with backslash escapes). Later
// keys replace earlier ones.
std::map<std::string, std::string> parse_key_values(std::string_view text, std::string_view file, Warnings& w);

// Whether `s` is valid UTF-8 (the host's JSON parser refuses anything else).
bool valid_utf8(std::string_view s);

}  // namespace plugin_common
