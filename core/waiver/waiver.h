// Waivers: findings a team has accepted for now, with a reason, an owner and
// an expiry date (docs/waivers.md). They come from YAML files (--waivers, or
// $XDG_CONFIG_HOME/kinspect/waivers.yaml) and from objects annotated
// kinspect.io/waive. A waived finding leaves the check's failures for its
// `waived` list, so every report format still shows it; a waiver that has
// expired, or that matched nothing, is listed in the report.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/report/report.h"
#include "core/util/error.h"

namespace kinspect::waiver {

inline constexpr std::string_view kWaiveAnnotation = "kinspect.io/waive";
inline constexpr std::string_view kReasonAnnotation = "kinspect.io/waive-reason";

// Which objects a waiver covers; each part is a glob ('*', '?'), "" for any.
struct ObjectSelector {
  std::string kind;       // compared without case: "pod", "Deployment"
  std::string ns;         // "" or "*": any namespace, and cluster-scoped objects
  std::string name;
  std::map<std::string, std::string> labels;  // each must be on the object (values are globs)
  std::string text() const;  // "pod/shop/checkout-* labels app=x", "any object"
};

struct Waiver {
  std::string check;  // an id or a glob
  ObjectSelector object;
  std::string reason, owner;
  std::string expires;     // as written: "2027-01-31" or an RFC 3339 time
  double expires_at = 0;   // epoch seconds it stops applying; a date lasts to its end (UTC)
  std::string origin;      // "file:line:column"
  report::WaiverRef ref() const { return {reason, owner, expires, origin}; }
};

// A waiver file's entries; every problem found is a diagnostic with the
// file, line and column.
Expected<std::vector<Waiver>> parse_waivers(std::string_view text, const std::string& file);
Expected<std::vector<Waiver>> load_waivers(const std::string& path);
// $XDG_CONFIG_HOME/kinspect/waivers.yaml, else ~/.config/kinspect/waivers.yaml.
std::string default_waivers_path();

// A finding's object, "kind/namespace/name[/part]" or "kind/name" for
// cluster-scoped objects.
struct ObjectRef {
  std::string kind, ns, name;
  std::string key() const;  // "pod/shop/checkout-1", "node/worker-2"
};
ObjectRef parse_object(std::string_view object);

// The labels and annotations of the objects findings are about, by
// ObjectRef::key() (kind in lower case). Objects not in it have no labels
// or annotations as far as waivers can tell.
struct ObjectMeta {
  std::map<std::string, std::string> labels, annotations;
};
using ObjectIndex = std::map<std::string, ObjectMeta>;

// The kinds (lower case) of the objects the report's unwaived findings name.
std::set<std::string> finding_kinds(const report::Report& r);
// The objects of `kind` the report's unwaived findings name, each once: the
// ones whose metadata apply() may need when a table was not read whole.
std::vector<ObjectRef> finding_objects(const report::Report& r, const std::string& kind);

// Moves each finding a waiver covers from its check's findings to its
// waived list (a file waiver first, in file order, then an annotation on the
// object); a failed check left with no findings passes. Waivers expired at
// `as_of` (epoch seconds) apply to nothing and go to report.expired_waivers;
// file waivers that covered no finding go to report.unmatched_waivers.
void apply(report::Report& r, const std::vector<Waiver>& waivers, const ObjectIndex& objects, double as_of);

}  // namespace kinspect::waiver
