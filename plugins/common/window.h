// A window or a timeout given to a table function ("5s", "500ms", "1m",
// "1.5s" or a number of seconds): net.drops' window, net.link_counters'
// window, the probes' timeouts. One parser, so every plugin takes the same forms.
#pragma once

#include <kinspect/sdk.hpp>

#include <chrono>
#include <string>

namespace plugin_common {

// Throws std::runtime_error naming the argument (`what`) for anything else,
// for zero or less, and for more than `max`.
std::chrono::milliseconds parse_window(const kinspect::sdk::Value& v, std::chrono::milliseconds max,
                                       const std::string& what);

}  // namespace plugin_common
