// Comparing reports: marking a run against a baseline (--baseline) and the
// diff of two saved reports (kinspect diff a.json b.json).
//
// Findings are matched by Finding::fingerprint (check id + object + message).
// Findings are compared only for checks that produced a verdict (pass or fail)
// in both reports:
//  - a check that is error or skipped now says nothing about the baseline's
//    findings: they are neither resolved nor unchanged (a broken data source
//    must not look like a fixed cluster);
//  - a check that was error or skipped in the baseline, or absent from it (a
//    new check, another profile), cannot vouch for today's findings: they are
//    all New (conservative, so --fail-on-new catches them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/report/report.h"

namespace kinspect::report {

// Sets change = New or Unchanged on each finding of `current` and fills
// current.resolved with the baseline's findings that are gone (change =
// Resolved). Does not set current.baseline (the caller knows the path).
void apply_baseline(Report& current, const Report& baseline);

// How one check differs between report a (before) and report b (after).
struct CheckDiff {
  std::string id;
  std::string title;
  Severity severity = Severity::Warning;
  bool in_a = false, in_b = false;
  Status status_a = Status::Pass, status_b = Status::Pass;  // valid when in_a / in_b
  // False when the check did not produce a verdict on one side (error,
  // skipped, absent): its findings were not compared.
  bool compared = false;
  std::vector<Finding> added;    // in b, not in a (change = New)
  std::vector<Finding> removed;  // in a, not in b (change = Resolved)
  uint64_t unchanged = 0;
  bool status_changed() const { return in_a != in_b || (in_a && in_b && status_a != status_b); }
};

struct Diff {
  // Short descriptions of each side: cluster, version, time.
  std::string a_label, b_label;
  // Every check of either report: b's order, then checks only in a.
  std::vector<CheckDiff> checks;
  uint64_t added = 0, removed = 0, unchanged = 0, status_changes = 0;
  bool empty() const { return added == 0 && removed == 0 && status_changes == 0; }
};

Diff diff_reports(const Report& a, const Report& b);

// Status changes, new and resolved findings per check, a per-check table of
// counts and a summary line. Colour adds ANSI escapes.
std::string render_diff(const Diff& diff, bool colour);

}  // namespace kinspect::report
