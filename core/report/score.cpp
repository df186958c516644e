#include "core/report/score.h"

#include <boost/json/array.hpp>

#include <algorithm>

namespace kinspect::report {

uint64_t score_weight(Severity s) {
  switch (s) {
    case Severity::Critical: return 10;
    case Severity::Warning: return 3;
    case Severity::Info: return 1;
  }
  return 3;
}

namespace {

void add(Score& s, const CheckResult& c) {
  if (counts_as_not_checked(c)) {
    ++s.not_checked;
    return;
  }
  if (c.status != Status::Pass && c.status != Status::Fail) return;  // not applicable, optional
  const uint64_t w = score_weight(c.severity);
  ++s.scored_checks;
  s.scored_weight += w;
  if (c.status == Status::Pass) s.passed_weight += w;
}

void finish(Score& s) {
  if (s.scored_weight == 0) return;
  // Rounded down: 99.9 is not a clean bill of health.
  s.value = s.passed_weight * 100 / s.scored_weight;
}

}  // namespace

Scores compute_scores(const Report& r) {
  Scores out;
  for (const auto& c : r.checks) {
    add(out.cluster, c);
    auto it = std::find_if(out.categories.begin(), out.categories.end(),
                           [&](const CategoryScore& k) { return k.category == c.category; });
    if (it == out.categories.end()) it = out.categories.insert(out.categories.end(), CategoryScore{c.category, {}});
    add(it->score, c);
  }
  finish(out.cluster);
  for (auto& k : out.categories) finish(k.score);
  return out;
}

namespace {
boost::json::object one_json(const Score& s) {
  boost::json::object o;
  if (s.value) o["value"] = *s.value;
  else o["value"] = nullptr;
  o["incomplete"] = s.incomplete();
  o["passed_weight"] = s.passed_weight;
  o["scored_weight"] = s.scored_weight;
  o["scored_checks"] = s.scored_checks;
  o["not_checked"] = s.not_checked;
  return o;
}
}  // namespace

boost::json::object score_json(const Scores& scores) {
  boost::json::object o = one_json(scores.cluster);
  o["weights"] = boost::json::object{{"critical", score_weight(Severity::Critical)},
                                     {"warning", score_weight(Severity::Warning)},
                                     {"info", score_weight(Severity::Info)}};
  boost::json::array cats;
  for (const auto& k : scores.categories) {
    boost::json::object c{{"category", k.category}};
    for (const auto& kv : one_json(k.score)) c[kv.key()] = kv.value();
    cats.emplace_back(std::move(c));
  }
  o["categories"] = std::move(cats);
  return o;
}

std::string score_text(const Score& s) {
  if (!s.value) return s.not_checked ? "n/a (nothing could be checked)" : "n/a (nothing checked)";
  std::string t = std::to_string(*s.value) + "/100";
  if (s.incomplete()) t += " (incomplete: " + std::to_string(s.not_checked) + " not checked)";
  return t;
}

}  // namespace kinspect::report
