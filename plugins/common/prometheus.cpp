#include "common/prometheus.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

namespace plugin_common {

const std::string* PromSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels)
    if (k == key) return &v;
  return nullptr;
}

namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// One line being read; errors carry the column of the cursor.
class LineReader {
 public:
  LineReader(std::string_view line, size_t number, std::string_view source)
      : s_(line), number_(number), source_(source) {}

  [[noreturn]] void fail(const std::string& why) const { fail_at(pos_, why); }
  [[noreturn]] void fail_at(size_t col0, const std::string& why) const {
    throw PromError(std::string(source_) + ":" + std::to_string(number_) + ":" + std::to_string(col0 + 1) + ": " + why,
                    number_, col0 + 1);
  }
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  void skip_blanks() {
    while (!done() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  size_t pos() const { return pos_; }
  std::string_view rest() const { return s_.substr(std::min(pos_, s_.size())); }

  std::string name(const std::string& what, bool label = false) {
    size_t start = pos_;
    if (done() || !name_start(peek()) || (label && peek() == ':')) fail("expected " + what);
    while (!done() && name_char(peek()) && !(label && peek() == ':')) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // A token up to the next blank.
  std::string_view token() {
    size_t start = pos_;
    while (!done() && peek() != ' ' && peek() != '\t') ++pos_;
    return s_.substr(start, pos_ - start);
  }
  // "..." with \\, \" and \n.
  std::string quoted() {
    if (!eat('"')) fail("expected '\"' to start a label value");
    std::string out;
    while (true) {
      if (done()) fail("label value not closed with '\"'");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      char e = peek();
      if (e == '\\' || e == '"') out.push_back(e);
      else if (e == 'n') out.push_back('\n');
      else fail_at(pos_ - 1, "unknown escape '\\" + std::string(1, e) + "' in a label value (only \\\\, \\\" and \\n)");
      ++pos_;
    }
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  size_t number_;
  std::string_view source_;
};

std::string unescape_help(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == 'n')) {
      out.push_back(s[i + 1] == 'n' ? '\n' : '\\');
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::optional<double> parse_value(std::string_view v) {
  std::string lower;
  for (char c : v) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  if (lower == "nan") return std::nan("");
  if (lower == "+inf" || lower == "inf") return HUGE_VAL;
  if (lower == "-inf") return -HUGE_VAL;
  if (v.empty() || lower.find_first_of("xp") != std::string::npos || lower.find("in") != std::string::npos)
    return std::nullopt;  // strtod's hex floats and spelled-out words are not Go's ParseFloat
  std::string s(v);
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
  return d;
}

struct ParseState {
  std::vector<PromFamily> families;
  std::map<std::string, size_t> index;  // family name -> position
  std::map<std::string, bool> has_samples;
  PromFamily& family(const std::string& name) {
    auto it = index.find(name);
    if (it != index.end()) return families[it->second];
    index[name] = families.size();
    PromFamily f;
    f.name = name;
    families.push_back(std::move(f));
    return families.back();
  }
  // The family a sample belongs to: x_bucket of a histogram x is x's.
  PromFamily& family_of_sample(const std::string& name) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string_view n(name), suf(suffix);
      if (n.size() > suf.size() && n.substr(n.size() - suf.size()) == suf) {
        auto it = index.find(std::string(n.substr(0, n.size() - suf.size())));
        if (it != index.end()) {
          const std::string& t = families[it->second].type;
          if (t == "histogram" || t == "summary") return families[it->second];
        }
      }
    }
    return family(name);
  }
};

void comment_line(LineReader& r, ParseState& st) {
  r.eat('#');
  r.skip_blanks();
  if (r.peek() == '{') r.fail("an exemplar (OpenMetrics) where a comment was expected; exemplars are not part of the text format");
  std::string_view keyword = r.token();
  if (keyword != "HELP" && keyword != "TYPE") return;  // any other comment
  r.skip_blanks();
  size_t name_col = r.pos();
  std::string name = r.name("a metric name after # " + std::string(keyword));
  if (!r.done() && r.peek() != ' ' && r.peek() != '\t') r.fail("unexpected character in metric name");
  r.skip_blanks();
  PromFamily& f = st.family(name);
  if (keyword == "HELP") {
    if (!f.help.empty()) r.fail_at(name_col, "second HELP line for " + name);
    f.help = unescape_help(r.rest());
    return;
  }
  std::string_view type = r.token();
  if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped")
    r.fail_at(r.pos() - type.size(), "unknown metric type '" + std::string(type) +
                                        "' (counter, gauge, histogram, summary or untyped)");
  if (st.has_samples[name]) r.fail_at(name_col, "TYPE line for " + name + " after its samples");
  if (f.type != "untyped" || st.has_samples.count(name + "#typed"))
    r.fail_at(name_col, "second TYPE line for " + name);
  st.has_samples[name + "#typed"] = true;
  f.type = std::string(type);
  r.skip_blanks();
  if (!r.done()) r.fail("unexpected text after the metric type");
}

void labels(LineReader& r, PromSample& s) {
  r.eat('{');
  r.skip_blanks();
  while (!r.eat('}')) {
    size_t col = r.pos();
    std::string key = r.name("a label name or '}'", true);
    for (const auto& kv : s.labels)
      if (kv.first == key) r.fail_at(col, "label " + key + " given twice");
    r.skip_blanks();
    if (!r.eat('=')) r.fail("expected '=' after label name " + key);
    r.skip_blanks();
    s.labels.emplace_back(std::move(key), r.quoted());
    r.skip_blanks();
    if (r.eat(',')) {
      r.skip_blanks();
      continue;
    }
    if (r.peek() != '}') r.fail("expected ',' or '}' after a label value");
  }
}

void sample_line(LineReader& r, ParseState& st, size_t number) {
  PromSample s;
  s.line = number;
  s.name = r.name("a metric name, '#' or an empty line");
  r.skip_blanks();
  if (r.peek() == '{') labels(r, s);
  r.skip_blanks();
  size_t vcol = r.pos();
  std::string_view v = r.token();
  if (v.empty()) r.fail("expected a value after " + s.name);
  auto value = parse_value(v);
  if (!value) r.fail_at(vcol, "not a number: '" + std::string(v) + "'");
  s.value = *value;
  r.skip_blanks();
  if (!r.done()) {
    if (r.peek() == '#')
      r.fail("an exemplar (OpenMetrics '# {...}') after the value; the text format has none");
    size_t tcol = r.pos();
    std::string_view t = r.token();
    char* end = nullptr;
    std::string ts(t);
    errno = 0;
    long long ms = std::strtoll(ts.c_str(), &end, 10);
    if (ts.empty() || end != ts.c_str() + ts.size() || errno == ERANGE)
      r.fail_at(tcol, "not a timestamp in milliseconds: '" + ts + "'");
    s.timestamp_ms = ms;
    r.skip_blanks();
    if (!r.done()) r.fail("unexpected text after the timestamp");
  }
  PromFamily& f = st.family_of_sample(s.name);
  st.has_samples[f.name] = true;
  f.samples.push_back(std::move(s));
}

}  // namespace

std::vector<PromFamily> parse_prometheus_text(std::string_view text, std::string_view source) {
  ParseState st;
  size_t number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    LineReader r(line, number, source);
    r.skip_blanks();
    if (r.done()) continue;
    if (r.peek() == '#') comment_line(r, st);
    else sample_line(r, st, number);
  }
  return st.families;
}

}  // namespace plugin_common
