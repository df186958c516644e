#include "core/util/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <mutex>

#include "core/util/terminal.h"

namespace kinspect::log {

static std::atomic<int> g_level{static_cast<int>(Level::Warning)};
static std::mutex g_mutex;

void set_level(Level l) { g_level = static_cast<int>(l); }
Level level() { return static_cast<Level>(g_level.load()); }
bool enabled(Level l) { return static_cast<int>(l) <= g_level.load(); }

static constexpr const char* kLevelVariable = "KINSPECT_LOG_LEVEL";

void export_level() { ::setenv(kLevelVariable, std::to_string(g_level.load()).c_str(), 1); }

void import_level() {
  const char* v = std::getenv(kLevelVariable);
  if (v && *v >= '0' && *v <= '3' && v[1] == '\0') g_level = *v - '0';
}

void write(Level l, std::string_view component, std::string_view message) {
  if (!enabled(l)) return;
  static const char* names[] = {"error", "warning", "info", "debug"};
  const bool colour = term::stderr_colour();
  const char* col = l == Level::Error ? term::kRed : l == Level::Warning ? term::kYellow : term::kDim;
  std::string line;
  if (colour) line += col;
  line += names[static_cast<int>(l)];
  if (colour) line += term::kReset;
  line += ": ";
  if (!component.empty()) {
    line += '[';
    line += component;
    line += "] ";
  }
  line += term::printable(message);  // messages quote servers and files: no terminal controls
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace kinspect::log
