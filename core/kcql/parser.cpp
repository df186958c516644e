#include "core/kcql/parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace kinspect::kcql {

using ast::Expr;
using ast::ExprKind;
using ast::ExprPtr;
using ast::Op;

const char* ast::op_text(Op op) {
  switch (op) {
    case Op::Not: return "NOT";
    case Op::Neg: return "-";
    case Op::And: return "AND";
    case Op::Or: return "OR";
    case Op::Eq: return "=";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Mod: return "%";
    case Op::Concat: return "||";
  }
  return "?";
}

// Words that end an expression or a FROM item, so they cannot be aliases or
// bare column names (a field of that name is still reachable as x.from or x['from']).
static constexpr std::array kReserved = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "JOIN", "LEFT", "INNER",
    "CROSS", "OUTER", "ON", "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "CASE",
    "WHEN", "THEN", "ELSE", "END", "EXISTS", "BETWEEN", "LIKE", "DISTINCT", "UNNEST", "ASC", "DESC", "UNION",
};

Parser::Parser(const SourceText& source, size_t begin, size_t end, const ParseLimits& limits)
    : source_(source), limits_(limits) {
  tokens_ = Lexer(*source_.text, begin, end).tokenize();
}

Parser::DepthGuard::DepthGuard(Parser& parser, SourcePos pos) : p(parser) {
  if (++p.depth_ > p.limits_.max_depth)
    p.fail(pos, "expression nested too deeply (limit " + std::to_string(p.limits_.max_depth) + ")");
}

void Parser::fail(SourcePos pos, std::string message, std::string hint) {
  error_ = source_.at(pos, std::move(message), std::move(hint));
  throw Failure{};
}

void Parser::fail_here(std::string message, std::string hint) { fail(peek().pos, std::move(message), std::move(hint)); }

void Parser::expected(std::string_view what) {
  const Token& t = peek();
  if (t.kind == Tok::Error) fail(t.pos, t.text);
  std::string found;
  if (t.kind == Tok::Ident) found = "'" + t.text + "'";
  else if (t.kind == Tok::String) found = "string '" + t.text + "'";
  else if (t.kind == Tok::Int || t.kind == Tok::Real) found = "number " + t.text;
  else found = std::string(describe(t.kind));
  fail(t.pos, "expected " + std::string(what) + ", found " + found);
}

const Token& Parser::peek(size_t ahead) const {
  size_t i = std::min(next_ + ahead, tokens_.size() - 1);
  return tokens_[i];
}

Token Parser::take() {
  if (peek().kind == Tok::Error) fail(peek().pos, peek().text);
  Token t = tokens_[next_];
  if (next_ + 1 < tokens_.size()) ++next_;
  return t;
}

bool Parser::accept(Tok kind) {
  if (peek().kind != kind) return false;
  take();
  return true;
}

bool Parser::at_keyword(std::string_view kw, size_t ahead) const { return peek(ahead).is_keyword(kw); }

bool Parser::accept_keyword(std::string_view kw) {
  if (!at_keyword(kw)) return false;
  take();
  return true;
}

void Parser::expect(Tok kind, std::string_view context) {
  if (!accept(kind)) expected(std::string(describe(kind)) + std::string(context));
}

void Parser::expect_keyword(std::string_view kw, std::string_view context) {
  if (!accept_keyword(kw)) expected(std::string(kw) + std::string(context));
}

bool Parser::at_reserved(size_t ahead) const {
  for (const char* kw : kReserved)
    if (peek(ahead).is_keyword(kw)) return true;
  return false;
}

std::string Parser::expect_name(std::string_view what) {
  if (peek().kind != Tok::Ident || at_reserved()) expected(what);
  return take().text;
}

Expected<std::shared_ptr<ast::Select>> Parser::parse_select_statement(bool implicit_star) {
  try {
    if (source_.text->size() > limits_.max_bytes)
      fail({1, 1}, "query is too large (" + std::to_string(source_.text->size()) + " bytes, limit " +
                       std::to_string(limits_.max_bytes) + ")");
    std::vector<ast::WithQuery> with;
    if (!implicit_star && at_keyword("WITH")) with = with_clause();
    auto s = select(implicit_star);
    s->with = std::move(with);
    if (peek().kind != Tok::End) {
      if (peek().kind == Tok::RParen) fail_here("unbalanced ')'");
      expected("end of query");
    }
    return s;
  } catch (const Failure&) {
    return Error::from(error_);
  }
}

Expected<ExprPtr> Parser::parse_expression_statement() {
  try {
    if (peek().kind == Tok::End) fail_here("expected an expression");
    auto e = expr();
    if (peek().kind != Tok::End) expected("end of expression");
    return e;
  } catch (const Failure&) {
    return Error::from(error_);
  }
}

// `WITH name AS (select), ...` before a query's SELECT. Names are checked
// (duplicates, order, recursion) by the binder, which knows the tables too.
std::vector<ast::WithQuery> Parser::with_clause() {
  take();  // WITH
  std::vector<ast::WithQuery> out;
  do {
    ast::WithQuery w;
    w.pos = peek().pos;
    w.name = expect_name("a name for the WITH query");
    if (peek().kind == Tok::Dot) fail_here("a WITH query's name is one word", "write e.g. WITH bad_pods AS (...)");
    expect_keyword("AS", " after the WITH query's name");
    expect(Tok::LParen, " before the WITH query");
    if (!at_keyword("SELECT")) expected("SELECT");
    w.select = select(false);
    expect(Tok::RParen, " to close the WITH query");
    out.push_back(std::move(w));
  } while (accept(Tok::Comma));
  if (at_keyword("WITH")) fail_here("only one WITH clause is allowed", "separate its queries with commas");
  if (!at_keyword("SELECT")) expected("SELECT after the WITH queries");
  return out;
}

// A SELECT and the branches UNIONed to it. An ORDER BY or LIMIT belongs to
// the whole union and is written after its last branch, as in SQL.
std::shared_ptr<ast::Select> Parser::select(bool implicit_star) {
  auto head = select_core(implicit_star);
  while (at_keyword("UNION")) {
    if (implicit_star) fail_here("UNION needs a full query", "write QUERY SELECT ... UNION SELECT ...");
    const auto& last = head->unions.empty() ? *head : *head->unions.back().select;
    if (!last.order_by.empty() || last.limit)
      fail(last.order_by.empty() ? last.limit_pos : last.order_by[0].expr->pos,
           "ORDER BY and LIMIT must come after the last branch of a UNION",
           "they apply to the whole union; a branch cannot have its own");
    ast::UnionBranch branch;
    branch.pos = take().pos;
    branch.all = accept_keyword("ALL");
    if (!at_keyword("SELECT")) expected("SELECT after UNION");
    branch.select = select_core(false);
    head->unions.push_back(std::move(branch));
  }
  if (!head->unions.empty()) {
    ast::Select& last = *head->unions.back().select;
    head->order_by = std::move(last.order_by);
    last.order_by.clear();
    head->limit = last.limit;
    head->limit_pos = last.limit_pos;
    last.limit.reset();
  }
  return head;
}

std::shared_ptr<ast::Select> Parser::select_core(bool implicit_star) {
  auto s = std::make_shared<ast::Select>();
  s->pos = peek().pos;
  DepthGuard guard(*this, s->pos);
  if (implicit_star) {
    s->implicit_select = true;
    ast::SelectItem all;
    all.star = true;
    all.pos = peek().pos;
    s->items.push_back(std::move(all));
  } else {
    if (!at_keyword("SELECT")) expected("SELECT");
    take();
    s->distinct = accept_keyword("DISTINCT");
    select_items(*s);
  }
  // SELECT without FROM evaluates its expressions once (handy for trying functions).
  if (implicit_star && !at_keyword("FROM")) expected("FROM");
  if (!at_keyword("FROM") && peek().kind != Tok::End && peek().kind != Tok::RParen && !at_keyword("ORDER") &&
      !at_keyword("LIMIT") && !at_keyword("WHERE") && !at_keyword("GROUP") && !at_keyword("HAVING") &&
      !at_keyword("UNION"))
    expected("FROM after the selected expressions");
  if (at_keyword("FROM")) from_clause(*s);
  if (accept_keyword("WHERE")) s->where = expr();
  if (at_keyword("GROUP")) {
    take();
    expect_keyword("BY", " after GROUP");
    do s->group_by.push_back(expr());
    while (accept(Tok::Comma));
  }
  if (accept_keyword("HAVING")) s->having = expr();
  if (at_keyword("ORDER")) s->order_by = order_by();
  if (at_keyword("LIMIT")) {
    take();
    s->limit_pos = peek().pos;
    if (peek().kind != Tok::Int) expected("a row count after LIMIT");
    Token n = take();
    int64_t v = 0;
    auto r = std::from_chars(n.text.data(), n.text.data() + n.text.size(), v);
    if (r.ec != std::errc()) fail(n.pos, "LIMIT " + n.text + " is out of range");
    s->limit = v;
  }
  return s;
}

void Parser::select_items(ast::Select& s) {
  do {
    ast::SelectItem item;
    item.pos = peek().pos;
    if (accept(Tok::Star)) {
      item.star = true;
    } else if (peek().kind == Tok::Ident && !at_reserved() && peek(1).kind == Tok::Dot &&
               peek(2).kind == Tok::Star) {
      item.star = true;
      item.qualifier = take().text;
      take();
      take();
    } else {
      if (at_keyword("FROM")) fail_here("expected an expression to select before FROM");
      item.expr = expr();
      if (accept_keyword("AS")) item.alias = expect_name("a column alias after AS");
      else if (peek().kind == Tok::Ident && !at_reserved()) item.alias = take().text;
    }
    s.items.push_back(std::move(item));
  } while (accept(Tok::Comma));
}

std::string Parser::optional_alias(SourcePos& pos) {
  pos = peek().pos;
  if (accept_keyword("AS")) {
    pos = peek().pos;
    return expect_name("an alias after AS");
  }
  if (peek().kind == Tok::Ident && !at_reserved()) return take().text;
  return {};
}

void Parser::from_clause(ast::Select& s) {
  take();  // FROM
  s.from.push_back(from_item(ast::JoinKind::First));
  for (;;) {
    ast::JoinKind join;
    bool cross_keyword = false;
    if (accept(Tok::Comma)) {
      join = ast::JoinKind::Cross;
    } else if (at_keyword("JOIN") || at_keyword("INNER")) {
      if (accept_keyword("INNER")) expect_keyword("JOIN", " after INNER");
      else take();
      join = ast::JoinKind::Inner;
    } else if (at_keyword("LEFT")) {
      take();
      accept_keyword("OUTER");
      expect_keyword("JOIN", " after LEFT");
      join = ast::JoinKind::Left;
    } else if (at_keyword("CROSS")) {
      take();
      expect_keyword("JOIN", " after CROSS");
      join = ast::JoinKind::Cross;
      cross_keyword = true;
    } else {
      break;
    }
    ast::FromItem item = from_item(join);
    item.cross_keyword = cross_keyword;
    bool on_allowed = join == ast::JoinKind::Inner || join == ast::JoinKind::Left;
    if (on_allowed && accept_keyword("ON")) {
      item.on = expr();
    } else if (on_allowed && item.kind == ast::FromItem::Kind::Table) {
      expected("ON and a join condition");
    }
    s.from.push_back(std::move(item));
  }
}

static bool is_generate_series(std::string_view name) {
  constexpr std::string_view fn = "generate_series";
  return name.size() == fn.size() && std::equal(name.begin(), name.end(), fn.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

ast::FromItem Parser::from_item(ast::JoinKind join) {
  ast::FromItem item;
  item.join = join;
  item.pos = peek().pos;
  if (at_keyword("UNNEST")) {
    take();
    item.kind = ast::FromItem::Kind::Unnest;
    expect(Tok::LParen, " after UNNEST");
    item.unnest = expr();
    expect(Tok::RParen, " to close UNNEST(");
    item.alias = optional_alias(item.alias_pos);
    if (item.alias.empty())
      fail(item.alias_pos, "UNNEST needs an alias to name its elements",
           "write e.g. UNNEST(p.spec.containers) AS c");
    return item;
  }
  if (accept(Tok::LParen)) {
    if (at_keyword("SELECT")) fail(item.pos, "subqueries in FROM are not supported", "use a JOIN or EXISTS");
    expected("a table name");
  }
  if (peek().kind != Tok::Ident || at_reserved()) expected("a table name");
  if (is_generate_series(peek().text) && peek(1).kind == Tok::LParen) {
    // `FROM generate_series(1, 5) AS g` is `UNNEST(generate_series(1, 5)) AS g`:
    // the alias names each number, as in PostgreSQL (and defaults to the
    // function's name). The catalog's tables all have dotted names.
    item.kind = ast::FromItem::Kind::Unnest;
    item.unnest = call(take());
    item.alias = optional_alias(item.alias_pos);
    if (item.alias.empty()) item.alias = "generate_series", item.alias_pos = item.pos;
    return item;
  }
  item.table = take().text;
  while (peek().kind == Tok::Dot && peek(1).kind == Tok::Ident) {
    take();
    item.table += '.';
    item.table += take().text;
  }
  if (accept(Tok::LParen)) {
    item.call = true;
    if (!accept(Tok::RParen)) {
      do item.args.push_back(expr());
      while (accept(Tok::Comma));
      expect(Tok::RParen, " to close the table arguments");
    }
  }
  item.alias = optional_alias(item.alias_pos);
  return item;
}

static ExprPtr make(ExprKind kind, SourcePos pos) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  return e;
}

static ExprPtr binary(Op op, SourcePos pos, ExprPtr l, ExprPtr r) {
  auto e = make(ExprKind::Binary, pos);
  e->op = op;
  e->args.push_back(std::move(l));
  e->args.push_back(std::move(r));
  return e;
}

ExprPtr Parser::expr() {
  DepthGuard guard(*this, peek().pos);
  return or_expr();
}

// A left-deep chain (a OR b OR c ...) is as deep as it is long, and the
// binder and evaluator recurse over it: chains count towards the depth limit.
void Parser::chain(unsigned& length, SourcePos pos) {
  if (depth_ + ++length > limits_.max_depth)
    fail(pos, "expression nested too deeply (limit " + std::to_string(limits_.max_depth) + ")",
         "split it, or use IN (...) instead of a long chain of OR");
}

ExprPtr Parser::or_expr() {
  auto l = and_expr();
  unsigned length = 0;
  while (at_keyword("OR")) {
    chain(length, peek().pos);
    SourcePos pos = take().pos;
    l = binary(Op::Or, pos, std::move(l), and_expr());
  }
  return l;
}

ExprPtr Parser::and_expr() {
  auto l = not_expr();
  unsigned length = 0;
  while (at_keyword("AND")) {
    chain(length, peek().pos);
    SourcePos pos = take().pos;
    l = binary(Op::And, pos, std::move(l), not_expr());
  }
  return l;
}

ExprPtr Parser::not_expr() {
  if (at_keyword("NOT")) {
    DepthGuard guard(*this, peek().pos);
    SourcePos pos = take().pos;
    auto e = make(ExprKind::Unary, pos);
    e->op = Op::Not;
    e->args.push_back(not_expr());
    return e;
  }
  return comparison();
}

ExprPtr Parser::comparison() {
  auto l = additive();
  unsigned length = 0;
  for (;;) {
    if (peek().kind != Tok::End) chain(length, peek().pos);
    const Token& t = peek();
    Op op;
    switch (t.kind) {
      case Tok::Eq: op = Op::Eq; break;
      case Tok::Ne: op = Op::Ne; break;
      case Tok::Lt: op = Op::Lt; break;
      case Tok::Le: op = Op::Le; break;
      case Tok::Gt: op = Op::Gt; break;
      case Tok::Ge: op = Op::Ge; break;
      default: goto keywords;
    }
    {
      SourcePos pos = take().pos;
      l = binary(op, pos, std::move(l), additive());
      continue;
    }
  keywords:
    if (at_keyword("IS")) {
      SourcePos pos = take().pos;
      auto e = make(ExprKind::IsNull, pos);
      e->negated = accept_keyword("NOT");
      if (!accept_keyword("NULL")) expected(e->negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
      e->args.push_back(std::move(l));
      l = std::move(e);
      continue;
    }
    bool negated = false;
    size_t ahead = 0;
    if (at_keyword("NOT") && (at_keyword("IN", 1) || at_keyword("LIKE", 1) || at_keyword("BETWEEN", 1))) {
      negated = true;
      ahead = 1;
    }
    if (at_keyword("BETWEEN", ahead)) {
      if (negated) take();
      SourcePos pos = take().pos;
      auto e = make(ExprKind::Between, pos);
      e->negated = negated;
      e->args.push_back(std::move(l));
      e->args.push_back(additive());
      expect_keyword("AND", " in BETWEEN ... AND ...");
      e->args.push_back(additive());
      l = std::move(e);
      continue;
    }
    if (at_keyword("LIKE", ahead)) {
      if (negated) take();
      SourcePos pos = take().pos;
      auto e = make(ExprKind::Like, pos);
      e->negated = negated;
      e->args.push_back(std::move(l));
      e->args.push_back(additive());
      l = std::move(e);
      continue;
    }
    if (at_keyword("IN", ahead)) {
      if (negated) take();
      SourcePos pos = take().pos;
      expect(Tok::LParen, " after IN");
      if (at_keyword("SELECT")) {
        auto e = make(ExprKind::InSelect, pos);
        e->negated = negated;
        e->args.push_back(std::move(l));
        e->subquery = select(false);
        expect(Tok::RParen, " to close IN (SELECT ...");
        l = std::move(e);
        continue;
      }
      auto e = make(ExprKind::InList, pos);
      e->negated = negated;
      e->args.push_back(std::move(l));
      if (peek().kind == Tok::RParen) fail_here("IN needs at least one value");
      do e->args.push_back(expr());
      while (accept(Tok::Comma));
      expect(Tok::RParen, " to close the IN list");
      l = std::move(e);
      continue;
    }
    return l;
  }
}

ExprPtr Parser::additive() {
  auto l = multiplicative();
  unsigned length = 0;
  for (;;) {
    Op op;
    if (peek().kind == Tok::Plus) op = Op::Add;
    else if (peek().kind == Tok::Minus) op = Op::Sub;
    else if (peek().kind == Tok::Concat) op = Op::Concat;
    else return l;
    chain(length, peek().pos);
    SourcePos pos = take().pos;
    l = binary(op, pos, std::move(l), multiplicative());
  }
}

ExprPtr Parser::multiplicative() {
  auto l = unary();
  unsigned length = 0;
  for (;;) {
    Op op;
    if (peek().kind == Tok::Star) op = Op::Mul;
    else if (peek().kind == Tok::Slash) op = Op::Div;
    else if (peek().kind == Tok::Percent) op = Op::Mod;
    else return l;
    chain(length, peek().pos);
    SourcePos pos = take().pos;
    l = binary(op, pos, std::move(l), unary());
  }
}

ExprPtr Parser::unary() {
  if (peek().kind == Tok::Minus) {
    DepthGuard guard(*this, peek().pos);
    SourcePos pos = take().pos;
    auto operand = unary();
    // Fold "-5" into a literal so that negative constants stay constants.
    if (operand->kind == ExprKind::Literal && operand->literal.kind == ast::Literal::Kind::Int &&
        operand->literal.i != INT64_MIN) {
      operand->literal.i = -operand->literal.i;
      operand->pos = pos;
      return operand;
    }
    if (operand->kind == ExprKind::Literal && operand->literal.kind == ast::Literal::Kind::Real) {
      operand->literal.d = -operand->literal.d;
      operand->pos = pos;
      return operand;
    }
    auto e = make(ExprKind::Unary, pos);
    e->op = Op::Neg;
    e->args.push_back(std::move(operand));
    return e;
  }
  if (peek().kind == Tok::Plus) {
    take();
    return unary();
  }
  return postfix(primary());
}

ExprPtr Parser::postfix(ExprPtr base) {
  unsigned length = 0;
  while (peek().kind == Tok::Dot || peek().kind == Tok::LBracket) {
    chain(length, peek().pos);
    if (base->kind != ExprKind::Path || base->parenthesized) {
      auto path = make(ExprKind::Path, base->pos);
      path->base = std::move(base);
      base = std::move(path);
    }
    if (accept(Tok::Dot)) {
      ast::PathStep step;
      step.pos = peek().pos;
      if (peek().kind == Tok::Star) fail_here("'.*' is only allowed in the SELECT list", "to flatten an array write [*]");
      if (peek().kind != Tok::Ident) expected("a field name after '.'");
      step.field = take().text;
      base->steps.push_back(std::move(step));
    } else {
      path_bracket(*base);
    }
  }
  return base;
}

void Parser::path_bracket(Expr& path) {
  ast::PathStep step;
  step.pos = take().pos;  // [
  DepthGuard guard(*this, step.pos);
  if (peek().kind == Tok::Star && peek(1).kind == Tok::RBracket) {
    take();
    step.kind = ast::PathStep::Kind::Wildcard;
  } else if (peek().kind == Tok::String && peek(1).kind == Tok::RBracket) {
    step.kind = ast::PathStep::Kind::Field;
    step.bracketed = true;
    step.field = take().text;
  } else if ((peek().kind == Tok::Int && peek(1).kind == Tok::RBracket) ||
             (peek().kind == Tok::Minus && peek(1).kind == Tok::Int && peek(2).kind == Tok::RBracket)) {
    bool negative = accept(Tok::Minus);
    Token n = take();
    int64_t v = 0;
    auto r = std::from_chars(n.text.data(), n.text.data() + n.text.size(), v);
    if (r.ec != std::errc()) fail(n.pos, "array index " + n.text + " is out of range");
    step.kind = ast::PathStep::Kind::Index;
    step.index = negative ? -v : v;
  } else {
    if (peek().kind == Tok::RBracket) fail_here("empty brackets", "write [0] for an element, ['key'] for a key, [*] for all elements or [field = value] to filter");
    step.kind = ast::PathStep::Kind::Filter;
    step.filter = expr();
  }
  expect(Tok::RBracket, " to close '['");
  path.steps.push_back(std::move(step));
}

ExprPtr Parser::primary() {
  DepthGuard guard(*this, peek().pos);
  const Token& t = peek();
  SourcePos pos = t.pos;
  switch (t.kind) {
    case Tok::Int: {
      Token n = take();
      auto e = make(ExprKind::Literal, pos);
      auto r = std::from_chars(n.text.data(), n.text.data() + n.text.size(), e->literal.i);
      if (r.ec != std::errc()) {
        // Too large for 64 bits: keep it as a real rather than refuse it.
        e->literal.kind = ast::Literal::Kind::Real;
        auto rd = std::from_chars(n.text.data(), n.text.data() + n.text.size(), e->literal.d);
        if (rd.ec != std::errc()) fail(pos, "number " + n.text + " is out of range");
      } else {
        e->literal.kind = ast::Literal::Kind::Int;
      }
      return e;
    }
    case Tok::Real: {
      Token n = take();
      auto e = make(ExprKind::Literal, pos);
      e->literal.kind = ast::Literal::Kind::Real;
      double d = 0;
      auto r = std::from_chars(n.text.data(), n.text.data() + n.text.size(), d);
      if (r.ec != std::errc()) fail(pos, "number " + n.text + " is out of range");
      e->literal.d = d;
      return e;
    }
    case Tok::String: {
      auto e = make(ExprKind::Literal, pos);
      e->literal.kind = ast::Literal::Kind::String;
      e->literal.s = take().text;
      return e;
    }
    case Tok::At:
      take();
      return make(ExprKind::Element, pos);
    case Tok::LParen: {
      take();
      if (at_keyword("SELECT")) {
        auto e = make(ExprKind::Subquery, pos);
        e->subquery = select(false);
        expect(Tok::RParen, " to close the subquery");
        return e;
      }
      auto e = expr();
      expect(Tok::RParen, " to close '('");
      e->parenthesized = true;
      return e;
    }
    case Tok::Ident: {
      if (t.is_keyword("NULL") || t.is_keyword("TRUE") || t.is_keyword("FALSE")) {
        auto e = make(ExprKind::Literal, pos);
        if (t.is_keyword("NULL")) {
          e->literal.kind = ast::Literal::Kind::Null;
        } else {
          e->literal.kind = ast::Literal::Kind::Bool;
          e->literal.b = t.is_keyword("TRUE");
        }
        take();
        return e;
      }
      if (t.is_keyword("CASE")) {
        take();
        return case_expr(pos);
      }
      if (t.is_keyword("EXISTS")) {
        take();
        expect(Tok::LParen, " after EXISTS");
        if (!at_keyword("SELECT")) expected("SELECT after EXISTS (");
        auto e = make(ExprKind::Exists, pos);
        e->subquery = select(false);
        expect(Tok::RParen, " to close EXISTS (");
        return e;
      }
      if (at_reserved()) {
        std::string word = t.text;
        for (auto& c : word) c = char(std::toupper(static_cast<unsigned char>(c)));
        fail(pos, "expected an expression, found keyword " + word);
      }
      Token name = take();
      if (peek().kind == Tok::LParen) return call(std::move(name));
      auto e = make(ExprKind::Name, pos);
      e->name = std::move(name.text);
      return e;
    }
    default:
      expected("an expression");
  }
}

ExprPtr Parser::case_expr(SourcePos pos) {
  auto e = make(ExprKind::Case, pos);
  if (!at_keyword("WHEN")) {
    e->has_operand = true;
    e->args.push_back(expr());
  }
  if (!at_keyword("WHEN")) expected("WHEN in CASE");
  while (accept_keyword("WHEN")) {
    e->args.push_back(expr());
    expect_keyword("THEN", " after the WHEN condition");
    e->args.push_back(expr());
  }
  if (accept_keyword("ELSE")) {
    e->has_else = true;
    e->args.push_back(expr());
  }
  expect_keyword("END", " to close CASE");
  return e;
}

// `ORDER BY expr [ASC|DESC], ...`, the ORDER keyword next.
std::vector<ast::OrderItem> Parser::order_by() {
  take();  // ORDER
  expect_keyword("BY", " after ORDER");
  std::vector<ast::OrderItem> items;
  do {
    ast::OrderItem item;
    item.expr = expr();
    if (accept_keyword("DESC")) item.desc = true;
    else accept_keyword("ASC");
    items.push_back(std::move(item));
  } while (accept(Tok::Comma));
  return items;
}

ExprPtr Parser::call(Token name) {
  auto e = make(ExprKind::Call, name.pos);
  e->name = std::move(name.text);
  take();  // (
  if (accept(Tok::RParen)) return e;
  if (accept(Tok::Star)) {
    if (!accept(Tok::RParen)) expected("')' after " + e->name + "(*");
    e->star = true;
    return e;
  }
  e->distinct = accept_keyword("DISTINCT");
  do e->args.push_back(expr());
  while (accept(Tok::Comma));
  // array_agg(x ORDER BY y): the binder refuses it for other functions.
  if (at_keyword("ORDER")) e->order_by = order_by();
  expect(Tok::RParen, " to close the arguments of " + e->name + "(");
  return e;
}

Expected<Query> parse_query(std::string_view text, std::string_view file, const ParseLimits& limits) {
  Query q;
  q.source.file = std::string(file);
  q.source.text = std::make_shared<const std::string>(text);
  Parser parser(q.source, 0, text.size(), limits);
  auto s = parser.parse_select_statement(false);
  if (!s) return std::move(s).error();
  q.select = std::move(s).value();
  return q;
}

}  // namespace kinspect::kcql
