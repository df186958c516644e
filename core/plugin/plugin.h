// A plugin loaded into this process: its shared object, its vtable after the
// ABI handshake, one instance, and what it declares.
#pragma once

#include <kinspect/abi.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/table/table.h"
#include "core/util/error.h"

namespace kinspect {

// A native check a plugin provides (KI_KIND_CHECKS).
struct NativeCheckSchema {
  std::string id, title, category, severity, component, remedy, doc;
  std::vector<std::string> reads;
  std::string params_json = "{}";
  std::string plugin;
};

// A configuration key a plugin accepts (ABI 1.1, describe()'s "settings").
struct SettingSchema {
  std::string name;
  ColumnType type = ColumnType::Text;
  std::string default_json = "null";
  std::string doc;
};

// What describe() returns, parsed.
struct PluginDescription {
  std::vector<TableSchema> tables;
  std::vector<NativeCheckSchema> checks;
  std::vector<SettingSchema> settings;
  bool declares_settings = false;  // false: a 1.0 plugin, settings pass unchecked
};
// Parses and validates a describe() document; errors name the JSON field.
Expected<PluginDescription> parse_description(std::string_view json, std::string_view plugin);

std::string kinds_to_string(uint32_t kinds);

// The error for a plugin call that returned `rc` with `message`, prefixed by
// `what` ("plugin 'x', table t"). KI_UNAVAILABLE becomes an unavailable
// error whose cause is the message's first words ("not served").
Error plugin_error(ki_rc rc, std::string_view what, std::string_view message);

// Stops a scan from outside: a deadline, or a flag set by the executor.
struct CancelToken {
  std::atomic<bool> cancelled{false};
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool should_stop() const {
    return cancelled.load(std::memory_order_relaxed) || std::chrono::steady_clock::now() >= deadline;
  }
};

class LoadedPlugin;
struct ScanCtx;  // the host context behind ki_host_ctx_t (plugin.cpp)

// Receives a scan's batches; return an error to stop the scan.
using BatchSink = std::function<Status(std::string_view batch)>;

// What a plugin's host callbacks need to reach the rest of the core (reading
// other tables from native checks). The registry implements it.
class HostServices {
 public:
  virtual ~HostServices() = default;
  virtual Status scan_table(const ScanSpec& spec, const BatchSink& sink, const CancelToken* cancel) = 0;
};

// A plugin the core can use: identity, what it declares, scans and checks.
// Two implementations: InProcessPlugin (the shared object is loaded into this
// process) and IsolatedPlugin (it is loaded into a worker process, so a crash
// or a hang costs only that plugin's tables).
class LoadedPlugin {
 public:
  virtual ~LoadedPlugin() = default;
  virtual const std::string& path() const = 0;
  virtual std::string_view name() const = 0;
  virtual std::string_view version() const = 0;
  virtual std::string_view description_text() const = 0;
  virtual uint16_t abi_major() const = 0;
  virtual uint16_t abi_minor() const = 0;
  virtual uint32_t kinds() const = 0;
  virtual const PluginDescription& description() const = 0;

  // Streams the rows of one of this plugin's tables into `sink`.
  // `services` answers the tables the plugin reads meanwhile: the registry
  // snapshot of the run that asks, never one fixed at load, because a
  // plugin outlives the snapshot it was loaded into when a reload keeps it.
  virtual Status scan(const ScanSpec& spec, const BatchSink& sink, const CancelToken* cancel,
                      HostServices* services) = 0;
  // Runs a native check; findings (JSON objects) stream into `sink`.
  virtual Status run_check(const std::string& check_id, const std::string& params_json, const BatchSink& sink,
                           const CancelToken* cancel, HostServices* services) = 0;
  // (ABI 1.3) Writes one report's findings back (KI_KIND_PUBLISHER); what
  // each write did streams into `sink` as JSON objects (abi.h).
  virtual Status publish(const std::string& request_json, const BatchSink& sink, const CancelToken* cancel) = 0;
};

// Returns the settings (a JSON object text) for the plugin named `name`.
using ConfigLookup = std::function<std::string(std::string_view name)>;

class InProcessPlugin final : public LoadedPlugin {
 public:
  ~InProcessPlugin() override;  // destroy() the instance, then unload the library

  // Opens `load_path`, checks it is a kinspect plugin whose ABI this core
  // speaks, creates an instance with the settings `config` gives for its
  // name and reads its description. Every failure is one line naming the
  // reason (the caller adds the path). `shown_path` is the path() reported
  // when the library is opened from a pinned image (image.h); "" = load_path.
  static Expected<std::unique_ptr<InProcessPlugin>> load(const std::string& load_path, const ConfigLookup& config,
                                                         const std::string& shown_path = "");

  const std::string& path() const override { return path_; }
  std::string_view name() const override { return api_->name; }
  std::string_view version() const override { return api_->version ? api_->version : ""; }
  std::string_view description_text() const override { return api_->description ? api_->description : ""; }
  uint16_t abi_major() const override { return api_->abi_major; }
  uint16_t abi_minor() const override { return api_->abi_minor; }
  uint32_t kinds() const override { return api_->kinds; }
  const PluginDescription& description() const override { return description_; }
  // describe() as the plugin returned it (a worker passes it on verbatim).
  const std::string& description_json() const { return description_json_; }

  Status scan(const ScanSpec& spec, const BatchSink& sink, const CancelToken* cancel,
              HostServices* services) override;
  Status run_check(const std::string& check_id, const std::string& params_json, const BatchSink& sink,
                   const CancelToken* cancel, HostServices* services) override;
  Status publish(const std::string& request_json, const BatchSink& sink, const CancelToken* cancel) override;

  // (ABI 1.2) What this instance lets later instances of the same run
  // start from (see `share` in abi.h); nullopt when it shares nothing or
  // predates 1.2. It may hold credentials: never log or store it.
  std::optional<std::string> share();
  // Hands what share() returned elsewhere to this instance; an error
  // leaves it working from its settings alone.
  Status adopt(const std::string& shared);

  struct Impl;

 private:
  InProcessPlugin() = default;
  Status drain(ScanCtx& ctx, ki_scan_t* scan, const BatchSink& sink, std::string_view what);

  std::unique_ptr<Impl> impl_;
  std::string path_;
  const ki_plugin_api* api_ = nullptr;
  ki_plugin_t* instance_ = nullptr;
  PluginDescription description_;
  std::string description_json_;
  // Serialises calls unless the plugin says it is thread-safe. Recursive:
  // a native check may read its own plugin's tables from inside scan_next.
  std::recursive_mutex call_mutex_;
  bool thread_safe_ = false;
};

}  // namespace kinspect
