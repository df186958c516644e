#include "core/util/error.h"

#include <algorithm>

namespace kinspect {

std::string Diagnostic::format() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (pos.line) {
    out += ':' + std::to_string(pos.line);
    if (pos.column) out += ':' + std::to_string(pos.column);
  }
  if (!field.empty()) out += ": field '" + field + "'";
  out += ": error: " + message;
  if (!source_line.empty()) {
    out += "\n  " + source_line + "\n  ";
    // Keep tabs so the caret lines up under the same column in a terminal.
    for (unsigned i = 1; i < pos.column && i - 1 < source_line.size(); ++i)
      out += source_line[i - 1] == '\t' ? '\t' : ' ';
    out += '^';
  }
  if (!hint.empty()) out += "\n  hint: " + hint;
  return out;
}

std::string without_source_locations(std::string text) {
  for (size_t at; (at = text.find(" [boost.")) != std::string::npos;) {
    size_t end = at + 1, depth = 0;  // function names may hold "[with T = ...]"
    for (; end < text.size(); ++end) {
      if (text[end] == '[') ++depth;
      else if (text[end] == ']' && --depth == 0) break;
    }
    text.erase(at, end < text.size() ? end - at + 1 : std::string::npos);
  }
  return text;
}

std::string without_table_prefix(const std::string& e) {
  if (e.rfind("plugin '", 0) != 0) return e;
  size_t table = e.find(", table ");
  size_t colon = table == std::string::npos ? std::string::npos : e.find(": ", table);
  return colon == std::string::npos ? e : e.substr(colon + 2);
}

std::string Error::format() const {
  std::string out = message_;
  for (const auto& d : diagnostics_) {
    std::string f = d.format();
    if (f == message_) continue;
    if (!out.empty()) out += '\n';
    out += f;
  }
  return out;
}

Error& Error::context(std::string_view what) {
  message_ = std::string(what) + ": " + message_;
  return *this;
}

std::string_view line_of(std::string_view text, unsigned line) {
  if (line == 0) return {};
  size_t start = 0;
  for (unsigned l = 1; l < line; ++l) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  std::string_view s = text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

static size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // A typo changes a few characters; beyond a third of the word it is a
  // different word and a suggestion would mislead.
  size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_d <= limit ? best : std::string();
}

}  // namespace kinspect
