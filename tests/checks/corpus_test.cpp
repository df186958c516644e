// Checks over real object dumps from public projects (tests/data/checks/corpus,
// see tests/data/checks/SOURCES.md), read through the kube-apiserver plugin's
// snapshot reader exactly as `kinspect run --snapshot <file>` would: no check
// errors on them, and the checks that should recognise the problem they show do.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "harness.h"

namespace fs = std::filesystem;
using namespace checks_test;

namespace {

std::string corpus(const std::string& f) { return data_dir() + "/corpus/" + f; }

std::vector<std::string> messages(kinspect::TableProvider& provider, const std::string& id) {
  const auto* c = find_check(id);
  EXPECT_NE(c, nullptr) << id;
  if (!c) return {};
  auto got = run_check(*c, provider, {});
  EXPECT_TRUE(got.ok()) << id << ": " << (got.ok() ? "" : got.error().format());
  std::vector<std::string> out;
  if (got.ok())
    for (const auto& f : *got) out.push_back(f.message);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(RealDumps, NoCheckErrorsOnAnyCorpusFile) {
  for (const auto& e : fs::directory_iterator(data_dir() + "/corpus")) {
    auto reg = snapshot_registry(e.path().string());
    for (const auto& c : checks()) {
      kcql::Params params;
      for (const auto& p : c.params)
        if (p.name == "target_version") params[p.name] = "v1.31.0";
      auto got = run_check(c, *reg, params);
      EXPECT_TRUE(got.ok()) << e.path().filename() << " " << c.id << ": " << (got.ok() ? "" : got.error().format());
      if (got.ok() && std::getenv("KINSPECT_CHECKS_PRINT"))
        for (const auto& f : *got) std::cout << e.path().filename().string() << " " << c.id << " | " << f.message << "\n";
    }
  }
}

struct Expectation {
  const char* file;
  const char* check;
  std::vector<std::string> messages;
};

class RealDump : public ::testing::TestWithParam<Expectation> {};

TEST_P(RealDump, RecognisesTheProblem) {
  const auto& e = GetParam();
  auto reg = snapshot_registry(corpus(e.file));
  auto want = e.messages;
  std::sort(want.begin(), want.end());
  auto got = messages(*reg, e.check);
  if (got != want)
    for (const auto& m : got) std::cout << "      \"" << m << "\",\n";
  EXPECT_EQ(got, want);
}

const std::vector<Expectation> kExpectations = {
#include "corpus_expected.inc"
};

INSTANTIATE_TEST_SUITE_P(Corpus, RealDump, ::testing::ValuesIn(kExpectations), [](const ::testing::TestParamInfo<Expectation>& info) {
  std::string n = std::string(info.param.check) + "_" + std::to_string(info.index);
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});
