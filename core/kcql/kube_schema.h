// The fields of the Kubernetes API objects, kept as data in
// schemas/kubernetes.json (where from: schemas/SOURCES.md; made by
// scripts/kubernetes-schema). The binder follows a check's paths into the rows
// of a table whose driver names their kind (TableSchema::row_kind) and
// reports a field the kind does not have: `p.metadata.lables` would otherwise
// read NULL and the check would silently never fire.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/util/error.h"

namespace kinspect::kcql {

// A type is written as in the data file: a scalar ("string", "integer",
// "number", "boolean", "date-time"), "any" (free-form: every path below it is
// accepted), the name of an object type ("V1PodSpec"), "[T" (an array of T) or
// "{T" (a map from any key to T: labels, annotations, data).
class KubeSchema {
 public:
  // Reads the data file; an error names the file and what is wrong in it.
  static Expected<KubeSchema> load(const std::filesystem::path& file);
  static Expected<KubeSchema> parse(std::string_view text, const std::string& file);

  // The object type of a kind's rows ("v1/Pod" -> "V1Pod"), or "".
  std::string kind_type(std::string_view row_kind) const;
  // An object type's fields and their types; null for anything else.
  const std::map<std::string, std::string>* fields(std::string_view type) const;

  // Where the data comes from, from the file's "source" object.
  const std::string& package() const { return package_; }      // "@kubernetes/client-node@2.0.1"
  const std::string& kubernetes() const { return kubernetes_; }  // "release-1.36"
  const std::string& license() const { return license_; }
  const std::string& file() const { return file_; }
  size_t type_count() const { return types_.size(); }

 private:
  std::string file_, package_, kubernetes_, license_;
  std::map<std::string, std::string, std::less<>> kinds_;
  std::map<std::string, std::map<std::string, std::string>, std::less<>> types_;
};

// The schema checks are bound with: $KINSPECT_KUBERNETES_SCHEMA (a file), else
// schemas/kubernetes.json in the installed data folder (beside the checks),
// else in the source tree this binary was built from. Loaded once. Null when
// there is none or it cannot be read; `problem` then says why, and paths are
// not checked.
const KubeSchema* default_kube_schema(std::string* problem = nullptr);

}  // namespace kinspect::kcql
