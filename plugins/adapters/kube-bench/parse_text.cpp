// kube-bench's console output. Its shape, per control (node type):
//   [INFO] 1 Master Node Security Configuration      <- control
//   [INFO] 1.1 Master Node Configuration Files       <- section
//   [PASS] 1.1.1 Ensure that ... (Automated)         <- result
//   == Remediations master ==                        <- remediation blocks: "<id> text..." until the next id
//   == Summary master ==                             <- node type; "N checks PASS" lines
// and at the end "== Summary total ==".
#include <stdexcept>

#include "parse.h"

namespace kinspect::adapters::kubebench {

namespace {

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "[FAIL] 1.2.5 Ensure ..." -> status FAIL, id 1.2.5, text; false if not such a line.
bool tagged_line(std::string_view line, std::string& status, std::string& id, std::string& text) {
  if (line.size() < 7 || line[0] != '[' || line[5] != ']') return false;
  status = std::string(line.substr(1, 4));
  if (status != "PASS" && status != "FAIL" && status != "WARN" && status != "INFO") return false;
  std::string_view rest = trim(line.substr(6));
  size_t sp = rest.find(' ');
  id = std::string(rest.substr(0, sp));
  text = sp == std::string_view::npos ? std::string() : std::string(trim(rest.substr(sp + 1)));
  return !id.empty();
}

// "== Summary master ==" -> ("Summary", "master").
bool banner(std::string_view line, std::string& kind, std::string& name) {
  line = trim(line);
  if (line.size() < 6 || line.substr(0, 3) != "== " || line.substr(line.size() - 3) != " ==") return false;
  std::string_view mid = line.substr(3, line.size() - 6);
  size_t sp = mid.find(' ');
  kind = std::string(mid.substr(0, sp));
  name = sp == std::string_view::npos ? std::string() : std::string(mid.substr(sp + 1));
  return true;
}

class TextReader {
 public:
  TextReader(Output& out) : out_(out) {}
  void line(std::string_view l, size_t lineno);
  void finish();

 private:
  void tagged(const std::string& status, const std::string& id, const std::string& text);
  void remediation_line(std::string_view l);
  void summary_count(std::string_view l, size_t lineno);

  Output& out_;
  enum class Block { None, Checks, Remediations, Summary } block_ = Block::None;
  bool in_control_ = false;
  size_t control_results_begin_ = 0;  // first result of the open control
  Result* remedy_ = nullptr;           // the result whose remediation is being read
  bool total_ = false;                 // inside "== Summary total =="
};

void TextReader::tagged(const std::string& status, const std::string& id, const std::string& text) {
  const bool starts_control = !in_control_;
  const bool is_section = status == "INFO" && !starts_control &&
                          (out_.sections.empty() || out_.sections.back().control != out_.controls.size() - 1 ||
                           id.rfind(out_.sections.back().id + ".", 0) != 0);
  if (starts_control && status == "INFO") {
    Control c;
    c.node = out_.node;
    c.id = id;
    c.text = text;
    out_.controls.push_back(std::move(c));
    in_control_ = true;
    control_results_begin_ = out_.results.size();
    block_ = Block::Checks;
    return;
  }
  if (!in_control_) throw std::runtime_error("a result before any control ([INFO] <id> <title>) line");
  if (is_section) {
    Section s;
    s.control = out_.controls.size() - 1;
    s.id = id;
    s.desc = text;
    out_.sections.push_back(std::move(s));
    return;
  }
  Result r;
  r.control = out_.controls.size() - 1;
  if (!out_.sections.empty() && out_.sections.back().control == r.control) {
    r.section = out_.sections.back().id;
    r.section_desc = out_.sections.back().desc;
    out_.sections.back().counted.add(status);
  }
  r.id = id;
  r.text = text;
  r.status = status;
  r.scored = scored_from_title(text);
  out_.controls.back().counted.add(status);
  out_.results.push_back(std::move(r));
}

void TextReader::remediation_line(std::string_view l) {
  std::string_view t = trim(l);
  size_t sp = t.find(' ');
  std::string_view first = t.substr(0, sp);
  for (size_t i = control_results_begin_; i < out_.results.size() && !first.empty(); ++i) {
    if (out_.results[i].id == first && out_.results[i].remediation.empty()) {
      remedy_ = &out_.results[i];
      remedy_->remediation = std::string(sp == std::string_view::npos ? std::string_view() : trim(t.substr(sp + 1)));
      return;
    }
  }
  if (!remedy_) return;
  if (!remedy_->remediation.empty() || !t.empty()) remedy_->remediation += "\n" + std::string(t);
}

void TextReader::summary_count(std::string_view l, size_t lineno) {
  l = trim(l);
  if (l.empty() || total_) return;
  // "43 checks PASS"
  size_t sp = l.find(" checks ");
  if (sp == std::string_view::npos) throw std::runtime_error("expected 'N checks STATUS' in a summary, got '" + std::string(l) + "'");
  int64_t n = std::stoll(std::string(l.substr(0, sp)));
  std::string_view status = l.substr(sp + 8);
  Control& c = out_.controls.back();
  if (!c.stated) c.stated = Counts{};
  if (status == "PASS") c.stated->pass = n;
  else if (status == "FAIL") c.stated->fail = n;
  else if (status == "WARN") c.stated->warn = n;
  else if (status == "INFO") c.stated->info = n;
}

void TextReader::line(std::string_view l, size_t lineno) {
  std::string kind, name, status, id, text;
  if (banner(l, kind, name)) {
    if (kind == "Remediations") {
      block_ = Block::Remediations;
      remedy_ = nullptr;
    } else if (kind == "Summary") {
      block_ = Block::Summary;
      total_ = name == "total";
      if (!total_ && in_control_) out_.controls.back().node_type = name;
      in_control_ = false;
    }
    return;
  }
  if (tagged_line(l, status, id, text) && block_ != Block::Remediations) {
    tagged(status, id, text);
    return;
  }
  if (block_ == Block::Remediations) remediation_line(l);
  else if (block_ == Block::Summary) {
    try {
      summary_count(l, lineno);
    } catch (const std::invalid_argument&) {
      throw std::runtime_error("expected 'N checks STATUS' in a summary, got '" + std::string(trim(l)) + "'");
    }
  }
}

void TextReader::finish() {
  for (auto& r : out_.results) {
    while (!r.remediation.empty() && r.remediation.back() == '\n') r.remediation.pop_back();
    r.remediation = std::string(trim(r.remediation));
  }
  if (out_.controls.empty()) throw std::runtime_error("no kube-bench control ([INFO] <id> <title>) found");
}

}  // namespace

Output read_text(std::string_view text, const std::string& file, const std::string& node) {
  Output out;
  out.file = file;
  out.node = node;
  out.format = "text";
  TextReader reader(out);
  size_t lineno = 0;
  try {
    for (size_t pos = 0; pos <= text.size();) {
      size_t nl = text.find('\n', pos);
      std::string_view l = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      ++lineno;
      reader.line(l, lineno);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    reader.finish();
  } catch (const std::exception& e) {
    throw std::runtime_error(file + ":" + std::to_string(lineno) + ": not kube-bench console output: " + e.what());
  }
  return out;
}

}  // namespace kinspect::adapters::kubebench
