// Kubernetes versions and version ranges, as profiles match them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/error.h"

namespace kinspect {

// major.minor.patch; parse() accepts "v1.29.4", "1.29", "v1.28.3-eks-abc",
// "v1.29.0+k3s1" (pre-release and build suffixes are ignored).
struct KubeVersion {
  int major = 0, minor = 0, patch = 0;
  static std::optional<KubeVersion> parse(std::string_view s);
  std::string str() const;  // "1.29.4"
  friend auto operator<=>(const KubeVersion&, const KubeVersion&) = default;
};

// A range such as ">=1.26 <1.31" (comparators ANDed), "1.28" (that minor),
// "1.28.x", or several alternatives joined by "||".
class VersionRange {
 public:
  static Expected<VersionRange> parse(std::string_view text);
  bool contains(const KubeVersion& v) const;
  const std::string& text() const { return text_; }
  bool any() const { return alternatives_.empty(); }

 private:
  enum class Op { Ge, Gt, Le, Lt, Eq, SameMinor };
  struct Comparator {
    Op op;
    KubeVersion v;
  };
  std::string text_;
  std::vector<std::vector<Comparator>> alternatives_;
};

}  // namespace kinspect
