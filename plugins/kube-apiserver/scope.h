// The run's scope (kinspect run -n/--namespace, --exclude-namespace,
// -l/--selector): which namespaced objects the driver reads at all. Live, it
// is pushed to the API server (one LIST per namespace, labelSelector=, a
// fieldSelector metadata.namespace!=X per excluded namespace); from a
// snapshot the same objects are dropped while reading. Cluster-scoped
// objects (nodes, namespaces, CRDs, cluster roles) are never narrowed.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kapi {

// One requirement of a Kubernetes label selector.
struct LabelRequirement {
  enum Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists } op = kExists;
  std::string key;
  std::vector<std::string> values;
};

// The API server's label selector syntax: comma-separated requirements
// "k=v", "k==v", "k!=v", "k in (a,b)", "k notin (a,b)", "k", "!k". Throws
// std::invalid_argument saying what is wrong.
std::vector<LabelRequirement> parse_label_selector(std::string_view text);

struct Scope {
  std::vector<std::string> namespaces;  // empty: every namespace
  std::vector<std::string> exclude;
  std::string selector;                 // as given, for the server
  std::vector<LabelRequirement> requirements;

  bool active() const { return !namespaces.empty() || !exclude.empty() || !selector.empty(); }
  bool admits_namespace(std::string_view ns) const;
  // Whether a namespaced object with this metadata is in scope (objects
  // without a namespace always are).
  bool admits(const boost::json::value& metadata) const;
};

}  // namespace kapi
