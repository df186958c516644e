// Functions that know Kubernetes conventions: conditions, versions, resource
// quantities, durations, timestamps, label selectors and image references.
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <ctime>
#include <optional>

#include "core/kcql/functions.h"
#include "core/util/time.h"

namespace kinspect::kcql {

namespace json = boost::json;

namespace {

// condition(obj, type): obj may be a whole object (its status.conditions), a
// status (its conditions) or the conditions array itself.
Value fn_condition(FunctionContext& ctx, const Value* a, size_t) {
  std::string type;
  if (!text_of(a[1], type)) return ctx.fail("condition() expects a condition type as text");
  static const packed::FixedKey kStatusKey("status"), kConditionsKey("conditions"), kTypeKey("type");
  const uint32_t kStatus = kStatusKey.id(), kConditions = kConditionsKey.id(), kType = kTypeKey.id();
  packed::Ref list;
  if (a[0].is_array()) {
    list = a[0].as_json();
  } else if (a[0].is_object()) {
    packed::Ref o = a[0].as_json();
    if (packed::Ref status = o.find(kStatus); status && status.is_object()) list = status.find(kConditions);
    if (!list) list = o.find(kConditions);
  } else {
    return ctx.fail("condition() expects an object or an array of conditions, got " + std::string(kind_name(a[0])));
  }
  if (!list || !list.is_array()) return {};
  for (packed::Ref c : list.elements()) {
    if (!c.is_object()) continue;
    packed::Ref t = c.find(kType);
    if (t && t.is_string() && t.get_string() == type) return Value::json(c);
  }
  return {};
}

struct Semver {
  int64_t major = 0, minor = 0, patch = 0;
  std::string pre;  // pre-release, e.g. "rc.1"; build metadata (+k3s1) is dropped
};

// Accepts what Kubernetes components report: "v1.28.3", "1.30",
// "v1.28.3-eks-abc1234", "v1.29.0+k3s1", "v1.27.1-gke.1000".
std::optional<Semver> parse_semver(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  Semver v;
  int64_t* parts[] = {&v.major, &v.minor, &v.patch};
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    if (k > 0) {
      if (i >= s.size() || s[i] != '.') {
        if (k == 1) return std::nullopt;  // a bare "1" is not a version
        break;
      }
      ++i;
    }
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    auto r = std::from_chars(s.data() + i, s.data() + s.size(), *parts[k]);
    // Bounded so that differences and skews cannot overflow.
    if (r.ec != std::errc() || *parts[k] > 1'000'000'000) return std::nullopt;
    i = size_t(r.ptr - s.data());
  }
  if (i < s.size() && s[i] == '-') {
    size_t end = s.find('+', i);
    v.pre = std::string(s.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1));
  } else if (i < s.size() && s[i] != '+') {
    return std::nullopt;
  }
  return v;
}

std::optional<Semver> semver_arg(FunctionContext& ctx, const Value& a, std::string_view fn) {
  std::string scratch;
  std::string_view s;
  if (!text_of(a, scratch, s)) {
    ctx.fail(std::string(fn) + "() expects a version as text");
    return std::nullopt;
  }
  auto v = parse_semver(s);
  if (!v) ctx.fail("invalid version '" + std::string(s) + "'");
  return v;
}

Value fn_semver_major(FunctionContext& ctx, const Value* a, size_t) {
  auto v = semver_arg(ctx, a[0], "semver_major");
  return v ? Value::integer(v->major) : Value();
}
Value fn_semver_minor(FunctionContext& ctx, const Value* a, size_t) {
  auto v = semver_arg(ctx, a[0], "semver_minor");
  return v ? Value::integer(v->minor) : Value();
}
Value fn_semver_patch(FunctionContext& ctx, const Value* a, size_t) {
  auto v = semver_arg(ctx, a[0], "semver_patch");
  return v ? Value::integer(v->patch) : Value();
}

// Pre-releases sort before the release (1.28.0-rc.1 < 1.28.0). Vendor suffixes
// such as "-eks-abc" look like pre-releases too; comparing two of them by text
// is as good as any order for them.
int semver_order(const Semver& x, const Semver& y) {
  if (x.major != y.major) return x.major < y.major ? -1 : 1;
  if (x.minor != y.minor) return x.minor < y.minor ? -1 : 1;
  if (x.patch != y.patch) return x.patch < y.patch ? -1 : 1;
  if (x.pre.empty() != y.pre.empty()) return x.pre.empty() ? 1 : -1;
  return x.pre < y.pre ? -1 : (x.pre > y.pre ? 1 : 0);
}

Value fn_semver_compare(FunctionContext& ctx, const Value* a, size_t) {
  auto x = semver_arg(ctx, a[0], "semver_compare");
  if (!x) return {};
  auto y = semver_arg(ctx, a[1], "semver_compare");
  if (!y) return {};
  return Value::integer(semver_order(*x, *y));
}

// Minor versions from b to a: minor_skew('v1.29.1', 'v1.27.3') = 2. Different
// majors count 1000 minors per major so that a skew check still fires.
Value fn_minor_skew(FunctionContext& ctx, const Value* a, size_t) {
  auto x = semver_arg(ctx, a[0], "minor_skew");
  if (!x) return {};
  auto y = semver_arg(ctx, a[1], "minor_skew");
  if (!y) return {};
  return Value::integer((x->major - y->major) * 1000 + (x->minor - y->minor));
}

Value number_result(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return Value::integer(int64_t(d));
  return Value::real(d);
}

// Kubernetes resource.Quantity: decimal SI (m, k, M, G, T, P, E, and n, u),
// binary SI (Ki .. Ei) and decimal exponents (1e3).
std::optional<double> parse_quantity(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  size_t digits = i;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == digits) return std::nullopt;
  double number = 0;
  std::string_view num = s.substr(s[0] == '+' ? 1 : 0, i - (s[0] == '+' ? 1 : 0));
  auto r = std::from_chars(num.data(), num.data() + num.size(), number);
  if (r.ec != std::errc() || r.ptr != num.data() + num.size()) return std::nullopt;
  std::string_view suffix = s.substr(i);
  // Fractional suffixes divide (100u is exactly 100 / 1e6, not 100 * 1e-6).
  static const std::pair<std::string_view, double> kFractions[] = {{"n", 1e9}, {"u", 1e6}, {"m", 1e3}};
  for (const auto& [name, divisor] : kFractions)
    if (suffix == name) return number / divisor;
  static const std::pair<std::string_view, double> kSuffixes[] = {
      {"", 1},       {"k", 1e3},    {"M", 1e6},
      {"G", 1e9},    {"T", 1e12},   {"P", 1e15},   {"E", 1e18},   {"Ki", 1024.0}, {"Mi", 1048576.0},
      {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0},
  };
  for (const auto& [name, factor] : kSuffixes)
    if (suffix == name) return number * factor;
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    int exponent = 0;
    auto e = std::from_chars(suffix.data() + 1, suffix.data() + suffix.size(), exponent);
    if (e.ec == std::errc() && e.ptr == suffix.data() + suffix.size()) return number * std::pow(10.0, exponent);
  }
  return std::nullopt;
}

Value fn_quantity(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_number()) return a[0];
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("quantity() expects text such as '500m' or '1Gi'");
  auto q = parse_quantity(s);
  if (!q) return ctx.fail("invalid quantity '" + std::string(s) + "'");
  return number_result(*q);
}

// Go's time.ParseDuration units plus d (day) and w (week), which operators
// write naturally in thresholds: '1h30m', '500ms', '7d'.
std::optional<double> parse_duration(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  if (s == "0") return 0.0;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double n = 0;
    auto r = std::from_chars(s.data(), s.data() + i, n);
    if (r.ec != std::errc() || r.ptr != s.data() + i) return std::nullopt;
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    double factor;
    if (unit == "ns") factor = 1e-9;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") factor = 1e-6;
    else if (unit == "ms") factor = 1e-3;
    else if (unit == "s") factor = 1;
    else if (unit == "m") factor = 60;
    else if (unit == "h") factor = 3600;
    else if (unit == "d") factor = 86400;
    else if (unit == "w") factor = 604800;
    else return std::nullopt;
    total += n * factor;
  }
  return negative ? -total : total;
}

Value fn_duration(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_number()) return a[0];
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("duration() expects text such as '24h' or '1h30m'");
  auto d = parse_duration(s);
  if (!d) return ctx.fail("invalid duration '" + std::string(s) + "' (use units ns, us, ms, s, m, h, d, w as in '1h30m')");
  return number_result(*d);
}

Value fn_ts(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_number()) return a[0];
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("ts() expects an RFC 3339 timestamp as text");
  auto t = parse_rfc3339(s);
  if (!t) return ctx.fail("invalid timestamp '" + std::string(s) + "' (expected RFC 3339, e.g. '2024-01-02T03:04:05Z')");
  return number_result(*t);
}

Value fn_now(FunctionContext& ctx, const Value*, size_t) { return number_result(ctx.now); }

Value fn_format_ts(FunctionContext& ctx, const Value* a, size_t) {
  double t;
  if (!number_of(a[0], t) || !std::isfinite(t) || std::fabs(t) > 1e13) return ctx.fail("format_ts() expects epoch seconds");
  return ctx.arena.string(format_rfc3339(std::time_t(std::floor(t))));
}

std::string value_text(packed::Ref v) {
  std::string s;
  text_of(Value::json(v), s);
  return s;
}

// Whether `labels` (an object, or an absent Ref: no labels) carry every
// key/value pair of `pairs`.
bool pairs_match(packed::Ref pairs, packed::Ref labels) {
  for (const auto& kv : pairs.members()) {
    packed::Ref l = labels ? labels.find(kv.key_id) : packed::Ref();
    if (!l || value_text(l) != value_text(kv.value())) return false;
  }
  return true;
}

// The labels argument: an object, or NULL for no labels.
bool labels_arg(FunctionContext& ctx, const Value& v, const char* fn, packed::Ref& labels, Value& failed) {
  if (v.is_object()) labels = v.as_json();
  else if (!v.is_null()) {
    failed = ctx.fail(std::string(fn) + "() expects labels as an object, got " + std::string(kind_name(v)));
    return false;
  }
  return true;
}

// A map selector (a Service's or a ReplicationController's .spec.selector):
// every pair must match, and an empty or absent map selects NOTHING, as the
// endpoints controller manages no endpoints for a Service without one.
Value fn_map_selector_matches(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_null()) return Value::boolean(false);
  if (!a[0].is_object()) return ctx.fail("map_selector_matches() expects a map of labels, got " + std::string(kind_name(a[0])));
  packed::Ref labels;
  Value failed;
  if (!labels_arg(ctx, a[1], "map_selector_matches", labels, failed)) return failed;
  packed::Ref sel = a[0].as_json();
  return Value::boolean(!sel.empty() && pairs_match(sel, labels));
}

// A LabelSelector {matchLabels, matchExpressions}, as the API server reads
// one (metav1.LabelSelectorAsSelector): NULL selects nothing, and a selector
// with no requirements ({} as a NetworkPolicy's podSelector: {} or a
// PodDisruptionBudget's selector: {} are sent) selects EVERYTHING. A plain
// map with pairs (a nodeSelector) must match them all; for a Service's
// selector, where {} selects nothing, use map_selector_matches.
Value fn_selector_matches(FunctionContext& ctx, const Value* a, size_t) {
  if (a[0].is_null()) return Value::boolean(false);
  if (!a[0].is_object()) return ctx.fail("selector_matches() expects a selector object, got " + std::string(kind_name(a[0])));
  packed::Ref labels;
  Value failed;
  if (!labels_arg(ctx, a[1], "selector_matches", labels, failed)) return failed;
  packed::Ref sel = a[0].as_json();
  auto label = [&](std::string_view key) { return labels ? labels.find(key) : packed::Ref(); };
  static const packed::FixedKey kMatchLabelsKey("matchLabels"), kMatchExpressionsKey("matchExpressions"),
      kKeyKey("key"), kOperatorKey("operator"), kValuesKey("values");
  const uint32_t kMatchLabels = kMatchLabelsKey.id(), kMatchExpressions = kMatchExpressionsKey.id(),
                 kKey = kKeyKey.id(), kOperator = kOperatorKey.id(), kValues = kValuesKey.id();
  packed::Ref match_labels = sel.find(kMatchLabels);
  packed::Ref match_expressions = sel.find(kMatchExpressions);
  bool label_selector = match_labels || match_expressions;
  if (!label_selector) return Value::boolean(pairs_match(sel, labels));  // {} has no pair to miss: everything
  if (match_labels && match_labels.is_object() && !pairs_match(match_labels, labels)) return Value::boolean(false);
  if (match_expressions && match_expressions.is_array()) {
    for (packed::Ref ex : match_expressions.elements()) {
      if (!ex.is_object()) return ctx.fail("matchExpressions entries must be objects");
      packed::Ref key = ex.find(kKey);
      packed::Ref op = ex.find(kOperator);
      if (!key || !op) return ctx.fail("a matchExpressions entry needs key and operator");
      packed::Ref l = label(value_text(key));
      std::string oper = value_text(op);
      bool in_values = false;
      if (packed::Ref values = ex.find(kValues); l && values && values.is_array())
        for (packed::Ref v : values.elements())
          if (value_text(v) == value_text(l)) in_values = true;
      bool ok;
      if (oper == "In") ok = l && in_values;
      else if (oper == "NotIn") ok = !l || !in_values;
      else if (oper == "Exists") ok = bool(l);
      else if (oper == "DoesNotExist") ok = !l;
      else return ctx.fail("unknown selector operator '" + oper + "'");
      if (!ok) return Value::boolean(false);
    }
  }
  return Value::boolean(true);
}

struct ImageRef {
  std::string_view repository, tag, digest;
};

// registry:5000/team/app:1.2@sha256:... — the tag is after the last ':' of
// the last path segment, so a registry port is not mistaken for a tag.
ImageRef parse_image(std::string_view image) {
  ImageRef r;
  size_t at = image.find('@');
  if (at != std::string_view::npos) {
    r.digest = image.substr(at + 1);
    image = image.substr(0, at);
  }
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = image.substr(colon + 1);
    image = image.substr(0, colon);
  }
  r.repository = image;
  return r;
}

Value fn_image_tag(FunctionContext& ctx, const Value* a, size_t) {
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("image_tag() expects an image reference as text");
  ImageRef r = parse_image(s);
  if (!r.tag.empty()) return ctx.arena.string(r.tag);
  // Pinned by digest only: there is no tag, and it is not "latest".
  if (!r.digest.empty()) return Value::string("");
  return Value::string("latest");
}

Value fn_image_repo(FunctionContext& ctx, const Value* a, size_t) {
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("image_repo() expects an image reference as text");
  return ctx.arena.string(parse_image(s).repository);
}

Value fn_image_digest(FunctionContext& ctx, const Value* a, size_t) {
  std::string scratch;
  std::string_view s;
  if (!text_of(a[0], scratch, s)) return ctx.fail("image_digest() expects an image reference as text");
  ImageRef r = parse_image(s);
  return r.digest.empty() ? Value() : ctx.arena.string(r.digest);
}

}  // namespace

void register_k8s_functions(std::vector<FunctionDef>& out) {
  auto add = [&](FunctionDef d) { out.push_back(d); };
  add({"condition", 2, 2, fn_condition, "condition(object|conditions, type) -> object",
       "the condition with that type from status.conditions (NULL if absent)"});
  add({"semver_major", 1, 1, fn_semver_major, "semver_major(version) -> integer", "major of 'v1.28.3-eks-1' is 1"});
  add({"semver_minor", 1, 1, fn_semver_minor, "semver_minor(version) -> integer", "minor of 'v1.28.3-eks-1' is 28"});
  add({"semver_patch", 1, 1, fn_semver_patch, "semver_patch(version) -> integer", "patch of 'v1.28.3-eks-1' is 3"});
  add({"semver_compare", 2, 2, fn_semver_compare, "semver_compare(a, b) -> integer", "-1, 0 or 1"});
  add({"minor_skew", 2, 2, fn_minor_skew, "minor_skew(a, b) -> integer", "minor versions from b up to a"});
  add({"quantity", 1, 1, fn_quantity, "quantity(text) -> number", "resource quantity: '500m' = 0.5, '1Gi' = 1073741824"});
  add({"duration", 1, 1, fn_duration, "duration(text) -> number", "seconds: '1h30m' = 5400"});
  add({"ts", 1, 1, fn_ts, "ts(text) -> number", "RFC 3339 timestamp to epoch seconds"});
  FunctionDef now{"now", 0, 0, fn_now, "now() -> number", "epoch seconds at the start of the run"};
  now.is_volatile = true;
  add(now);
  add({"format_ts", 1, 1, fn_format_ts, "format_ts(seconds) -> text", "epoch seconds to RFC 3339 (UTC)"});
  FunctionDef selector{"selector_matches", 2, 2, fn_selector_matches, "selector_matches(selector, labels) -> boolean",
                       "LabelSelector (matchLabels/matchExpressions, or a map of pairs) against labels; {} selects everything"};
  selector.null_propagating = false;
  add(selector);
  FunctionDef map_selector{"map_selector_matches", 2, 2, fn_map_selector_matches,
                           "map_selector_matches(map, labels) -> boolean",
                           "a Service's map selector against labels; an empty or absent map selects nothing"};
  map_selector.null_propagating = false;
  add(map_selector);
  add({"image_tag", 1, 1, fn_image_tag, "image_tag(image) -> text", "the tag; 'latest' when untagged, '' when pinned by digest only"});
  add({"image_repo", 1, 1, fn_image_repo, "image_repo(image) -> text", "the image without tag and digest"});
  add({"image_digest", 1, 1, fn_image_digest, "image_digest(image) -> text", "the digest after '@', or NULL"});
}

}  // namespace kinspect::kcql
