// RFC 3339 times, the one format kinspect reads and writes: reports,
// snapshot manifests, --now.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace kinspect {

// "2026-11-20T08:00:00Z" (UTC, whole seconds).
std::string format_rfc3339(std::time_t t);

// RFC 3339 ("2026-11-20T08:00:00Z", fractions and offsets allowed; a plain
// date means its midnight UTC) to epoch seconds; nullopt if it does not
// parse. The one parser for KCQL's ts(), --now and snapshot capture times.
std::optional<double> parse_rfc3339(std::string_view s);

}  // namespace kinspect
