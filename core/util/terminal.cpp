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

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    bool c1 = c == 0xC2 && i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xE0) == 0x80;
    if (c >= 0x20 && c != 0x7F && !c1) {
      out += static_cast<char>(c);
      continue;
    }
    if (c1) c = static_cast<unsigned char>(text[++i]);
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace kinspect::term
