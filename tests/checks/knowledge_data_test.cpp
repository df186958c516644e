// The schema of the knowledge plugin's data files (plugins/knowledge/data/):
// every file parses against its table's schema, says where its data comes
// from and when it was read, and its versions are Kubernetes minors; a bad
// edit is reported with the file, line and column.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "data_file.h"

namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(KINSPECT_SOURCE_DIR) + "/plugins/knowledge/data/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const knowledge::DataFileSpec& spec(const char* table) {
  const auto* s = knowledge::find_spec(table);
  if (!s) throw std::runtime_error(std::string("no spec ") + table);
  return *s;
}

}  // namespace

TEST(KnowledgeData, EveryFileMatchesItsSchema) {
  for (const auto& s : knowledge::data_file_specs()) {
    SCOPED_TRACE(s.file);
    std::string text = read_data(s.file);
    ASSERT_FALSE(text.empty()) << "missing data file";
    knowledge::DataFile d;
    ASSERT_NO_THROW(d = knowledge::parse_data_file(text, s));
    EXPECT_EQ(d.retrieved.size(), 10u);
    EXPECT_FALSE(d.entries.empty());
    for (const auto& e : d.entries) {
      // Every row names a source: a URL of its own or the file's.
      EXPECT_NE(e.at("source").find("https://"), std::string::npos) << "entry without a URL source";
      for (const auto& f : s.fields)
        if (f.kind == knowledge::FieldKind::Minor && e.count(f.name)) {
          auto m = knowledge::parse_minor(e.at(f.name));
          ASSERT_TRUE(m.has_value());
          EXPECT_GE(*m, 1);
          EXPECT_LE(*m, 60) << f.name;
        }
    }
  }
}

TEST(KnowledgeData, RemovalComesAfterDeprecationAndLastUse) {
  auto gates = knowledge::parse_data_file(read_data("feature-gates.yaml"), spec("k8s.removed_feature_gates"));
  EXPECT_GE(gates.entries.size(), 100u);
  for (const auto& e : gates.entries)
    EXPECT_EQ(*knowledge::parse_minor(e.at("removed_in")), *knowledge::parse_minor(e.at("last_usable")) + 1) << e.at("gate");
  auto flags = knowledge::parse_data_file(read_data("kubelet-flags.yaml"), spec("k8s.removed_kubelet_flags"));
  for (const auto& e : flags.entries)
    if (e.count("deprecated_in")) {
      EXPECT_LT(*knowledge::parse_minor(e.at("deprecated_in")), *knowledge::parse_minor(e.at("removed_in"))) << e.at("flag");
    }
}

TEST(KnowledgeData, BadInputNamesFileLineAndColumn) {
  const auto& s = spec("k8s.removed_kubelet_flags");
  auto error_of = [&](const std::string& yaml) {
    try {
      knowledge::parse_data_file(yaml, s);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string head = "source: https://example.org\nretrieved: 2026-12-05\nentries:\n";
  EXPECT_EQ(error_of(head + "  - {flag: --x, removed_in: \"2.x\"}\n"),
            "kubelet-flags.yaml:4:29: field 'removed_in' is \"2.x\", want a Kubernetes minor such as \"1.28\"");
  EXPECT_EQ(error_of(head + "  - {flag: --x}\n"), "kubelet-flags.yaml:4:5: entry lacks the required field 'removed_in'");
  EXPECT_EQ(error_of(head + "  - {flag: --x, removed_in: \"1.27\", colour: red}\n"),
            "kubelet-flags.yaml:4:37: unknown field 'colour' in an entry of k8s.removed_kubelet_flags");
  EXPECT_EQ(error_of("source: https://example.org\nretrieved: last week\nentries: []\n"),
            "kubelet-flags.yaml:2:12: 'retrieved' must be the date the data was read, YYYY-MM-DD");
  EXPECT_EQ(error_of("retrieved: 2026-12-05\n"), "kubelet-flags.yaml:1:1: no 'source': say where the data comes from");
  EXPECT_NE(error_of(head + "  - {flag: [unclosed\n").rfind("kubelet-flags.yaml:", 0), std::string::npos);
}
