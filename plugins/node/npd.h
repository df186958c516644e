// node-problem-detector's system-log monitor configurations, applied to the
// kernel log natively: the same rules, the same buffer of recent lines, the
// same "the pattern must match up to the newest line" semantics, with the
// patterns (Go regular expressions) run by RE2 in linear time.
//
// A configuration is JSON: source, plugin (kmsg, filelog, journald, custom),
// pluginConfig, logPath, lookback, bufferSize, conditions [{type, reason,
// message}], rules [{type temporary|permanent, condition, reason, pattern}].
// Configurations of older releases (no plugin or lookback) are read too: the
// log is then told by logPath. A Kubernetes ConfigMap (YAML) holding such
// JSON documents under data: is read as one configuration per key.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel_log.h"

namespace re2 {
class RE2;
class RE2Set;
}  // namespace re2

namespace node {

struct NpdRule {
  size_t index = 0;         // position in the configuration's rules
  std::string type;         // temporary | permanent
  std::string condition;    // permanent rules: the node condition they set
  std::string reason;
  std::string pattern;
  std::string status = "ok";  // ok | "error: ..." | "not applied: ..."
  bool multiline = false;   // may match across lines of the buffer
};

struct NpdConfig {
  std::string file;         // path (or "bundled:kernel-monitor.json", "cm.yaml:data.kernel-monitor.json")
  std::string source;
  std::string plugin;       // as written, or inferred from logPath ("kmsg", "filelog", "journald")
  std::string log_path;
  std::string lookback;
  int64_t buffer_size = 10;
  std::vector<std::string> condition_types;
  std::vector<NpdRule> rules;
  // Whether its rules read the kernel log (kmsg; filelog of kern.log;
  // journald of source kernel); otherwise why not.
  bool applies = false;
  std::string not_applied;
};

// Parses one configuration. Throws std::runtime_error "file:line:col: ..."
// for JSON that does not parse, or "file: rules[2].pattern: ..." for a field
// of the wrong type. A pattern RE2 refuses is not an error here: the rule's
// status says why and the other rules still run.
NpdConfig parse_npd_config(std::string_view text, const std::string& file);
// A ConfigMap's data entries that are JSON (their key ends in .json).
std::vector<NpdConfig> parse_npd_configmap(std::string_view text, const std::string& file);

// Every *.json, *.yaml and *.yml in `dir` (sorted by name). A file that does
// not parse is returned in `errors` ("file:line:col: why") and skipped.
std::vector<NpdConfig> load_npd_dir(const std::string& dir, std::vector<std::string>& errors);
// The configurations bundled with kinspect (NPD's kernel-monitor.json and
// readonly-monitor.json; see plugins/node/npd-config/SOURCES.md).
std::vector<NpdConfig> bundled_npd_configs();

// What one rule found.
struct NpdProblem {
  const NpdConfig* config = nullptr;
  const NpdRule* rule = nullptr;
  uint64_t count = 0;
  std::optional<int64_t> first_boot_us, first_wall_us, last_boot_us, last_wall_us;
  std::vector<std::string> lines;  // the lines of the newest match (at most kMaxLines, each cut at 1 KiB)
  static constexpr size_t kMaxLines = 20;
};

// Runs the applicable rules of `configs` over kernel-log lines, each
// configuration with its own buffer of bufferSize lines. Memory: the buffers
// and one NpdProblem per rule, whatever the log's length.
class NpdMatcher {
 public:
  explicit NpdMatcher(std::vector<NpdConfig>& configs);
  ~NpdMatcher();
  void add(const KernelRecord& r);  // each line of its message is one log line
  std::vector<NpdProblem> problems() const;  // rules that matched, in configuration order

 private:
  struct PerConfig;
  void line(std::string_view text, const KernelRecord& r);
  std::vector<std::unique_ptr<PerConfig>> per_;
};

}  // namespace node
