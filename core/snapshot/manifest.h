// Reading a snapshot's manifest from the core, for what the run needs to know
// about the snapshot itself (when it was taken). The rows are the driver's.
#pragma once

#include <optional>
#include <string>

#include "core/util/time.h"  // parse_rfc3339, for the manifest's times

namespace kinspect {

// The manifest's "created" time (RFC 3339) of a snapshot folder or .tar.gz,
// if it has one. Checks on a snapshot judge ages ("NotReady for more than
// 5m") against this time, not the clock, so a snapshot gives the same
// report whenever it is inspected.
std::optional<std::string> snapshot_created(const std::string& path);


}  // namespace kinspect
