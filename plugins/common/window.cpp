#include "common/window.h"

#include <cmath>
#include <optional>
#include <stdexcept>

#include "common/text.h"

namespace plugin_common {

namespace {

std::optional<double> seconds_of(std::string_view t) {
  t = trim(t);
  double scale = 1;
  if (t.size() > 2 && t.substr(t.size() - 2) == "ms") scale = 0.001, t.remove_suffix(2);
  else if (!t.empty() && t.back() == 's') t.remove_suffix(1);
  else if (!t.empty() && t.back() == 'm') scale = 60, t.remove_suffix(1);
  auto n = parse_real(t);
  if (!n) {
    if (auto i = parse_int(t)) n = static_cast<double>(*i);
  }
  if (!n) return std::nullopt;
  return *n * scale;
}

}  // namespace

std::chrono::milliseconds parse_window(const kinspect::sdk::Value& v, std::chrono::milliseconds max, const std::string& what) {
  std::optional<double> s;
  if (v.is_text()) s = seconds_of(v.text());
  else if (v.type() == KI_VALUE_INT || v.type() == KI_VALUE_REAL) s = v.real();
  const double max_s = static_cast<double>(max.count()) / 1000;
  if (!s || !std::isfinite(*s) || *s <= 0 || *s > max_s)
    throw std::runtime_error(what + " must be a window such as '5s', '500ms' or 10 (seconds), above 0 and at most " +
                             std::to_string(static_cast<int64_t>(max_s)) + "s" +
                             (v.is_text() ? ", got '" + std::string(v.text()) + "'" : ""));
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(*s * 1000)));
}

}  // namespace plugin_common
