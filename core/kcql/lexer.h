// Tokens of KCQL. Keywords are not distinguished here: they are identifiers
// the parser recognises by position (so `n.status.type` or a field called
// `from` still read as paths).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/error.h"

namespace kinspect::kcql {

enum class Tok : uint8_t {
  End, Ident, String, Int, Real,
  Comma, Dot, LParen, RParen, LBracket, RBracket, LBrace, RBrace, At,
  Star, Plus, Minus, Slash, Percent, Concat,
  Eq, Ne, Lt, Le, Gt, Ge,
  Error,
};

std::string_view describe(Tok t);

struct Token {
  Tok kind = Tok::End;
  SourcePos pos;
  size_t offset = 0;     // byte offset of the token in the lexed text
  size_t length = 0;     // bytes of source text
  std::string text;      // identifier, unescaped string, number text, or error message
  bool line_start = false;  // first token on its line
  bool quoted_double = false;  // a "..." string (check files use them for text)

  bool is_keyword(std::string_view kw) const;  // case-insensitive identifier match
};

// Lexes text[begin, end) of a larger document, so that positions are those of
// the document (check files hand each clause to the lexer in place).
class Lexer {
 public:
  Lexer(std::string_view text, size_t begin = 0, size_t end = std::string_view::npos);
  // All tokens up to and including End, or up to and including the first Error.
  std::vector<Token> tokenize();
  // Line and column of a byte offset (columns count UTF-8 characters).
  static SourcePos position(std::string_view text, size_t offset);

 private:
  Token next();
  void skip_space_and_comments();
  Token make(Tok kind, size_t start);
  Token lex_string(size_t start, char quote);
  Token lex_number(size_t start);

  std::string_view text_;
  size_t pos_;
  size_t end_;
  SourcePos cursor_;      // position of pos_
  unsigned last_line_ = 0;
  void advance(size_t n = 1);
};

}  // namespace kinspect::kcql
