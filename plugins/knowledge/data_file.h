// The knowledge plugin's own data files (data/*.yaml other than Pluto's): a
// `source`, a `retrieved` date and a list of `entries`, each a flat map whose
// keys a schema declares. Parsing checks the schema, so a bad edit fails the
// build's tests (and the scan) with the file, line and column.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace knowledge {

enum class FieldKind {
  Text,
  Minor,    // a Kubernetes minor, "1.28"; also served as <name>_minor = 28
  Version,  // a dotted version of another project, "3.6.5" or "2"
  Integer,
  Boolean,
};

struct FieldSpec {
  std::string name;
  FieldKind kind;
  bool required;
  std::string doc;
};

struct DataFileSpec {
  std::string table;  // "k8s.removed_feature_gates"
  std::string file;   // "feature-gates.yaml"
  std::string description;
  std::vector<FieldSpec> fields;  // besides the per-entry `source`
  std::vector<std::string> examples;
};

// One entry: field name -> its text, as written (absent optional fields are missing).
using Entry = std::map<std::string, std::string>;

struct DataFile {
  std::string source;     // the file's source
  std::string retrieved;  // YYYY-MM-DD
  std::vector<Entry> entries;  // every entry has "source" (its own or the file's)
};

// Parses and validates `yaml` against `spec`; throws std::runtime_error whose
// message starts "<file>:<line>:<column>: ".
DataFile parse_data_file(std::string_view yaml, const DataFileSpec& spec);

// The schemas of the bundled data files.
const std::vector<DataFileSpec>& data_file_specs();
const DataFileSpec* find_spec(std::string_view table);

// "1.28" -> 28; nullopt when not "1.<minor>".
std::optional<int> parse_minor(std::string_view text);
// "3.6.5", "2", "2.0.0" -> true; anything else false.
bool is_dotted_version(std::string_view text);

}  // namespace knowledge
