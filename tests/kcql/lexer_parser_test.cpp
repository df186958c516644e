// Lexer and parser: tokens, positions, comments, precedence, round trips.
#include <gtest/gtest.h>

#include "core/kcql/lexer.h"
#include "core/kcql/parser.h"
#include "fixtures.h"

namespace kinspect::kcql::test {
namespace {

TEST(Lexer, TokensAndPositions) {
  std::string text = "SELECT n.name -- comment\n  FROM k8s.nodes n WHERE x >= 1.5e3 || 'it''s' <> \"q\"";
  auto tokens = Lexer(text).tokenize();
  std::vector<Tok> kinds;
  for (const auto& t : tokens) kinds.push_back(t.kind);
  EXPECT_EQ(kinds, (std::vector<Tok>{Tok::Ident, Tok::Ident, Tok::Dot, Tok::Ident, Tok::Ident, Tok::Ident, Tok::Dot,
                                     Tok::Ident, Tok::Ident, Tok::Ident, Tok::Ident, Tok::Ge, Tok::Real, Tok::Concat,
                                     Tok::String, Tok::Ne, Tok::String, Tok::End}));
  EXPECT_EQ(tokens[4].pos.line, 2u);
  EXPECT_EQ(tokens[4].pos.column, 3u);
  EXPECT_TRUE(tokens[4].line_start);
  EXPECT_EQ(tokens[14].text, "it's");
  EXPECT_TRUE(tokens[16].quoted_double);
}

TEST(Lexer, ColumnsCountCharactersNotBytes) {
  auto tokens = Lexer("'é' x").tokenize();
  EXPECT_EQ(tokens[1].pos.column, 5u);
}

TEST(Lexer, BackslashesAreLiteral) {
  auto tokens = Lexer(R"('^v\d+\.\d+$')").tokenize();
  EXPECT_EQ(tokens[0].text, R"(^v\d+\.\d+$)");
}

TEST(Parser, KeywordsAreCaseInsensitive) {
  auto q = parse_query("select distinct n.name from k8s.nodes n where n.name like 'w%' order by 1 desc limit 1");
  ASSERT_TRUE(q.ok()) << q.error().format();
  EXPECT_TRUE(q->select->distinct);
  EXPECT_EQ(q->select->order_by.size(), 1u);
  EXPECT_EQ(*q->select->limit, 1);
}

TEST(Parser, PrecedenceRoundTrip) {
  auto q = parse_query("SELECT 1 + 2 * 3 - -4, a OR b AND NOT c = d, x || y = z FROM t");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(ast::render(*q->select->items[0].expr), "1 + 2 * 3 - -4");
  EXPECT_EQ(ast::render(*q->select->items[1].expr), "(a OR (b AND NOT c = d))");
  EXPECT_EQ(ast::render(*q->select->items[2].expr), "x || y = z");
  EXPECT_EQ(q->select->items[2].expr->op, ast::Op::Eq);
}

TEST(Parser, PathsRoundTrip) {
  const char* text =
      "SELECT p.metadata.labels['app.kubernetes.io/name'], c.ports[0], p.spec.containers[*].image, "
      "p.status.containerStatuses[name = 'app'].restartCount, x.args[@ LIKE '--%'], condition(p, 'Ready').status "
      "FROM k8s.pods p, UNNEST(p.spec.containers) AS c";
  auto q = parse_query(text);
  ASSERT_TRUE(q.ok()) << q.error().format();
  EXPECT_EQ(ast::render(*q->select),
            "SELECT p.metadata.labels['app.kubernetes.io/name'], c.ports[0], p.spec.containers[*].image, "
            "p.status.containerStatuses[name = 'app'].restartCount, x.args[@ LIKE '--%'], condition(p, 'Ready').status "
            "FROM k8s.pods AS p, UNNEST(p.spec.containers) AS c");
  // The rendering parses back to the same rendering.
  auto again = parse_query(ast::render(*q->select));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ast::render(*again->select), ast::render(*q->select));
}

TEST(Parser, JoinsAndClauses) {
  auto q = parse_query(
      "SELECT p.metadata.namespace, count(*) FROM k8s.pods p LEFT OUTER JOIN k8s.nodes n ON n.name = p.spec.nodeName "
      "INNER JOIN k8s.namespaces ns ON ns.name = p.namespace CROSS JOIN k8s.version v "
      "LEFT JOIN UNNEST(p.spec.containers) c GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC, 1 ASC LIMIT 5");
  ASSERT_TRUE(q.ok()) << q.error().format();
  const auto& from = q->select->from;
  ASSERT_EQ(from.size(), 5u);
  EXPECT_EQ(from[1].join, ast::JoinKind::Left);
  EXPECT_EQ(from[2].join, ast::JoinKind::Inner);
  EXPECT_EQ(from[3].join, ast::JoinKind::Cross);
  EXPECT_EQ(from[4].kind, ast::FromItem::Kind::Unnest);
  EXPECT_EQ(from[4].join, ast::JoinKind::Left);
  EXPECT_TRUE(q->select->having != nullptr);
}

TEST(Parser, TableFunctionsAndNegativeLiterals) {
  auto q = parse_query("SELECT -1, -2.5, - x FROM net.tcp_probe('10.0.0.1', 6443) t");
  ASSERT_TRUE(q.ok()) << q.error().format();
  EXPECT_EQ(q->select->items[0].expr->literal.i, -1);
  EXPECT_DOUBLE_EQ(q->select->items[1].expr->literal.d, -2.5);
  EXPECT_EQ(q->select->items[2].expr->kind, ast::ExprKind::Unary);
  EXPECT_TRUE(q->select->from[0].call);
  EXPECT_EQ(q->select->from[0].args.size(), 2u);
}

TEST(Parser, KeywordsAsFieldNames) {
  auto q = parse_query("SELECT x.from, x.select.order, x['where'] FROM t x");
  ASSERT_TRUE(q.ok()) << q.error().format();
}

TEST(Parser, CommentsAnywhere) {
  auto q = parse_query("-- leading\nSELECT 1 -- one\n, 2 -- two\n-- trailing");
  ASSERT_TRUE(q.ok()) << q.error().format();
  EXPECT_EQ(q->select->items.size(), 2u);
}

TEST(Parser, UnicodeInStringsAndLabels) {
  auto rs = run("SELECT p.metadata.labels.app FROM k8s.pods p WHERE p.metadata.labels['app'] = 'café'");
  EXPECT_EQ(column(rs), (std::vector<std::string>{"\"café\""}));
}

}  // namespace
}  // namespace kinspect::kcql::test
