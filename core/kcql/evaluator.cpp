#include "core/kcql/evaluator.h"


#include <cmath>
#include <cstring>

namespace kinspect::kcql {

namespace json = boost::json;
using plan::Node;
using plan::NodeKind;
using ast::Op;

void Runtime::set_budget(uint64_t rows, std::chrono::milliseconds time, unsigned interval, std::string label) {
  row_budget_ = rows;
  time_budget_ = time;
  check_interval_ = interval ? interval : 1;
  until_clock_ = check_interval_;
  label_ = std::move(label);
  deadline_ = std::chrono::steady_clock::now() + time;
}

static std::string seconds_text(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

bool Runtime::within_deadline() {
  if (std::chrono::steady_clock::now() <= deadline_) return true;
  fail_at(reading, label_ + " exceeded its time budget of " + seconds_text(time_budget_));
  return false;
}

bool Runtime::over_row_budget() {
  fail_at(reading, label_ + " exceeded its row budget of " + std::to_string(row_budget_) + " rows");
  return false;
}

bool like_match(std::string_view s, std::string_view p) {
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  auto char_len = [](std::string_view t, size_t i) {
    size_t n = 1;
    while (i + n < t.size() && (static_cast<unsigned char>(t[i + n]) & 0xC0) == 0x80) ++n;
    return n;
  };
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
    } else if (pi < p.size() && p[pi] == '_') {
      si += char_len(s, si);
      ++pi;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++si;
      ++pi;
    } else if (star_p != std::string_view::npos) {
      pi = star_p;
      star_s += char_len(s, star_s);
      si = star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

namespace {

packed::Ref row_at(const Frame& frame, int depth, int source) {
  const Frame* f = &frame;
  for (int d = 0; d < depth && f; ++d) f = f->outer;
  if (!f || !f->tuple) return {};
  return f->tuple[source];
}

// SQL's three-valued truth: 1 true, 0 false, -1 unknown (NULL or not a boolean).
int truth(const Value& v) {
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  return -1;
}
Value from_truth(int t) { return t < 0 ? Value() : Value::boolean(t == 1); }

Value arithmetic(Op op, const Value& l, const Value& r) {
  if (!l.is_number() || !r.is_number()) return {};
  if (l.is_int() && r.is_int()) {
    int64_t a = l.as_int(), b = r.as_int(), out;
    switch (op) {
      case Op::Add: if (!__builtin_add_overflow(a, b, &out)) return Value::integer(out); break;
      case Op::Sub: if (!__builtin_sub_overflow(a, b, &out)) return Value::integer(out); break;
      case Op::Mul: if (!__builtin_mul_overflow(a, b, &out)) return Value::integer(out); break;
      case Op::Div:
        if (b == 0) return {};
        // Exact quotients stay integers; otherwise divide as reals (5 / 2 = 2.5),
        // which is what operators writing thresholds expect.
        if (!(a == INT64_MIN && b == -1) && a % b == 0) return Value::integer(a / b);
        return Value::real(double(a) / double(b));
      case Op::Mod:
        if (b == 0) return {};
        if (a == INT64_MIN && b == -1) return Value::integer(0);
        return Value::integer(a % b);
      default: return {};
    }
  }
  double a = l.as_double(), b = r.as_double();
  switch (op) {
    case Op::Add: return Value::real(a + b);
    case Op::Sub: return Value::real(a - b);
    case Op::Mul: return Value::real(a * b);
    case Op::Div: return b == 0 ? Value() : Value::real(a / b);
    case Op::Mod: return b == 0 ? Value() : Value::real(std::fmod(a, b));
    default: return {};
  }
}

Value comparison(Op op, const Value& l, const Value& r) {
  if (l.is_null() || r.is_null()) return {};
  if (op == Op::Eq) return Value::boolean(equal(l, r));
  if (op == Op::Ne) return Value::boolean(!equal(l, r));
  bool comparable;
  int c = compare(l, r, comparable);
  if (!comparable) return {};
  switch (op) {
    case Op::Lt: return Value::boolean(c < 0);
    case Op::Le: return Value::boolean(c <= 0);
    case Op::Gt: return Value::boolean(c > 0);
    case Op::Ge: return Value::boolean(c >= 0);
    default: return {};
  }
}

bool has_wildcard(const plan::Step* begin, const plan::Step* end) {
  for (auto* s = begin; s != end; ++s)
    if (s->kind == ast::PathStep::Kind::Wildcard) return true;
  return false;
}

// `cur[key]` for a key computed from the row: text names an object's field,
// an integer an array's element (negative from the end); a boolean is a
// constant predicate (the first element, or NULL); anything else is NULL.
Value computed_step(const Value& cur, const Value& key) {
  if (key.is_bool()) return key.as_bool() && cur.is_array() ? Value::json(cur.as_json().at(0)) : Value();
  if (key.is_string() && cur.is_object()) return Value::json(cur.as_json().find(key.as_string()));
  if (key.is_int() && cur.is_array()) {
    int64_t i = key.as_int();
    if (i < 0) i += int64_t(cur.as_json().size());
    return i < 0 ? Value() : Value::json(cur.as_json().at(size_t(i)));
  }
  return {};
}

// Follows a run of field steps from `obj` on packed values alone, and
// leaves `step` at the last one: `p.metadata.ownerReferences` needs no Value
// for `p.metadata`. An absent member or a non-object on the way is NULL, as
// a step at a time gives.
packed::Ref follow_fields(packed::Ref obj, const plan::Step*& step, const plan::Step* end) {
  packed::Ref r = obj.find(step->key_id);
  while (step + 1 != end && step[1].kind == ast::PathStep::Kind::Field) {
    if (!r || !r.is_object()) return {};
    r = r.find((++step)->key_id);
  }
  return r;
}

Value apply_steps(Value cur, const plan::Step* step, const plan::Step* end, const Frame& frame, Runtime& rt) {
  using K = ast::PathStep::Kind;
  for (; step != end; ++step) {
    if (cur.is_null()) return {};
    switch (step->kind) {
      case K::Field:
        if (!cur.is_object()) return {};
        cur = Value::json(follow_fields(cur.as_json(), step, end));
        break;
      case K::Index: {
        if (!cur.is_array()) return {};
        packed::Ref a = cur.as_json();
        int64_t i = step->index;
        if (i < 0) i += int64_t(a.size());
        if (i < 0) return {};
        cur = Value::json(a.at(size_t(i)));
        break;
      }
      case K::Filter: {
        if (step->computed) {
          cur = computed_step(cur, evaluate(*step->filter, frame, rt));
          break;
        }
        if (!cur.is_array()) return {};
        packed::Ref saved = rt.element;
        packed::Ref found;
        for (packed::Ref e : cur.as_json().elements()) {
          rt.element = e;
          bool match = truth(evaluate(*step->filter, frame, rt)) == 1;
          if (match) {
            found = e;
            break;
          }
        }
        rt.element = saved;
        cur = Value::json(found);
        break;
      }
      case K::Wildcard: {
        // Maps the rest of the path over the elements (or an object's values);
        // NULL results are dropped and nested [*] results are flattened.
        if (!cur.is_array() && !cur.is_object()) return {};
        bool flatten = has_wildcard(step + 1, end);
        packed::Writer out;
        size_t array = out.open_array();
        auto take = [&](packed::Ref e) {
          Value r = apply_steps(Value::json(e), step + 1, end, frame, rt);
          if (r.is_null()) return;
          if (flatten && r.is_array()) {
            for (packed::Ref x : r.as_json().elements()) out.raw(x);
          } else {
            write_value(out, r);
          }
        };
        packed::Ref container = cur.as_json();
        if (cur.is_array())
          for (packed::Ref e : container.elements()) take(e);
        else
          for (const auto& m : container.members()) take(m.value());
        out.close(array);
        return Value::json(rt.arena->keep(out));
      }
    }
  }
  return cur;
}

// `l || r`. Two strings (names joined into an owner, a prefix and a hash)
// go straight into the arena; other kinds as text through a buffer.
Value concat(Arena& arena, const Value& l, const Value& r) {
  if (l.is_string() && r.is_string()) {
    const std::string_view a = l.as_string(), b = r.as_string();
    if (b.empty()) return l;
    if (a.empty()) return r;
    char* out = arena.allocate_chars(a.size() + b.size());
    std::memcpy(out, a.data(), a.size());
    std::memcpy(out + a.size(), b.data(), b.size());
    return Value::string({out, a.size() + b.size()});
  }
  std::string s;
  append_text(s, l);
  append_text(s, r);
  return arena.string(s);
}

Value call(const Node& n, const Frame& frame, Runtime& rt) {
  constexpr size_t kInline = 8;
  Value inline_args[kInline];
  std::vector<Value> heap_args;
  Value* args = inline_args;
  if (n.args.size() > kInline) {
    heap_args.resize(n.args.size());
    args = heap_args.data();
  }
  for (size_t i = 0; i < n.args.size(); ++i) {
    args[i] = evaluate(*n.args[i], frame, rt);
    if (args[i].is_null() && n.fn->null_propagating) return {};
  }
  FunctionContext ctx{*rt.arena, rt.now, rt.function_error, n.prepared.get(), &rt.function_cache};
  return n.fn->impl(ctx, args, n.args.size());
}

}  // namespace

Value evaluate(const Node& n, const Frame& frame, Runtime& rt) {
  switch (n.kind) {
    case NodeKind::Const:
      return n.value;
    case NodeKind::Column: {
      packed::Ref row = row_at(frame, n.depth, n.source);
      if (!row || !row.is_object()) return {};
      return Value::json(row.find(n.key_id));
    }
    case NodeKind::Row:
      return Value::json(row_at(frame, n.depth, n.source));
    case NodeKind::Element:
      return Value::json(rt.element);
    case NodeKind::Param:
      return Value::json(rt.params[size_t(n.slot)]);
    case NodeKind::Path: {
      Value base = evaluate(*n.args[0], frame, rt);
      return apply_steps(base, n.steps.data(), n.steps.data() + n.steps.size(), frame, rt);
    }
    case NodeKind::Unary: {
      Value v = evaluate(*n.args[0], frame, rt);
      if (n.op == Op::Not) {
        int t = truth(v);
        return t < 0 ? Value() : Value::boolean(t == 0);
      }
      if (v.is_int() && v.as_int() != INT64_MIN) return Value::integer(-v.as_int());
      if (v.is_number()) return Value::real(-v.as_double());
      return {};
    }
    case NodeKind::Binary: {
      if (n.op == Op::And || n.op == Op::Or) {
        int l = truth(evaluate(*n.args[0], frame, rt));
        bool is_and = n.op == Op::And;
        if (l == (is_and ? 0 : 1)) return Value::boolean(!is_and);
        int r = truth(evaluate(*n.args[1], frame, rt));
        if (r == (is_and ? 0 : 1)) return Value::boolean(!is_and);
        if (l < 0 || r < 0) return {};
        return Value::boolean(is_and);
      }
      Value l = evaluate(*n.args[0], frame, rt);
      Value r = evaluate(*n.args[1], frame, rt);
      switch (n.op) {
        case Op::Eq: case Op::Ne: case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge:
          return comparison(n.op, l, r);
        case Op::Concat:
          if (l.is_null() || r.is_null()) return {};
          return concat(*rt.arena, l, r);
        default:
          if (l.is_null() || r.is_null()) return {};
          return arithmetic(n.op, l, r);
      }
    }
    case NodeKind::Between: {
      Value v = evaluate(*n.args[0], frame, rt);
      int lo = truth(comparison(Op::Ge, v, evaluate(*n.args[1], frame, rt)));
      int hi = truth(comparison(Op::Le, v, evaluate(*n.args[2], frame, rt)));
      int t = (lo == 0 || hi == 0) ? 0 : (lo < 0 || hi < 0 ? -1 : 1);
      if (n.negated && t >= 0) t = 1 - t;
      return from_truth(t);
    }
    case NodeKind::Like: {
      Value v = evaluate(*n.args[0], frame, rt);
      Value p = evaluate(*n.args[1], frame, rt);
      if (!v.is_string() || !p.is_string()) return {};
      return Value::boolean(like_match(v.as_string(), p.as_string()) != n.negated);
    }
    case NodeKind::IsNull:
      return Value::boolean(evaluate(*n.args[0], frame, rt).is_null() != n.negated);
    case NodeKind::InList: {
      Value v = evaluate(*n.args[0], frame, rt);
      if (v.is_null()) return {};
      bool saw_null = false;
      for (size_t i = 1; i < n.args.size(); ++i) {
        Value item = evaluate(*n.args[i], frame, rt);
        if (item.is_null()) saw_null = true;
        else if (equal(v, item)) return Value::boolean(!n.negated);
      }
      return saw_null ? Value() : Value::boolean(n.negated);
    }
    case NodeKind::InSubquery: {
      Value t = rt.in_subquery(n.slot, evaluate(*n.args[0], frame, rt), frame);
      if (n.negated && t.is_bool()) return Value::boolean(!t.as_bool());
      return t;
    }
    case NodeKind::Exists:
      return rt.exists(n.slot, frame);
    case NodeKind::ScalarSubquery:
      return rt.scalar_subquery(n.slot, frame);
    case NodeKind::Case: {
      size_t i = 0;
      Value operand;
      if (n.has_operand) operand = evaluate(*n.args[i++], frame, rt);
      size_t pairs_end = n.args.size() - (n.has_else ? 1 : 0);
      for (; i + 2 <= pairs_end; i += 2) {
        Value w = evaluate(*n.args[i], frame, rt);
        bool hit = n.has_operand ? (!operand.is_null() && !w.is_null() && equal(operand, w)) : truth(w) == 1;
        if (hit) return evaluate(*n.args[i + 1], frame, rt);
      }
      return n.has_else ? evaluate(*n.args.back(), frame, rt) : Value();
    }
    case NodeKind::Call: {
      if (n.memo < 0 || size_t(n.memo) >= rt.memo.size()) return call(n, frame, rt);
      auto& [known, value] = rt.memo[size_t(n.memo)];
      if (!known) {
        Arena* rows = rt.arena;
        rt.arena = &rt.memo_arena;
        value = call(n, frame, rt);
        rt.arena = rows;
        known = !rt.failed();
      }
      return value;
    }
    case NodeKind::Aggregate:
      return rt.group ? rt.group[n.slot] : Value();
    case NodeKind::Output:
      // Bound only where the outputs are computed first (binder.cpp's
      // output_ref); elsewhere the expression itself.
      if (!rt.row_outputs) return evaluate(*n.args[0], frame, rt);
      return (*rt.row_outputs)[rt.row_outputs_at + size_t(n.slot)];
  }
  return {};
}

}  // namespace kinspect::kcql
