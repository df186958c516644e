// Drives a kinspect plugin .so through its C ABI only (dlopen,
// ki_plugin_entry, create/describe/scan_open/scan_next/scan_close), with a
// minimal host that records log lines. Reusable by any plugin test.
#pragma once

#include <kinspect/abi.h>

#include <boost/json.hpp>
#include <dlfcn.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace kitest {

struct LogLine {
  uint32_t level;
  std::string component, message;
};

class PluginLibrary {
 public:
  explicit PluginLibrary(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<ki_plugin_entry_fn>(dlsym(handle_, KI_PLUGIN_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error("no ki_plugin_entry in " + path);
    api_ = entry(KI_ABI_MAJOR, KI_ABI_MINOR);
    if (!api_ || api_->abi_major != KI_ABI_MAJOR) throw std::runtime_error("ABI mismatch in " + path);
  }
  ~PluginLibrary() {
    // Plugins may leave thread-local state behind; never dlclose in tests.
  }
  const ki_plugin_api* api() const { return api_; }

 private:
  void* handle_ = nullptr;
  const ki_plugin_api* api_ = nullptr;
};

struct ScanResult {
  bool ok = false;
  int rc = 0;
  std::string error;
  std::vector<boost::json::value> rows;  // only when kept
  size_t row_count = 0;                    // always
  size_t batches = 0;
  size_t max_batch_bytes = 0;
};

struct Constraint {
  std::string path;
  std::string text;
};

class PluginInstance {
 public:
  PluginInstance(const PluginLibrary& lib, const std::string& config_json) : api_(lib.api()) {
    host_.struct_size = sizeof host_;
    host_.abi_major = KI_ABI_MAJOR;
    host_.abi_minor = KI_ABI_MINOR;
    host_.host = reinterpret_cast<ki_host_t*>(this);
    host_.log = &PluginInstance::log_cb;
    host_.cancelled = [](ki_host_ctx_t*) -> ki_bool { return 0; };
    host_.table_open = [](ki_host_ctx_t*, const ki_scan_request*, ki_host_cursor_t**) -> ki_rc { return KI_UNSUPPORTED; };
    host_.table_next = [](ki_host_cursor_t*, ki_host_buf*) -> ki_rc { return KI_UNSUPPORTED; };
    host_.table_close = [](ki_host_cursor_t*) {};
    host_.host_last_error = [](ki_host_ctx_t*) -> const char* { return "unsupported"; };
    ki_rc rc = KI_OK;
    plugin_ = api_->create(&host_, config_json.c_str(), &rc);
    if (rc != KI_OK) {
      const char* e = plugin_ ? api_->last_error(plugin_) : nullptr;
      create_error_ = e ? e : "create failed";
    }
  }
  ~PluginInstance() {
    if (plugin_) api_->destroy(plugin_);
  }
  PluginInstance(const PluginInstance&) = delete;

  bool created() const { return create_error_.empty(); }
  const std::string& create_error() const { return create_error_; }

  boost::json::value describe() {
    const char* d = api_->describe(plugin_);
    if (!d) throw std::runtime_error(std::string("describe failed: ") + last_error());
    return boost::json::parse(d);
  }

  std::string last_error() {
    const char* e = api_->last_error(plugin_);
    return e ? e : "";
  }

  // Runs a whole scan. on_batch (optional) sees each raw batch; when
  // keep_rows is false the rows are counted but not kept.
  template <class OnBatch>
  ScanResult scan(const std::string& table, const std::vector<std::string>& args, const std::vector<Constraint>& cons,
                  bool keep_rows, OnBatch&& on_batch, const std::vector<std::string>& paths = {}) {
    std::vector<const char*> pv;
    for (auto& p : paths) pv.push_back(p.c_str());
    ScanResult r;
    std::vector<ki_value> argv(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      argv[i] = ki_value{};
      argv[i].type = KI_VALUE_TEXT;
      argv[i].text = args[i].data();
      argv[i].text_len = args[i].size();
    }
    std::vector<ki_constraint> cv(cons.size());
    for (size_t i = 0; i < cons.size(); ++i) {
      cv[i] = ki_constraint{};
      cv[i].path = cons[i].path.c_str();
      cv[i].op = KI_OP_EQ;
      cv[i].value.type = KI_VALUE_TEXT;
      cv[i].value.text = cons[i].text.data();
      cv[i].value.text_len = cons[i].text.size();
    }
    ki_scan_request req{};
    req.struct_size = sizeof req;
    req.table = table.c_str();
    req.args = argv.data();
    req.arg_count = static_cast<uint32_t>(argv.size());
    req.constraints = cv.data();
    req.constraint_count = static_cast<uint32_t>(cv.size());
    req.paths = pv.data();
    req.path_count = static_cast<uint32_t>(pv.size());
    ki_scan_t* scan = nullptr;
    r.rc = api_->scan_open(plugin_, &req, &scan);
    if (r.rc != KI_OK) {
      r.error = last_error();
      return r;
    }
    for (;;) {
      ki_plugin_buf b{nullptr, 0};
      ki_rc rc = api_->scan_next(plugin_, scan, &b);
      if (rc != KI_OK && rc != KI_EOF) {
        r.rc = rc;
        r.error = last_error();
        api_->scan_close(plugin_, scan);
        return r;
      }
      ++r.batches;
      r.max_batch_bytes = std::max(r.max_batch_bytes, b.len);
      std::string_view batch(b.ptr ? b.ptr : "", b.len);
      on_batch(batch);
      parse_rows(batch, keep_rows, r);
      if (rc == KI_EOF) break;
    }
    api_->scan_close(plugin_, scan);
    r.ok = true;
    return r;
  }
  ScanResult scan(const std::string& table, const std::vector<std::string>& args = {},
                  const std::vector<Constraint>& cons = {}) {
    return scan(table, args, cons, true, [](std::string_view) {});
  }
  // A scan with a projection (the dotted paths the query reads).
  ScanResult scan_paths(const std::string& table, const std::vector<std::string>& paths,
                        const std::vector<Constraint>& cons = {}) {
    return scan(table, {}, cons, true, [](std::string_view) {}, paths);
  }

  // Step-by-step scans, to interleave several.
  ki_scan_t* open(const std::string& table) {
    ki_scan_request req{};
    req.struct_size = sizeof req;
    req.table = table.c_str();
    ki_scan_t* scan = nullptr;
    if (api_->scan_open(plugin_, &req, &scan) != KI_OK) throw std::runtime_error("scan_open: " + last_error());
    return scan;
  }
  // Rows of the next batch; false once the scan is done (after its last batch).
  bool next(ki_scan_t* scan, size_t& rows) {
    ki_plugin_buf b{nullptr, 0};
    ki_rc rc = api_->scan_next(plugin_, scan, &b);
    if (rc != KI_OK && rc != KI_EOF) throw std::runtime_error("scan_next: " + last_error());
    ScanResult r;
    parse_rows(std::string_view(b.ptr ? b.ptr : "", b.len), false, r);
    rows += r.row_count;
    return rc == KI_OK;
  }
  void close(ki_scan_t* scan) { api_->scan_close(plugin_, scan); }

  std::vector<LogLine> logs() const {
    std::lock_guard<std::mutex> l(mu_);
    return logs_;
  }
  std::string all_logs() const {
    std::string s;
    for (auto& l : logs()) s += l.message + "\n";
    return s;
  }
  size_t row_count_ = 0;

 private:
  static void log_cb(ki_host_t* h, uint32_t level, const char* component, const char* message) {
    auto* self = reinterpret_cast<PluginInstance*>(h);
    std::lock_guard<std::mutex> l(self->mu_);
    self->logs_.push_back({level, component ? component : "", message ? message : ""});
  }

  static void parse_rows(std::string_view batch, bool keep, ScanResult& r) {
    boost::json::stream_parser p;
    size_t i = 0;
    while (i < batch.size()) {
      while (i < batch.size() && std::isspace(static_cast<unsigned char>(batch[i]))) ++i;
      if (i >= batch.size()) break;
      p.reset();
      boost::system::error_code ec;
      size_t n = p.write_some(batch.data() + i, batch.size() - i, ec);
      if (ec) throw std::runtime_error("bad row JSON at batch offset " + std::to_string(i) + ": " + ec.message());
      i += n;
      if (!p.done()) {
        p.finish(ec);
        if (ec) throw std::runtime_error("truncated row JSON: " + ec.message());
      }
      boost::json::value v = p.release();
      if (!v.is_object()) throw std::runtime_error("row is not an object");
      ++r.row_count;
      if (keep) r.rows.push_back(std::move(v));
    }
  }

  const ki_plugin_api* api_;
  ki_host_api host_{};
  ki_plugin_t* plugin_ = nullptr;
  std::string create_error_;
  mutable std::mutex mu_;
  std::vector<LogLine> logs_;
};

// JSON-escapes a string for building config documents.
inline std::string q(const std::string& s) { return boost::json::serialize(boost::json::value(s)); }

}  // namespace kitest
