// KCQL text → syntax tree. parse_query() is the entry point for a single
// query; the check-file reader (check.h) reuses Parser on parts of a file.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/kcql/ast.h"
#include "core/kcql/lexer.h"
#include "core/kcql/source.h"
#include "core/util/error.h"

namespace kinspect::kcql {

struct ParseLimits {
  size_t max_bytes = 1 << 20;  // a query or check file larger than this is refused
  unsigned max_depth = 200;    // nesting of expressions and subqueries, and operator chains
};

// A parsed query and the document it came from (kept for diagnostics).
struct Query {
  std::shared_ptr<const ast::Select> select;
  SourceText source;
};

Expected<Query> parse_query(std::string_view text, std::string_view file = "<query>",
                            const ParseLimits& limits = {});

// Parses text[begin, end) of `source`. Stops at the first syntax error.
class Parser {
 public:
  Parser(const SourceText& source, size_t begin, size_t end, const ParseLimits& limits);

  // A whole SELECT; with implicit_star the text starts at FROM and selects *.
  Expected<std::shared_ptr<ast::Select>> parse_select_statement(bool implicit_star);
  // A single expression filling the range (template placeholders, PARAM defaults).
  Expected<ast::ExprPtr> parse_expression_statement();

 private:
  struct Failure {};
  [[noreturn]] void fail(SourcePos pos, std::string message, std::string hint = {});
  [[noreturn]] void fail_here(std::string message, std::string hint = {});
  [[noreturn]] void expected(std::string_view what);

  void chain(unsigned& length, SourcePos pos);
  const Token& peek(size_t ahead = 0) const;
  Token take();
  bool accept(Tok kind);
  bool accept_keyword(std::string_view kw);
  void expect(Tok kind, std::string_view context);
  void expect_keyword(std::string_view kw, std::string_view context);
  bool at_keyword(std::string_view kw, size_t ahead = 0) const;
  bool at_reserved(size_t ahead = 0) const;
  std::string expect_name(std::string_view what);

  std::vector<ast::WithQuery> with_clause();
  std::shared_ptr<ast::Select> select(bool implicit_star);
  std::shared_ptr<ast::Select> select_core(bool implicit_star);
  void select_items(ast::Select& s);
  void from_clause(ast::Select& s);
  ast::FromItem from_item(ast::JoinKind join);
  std::string optional_alias(SourcePos& pos);

  ast::ExprPtr expr();
  ast::ExprPtr or_expr();
  ast::ExprPtr and_expr();
  ast::ExprPtr not_expr();
  ast::ExprPtr comparison();
  ast::ExprPtr additive();
  ast::ExprPtr multiplicative();
  ast::ExprPtr unary();
  ast::ExprPtr postfix(ast::ExprPtr base);
  ast::ExprPtr primary();
  ast::ExprPtr case_expr(SourcePos pos);
  ast::ExprPtr call(Token name);
  std::vector<ast::OrderItem> order_by();
  void path_bracket(ast::Expr& path);

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser, SourcePos pos);
    ~DepthGuard() { --p.depth_; }
  };

  SourceText source_;
  ParseLimits limits_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  unsigned depth_ = 0;
  Diagnostic error_;
};

}  // namespace kinspect::kcql
