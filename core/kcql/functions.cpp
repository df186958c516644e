// The function registry and the general-purpose functions: strings, arrays
// and objects, casts, NULL handling.
#include "core/kcql/functions.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace kinspect::kcql {

namespace json = boost::json;

bool truthy(const Value& v) { return v.is_bool() && v.as_bool(); }

bool text_of(const Value& v, std::string& out) {
  out.clear();
  if (v.is_string()) {
    out.assign(v.as_string());
    return true;
  }
  if (v.is_number() || v.is_bool()) {
    append_text(out, v);
    return true;
  }
  return false;
}

bool text_of(const Value& v, std::string& scratch, std::string_view& out) {
  if (v.is_string()) {
    out = v.as_string();
    return true;
  }
  if (!text_of(v, scratch)) return false;
  out = scratch;
  return true;
}

static std::string_view trim_view(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool number_of(const Value& v, double& out) {
  if (v.is_number()) {
    out = v.as_double();
    return true;
  }
  if (!v.is_string()) return false;
  std::string_view s = trim_view(v.as_string());
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

Value make_array(Arena& arena, const std::vector<Value>& items) {
  packed::Writer w;
  size_t array = w.open_array();
  for (const auto& v : items) write_value(w, v);
  w.close(array);
  return Value::json(arena.keep(w));
}

namespace {

// UTF-8 aware helpers: lengths and substrings count characters, not bytes.
size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

size_t utf8_offset(std::string_view s, size_t chars) {
  size_t i = 0;
  while (i < s.size() && chars > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --chars;
  }
  return i;
}

Value string_arg_fail(FunctionContext& ctx, std::string_view fn, const Value& v) {
  return ctx.fail(std::string(fn) + "() expects text, got " + std::string(kind_name(v)));
}

#define REQUIRE_TEXT(fn, v, out) \
  if (!text_of(v, out)) return string_arg_fail(ctx, fn, v)
// The same into a view (plus a scratch buffer named after it).
#define REQUIRE_TEXT_VIEW(fn, v, out) \
  std::string out##_scratch;           \
  std::string_view out;                \
  if (!text_of(v, out##_scratch, out)) return string_arg_fail(ctx, fn, v)

// `s` (the text of `in`) with each byte passed through `map`, in the arena.
// When no byte changes and `in` already is text, `in` itself: most names a
// check lower-cases or rewrites are left as they were, and a copy per row
// was most of these functions' cost.
template <class Map>
Value map_bytes(FunctionContext& ctx, const Value& in, std::string_view s, Map map) {
  size_t same = 0;
  while (same < s.size() && map(s[same]) == s[same]) ++same;
  if (same == s.size() && in.is_string()) return in;
  char* out = ctx.arena.allocate_chars(s.size());
  std::memcpy(out, s.data(), same);
  for (size_t i = same; i < s.size(); ++i) out[i] = map(s[i]);
  return Value::string({out, s.size()});
}

// ASCII only, whatever the process's locale: the documented meaning.
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c; }
char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? char(c - ('a' - 'A')) : c; }

Value fn_lower(FunctionContext& ctx, const Value* a, size_t) {
  REQUIRE_TEXT_VIEW("lower", a[0], s);
  return map_bytes(ctx, a[0], s, ascii_lower);
}

Value fn_upper(FunctionContext& ctx, const Value* a, size_t) {
  REQUIRE_TEXT_VIEW("upper", a[0], s);
  return map_bytes(ctx, a[0], s, ascii_upper);
}

Value fn_contains(FunctionContext& ctx, const Value* a, size_t) {
  // contains() on an array means membership, which reads naturally in checks.
  if (a[0].is_array()) {
    for (packed::Ref e : a[0].as_json().elements())
      if (equal(Value::json(e), a[1])) return Value::boolean(true);
    return Value::boolean(false);
  }
  REQUIRE_TEXT_VIEW("contains", a[0], s);
  REQUIRE_TEXT_VIEW("contains", a[1], t);
  return Value::boolean(s.find(t) != std::string_view::npos);
}

Value fn_starts_with(FunctionContext& ctx, const Value* a, size_t) {
  REQUIRE_TEXT_VIEW("starts_with", a[0], s);
  REQUIRE_TEXT_VIEW("starts_with", a[1], t);
  return Value::boolean(s.starts_with(t));
}

Value fn_ends_with(FunctionContext& ctx, const Value* a, size_t) {
  REQUIRE_TEXT_VIEW("ends_with", a[0], s);
  REQUIRE_TEXT_VIEW("ends_with", a[1], t);
  return Value::boolean(s.ends_with(t));
}

Value fn_split(FunctionContext& ctx, const Value* a, size_t) {
  std::string s, sep;
  REQUIRE_TEXT("split", a[0], s);
  REQUIRE_TEXT("split", a[1], sep);
  json::array out(ctx.arena.storage());
  if (sep.empty()) {
    for (size_t i = 0; i < s.size();) {
      size_t next = utf8_offset(std::string_view(s).substr(i), 1);
      out.emplace_back(json::string_view(s.data() + i, next));
      i += next;
    }
  } else {
    size_t start = 0;
    for (;;) {
      size_t p = s.find(sep, start);
      out.emplace_back(json::string_view(s.data() + start, (p == std::string::npos ? s.size() : p) - start));
      if (p == std::string::npos) break;
      start = p + sep.size();
    }
  }
  return Value::json(ctx.arena.keep(json::value(std::move(out), ctx.arena.storage())));
}

Value fn_replace(FunctionContext& ctx, const Value* a, size_t) {
  REQUIRE_TEXT_VIEW("replace", a[0], s);
  REQUIRE_TEXT_VIEW("replace", a[1], from);
  REQUIRE_TEXT_VIEW("replace", a[2], to);
  constexpr size_t npos = std::string_view::npos;
  const size_t first = from.empty() ? npos : s.find(from);
  if (first == npos) return a[0].is_string() ? a[0] : ctx.arena.string(s);
  // Sized first, then written once into the arena.
  size_t found = 0;
  for (size_t p = first; p != npos; p = s.find(from, p + from.size())) ++found;
  const size_t n = s.size() - found * from.size() + found * to.size();
  char* out = ctx.arena.allocate_chars(n);
  char* w = out;
  size_t start = 0;
  for (size_t p = first; p != npos; start = p + from.size(), p = s.find(from, start)) {
    w = std::copy(s.data() + start, s.data() + p, w);
    w = std::copy(to.begin(), to.end(), w);
  }
  std::copy(s.data() + start, s.data() + s.size(), w);
  return Value::string({out, n});
}

Value fn_length(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_json()) return Value::integer(int64_t(a[0].as_json().size()));
  REQUIRE_TEXT_VIEW("length", a[0], s);
  return Value::integer(int64_t(utf8_length(s)));
}

Value fn_substr(FunctionContext& ctx, const Value* a, size_t n) {
  std::string s;
  REQUIRE_TEXT("substr", a[0], s);
  double start, len = 1e15;
  if (!number_of(a[1], start) || (n > 2 && !number_of(a[2], len)))
    return ctx.fail("substr() expects numbers for start and length");
  // 1-based like SQL; a start before the first character eats into the length.
  // Clamped first: converting an out-of-range double to an integer is undefined.
  auto clamp = [](double d) { return std::isnan(d) ? 0.0 : std::clamp(d, -1e15, 1e15); };
  int64_t first = int64_t(clamp(start)), count = int64_t(clamp(len));
  if (first < 1) {
    count += first - 1;
    first = 1;
  }
  if (count <= 0) return Value::string("");
  size_t b = utf8_offset(s, size_t(first - 1));
  size_t e = b + utf8_offset(std::string_view(s).substr(b), size_t(count));
  return ctx.arena.string(std::string_view(s).substr(b, e - b));
}

Value fn_trim(FunctionContext& ctx, const Value* a, size_t) {
  std::string s;
  REQUIRE_TEXT("trim", a[0], s);
  return ctx.arena.string(trim_view(s));
}

Value fn_concat(FunctionContext& ctx, const Value* a, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) append_text(out, a[i]);
  return ctx.arena.string(out);
}

Value fn_join(FunctionContext& ctx, const Value* a, size_t) {
  std::string sep;
  if (!a[0].is_array()) return ctx.fail("array_join() expects an array, got " + std::string(kind_name(a[0])));
  REQUIRE_TEXT("array_join", a[1], sep);
  std::string out;
  bool first = true;
  for (packed::Ref e : a[0].as_json().elements()) {
    if (e.is_null()) continue;
    if (!first) out += sep;
    first = false;
    append_text(out, Value::json(e));
  }
  return ctx.arena.string(out);
}

Value fn_coalesce(FunctionContext&, const Value* a, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!a[i].is_null()) return a[i];
  return {};
}

// "integer 3", "string 'a'": a value in an error message.
std::string described(const Value& v) {
  std::string text = to_text(v);
  return std::string(kind_name(v)) + " " + (v.is_string() ? "'" + text + "'" : text);
}

// greatest()/least(): NULLs are skipped as in PostgreSQL; values of kinds
// that do not compare (a number and a text) are an error, not a guess.
template <int Sign>
Value fn_extreme(FunctionContext& ctx, const Value* a, size_t n) {
  const char* name = Sign > 0 ? "greatest" : "least";
  Value best;
  for (size_t i = 0; i < n; ++i) {
    if (a[i].is_null()) continue;
    if (a[i].is_json())
      return ctx.fail(std::string(name) + "() compares numbers, text or booleans, got " + std::string(kind_name(a[i])));
    bool comparable = true;
    int c = best.is_null() ? 0 : compare(a[i], best, comparable);
    if (!comparable)
      return ctx.fail(std::string(name) + "() cannot compare " + described(best) + " with " + described(a[i]));
    if (best.is_null() || c * Sign > 0) best = a[i];
  }
  return best;
}

// array_concat(): the elements of every array argument in order; NULL
// arguments are skipped (as concat() skips them), all NULL gives NULL.
Value fn_array_concat(FunctionContext& ctx, const Value* a, size_t n) {
  packed::Writer w;
  size_t array = w.open_array();
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    if (a[i].is_null()) continue;
    if (!a[i].is_array())
      return ctx.fail("array_concat() expects arrays, argument " + std::to_string(i + 1) + " is " +
                      std::string(kind_name(a[i])));
    any = true;
    for (packed::Ref e : a[i].as_json().elements()) w.raw(e);
  }
  w.close(array);
  return any ? Value::json(ctx.arena.keep(w)) : Value();
}

// entries(): [{"key": k, "value": v}, ...] in document order, so that
// UNNEST(entries(labels)) e gives one row per pair (e.key, e.value).
Value fn_entries(FunctionContext& ctx, const Value* a, size_t) {
  if (!a[0].is_object()) return ctx.fail("entries() expects an object, got " + std::string(kind_name(a[0])));
  static const packed::FixedKey key("key"), value("value");
  packed::Writer w;
  size_t array = w.open_array();
  for (const auto& kv : a[0].as_json().members()) {
    size_t entry = w.open_object();
    w.key(key.id());
    w.string(kv.key());
    w.key(value.id());
    w.raw(kv.value());
    w.close(entry);
  }
  w.close(array);
  return Value::json(ctx.arena.keep(w));
}

Value fn_array_length(FunctionContext& ctx, const Value* a, size_t) {
  if (!a[0].is_array()) return ctx.fail("array_length() expects an array, got " + std::string(kind_name(a[0])));
  return Value::integer(int64_t(a[0].as_json().size()));
}

Value fn_array_contains(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_null()) return {};
  if (!a[0].is_array()) return ctx.fail("array_contains() expects an array, got " + std::string(kind_name(a[0])));
  if (a[1].is_null()) return {};
  for (packed::Ref e : a[0].as_json().elements())
    if (equal(Value::json(e), a[1])) return Value::boolean(true);
  return Value::boolean(false);
}

Value fn_keys(FunctionContext& ctx, const Value* a, size_t) {
  if (!a[0].is_object()) return ctx.fail("keys() expects an object, got " + std::string(kind_name(a[0])));
  packed::Writer w;
  size_t array = w.open_array();
  for (const auto& kv : a[0].as_json().members()) w.string(kv.key());
  w.close(array);
  return Value::json(ctx.arena.keep(w));
}

Value fn_has(FunctionContext& ctx, const Value* a, size_t) {
  std::string key;
  if (!text_of(a[1], key)) return {};
  if (a[0].is_null()) return Value::boolean(false);
  if (!a[0].is_object()) return Value::boolean(false);
  return Value::boolean(bool(a[0].as_json().find(key)));
}

Value fn_int(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_int()) return a[0];
  if (a[0].is_bool()) return Value::integer(a[0].as_bool());
  double d;
  if (!number_of(a[0], d) || !std::isfinite(d) || std::fabs(d) > 9.2e18)
    return ctx.fail("cannot convert " + to_text(a[0], "NULL") + " to an integer");
  return Value::integer(int64_t(std::trunc(d)));
}

Value fn_float(FunctionContext& ctx, const Value* a, size_t) {
  double d;
  if (a[0].is_bool()) return Value::real(a[0].as_bool());
  if (!number_of(a[0], d)) return ctx.fail("cannot convert " + to_text(a[0], "NULL") + " to a number");
  return Value::real(d);
}

Value fn_string(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_string()) return a[0];
  return ctx.arena.string(to_text(a[0]));
}

Value fn_bool(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_bool()) return a[0];
  if (a[0].is_number()) return Value::boolean(a[0].as_double() != 0);
  if (a[0].is_string()) {
    std::string s(trim_view(a[0].as_string()));
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "yes" || s == "1") return Value::boolean(true);
    if (s == "false" || s == "no" || s == "0") return Value::boolean(false);
  }
  return ctx.fail("cannot convert " + to_text(a[0], "NULL") + " to a boolean");
}

Value fn_typeof(FunctionContext&, const Value* a, size_t) { return Value::string(kind_name(a[0])); }

Value fn_abs(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_int() && a[0].as_int() != INT64_MIN) return Value::integer(std::llabs(a[0].as_int()));
  double d;
  if (!number_of(a[0], d)) return ctx.fail("abs() expects a number");
  return Value::real(std::fabs(d));
}

// generate_series(start, stop[, step]): integers only, so the bounds and the
// element count are exact; the count is capped so a typo cannot fill memory.
constexpr int64_t kMaxSeriesElements = 1000000;

Value fn_generate_series(FunctionContext& ctx, const Value* a, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!a[i].is_int())
      return ctx.fail("generate_series() expects integers, argument " + std::to_string(i + 1) + " is " +
                      std::string(kind_name(a[i])));
  const int64_t start = a[0].as_int(), stop = a[1].as_int(), step = n > 2 ? a[2].as_int() : 1;
  if (step == 0) return ctx.fail("generate_series() step must not be 0");
  __int128 span = step > 0 ? __int128(stop) - start : __int128(start) - stop;
  __int128 count = span < 0 ? 0 : span / (step > 0 ? __int128(step) : -__int128(step)) + 1;
  if (count > kMaxSeriesElements)
    return ctx.fail("generate_series() would give " + std::to_string(int64_t(std::min<__int128>(count, INT64_MAX))) +
                    " elements, more than the limit of " + std::to_string(kMaxSeriesElements));
  std::vector<Value> items;
  items.reserve(size_t(count));
  for (__int128 i = 0; i < count; ++i) items.push_back(Value::integer(int64_t(start + i * step)));
  return make_array(ctx.arena, items);
}

template <double (*F)(double)>
Value rounding(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_int()) return a[0];
  double d;
  if (!number_of(a[0], d)) return ctx.fail("expected a number, got " + to_text(a[0]));
  d = F(d);
  if (std::isfinite(d) && std::fabs(d) < 9e18) return Value::integer(int64_t(d));
  return Value::real(d);
}

}  // namespace

void register_core_functions(std::vector<FunctionDef>& out) {
  auto add = [&](FunctionDef d) { out.push_back(d); };
  add({"lower", 1, 1, fn_lower, "lower(text) -> text", "lower-cases ASCII letters"});
  add({"upper", 1, 1, fn_upper, "upper(text) -> text", "upper-cases ASCII letters"});
  add({"contains", 2, 2, fn_contains, "contains(text|array, text|value) -> boolean",
       "substring test on text, membership test on an array"});
  add({"starts_with", 2, 2, fn_starts_with, "starts_with(text, prefix) -> boolean", "prefix test"});
  add({"ends_with", 2, 2, fn_ends_with, "ends_with(text, suffix) -> boolean", "suffix test"});
  add({"split", 2, 2, fn_split, "split(text, separator) -> array", "splits text; an empty separator splits characters"});
  add({"replace", 3, 3, fn_replace, "replace(text, from, to) -> text", "replaces every occurrence"});
  add({"length", 1, 1, fn_length, "length(text|array|object) -> integer",
       "characters of text (UTF-8), elements of an array, keys of an object"});
  add({"substr", 2, 3, fn_substr, "substr(text, start[, length]) -> text", "1-based substring counted in characters"});
  add({"trim", 1, 1, fn_trim, "trim(text) -> text", "removes leading and trailing white space"});
  FunctionDef concat{"concat", 0, -1, fn_concat, "concat(value, ...) -> text", "concatenates the text of its arguments, skipping NULLs"};
  concat.null_propagating = false;
  add(concat);
  add({"array_join", 2, 2, fn_join, "array_join(array, separator) -> text", "joins the elements' text, skipping NULLs"});
  FunctionDef coalesce{"coalesce", 1, -1, fn_coalesce, "coalesce(value, ...) -> value", "the first argument that is not NULL"};
  coalesce.null_propagating = false;
  add(coalesce);
  FunctionDef ifnull{"ifnull", 2, 2, fn_coalesce, "ifnull(value, fallback) -> value", "value, or fallback when value is NULL"};
  ifnull.null_propagating = false;
  add(ifnull);
  FunctionDef greatest{"greatest", 1, -1, fn_extreme<1>, "greatest(value, ...) -> value",
                       "the largest argument, NULLs ignored; NULL when all are NULL"};
  greatest.null_propagating = false;
  add(greatest);
  FunctionDef least{"least", 1, -1, fn_extreme<-1>, "least(value, ...) -> value",
                    "the smallest argument, NULLs ignored; NULL when all are NULL"};
  least.null_propagating = false;
  add(least);
  FunctionDef array_concat{"array_concat", 1, -1, fn_array_concat, "array_concat(array, ...) -> array",
                           "the elements of every array in order, skipping NULL arguments"};
  array_concat.null_propagating = false;
  add(array_concat);
  add({"entries", 1, 1, fn_entries, "entries(object) -> array",
       "the object's pairs as [{\"key\": k, \"value\": v}, ...] in document order"});
  add({"array_length", 1, 1, fn_array_length, "array_length(array) -> integer", "number of elements"});
  FunctionDef array_contains{"array_contains", 2, 2, fn_array_contains, "array_contains(array, value) -> boolean",
                             "whether an element equals value"};
  array_contains.null_propagating = false;
  add(array_contains);
  add({"keys", 1, 1, fn_keys, "keys(object) -> array", "the object's keys in document order"});
  FunctionDef has{"has", 2, 2, fn_has, "has(object, key) -> boolean", "whether the object has the key (false for NULL)"};
  has.null_propagating = false;
  add(has);
  add({"int", 1, 1, fn_int, "int(value) -> integer", "integer from a number (truncated), numeric text or boolean"});
  add({"float", 1, 1, fn_float, "float(value) -> real", "real from a number or numeric text"});
  add({"string", 1, 1, fn_string, "string(value) -> text", "text of a value; objects and arrays as compact JSON"});
  add({"bool", 1, 1, fn_bool, "bool(value) -> boolean", "boolean from true/false/yes/no/1/0 or a number"});
  FunctionDef type_of{"typeof", 1, 1, fn_typeof, "typeof(value) -> text",
                      "null, boolean, integer, real, string, array or object"};
  type_of.null_propagating = false;
  add(type_of);
  add({"generate_series", 2, 3, fn_generate_series, "generate_series(start, stop[, step]) -> array",
       "the integers from start to stop (inclusive) by step (default 1); for UNNEST"});
  add({"abs", 1, 1, fn_abs, "abs(number) -> number", "absolute value"});
  add({"floor", 1, 1, rounding<std::floor>, "floor(number) -> integer", "rounds down"});
  add({"ceil", 1, 1, rounding<std::ceil>, "ceil(number) -> integer", "rounds up"});
  add({"round", 1, 1, rounding<std::round>, "round(number) -> integer", "rounds half away from zero"});
}

const std::vector<FunctionDef>& all_functions() {
  static const std::vector<FunctionDef> registry = [] {
    std::vector<FunctionDef> out;
    register_core_functions(out);
    register_k8s_functions(out);
    register_codec_functions(out);
    register_schedule_functions(out);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }();
  return registry;
}

const FunctionDef* find_function(std::string_view name) {
  const auto& all = all_functions();
  auto it = std::lower_bound(all.begin(), all.end(), name, [](const FunctionDef& d, std::string_view n) { return d.name < n; });
  return it != all.end() && it->name == name ? &*it : nullptr;
}

const std::vector<AggregateDef>& all_aggregates() {
  static const std::vector<AggregateDef> registry = {
      {"count", 0, 1, "count(*) | count([DISTINCT] value) -> integer", "rows, or values that are not NULL"},
      {"sum", 1, 1, "sum([DISTINCT] number) -> number", "sum of the non-NULL values; NULL for none"},
      {"min", 1, 1, "min(value) -> value", "smallest non-NULL value"},
      {"max", 1, 1, "max(value) -> value", "largest non-NULL value"},
      {"avg", 1, 1, "avg(number) -> real", "mean of the non-NULL values"},
      {"array_agg", 1, 1, "array_agg([DISTINCT] value) -> array", "the non-NULL values in input order"},
      {"max_by", 2, 2, "max_by(value, key) -> value", "value of the row with the largest non-NULL key"},
      {"min_by", 2, 2, "min_by(value, key) -> value", "value of the row with the smallest non-NULL key"},
      {"string_agg", 2, 2, "string_agg([DISTINCT] value, separator) -> text",
       "the non-NULL values' text joined by a constant separator"},
  };
  return registry;
}

const AggregateDef* find_aggregate(std::string_view name) {
  for (const auto& a : all_aggregates())
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<std::string> function_names() {
  std::vector<std::string> out;
  for (const auto& f : all_functions()) out.emplace_back(f.name);
  for (const auto& a : all_aggregates()) out.emplace_back(a.name);
  return out;
}

}  // namespace kinspect::kcql
