// RFC 3339 times for the in-tree plugins, the one place they are written
// and read (the core has its own in core/util/time, which plugins may not
// include).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plugin_common {

// "2024-01-02T03:04:05Z" (UTC, whole seconds).
std::string rfc3339(int64_t epoch_seconds);
// "2024-01-02T03:04:05.123456Z".
std::string rfc3339_us(int64_t epoch_us);
// "2024-01-02T03:04:05.123Z" (Prometheus sample timestamps are milliseconds).
std::string rfc3339_ms(int64_t epoch_ms);
// Whether a time may stop at the minute ("2026-01-01T00:00Z"), as Alibaba
// Cloud's API writes expiry and creation times. RFC 3339 itself requires
// seconds, so only readers of such providers ask for the lenient form.
enum class Seconds { required, optional };

// "2024-01-02T03:04:05Z", "...05.5Z", "...05+02:00" (or "+0200"; "T", "t" or a
// space between date and time): epoch microseconds; nullopt if it is not one.
std::optional<int64_t> parse_rfc3339_us(std::string_view s, Seconds seconds = Seconds::required);

}  // namespace plugin_common
