// Terminal facts: colour and progress only where a person is watching.
#pragma once

#include <string>
#include <string_view>

namespace kinspect::term {

inline constexpr const char* kReset = "\033[0m";
inline constexpr const char* kBold = "\033[1m";
inline constexpr const char* kDim = "\033[2m";
inline constexpr const char* kRed = "\033[31m";
inline constexpr const char* kGreen = "\033[32m";
inline constexpr const char* kYellow = "\033[33m";
inline constexpr const char* kBlue = "\033[34m";
inline constexpr const char* kCyan = "\033[36m";

// Colour on a TTY unless NO_COLOR is set (https://no-color.org) or
// TERM=dumb; --color=always/never overrides via set_colour_mode().
enum class ColourMode { Auto, Always, Never };
void set_colour_mode(ColourMode m);
bool stdout_colour();
bool stderr_colour();
bool stderr_is_tty();

// Text that came from a cluster (messages, names, errors), made safe to
// print: control characters (C0, DEL, and C1 in UTF-8) are shown as \xNN
// rather than sent to the terminal, where ESC sequences could retitle the
// window or clear the screen and a CR could overwrite a line.
std::string printable(std::string_view text);

}  // namespace kinspect::term
