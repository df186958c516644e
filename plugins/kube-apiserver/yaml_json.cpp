#include "yaml_json.h"

#include <kinspect/sdk.hpp>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <vector>

namespace kapi {
namespace {

bool is_int(const std::string& s) {
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size()) return false;
  if (s.size() > i + 1 && s[i] == '0') {
    // 0x / 0o are YAML 1.2 ints but rare in manifests; treat leading zeros as strings.
    return false;
  }
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return s.size() < 19;
}

bool is_float(const std::string& s) {
  static const std::regex re(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  return std::regex_match(s, re);
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF), or 0.
size_t utf8_length(const std::string& s, size_t i) {
  auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  unsigned c = b(0);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return b(k) >= lo && b(k) <= hi; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// YAML is UTF-8, but a file may hold any bytes; JSON text must be UTF-8
// (the host's parser refuses anything else), so each invalid byte becomes
// U+FFFD. Found by yaml_fuzz.
void append_string(std::string& out, const std::string& s) {
  bool valid = true;
  for (size_t i = 0; i < s.size() && valid;) {
    size_t n = utf8_length(s, i);
    valid = n > 0;
    i += n;
  }
  if (valid) {
    kinspect::sdk::append_json_string(out, s);
    return;
  }
  std::string clean;
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_length(s, i);
    if (n == 0) {
      clean += "\xEF\xBF\xBD";
      ++i;
    } else {
      clean.append(s, i, n);
      i += n;
    }
  }
  kinspect::sdk::append_json_string(out, clean);
}

void scalar(const YAML::Node& n, std::string& out) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") {
    append_string(out, s);
    return;
  }
  if (n.Tag() == "?" || n.Tag().empty()) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
      out += "null";
      return;
    }
    // YAML 1.1 booleans, as sigs.k8s.io/yaml (go-yaml v2) reads them for kubectl.
    for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})
      if (s == t) {
        out += "true";
        return;
      }
    for (const char* f : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})
      if (s == f) {
        out += "false";
        return;
      }
    if (is_int(s)) {
      out += (s[0] == '+') ? s.substr(1) : s;
      return;
    }
    if (is_float(s) && s.find_first_of("0123456789") != std::string::npos) {
      std::string v = s;
      if (v[0] == '+') v = v.substr(1);
      if (v[0] == '.') v = "0" + v;
      else if (v.size() > 1 && v[0] == '-' && v[1] == '.') v = "-0" + v.substr(1);
      if (v.back() == '.') v += "0";
      // JSON allows no leading zeros ("Port: 02696" reads as 2696). Found by yaml_fuzz.
      size_t digits = v[0] == '-' ? 1 : 0;
      while (v.size() > digits + 1 && v[digits] == '0' && std::isdigit(static_cast<unsigned char>(v[digits + 1])))
        v.erase(digits, 1);
      size_t dot = v.find(".e");
      if (dot == std::string::npos) dot = v.find(".E");
      if (dot != std::string::npos) v.insert(dot + 1, "0");
      out += v;
      return;
    }
  }
  append_string(out, s);
}

}  // namespace

void yaml_to_json(const YAML::Node& node, std::string& out, YamlBudget* budget) {
  if (budget && (budget->nodes_left-- == 0 || out.size() > budget->max_bytes))
    throw YamlBudgetExceeded(static_cast<size_t>(node.Mark().line) + 1,
                             "aliases expand it beyond the bound for its size (an alias bomb?)");
  // Found by yaml_fuzz: an alias inside its own anchor (&a [*a]) recursed
  // until the stack overflowed.
  if (budget && budget->depth > YamlBudget::kMaxDepth)
    throw YamlBudgetExceeded(static_cast<size_t>(node.Mark().line) + 1,
                             "nested deeper than " + std::to_string(YamlBudget::kMaxDepth) +
                                 " levels (an alias that contains itself?)");
  struct Nest {
    YamlBudget* b;
    explicit Nest(YamlBudget* x) : b(x) { if (b) ++b->depth; }
    ~Nest() { if (b) --b->depth; }
  } nest(budget);
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out += "null";
      break;
    case YAML::NodeType::Scalar:
      scalar(node, out);
      break;
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const auto& e : node) {
        if (!first) out += ',';
        first = false;
        yaml_to_json(e, out, budget);
      }
      out += ']';
      break;
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& kv : node) {
        if (!first) out += ',';
        first = false;
        append_string(out, kv.first.Scalar());
        out += ':';
        yaml_to_json(kv.second, out, budget);
      }
      out += '}';
      break;
    }
  }
}

YamlReader::YamlReader(std::function<size_t(char*, size_t)> read, std::string name)
    : read_(std::move(read)), name_(std::move(name)) {}

void YamlReader::too_big(const char* what, size_t line) const {
  throw std::runtime_error(name_ + ":" + std::to_string(line) + ": " + what + " larger than " +
                           std::to_string(kMaxYamlDocumentBytes >> 20) +
                           " MiB (the kube-apiserver driver's limit): refusing it");
}

bool YamlReader::getline(std::string& line) {
  for (;;) {
    size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      line.assign(buf_, pos_, nl - pos_);
      pos_ = nl + 1;
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return true;
    }
    if (eof_) {
      if (pos_ >= buf_.size()) return false;
      line.assign(buf_, pos_, std::string::npos);
      pos_ = buf_.size();
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return true;
    }
    buf_.erase(0, pos_);
    pos_ = 0;
    if (buf_.size() > kMaxYamlDocumentBytes) too_big("a line", line_no_ + 1);
    char tmp[65536];
    size_t n = read_(tmp, sizeof tmp);
    if (n == 0) eof_ = true;
    else buf_.append(tmp, n);
  }
}

void YamlReader::convert(const std::string& text, size_t first_line, bool only_maps) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return;
  YAML::Node n;
  try {
    n = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(name_ + ": invalid YAML in the " + std::string(only_maps ? "List item" : "document") +
                             " starting at line " + std::to_string(first_line) + ": " + e.what());
  }
  if (!n.IsDefined() || n.IsNull()) return;
  if (only_maps && !n.IsMap()) return;
  std::string json;
  YamlBudget budget = YamlBudget::for_text(text.size());
  try {
    yaml_to_json(n, json, &budget);
  } catch (const YamlBudgetExceeded& e) {
    throw std::runtime_error(name_ + ":" + std::to_string(first_line + e.line - 1) + ": refusing the " +
                             std::string(only_maps ? "List item" : "document") + " starting at line " +
                             std::to_string(first_line) + ": " + e.what());
  }
  ready_.push_back(std::move(json));
}

void YamlReader::flush_item() {
  if (item_.empty()) return;
  // Drop the item's indentation (the "- " column is already blanked).
  std::string text;
  size_t cut = item_indent_ + 2, pos = 0;
  while (pos < item_.size()) {
    size_t nl = item_.find('\n', pos);
    if (nl == std::string::npos) nl = item_.size();
    size_t len = nl - pos;
    if (len > cut) text.append(item_, pos + cut, len - cut);
    text += '\n';
    pos = nl + 1;
  }
  item_.clear();
  convert(text, item_line_, true);
}

void YamlReader::flush_doc() {
  flush_item();
  std::string head;
  head.swap(head_);
  convert(head, head_line_, false);
  mode_ = Mode::kHead;
  head_line_ = line_no_ + 1;
}

namespace {
size_t indent_of(const std::string& l) {
  size_t i = 0;
  while (i < l.size() && l[i] == ' ') ++i;
  return i;
}
bool blank_or_comment(const std::string& l) {
  size_t i = l.find_first_not_of(" \t");
  return i == std::string::npos || l[i] == '#';
}
bool is_items_key(const std::string& l) {
  if (l.compare(0, 6, "items:") != 0) return false;
  size_t i = l.find_first_not_of(" \t", 6);
  return i == std::string::npos || l[i] == '#';
}
bool seq_entry_at(const std::string& l, size_t k) {
  return l.size() > k && l[k] == '-' && (l.size() == k + 1 || l[k + 1] == ' ');
}
}  // namespace

bool YamlReader::next(std::string& json) {
  while (ready_pos_ >= ready_.size()) {
    ready_.clear();
    ready_pos_ = 0;
    if (done_) return false;
    std::string line;
    if (!getline(line)) {
      flush_doc();
      done_ = true;
      continue;
    }
    bool sep = (line.rfind("---", 0) == 0 && (line.size() == 3 || line[3] == ' ' || line[3] == '\t')) ||
               (line.rfind("...", 0) == 0 && line.find_first_not_of(". \t") == std::string::npos);
    if (sep) {
      flush_doc();
      continue;
    }
    if (mode_ == Mode::kItemsStart) {
      if (blank_or_comment(line)) continue;
      size_t k = indent_of(line);
      if (seq_entry_at(line, k)) {
        mode_ = Mode::kItems;
        item_indent_ = k;
      } else {
        // Not a block sequence after all: keep the document whole.
        mode_ = Mode::kHead;
        head_ += "items:\n";
      }
    }
    if (mode_ == Mode::kItems) {
      if (line.find_first_not_of(" \t") == std::string::npos) {
        if (!item_.empty()) item_ += '\n';  // may belong to a block scalar
        if (item_.size() > kMaxYamlDocumentBytes) too_big("a List item starting here is", item_line_);
        continue;
      }
      size_t k = indent_of(line);
      if (k > item_indent_) {  // inside the item (comments too: they may be block scalar text)
        item_ += line;
        item_ += '\n';
        if (item_.size() > kMaxYamlDocumentBytes) too_big("a List item starting here is", item_line_);
        continue;
      }
      if (k == item_indent_ && seq_entry_at(line, k)) {
        flush_item();
        item_line_ = line_no_;
        line[k] = ' ';
        item_ += line;
        item_ += '\n';
        continue;
      }
      if (line[k] == '#') continue;  // a comment at the sequence's level
      flush_item();
      mode_ = Mode::kHead;
    }
    if (is_items_key(line)) {
      mode_ = Mode::kItemsStart;
      continue;
    }
    head_ += line;
    head_ += '\n';
    if (head_.size() > kMaxYamlDocumentBytes) too_big("a document starting here is", head_line_);
  }
  json = std::move(ready_[ready_pos_++]);
  return true;
}

}  // namespace kapi
