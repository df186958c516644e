// A fake systemd for tests/node: org.freedesktop.systemd1's Manager.GetUnit
// and Manager.LoadUnit, and the Unit and Service properties node.systemd_units
// reads, served with sd-bus's vtable API. Either on a message bus
// (--bus ADDRESS: takes the name org.freedesktop.systemd1, as systemd does on
// the system bus) or on its own socket (--listen PATH: peer to peer, as
// systemd does on /run/systemd/private). Prints "ready" when it serves.
//
//   fake_systemd --bus unix:path=/tmp/x/bus --unit kubelet.service=loaded,active,running,enabled,0,0,0,success,812
//
// A --unit is NAME=LOAD,ACTIVE,SUB,FILE_STATE,N_RESTARTS,EXEC_MAIN_CODE,
// EXEC_MAIN_STATUS,RESULT,MAIN_PID; any other name is not-found, as systemd
// answers for a unit that is not installed.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <sys/epoll.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Unit {
  std::string name, load = "not-found", active = "inactive", sub = "dead", file_state, result = "success";
  uint32_t n_restarts = 0, main_pid = 0;
  int32_t code = 0, status = 0;
  uint64_t active_enter_us = 0;
};

std::map<std::string, Unit> g_units;      // by unit name
std::map<std::string, std::string> g_by_label;  // object path label -> unit name

// systemd's object path label: bytes other than [A-Za-z0-9] as _XX.
std::string label(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c)) out += static_cast<char>(c);
    else {
      char b[4];
      std::snprintf(b, sizeof b, "_%02x", c);
      out += b;
    }
  }
  return out;
}

const std::string kUnitPrefix = "/org/freedesktop/systemd1/unit";

Unit& unit(const std::string& name) {
  auto it = g_units.find(name);
  if (it == g_units.end()) {
    Unit u;
    u.name = name;
    it = g_units.emplace(name, u).first;
  }
  g_by_label[label(name)] = name;
  return it->second;
}

int reply_path(sd_bus_message* m, const std::string& name) {
  return sd_bus_reply_method_return(m, "o", (kUnitPrefix + "/" + label(name)).c_str());
}

int load_unit(sd_bus_message* m, void*, sd_bus_error*) {
  const char* name = nullptr;
  int r = sd_bus_message_read(m, "s", &name);
  if (r < 0) return r;
  unit(name);
  return reply_path(m, name);
}

int get_unit(sd_bus_message* m, void*, sd_bus_error* e) {
  const char* name = nullptr;
  int r = sd_bus_message_read(m, "s", &name);
  if (r < 0) return r;
  auto it = g_units.find(name);
  if (it == g_units.end() || it->second.load == "not-found")
    return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name);
  return reply_path(m, name);
}

// The unit an object path names, or null.
Unit* unit_at(const char* path) {
  std::string p(path);
  if (p.rfind(kUnitPrefix + "/", 0) != 0) return nullptr;
  auto it = g_by_label.find(p.substr(kUnitPrefix.size() + 1));
  return it == g_by_label.end() ? nullptr : &g_units.at(it->second);
}

int find_unit(sd_bus*, const char* path, const char*, void*, void** found, sd_bus_error*) {
  Unit* u = unit_at(path);
  if (!u) return 0;
  *found = u;
  return 1;
}

#define UNIT_TEXT(member)                                                                                      \
  [](sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* u, sd_bus_error*) -> int { \
    return sd_bus_message_append(reply, "s", static_cast<Unit*>(u)->member.c_str());                       \
  }

int prop_u32(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply, void* p, sd_bus_error*) {
  auto* u = static_cast<Unit*>(p);
  return sd_bus_message_append(reply, "u", std::strcmp(property, "NRestarts") == 0 ? u->n_restarts : u->main_pid);
}
int prop_i32(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply, void* p, sd_bus_error*) {
  auto* u = static_cast<Unit*>(p);
  return sd_bus_message_append(reply, "i", std::strcmp(property, "ExecMainCode") == 0 ? u->code : u->status);
}
int prop_enter(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* p, sd_bus_error*) {
  return sd_bus_message_append(reply, "t", static_cast<Unit*>(p)->active_enter_us);
}
int prop_description(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* p, sd_bus_error*) {
  auto* u = static_cast<Unit*>(p);
  return sd_bus_message_append(reply, "s", u->load == "loaded" ? ("fake " + u->name).c_str() : u->name.c_str());
}
int prop_fragment(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* p, sd_bus_error*) {
  auto* u = static_cast<Unit*>(p);
  return sd_bus_message_append(reply, "s", u->load == "loaded" ? ("/lib/systemd/system/" + u->name).c_str() : "");
}
// A property kinspect does not read, of a type it must skip (an array).
int prop_names(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* p, sd_bus_error*) {
  return sd_bus_message_append(reply, "as", 1, static_cast<Unit*>(p)->name.c_str());
}

const sd_bus_vtable kManagerVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("GetUnit", "s", "o", get_unit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("LoadUnit", "s", "o", load_unit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END};

const sd_bus_vtable kUnitVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", UNIT_TEXT(name), 0, 0),
    SD_BUS_PROPERTY("Names", "as", prop_names, 0, 0),
    SD_BUS_PROPERTY("Description", "s", prop_description, 0, 0),
    SD_BUS_PROPERTY("LoadState", "s", UNIT_TEXT(load), 0, 0),
    SD_BUS_PROPERTY("ActiveState", "s", UNIT_TEXT(active), 0, 0),
    SD_BUS_PROPERTY("SubState", "s", UNIT_TEXT(sub), 0, 0),
    SD_BUS_PROPERTY("FragmentPath", "s", prop_fragment, 0, 0),
    SD_BUS_PROPERTY("UnitFileState", "s", UNIT_TEXT(file_state), 0, 0),
    SD_BUS_PROPERTY("ActiveEnterTimestamp", "t", prop_enter, 0, 0),
    SD_BUS_VTABLE_END};

const sd_bus_vtable kServiceVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("MainPID", "u", prop_u32, 0, 0),
    SD_BUS_PROPERTY("NRestarts", "u", prop_u32, 0, 0),
    SD_BUS_PROPERTY("ExecMainCode", "i", prop_i32, 0, 0),
    SD_BUS_PROPERTY("ExecMainStatus", "i", prop_i32, 0, 0),
    SD_BUS_PROPERTY("Result", "s", UNIT_TEXT(result), 0, 0),
    SD_BUS_VTABLE_END};

int serve_objects(sd_bus* bus) {
  int r = sd_bus_add_object_vtable(bus, nullptr, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                   kManagerVtable, nullptr);
  if (r >= 0)
    r = sd_bus_add_fallback_vtable(bus, nullptr, kUnitPrefix.c_str(), "org.freedesktop.systemd1.Unit", kUnitVtable,
                                   find_unit, nullptr);
  if (r >= 0)
    r = sd_bus_add_fallback_vtable(bus, nullptr, kUnitPrefix.c_str(), "org.freedesktop.systemd1.Service",
                                   kServiceVtable, find_unit, nullptr);
  return r;
}

bool parse_unit(const std::string& spec) {
  auto eq = spec.find('=');
  if (eq == std::string::npos) return false;
  std::vector<std::string> f;
  std::stringstream in(spec.substr(eq + 1));
  for (std::string part; std::getline(in, part, ',');) f.push_back(part);
  if (f.size() != 9) return false;
  Unit& u = unit(spec.substr(0, eq));
  u.load = f[0], u.active = f[1], u.sub = f[2], u.file_state = f[3];
  u.n_restarts = static_cast<uint32_t>(std::stoul(f[4]));
  u.code = std::stoi(f[5]), u.status = std::stoi(f[6]);
  u.result = f[7];
  u.main_pid = static_cast<uint32_t>(std::stoul(f[8]));
  u.active_enter_us = u.active == "active" ? 1733300000000000ull : 0;  // 2024-12-04T08:13:20Z
  return true;
}

int fail(const char* what, int r) {
  std::fprintf(stderr, "fake_systemd: %s: %s\n", what, std::strerror(r < 0 ? -r : r));
  return 1;
}

int on_bus(sd_event* ev, const std::string& address) {
  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r >= 0) r = sd_bus_set_address(bus, address.c_str());
  if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
  if (r >= 0) r = sd_bus_start(bus);
  if (r >= 0) r = serve_objects(bus);
  if (r >= 0) r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
  if (r >= 0) r = sd_bus_attach_event(bus, ev, 0);
  return r < 0 ? fail("bus", r) : 0;
}

// One peer-to-peer connection per client, like systemd's private socket.
int on_accept(sd_event_source*, int fd, uint32_t, void* ev) {
  int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0) return 0;
  sd_bus* bus = nullptr;
  sd_id128_t id;
  sd_id128_randomize(&id);
  int r = sd_bus_new(&bus);
  if (r >= 0) r = sd_bus_set_fd(bus, c, c);
  if (r >= 0) r = sd_bus_set_server(bus, 1, id);
  if (r >= 0) r = serve_objects(bus);
  if (r >= 0) r = sd_bus_attach_event(bus, static_cast<sd_event*>(ev), 0);
  if (r >= 0) r = sd_bus_start(bus);
  if (r < 0) fail("client", r);
  return 0;
}

int on_listen(sd_event* ev, const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) return fail(path.c_str(), errno);
  int r = sd_event_add_io(ev, nullptr, fd, EPOLLIN, on_accept, ev);
  return r < 0 ? fail("listen", r) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bus, listen;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--bus") bus = v;
    else if (k == "--listen") listen = v;
    else if (k != "--unit" || !parse_unit(v)) {
      std::fprintf(stderr, "fake_systemd: bad argument %s %s\n", k.c_str(), v.c_str());
      return 2;
    }
  }
  if (bus.empty() == listen.empty()) {
    std::fprintf(stderr, "usage: fake_systemd (--bus ADDRESS | --listen PATH) [--unit NAME=...]...\n");
    return 2;
  }
  sd_event* ev = nullptr;
  int r = sd_event_default(&ev);
  if (r < 0) return fail("sd_event_default", r);
  if ((bus.empty() ? on_listen(ev, listen) : on_bus(ev, bus)) != 0) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  r = sd_event_loop(ev);
  return r < 0 ? fail("loop", r) : 0;
}
