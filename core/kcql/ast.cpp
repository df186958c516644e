#include "core/kcql/ast.h"

namespace kinspect::kcql::ast {

static std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

static bool plain_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

static void render_to(std::string& out, const Expr& e);

static void render_args(std::string& out, const std::vector<ExprPtr>& args, size_t from = 0) {
  for (size_t i = from; i < args.size(); ++i) {
    if (i > from) out += ", ";
    render_to(out, *args[i]);
  }
}

static void render_to(std::string& out, const Expr& e) {
  switch (e.kind) {
    case ExprKind::Literal:
      switch (e.literal.kind) {
        case Literal::Kind::Null: out += "NULL"; break;
        case Literal::Kind::Bool: out += e.literal.b ? "TRUE" : "FALSE"; break;
        case Literal::Kind::Int: out += std::to_string(e.literal.i); break;
        case Literal::Kind::Real: {
          std::string s = std::to_string(e.literal.d);
          while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
          out += s;
          break;
        }
        case Literal::Kind::String: out += quote(e.literal.s); break;
      }
      break;
    case ExprKind::Name: out += e.name; break;
    case ExprKind::Element: out += '@'; break;
    case ExprKind::Path:
      render_to(out, *e.base);
      for (const auto& s : e.steps) {
        switch (s.kind) {
          case PathStep::Kind::Field:
            if (s.bracketed || !plain_identifier(s.field)) out += "[" + quote(s.field) + "]";
            else out += "." + s.field;
            break;
          case PathStep::Kind::Index: out += "[" + std::to_string(s.index) + "]"; break;
          case PathStep::Kind::Wildcard: out += "[*]"; break;
          case PathStep::Kind::Filter:
            out += '[';
            render_to(out, *s.filter);
            out += ']';
            break;
        }
      }
      break;
    case ExprKind::Unary:
      out += e.op == Op::Not ? "NOT " : "-";
      render_to(out, *e.args[0]);
      break;
    case ExprKind::Binary: {
      bool wrap = e.op == Op::And || e.op == Op::Or;
      if (wrap) out += '(';
      render_to(out, *e.args[0]);
      out += ' ';
      out += op_text(e.op);
      out += ' ';
      render_to(out, *e.args[1]);
      if (wrap) out += ')';
      break;
    }
    case ExprKind::Between:
      render_to(out, *e.args[0]);
      out += e.negated ? " NOT BETWEEN " : " BETWEEN ";
      render_to(out, *e.args[1]);
      out += " AND ";
      render_to(out, *e.args[2]);
      break;
    case ExprKind::Like:
      render_to(out, *e.args[0]);
      out += e.negated ? " NOT LIKE " : " LIKE ";
      render_to(out, *e.args[1]);
      break;
    case ExprKind::IsNull:
      render_to(out, *e.args[0]);
      out += e.negated ? " IS NOT NULL" : " IS NULL";
      break;
    case ExprKind::InList:
      render_to(out, *e.args[0]);
      out += e.negated ? " NOT IN (" : " IN (";
      render_args(out, e.args, 1);
      out += ')';
      break;
    case ExprKind::InSelect:
      render_to(out, *e.args[0]);
      out += e.negated ? " NOT IN (" : " IN (";
      out += render(*e.subquery);
      out += ')';
      break;
    case ExprKind::Exists:
      out += "EXISTS (" + render(*e.subquery) + ")";
      break;
    case ExprKind::Subquery:
      out += "(" + render(*e.subquery) + ")";
      break;
    case ExprKind::Case: {
      out += "CASE";
      size_t i = 0;
      if (e.has_operand) {
        out += ' ';
        render_to(out, *e.args[i++]);
      }
      size_t end = e.args.size() - (e.has_else ? 1 : 0);
      for (; i + 2 <= end; i += 2) {
        out += " WHEN ";
        render_to(out, *e.args[i]);
        out += " THEN ";
        render_to(out, *e.args[i + 1]);
      }
      if (e.has_else) {
        out += " ELSE ";
        render_to(out, *e.args.back());
      }
      out += " END";
      break;
    }
    case ExprKind::Call:
      out += e.name + "(";
      if (e.star) out += '*';
      if (e.distinct) out += "DISTINCT ";
      render_args(out, e.args);
      for (size_t i = 0; i < e.order_by.size(); ++i) {
        out += i ? ", " : " ORDER BY ";
        render_to(out, *e.order_by[i].expr);
        if (e.order_by[i].desc) out += " DESC";
      }
      out += ')';
      break;
  }
}

std::string render(const Expr& e) {
  std::string out;
  render_to(out, e);
  return out;
}

std::string render(const Select& s) {
  std::string out;
  for (size_t i = 0; i < s.with.size(); ++i)
    out += (i ? ", " : "WITH ") + s.with[i].name + " AS (" + render(*s.with[i].select) + ")" +
           (i + 1 == s.with.size() ? " " : "");
  out += s.distinct ? "SELECT DISTINCT " : "SELECT ";
  for (size_t i = 0; i < s.items.size(); ++i) {
    if (i) out += ", ";
    const auto& it = s.items[i];
    if (it.star) out += it.qualifier.empty() ? "*" : it.qualifier + ".*";
    else out += render(*it.expr);
    if (!it.alias.empty()) out += " AS " + it.alias;
  }
  out += " FROM ";
  for (size_t i = 0; i < s.from.size(); ++i) {
    const auto& f = s.from[i];
    if (i) {
      switch (f.join) {
        case JoinKind::Inner: out += " JOIN "; break;
        case JoinKind::Left: out += " LEFT JOIN "; break;
        default: out += ", "; break;
      }
    }
    if (f.kind == FromItem::Kind::Unnest) {
      out += "UNNEST(" + render(*f.unnest) + ")";
    } else {
      out += f.table;
      if (f.call) {
        out += '(';
        render_args(out, f.args);
        out += ')';
      }
    }
    if (!f.alias.empty()) out += " AS " + f.alias;
    if (f.on) out += " ON " + render(*f.on);
  }
  if (s.where) out += " WHERE " + render(*s.where);
  if (!s.group_by.empty()) {
    out += " GROUP BY ";
    render_args(out, s.group_by);
  }
  if (s.having) out += " HAVING " + render(*s.having);
  for (const auto& u : s.unions) out += (u.all ? " UNION ALL " : " UNION ") + render(*u.select);
  if (!s.order_by.empty()) {
    out += " ORDER BY ";
    for (size_t i = 0; i < s.order_by.size(); ++i) {
      if (i) out += ", ";
      out += render(*s.order_by[i].expr);
      if (s.order_by[i].desc) out += " DESC";
    }
  }
  if (s.limit) out += " LIMIT " + std::to_string(*s.limit);
  return out;
}

}  // namespace kinspect::kcql::ast
