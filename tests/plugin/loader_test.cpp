// The plugin loader: every bad-plugin case is refused with a one-line reason
// naming the file, and the good plugins still load.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>

#include "core/plugin/registry.h"

using namespace kinspect;

namespace {

std::string fixture(const std::string& name) { return std::string(FIXTURE_DIR) + "/" + name + ".so"; }

const LoadProblem* problem_for(const std::vector<LoadProblem>& ps, const std::string& file) {
  for (const auto& p : ps)
    if (p.path == fixture(file)) return &p;
  return nullptr;
}

std::vector<std::string> loaded_names(const PluginRegistry& r) {
  std::vector<std::string> v;
  for (const auto& p : r.plugins()) v.emplace_back(p->name());
  std::sort(v.begin(), v.end());
  return v;
}

// Loads `bad` together with the good driver, in that order, and returns the
// problem reported for `bad`.
LoadProblem load_bad_with_good(const std::string& bad, PluginRegistry& reg) {
  RegistryOptions o;
  o.files = {fixture("good"), fixture(bad)};
  auto problems = reg.load(o);
  EXPECT_EQ(problems.size(), 1u) << "expected exactly one problem loading " << bad;
  EXPECT_NE(reg.plugin("good"), nullptr) << "the good plugin must still load next to " << bad;
  EXPECT_NE(reg.find("test.good"), nullptr);
  return problems.empty() ? LoadProblem{} : problems[0];
}

}  // namespace

TEST(Loader, LoadsEveryGoodPluginInAFolderAndReportsEachBadOne) {
  PluginRegistry reg;
  RegistryOptions o;
  o.dirs = {FIXTURE_DIR};
  auto problems = reg.load(o);
  EXPECT_EQ(loaded_names(reg), (std::vector<std::string>{"c-abi10", "c-ok", "checks", "good", "other"}));
  for (const char* bad : {"missing_entry", "abi_major2", "abi_newer_minor", "init_fails", "no_scan", "no_publish",
                          "thrower", "zz_duplicate", "not_elf"})
    EXPECT_NE(problem_for(problems, bad), nullptr) << "no problem reported for " << bad;
  EXPECT_EQ(problems.size(), 9u);
  // Each problem is one line that starts with the file.
  for (const auto& p : problems) {
    EXPECT_EQ(p.format().find('\n'), std::string::npos) << p.format();
    EXPECT_EQ(p.format().rfind(p.path + ": ", 0), 0u) << p.format();
  }
}

TEST(Loader, MissingEntrySymbol) {
  PluginRegistry reg;
  auto p = load_bad_with_good("missing_entry", reg);
  EXPECT_NE(p.reason.find("missing entry symbol 'ki_plugin_entry'"), std::string::npos) << p.reason;
}

TEST(Loader, WrongAbiMajorIsRefused) {
  PluginRegistry reg;
  auto p = load_bad_with_good("abi_major2", reg);
  EXPECT_NE(p.reason.find("plugin ABI 2.0 is not compatible with this kinspect's ABI 1." + std::to_string(KI_ABI_MINOR) + ": major versions differ"),
            std::string::npos)
      << p.reason;
  EXPECT_EQ(reg.find("test.major2"), nullptr);
}

TEST(Loader, NewerMinorThanCoreIsRefused) {
  PluginRegistry reg;
  auto p = load_bad_with_good("abi_newer_minor", reg);
  EXPECT_NE(p.reason.find("plugin needs ABI 1." + std::to_string(KI_ABI_MINOR + 1) + ", newer than this kinspect's ABI 1." +
                          std::to_string(KI_ABI_MINOR)),
            std::string::npos)
      << p.reason;
}

TEST(Loader, SameOrOlderMinorLoads) {
  // c-ok is a hand-written C plugin built against this minor; the documented
  // rule is that any minor <= the core's loads.
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("c_ok")};
  EXPECT_TRUE(reg.load(o).empty());
  ASSERT_NE(reg.plugin("c-ok"), nullptr);
  EXPECT_LE(reg.plugin("c-ok")->abi_minor(), KI_ABI_MINOR);
  auto rows = reg.fetch(ScanSpec{"test.c_fixture", {}, {}});
  ASSERT_TRUE(rows.ok()) << rows.error().format();
  ASSERT_EQ((*rows)->rows.size(), 1u);
  EXPECT_EQ(packed::to_json((*rows)->rows[0]).at("v").as_int64(), 7);
}

// Constraints reach a plugin as equalities and, from ABI 1.1 on, as one
// KI_OP_IN per value; a 1.0 plugin was never told to ignore an op it does
// not know, so it gets the equalities only.
TEST(Loader, ConstraintsByTheMinorThePluginWasBuiltFor) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("c_ok"), fixture("c_abi10")};
  ASSERT_TRUE(reg.load(o).empty());
  std::vector<ScanConstraint> narrowing = {{"metadata.name", {"x", "y"}}, {"metadata.namespace", {"a"}}};
  auto seen = [&](const std::string& table) {
    auto rows = reg.fetch(ScanSpec(table, {}, {}, narrowing));
    EXPECT_TRUE(rows.ok()) << rows.error().format();
    return rows.ok() ? std::string(packed::to_json((*rows)->rows.at(0)).at("seen").as_string()) : std::string();
  };
  EXPECT_EQ(seen("test.c_fixture"), "8 metadata.name=x;8 metadata.name=y;1 metadata.namespace=a;");
  EXPECT_EQ(seen("test.abi10"), "1 metadata.namespace=a;");
}

TEST(Loader, InitThatFailsGivesThePluginsReason) {
  PluginRegistry reg;
  auto p = load_bad_with_good("init_fails", reg);
  EXPECT_NE(p.reason.find("plugin 'init-fails' init failed: cannot reach the widget service"), std::string::npos)
      << p.reason;
}

TEST(Loader, InitThatThrowsIsContained) {
  PluginRegistry reg;
  auto p = load_bad_with_good("thrower", reg);
  EXPECT_NE(p.reason.find("plugin 'thrower' init failed: config file /etc/thrower.conf is missing"), std::string::npos)
      << p.reason;
}

TEST(Loader, HalfImplementedCapabilityIsRefused) {
  PluginRegistry reg;
  auto p = load_bad_with_good("no_scan", reg);
  EXPECT_NE(p.reason.find("declares kind 'driver' but lacks scan_open"), std::string::npos) << p.reason;
}

// ABI 1.3: a publisher must bring publish_open, or the host could not tell
// "write-back failed" from "this plugin cannot write back".
TEST(Loader, APublisherWithoutPublishIsRefused) {
  PluginRegistry reg;
  auto p = load_bad_with_good("no_publish", reg);
  EXPECT_NE(p.reason.find("declares kind 'publisher' but lacks publish_open"), std::string::npos) << p.reason;
}

TEST(Loader, DuplicateTableRefusesTheWholeSecondPlugin) {
  PluginRegistry reg;
  auto p = load_bad_with_good("zz_duplicate", reg);
  EXPECT_NE(p.reason.find("plugin 'zz-duplicate' declares table 'test.good', which plugin 'good'"), std::string::npos)
      << p.reason;
  // All or nothing: the clashing plugin's other table is not registered.
  EXPECT_EQ(reg.find("test.dup_only"), nullptr);
  EXPECT_EQ(reg.plugin("zz-duplicate"), nullptr);
}

TEST(Loader, NotAnElfFile) {
  PluginRegistry reg;
  auto p = load_bad_with_good("not_elf", reg);
  EXPECT_EQ(p.reason, "not an ELF shared object");
}

TEST(Loader, MissingFileSaysSo) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {std::string(FIXTURE_DIR) + "/does-not-exist.so"};
  auto problems = reg.load(o);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].reason.find("cannot open"), std::string::npos) << problems[0].reason;
}

TEST(Loader, SamePluginTwiceKeepsTheFirst) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good"), fixture("good")};
  auto problems = reg.load(o);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].reason.find("plugin 'good' is already loaded from"), std::string::npos);
}

TEST(Registry, DeclaredSchemaIsParsed) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good")};
  ASSERT_TRUE(reg.load(o).empty());
  const TableSchema* t = reg.find("test.good");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->plugin, "good");
  ASSERT_EQ(t->columns.size(), 4u);
  EXPECT_EQ(t->columns[2].name, "meta");
  EXPECT_EQ(t->columns[2].type, ColumnType::Json);
  EXPECT_TRUE(t->columns[3].hidden);
  const TableSchema* f = reg.find("test.count");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->arguments.size(), 1u);
  EXPECT_EQ(f->arguments[0].name, "n");
  EXPECT_EQ(f->arguments[0].type, ColumnType::Integer);
}

TEST(Registry, FetchParsesRowsAndPassesConfig) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good")};
  o.config["good"] = R"({"answer":42})";
  ASSERT_TRUE(reg.load(o).empty());
  auto rows = reg.fetch(ScanSpec{"test.good", {}, {}});
  ASSERT_TRUE(rows.ok()) << rows.error().format();
  const auto& r = (*rows)->rows;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(packed::to_json(r[1]).at("id").as_int64(), 2);
  EXPECT_EQ(packed::to_json(r[1]).at("name").as_string(), "row \"2\"\n");
  EXPECT_EQ(packed::to_json(r[1]).at("meta").at("even").as_bool(), true);
  EXPECT_EQ(packed::to_json(r[2]).at("meta").at("tags").as_array()[1].as_int64(), 3);
  EXPECT_EQ(packed::to_json(r[0]).at("config").as_string(), R"({"answer":42})");
}

TEST(Registry, ProjectionKeepsOnlyTheRequestedPaths) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good")};
  ASSERT_TRUE(reg.load(o).empty());
  auto rows = reg.fetch(ScanSpec{"test.good", {}, {"id", "meta.tags"}});
  ASSERT_TRUE(rows.ok());
  boost::json::value packed_row = packed::to_json((*rows)->rows[0]);
  const auto& row = packed_row.as_object();
  EXPECT_TRUE(row.contains("id"));
  EXPECT_FALSE(row.contains("name"));
  EXPECT_FALSE(row.at("meta").as_object().contains("even"));
  EXPECT_TRUE(row.at("meta").as_object().contains("tags"));
}

TEST(Registry, TableFunctionGetsItsArgumentAndStreamsBatches) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good")};
  ASSERT_TRUE(reg.load(o).empty());
  int batches = 0;
  size_t rows = 0;
  Status st = reg.scan_table(ScanSpec{"test.count", {boost::json::value(2500)}, {}},
                             [&](std::string_view b) {
                               ++batches;
                               rows += static_cast<size_t>(std::count(b.begin(), b.end(), '{'));
                               return Status::Ok();
                             },
                             nullptr);
  ASSERT_TRUE(st.ok()) << st.error().format();
  EXPECT_EQ(rows, 2500u);
  EXPECT_EQ(batches, 3);  // 1000 + 1000 + 500: the plugin streamed, nobody held the table
}

TEST(Registry, UnknownTableSuggestsTheClosest) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good")};
  ASSERT_TRUE(reg.load(o).empty());
  auto rows = reg.fetch(ScanSpec{"test.goood", {}, {}});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(), "no table 'test.goood' (did you mean 'test.good'?)");
}

TEST(Registry, CancelledScanStopsWithAnError) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good")};
  ASSERT_TRUE(reg.load(o).empty());
  CancelToken cancel;
  cancel.cancelled = true;
  auto rows = reg.fetch(ScanSpec{"test.count", {boost::json::value(100000)}, {}}, &cancel);
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.error().message().find("cancelled"), std::string::npos) << rows.error().message();
}

TEST(Registry, NativeCheckReadsTablesThroughTheHost) {
  PluginRegistry reg;
  RegistryOptions o;
  o.files = {fixture("good"), fixture("checks")};
  ASSERT_TRUE(reg.load(o).empty());
  auto checks = reg.native_checks();
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]->id, "test-even-rows");
  EXPECT_EQ(checks[0]->params_json, R"({"limit":10})");
  std::string findings;
  LoadedPlugin* owner = const_cast<LoadedPlugin*>(reg.plugin("checks"));
  Status st = owner->run_check("test-even-rows", "{}", [&](std::string_view b) {
    findings += b;
    return Status::Ok();
  }, nullptr, &reg);
  ASSERT_TRUE(st.ok()) << st.error().format();
  EXPECT_EQ(findings, R"({"object":"test/rows","message":"saw 3 rows"})");
}
