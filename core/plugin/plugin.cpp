#include "core/plugin/plugin.h"

#include <boost/dll/shared_library.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "core/util/log.h"

namespace kinspect {

// The host context a plugin gets back in its callbacks (ki_host_ctx_t).
struct ScanCtx {
  InProcessPlugin* plugin = nullptr;
  HostServices* services = nullptr;
  const CancelToken* cancel = nullptr;
  std::string last_error;
};

struct InProcessPlugin::Impl {
  boost::dll::shared_library library;
  ki_host_api host_api{};
};

namespace {

// ---------------------------------------------------------------- host callbacks

void host_log(ki_host_t* host, uint32_t level, const char* component, const char* message) {
  auto* p = reinterpret_cast<InProcessPlugin*>(host);
  std::string tag(p ? p->name() : "plugin");
  if (component && *component) tag += '/' + std::string(component);
  log::Level l = level <= KI_LOG_DEBUG ? static_cast<log::Level>(level) : log::Level::Debug;
  log::write(l, tag, message ? message : "");
}

ki_bool host_cancelled(ki_host_ctx_t* ctx) {
  auto* c = reinterpret_cast<ScanCtx*>(ctx);
  return c && c->cancel && c->cancel->should_stop() ? 1 : 0;
}

// A native check reading a table: the host buffers the table's batches and
// hands them out one by one.
struct HostCursor {
  std::vector<std::string> batches;
  size_t next = 0;
};


// The text equalities (EQ, IN) a plugin puts on a table it reads, as the
// scan's constraints: one per path, values sorted and distinct, so the
// driver can narrow what it fetches (one namespace, one name). The reader
// filters the rows itself: the ABI lets a driver ignore constraints.
std::vector<ScanConstraint> reader_constraints(const ki_scan_request& request) {
  std::map<std::string, std::set<std::string>> by_path;
  for (uint32_t i = 0; i < request.constraint_count; ++i) {
    const ki_constraint& k = request.constraints[i];
    if (!k.path || (k.op != KI_OP_EQ && k.op != KI_OP_IN) || k.value.type != KI_VALUE_TEXT || !k.value.text) continue;
    by_path[k.path].insert(std::string(k.value.text, k.value.text_len));
  }
  std::vector<ScanConstraint> out;
  for (auto& [path, values] : by_path) out.push_back({path, std::vector<std::string>(values.begin(), values.end())});
  return out;
}

ki_rc host_table_open(ki_host_ctx_t* ctx, const ki_scan_request* request, ki_host_cursor_t** cursor) {
  auto* c = reinterpret_cast<ScanCtx*>(ctx);
  if (!c || !c->services) return KI_UNSUPPORTED;
  try {
    ScanSpec spec;
    spec.table = request->table ? request->table : "";
    for (uint32_t i = 0; i < request->path_count; ++i) spec.paths.emplace_back(request->paths[i]);
    spec.constraints = reader_constraints(*request);
    auto cur = std::make_unique<HostCursor>();
    Status st = c->services->scan_table(
        spec,
        [&](std::string_view batch) {
          cur->batches.emplace_back(batch);
          return Status::Ok();
        },
        c->cancel);
    if (!st.ok()) {
      c->last_error = st.error().format();
      return KI_ERROR;
    }
    *cursor = reinterpret_cast<ki_host_cursor_t*>(cur.release());
    return KI_OK;
  } catch (const std::exception& e) {
    c->last_error = e.what();
    return KI_ERROR;
  }
}

ki_rc host_table_next(ki_host_cursor_t* cursor, ki_host_buf* batch) {
  auto* cur = reinterpret_cast<HostCursor*>(cursor);
  if (cur->next >= cur->batches.size()) {
    *batch = {nullptr, 0};
    return KI_EOF;
  }
  const std::string& b = cur->batches[cur->next++];
  *batch = {b.data(), b.size()};
  return KI_OK;
}

void host_table_close(ki_host_cursor_t* cursor) { delete reinterpret_cast<HostCursor*>(cursor); }

const char* host_last_error(ki_host_ctx_t* ctx) {
  auto* c = reinterpret_cast<ScanCtx*>(ctx);
  return c && !c->last_error.empty() ? c->last_error.c_str() : nullptr;
}

// ---------------------------------------------------------------- validation

bool is_elf(const std::string& path, std::string& why) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    why = "cannot open: " + std::string(std::strerror(errno));
    return false;
  }
  char magic[4] = {};
  f.read(magic, 4);
  if (f.gcount() != 4 || std::memcmp(magic, "\x7f" "ELF", 4) != 0) {
    why = "not an ELF shared object";
    return false;
  }
  return true;
}

bool valid_plugin_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

std::string abi_string(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Every member of ABI 1.0 must be inside the struct the plugin reports.
constexpr size_t kApi10Size = offsetof(ki_plugin_api, check_open) + sizeof(void*);

}  // namespace

// ---------------------------------------------------------------- InProcessPlugin

InProcessPlugin::~InProcessPlugin() {
  // Instance first, library last: destroy() runs code from the library.
  if (instance_ && api_ && api_->destroy) api_->destroy(instance_);
  instance_ = nullptr;
}

Expected<std::unique_ptr<InProcessPlugin>> InProcessPlugin::load(const std::string& path, const ConfigLookup& config,
                                                                const std::string& shown_path) {
  std::string why;
  if (!is_elf(path, why)) return Error(why);

  std::unique_ptr<InProcessPlugin> p(new InProcessPlugin());
  p->path_ = shown_path.empty() ? path : shown_path;
  p->impl_ = std::make_unique<Impl>();
  try {
    // RTLD_NOW: an unresolved symbol fails here, not in the middle of a run.
    // RTLD_LOCAL: two plugins may use different versions of one library.
    p->impl_->library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return Error(std::string("cannot load shared object: ") + e.what());
  }
  if (!p->impl_->library.has(KI_PLUGIN_ENTRY_SYMBOL))
    return Error(std::string("missing entry symbol '") + KI_PLUGIN_ENTRY_SYMBOL +
                 "' (a kinspect plugin exports it; the SDK's KINSPECT_PLUGIN macro defines it)");
  auto entry = p->impl_->library.get<const ki_plugin_api*(uint16_t, uint16_t)>(KI_PLUGIN_ENTRY_SYMBOL);
  const ki_plugin_api* api = nullptr;
  try {
    api = entry(KI_ABI_MAJOR, KI_ABI_MINOR);
  } catch (...) {
    return Error("ki_plugin_entry threw an exception (no exception may cross the plugin ABI)");
  }
  if (!api) return Error("ki_plugin_entry returned no vtable: the plugin refuses ABI " + abi_string(KI_ABI_MAJOR, KI_ABI_MINOR));

  // The handshake reads only the first three members, which every version has.
  const std::string theirs = abi_string(api->abi_major, api->abi_minor);
  const std::string ours = abi_string(KI_ABI_MAJOR, KI_ABI_MINOR);
  if (api->abi_major != KI_ABI_MAJOR)
    return Error("plugin ABI " + theirs + " is not compatible with this kinspect's ABI " + ours +
                 ": major versions differ (rebuild the plugin against kinspect-sdk " + std::to_string(KI_ABI_MAJOR) +
                 ".x)");
  if (api->abi_minor > KI_ABI_MINOR)
    return Error("plugin needs ABI " + theirs + ", newer than this kinspect's ABI " + ours +
                 " (upgrade kinspect, or build the plugin against an older SDK)");
  if (api->struct_size < kApi10Size)
    return Error("plugin vtable is " + std::to_string(api->struct_size) + " bytes, smaller than ABI " + theirs +
                 " requires (" + std::to_string(kApi10Size) + ")");
  if (!api->name || !valid_plugin_name(api->name))
    return Error("plugin name is missing or invalid (want 1-64 characters of [a-z0-9_.-])");
  const char* missing = !api->create ? "create" : !api->destroy ? "destroy" : !api->last_error ? "last_error"
                        : !api->describe ? "describe" : nullptr;
  if (missing) return Error(std::string("plugin '") + api->name + "' lacks required function " + missing);
  if (api->kinds == 0 || (api->kinds & ~(KI_KIND_DRIVER | KI_KIND_CHECKS | KI_KIND_ADAPTER | KI_KIND_PUBLISHER)))
    return Error(std::string("plugin '") + api->name + "' declares unknown kinds " + std::to_string(api->kinds));
  // A capability is all there or the plugin is refused (Falco's CAP_BROKEN).
  if ((api->kinds & (KI_KIND_DRIVER | KI_KIND_ADAPTER)) && (!api->scan_open || !api->scan_next || !api->scan_close))
    return Error(std::string("plugin '") + api->name + "' declares kind 'driver' but lacks scan_open/scan_next/scan_close");
  if ((api->kinds & KI_KIND_CHECKS) && (!api->check_open || !api->scan_next || !api->scan_close))
    return Error(std::string("plugin '") + api->name + "' declares kind 'checks' but lacks check_open/scan_next/scan_close");
  if ((api->kinds & KI_KIND_PUBLISHER) &&
      (api->abi_minor < 3 || api->struct_size < offsetof(ki_plugin_api, publish_open) + sizeof(void*) ||
       !api->publish_open || !api->scan_next || !api->scan_close))
    return Error(std::string("plugin '") + api->name +
                 "' declares kind 'publisher' but lacks publish_open/scan_next/scan_close (ABI 1.3)");
  p->api_ = api;
  p->thread_safe_ = (api->flags & KI_FLAG_THREAD_SAFE) != 0;

  ki_host_api& h = p->impl_->host_api;
  h.struct_size = sizeof(ki_host_api);
  h.abi_major = KI_ABI_MAJOR;
  h.abi_minor = KI_ABI_MINOR;
  h.host = reinterpret_cast<ki_host_t*>(p.get());
  h.log = host_log;
  h.cancelled = host_cancelled;
  h.table_open = host_table_open;
  h.table_next = host_table_next;
  h.table_close = host_table_close;
  h.host_last_error = host_last_error;

  const std::string config_json = config ? config(api->name) : std::string("{}");
  ki_rc rc = KI_ERROR;
  try {
    p->instance_ = api->create(&h, config_json.c_str(), &rc);
  } catch (...) {
    return Error(std::string("plugin '") + api->name + "' init threw an exception (no exception may cross the plugin ABI)");
  }
  if (rc != KI_OK) {
    const char* e = p->instance_ ? api->last_error(p->instance_) : nullptr;
    return Error(std::string("plugin '") + api->name + "' init failed: " + (e ? e : "no reason given"));
  }
  if (!p->instance_) return Error(std::string("plugin '") + api->name + "' init returned no instance");

  const char* desc = api->describe(p->instance_);
  if (!desc) {
    const char* e = api->last_error(p->instance_);
    return Error(std::string("plugin '") + api->name + "' describe failed: " + (e ? e : "no reason given"));
  }
  p->description_json_ = desc;
  auto parsed = parse_description(desc, api->name);
  if (!parsed) return std::move(parsed).error();
  p->description_ = std::move(parsed.value());
  for (auto& t : p->description_.tables) t.plugin = api->name;
  for (auto& c : p->description_.checks) c.plugin = api->name;
  return p;
}

Error plugin_error(ki_rc rc, std::string_view what, std::string_view message) {
  if (rc != KI_UNAVAILABLE) return Error(std::string(what) + ": " + std::string(message));
  // "not served: the server does not serve ..." -> cause "not served". The
  // message stays the plugin's own: reports name the table and the plugin
  // beside it.
  size_t colon = message.find(": ");
  bool short_cause = colon != std::string_view::npos && colon <= 32;
  return Error::unavailable(short_cause ? std::string(message.substr(0, colon)) : "unavailable", std::string(message));
}

namespace {
// Owns what a ki_scan_request points to for the duration of scan_open.
struct RequestStorage {
  std::vector<std::string> arg_text;
  std::vector<ki_value> args;
  std::vector<const char*> paths;
  std::vector<ki_constraint> constraints;
  ki_scan_request req{};

  // `in_list`: the plugin knows KI_OP_IN (1.1); a 1.0 plugin is sent only
  // the equalities, since it was never told to ignore ops it does not know.
  RequestStorage(const ScanSpec& spec, ki_host_ctx_t* ctx, bool in_list) {
    arg_text.reserve(spec.args.size());
    for (const auto& a : spec.args) {
      ki_value v{};
      switch (a.kind()) {
        case boost::json::kind::null: v.type = KI_VALUE_NULL; break;
        case boost::json::kind::bool_: v.type = KI_VALUE_BOOL; v.b = a.get_bool(); break;
        case boost::json::kind::int64: v.type = KI_VALUE_INT; v.i = a.get_int64(); break;
        case boost::json::kind::uint64: v.type = KI_VALUE_INT; v.i = static_cast<int64_t>(a.get_uint64()); break;
        case boost::json::kind::double_: v.type = KI_VALUE_REAL; v.r = a.get_double(); break;
        case boost::json::kind::string:
          v.type = KI_VALUE_TEXT;
          arg_text.emplace_back(a.get_string());
          break;
        default:
          v.type = KI_VALUE_JSON;
          arg_text.emplace_back(boost::json::serialize(a));
      }
      if (v.type == KI_VALUE_TEXT || v.type == KI_VALUE_JSON) {
        v.text = arg_text.back().data();
        v.text_len = arg_text.back().size();
      }
      args.push_back(v);
    }
    for (const auto& p : spec.paths) paths.push_back(p.c_str());
    for (const auto& c : spec.constraints) {
      if (c.values.size() > 1 && !in_list) continue;
      for (const auto& v : c.values) {
        ki_constraint k{};
        k.path = c.path.c_str();
        k.op = c.values.size() == 1 ? KI_OP_EQ : KI_OP_IN;
        k.value.type = KI_VALUE_TEXT;
        k.value.text = v.data();
        k.value.text_len = v.size();
        constraints.push_back(k);
      }
    }
    req.struct_size = sizeof req;
    req.table = spec.table.c_str();
    req.args = args.data();
    req.arg_count = static_cast<uint32_t>(args.size());
    req.paths = paths.data();
    req.path_count = static_cast<uint32_t>(paths.size());
    req.constraints = constraints.data();
    req.constraint_count = static_cast<uint32_t>(constraints.size());
    req.ctx = ctx;
  }
};
}  // namespace

Status InProcessPlugin::drain(ScanCtx& ctx, ki_scan_t* scan, const BatchSink& sink, std::string_view what) {
  Status result;
  while (true) {
    if (ctx.cancel && ctx.cancel->should_stop()) {
      result = Error(std::string(what) + ": cancelled (time budget exceeded)");
      break;
    }
    ki_plugin_buf batch{nullptr, 0};
    ki_rc rc;
    std::string err;
    {
      std::unique_lock<std::recursive_mutex> lock(call_mutex_, std::defer_lock);
      if (!thread_safe_) lock.lock();
      rc = api_->scan_next(instance_, scan, &batch);
      if (rc != KI_OK && rc != KI_EOF) {
        const char* e = api_->last_error(instance_);
        err = e ? e : (rc == KI_CANCELLED ? "cancelled" : "no reason given");
      }
    }
    if (rc != KI_OK && rc != KI_EOF) {
      result = plugin_error(rc, what, err);
      break;
    }
    if (batch.len) {
      Status st = sink(std::string_view(batch.ptr, batch.len));
      if (!st.ok()) {
        result = st;
        break;
      }
    }
    if (rc == KI_EOF) break;
  }
  std::unique_lock<std::recursive_mutex> lock(call_mutex_, std::defer_lock);
  if (!thread_safe_) lock.lock();
  api_->scan_close(instance_, scan);
  return result;
}

namespace {
bool shares(const ki_plugin_api* api) {
  return api->abi_minor >= 2 && api->struct_size >= offsetof(ki_plugin_api, adopt) + sizeof(void*) && api->share &&
         api->adopt;
}
}  // namespace

std::optional<std::string> InProcessPlugin::share() {
  if (!shares(api_)) return std::nullopt;
  std::lock_guard<std::recursive_mutex> lock(call_mutex_);
  const char* shared = api_->share(instance_);
  if (!shared) return std::nullopt;
  return std::string(shared);
}

Status InProcessPlugin::adopt(const std::string& shared) {
  if (!shares(api_)) return Error("plugin '" + std::string(name()) + "' shares nothing (ABI 1.2 share/adopt)");
  std::lock_guard<std::recursive_mutex> lock(call_mutex_);
  if (api_->adopt(instance_, shared.c_str()) == KI_OK) return {};
  const char* e = api_->last_error(instance_);
  return Error("plugin '" + std::string(name()) + "' could not adopt what another instance shared: " +
               (e ? e : "no reason given"));
}

Status InProcessPlugin::scan(const ScanSpec& spec, const BatchSink& sink, const CancelToken* cancel,
                             HostServices* services) {
  ScanCtx ctx{this, services, cancel, {}};
  RequestStorage rs(spec, reinterpret_cast<ki_host_ctx_t*>(&ctx), api_->abi_minor >= 1);
  ki_scan_t* scan = nullptr;
  const std::string what = "plugin '" + std::string(name()) + "', table " + spec.table;
  {
    std::unique_lock<std::recursive_mutex> lock(call_mutex_, std::defer_lock);
    if (!thread_safe_) lock.lock();
    if (!api_->scan_open) return Error(what + ": plugin has no tables");
    ki_rc rc = api_->scan_open(instance_, &rs.req, &scan);
    if (rc != KI_OK) {
      const char* e = api_->last_error(instance_);
      return plugin_error(rc, what, e ? e : "scan_open failed");
    }
  }
  return drain(ctx, scan, sink, what);
}

Status InProcessPlugin::run_check(const std::string& check_id, const std::string& params_json, const BatchSink& sink,
                               const CancelToken* cancel, HostServices* services) {
  ScanCtx ctx{this, services, cancel, {}};
  ki_check_request req{};
  req.struct_size = sizeof req;
  req.check_id = check_id.c_str();
  req.params_json = params_json.c_str();
  req.ctx = reinterpret_cast<ki_host_ctx_t*>(&ctx);
  ki_scan_t* scan = nullptr;
  const std::string what = "plugin '" + std::string(name()) + "', check " + check_id;
  {
    std::unique_lock<std::recursive_mutex> lock(call_mutex_, std::defer_lock);
    if (!thread_safe_) lock.lock();
    if (!api_->check_open) return Error(what + ": plugin has no checks");
    ki_rc rc = api_->check_open(instance_, &req, &scan);
    if (rc != KI_OK) {
      const char* e = api_->last_error(instance_);
      return Error(what + ": " + (e ? e : "check_open failed"));
    }
  }
  return drain(ctx, scan, sink, what);
}

Status InProcessPlugin::publish(const std::string& request_json, const BatchSink& sink, const CancelToken* cancel) {
  ScanCtx ctx{this, nullptr, cancel, {}};
  ki_publish_request req{};
  req.struct_size = sizeof req;
  req.request_json = request_json.c_str();
  req.ctx = reinterpret_cast<ki_host_ctx_t*>(&ctx);
  ki_scan_t* scan = nullptr;
  const std::string what = "plugin '" + std::string(name()) + "', publish";
  {
    std::unique_lock<std::recursive_mutex> lock(call_mutex_, std::defer_lock);
    if (!thread_safe_) lock.lock();
    if (!(api_->kinds & KI_KIND_PUBLISHER)) return Error(what + ": the plugin is not a publisher");
    ki_rc rc = api_->publish_open(instance_, &req, &scan);
    if (rc != KI_OK) {
      const char* e = api_->last_error(instance_);
      return Error(what + ": " + (e ? e : "publish_open failed"));
    }
  }
  return drain(ctx, scan, sink, what);
}

std::string kinds_to_string(uint32_t kinds) {
  std::string s;
  auto add = [&](const char* n) {
    if (!s.empty()) s += ',';
    s += n;
  };
  if (kinds & KI_KIND_DRIVER) add("driver");
  if (kinds & KI_KIND_ADAPTER) add("adapter");
  if (kinds & KI_KIND_CHECKS) add("checks");
  if (kinds & KI_KIND_PUBLISHER) add("publisher");
  return s;
}

}  // namespace kinspect
