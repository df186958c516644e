// Broken and missing inputs of the JSON and text adapters: each a clear error
// naming the file and the line and column or the field, never a crash and
// never zero rows.
#include <unistd.h>

#include "harness.h"

namespace adapters_test {
namespace {

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("kinspect-adapters-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() { fs::remove_all(dir); }
  std::string put(const std::string& name, const std::string& text) const {
    write(dir / name, text);
    return (dir / name).string();
  }
};

std::string replace_first(std::string text, const std::string& from, const std::string& to) {
  size_t p = text.find(from);
  if (p == std::string::npos) throw std::runtime_error("no '" + from + "'");
  return text.replace(p, from.size(), to);
}

TEST(Malformed, NoInputFailsTheScanAndSaysHowToGiveOne) {
  for (auto [tool, table] : {std::pair{"kube-bench", "kubebench.results"}, {"sonobuoy", "sonobuoy.results"},
                             {"polaris", "polaris.results"}, {"kube-hunter", "kubehunter.vulnerabilities"},
                             {"popeye", "popeye.issues"}}) {
    auto reg = adapter(tool, "");
    ASSERT_NE(reg->find(table), nullptr) << tool << " declares " << table << " even without an input";
    std::string err = scan_error(*reg, table);
    EXPECT_NE(err.find(std::string(table) + ": no input: pass --with " + tool + "=PATH"), std::string::npos) << err;
  }
}

TEST(Malformed, TruncatedJsonNamesFileLineAndColumn) {
  Scratch s;
  const std::string text = slurp(data("kube-bench/kube-bench_wrapped-format_master-etcd-controlplane_with_totals.json"));
  const std::string cut = text.substr(0, text.size() / 2);
  const size_t lines = std::count(cut.begin(), cut.end(), '\n') + 1;
  for (auto [tool, table] : {std::pair{"kube-bench", "kubebench.results"}, {"polaris", "polaris.results"},
                             {"kube-hunter", "kubehunter.vulnerabilities"}, {"popeye", "popeye.issues"}}) {
    std::string file = s.put(std::string(tool) + ".json", cut);
    std::string err = scan_error(*adapter(tool, file), table);
    EXPECT_NE(err.find(file + ":" + std::to_string(lines) + ":"), std::string::npos) << err;
    EXPECT_NE(err.find("the JSON ends early (truncated file?)"), std::string::npos) << err;
  }
  std::string bad = s.put("bad.json", "{\"Controls\": [ {\"id\": 1,, } ]}");
  std::string err = scan_error(*adapter("kube-bench", bad), "kubebench.results");
  EXPECT_NE(err.find(bad + ":1:25: invalid JSON"), std::string::npos) << err;
}

TEST(Malformed, UnexpectedTypesNameTheField) {
  Scratch s;
  const std::string kb = slurp(data("kube-bench/starboard_kube-bench_valid_single-control.json"));
  std::string f1 = s.put("status.json", replace_first(kb, "\"status\": \"PASS\"", "\"status\": 5"));
  EXPECT_NE(scan_error(*adapter("kube-bench", f1), "kubebench.results")
                .find(f1 + ": Controls[0].tests[0].results[0].status: expected PASS, FAIL, WARN or INFO, got '5'"),
            std::string::npos);
  std::string f2 = s.put("tests.json", "{\"Controls\": [{\"id\": \"1\", \"tests\": \"none\"}]}");
  std::string err = scan_error(*adapter("kube-bench", f2), "kubebench.results");
  EXPECT_NE(err.find(f2 + ": Controls[0].tests: expected an array, got a string"), std::string::npos) << err;
  std::string f3 = s.put("scored.json", replace_first(kb, "\"scored\": true", "\"scored\": \"yes\""));
  err = scan_error(*adapter("kube-bench", f3), "kubebench.results");
  EXPECT_NE(err.find("results[0].scored: expected true or false, got a string"), std::string::npos) << err;

  std::string p = s.put("polaris.json", "{\"Results\": {\"a\": 1}}");
  err = scan_error(*adapter("polaris", p), "polaris.results");
  EXPECT_NE(err.find(p + ": Results: expected an array, got an object"), std::string::npos) << err;
  std::string h = s.put("hunter.json", "{\"nodes\": [], \"services\": []}");
  err = scan_error(*adapter("kube-hunter", h), "kubehunter.vulnerabilities");
  EXPECT_NE(err.find(h + ": vulnerabilities: missing"), std::string::npos) << err;
  std::string y = s.put("popeye.json", "{\"popeye\": {\"sanitizers\": [{\"sanitizer\": \"pods\", \"issues\": {\"ns/p\": 3}}]}}");
  err = scan_error(*adapter("popeye", y), "popeye.issues");
  EXPECT_NE(err.find(y + ": popeye.sanitizers[0].issues.ns/p: expected an array of issues, got a number"), std::string::npos) << err;
}

TEST(Malformed, NeitherJsonNorConsoleOutput) {
  Scratch s;
  std::string f = s.put("notes.txt", "kube-bench was here\n[PASS] 1.1.1 before any control\n");
  std::string err = scan_error(*adapter("kube-bench", f), "kubebench.results");
  EXPECT_NE(err.find(f + ":2: not kube-bench console output"), std::string::npos) << err;
  std::string e = s.put("empty.json", "  \n");
  EXPECT_NE(scan_error(*adapter("kube-bench", e), "kubebench.results").find(e + ": the file is empty"), std::string::npos);
  std::string missing = (s.dir / "no-such.json").string();
  EXPECT_NE(scan_error(*adapter("polaris", missing), "polaris.results").find(missing + ": No such file or directory"), std::string::npos);
}

TEST(Malformed, OversizedInputIsRefused) {
  json::object limit;
  limit["max_input_bytes"] = 1000;
  const std::string file = data("kube-bench/defectdojo_kube-bench_cis-1.6_all-targets_wrapped_with_totals.json");
  std::string err = scan_error(*adapter("kube-bench", file, limit), "kubebench.results");
  EXPECT_NE(err.find(file + ": larger than 1000 bytes"), std::string::npos) << err;
}

}  // namespace
}  // namespace adapters_test
