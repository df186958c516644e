#include "core/util/terminal.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace kinspect::term {

static ColourMode g_mode = ColourMode::Auto;

void set_colour_mode(ColourMode m) { g_mode = m; }

static bool colour_for(int fd) {
  if (g_mode != ColourMode::Auto) return g_mode == ColourMode::Always;
  const char* no = std::getenv("NO_COLOR");
  if (no && *no) return false;
  const char* t = std::getenv("TERM");
  if (t && std::strcmp(t, "dumb") == 0) return false;
  return isatty(fd) != 0;
}

bool stdout_colour() { return colour_for(STDOUT_FILENO); }
bool stderr_colour() { return colour_for(STDERR_FILENO); }
bool stderr_is_tty() { return isatty(STDERR_FILENO) != 0; }

}  // namespace kinspect::term
