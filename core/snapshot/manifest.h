// Reading a snapshot's manifest from the core, for what the run needs to know
// about the snapshot itself (when it was taken). The rows are the driver's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/report/report.h"
#include "core/util/time.h"  // parse_rfc3339, for the manifest's times

namespace kinspect {

// The manifest's "created" time (RFC 3339) of a snapshot folder or .tar.gz,
// if it has one. Checks on a snapshot judge ages ("NotReady for more than
// 5m") against this time, not the clock, so a snapshot gives the same
// report whenever it is inspected.
std::optional<std::string> snapshot_created(const std::string& path);

// The name of the cluster the snapshot was taken from (the manifest's
// cluster.name, written by `kinspect snapshot` since it names live runs), if
// the manifest has one: a run over the snapshot carries it into its report.
std::optional<std::string> snapshot_cluster_name(const std::string& path);

// The scope a snapshot was captured with (kinspect snapshot -n/-l/
// --exclude-namespace), from its manifest; the whole cluster when none.
report::Scope snapshot_scope(const std::string& path);

// The tools whose outputs a snapshot carries (`kinspect snapshot --with`),
// from its manifest's "with" list; empty when it carries none.
std::vector<std::string> snapshot_input_tools(const std::string& path);

// Those outputs, unpacked into a private temporary folder removed when the
// process ends: tool -> the file, or the folder of files, to read. Throws
// std::runtime_error naming the snapshot and member when one cannot be read.
std::vector<std::pair<std::string, std::string>> snapshot_inputs(const std::string& path);

// The adapter settings carried with those outputs when they were read from
// the live cluster (`kinspect snapshot --with TOOL`): tool -> settings.
// Only the settings a live read decides are honoured (which annotation the
// files hold; why nothing was found): a manifest must not reconfigure an
// adapter beyond what the capture saw.
std::vector<std::pair<std::string, std::map<std::string, std::string>>> snapshot_input_settings(const std::string& path);

// The settings of a `with` entry that a snapshot carries and a later run
// honours: what a live read of a tool decided from the cluster
// (core/cli/live_with.cpp). No other setting of a manifest is trusted.
inline constexpr const char* kCarriedWithSettings[] = {"live_annotation", "live_unavailable"};

// A new private (0700, mkdtemp) temporary folder, removed with the others
// when this process (not a worker it started) ends: for --with inputs read
// from the live cluster.
std::string private_temp_folder();


}  // namespace kinspect
