#include "core/kcql/check.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "core/kcql/binder.h"
#include "core/kcql/executor.h"
#include "core/kcql/kube_schema.h"
#include "core/util/categories.h"

namespace kinspect::kcql {

namespace json = boost::json;
namespace fs = std::filesystem;

const std::vector<std::string>& known_categories() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> ids;
    for (const auto& c : kCheckCategories) ids.emplace_back(c.id);
    return ids;
  }();
  return v;
}

const std::vector<std::string>& known_severities() {
  static const std::vector<std::string> v = {"critical", "warning", "info"};
  return v;
}

namespace {

// Clause keywords: uppercase, first on their line. FROM starts the shorthand
// query only when the check has no query yet, so a multi-line QUERY may have
// its own FROM and WHERE lines.
constexpr std::array kClauses = {"CHECK", "TITLE", "CATEGORY", "SEVERITY", "COMPONENT", "TAGS", "DOC",
                                 "DESCRIPTION", "PARAM", "QUERY", "OBJECT", "MESSAGE", "REMEDY",
                                 "SAME_AS", "TARGET", "TOOL_ID", "LET"};

bool is_clause_keyword(std::string_view w) {
  return std::find(kClauses.begin(), kClauses.end(), w) != kClauses.end();
}

struct Clause {
  std::string keyword;
  size_t keyword_offset = 0;
  size_t body_begin = 0;
  size_t body_end = 0;
  SourcePos pos;
};

class CheckFileParser {
 public:
  CheckFileParser(std::string_view text, std::string_view file, const ParseLimits& limits) : limits_(limits) {
    source_.file = std::string(file);
    source_.text = std::make_shared<const std::string>(text);
  }

  Expected<std::vector<CheckDef>> parse();

 private:
  std::string_view text() const { return *source_.text; }
  void report(size_t offset, std::string message, std::string hint = {}) {
    diags_.push_back(source_.at(Lexer::position(text(), offset), std::move(message), std::move(hint)));
  }
  void report(const Error& e) { diags_.insert(diags_.end(), e.diagnostics().begin(), e.diagnostics().end()); }
  std::vector<Clause> split();
  void parse_check(const std::vector<Clause>& clauses, size_t begin, size_t end);
  // Body helpers. Each returns false after reporting.
  bool word(const Clause& c, std::string& out);
  bool words(const Clause& c, std::vector<std::string>& out, bool colons = false);
  bool tool_ids(const Clause& c, std::vector<std::string>& out);
  bool string(const Clause& c, std::string& out, Token* token = nullptr);
  bool templ(const Clause& c, Template& out);
  bool param(const Clause& c, ParamDef& out);
  bool let(const Clause& c, LetDef& out);
  size_t skip_blank(size_t i, size_t end) const;

  SourceText source_;
  ParseLimits limits_;
  std::vector<Diagnostic> diags_;
  std::vector<CheckDef> checks_;
};

size_t CheckFileParser::skip_blank(size_t i, size_t end) const {
  while (i < end) {
    char c = text()[i];
    if (std::isspace(static_cast<unsigned char>(c))) ++i;
    else if (c == '-' && i + 1 < end && text()[i + 1] == '-')
      while (i < end && text()[i] != '\n') ++i;
    else break;
  }
  return i;
}

std::vector<Clause> CheckFileParser::split() {
  std::vector<Clause> out;
  std::string_view t = text();
  char quote = 0;
  bool line_start = true;
  bool has_query = false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (quote) {
      if (c == quote) {
        if (i + 1 < t.size() && t[i + 1] == quote) ++i;
        else quote = 0;
      }
      continue;
    }
    if (c == '\n') {
      line_start = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    if (c == '-' && i + 1 < t.size() && t[i + 1] == '-') {
      while (i + 1 < t.size() && t[i + 1] != '\n') ++i;
      continue;
    }
    if (line_start && std::isupper(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < t.size() && (std::isupper(static_cast<unsigned char>(t[j])) || t[j] == '_')) ++j;  // SAME_AS
      std::string_view w = t.substr(i, j - i);
      bool ends_word = j >= t.size() || !(std::isalnum(static_cast<unsigned char>(t[j])) || t[j] == '_' || t[j] == '.');
      if (ends_word && (is_clause_keyword(w) || (w == "FROM" && !has_query))) {
        if (w == "CHECK") has_query = false;
        if (w == "FROM" || w == "QUERY") has_query = true;
        if (!out.empty()) out.back().body_end = i;
        Clause cl;
        cl.keyword = std::string(w);
        cl.keyword_offset = i;
        cl.body_begin = j;
        cl.body_end = t.size();
        cl.pos = Lexer::position(t, i);
        out.push_back(std::move(cl));
        line_start = false;
        i = j - 1;
        continue;
      }
    }
    if (out.empty()) {
      report(i, "expected CHECK <id> to start a check", "a check file is a list of CHECK blocks");
      // Skip to the next line so one stray line gives one error.
      while (i + 1 < t.size() && t[i + 1] != '\n') ++i;
      continue;
    }
    line_start = false;
    if (c == '\'' || c == '"') quote = c;
  }
  return out;
}

bool id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

bool CheckFileParser::word(const Clause& c, std::string& out) {
  size_t i = skip_blank(c.body_begin, c.body_end);
  if (i >= c.body_end || !std::isalnum(static_cast<unsigned char>(text()[i]))) {
    report(i < c.body_end ? i : c.keyword_offset, "expected a name after " + c.keyword);
    return false;
  }
  size_t j = i;
  while (j < c.body_end && id_char(text()[j])) ++j;
  out = std::string(text().substr(i, j - i));
  size_t rest = skip_blank(j, c.body_end);
  if (rest < c.body_end) {
    report(rest, "unexpected text after " + c.keyword + " " + out);
    return false;
  }
  return true;
}

bool CheckFileParser::words(const Clause& c, std::vector<std::string>& out, bool colons) {
  size_t i = skip_blank(c.body_begin, c.body_end);
  auto name_char = [&](char ch) { return id_char(ch) || (colons && ch == ':'); };
  for (;;) {
    if (i >= c.body_end || !name_char(text()[i])) {
      report(i < c.body_end ? i : c.keyword_offset, "expected a name in " + c.keyword);
      return false;
    }
    size_t j = i;
    while (j < c.body_end && name_char(text()[j])) ++j;
    out.emplace_back(text().substr(i, j - i));
    i = skip_blank(j, c.body_end);
    if (i >= c.body_end) return true;
    if (text()[i] != ',') {
      report(i, "expected ',' between the names in " + c.keyword);
      return false;
    }
    i = skip_blank(i + 1, c.body_end);
  }
}

// SAME_AS polaris:runAsPrivileged, popeye:POP-106: TOOL:ID names.
bool CheckFileParser::tool_ids(const Clause& c, std::vector<std::string>& out) {
  size_t before = out.size();
  if (!words(c, out, true)) return false;
  for (size_t i = before; i < out.size(); ++i) {
    size_t colon = out[i].find(':');
    if (colon == 0 || colon == std::string::npos || colon + 1 == out[i].size() || out[i].find(':', colon + 1) != std::string::npos) {
      report(skip_blank(c.body_begin, c.body_end), "'" + out[i] + "' in SAME_AS is not TOOL:ID",
             "name the tool and its check id, e.g. polaris:runAsPrivileged");
      return false;
    }
  }
  return true;
}

bool CheckFileParser::string(const Clause& c, std::string& out, Token* token) {
  auto tokens = Lexer(text(), c.body_begin, c.body_end).tokenize();
  const Token& t = tokens[0];
  if (t.kind == Tok::Error) {
    report(t.offset, t.text);
    return false;
  }
  if (t.kind != Tok::String) {
    report(t.kind == Tok::End ? c.keyword_offset : t.offset, "expected a quoted string after " + c.keyword,
           "write e.g. " + c.keyword + " \"...\"");
    return false;
  }
  if (tokens.size() > 1 && tokens[1].kind != Tok::End) {
    report(tokens[1].offset, "unexpected text after the " + c.keyword + " string");
    return false;
  }
  out = t.text;
  if (token) *token = t;
  return true;
}

// {expr} placeholders; {{ and }} stand for braces. The expression is parsed
// in place so that its errors point into the file.
bool CheckFileParser::templ(const Clause& c, Template& out) {
  Token tok;
  std::string value;
  if (!string(c, value, &tok)) return false;
  out.pos = tok.pos;
  const char quote = text()[tok.offset];
  size_t i = tok.offset + 1, end = tok.offset + tok.length - 1;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) out.parts.push_back({std::move(literal), nullptr, {}});
    literal.clear();
  };
  while (i < end) {
    char ch = text()[i];
    if (ch == quote) {  // doubled quote
      literal += ch;
      i += 2;
    } else if (ch == '{' && i + 1 < end && text()[i + 1] == '{') {
      literal += '{';
      i += 2;
    } else if (ch == '}' && i + 1 < end && text()[i + 1] == '}') {
      literal += '}';
      i += 2;
    } else if (ch == '}') {
      report(i, "unmatched '}' in " + c.keyword, "write '}}' for a literal brace");
      return false;
    } else if (ch == '{') {
      size_t j = i + 1;
      char inner_quote = 0;
      int depth = 0;
      for (; j < end; ++j) {
        char x = text()[j];
        if (inner_quote) {
          if (x == inner_quote) inner_quote = 0;
        } else if (x == '\'') {
          inner_quote = x;
        } else if (x == '{') {
          ++depth;
        } else if (x == '}') {
          if (depth == 0) break;
          --depth;
        }
      }
      if (j >= end) {
        report(i, "unclosed '{' in " + c.keyword, "close the placeholder with '}' or write '{{' for a literal brace");
        return false;
      }
      Parser parser(source_, i + 1, j, limits_);
      auto e = parser.parse_expression_statement();
      if (!e) {
        report(e.error());
        return false;
      }
      flush();
      std::string_view raw = text().substr(i + 1, j - i - 1);
      while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front()))) raw.remove_prefix(1);
      while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
      out.parts.push_back({{}, std::shared_ptr<const ast::Expr>(std::move(e).value()), std::string(raw)});
      i = j + 1;
    } else {
      literal += ch;
      ++i;
    }
  }
  flush();
  return true;
}

bool CheckFileParser::param(const Clause& c, ParamDef& out) {
  auto tokens = Lexer(text(), c.body_begin, c.body_end).tokenize();
  size_t k = 0;
  auto at = [&](size_t i) -> const Token& { return tokens[std::min(i, tokens.size() - 1)]; };
  auto fail = [&](const Token& t, std::string msg, std::string hint = {}) {
    report(t.kind == Tok::End ? c.keyword_offset : t.offset, t.kind == Tok::Error ? t.text : std::move(msg),
           std::move(hint));
    return false;
  };
  const std::string usage = "write PARAM name = default \"what it means\"";
  if (at(k).kind != Tok::Ident) return fail(at(k), "expected a parameter name after PARAM", usage);
  out.name = at(k).text;
  out.pos = at(k).pos;
  ++k;
  if (at(k).kind != Tok::Eq) return fail(at(k), "expected '=' and a default value after PARAM " + out.name, usage);
  ++k;
  bool negative = false;
  if (at(k).kind == Tok::Minus) negative = true, ++k;
  const Token& v = at(k);
  switch (v.kind) {
    case Tok::String: out.default_value = json::string(v.text); break;
    case Tok::Int: {
      int64_t i = 0;
      std::from_chars(v.text.data(), v.text.data() + v.text.size(), i);
      out.default_value = negative ? -i : i;
      break;
    }
    case Tok::Real: {
      double d = 0;
      std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
      out.default_value = negative ? -d : d;
      break;
    }
    case Tok::Ident:
      if (v.is_keyword("TRUE") || v.is_keyword("FALSE")) out.default_value = v.is_keyword("TRUE");
      else if (v.is_keyword("NULL")) out.default_value = nullptr;
      else return fail(v, "the default of PARAM " + out.name + " must be a constant (string, number, true, false)");
      break;
    default:
      return fail(v, "the default of PARAM " + out.name + " must be a constant (string, number, true, false)");
  }
  if (negative && v.kind != Tok::Int && v.kind != Tok::Real) return fail(v, "'-' must be followed by a number");
  ++k;
  if (at(k).kind == Tok::String) {
    out.doc = at(k).text;
    ++k;
  }
  if (at(k).kind != Tok::End) return fail(at(k), "unexpected text after PARAM " + out.name, usage);
  return true;
}

bool CheckFileParser::let(const Clause& c, LetDef& out) {
  auto tokens = Lexer(text(), c.body_begin, c.body_end).tokenize();
  auto at = [&](size_t i) -> const Token& { return tokens[std::min(i, tokens.size() - 1)]; };
  auto fail = [&](const Token& t, std::string msg) {
    report(t.kind == Tok::End ? c.keyword_offset : t.offset, t.kind == Tok::Error ? t.text : std::move(msg),
           "write LET name = expression");
    return false;
  };
  if (at(0).kind != Tok::Ident || at(0).text == "param") return fail(at(0), "expected a name after LET");
  out.name = at(0).text;
  out.pos = at(0).pos;
  if (at(1).kind != Tok::Eq) return fail(at(1), "expected '=' and an expression after LET " + out.name);
  if (at(2).kind == Tok::End) return fail(at(2), "expected an expression after LET " + out.name + " =");
  // `FROM ... LET ... WHERE ...`: the LET ended the FROM clause, and its
  // expression would run into the WHERE.
  for (size_t i = 3; i < tokens.size(); ++i)
    if (tokens[i].text == "WHERE" && tokens[i].pos.line > tokens[i - 1].pos.line) {
      report(tokens[i].offset, "WHERE after LET: a LET ends the FROM clause of a check",
             "write the LETs before FROM ... WHERE ..., or after it");
      return false;
    }
  Parser parser(source_, at(2).offset, c.body_end, limits_);
  auto e = parser.parse_expression_statement();
  if (!e) {
    report(e.error());
    return false;
  }
  out.expr = std::move(e).value();
  return true;
}

void CheckFileParser::parse_check(const std::vector<Clause>& clauses, size_t begin, size_t end) {
  CheckDef check;
  check.file = source_.file;
  check.pos = clauses[begin].pos;
  check.query.source = source_;
  size_t errors_before = diags_.size();
  if (!word(clauses[begin], check.id)) return;
  std::map<std::string, size_t> seen;
  bool has_query = false;
  for (size_t i = begin + 1; i < end; ++i) {
    const Clause& c = clauses[i];
    if (c.keyword != "PARAM" && c.keyword != "LET" && c.keyword != "QUERY" && c.keyword != "FROM") {
      auto [it, inserted] = seen.emplace(c.keyword, i);
      if (!inserted) {
        report(c.keyword_offset, "duplicate " + c.keyword + " in check " + check.id);
        continue;
      }
    }
    const std::string& k = c.keyword;
    if (k == "TITLE") string(c, check.title);
    else if (k == "COMPONENT") string(c, check.component);
    else if (k == "DOC") string(c, check.doc_url);
    else if (k == "DESCRIPTION") string(c, check.description);
    else if (k == "REMEDY") string(c, check.remedy);
    else if (k == "OBJECT") templ(c, check.object);
    else if (k == "MESSAGE") templ(c, check.message);
    else if (k == "TAGS") words(c, check.tags);
    else if (k == "SAME_AS") tool_ids(c, check.same_as);
    else if (k == "TARGET") templ(c, check.target);
    else if (k == "TOOL_ID") templ(c, check.tool_id);
    else if (k == "CATEGORY") {
      if (word(c, check.category) &&
          std::find(known_categories().begin(), known_categories().end(), check.category) == known_categories().end()) {
        std::string all;
        for (const auto& n : known_categories()) all += (all.empty() ? "" : ", ") + n;
        std::string hint = closest_match(check.category, known_categories());
        report(skip_blank(c.body_begin, c.body_end), "unknown category '" + check.category + "'",
               hint.empty() ? "known categories: " + all : "did you mean '" + hint + "'?");
      }
    } else if (k == "SEVERITY") {
      if (word(c, check.severity) &&
          std::find(known_severities().begin(), known_severities().end(), check.severity) == known_severities().end()) {
        std::string hint = closest_match(check.severity, known_severities());
        report(skip_blank(c.body_begin, c.body_end), "unknown severity '" + check.severity + "'",
               hint.empty() ? "use critical, warning or info" : "did you mean '" + hint + "'?");
      }
    } else if (k == "PARAM") {
      ParamDef p;
      if (param(c, p)) {
        bool duplicate = std::any_of(check.params.begin(), check.params.end(), [&](const auto& q) { return q.name == p.name; });
        if (duplicate) report(c.body_begin + 1, "parameter '" + p.name + "' is declared twice");
        else check.params.push_back(std::move(p));
      }
    } else if (k == "LET") {
      LetDef l;
      if (let(c, l)) {
        bool duplicate = std::any_of(check.lets.begin(), check.lets.end(), [&](const auto& m) { return m.name == l.name; });
        if (duplicate) report(c.body_begin + 1, "LET " + l.name + " is defined twice");
        else check.lets.push_back(std::move(l));
      }
    } else if (k == "QUERY" || k == "FROM") {
      if (has_query) {
        report(c.keyword_offset, "check " + check.id + " has a second query",
               "a check has one QUERY, or one FROM ... WHERE ...");
        continue;
      }
      has_query = true;
      Parser parser(source_, k == "FROM" ? c.keyword_offset : c.body_begin, c.body_end, limits_);
      auto s = parser.parse_select_statement(k == "FROM");
      if (!s) report(s.error());
      else check.query.select = std::move(s).value();
    }
  }
  auto require = [&](bool present, const char* what) {
    if (!present)
      diags_.push_back(source_.at(check.pos, "check " + check.id + " has no " + what,
                                  std::string("add a ") + what + " clause"));
  };
  require(seen.count("TITLE"), "TITLE");
  require(seen.count("CATEGORY"), "CATEGORY");
  require(seen.count("SEVERITY"), "SEVERITY");
  require(seen.count("MESSAGE"), "MESSAGE");
  if (!has_query)
    diags_.push_back(source_.at(check.pos, "check " + check.id + " has no query",
                                "add QUERY SELECT ... or FROM ... WHERE ..."));
  for (const auto& other : checks_)
    if (other.id == check.id)
      diags_.push_back(source_.at(check.pos, "duplicate check id '" + check.id + "'",
                                  "first defined at line " + std::to_string(other.pos.line)));
  if (diags_.size() == errors_before) checks_.push_back(std::move(check));
}

Expected<std::vector<CheckDef>> CheckFileParser::parse() {
  if (text().size() > limits_.max_bytes)
    return Error(source_.file + ": check file is too large (" + std::to_string(text().size()) + " bytes)");
  std::vector<Clause> clauses = split();
  size_t i = 0;
  while (i < clauses.size()) {
    if (clauses[i].keyword != "CHECK") {
      report(clauses[i].keyword_offset, clauses[i].keyword + " outside a check", "start the check with CHECK <id>");
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < clauses.size() && clauses[j].keyword != "CHECK") ++j;
    parse_check(clauses, i, j);
    i = j;
  }
  if (!diags_.empty()) return error_from(std::move(diags_));
  return std::move(checks_);
}

std::vector<BoundCheck::Part> bind_template(const Template& t, size_t& next_extra) {
  std::vector<BoundCheck::Part> parts;
  for (const auto& p : t.parts) {
    if (p.expr) parts.push_back({{}, int(next_extra++)});
    else parts.push_back({p.literal, -1});
  }
  return parts;
}

void render(std::string& out, const std::vector<BoundCheck::Part>& parts, const Value* extras) {
  // Sized once for the literals and text values: a message grew through
  // four or five reallocations, for each of 150,000 findings.
  size_t size = out.size();
  for (const auto& p : parts) {
    if (p.extra < 0) size += p.literal.size();
    else size += extras[p.extra].is_string() ? extras[p.extra].as_string().size() : 24;
  }
  out.reserve(size);
  for (const auto& p : parts) {
    if (p.extra < 0) out += p.literal;
    else append_text(out, extras[p.extra], "<none>");
  }
}

}  // namespace

Expected<std::vector<CheckDef>> parse_checks(std::string_view text, std::string_view file, const ParseLimits& limits) {
  return CheckFileParser(text, file, limits).parse();
}

Expected<std::vector<CheckDef>> load_checks(const fs::path& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file() && it->path().extension() == ".kcql") files.push_back(it->path());
    if (ec) return Error("reading " + path.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    return Error("no such check file or directory: " + path.string());
  }
  std::vector<CheckDef> all;
  std::vector<Diagnostic> diags;
  std::map<std::string, std::pair<std::string, SourcePos>> first_seen;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      Diagnostic d;
      d.file = f.string();
      d.message = "cannot read the file";
      diags.push_back(d);
      continue;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    auto checks = parse_checks(text, f.string());
    if (!checks) {
      const auto& ds = checks.error().diagnostics();
      if (ds.empty()) diags.push_back(Diagnostic{f.string(), {}, checks.error().message(), {}, {}, {}});
      diags.insert(diags.end(), ds.begin(), ds.end());
      continue;
    }
    for (auto& c : *checks) {
      auto [it, inserted] = first_seen.emplace(c.id, std::make_pair(c.file, c.pos));
      if (!inserted) {
        Diagnostic d = c.query.source.at(c.pos, "duplicate check id '" + c.id + "'",
                                         "first defined at " + it->second.first + ":" + std::to_string(it->second.second.line));
        diags.push_back(std::move(d));
        continue;
      }
      all.push_back(std::move(c));
    }
  }
  if (!diags.empty()) return error_from(std::move(diags));
  return all;
}

Expected<BoundCheck> bind_check(const CheckDef& check, const Catalog& catalog, const Params& overrides) {
  BindInput in;
  in.query = &check.query;
  in.catalog = &catalog;
  for (const auto& p : check.params) {
    in.param_names.push_back(p.name);
    in.param_values.push_back(p.default_value);
  }
  for (const auto& [name, value] : overrides) {
    auto it = std::find(in.param_names.begin(), in.param_names.end(), name);
    if (it == in.param_names.end()) {
      std::string hint = closest_match(name, in.param_names);
      Diagnostic d = check.query.source.at(check.pos, "check " + check.id + " has no parameter '" + name + "'",
                                           hint.empty() ? "" : "did you mean '" + hint + "'?");
      return Error::from(std::move(d));
    }
    in.param_values[size_t(it - in.param_names.begin())] = value;
  }
  for (const Template* t : {&check.object, &check.message, &check.target, &check.tool_id})
    for (const auto& part : t->parts)
      if (part.expr) {
        in.extras.push_back(part.expr.get());
        in.extra_names.push_back(part.text);
      }
  for (const auto& l : check.lets) in.lets.emplace_back(l.name, l.expr.get());
  in.outputs_from_extras = check.query.select->implicit_select;
  in.kube_schema = default_kube_schema();
  auto impl = bind_plan(in);
  if (!impl) return std::move(impl).error();
  BoundCheck bound;
  bound.def = std::make_shared<const CheckDef>(check);
  bound.plan = Plan(std::move(impl).value());
  size_t next = 0;
  bound.object = bind_template(check.object, next);
  bound.message = bind_template(check.message, next);
  bound.target = bind_template(check.target, next);
  bound.tool_id = bind_template(check.tool_id, next);
  return bound;
}

RowSink FindingsCollector::sink() {
  auto expect = [this](size_t rows) {
    // Room for what the budget lets through at the least: findings of a
    // hundred bytes or more as JSON (a finding's object and message alone
    // are about that), so that a query of millions of tiny rows that will
    // fail its budget does not reserve for all of them first.
    const size_t fit = static_cast<size_t>(options_.output_budget / 100);
    const size_t room = std::min(rows, fit);
    if (expect_) expect_(room);
    else if (!keep_) findings_.reserve(findings_.size() + room);
  };
  auto row = [this](const Value* out, const Value* extras) {
    if (over_) return;
    const auto& outputs = check_.plan.impl().root.outputs;
    Finding f;
    render(f.object, check_.object, extras);
    render(f.message, check_.message, extras);
    if (!check_.target.empty()) render(f.target, check_.target, extras);
    if (!check_.tool_id.empty()) render(f.tool_id, check_.tool_id, extras);
    f.row.reserve(outputs.size());  // one table, not one per doubling
    for (size_t i = 0; i < outputs.size(); ++i) f.row[outputs[i].name] = to_json(out[i]);
    bytes_ += f.object.size() + f.message.size() + json_bytes(f.row);
    if (bytes_ > options_.output_budget) {
      over_ = true;
      return;
    }
    if (keep_) keep_(std::move(f));
    else findings_.push_back(std::move(f));
  };
  return RowSink(std::move(row), std::move(expect));
}

Expected<std::vector<Finding>> FindingsCollector::take() {
  if (over_) {
    size_t before = findings_.size();
    findings_ = {};
    // The whole check's output: reported at its CHECK line.
    const Error e = output_budget_error(options_, before, "findings");
    return check_.plan.impl().source.error_at(check_.def->pos, e.message());
  }
  return std::move(findings_);
}

Expected<std::vector<Finding>> run_check(const BoundCheck& check, TableProvider& provider, const ExecOptions& options,
                                         FindingsCollector::Keep keep, FindingsCollector::Expect expect) {
  ExecOptions opts = options;
  if (opts.label == "query") opts.label = "check " + check.def->id;
  FindingsCollector findings(check, opts, std::move(keep), std::move(expect));
  auto examined = run_plan(check.plan.impl(), provider, opts, findings.sink());
  if (!examined) return std::move(examined).error();
  return findings.take();
}

std::vector<Diagnostic> lint_checks(const std::vector<CheckDef>& checks, const Catalog& catalog,
                                    std::vector<Diagnostic>* warnings) {
  std::vector<Diagnostic> out;
  for (const auto& c : checks) {
    auto bound = bind_check(c, catalog);
    if (!bound) {
      const auto& ds = bound.error().diagnostics();
      if (ds.empty()) out.push_back(c.query.source.at(c.pos, bound.error().message()));
      out.insert(out.end(), ds.begin(), ds.end());
    } else if (warnings) {
      for (Diagnostic w : bound->plan.warnings()) {
        w.message = "check " + c.id + ": " + w.message;
        warnings->push_back(std::move(w));
      }
    }
  }
  return out;
}

std::string format_warning(const Diagnostic& warning) {
  std::string text = warning.format();
  // format() says "error"; the file name comes before, so the first one is the label.
  if (size_t at = text.find(": error: "); at != std::string::npos) text.replace(at, 9, ": warning: ");
  return text;
}

std::vector<Diagnostic> lint_path(const fs::path& path, const Catalog& catalog, std::vector<Diagnostic>* warnings) {
  auto checks = load_checks(path);
  if (!checks) {
    auto ds = checks.error().diagnostics();
    if (ds.empty()) ds.push_back(Diagnostic{path.string(), {}, checks.error().message(), {}, {}, {}});
    return ds;
  }
  return lint_checks(*checks, catalog, warnings);
}

}  // namespace kinspect::kcql
