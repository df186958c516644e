#include "core/util/huge_pages.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace kinspect {

namespace {
constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
constexpr const char* kEnabledFile = "/sys/kernel/mm/transparent_hugepage/enabled";
}  // namespace

std::string tunables_with_huge_pages(const char* current) {
  std::string value = current ? current : "";
  if (value.find(kTunable) != std::string::npos) return value;
  return value + (value.empty() ? "" : ":") + std::string(kTunable) + "=1";
}

bool huge_pages_on_request(const std::string& thp_enabled_text) {
  return thp_enabled_text.find("[madvise]") != std::string::npos;
}

bool heap_on_huge_pages() {
  const char* t = std::getenv("GLIBC_TUNABLES");
  return t && std::string_view(t).find(std::string(kTunable) + "=1") != std::string_view::npos;
}

void restart_with_huge_pages(char** argv) {
  const char* current = std::getenv("GLIBC_TUNABLES");
  if (current && std::string_view(current).find(kTunable) != std::string_view::npos) return;  // set: by us or the user
  std::ifstream in(kEnabledFile);
  std::stringstream text;
  text << in.rdbuf();
  if (!huge_pages_on_request(text.str())) return;
  const std::string saved = current ? current : "";
  const std::string value = tunables_with_huge_pages(current);
  if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // No /proc, or no permission: go on with the heap as it is.
  if (current) ::setenv("GLIBC_TUNABLES", saved.c_str(), 1);
  else ::unsetenv("GLIBC_TUNABLES");
}

}  // namespace kinspect
