// A 0-100 score for a cluster and for each category of checks, so runs can be
// compared at a glance and trended (docs/reports.md, "Score", gives the formula
// and how it differs from Popeye's and Polaris').
//
// Each check that produced a verdict weighs by its severity (critical 10,
// warning 3, info 1); the score is the passed weight over the weight of all
// checks with a verdict, times 100, rounded down, so any failure keeps it
// below 100. Checks that could not run are left out of both sums and mark the
// score incomplete; when no check produced a verdict there is no score at all
// (never 100: nothing checked is not healthy).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/report/report.h"

namespace kinspect::report {

// The weight of a check of this severity in the score.
uint64_t score_weight(Severity s);

struct Score {
  // 0-100; absent when no check produced a verdict.
  std::optional<uint64_t> value;
  uint64_t passed_weight = 0, scored_weight = 0;  // the fraction's terms
  uint64_t scored_checks = 0;                     // checks with a verdict (pass or fail)
  uint64_t not_checked = 0;                       // checks left out that make it incomplete
  // Some check that should have run did not (counts_as_not_checked): the
  // score is over fewer checks than the profile selected.
  bool incomplete() const { return not_checked > 0; }
};

struct CategoryScore {
  std::string category;
  Score score;
};

struct Scores {
  Score cluster;
  // In the order categories first appear in the report.
  std::vector<CategoryScore> categories;
};

Scores compute_scores(const Report& report);

// The JSON form (the report's "score", SARIF's run.properties.score):
// {"value", "incomplete", "passed_weight", "scored_weight", "scored_checks",
// "not_checked", "weights", "categories": [{"category", "value", ...}]};
// "value" is null when nothing produced a verdict.
boost::json::object score_json(const Scores& scores);

// "87/100", "87/100 (incomplete)", "n/a (nothing checked)".
std::string score_text(const Score& s);

}  // namespace kinspect::report
