#include "core/kcql/lexer.h"

#include <algorithm>
#include <string>
#include <vector>

#include <cctype>

namespace kinspect::kcql {

std::string_view describe(Tok t) {
  switch (t) {
    case Tok::End: return "end of input";
    case Tok::Ident: return "identifier";
    case Tok::String: return "string";
    case Tok::Int: return "integer";
    case Tok::Real: return "number";
    case Tok::Comma: return "','";
    case Tok::Dot: return "'.'";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::LBracket: return "'['";
    case Tok::RBracket: return "']'";
    case Tok::LBrace: return "'{'";
    case Tok::RBrace: return "'}'";
    case Tok::At: return "'@'";
    case Tok::Star: return "'*'";
    case Tok::Plus: return "'+'";
    case Tok::Minus: return "'-'";
    case Tok::Slash: return "'/'";
    case Tok::Percent: return "'%'";
    case Tok::Concat: return "'||'";
    case Tok::Eq: return "'='";
    case Tok::Ne: return "'!='";
    case Tok::Lt: return "'<'";
    case Tok::Le: return "'<='";
    case Tok::Gt: return "'>'";
    case Tok::Ge: return "'>='";
    case Tok::Error: return "invalid token";
  }
  return "token";
}

bool Token::is_keyword(std::string_view kw) const {
  if (kind != Tok::Ident || text.size() != kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != kw[i]) return false;
  return true;
}

static bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

SourcePos Lexer::position(std::string_view text, size_t offset) {
  // A check file is lexed clause by clause and placeholder by placeholder,
  // each starting deep inside the document: counting from the top every time
  // made loading the catalog quadratic (64% of a small run). Index the line
  // starts of the last document once; the copy guards against a new text at
  // a reused address.
  thread_local std::string indexed;
  thread_local std::vector<size_t> line_starts;
  if (line_starts.empty() || text != indexed) {
    indexed.assign(text);
    line_starts.assign(1, 0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') line_starts.push_back(i + 1);
  }
  offset = std::min(offset, text.size());
  size_t line = size_t(std::upper_bound(line_starts.begin(), line_starts.end(), offset) - line_starts.begin()) - 1;
  SourcePos p{unsigned(line + 1), 1};
  for (size_t i = line_starts[line]; i < offset; ++i)
    if (!is_continuation_byte(text[i])) ++p.column;
  return p;
}

Lexer::Lexer(std::string_view text, size_t begin, size_t end)
    : text_(text), pos_(begin), end_(std::min(end, text.size())), cursor_(position(text, begin)) {}

void Lexer::advance(size_t n) {
  for (; n > 0 && pos_ < end_; --n, ++pos_) {
    if (text_[pos_] == '\n') {
      ++cursor_.line;
      cursor_.column = 1;
    } else if (!is_continuation_byte(text_[pos_])) {
      ++cursor_.column;
    }
  }
}

void Lexer::skip_space_and_comments() {
  while (pos_ < end_) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      advance();
    } else if (c == '-' && pos_ + 1 < end_ && text_[pos_ + 1] == '-') {
      while (pos_ < end_ && text_[pos_] != '\n') advance();
    } else {
      break;
    }
  }
}

std::vector<Token> Lexer::tokenize() {
  std::vector<Token> out;
  for (;;) {
    out.push_back(next());
    if (out.back().kind == Tok::End || out.back().kind == Tok::Error) break;
  }
  return out;
}

Token Lexer::make(Tok kind, size_t start) {
  Token t;
  t.kind = kind;
  t.offset = start;
  t.length = pos_ - start;
  return t;
}

static bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
static bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

Token Lexer::next() {
  skip_space_and_comments();
  SourcePos start_pos = cursor_;
  size_t start = pos_;
  Token t;
  if (pos_ >= end_) {
    t = make(Tok::End, start);
  } else {
    char c = text_[pos_];
    char n = pos_ + 1 < end_ ? text_[pos_ + 1] : '\0';
    auto single = [&](Tok k, size_t len = 1) { advance(len); return make(k, start); };
    if (ident_start(c)) {
      while (pos_ < end_ && ident_char(text_[pos_])) advance();
      t = make(Tok::Ident, start);
      t.text = std::string(text_.substr(start, pos_ - start));
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      t = lex_number(start);
    } else if (c == '\'' || c == '"') {
      t = lex_string(start, c);
    } else {
      switch (c) {
        case ',': t = single(Tok::Comma); break;
        case '.': t = single(Tok::Dot); break;
        case '(': t = single(Tok::LParen); break;
        case ')': t = single(Tok::RParen); break;
        case '[': t = single(Tok::LBracket); break;
        case ']': t = single(Tok::RBracket); break;
        case '{': t = single(Tok::LBrace); break;
        case '}': t = single(Tok::RBrace); break;
        case '@': t = single(Tok::At); break;
        case '*': t = single(Tok::Star); break;
        case '+': t = single(Tok::Plus); break;
        case '-': t = single(Tok::Minus); break;
        case '/': t = single(Tok::Slash); break;
        case '%': t = single(Tok::Percent); break;
        case '|':
          if (n == '|') { t = single(Tok::Concat, 2); break; }
          advance();
          t = make(Tok::Error, start);
          t.text = "unexpected character '|' (string concatenation is '||')";
          break;
        case '=': t = single(Tok::Eq, n == '=' ? 2 : 1); break;
        case '!':
          if (n == '=') { t = single(Tok::Ne, 2); break; }
          advance();
          t = make(Tok::Error, start);
          t.text = "unexpected character '!' (use NOT or '!=')";
          break;
        case '<':
          if (n == '=') t = single(Tok::Le, 2);
          else if (n == '>') t = single(Tok::Ne, 2);
          else t = single(Tok::Lt);
          break;
        case '>': t = n == '=' ? single(Tok::Ge, 2) : single(Tok::Gt); break;
        default: {
          size_t len = 1;
          while (pos_ + len < end_ && is_continuation_byte(text_[pos_ + len])) ++len;
          std::string ch(text_.substr(pos_, len));
          advance(len);
          t = make(Tok::Error, start);
          t.text = "unexpected character '" + ch + "'";
        }
      }
    }
  }
  t.pos = start_pos;
  t.line_start = start_pos.line != last_line_;
  last_line_ = start_pos.line;
  return t;
}

Token Lexer::lex_number(size_t start) {
  bool real = false;
  while (pos_ < end_ && std::isdigit(static_cast<unsigned char>(text_[pos_]))) advance();
  if (pos_ + 1 < end_ && text_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
    real = true;
    advance();
    while (pos_ < end_ && std::isdigit(static_cast<unsigned char>(text_[pos_]))) advance();
  }
  if (pos_ < end_ && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    size_t k = pos_ + 1;
    if (k < end_ && (text_[k] == '+' || text_[k] == '-')) ++k;
    if (k < end_ && std::isdigit(static_cast<unsigned char>(text_[k]))) {
      real = true;
      advance(k - pos_);
      while (pos_ < end_ && std::isdigit(static_cast<unsigned char>(text_[pos_]))) advance();
    }
  }
  if (pos_ < end_ && ident_start(text_[pos_])) {
    // "5m" is a common slip for a duration; say what to write instead.
    while (pos_ < end_ && ident_char(text_[pos_])) advance();
    Token t = make(Tok::Error, start);
    std::string word(text_.substr(start, pos_ - start));
    t.text = "invalid number '" + word + "' (quote it, e.g. duration('" + word + "') or quantity('" + word + "'))";
    return t;
  }
  Token t = make(real ? Tok::Real : Tok::Int, start);
  t.text = std::string(text_.substr(start, pos_ - start));
  return t;
}

// SQL-style: the quote character is doubled to include it and backslashes are
// literal, so regular expressions need no extra escaping.
Token Lexer::lex_string(size_t start, char quote) {
  advance();
  std::string value;
  for (;;) {
    if (pos_ >= end_) {
      Token t = make(Tok::Error, start);
      t.text = "unterminated string (started here)";
      return t;
    }
    char c = text_[pos_];
    if (c == quote) {
      if (pos_ + 1 < end_ && text_[pos_ + 1] == quote) {
        value += quote;
        advance(2);
        continue;
      }
      advance();
      break;
    }
    value += c;
    advance();
  }
  Token t = make(Tok::String, start);
  t.text = std::move(value);
  t.quoted_double = quote == '"';
  return t;
}

}  // namespace kinspect::kcql
