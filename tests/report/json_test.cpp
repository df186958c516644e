// The JSON form: round trip, the published schema, the golden file, and
// errors that name the file and the field.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/report/baseline.h"
#include "core/report/detail.h"
#include "core/report/render.h"
#include "tests/report/sample_report.h"
#include "tests/report/test_util.h"

namespace kinspect::report {
namespace {

using namespace kinspect::report::testing;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

const std::string kSchemaFile = std::string(KINSPECT_SOURCE_DIR) + "/docs/report-schema.json";
const std::string kGolden = std::string(REPORT_TEST_DATA_DIR) + "/sample-v1.json";

Report with_baseline() {
  Report before = sample_report();
  before.checks[0].findings.push_back({"node/worker-5", "node is NotReady: NodeStatusUnknown", Severity::Critical,
                                       nullptr, Change::None});
  before.checks[3].findings.pop_back();  // kube-proxy on worker-1 is new
  Report now = sample_report();
  now.baseline = "reports/yesterday.json";
  apply_baseline(now, before);
  return now;
}

TEST(ReportJson, RoundTripIsIdentical) {
  for (const Report& r : {sample_report(), with_baseline(), Report{}}) {
    std::string once = render_json(r);
    auto back = parse_report_json(once, "mem.json");
    ASSERT_TRUE(back.ok()) << back.error().format();
    EXPECT_EQ(render_json(*back), once);
  }
}

// Bytes that are not UTF-8 (cluster data from /proc, a broken label) become
// U+FFFD: the file stays readable by any JSON parser, including ours.
TEST(ReportJson, InvalidUtf8IsReplaced) {
  Report r = sample_report();
  r.checks[0].findings[0].object = "node/\xff\xfe-bad";
  r.checks[0].findings[0].message = "cut \xE2\x9C";  // a truncated sequence
  r.checks[0].findings[0].details = boost::json::object{{"k\xc0\xaf", "\xed\xa0\x80"}};  // overlong, surrogate
  std::string j = render_json(r);
  auto back = parse_report_json(j, "utf8.json");
  ASSERT_TRUE(back.ok()) << back.error().format();
  EXPECT_EQ(back->checks[0].findings[0].object, "node/\xEF\xBF\xBD\xEF\xBF\xBD-bad");
  EXPECT_EQ(back->checks[0].findings[0].message, "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(render_json(*back), j);
  // Valid multi-byte text is kept as it is.
  r.checks[0].findings[0].object = "node/\xE2\x9C\x93-\xF0\x9F\x9A\x80";
  EXPECT_NE(render_json(r).find("node/\xE2\x9C\x93-\xF0\x9F\x9A\x80"), std::string::npos);
}

TEST(ReportJson, ReadsEveryField) {
  Report r = with_baseline();
  auto back = parse_report_json(render_json(r), "mem.json");
  ASSERT_TRUE(back.ok()) << back.error().format();
  EXPECT_EQ(back->cluster.version, "v1.29.4");
  EXPECT_EQ(back->cluster.detected.size(), 2u);
  EXPECT_EQ(back->cluster.pods, 143u);
  EXPECT_EQ(back->baseline, "reports/yesterday.json");
  ASSERT_EQ(back->checks.size(), r.checks.size());
  const CheckResult& etcd = back->checks[4];
  EXPECT_EQ(etcd.id, "etcd-health");
  EXPECT_EQ(etcd.status, Status::Error);
  EXPECT_NE(etcd.reason.find("connection refused"), std::string::npos);
  EXPECT_EQ(back->checks[0].findings[0].details.at("age_h").to_number<double>(), 412.5);
  EXPECT_EQ(back->checks[0].tables, std::vector<std::string>{"k8s.nodes"});
  EXPECT_EQ(back->tables.size(), 3u);
  EXPECT_EQ(back->tables[2].error, r.tables[2].error);
  EXPECT_EQ(back->duration_ms, 3250);
  EXPECT_EQ(back->checks[3].findings[1].change, Change::New);
  ASSERT_EQ(back->resolved.count("node-ready"), 1u);
  EXPECT_EQ(back->resolved.at("node-ready")[0].object, "node/worker-5");
  EXPECT_EQ(back->resolved.at("node-ready")[0].change, Change::Resolved);
  Summary s = back->summary();
  EXPECT_EQ(s.new_findings, 1u);
  EXPECT_EQ(s.resolved_findings, 1u);
}

TEST(ReportJson, SummaryAndSchemaFieldsAreWritten) {
  std::string j = render_json(sample_report());
  EXPECT_EQ(j.rfind("{\n  \"schema\": \"kinspect.report/v1.3\",\n", 0), 0u) << j.substr(0, 80);
  EXPECT_NE(j.find("\"not_checked\": 1"), std::string::npos) << "the etcd error; the profile's skip is not applicable";
  EXPECT_NE(j.find("\"failed\": 6"), std::string::npos);
  EXPECT_NE(j.find("\"findings\": " + std::to_string(kFindings)), std::string::npos);
  EXPECT_NE(j.find("\"duration_ms\": 3250,"), std::string::npos) << "doubles are written plainly";
  EXPECT_EQ(j.back(), '\n');
}

// A large report reaches its reader in pieces of about 1 MiB, never whole:
// the pieces make exactly the text render_json returns, findings, waived
// findings and resolved findings alike.
TEST(ReportJson, WrittenInPiecesOfAboutAMebibyte) {
  Report r = sample_report();
  const Finding model = r.checks[0].findings[0];
  for (int i = 0; i < 20000; ++i) {  // about 8 MB of text
    Finding f = model;
    f.object = "pod/shop/checkout-" + std::to_string(i);
    r.checks[0].findings.push_back(f);
    if (i % 4 == 0) r.checks[1].waived.push_back({f, {"accepted", "team-a", "2027-01-31", "waivers.yaml:3:5"}});
    if (i % 4 == 1) r.resolved["node-ready"].push_back(f);
  }
  std::string joined;
  size_t pieces = 0, largest = 0;
  write_json(r, [&](std::string_view piece) {
    ++pieces;
    largest = std::max(largest, piece.size());
    joined += piece;
  });
  const std::string whole = render_json(r);
  EXPECT_EQ(joined, whole);
  EXPECT_GT(whole.size(), size_t(8) << 20);
  EXPECT_GE(pieces, whole.size() / ((size_t(1) << 20) + (64 << 10)));
  EXPECT_LE(largest, (size_t(1) << 20) + (64 << 10)) << "a piece is at most 1 MiB and one finding";
  auto back = parse_report_json(joined, "pieces.json");
  ASSERT_TRUE(back.ok()) << back.error().format();
  EXPECT_EQ(back->checks[0].findings.size(), r.checks[0].findings.size());
}

// The committed sample: its bytes are what this version writes, and old
// reports must keep reading. Regenerate it (when the format changes on
// purpose) from the file this test writes on a mismatch.
TEST(ReportJson, GoldenFile) {
  std::string golden = read_file(kGolden);
  std::string now = render_json(sample_report());
  if (now != golden) {
    write_file(out_dir() + "/sample-v1.json", now);
    ADD_FAILURE() << "render_json(sample_report()) differs from " << kGolden << "; the new output is in "
                  << out_dir() << "/sample-v1.json";
  }
  ASSERT_FALSE(golden.empty()) << "missing " << kGolden;
  auto parsed = parse_report_json(golden, kGolden);
  ASSERT_TRUE(parsed.ok()) << parsed.error().format();
  EXPECT_EQ(render_json(*parsed), golden);
}

// A v1.1 report (the golden file before v1.2 added same_as, merged, target,
// tool_id and also_reported_by) reads back as the same report, those empty.
TEST(ReportJson, ReadsTheV11GoldenFile) {
  const std::string old_file = std::string(REPORT_TEST_DATA_DIR) + "/sample-v1.1.json";
  auto old = parse_report_json(read_file(old_file), old_file);
  ASSERT_TRUE(old.ok()) << old.error().format();
  Report now = sample_report();
  old->schema = now.schema;
  EXPECT_EQ(render_json(*old), render_json(now));
}

// A v1.2 report (before v1.3 added scope, waivers and each check's waived
// list) reads back as the same report, those empty.
TEST(ReportJson, ReadsTheV12GoldenFile) {
  const std::string old_file = std::string(REPORT_TEST_DATA_DIR) + "/sample-v1.2.json";
  auto old = parse_report_json(read_file(old_file), old_file);
  ASSERT_TRUE(old.ok()) << old.error().format();
  EXPECT_TRUE(old->scope.whole_cluster());
  Report now = sample_report();
  old->schema = now.schema;
  EXPECT_EQ(render_json(*old), render_json(now));
}

TEST(ReportJson, FingerprintIsStable) {
  Finding f{"node/worker-2", "node is NotReady", Severity::Critical, nullptr, Change::None};
  // Stored in reports: changing the algorithm turns every finding "new".
  EXPECT_EQ(f.fingerprint("node-ready"), "b6c4bfdaeae829ed");
  EXPECT_NE(f.fingerprint("node-ready"), f.fingerprint("node-ready2"));
  Finding g = f;
  g.message += ".";
  EXPECT_NE(g.fingerprint("node-ready"), f.fingerprint("node-ready"));
  // The separator keeps "a"+"bc" and "ab"+"c" apart.
  Finding h{"ab", "c", Severity::Info, nullptr, Change::None}, i{"a", "bc", Severity::Info, nullptr, Change::None};
  EXPECT_NE(h.fingerprint("x"), i.fingerprint("x"));
}

// Validates a file with python3-jsonschema against docs/report-schema.json;
// returns the validator's output, "" when valid.
std::string validate(const std::string& file, int* exit_code) {
  const char* script =
      "import json, sys, jsonschema\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "jsonschema.Draft202012Validator.check_schema(schema)\n"
      "doc = json.load(open(sys.argv[2]))\n"
      "errs = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))\n"
      "for e in errs: print('/'.join(str(p) for p in e.path) + ': ' + e.message)\n"
      "sys.exit(1 if errs else 0)\n";
  auto r = run_command(std::string(kPython) + " -c " + sh_quote(script) + " " + sh_quote(kSchemaFile) + " " +
                       sh_quote(file));
  *exit_code = r.exit_code;
  return r.out + r.err;
}

TEST(ReportJson, ValidatesAgainstPublishedSchema) {
  if (!python_has("jsonschema"))
    GTEST_SKIP() << "python3-jsonschema is not installed (apt-get install python3-jsonschema): "
                 << kPython << " cannot import jsonschema";
  int n = 0;
  for (const Report& r : {sample_report(), with_baseline(), Report{}}) {
    std::string file = out_dir() + "/schema-" + std::to_string(n++) + ".json";
    write_file(file, render_json(r));
    int rc = -1;
    std::string out = validate(file, &rc);
    EXPECT_EQ(rc, 0) << file << ":\n" << out;
  }
}

TEST(ReportJson, SchemaRejectsWhatTheReaderRejects) {
  if (!python_has("jsonschema")) GTEST_SKIP() << "python3-jsonschema is not installed";
  std::string j = render_json(sample_report());
  auto bad = [&](std::string from, std::string to) {
    std::string t = j;
    auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    return t;
  };
  struct Case {
    std::string text, expect;
  } cases[] = {
      {bad("\"status\": \"fail\"", "\"status\": \"broken\""), "checks/0/status"},
      {bad("\"schema\": \"kinspect.report/v1.3\"", "\"schema\": \"kinspect.report/v2\""), "schema"},
      {bad("\"severity\": \"critical\"", "\"severity\": \"fatal\""), "checks/0/severity"},
      {bad("\"nodes\": 6", "\"nodes\": \"six\""), "cluster/nodes"},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string file = out_dir() + "/schema-bad-" + std::to_string(n++) + ".json";
    write_file(file, c.text);
    int rc = -1;
    std::string out = validate(file, &rc);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find(c.expect), std::string::npos) << out;
    EXPECT_FALSE(parse_report_json(c.text, file).ok()) << "the reader accepts what the schema refuses: " << c.expect;
  }
}

std::string error_of(std::string_view text) {
  auto r = parse_report_json(text, "reports/bad.json");
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().format();
}

TEST(ReportJsonErrors, NameTheFileAndField) {
  std::string j = render_json(sample_report());
  std::string t = j;
  t.replace(t.find("\"severity\": \"critical\",\n          \"change\""), 22, "\"severity\": \"fatal\"");
  std::string e = error_of(t);
  EXPECT_NE(e.find("reports/bad.json"), std::string::npos) << e;
  EXPECT_NE(e.find("checks[0].findings[0].severity"), std::string::npos) << e;
  EXPECT_NE(e.find("critical, warning, info"), std::string::npos) << e;
  EXPECT_NE(e.find("\"fatal\""), std::string::npos) << e;
}

TEST(ReportJsonErrors, MissingAndMistypedFields) {
  std::string e = error_of(R"({"schema": "kinspect.report/v1", "checks": [{"title": "x", "status": "pass"}]})");
  EXPECT_NE(e.find("checks[0].id"), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;

  e = error_of(R"({"schema": "kinspect.report/v1", "checks": [{"id": "a", "status": 3}],
                   "cluster": {"nodes": -1}})");
  EXPECT_NE(e.find("checks[0].status"), std::string::npos) << e;
  EXPECT_NE(e.find("expected a string, got a number"), std::string::npos) << e;
  EXPECT_NE(e.find("cluster.nodes"), std::string::npos) << e;
  EXPECT_NE(e.find("2 problems"), std::string::npos) << "every problem is reported: " << e;

  e = error_of(R"({"schema": "kinspect.report/v1"})");
  EXPECT_NE(e.find("checks"), std::string::npos) << e;

  e = error_of(R"({"schema": "kinspect.report/v1", "checks": {}})");
  EXPECT_NE(e.find("'checks'"), std::string::npos) << e;
  EXPECT_NE(e.find("expected an array, got an object"), std::string::npos) << e;
}

TEST(ReportJsonErrors, SyntaxErrorHasLineAndColumn) {
  std::string e = error_of("{\n  \"schema\": \"kinspect.report/v1\",\n  \"checks\": [,]\n}\n");
  EXPECT_NE(e.find("reports/bad.json:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
}

TEST(ReportJsonErrors, SchemaVersions) {
  std::string e = error_of(R"({"schema": "kinspect.report/v2", "checks": []})");
  EXPECT_NE(e.find("kinspect.report/v2"), std::string::npos) << e;
  EXPECT_NE(e.find("not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("upgrade kinspect"), std::string::npos) << e;

  e = error_of(R"({"checks": []})");
  EXPECT_NE(e.find("not a kinspect report"), std::string::npos) << e;
  e = error_of(R"({"schema": "other.report/v1", "checks": []})");
  EXPECT_NE(e.find("not a kinspect report schema"), std::string::npos) << e;
  e = error_of("[1, 2]");
  EXPECT_NE(e.find("expected an object"), std::string::npos) << e;

  // A later minor version of v1 reads, its new fields ignored.
  auto ok = parse_report_json(
      R"({"schema": "kinspect.report/v1.3", "checks": [{"id": "a", "status": "pass", "owner": "x"}], "extra": 1})",
      "minor.json");
  ASSERT_TRUE(ok.ok()) << ok.error().format();
  EXPECT_EQ(ok->checks.at(0).id, "a");
  EXPECT_EQ(ok->schema, "kinspect.report/v1.3");
}

}  // namespace
}  // namespace kinspect::report

// The writer escapes strings itself rather than building a Boost.JSON value
// per string; its text must be exactly what Boost.JSON prints for the
// UTF-8-repaired string, for every byte sequence.
TEST(JsonReport, StringEscapingMatchesBoostJsonOnAnyBytes) {
  std::vector<std::string> cases = {"", "plain", "quote \" backslash \\ slash /", "\b\f\n\r\t\x01\x1f\x7f",
                                    "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80", "bad \xC3 \xFF \xED\xA0\x80 \xF4\x90\x80\x80 end",
                                    std::string("nul\0byte", 8)};
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int n = 0; n < 5000; ++n) {
    std::string s;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t len = (x >> 7) % 24;
    for (size_t i = 0; i < len; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      s.push_back(static_cast<char>(x & 0xFF));
    }
    cases.push_back(s);
  }
  size_t total = 0;
  for (const auto& s : cases) total += s.size();
  EXPECT_GT(total, 5000u * 8);  // the random cases are not empty
  // Long plain runs (read 16 bytes at a time) with one byte or sequence to
  // escape, repair or keep at every offset around and across those blocks.
  for (std::string special : {"\"", "\\", "\n", "\x01", "\x7f", "\xC3\xA9", "\xE2\x9C\x93", "\xFF", "\xC3"})
    for (size_t at = 0; at <= 40; ++at) cases.push_back(std::string(at, 'a') + special + std::string(40 - at, 'z'));
  for (const auto& s : cases) {
    std::string mine;
    kinspect::report::detail::append_json_string(mine, s);
    std::string boost_text = boost::json::serialize(boost::json::value(kinspect::report::detail::valid_utf8(s)));
    ASSERT_EQ(mine, boost_text) << "for bytes of length " << s.size();
  }
}
