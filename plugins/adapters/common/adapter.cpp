#include "adapter.h"

#include "common/node_name.h"
#include "common/subprocess.h"
#include "common/text.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kinspect::adapters {

namespace fs = std::filesystem;

Settings parse_settings(std::string_view tool, std::string_view config_json,
                        const std::vector<std::string>& extra_keys) {
  Settings s;
  s.tool = tool;
  json::error_code ec;
  json::value cfg = json::parse(config_json.empty() ? std::string_view("{}") : config_json, ec);
  if (ec || !cfg.is_object())
    throw std::runtime_error(s.tool + ": settings must be a JSON object, got: " + std::string(config_json));
  for (const auto& [key, value] : cfg.as_object()) {
    if (key == "input") {
      if (!value.is_string()) throw std::runtime_error(s.tool + ": setting input must be a path, got " + json::serialize(value));
      s.input = value.as_string();
    } else if (key == "live") {
      if (!value.is_bool()) throw std::runtime_error(s.tool + ": setting live must be true or false");
      s.live = value.as_bool();
    } else if (key == "live_unavailable") {
      if (!value.is_string()) throw std::runtime_error(s.tool + ": setting live_unavailable must be text");
      s.live_unavailable = value.as_string();
    } else if (key == "live_annotation") {
      if (!value.is_string()) throw std::runtime_error(s.tool + ": setting live_annotation must be text");
      s.live_annotation = value.as_string();
    } else if (key == "run") {
      if (!value.is_bool()) throw std::runtime_error(s.tool + ": setting run must be true or false");
      s.run = value.as_bool();
    } else if (key == "max_input_bytes") {
      if (!value.is_int64() || value.as_int64() <= 0)
        throw std::runtime_error(s.tool + ": setting max_input_bytes must be a positive integer, got " + json::serialize(value));
      s.max_input_bytes = value.as_int64();
    } else if (std::find(extra_keys.begin(), extra_keys.end(), key) != extra_keys.end()) {
      s.extra[key] = value;
    }  // any other key: the host refuses it against settings() with a did-you-mean
  }
  return s;
}

std::vector<std::string> input_files(const std::string& path) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw std::runtime_error(path + ": " + (ec ? ec.message() : "no such file or folder"));
  if (!fs::is_directory(st)) return {path};
  std::vector<std::string> out;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out.push_back(it->path().string());
  }
  if (ec) throw std::runtime_error(path + ": " + ec.message());
  if (out.empty()) throw std::runtime_error(path + ": the folder holds no files");
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const std::string& path, int64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(text.size()) > max_bytes)
      throw std::runtime_error(path + ": larger than " + std::to_string(max_bytes) +
                               " bytes (the adapter's max_input_bytes setting)");
  }
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return text;
}

namespace {

std::string line_col(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace

json::value parse_json(std::string_view text, const std::string& where) {
  json::parse_options opts;
  opts.max_depth = 256;
  json::stream_parser p({}, opts);
  json::error_code ec;
  size_t used = p.write_some(text.data(), text.size(), ec);
  if (!ec && used < text.size()) {
    // write_some stops after one complete value: only whitespace may follow.
    size_t rest = text.find_first_not_of(" \t\r\n", used);
    if (rest != std::string_view::npos)
      throw std::runtime_error(where + ":" + line_col(text, rest) + ": unexpected text after the JSON value");
  }
  if (!ec) p.finish(ec);
  if (ec) {
    bool truncated = !p.done() && used >= text.size();
    throw std::runtime_error(where + ":" + line_col(text, used) + ": " +
                             (truncated ? std::string("the JSON ends early (truncated file?)") : "invalid JSON: " + ec.message()));
  }
  return p.release();
}

const char* json_kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

const json::value* Fields::get(std::string_view key) const {
  const json::value* v = obj_.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

void Fields::wrong_type(std::string_view key, const char* expected) const {
  throw std::runtime_error(at(key) + ": expected " + expected + ", got " + json_kind(*get(key)));
}

std::string Fields::text(std::string_view key) const {
  const json::value* v = get(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_number() || v->is_bool()) return json::serialize(*v);
  wrong_type(key, "text");
}

std::optional<int64_t> Fields::integer(std::string_view key) const {
  const json::value* v = get(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= uint64_t(INT64_MAX)) return static_cast<int64_t>(v->as_uint64());
  // Casting a double outside int64's range is undefined (fuzzing found a
  // Popeye score of 8.9e35): only whole numbers within +-2^63 are integers.
  if (v->is_double()) {
    double d = v->as_double();
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == std::trunc(d)) return static_cast<int64_t>(d);
  }
  wrong_type(key, "an integer");
}

std::optional<bool> Fields::boolean(std::string_view key) const {
  const json::value* v = get(key);
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->as_bool();
  wrong_type(key, "true or false");
}

const json::array* Fields::array(std::string_view key) const {
  const json::value* v = get(key);
  if (!v) return nullptr;
  if (!v->is_array()) wrong_type(key, "an array");
  return &v->as_array();
}

const json::object* Fields::object(std::string_view key) const {
  const json::value* v = get(key);
  if (!v) return nullptr;
  if (!v->is_object()) wrong_type(key, "an object");
  return &v->as_object();
}

const json::object& object_at(const json::array& a, size_t i, const std::string& where) {
  if (!a[i].is_object())
    throw std::runtime_error(where + "[" + std::to_string(i) + "]: expected an object, got " + json_kind(a[i]));
  return a[i].as_object();
}

namespace {

class RowsScan final : public ks::Scan {
 public:
  explicit RowsScan(Rows rows) : rows_(std::move(rows)) {}
  bool next(ks::BatchWriter& out) override {
    while (next_ < rows_.size() && !out.full()) {
      out.raw_row(rows_[next_]);
      std::string().swap(rows_[next_++]);  // hand the memory back as we go
    }
    return next_ < rows_.size();
  }

 private:
  Rows rows_;
  size_t next_ = 0;
};

// What --with TOOL=run may take: kube-bench runs a whole benchmark in tens
// of seconds.
constexpr std::chrono::seconds kRunTimeout{600};

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// The node this machine is, for the output of a tool run here, named as the
// node plugin names it.
std::string this_node_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || !*host) return plugin_common::node_name_from("localhost");
  return plugin_common::node_name_from(host);
}

}  // namespace

std::unique_ptr<ks::Scan> scan_rows(Rows rows) { return std::make_unique<RowsScan>(std::move(rows)); }

AdapterPlugin::AdapterPlugin(std::string_view tool, std::string_view config_json, std::string input_doc,
                             const std::vector<std::string>& extra_keys, LiveSource live)
    : settings_(parse_settings(tool, config_json, extra_keys)), input_doc_(std::move(input_doc)),
      extra_keys_(extra_keys), live_(std::move(live)) {}

std::vector<ks::SettingSpec> AdapterPlugin::settings() const {
  std::vector<ks::SettingSpec> out{
      {"input", ks::Type::Text, "null", input_doc_},
      {"max_input_bytes", ks::Type::Integer, "null", "the most bytes read from one input file"}};
  if (live_.own) out.push_back({"live", ks::Type::Boolean, "false", "read the tool's results from the live cluster (--with TOOL)"});
  out.push_back({"run", ks::Type::Boolean, "false",
                 live_.run.empty() ? "not supported: " + settings_.tool + " is not run by kinspect; pass its output"
                                   : "run `" + join_words(live_.run) + "` on this machine and read its output (--with " +
                                         settings_.tool + "=run)"});
  if (!live_.pods.empty()) {
    out.push_back({"live_pods", ks::Type::Text, json::serialize(json::value(live_.pods)),
                   "--with " + settings_.tool + " alone reads the " + (live_.annotation.empty() ? "logs" : "annotation " + live_.annotation) +
                       " of the pods this label selector picks (any namespace)"});
    if (!live_.annotation.empty())
      out.push_back({"live_annotation", ks::Type::Text, json::serialize(json::value(live_.annotation)),
                     "the annotation --with " + settings_.tool + " alone reads; set by kinspect when it did"});
    out.push_back({"live_unavailable", ks::Type::Text, "null",
                   "set by kinspect: why --with " + settings_.tool + " alone found no results (its tables are then not checked)"});
  }
  for (const auto& k : extra_keys_) out.push_back({k, ks::Type::Integer, "null", "a bound on what is read (docs/adapters.md)"});
  return out;
}

AdapterPlugin::~AdapterPlugin() {
  std::error_code ec;
  if (!run_folder_.empty()) fs::remove_all(run_folder_, ec);
}

void AdapterPlugin::run_tool_once() {
  if (!run_folder_.empty()) return;
  // A failed run fails every table the same way, without running the tool
  // again (a tool that timed out would otherwise take its bound per table).
  if (!run_error_.empty()) throw std::runtime_error(run_error_);
  try {
    run_tool_and_keep_output();
  } catch (const std::exception& e) {
    run_error_ = e.what();
    throw;
  }
}

void AdapterPlugin::run_tool_and_keep_output() {
  if (live_.run.empty())
    throw std::runtime_error("--with " + settings_.tool + "=run: kinspect does not run " + settings_.tool +
                             "; pass its output as --with " + settings_.tool + "=PATH (" + input_doc_ + ")");
  const std::string cmd = join_words(live_.run);
  if (!plugin_common::in_path(live_.run[0]))
    throw std::runtime_error("--with " + settings_.tool + "=run: " + live_.run[0] +
                             " is not in PATH; install it, or pass its output as --with " + settings_.tool + "=PATH");
  plugin_common::ToolResult r =
      plugin_common::run_tool(live_.run, -1, static_cast<size_t>(settings_.max_input_bytes), kRunTimeout);
  if (r.out.find_first_not_of(" \t\r\n") == std::string::npos) {
    std::string err(plugin_common::trim(r.err));
    throw std::runtime_error("--with " + settings_.tool + "=run: `" + cmd + "` printed nothing (exit code " +
                             std::to_string(r.exit_code) + (err.empty() ? "" : ": " + err.substr(0, 2000)) + ")");
  }
  std::string dir = (fs::temp_directory_path() / "kinspect-run-XXXXXX").string();
  if (!::mkdtemp(dir.data())) throw std::runtime_error("cannot create a temporary folder: " + std::string(std::strerror(errno)));
  run_folder_ = dir;
  std::ofstream(fs::path(dir) / (this_node_name() + ".json"), std::ios::binary) << r.out;
  settings_.input = dir;
}

std::unique_ptr<ks::Scan> AdapterPlugin::scan(const ks::ScanContext& ctx) {
  std::string_view table = ctx.table();
  if (settings_.run) run_tool_once();
  if (!settings_.live_unavailable.empty())
    throw ks::Unavailable("no live results", std::string(table) + ": --with " + settings_.tool + ": " + settings_.live_unavailable);
  if (!settings_.input.empty()) return scan_rows(rows(table));
  if (settings_.live) return scan_rows(live_rows(table));
  throw std::runtime_error(std::string(table) + ": no input: pass --with " + settings_.tool + "=PATH (" + input_doc_ +
                           ") to bring " + settings_.tool + "'s results into the report");
}

Rows AdapterPlugin::live_rows(std::string_view table) {
  throw std::runtime_error(std::string(table) + ": " + settings_.tool +
                           " cannot read its results from the live cluster; pass --with " + settings_.tool + "=PATH (" +
                           input_doc_ + ")");
}

}  // namespace kinspect::adapters
