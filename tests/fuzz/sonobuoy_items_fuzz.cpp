// libFuzzer target: the sonobuoy adapter's parsers of what a results tarball
// holds, without the tarball around them: the first byte picks the item tree
// (sonobuoy_results.yaml, yaml-cpp) or a JUnit report (Boost.PropertyTree).
// Property: items or a std::exception; never a crash, a hang or a sanitizer
// report.
#include <cstdint>
#include <exception>
#include <string>

#include "results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] & 1) kinspect::adapters::sonobuoy::items_from_junit(text, "fuzz.xml", "e2e");
    else {
      std::string status;
      kinspect::adapters::sonobuoy::items_from_yaml(text, "fuzz.yaml", "e2e", &status);
    }
  } catch (const std::exception&) {
  }
  return 0;
}
