#include "systemd_units.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

#include <boost/json/serialize.hpp>

#include "common/text.h"
#include "common/time.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace node {

using T = ks::Type;
using Clock = std::chrono::steady_clock;

namespace {

// The units that matter to a node, in the order the rows come.
const char* const kNodeUnits[] = {"kubelet.service", "containerd.service", "crio.service", "docker.service",
                                  "cri-docker.service"};

constexpr const char* kDestination = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

bool has_unit_suffix(std::string_view n) {
  for (const char* s : {".service", ".socket", ".target", ".mount", ".timer", ".path", ".slice", ".scope",
                        ".device", ".swap", ".automount"}) {
    std::string_view suf(s);
    if (n.size() > suf.size() && n.substr(n.size() - suf.size()) == suf) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> systemd_unit_name(std::string_view name, std::string* why) {
  auto bad = [&](std::string w) -> std::optional<std::string> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  if (name.empty()) return bad("an empty unit name");
  if (name.size() > 255) return bad("a unit name is at most 255 characters");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr(":-_.\\@", c)))
      return bad("'" + std::string(name) + "' holds '" + std::string(1, c) +
                 "'; unit names hold only letters, digits and : - _ . \\ @");
  std::string full(name);
  if (!has_unit_suffix(full)) full += ".service";
  return full;
}

bool take_systemd_setting(const std::string& key, const json::value& v, SystemdSettings& s) {
  if (key == "systemd_bus") {
    if (!v.is_string() || v.as_string().empty() ||
        (v.as_string()[0] != '/' && std::string_view(v.as_string()).find(':') == std::string_view::npos))
      throw std::runtime_error(
          "node: setting systemd_bus must be a D-Bus address (unix:path=/run/dbus/system_bus_socket) or the "
          "absolute path of systemd's own socket (/run/systemd/private), got " + json::serialize(v));
    s.bus = std::string(v.as_string());
  } else if (key == "systemd_units") {
    if (!v.is_string()) throw std::runtime_error("node: setting systemd_units must be text (unit names separated by commas), got " + json::serialize(v));
    s.extra_units.clear();
    std::string_view rest = v.as_string();
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      auto n = plugin_common::trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (n.empty()) continue;
      std::string why;
      auto full = systemd_unit_name(n, &why);
      if (!full) throw std::runtime_error("node: setting systemd_units: " + why);
      s.extra_units.push_back(*full);
    }
  } else {
    return false;
  }
  return true;
}

std::vector<ks::SettingSpec> systemd_settings() {
  return {{"systemd_bus", T::Text, "null",
           "systemd's D-Bus: an address (unix:path=...) of a message bus, or the path of systemd's own socket; "
           "default <root>/run/systemd/private as root, else <root>/run/dbus/system_bus_socket"},
          {"systemd_units", T::Text, "\"\"", "more units for node.systemd_units, separated by commas (\"kubelet\" means kubelet.service)"}};
}

ks::TableSpec systemd_units_table() {
  return {"node.systemd_units",
          "The systemd units that matter to a node (kubelet, containerd, crio, docker, cri-docker and the "
          "systemd_units setting's), read from systemd's D-Bus API (Manager.LoadUnit, the Unit and Service "
          "properties), every call within probe_timeout_ms. A unit that is not installed is a row with load_state "
          "not-found. Unavailable (not applicable) where systemd is not running (no <root>/run/systemd/system).",
          {{"unit", T::Text, "Unit name, e.g. kubelet.service"},
           {"description", T::Text, "Description= of the unit"},
           {"load_state", T::Text, "loaded, not-found (not installed), masked, bad-setting, error"},
           {"active_state", T::Text, "active, inactive, failed, activating, deactivating, reloading"},
           {"sub_state", T::Text, "The type's own state: running, exited, dead, failed, auto-restart..."},
           {"unit_file_state", T::Text, "enabled, disabled, static, masked, linked...; NULL when systemd reports none (not-found)"},
           {"fragment_path", T::Text, "The unit file systemd loaded; NULL when none"},
           {"active_enter_time", T::Timestamp, "When the unit last entered the active state (RFC 3339); NULL if never"},
           {"n_restarts", T::Integer, "Services: automatic restarts (Restart=) systemd counted (NRestarts); NULL for other types"},
           {"main_pid", T::Integer, "Services: the main process; NULL when none runs"},
           {"exec_main_code", T::Text, "Services: how the main process last ended: exited, killed or dumped; NULL if it has not"},
           {"exec_main_status", T::Integer, "Services: its exit status (exited) or signal number (killed, dumped)"},
           {"result", T::Text, "Services: success, exit-code, signal, core-dump, timeout, watchdog, start-limit-hit..."},
           {"manager", T::Text, "The service manager asked: systemd"},
           {"bus", T::Text, "Where it was asked: the D-Bus address, or the path of systemd's socket"}},
          {},
          {"SELECT unit, active_state, sub_state, unit_file_state, n_restarts FROM node.systemd_units WHERE load_state = 'loaded'"}};
}

BusAddress systemd_bus_from_setting(const std::string& setting) {
  if (!setting.empty() && setting[0] == '/') return {"unix:path=" + setting, true, setting};
  return {setting, false, setting};
}

BusAddress default_systemd_bus(const plugin_common::HostFs& fs) {
  // systemd accepts only uid 0 on its own socket; systemctl uses it as root
  // and the system bus otherwise, and so does this.
  struct stat st{};
  const std::string priv = fs.at("/run/systemd/private");
  if (::geteuid() == 0 && ::stat(priv.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return {"unix:path=" + priv, true, priv};
  const std::string sys = fs.at("/run/dbus/system_bus_socket");
  return {"unix:path=" + sys, false, "unix:path=" + sys};
}

namespace {

std::string errno_text(int r) { return std::strerror(r < 0 ? -r : r); }

// One connection to systemd whose every call ends by one deadline: sd-bus is
// driven here (connect, authentication, Hello, the call) with poll() bounded
// by what is left, so no step can outlast it, whatever the peer does.
class SystemdBus {
 public:
  SystemdBus(const BusAddress& a, Clock::time_point deadline, std::chrono::milliseconds timeout)
      : where_(a.shown), deadline_(deadline) {
    sd_bus* bus = nullptr;
    int r = sd_bus_new(&bus);
    if (r < 0) fail("sd_bus_new", r);
    bus_.reset(bus);  // closed however the constructor ends
    sd_bus_set_description(bus, "kinspect-node");
    r = sd_bus_set_address(bus, a.address.c_str());
    if (r < 0) throw std::runtime_error("node.systemd_units: bad D-Bus address '" + a.shown + "': " + errno_text(r));
    sd_bus_set_bus_client(bus, a.direct ? 0 : 1);
    sd_bus_set_method_call_timeout(bus, static_cast<uint64_t>(timeout.count()) * 1000);
    r = sd_bus_start(bus);
    if (r < 0) fail("cannot connect", r);
  }
  SystemdBus(const SystemdBus&) = delete;
  SystemdBus& operator=(const SystemdBus&) = delete;

  // The reply to one method call; throws with the D-Bus error or the timeout.
  sd_bus_message* call(const char* path, const char* iface, const char* member, const char* arg) {
    sd_bus_message* m = nullptr;
    int r = sd_bus_message_new_method_call(bus_.get(), &m, kDestination, path, iface, member);
    if (r >= 0 && arg) r = sd_bus_message_append(m, "s", arg);
    if (r < 0) {
      sd_bus_message_unref(m);
      fail("cannot build the call", r);
    }
    Pending p;
    sd_bus_slot* slot = nullptr;
    r = sd_bus_call_async(bus_.get(), &slot, m, &Pending::done, &p, left_usec());
    sd_bus_message_unref(m);
    if (r < 0) fail(std::string(member), r);
    // The slot holds the connection: it must go whichever way wait() ends.
    std::unique_ptr<sd_bus_slot, sd_bus_slot* (*)(sd_bus_slot*)> own(slot, sd_bus_slot_unref);
    wait(p, member);
    if (sd_bus_message_is_method_error(p.reply, nullptr)) {
      const sd_bus_error* e = sd_bus_message_get_error(p.reply);
      std::string why = std::string(e->name ? e->name : "error") + ": " + (e->message ? e->message : "");
      sd_bus_message_unref(p.reply);
      throw std::runtime_error("node.systemd_units: " + std::string(member) + (arg ? std::string("(") + arg + ")" : "") +
                               " at " + where_ + " failed: " + why);
    }
    return p.reply;
  }

 private:
  struct Pending {
    sd_bus_message* reply = nullptr;
    static int done(sd_bus_message* m, void* self, sd_bus_error*) {
      static_cast<Pending*>(self)->reply = sd_bus_message_ref(m);
      return 1;
    }
  };

  uint64_t left_usec() const {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now()).count();
    return left > 0 ? static_cast<uint64_t>(left) : 1;
  }

  void wait(Pending& p, const char* member) {
    while (!p.reply) {
      // Checked before every step: a peer that trickles bytes or floods
      // messages keeps sd_bus_process() busy, and must not outlast it either.
      const auto now = Clock::now();
      if (now >= deadline_)
        throw std::runtime_error("node.systemd_units: " + where_ + " did not answer " + member + " in time (probe_timeout_ms)");
      int r = sd_bus_process(bus_.get(), nullptr);
      if (r < 0) fail(std::string(member) + ": the connection failed", r);
      if (r > 0 || p.reply) continue;
      pollfd pfd{sd_bus_get_fd(bus_.get()), static_cast<short>(sd_bus_get_events(bus_.get())), 0};
      if (pfd.fd < 0) fail("the connection closed", pfd.fd);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count() + 1;
      (void)::poll(&pfd, 1, static_cast<int>(ms));
    }
  }

  [[noreturn]] void fail(const std::string& what, int r) const {
    throw std::runtime_error("node.systemd_units: " + what + " (systemd at " + where_ + "): " + errno_text(r));
  }

  std::unique_ptr<sd_bus, sd_bus* (*)(sd_bus*)> bus_{nullptr, sd_bus_close_unref};
  std::string where_;
  Clock::time_point deadline_;
};

// The values GetAll's a{sv} gives for the property names asked; others skipped.
struct Props {
  std::map<std::string, std::string> text;
  std::map<std::string, int64_t> number;
};

void read_props(sd_bus_message* m, Props& out) {
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char* name = nullptr;
    const char* sig = nullptr;
    if ((r = sd_bus_message_read(m, "s", &name)) < 0 || (r = sd_bus_message_peek_type(m, nullptr, &sig)) < 0) break;
    const std::string type = sig ? sig : "";
    if (type == "s" || type == "o") {
      const char* s = nullptr;
      r = sd_bus_message_read(m, "v", type.c_str(), &s);
      if (r >= 0) out.text[name] = s ? s : "";
    } else if (type == "t" || type == "u" || type == "i") {
      union { uint64_t t; uint32_t u; int32_t i; } v{};
      r = sd_bus_message_read(m, "v", type.c_str(), &v);
      if (r >= 0) out.number[name] = type == "t" ? static_cast<int64_t>(v.t) : type == "u" ? v.u : v.i;
    } else {
      r = sd_bus_message_skip(m, "v");
    }
    if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0) break;
  }
  if (r < 0) throw std::runtime_error("node.systemd_units: systemd's GetAll answer does not parse: " + errno_text(r));
}

Props get_all(SystemdBus& bus, const std::string& path, const char* iface) {
  sd_bus_message* reply = bus.call(path.c_str(), "org.freedesktop.DBus.Properties", "GetAll", iface);
  Props p;
  try {
    read_props(reply, p);
  } catch (...) {
    sd_bus_message_unref(reply);
    throw;
  }
  sd_bus_message_unref(reply);
  return p;
}

std::string load_unit(SystemdBus& bus, const std::string& unit) {
  sd_bus_message* reply = bus.call(kManagerPath, kManager, "LoadUnit", unit.c_str());
  const char* path = nullptr;
  int r = sd_bus_message_read(reply, "o", &path);
  std::string out = r >= 0 && path ? path : "";
  sd_bus_message_unref(reply);
  if (out.empty()) throw std::runtime_error("node.systemd_units: LoadUnit(" + unit + ") answered no object path");
  return out;
}

void text_or_null(ks::JsonWriter& r, const char* col, const Props& p, const char* prop) {
  auto it = p.text.find(prop);
  if (it != p.text.end() && !it->second.empty()) r.field(col, it->second);
  else r.null(col);
}

void service_columns(ks::JsonWriter& r, const std::optional<Props>& svc) {
  if (!svc) {
    for (const char* c : {"n_restarts", "main_pid", "exec_main_code", "exec_main_status", "result"}) r.null(c);
    return;
  }
  auto num = [&](const char* prop) -> std::optional<int64_t> {
    auto it = svc->number.find(prop);
    return it == svc->number.end() ? std::nullopt : std::optional<int64_t>(it->second);
  };
  if (auto n = num("NRestarts")) r.field("n_restarts", *n);
  else r.null("n_restarts");
  if (auto pid = num("MainPID"); pid && *pid > 0) r.field("main_pid", *pid);
  else r.null("main_pid");
  // ExecMainCode is a CLD_* code of waitid(): 1 exited, 2 killed, 3 dumped.
  auto code = num("ExecMainCode").value_or(0);
  const char* how = code == 1 ? "exited" : code == 2 ? "killed" : code == 3 ? "dumped" : nullptr;
  if (how) r.field("exec_main_code", how).field("exec_main_status", num("ExecMainStatus").value_or(0));
  else r.null("exec_main_code").null("exec_main_status");
  text_or_null(r, "result", *svc, "Result");
}

void unit_row(SystemdBus& bus, const std::string& unit, const std::string& shown, ks::BatchWriter& out) {
  const std::string path = load_unit(bus, unit);
  Props u = get_all(bus, path, "org.freedesktop.systemd1.Unit");
  std::optional<Props> svc;
  if (unit.size() > 8 && unit.substr(unit.size() - 8) == ".service") svc = get_all(bus, path, "org.freedesktop.systemd1.Service");
  auto r = out.row();
  r.field("unit", unit);
  text_or_null(r, "description", u, "Description");
  text_or_null(r, "load_state", u, "LoadState");
  text_or_null(r, "active_state", u, "ActiveState");
  text_or_null(r, "sub_state", u, "SubState");
  text_or_null(r, "unit_file_state", u, "UnitFileState");
  text_or_null(r, "fragment_path", u, "FragmentPath");
  auto t = u.number.find("ActiveEnterTimestamp");  // microseconds since the epoch; 0: never
  if (t != u.number.end() && t->second > 0) r.field("active_enter_time", plugin_common::rfc3339(t->second / 1000000));
  else r.null("active_enter_time");
  service_columns(r, svc);
  r.field("manager", "systemd").field("bus", shown);
}

// Why systemd is not running under root (sd_booted(3)'s test: the directory
// <root>/run/systemd/system), or "" when it is.
std::string systemd_absent(const plugin_common::HostFs& fs) {
  struct stat st{};
  if (::stat(fs.at("/run/systemd/system").c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return "";
  std::string pid1 = fs.read_line("/proc/1/comm").value_or("");
  if (pid1.empty())
    if (auto stat = fs.read_line("/proc/1/stat"); stat && stat->find('(') != std::string::npos)
      pid1 = stat->substr(stat->find('(') + 1, stat->rfind(')') - stat->find('(') - 1);
  return "systemd is not running on this host (" + fs.at("/run/systemd/system") + " does not exist; PID 1 is " +
         (pid1.empty() ? std::string("unknown") : pid1) +
         "): unit states not read (--set node.systemd_bus=ADDRESS names a systemd to ask)";
}

}  // namespace

void systemd_unit_rows(const SystemdSettings& s, int64_t timeout_ms, const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  if (s.bus.empty())
    if (std::string why = systemd_absent(fs); !why.empty()) throw ks::Unavailable("not applicable", why);
  const BusAddress where = s.bus.empty() ? default_systemd_bus(fs) : systemd_bus_from_setting(s.bus);
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  SystemdBus bus(where, Clock::now() + timeout, timeout);
  std::vector<std::string> units(std::begin(kNodeUnits), std::end(kNodeUnits));
  for (const auto& u : s.extra_units)
    if (std::find(units.begin(), units.end(), u) == units.end()) units.push_back(u);
  for (const auto& u : units) unit_row(bus, u, where.shown, out);
}

}  // namespace node
