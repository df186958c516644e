// libFuzzer target: any bytes as a profile file (profiles/*.yaml), through
// the same parser `kinspect run` uses. Property: a ProfileSet or an error
// that names the file; never a crash, a hang or a sanitizer report.
#include <cstdint>
#include <string_view>

#include "core/profile/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto set = kinspect::ProfileSet::parse(yaml, "fuzz.yaml");
  if (!set && set.error().message().empty() && set.error().diagnostics().empty()) __builtin_trap();  // an error says why
  return 0;
}
