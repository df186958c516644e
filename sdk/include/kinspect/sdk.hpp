// kinspect plugin SDK: the header-only C++ layer over <kinspect/abi.h>.
//
// A plugin is a class derived from kinspect::sdk::Plugin and one macro:
//
//   #include <kinspect/sdk.hpp>
//   namespace ks = kinspect::sdk;
//
//   class Hello : public ks::Plugin {
//    public:
//     Hello(const ks::Host&, std::string_view /*config_json*/) {}
//     std::vector<ks::TableSpec> tables() const override {
//       return {{"hello.greetings", "One greeting per name.",
//                {{"name", ks::Type::Text, "Who is greeted"},
//                 {"count", ks::Type::Integer, "How often"}}}};
//     }
//     std::unique_ptr<ks::Scan> scan(const ks::ScanContext&) override {
//       return ks::rows([](ks::BatchWriter& out) {
//         out.row().field("name", "world").field("count", 1);
//       });
//     }
//   };
//   KINSPECT_PLUGIN(Hello, "hello", "1.0.0", "Says hello", KI_KIND_DRIVER)
//
// The SDK depends on nothing but the C++17 standard library, so a plugin
// builds without kinspect's source tree (find_package(kinspect-sdk)).
// Everything that crosses into the host goes through noexcept bridge functions
// that turn any exception into the instance's last error.
#pragma once

#include <kinspect/abi.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <algorithm>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace kinspect::sdk {

// ---------------------------------------------------------------- JSON output

// Appends `s` to `out` as a JSON string literal (with quotes), escaping what
// JSON requires. Bytes >= 0x80 pass through: the text is assumed UTF-8.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  // Most text needs no escape: copy each run of plain characters at once.
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

// Writes one JSON object or array into a buffer, field by field. Containers
// close when their writer goes out of scope, so a row is one expression:
//   out.row().field("name", n).field("ready", true);
// A nested writer may outlive its parent (`auto c = w.array("a").object();`):
// the parent then hands its closing bracket to the child, so the brackets
// still come out in order.
class JsonWriter {
 public:
  JsonWriter(std::string& buf, char open, char close, JsonWriter* parent = nullptr)
      : buf_(&buf), parent_(parent), close_(1, close) {
    buf_->push_back(open);
    if (parent_) parent_->child_ = this;
  }
  JsonWriter(JsonWriter&& o) noexcept
      : buf_(std::exchange(o.buf_, nullptr)),
        parent_(std::exchange(o.parent_, nullptr)),
        child_(std::exchange(o.child_, nullptr)),
        close_(std::move(o.close_)),
        first_(o.first_) {
    if (parent_) parent_->child_ = this;
    if (child_) child_->parent_ = this;
  }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;
  ~JsonWriter() {
    if (!buf_) return;
    if (child_) {
      // Still writing inside us: the child closes us when it closes.
      child_->close_ += close_;
      child_->parent_ = parent_;
      if (parent_) parent_->child_ = child_;
      return;
    }
    buf_->append(close_);
    if (parent_) parent_->child_ = nullptr;
  }

  // Object members.
  JsonWriter& field(std::string_view key, std::string_view v) { return key_(key).str_(v); }
  JsonWriter& field(std::string_view key, const char* v) { return v ? field(key, std::string_view(v)) : null(key); }
  JsonWriter& field(std::string_view key, const std::string& v) { return field(key, std::string_view(v)); }
  JsonWriter& field(std::string_view key, bool v) { return key_(key).raw_(v ? "true" : "false"); }
  JsonWriter& field(std::string_view key, double v) { return key_(key).num_(v); }
  template <class I, class = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
  JsonWriter& field(std::string_view key, I v) {
    return key_(key).raw_(std::to_string(v));
  }
  JsonWriter& null(std::string_view key) { return key_(key).raw_("null"); }
  // `json` must be a complete JSON value; it is copied verbatim.
  JsonWriter& raw(std::string_view key, std::string_view json) { return key_(key).raw_(json); }
  JsonWriter object(std::string_view key) {
    key_(key);
    return JsonWriter(*buf_, '{', '}', this);
  }
  JsonWriter array(std::string_view key) {
    key_(key);
    return JsonWriter(*buf_, '[', ']', this);
  }

  // Array elements.
  JsonWriter& value(std::string_view v) { return sep_().str_(v); }
  JsonWriter& value(const char* v) { return v ? value(std::string_view(v)) : sep_().raw_("null"); }
  JsonWriter& value(const std::string& v) { return value(std::string_view(v)); }
  JsonWriter& value(bool v) { return sep_().raw_(v ? "true" : "false"); }
  JsonWriter& value(double v) { return sep_().num_(v); }
  template <class I, class = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
  JsonWriter& value(I v) {
    return sep_().raw_(std::to_string(v));
  }
  JsonWriter& raw_value(std::string_view json) { return sep_().raw_(json); }
  JsonWriter object() {
    sep_();
    return JsonWriter(*buf_, '{', '}', this);
  }
  JsonWriter array() {
    sep_();
    return JsonWriter(*buf_, '[', ']', this);
  }

 private:
  JsonWriter& sep_() {
    // Writing here while a nested container is still open would put this
    // member inside that container: a bug in the caller, never valid JSON.
    if (child_) throw std::logic_error("JsonWriter: a nested object or array is still open; close it first");
    if (!first_) buf_->push_back(',');
    first_ = false;
    return *this;
  }
  JsonWriter& key_(std::string_view k) {
    sep_();
    append_json_string(*buf_, k);
    buf_->push_back(':');
    return *this;
  }
  JsonWriter& str_(std::string_view v) {
    append_json_string(*buf_, v);
    return *this;
  }
  JsonWriter& raw_(std::string_view v) {
    buf_->append(v);
    return *this;
  }
  JsonWriter& num_(double v) {
    // JSON has no NaN or infinity; null is the honest value for them.
    if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) return raw_("null");
    char tmp[32];
    std::snprintf(tmp, sizeof tmp, "%.17g", v);
    return raw_(tmp);
  }

  std::string* buf_;
  JsonWriter* parent_ = nullptr;
  JsonWriter* child_ = nullptr;  // the open nested writer, if any
  std::string close_;            // our bracket, plus any handed to us
  bool first_ = true;
};

// The rows (or findings) of one batch. Keep batches to a few MiB: check
// size() and return from Scan::next() when it is large enough.
class BatchWriter {
 public:
  explicit BatchWriter(std::string& buf) : buf_(buf) {}
  // Starts a row; it ends when the returned writer goes out of scope.
  JsonWriter row() {
    if (!buf_.empty()) buf_.push_back('\n');
    return JsonWriter(buf_, '{', '}');
  }
  // Appends a row that is already a serialized JSON object.
  void raw_row(std::string_view json_object) {
    if (!buf_.empty()) buf_.push_back('\n');
    buf_.append(json_object);
  }
  // Starts a row the caller writes itself: append one whole serialized JSON
  // object to the returned buffer, and nothing else. For rows put together
  // from pieces of text, which then need no buffer of their own.
  std::string& raw_row_text() {
    if (!buf_.empty()) buf_.push_back('\n');
    return buf_;
  }
  // A finding of a native check.
  void finding(std::string_view object, std::string_view message) { row().field("object", object).field("message", message); }
  size_t size() const { return buf_.size(); }
  static constexpr size_t kTargetBytes = 4u << 20;
  bool full() const { return buf_.size() >= kTargetBytes; }

 private:
  std::string& buf_;
};

// ---------------------------------------------------------------- declarations

enum class Type { Text, Integer, Real, Boolean, Json, Timestamp };

inline const char* type_name(Type t) {
  switch (t) {
    case Type::Text: return "text";
    case Type::Integer: return "integer";
    case Type::Real: return "real";
    case Type::Boolean: return "boolean";
    case Type::Json: return "json";
    case Type::Timestamp: return "timestamp";
  }
  return "text";
}

struct ColumnSpec {
  std::string name;
  Type type = Type::Text;
  std::string doc;
  bool hidden = false;  // left out of SELECT *
};

struct ArgumentSpec {
  std::string name;
  Type type = Type::Text;
  std::string doc;
  bool required = true;
};

struct TableSpec {
  std::string name;
  std::string doc;
  std::vector<ColumnSpec> columns;
  std::vector<ArgumentSpec> arguments;  // non-empty makes a table function
  std::vector<std::string> examples;
  // (1.4) "apps/v1/Deployment" when each row is an object of that Kubernetes
  // kind (columns = its top-level fields), so checks' paths into it are
  // checked against the kind's fields; empty otherwise.
  std::string row_kind = {};
  // (1.4) Every top-level field of a row is a column, declared or not
  // (objects of any kind); queries reach an undeclared one as `alias.field`.
  bool open_columns = false;
  // (1.4) Computed from these tables of the same plugin ("*": all of them
  // without arguments): a snapshot captures them instead of this table.
  std::vector<std::string> made_of = {};
};

// A key the plugin accepts in its configuration (`--set PLUGIN.NAME=VALUE`).
// Declared so the host can refuse a misspelt setting and list them.
struct SettingSpec {
  std::string name;
  Type type = Type::Text;
  std::string default_json = "null";  // the default as a JSON value
  std::string doc;
};

// Thrown from scan() or Scan::next() when the source cannot provide the table
// here (not served, forbidden, not captured, no input): the host reports the
// checks that read it as not checked rather than as errors, and never as
// passed. `cause` is a few words ("not served"); `detail` says what and where.
class Unavailable : public std::runtime_error {
 public:
  Unavailable(const std::string& cause, const std::string& detail) : std::runtime_error(cause + ": " + detail) {}
};

struct CheckSpec {
  std::string id;
  std::string title;
  std::string category;
  std::string severity;  // critical | warning | info
  std::string component;
  std::string remedy;
  std::string doc;  // link to the concept's documentation
  std::vector<std::string> reads;
  std::string params_json = "{}";  // parameter name -> default
};

// ---------------------------------------------------------------- host side

// A scalar from the host (argument or constraint operand).
class Value {
 public:
  explicit Value(const ki_value& v) : v_(&v) {}
  bool is_null() const { return v_->type == KI_VALUE_NULL; }
  bool is_text() const { return v_->type == KI_VALUE_TEXT; }
  bool is_int() const { return v_->type == KI_VALUE_INT; }
  ki_value_type type() const { return v_->type; }
  std::string_view text() const { return v_->text ? std::string_view(v_->text, v_->text_len) : std::string_view(); }
  int64_t integer() const { return v_->type == KI_VALUE_REAL ? static_cast<int64_t>(v_->r) : v_->i; }
  double real() const { return v_->type == KI_VALUE_INT ? static_cast<double>(v_->i) : v_->r; }
  bool boolean() const { return v_->b != 0; }

 private:
  const ki_value* v_;
};

class Host {
 public:
  explicit Host(const ki_host_api* api) : api_(api) {}
  void log(uint32_t level, const char* component, const std::string& msg) const {
    if (api_ && api_->log) api_->log(api_->host, level, component, msg.c_str());
  }
  void info(const std::string& msg) const { log(KI_LOG_INFO, "", msg); }
  void warn(const std::string& msg) const { log(KI_LOG_WARNING, "", msg); }
  const ki_host_api* api() const { return api_; }

 private:
  const ki_host_api* api_;
};

// Reads a table through the host, in batches: see ScanContext::read and
// CheckContext::read.
class TableReader {
 public:
  TableReader(const ki_host_api* api, ki_host_cursor_t* cursor) : api_(api), cursor_(cursor) {}
  TableReader(TableReader&& o) noexcept : api_(o.api_), cursor_(std::exchange(o.cursor_, nullptr)) {}
  TableReader(const TableReader&) = delete;
  ~TableReader() {
    if (cursor_) api_->table_close(cursor_);
  }
  // Next batch of rows (JSON objects separated by whitespace); false at end.
  bool next(std::string_view& batch) {
    if (!cursor_ || done_) return false;
    ki_host_buf b{nullptr, 0};
    ki_rc rc = api_->table_next(cursor_, &b);
    if (rc == KI_EOF) done_ = true;
    else if (rc != KI_OK) throw std::runtime_error("reading table failed");
    batch = std::string_view(b.ptr ? b.ptr : "", b.len);
    return !done_ || b.len > 0;
  }

 private:
  const ki_host_api* api_;
  ki_host_cursor_t* cursor_;
  bool done_ = false;
};

namespace detail {
// Opens `table` through the host for the scan or check whose context is
// `ctx`: whole rows unless `paths` are given; `equals` (path = 'text') are
// sent as constraints the driver may narrow its fetch by. Throws "cannot
// read table T: <the host's reason>".
inline TableReader open_table(const Host& host, ki_host_ctx_t* ctx, const std::string& table,
                              const std::vector<std::string>& paths,
                              const std::vector<std::pair<std::string, std::string>>& equals) {
  std::vector<const char*> p;
  for (const auto& s : paths) p.push_back(s.c_str());
  std::vector<ki_constraint> c;
  for (const auto& [path, value] : equals) {
    ki_constraint k{};
    k.path = path.c_str();
    k.op = KI_OP_EQ;
    k.value.type = KI_VALUE_TEXT;
    k.value.text = value.data();
    k.value.text_len = value.size();
    c.push_back(k);
  }
  ki_scan_request r{};
  r.struct_size = sizeof r;
  r.table = table.c_str();
  r.paths = p.data();
  r.path_count = static_cast<uint32_t>(p.size());
  r.constraints = c.data();
  r.constraint_count = static_cast<uint32_t>(c.size());
  r.ctx = ctx;
  ki_host_cursor_t* cur = nullptr;
  const ki_host_api* api = host.api();
  ki_rc rc = api && api->table_open ? api->table_open(ctx, &r, &cur) : KI_UNSUPPORTED;
  if (rc != KI_OK) {
    const char* e = rc == KI_ERROR && api->host_last_error ? api->host_last_error(ctx) : nullptr;
    throw std::runtime_error("cannot read table " + table + ": " + (e ? e : "the host serves no tables here"));
  }
  return TableReader(api, cur);
}
}  // namespace detail

// What the host asks of one scan: table, arguments, projection, constraints.
class ScanContext {
 public:
  ScanContext(const Host& host, const ki_scan_request& req) : host_(host), req_(req) {}
  std::string_view table() const { return req_.table; }
  size_t arg_count() const { return req_.arg_count; }
  Value arg(size_t i) const { return Value(req_.args[i]); }
  // The dotted paths the query reads; empty means every column.
  std::vector<std::string_view> paths() const {
    return std::vector<std::string_view>(req_.paths, req_.paths + req_.path_count);
  }
  // True if the query reads `column` (or anything below it), or reads all.
  bool wants(std::string_view column) const {
    if (req_.path_count == 0) return true;
    for (uint32_t i = 0; i < req_.path_count; ++i) {
      std::string_view p = req_.paths[i];
      if (p.substr(0, column.size()) == column && (p.size() == column.size() || p[column.size()] == '.'))
        return true;
    }
    return false;
  }
  // The value an equality constraint fixes `path` to, if the query has one.
  const ki_value* equals(std::string_view path) const {
    for (uint32_t i = 0; i < req_.constraint_count; ++i)
      if (req_.constraints[i].op == KI_OP_EQ && path == req_.constraints[i].path) return &req_.constraints[i].value;
    return nullptr;
  }
  // The texts `path` must be one of (an equality gives one, an IN several);
  // empty when the query does not narrow it to texts.
  std::vector<std::string_view> one_of(std::string_view path) const {
    std::vector<std::string_view> in;
    for (uint32_t i = 0; i < req_.constraint_count; ++i) {
      const ki_constraint& c = req_.constraints[i];
      if (!c.path || path != c.path || c.value.type != KI_VALUE_TEXT) continue;
      std::string_view text = Value(c.value).text();
      if (c.op == KI_OP_EQ) return {text};
      if (c.op == KI_OP_IN) in.push_back(text);
    }
    return in;
  }
  // Every path one_of() has an answer for, each once.
  std::vector<std::string_view> text_constrained_paths() const {
    std::vector<std::string_view> out;
    for (uint32_t i = 0; i < req_.constraint_count; ++i) {
      const ki_constraint& c = req_.constraints[i];
      if (!c.path || c.value.type != KI_VALUE_TEXT || (c.op != KI_OP_EQ && c.op != KI_OP_IN)) continue;
      if (std::find(out.begin(), out.end(), std::string_view(c.path)) == out.end()) out.push_back(c.path);
    }
    return out;
  }
  bool cancelled() const { return host_.api()->cancelled && host_.api()->cancelled(req_.ctx) != 0; }
  const Host& host() const { return host_; }
  const ki_scan_request& request() const { return req_; }
  // Reads another table through the host while this scan is open (a table
  // function whose rows come from other tables' rows): whole rows unless
  // `paths` are given; `equals` (path = 'text') let the driver fetch less,
  // but it may ignore them, so filter the rows too. Valid only inside
  // Plugin::scan(), while the request is.
  TableReader read(const std::string& table, const std::vector<std::string>& paths = {},
                   const std::vector<std::pair<std::string, std::string>>& equals = {}) const {
    return detail::open_table(host_, req_.ctx, table, paths, equals);
  }

 private:
  const Host& host_;
  const ki_scan_request& req_;
};

class CheckContext {
 public:
  CheckContext(const Host& host, const ki_check_request& req) : host_(host), req_(req) {}
  std::string_view check_id() const { return req_.check_id; }
  std::string_view params_json() const { return req_.params_json ? req_.params_json : "{}"; }
  bool cancelled() const { return host_.api()->cancelled && host_.api()->cancelled(req_.ctx) != 0; }
  // Opens a table through the host (whole rows unless paths are given).
  TableReader read(const std::string& table, const std::vector<std::string>& paths = {},
                   const std::vector<std::pair<std::string, std::string>>& equals = {}) const {
    return detail::open_table(host_, req_.ctx, table, paths, equals);
  }
  const Host& host() const { return host_; }

 private:
  const Host& host_;
  const ki_check_request& req_;
};

// (ABI 1.3) One report's findings to write back (KI_KIND_PUBLISHER); the
// request's JSON form is described with ki_publish_request in abi.h.
class PublishContext {
 public:
  PublishContext(const Host& host, const ki_publish_request& req) : host_(host), req_(req) {}
  std::string_view request_json() const { return req_.request_json ? req_.request_json : "{}"; }
  bool cancelled() const { return host_.api()->cancelled && host_.api()->cancelled(req_.ctx) != 0; }
  const Host& host() const { return host_; }

 private:
  const Host& host_;
  const ki_publish_request& req_;
};

// ---------------------------------------------------------------- plugin side

// One scan (or native check run) in progress. next() appends rows to `out`
// and returns true if it should be called again, false when it is done.
class Scan {
 public:
  virtual ~Scan() = default;
  virtual bool next(BatchWriter& out) = 0;
};

// A scan that produces all its rows in one call: for small tables.
template <class Fn>
class OneShotScan final : public Scan {
 public:
  explicit OneShotScan(Fn fn) : fn_(std::move(fn)) {}
  bool next(BatchWriter& out) override {
    fn_(out);
    return false;
  }

 private:
  Fn fn_;
};
template <class Fn>
std::unique_ptr<Scan> rows(Fn fn) {
  return std::make_unique<OneShotScan<Fn>>(std::move(fn));
}

// Base class of every plugin. Override what the plugin's kinds need.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::vector<TableSpec> tables() const { return {}; }
  virtual std::vector<CheckSpec> checks() const { return {}; }
  // The configuration keys the plugin accepts (`--set NAME.KEY=VALUE`); the
  // host refuses any other key before a run, with a did-you-mean.
  virtual std::vector<SettingSpec> settings() const { return {}; }
  virtual std::unique_ptr<Scan> scan(const ScanContext& ctx) {
    throw std::runtime_error("plugin declares no tables");
  }
  virtual std::unique_ptr<Scan> check(const CheckContext& ctx) {
    throw std::runtime_error("plugin declares no checks");
  }
  // (ABI 1.3, KI_KIND_PUBLISHER) Writes the request's findings back; the
  // scan's rows say what each write did (see ki_publish_request).
  virtual std::unique_ptr<Scan> publish(const PublishContext& ctx) {
    throw std::runtime_error("plugin publishes nothing");
  }
  // (ABI 1.2) What other instances of this plugin, created with the same
  // settings in the same run, can start from instead of redoing costly work
  // (a parsed config file, a resolved connection); nullopt = nothing. Each
  // worker process has an instance of its own: the host asks the first one
  // and hands the text to adopt() of the others. It may hold credentials;
  // the host never logs or stores it. Put an error met on the way in the
  // text, so the other instances report it without meeting it again.
  virtual std::optional<std::string> share() { return std::nullopt; }
  // Called right after construction with what share() returned elsewhere.
  // Throwing leaves the instance to work from its settings alone.
  virtual void adopt(std::string_view shared) { (void)shared; }
};

namespace detail {

inline std::string describe_json(const Plugin& p) {
  std::string out;
  {
  JsonWriter root(out, '{', '}');
  {
    JsonWriter tables = root.array("tables");
    for (const auto& t : p.tables()) {
      JsonWriter tw = tables.object();
      tw.field("name", t.name).field("doc", t.doc);
      {
        JsonWriter cols = tw.array("columns");
        for (const auto& c : t.columns)
          cols.object().field("name", c.name).field("type", type_name(c.type)).field("doc", c.doc).field("hidden", c.hidden);
      }
      {
        JsonWriter args = tw.array("arguments");
        for (const auto& a : t.arguments)
          args.object().field("name", a.name).field("type", type_name(a.type)).field("doc", a.doc).field("required", a.required);
      }
      if (!t.row_kind.empty()) tw.field("row_kind", t.row_kind);
      if (t.open_columns) tw.field("open_columns", true);
      if (!t.made_of.empty()) {
        JsonWriter parts = tw.array("made_of");
        for (const auto& m : t.made_of) parts.value(m);
      }
      JsonWriter ex = tw.array("examples");
      for (const auto& e : t.examples) ex.value(e);
    }
  }
  {
    JsonWriter checks = root.array("checks");
    for (const auto& c : p.checks()) {
      JsonWriter cw = checks.object();
      cw.field("id", c.id).field("title", c.title).field("category", c.category).field("severity", c.severity);
      cw.field("component", c.component).field("remedy", c.remedy).field("doc", c.doc);
      {
        JsonWriter reads = cw.array("reads");
        for (const auto& r : c.reads) reads.value(r);
      }
      cw.raw("params", c.params_json.empty() ? std::string_view("{}") : std::string_view(c.params_json));
    }
  }
  {
    // Always present from this SDK on (ABI 1.1): a plugin that declares no
    // setting accepts none, so a `--set` for it is a typo the host reports.
    JsonWriter sw = root.array("settings");
    for (const auto& s : p.settings()) {
      JsonWriter o = sw.object();
      o.field("name", s.name).field("type", type_name(s.type)).field("doc", s.doc);
      o.raw("default", s.default_json.empty() ? std::string_view("null") : std::string_view(s.default_json));
    }
  }
  }  // root closes here
  return out;
}

// What the host's opaque ki_plugin_t points to.
struct Instance {
  ki_host_api host_api{};
  Host host{nullptr};
  std::unique_ptr<Plugin> impl;
  std::string last_error;
  std::string describe;
  std::string shared;
};

struct ScanState {
  std::unique_ptr<Scan> scan;
  std::string buffer;
  bool done = false;
};

inline Instance* inst(ki_plugin_t* p) { return reinterpret_cast<Instance*>(p); }

// An exception's text without the library source locations Boost appends
// to system_error messages (" [boost.json:3 at ./boost/json/...hpp:2750 in
// function ...]"): they name our dependencies' files, not the user's.
inline std::string without_source_locations(std::string text) {
  for (size_t at; (at = text.find(" [boost.")) != std::string::npos;) {
    size_t end = at + 1, depth = 0;  // function names may hold "[with T = ...]"
    for (; end < text.size(); ++end) {
      if (text[end] == '[') ++depth;
      else if (text[end] == ']' && --depth == 0) break;
    }
    text.erase(at, end < text.size() ? end - at + 1 : std::string::npos);
  }
  return text;
}

// Runs fn, turning any exception into the instance's last error.
template <class Fn>
ki_rc guarded(Instance* in, Fn&& fn) noexcept {
  try {
    in->last_error.clear();
    return fn();
  } catch (const Unavailable& e) {
    try {
      in->last_error = e.what();
    } catch (...) {
    }
    return KI_UNAVAILABLE;
  } catch (const std::exception& e) {
    try {
      in->last_error = without_source_locations(e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      in->last_error = "unknown exception";
    } catch (...) {
    }
  }
  return KI_ERROR;
}

template <class P>
ki_plugin_t* create(const ki_host_api* host, const char* config, ki_rc* rc) noexcept {
  Instance* in = nullptr;
  try {
    in = new Instance();
  } catch (...) {
    *rc = KI_ERROR;
    return nullptr;
  }
  if (host) {
    // Copy only what the host's struct has: an older host may be smaller.
    std::memcpy(&in->host_api, host, std::min<size_t>(host->struct_size, sizeof(ki_host_api)));
  }
  in->host = Host(&in->host_api);
  *rc = guarded(in, [&] {
    in->impl = std::make_unique<P>(in->host, std::string_view(config ? config : "{}"));
    return KI_OK;
  });
  return reinterpret_cast<ki_plugin_t*>(in);
}

inline void destroy(ki_plugin_t* p) noexcept {
  try {
    delete inst(p);
  } catch (...) {
  }
}

inline const char* last_error(ki_plugin_t* p) noexcept {
  Instance* in = inst(p);
  return in && !in->last_error.empty() ? in->last_error.c_str() : nullptr;
}

inline const char* describe(ki_plugin_t* p) noexcept {
  Instance* in = inst(p);
  ki_rc rc = guarded(in, [&] {
    in->describe = describe_json(*in->impl);
    return KI_OK;
  });
  return rc == KI_OK ? in->describe.c_str() : nullptr;
}

inline const char* share(ki_plugin_t* p) noexcept {
  Instance* in = inst(p);
  bool any = false;
  ki_rc rc = guarded(in, [&] {
    auto s = in->impl->share();
    any = s.has_value();
    in->shared = s ? std::move(*s) : std::string();
    return KI_OK;
  });
  return rc == KI_OK && any ? in->shared.c_str() : nullptr;
}

inline ki_rc adopt(ki_plugin_t* p, const char* shared) noexcept {
  Instance* in = inst(p);
  return guarded(in, [&] {
    in->impl->adopt(std::string_view(shared ? shared : ""));
    return KI_OK;
  });
}

inline ki_rc scan_open(ki_plugin_t* p, const ki_scan_request* req, ki_scan_t** out) noexcept {
  Instance* in = inst(p);
  return guarded(in, [&] {
    ScanContext ctx(in->host, *req);
    auto st = std::make_unique<ScanState>();
    st->scan = in->impl->scan(ctx);
    if (!st->scan) throw std::runtime_error(std::string("no scan for table ") + req->table);
    *out = reinterpret_cast<ki_scan_t*>(st.release());
    return KI_OK;
  });
}

inline ki_rc check_open(ki_plugin_t* p, const ki_check_request* req, ki_scan_t** out) noexcept {
  Instance* in = inst(p);
  return guarded(in, [&] {
    CheckContext ctx(in->host, *req);
    auto st = std::make_unique<ScanState>();
    st->scan = in->impl->check(ctx);
    if (!st->scan) throw std::runtime_error(std::string("no such check: ") + req->check_id);
    *out = reinterpret_cast<ki_scan_t*>(st.release());
    return KI_OK;
  });
}

inline ki_rc publish_open(ki_plugin_t* p, const ki_publish_request* req, ki_scan_t** out) noexcept {
  Instance* in = inst(p);
  return guarded(in, [&] {
    PublishContext ctx(in->host, *req);
    auto st = std::make_unique<ScanState>();
    st->scan = in->impl->publish(ctx);
    if (!st->scan) throw std::runtime_error("the plugin returned nothing to publish with");
    *out = reinterpret_cast<ki_scan_t*>(st.release());
    return KI_OK;
  });
}

inline ki_rc scan_next(ki_plugin_t* p, ki_scan_t* s, ki_plugin_buf* batch) noexcept {
  Instance* in = inst(p);
  auto* st = reinterpret_cast<ScanState*>(s);
  return guarded(in, [&] {
    st->buffer.clear();
    if (!st->done) {
      BatchWriter w(st->buffer);
      st->done = !st->scan->next(w);
    }
    batch->ptr = st->buffer.data();
    batch->len = st->buffer.size();
    return st->done ? KI_EOF : KI_OK;
  });
}

inline void scan_close(ki_plugin_t* p, ki_scan_t* s) noexcept {
  try {
    delete reinterpret_cast<ScanState*>(s);
  } catch (...) {
  }
}

template <class P>
ki_plugin_api make_api(const char* name, const char* version, const char* description, uint32_t kinds,
                       uint32_t flags) {
  static_assert(std::is_base_of_v<Plugin, P>, "a kinspect plugin derives from kinspect::sdk::Plugin");
  static_assert(std::is_constructible_v<P, const Host&, std::string_view>,
                "a kinspect plugin is constructible as P(const kinspect::sdk::Host&, std::string_view config_json)");
  ki_plugin_api api{};
  api.struct_size = sizeof(ki_plugin_api);
  api.abi_major = KI_ABI_MAJOR;
  api.abi_minor = KI_ABI_MINOR;
  api.name = name;
  api.version = version;
  api.description = description;
  api.kinds = kinds;
  api.flags = flags;
  api.create = &create<P>;
  api.destroy = &destroy;
  api.last_error = &last_error;
  api.describe = &describe;
  if (kinds & (KI_KIND_DRIVER | KI_KIND_ADAPTER)) api.scan_open = &scan_open;
  if (kinds & KI_KIND_CHECKS) api.check_open = &check_open;
  if (kinds & KI_KIND_PUBLISHER) api.publish_open = &publish_open;
  api.scan_next = &scan_next;
  api.scan_close = &scan_close;
  api.share = &share;
  api.adopt = &adopt;
  return api;
}

}  // namespace detail
}  // namespace kinspect::sdk

// Exports the plugin class P as this shared object's kinspect plugin.
// kinds: KI_KIND_DRIVER, KI_KIND_CHECKS, KI_KIND_ADAPTER, KI_KIND_PUBLISHER, or'ed.
#define KINSPECT_PLUGIN_WITH_FLAGS(P, name, version, description, kinds, flags)                              \
  extern "C" KI_PLUGIN_EXPORT const ki_plugin_api* ki_plugin_entry(uint16_t, uint16_t) {                    \
    static const ki_plugin_api api = ::kinspect::sdk::detail::make_api<P>(name, version, description, kinds, \
                                                                          flags);                           \
    return &api;                                                                                             \
  }
#define KINSPECT_PLUGIN(P, name, version, description, kinds) \
  KINSPECT_PLUGIN_WITH_FLAGS(P, name, version, description, kinds, 0u)
