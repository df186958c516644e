// Profiles: which checks run, with which thresholds, for which clusters.
// A profile is a YAML file matched to a cluster by Kubernetes version range,
// cluster type and scenario; it may extend another profile. See
// docs/profiles.md.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/profile/version.h"
#include "core/util/error.h"

namespace kinspect {

// What a profile needs to know of a check to select it and validate overrides.
struct CheckInfo {
  std::string id;
  std::string category;
  std::vector<std::string> tags;
  std::vector<std::string> params;  // declared parameter names
};

struct Profile {
  std::string name;
  std::string description;
  std::string file;       // where it was read from
  std::string extends;    // the parent's name, "" if none
  bool abstract = false;  // only a base for others; never selected by matching
  int priority = 0;       // breaks ties between equally specific matches

  VersionRange versions;               // empty: any version
  std::vector<std::string> types;      // managed, self-hosted, serverless, edge, gpu; empty: any
  std::vector<std::string> scenarios;  // inspection, pre-upgrade, post-upgrade, ...; empty: any

  std::vector<std::string> plugins;  // empty: every loaded plugin
  // Check selectors: an id, a glob ("node-*"), "tag:NAME" or "category:NAME".
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // Checks the run may do without: if one cannot run (its table is not
  // served, not captured...), it is reported as not checked but the run is
  // still complete (exit code not 3). Same selectors as include.
  std::vector<std::string> optional;
  // Parameter overrides: "check-id.param" for one check, or "param" for
  // every check that declares it.
  std::map<std::string, boost::json::value> params;
  // Severity overrides by check id or glob: critical, warning, info.
  std::map<std::string, std::string> severity;
  double check_timeout_seconds = 30;
  double driver_timeout_seconds = 120;

  // Positions of keys for validation messages ("include[2]", "params.x").
  std::map<std::string, SourcePos> positions;
};

// The cluster a profile is chosen for.
struct ProfileTarget {
  std::optional<KubeVersion> version;
  std::vector<std::string> types;  // what was detected, e.g. {"self-hosted", "gpu"}
  std::string scenario = "inspection";
};

struct ProfileMatch {
  const Profile* profile = nullptr;
  std::string why;  // "matched version >=1.26 <1.32, type self-hosted, scenario inspection"
};

// The known cluster types; a profile naming another is an error.
const std::vector<std::string>& known_cluster_types();

class ProfileSet {
 public:
  // Reads every *.yaml / *.yml in the given folders or files, resolves
  // `extends`, and reports every problem found (file:line:col).
  static Expected<ProfileSet> load(const std::vector<std::string>& paths);
  // Parses one profile document (for tests and `profiles lint`).
  static Expected<ProfileSet> parse(std::string_view yaml, std::string_view file);

  const std::vector<std::shared_ptr<Profile>>& profiles() const { return profiles_; }
  const Profile* find(std::string_view name) const;

  // Unknown check ids in include/exclude/severity, unknown parameters,
  // and severities that are not critical/warning/info. With
  // `References::LoadedChecksOnly` (the bundled catalog was replaced with
  // --no-bundled-checks) a profile may name checks that are not loaded: only
  // what it says of loaded checks must be right.
  enum class References { Strict, LoadedChecksOnly };
  Status validate(const std::vector<CheckInfo>& checks, References refs = References::Strict) const;

  // The best profile for `target`: every criterion a profile states must
  // hold; among those that match, the one stating the most criteria wins
  // (scenario over type over version), then priority, then name.
  Expected<ProfileMatch> select(const ProfileTarget& target) const;

  // The checks a profile runs, in the order given. Checks of category
  // `adapters` report another tool's results, so they follow the inputs
  // given (--with TOOL=PATH), not the profile's include list: a check tagged
  // `with-TOOL` runs when TOOL is in `inputs` (unless the profile excludes
  // it), and never otherwise, so a tool that was not run is never reported
  // as having passed.
  static std::vector<const CheckInfo*> select_checks(const Profile& p, const std::vector<CheckInfo>& checks,
                                                     const std::vector<std::string>& inputs = {});
  // Whether profile p lists check c under checks.optional.
  static bool is_optional(const Profile& p, const CheckInfo& c);
  // The value of parameter `param` of check `id` under profile p, if overridden.
  static const boost::json::value* param_override(const Profile& p, std::string_view id, std::string_view param);
  // The severity for check `id` under profile p, if overridden.
  static std::optional<std::string> severity_override(const Profile& p, std::string_view id);

 private:
  Status resolve_extends(std::vector<Diagnostic>& errors);
  std::vector<std::shared_ptr<Profile>> profiles_;
};

// The category of adapter checks, and the tag prefix naming their tool.
inline constexpr std::string_view kAdapterCategory = "adapters";
inline constexpr std::string_view kAdapterTagPrefix = "with-";

// Shell-style glob: * and ?.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace kinspect
