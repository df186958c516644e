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
// Set across the restart: GLIBC_TUNABLES as the user had it, after "=" (or
// "-" when it was unset), so the restarted process can put it back.
constexpr const char* kBefore = "KINSPECT_GLIBC_TUNABLES_BEFORE";
bool restarted = false;

void put_back(const char* before) {
  if (before) ::setenv("GLIBC_TUNABLES", before, 1);
  else ::unsetenv("GLIBC_TUNABLES");
}
}  // namespace

std::string tunables_with_huge_pages(const char* current) {
  std::string value = current ? current : "";
  if (value.find(kTunable) != std::string::npos) return value;
  return value + (value.empty() ? "" : ":") + std::string(kTunable) + "=1";
}

bool huge_pages_on_request(const std::string& thp_enabled_text) {
  return thp_enabled_text.find("[madvise]") != std::string::npos;
}

void restore_environment_after_restart() {
  const char* before = std::getenv(kBefore);
  if (!before) return;
  restarted = true;
  const std::string was = before;
  ::unsetenv(kBefore);
  put_back(was[0] == '=' ? was.c_str() + 1 : nullptr);
}

bool heap_on_huge_pages() {
  if (restarted) return true;
  const char* t = std::getenv("GLIBC_TUNABLES");
  return t && std::string_view(t).find(std::string(kTunable) + "=1") != std::string_view::npos;
}

void restart_with_huge_pages(char** argv) {
  if (restarted) return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  if (current && std::string_view(current).find(kTunable) != std::string_view::npos) return;  // the user's setting
  std::ifstream in(kEnabledFile);
  std::stringstream text;
  text << in.rdbuf();
  if (!huge_pages_on_request(text.str())) return;
  const std::string saved = current ? current : "";
  const std::string before = current ? "=" + saved : "-";
  const std::string value = tunables_with_huge_pages(current);
  if (::setenv(kBefore, before.c_str(), 1) != 0 || ::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // No /proc, or no permission: go on with the heap as it is.
  ::unsetenv(kBefore);
  put_back(current ? saved.c_str() : nullptr);
}

}  // namespace kinspect
