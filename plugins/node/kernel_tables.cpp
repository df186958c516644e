#include "kernel_tables.h"

#include <sys/stat.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/text.h"
#include "kernel_events.h"
#include "kernel_log.h"
#include "npd.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace node {

using T = ks::Type;

struct KernelLogTables::Digest {
  std::string path;       // the log read
  std::string error;      // why it could not be read ("" if it was)
  bool unavailable = false;
  bool live = false;      // the host's own kernel, not a saved log
  std::string cause;      // for ks::Unavailable
  ReadStats stats;
  std::unique_ptr<RecordWindow> window;
  EventRecogniser events;
  std::vector<NpdConfig> configs;
  std::vector<std::string> config_errors;
  std::vector<NpdProblem> problems;
};

KernelLogTables::KernelLogTables(const ks::Host& host, const plugin_common::HostFs& fs, KernelLogSettings s)
    : host_(host), fs_(fs), settings_(std::move(s)) {}
KernelLogTables::~KernelLogTables() = default;

bool KernelLogTables::take_setting(const std::string& key, const json::value& v, KernelLogSettings& s) {
  auto text = [&]() -> std::string {
    if (!v.is_string()) throw std::runtime_error("node: setting " + key + " must be text, got " + json::serialize(v));
    return std::string(v.as_string());
  };
  if (key == "kmsg_path") {
    s.kmsg_path = text();
  } else if (key == "npd_config_dir") {
    s.npd_config_dir = text();
  } else if (key == "kmsg_boot_time") {
    s.boot_epoch_us = parse_rfc3339_us(text());
    if (!s.boot_epoch_us)
      throw std::runtime_error("node: setting kmsg_boot_time must be an RFC 3339 time such as 2024-01-02T03:04:05Z, got " +
                               json::serialize(v));
  } else if (key == "kernel_log_max_bytes") {
    if (!v.is_int64() || v.as_int64() < 4096)
      throw std::runtime_error("node: setting kernel_log_max_bytes must be an integer of at least 4096, got " +
                               json::serialize(v));
    s.max_bytes = v.as_int64();
  } else {
    return false;
  }
  return true;
}

std::vector<ks::SettingSpec> KernelLogTables::settings() {
  return {{"kmsg_path", T::Text, "null",
           "the kernel log to read instead of <root>/dev/kmsg: a file in kmsg, dmesg or syslog format, a FIFO or /dev/fd/N"},
          {"kmsg_boot_time", T::Text, "null",
           "when the boot a saved kmsg or dmesg log comes from began (RFC 3339), to give its records wall-clock times"},
          {"kernel_log_max_bytes", T::Integer, "8388608",
           "the most of the newest kernel-log records node.kernel_log keeps (older ones are counted, not kept)"},
          {"npd_config_dir", T::Text, "null",
           "a folder of node-problem-detector monitor configurations (*.json, ConfigMaps as *.yaml); default: the bundled ones"}};
}

bool KernelLogTables::serves(const std::string& t) {
  return t == "node.kernel_log" || t == "node.kernel_events" || t == "node.problems" || t == "node.npd_rules";
}

std::vector<ks::TableSpec> KernelLogTables::tables() {
  return {
      {"node.kernel_log",
       "The kernel log: <root>/dev/kmsg read without blocking from the start of the ring buffer, or the file given "
       "with kmsg_path (kmsg, dmesg or syslog format, told apart line by line). Continuation lines are joined into "
       "their record. Only the newest records up to kernel_log_max_bytes (8 MiB) are kept, however long the log.",
       {{"index", T::Integer, "Position of the record in the log (0-based); a gap at the start means older records were not kept"},
        {"seq", T::Integer, "Sequence number from /dev/kmsg; NULL in other formats"},
        {"line", T::Integer, "Line of the file where the record starts; 0 for /dev/kmsg"},
        {"format", T::Text, "kmsg, dmesg, syslog or plain (no prefix)"},
        {"priority", T::Integer, "0 emerg .. 7 debug, where the format says"},
        {"facility", T::Integer, "Syslog facility (0 kernel), where the format says"},
        {"boot_seconds", T::Real, "Seconds since boot, where the format says"},
        {"time", T::Timestamp, "Wall-clock time: from syslog, else boot time + boot_seconds (boot time known for this host's /dev/kmsg or from kmsg_boot_time); NULL if unknown"},
        {"caller", T::Text, "printk caller id (T31 a task, C0 a CPU) when the kernel adds it"},
        {"message", T::Text, "The text; continuation lines joined with newlines"}},
       {},
       {"SELECT time, message FROM node.kernel_log WHERE priority <= 3"}},
      {"node.kernel_events",
       "Problems the kernel reported in its log, one row per report: hung_task, oom_kill (victim, system or memcg), "
       "soft_lockup, rcu_stall, oops, panic, fs_error, fs_read_only, unregister_netdevice, io_error. The newest "
       "4096 are kept (a warning counts the others).",
       {{"kind", T::Text, "What happened (see the table's description)"},
        {"subject", T::Text, "The task, OOM victim, device or interface; empty when the report names none"},
        {"pid", T::Integer, "The task's or victim's pid, where reported"},
        {"scope", T::Text, "oom_kill: memcg (a memory cgroup's limit) or system; else empty"},
        {"detail", T::Text, "hung_task: how long; soft_lockup: CPU and how long; oom_kill: the task that invoked the killer; rcu_stall: the RCU flavour; panic: its reason"},
        {"message", T::Text, "The line the report was recognised on"},
        {"record", T::Integer, "node.kernel_log index of that line's record"},
        {"boot_seconds", T::Real, "Seconds since boot, where known"},
        {"time", T::Timestamp, "Wall-clock time, where known"},
        {"live", T::Boolean, "true when read from the host's own kernel (<root>/dev/kmsg), false for a saved log given with kmsg_path (checks judge a saved log whole, not only its recent reports)"}},
       {},
       {"SELECT kind, subject, count(*) FROM node.kernel_events GROUP BY kind, subject"}},
      {"node.problems",
       "node-problem-detector's system-log rules applied to the kernel log (the bundled kernel-monitor.json and "
       "readonly-monitor.json, or those in npd_config_dir): one row per rule that matched.",
       {{"source", T::Text, "The configuration's source, e.g. kernel-monitor"},
        {"file", T::Text, "The configuration file (bundled:NAME for a bundled one)"},
        {"rule", T::Integer, "The rule's position in the file's rules (0-based)"},
        {"reason", T::Text, "The rule's reason, e.g. OOMKilling, TaskHung, FilesystemIsReadOnly"},
        {"type", T::Text, "temporary (an event) or permanent (sets a node condition)"},
        {"condition", T::Text, "permanent rules: the condition they set, e.g. KernelDeadlock"},
        {"count", T::Integer, "How many times it matched"},
        {"first_time", T::Timestamp, "Wall-clock time of the first match, where known"},
        {"last_time", T::Timestamp, "Wall-clock time of the newest match, where known"},
        {"first_boot_seconds", T::Real, "Seconds since boot of the first match, where known"},
        {"last_boot_seconds", T::Real, "Seconds since boot of the newest match, where known"},
        {"message", T::Text, "The newest line that matched"},
        {"lines", T::Json, "The lines of the newest match (a multi-line rule spans several), an array"},
        {"live", T::Boolean, "true when read from the host's own kernel (<root>/dev/kmsg), false for a saved log given with kmsg_path"}},
       {},
       {"SELECT reason, count, last_time FROM node.problems WHERE type = 'permanent'"}},
      {"node.npd_rules",
       "Every rule of the NPD configurations node.problems applies, with its status: ok, error (a pattern RE2 "
       "cannot compile, a bad type; the other rules still run) or not applied (a monitor of another log, a custom "
       "plugin). A file that does not parse has one row with rule NULL and the error.",
       {{"file", T::Text, "The configuration file"},
        {"source", T::Text, "Its source"},
        {"plugin", T::Text, "kmsg, filelog, journald or custom (inferred from logPath for older configurations)"},
        {"rule", T::Integer, "Position in its rules (0-based); NULL for a file-level row"},
        {"type", T::Text, "temporary or permanent"},
        {"condition", T::Text, "The condition a permanent rule sets"},
        {"reason", T::Text, "The rule's reason"},
        {"pattern", T::Text, "The rule's Go regular expression"},
        {"status", T::Text, "ok, \"error: why\" or \"not applied: why\""}},
       {},
       {"SELECT file, reason, status FROM node.npd_rules WHERE status LIKE 'error%'"}},
  };
}

void KernelLogTables::load_rules(Digest& d) {
  if (settings_.npd_config_dir.empty()) {
    d.configs = bundled_npd_configs();
    return;
  }
  d.configs = load_npd_dir(settings_.npd_config_dir, d.config_errors);
  for (const auto& e : d.config_errors) host_.warn("node.problems: " + e);
}

void KernelLogTables::read_log(Digest& d) {
  const bool given = !settings_.kmsg_path.empty();
  d.path = given ? settings_.kmsg_path : fs_.at("/dev/kmsg");
  d.live = !given;
  struct stat st{};
  if (!given && ::stat(d.path.c_str(), &st) != 0) {
    d.unavailable = true, d.cause = "no kernel log";
    d.error = d.path + ": " + std::strerror(errno) +
              " (mount the host's /dev/kmsg, or give a saved log with --set node.kmsg_path=FILE)";
    return;
  }
  ClockHint clock;
  clock.now_epoch_s = static_cast<int64_t>(::time(nullptr));
  clock.boot_epoch_us = settings_.boot_epoch_us;
  // This host's boot time applies to its own /dev/kmsg only.
  if (!clock.boot_epoch_us && !given && fs_.is_real_root()) clock.boot_epoch_us = this_boot_epoch_us();
  d.window = std::make_unique<RecordWindow>(static_cast<size_t>(settings_.max_bytes));
  NpdMatcher matcher(d.configs);
  RecordAssembler assembler(clock, [&](KernelRecord&& r) {
    d.events.add(r);
    matcher.add(r);
    d.window->push(std::move(r));
  });
  try {
    d.stats = read_kernel_log(d.path, [&](std::string_view l) { assembler.line(l); });
  } catch (const KernelLogError& e) {
    const bool denied = e.err == EACCES || e.err == EPERM;
    d.error = e.what();
    if (!given && denied) d.unavailable = true, d.cause = "forbidden";
    return;
  } catch (const std::exception& e) {
    d.error = e.what();
    return;
  }
  assembler.finish();
  d.events.finish();
  d.problems = matcher.problems();
  if (d.window->dropped())
    host_.warn("node.kernel_log: " + d.path + ": kept the newest " + std::to_string(d.window->records().size()) +
               " records (kernel_log_max_bytes " + std::to_string(settings_.max_bytes) + "); " +
               std::to_string(d.window->dropped()) + " older ones were read for node.kernel_events and node.problems only");
  if (d.events.dropped())
    host_.warn("node.kernel_events: kept the newest " + std::to_string(EventRecogniser::kMaxEvents) + " reports; " +
               std::to_string(d.events.dropped()) + " older ones were not kept");
  if (d.stats.lost_records)
    host_.warn("node.kernel_log: " + std::to_string(d.stats.lost_records) + " records were overwritten in the ring buffer while it was read");
}

const KernelLogTables::Digest& KernelLogTables::digest() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!digest_) {
    auto d = std::make_unique<Digest>();
    load_rules(*d);
    read_log(*d);
    digest_ = std::move(d);
  }
  return *digest_;
}

namespace {

void time_fields(ks::JsonWriter& r, const char* boot_key, const char* time_key, const std::optional<int64_t>& boot_us,
                 const std::optional<int64_t>& wall_us) {
  if (boot_us) r.field(boot_key, static_cast<double>(*boot_us) / 1e6);
  else r.null(boot_key);
  if (wall_us) r.field(time_key, rfc3339_us(*wall_us));
  else r.null(time_key);
}

template <class N>
void opt(ks::JsonWriter& r, const char* key, const std::optional<N>& v) {
  if (v) r.field(key, static_cast<int64_t>(*v));
  else r.null(key);
}

void log_row(ks::BatchWriter& out, const KernelRecord& k) {
  auto r = out.row();
  r.field("index", static_cast<int64_t>(k.index));
  opt(r, "seq", k.seq);
  r.field("line", static_cast<int64_t>(k.line)).field("format", format_name(k.format));
  opt(r, "priority", k.priority);
  opt(r, "facility", k.facility);
  time_fields(r, "boot_seconds", "time", k.boot_us, k.wall_us);
  r.field("caller", k.caller).field("message", plugin_common::valid_utf8(k.message) ? k.message : std::string("<not UTF-8>"));
}

std::string utf8_or_note(const std::string& s) { return plugin_common::valid_utf8(s) ? s : "<not UTF-8>"; }

void event_row(ks::BatchWriter& out, const KernelEvent& e, bool live) {
  auto r = out.row();
  r.field("kind", e.kind).field("subject", utf8_or_note(e.subject));
  opt(r, "pid", e.pid);
  r.field("scope", e.scope).field("detail", utf8_or_note(e.detail)).field("message", utf8_or_note(e.message));
  r.field("record", static_cast<int64_t>(e.record));
  time_fields(r, "boot_seconds", "time", e.boot_us, e.wall_us);
  r.field("live", live);
}

void problem_row(ks::BatchWriter& out, const NpdProblem& p, bool live) {
  auto r = out.row();
  r.field("source", p.config->source).field("file", p.config->file).field("rule", static_cast<int64_t>(p.rule->index));
  r.field("reason", p.rule->reason).field("type", p.rule->type).field("condition", p.rule->condition);
  r.field("count", static_cast<int64_t>(p.count));
  time_fields(r, "first_boot_seconds", "first_time", p.first_boot_us, p.first_wall_us);
  time_fields(r, "last_boot_seconds", "last_time", p.last_boot_us, p.last_wall_us);
  r.field("message", p.lines.empty() ? std::string() : utf8_or_note(p.lines.back()));
  {
    auto a = r.array("lines");
    for (const auto& l : p.lines) a.value(utf8_or_note(l));
  }
  r.field("live", live);
}

void rule_rows(ks::BatchWriter& out, const std::vector<NpdConfig>& configs, const std::vector<std::string>& errors) {
  for (const auto& c : configs) {
    if (c.rules.empty()) {
      out.row().field("file", c.file).field("source", c.source).field("plugin", c.plugin).null("rule").null("type")
          .null("condition").null("reason").null("pattern")
          .field("status", c.not_applied.empty() ? "not applied: no rules" : "not applied: " + c.not_applied);
    }
    for (const auto& ru : c.rules)
      out.row().field("file", c.file).field("source", c.source).field("plugin", c.plugin)
          .field("rule", static_cast<int64_t>(ru.index)).field("type", ru.type).field("condition", ru.condition)
          .field("reason", ru.reason).field("pattern", ru.pattern).field("status", ru.status);
  }
  for (const auto& e : errors)
    out.row().field("file", e.substr(0, e.find(':'))).null("source").null("plugin").null("rule").null("type")
        .null("condition").null("reason").null("pattern").field("status", "error: " + e);
}

// Emits `n` rows through `row(i)` a few MiB at a time.
template <class Fn>
class ChunkedScan final : public ks::Scan {
 public:
  ChunkedScan(size_t n, Fn row) : n_(n), row_(std::move(row)) {}
  bool next(ks::BatchWriter& out) override {
    while (i_ < n_ && !out.full()) row_(out, i_++);
    return i_ < n_;
  }

 private:
  size_t n_, i_ = 0;
  Fn row_;
};

}  // namespace

std::unique_ptr<ks::Scan> KernelLogTables::scan(const std::string& table) {
  const Digest& d = digest();
  if (table == "node.npd_rules")
    return ks::rows([&d](ks::BatchWriter& out) { rule_rows(out, d.configs, d.config_errors); });
  if (d.unavailable) throw ks::Unavailable(d.cause, d.error);
  if (!d.error.empty()) throw std::runtime_error(table + ": " + d.error);
  auto chunked = [](size_t n, auto row) -> std::unique_ptr<ks::Scan> {
    return std::make_unique<ChunkedScan<decltype(row)>>(n, std::move(row));
  };
  if (table == "node.kernel_log")
    return chunked(d.window->records().size(), [&d](ks::BatchWriter& out, size_t i) { log_row(out, d.window->records()[i]); });
  if (table == "node.kernel_events")
    return chunked(d.events.events().size(), [&d](ks::BatchWriter& out, size_t i) { event_row(out, d.events.events()[i], d.live); });
  return chunked(d.problems.size(), [&d](ks::BatchWriter& out, size_t i) { problem_row(out, d.problems[i], d.live); });
}

}  // namespace node
