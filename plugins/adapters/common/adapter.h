// What every adapter plugin shares (docs/adapters.md): its settings (`input`
// from --with TOOL=PATH, `live` from --with TOOL), the files of an input,
// bounded reads, JSON parsed with errors that name the file, line and column
// (and the field), and a scan that hands prepared rows over in batches.
//
// An adapter declares its tables whether or not it was given an input; a scan
// without one fails with "no input: pass --with TOOL=PATH", so a tool that
// was not run is never mistaken for a tool that found nothing.
#pragma once

#include <kinspect/sdk.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kinspect::adapters {

namespace ks = kinspect::sdk;
namespace json = boost::json;

inline constexpr int64_t kDefaultMaxInputBytes = 256ll << 20;

struct Settings {
  std::string tool;
  std::string input;  // a file, a folder or a tarball; "" when not given
  bool live = false;  // --with TOOL alone: read from the live cluster
  // Set by the host when --with TOOL alone found no results where the
  // adapter's `live_pods` says they are: why (every scan is unavailable).
  std::string live_unavailable;
  // Set by the host when --with TOOL alone read the annotation `LiveSource::
  // annotation` of the `pods`: then each input file is one pod's annotation
  // value (named <namespace>_<pod>.json), not the tool's usual output.
  std::string live_annotation;
  bool run = false;  // --with TOOL=run: run the tool on this machine and read what it prints
  int64_t max_input_bytes = kDefaultMaxInputBytes;
  json::object extra;  // settings the adapter declares beyond these
};

// Parses an adapter's settings; a key neither common nor in `extra_keys` is
// an error naming it.
Settings parse_settings(std::string_view tool, std::string_view config_json,
                        const std::vector<std::string>& extra_keys = {});

// The files an input names: the file itself, or a folder's regular files
// (recursively, sorted, hidden files left out). Errors name the path.
std::vector<std::string> input_files(const std::string& path);

// A whole file, refused when larger than `max_bytes`.
std::string read_file(const std::string& path, int64_t max_bytes);

// Parses JSON text. `where` names its origin ("kb.json", or
// "results.tar.gz: plugins/e2e/..."); an error says where, with line and column.
json::value parse_json(std::string_view text, const std::string& where);

// Typed access to a JSON object's members, with errors naming the file and
// the member's path ("kb.json: Controls[0].tests: expected an array, got a string").
// Missing and null members are empty (NULL in the table), never an error.
class Fields {
 public:
  Fields(const json::object& obj, std::string where) : obj_(obj), where_(std::move(where)) {}
  const json::value* get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key) != nullptr; }
  // Text: strings as they are; numbers and booleans written out.
  std::string text(std::string_view key) const;
  std::optional<int64_t> integer(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  const json::array* array(std::string_view key) const;
  const json::object* object(std::string_view key) const;
  // The path of a member, for nested Fields and errors.
  // "kb.json: Controls" at the root (where "kb.json:"), "kb.json: Controls[0].tests" below.
  std::string at(std::string_view key) const {
    return where_ + (!where_.empty() && where_.back() == ':' ? " " : ".") + std::string(key);
  }
  std::string at(std::string_view key, size_t index) const { return at(key) + "[" + std::to_string(index) + "]"; }
  [[noreturn]] void wrong_type(std::string_view key, const char* expected) const;
  const std::string& where() const { return where_; }

 private:
  const json::object& obj_;
  std::string where_;
};

// The elements of an array that must be objects (error naming the element otherwise).
const json::object& object_at(const json::array& a, size_t i, const std::string& where);

const char* json_kind(const json::value& v);

// Rows prepared as JSON object texts, handed to the host a few MiB at a time.
using Rows = std::vector<std::string>;
std::unique_ptr<ks::Scan> scan_rows(Rows rows);

// Builds one row: `row([&](ks::JsonWriter& w) { w.field(...); })`.
template <class Fn>
std::string row(Fn&& fn) {
  std::string out;
  {
    ks::JsonWriter w(out, '{', '}');
    fn(w);
  }
  return out;
}

// Writes `v` as the field's value, or null when empty.
inline void text_or_null(ks::JsonWriter& w, std::string_view key, std::string_view v) {
  if (v.empty()) w.null(key);
  else w.field(key, v);
}
inline void int_or_null(ks::JsonWriter& w, std::string_view key, const std::optional<int64_t>& v) {
  if (v) w.field(key, *v);
  else w.null(key);
}

// Where --with TOOL alone finds the tool's results, declared as settings
// the host reads (docs/adapters.md); neither: the host refuses --with TOOL
// alone, quoting `input_doc`.
struct LiveSource {
  // The adapter reads the live cluster itself in live_rows() (setting `live`).
  bool own = false;
  // The label selector of the pods whose logs are the tool's output
  // (setting `live_pods`): the host reads them through k8s.pod_logs and
  // passes them as a folder of <node>.log files, the adapter's `input`.
  std::string pods;
  // With `pods`: the host reads this annotation of those pods (setting
  // `live_annotation`, a GET of the pod list) instead of their logs.
  std::string annotation;
  // The command that runs the tool on this machine and prints its results
  // (setting `run`, --with TOOL=run): argv[0] is searched in PATH.
  std::vector<std::string> run;
};

// The base of every adapter: settings, the "no input" rule, and one method
// to implement, rows(table), which reads settings().input.
class AdapterPlugin : public ks::Plugin {
 public:
  // `input_doc` says what --with TOOL=PATH takes, for the no-input error.
  AdapterPlugin(std::string_view tool, std::string_view config_json, std::string input_doc,
                const std::vector<std::string>& extra_keys = {}, LiveSource live = {});
  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override;
  // What --set TOOL.KEY accepts (ABI 1.1): input, max_input_bytes, the
  // LiveSource's keys and the adapter's own; the host refuses any other.
  std::vector<ks::SettingSpec> settings() const override;
  ~AdapterPlugin() override;

 protected:
  const Settings& config() const { return settings_; }
  // The rows of `table` (one of tables()) from the input.
  virtual Rows rows(std::string_view table) = 0;
  // The rows of `table` from the live cluster (--with TOOL alone); the
  // default says the adapter cannot.
  virtual Rows live_rows(std::string_view table);

 private:
  // --with TOOL=run: runs LiveSource::run once and makes its output the
  // input, <node>.json in a private folder (the node this machine is).
  void run_tool_once();
  void run_tool_and_keep_output();

  Settings settings_;
  std::string run_folder_;  // made by run_tool_once, removed with the plugin
  std::string run_error_;   // why the run failed, for every later table
  std::string input_doc_;
  std::vector<std::string> extra_keys_;
  LiveSource live_;
};

}  // namespace kinspect::adapters
