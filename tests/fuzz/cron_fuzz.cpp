// libFuzzer target: any bytes as a `kinspect serve` schedule (core/daemon/
// cron.cpp). Property: the parser either gives a schedule or an error with a
// message and a column inside the text (or one past its end); and for a
// schedule, every next fire time from a few starting points is strictly
// later, within the 10-year horizon, and is itself the answer when asked
// from one second before it (the search neither skips nor overshoots).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/daemon/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  kinspect::daemon::CronError e;
  auto s = kinspect::daemon::parse_cron(in, e);
  if (!s) {
    if (e.message.empty() || e.column < 1 || e.column > in.size() + 1) std::abort();
    return 0;
  }
  // 2026-01-01, 2028-02-28 23:59:59 (before a leap day), 2099-12-31 23:59:59.
  for (std::time_t from : {std::time_t(1767225600), std::time_t(1835395199), std::time_t(4102444799)}) {
    auto next = kinspect::daemon::next_fire(*s, from);
    if (!next) continue;  // e.g. Feb 29 in a 10-year span with no leap day
    if (*next <= from || *next > from + std::time_t(10) * 366 * 86400) std::abort();
    auto again = kinspect::daemon::next_fire(*s, *next - 1);
    if (!again || *again != *next) std::abort();
  }
  return 0;
}
