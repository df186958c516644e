#include "services.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/grpc_unix.h"
#include "common/probe.h"
#include "common/proto_wire.h"
#include "common/text.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace node {

using T = ks::Type;
using plugin_common::Endpoint;
using plugin_common::ProbeResult;

bool take_service_setting(const std::string& key, const json::value& v, ServiceSettings& s) {
  if (key == "kubelet_healthz_url") {
    std::string why;
    if (!v.is_string() || !plugin_common::parse_http_url(v.as_string(), &why))
      throw std::runtime_error("node: setting kubelet_healthz_url: " +
                               (v.is_string() ? why : "expected text, got " + json::serialize(v)));
    s.kubelet_healthz_url = std::string(v.as_string());
  } else if (key == "probe_timeout_ms") {
    if (!v.is_int64() || v.as_int64() < 1 || v.as_int64() > 60000)
      throw std::runtime_error("node: setting probe_timeout_ms must be an integer from 1 to 60000, got " + json::serialize(v));
    s.probe_timeout_ms = v.as_int64();
  } else {
    return false;
  }
  return true;
}

std::vector<ks::SettingSpec> service_settings() {
  return {{"kubelet_healthz_url", T::Text, "\"http://127.0.0.1:10248/healthz\"", "the kubelet's healthz endpoint (http, numeric address)"},
          {"probe_timeout_ms", T::Integer, "2000", "how long the kubelet and each runtime socket may take to answer"}};
}

bool serves_service_table(const std::string& t) {
  return t == "node.kubelet_health" || t == "node.container_runtimes" || t == "node.cpu" || t == "node.block_devices";
}

std::vector<ks::TableSpec> service_tables() {
  return {
      {"node.kubelet_health",
       "The kubelet's healthz endpoint (kubelet_healthz_url, http://127.0.0.1:10248/healthz by default) asked once, "
       "within probe_timeout_ms. One row; a refused connection is a row too (status refused), not an error.",
       {{"url", T::Text, "The URL asked"},
        {"status", T::Text, "ok (an HTTP answer came), timeout, refused or error"},
        {"http_status", T::Integer, "The HTTP status code, when an answer came"},
        {"body", T::Text, "The answer's body (\"ok\" when healthy), at most 1 KiB"},
        {"error", T::Text, "Why there was no answer"},
        {"seconds", T::Real, "How long it took"},
        {"healthy", T::Boolean, "HTTP 200 with body ok"}},
       {},
       {"SELECT status, http_status, body, seconds FROM node.kubelet_health"}},
      {"node.container_runtimes",
       "The container runtimes' sockets found under root (containerd, CRI-O, dockerd, cri-dockerd), each asked "
       "its version within probe_timeout_ms (one deadline for all the calls of a row): containerd over gRPC "
       "(containerd.services.version.v1.Version/Version, then the CRI's RuntimeService/Version that its CRI plugin "
       "serves), CRI-O and cri-dockerd over gRPC (runtime.v1.RuntimeService/Version, and runtime.v1alpha2 when v1 "
       "is UNIMPLEMENTED), dockerd over HTTP (GET /version). A socket that accepts and never answers is a timeout; "
       "an answer that is not HTTP/2 or gRPC, or a gRPC status other than OK, is an error. No row for a runtime "
       "whose socket is absent.",
       {{"runtime", T::Text, "containerd, cri-o, docker or cri-dockerd"},
        {"socket", T::Text, "The socket's path on the host"},
        {"status", T::Text, "ok, timeout, refused or error (also for a gRPC status other than OK: see grpc_status)"},
        {"error", T::Text, "Why it did not answer, or what its gRPC status said"},
        {"seconds", T::Real, "How long the first answer took (connect, request, answer)"},
        {"version", T::Text, "The runtime's version: containerd's Version, the CRI's runtime_version, dockerd's Version"},
        {"revision", T::Text, "containerd's revision (the commit it was built from)"},
        {"runtime_name", T::Text, "The CRI's runtime_name (containerd, cri-o, docker)"},
        {"runtime_api_version", T::Text, "The CRI's runtime_api_version, as the runtime states it"},
        {"cri_api", T::Text, "The CRI API that answered: v1, or v1alpha2 (which kubelets from 1.26 on no longer speak); NULL when none did"},
        {"cri_error", T::Text, "Why containerd's CRI did not answer while containerd did (its CRI plugin disabled)"},
        {"grpc_status", T::Integer, "The gRPC status code of the call that failed with one (12 UNIMPLEMENTED, 14 UNAVAILABLE...)"}},
       {},
       {"SELECT runtime, status, seconds, version, cri_api FROM node.container_runtimes"}},
      {"node.cpu",
       "CPU time since boot (<root>/proc/stat) and the load averages (<root>/proc/loadavg). One row.",
       {{"cpus", T::Integer, "CPUs counted in proc/stat (cpuN lines)"},
        {"load1", T::Real, "Load average over 1 minute"},
        {"load5", T::Real, "Load average over 5 minutes"},
        {"load15", T::Real, "Load average over 15 minutes"},
        {"load5_per_cpu", T::Real, "load5 / cpus"},
        {"steal_percent", T::Real, "Share of CPU time since boot the hypervisor gave to others (steal)"},
        {"iowait_percent", T::Real, "Share of CPU time since boot spent waiting for I/O"},
        {"procs_running", T::Integer, "Runnable tasks now"},
        {"procs_blocked", T::Integer, "Tasks blocked on I/O now"}},
       {},
       {"SELECT load5_per_cpu, steal_percent FROM node.cpu"}},
      {"node.block_devices",
       "Block devices (<root>/sys/block): size, read-only flag, and for SCSI devices (sd*, incl. SATA and most cloud "
       "disks) the device's state and its I/O error count since boot (device/ioerr_cnt).",
       {{"name", T::Text, "Device name, e.g. sda, nvme0n1"},
        {"size_bytes", T::Integer, "Size (size * 512)"},
        {"read_only", T::Boolean, "The ro flag"},
        {"removable", T::Boolean, "The removable flag"},
        {"state", T::Text, "SCSI device state (running, offline, blocked...); NULL for other devices"},
        {"io_errors", T::Integer, "I/O requests that failed since boot (SCSI device/ioerr_cnt); NULL for other devices"},
        {"io_requests", T::Integer, "I/O requests completed since boot (device/iodone_cnt); NULL for other devices"}},
       {},
       {"SELECT name, state, io_errors FROM node.block_devices WHERE io_errors > 0"}},
  };
}

namespace {

void kubelet(const ServiceSettings& s, ks::BatchWriter& out) {
  auto url = plugin_common::parse_http_url(s.kubelet_healthz_url, nullptr);
  const std::string host = url->first.describe();
  ProbeResult p = plugin_common::http_get(url->first, host, url->second,
                                          std::chrono::milliseconds(s.probe_timeout_ms), 64 * 1024);
  auto r = out.row();
  r.field("url", s.kubelet_healthz_url);
  std::string why;
  std::optional<plugin_common::HttpResponse> h;
  if (p.status == "ok") {
    h = plugin_common::parse_http_response(p.response, &why);
    if (!h) p.status = "error", p.error = s.kubelet_healthz_url + ": " + why;
  }
  r.field("status", p.status);
  if (h) {
    std::string body = h->body.substr(0, 1024);
    r.field("http_status", static_cast<int64_t>(h->status));
    r.field("body", plugin_common::valid_utf8(body) ? body : "<not UTF-8>");
    r.null("error");
  } else {
    r.null("http_status").null("body").field("error", p.error);
  }
  r.field("seconds", p.seconds).field("healthy", h && h->status == 200 && plugin_common::trim(h->body) == "ok");
}

// The runtimes kinspect knows, in the order they are looked for, and how each is asked its version.
enum class Ask { Containerd, Cri, DockerHttp };
struct RuntimeSocket {
  const char* runtime;
  const char* path;
  Ask ask;
};
const RuntimeSocket kRuntimeSockets[] = {
    {"containerd", "/run/containerd/containerd.sock", Ask::Containerd},
    {"cri-o", "/run/crio/crio.sock", Ask::Cri},
    {"docker", "/run/docker.sock", Ask::DockerHttp},
    {"cri-dockerd", "/run/cri-dockerd.sock", Ask::Cri},
};

using Clock = std::chrono::steady_clock;

// One row of node.container_runtimes, as the runtime answered.
struct RuntimeAnswer {
  std::string status, error;
  double seconds = 0;
  std::optional<std::string> version, revision, runtime_name, runtime_api_version, cri_api, cri_error;
  std::optional<int64_t> grpc_status;
};

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// A text field of a Version answer: NULL when empty (proto3's default), at most 256 bytes.
std::optional<std::string> text_field(const std::map<uint32_t, std::string_view>& fields, uint32_t n) {
  auto it = fields.find(n);
  if (it == fields.end() || it->second.empty()) return std::nullopt;
  std::string v(it->second.substr(0, 256));
  return plugin_common::valid_utf8(v) ? v : "<not UTF-8>";
}

// Takes a call's outcome into `a`; the answer message's string fields when it is OK.
std::optional<std::map<uint32_t, std::string_view>> answered(const plugin_common::GrpcResult& g, const std::string& method,
                                                             RuntimeAnswer& a) {
  a.status = g.status, a.error = g.error, a.grpc_status.reset();
  if (g.status != "ok") return std::nullopt;
  const int code = g.answer.grpc_status;
  if (code != 0) {
    a.status = "error", a.grpc_status = code;
    a.error = method + ": gRPC status " + std::to_string(code) + " " + plugin_common::grpc_status_name(code) +
              (g.answer.grpc_message.empty() ? "" : ": " + g.answer.grpc_message);
    return std::nullopt;
  }
  std::string why;
  auto fields = plugin_common::proto_bytes_fields(g.answer.message, &why);
  if (!fields) a.status = "error", a.error = method + ": " + why;
  return fields;
}

// The CRI's RuntimeService/Version (request: 1 version; answer: 1 version,
// 2 runtime_name, 3 runtime_version, 4 runtime_api_version), in CRI v1 and,
// for a runtime that answers UNIMPLEMENTED there, in v1alpha2, which
// kubelets before 1.26 also spoke. Fills status and error for the call.
void ask_cri(const Endpoint& e, Clock::time_point deadline, RuntimeAnswer& a) {
  for (const std::string api : {"v1", "v1alpha2"}) {
    const std::string method = "runtime." + api + ".RuntimeService/Version";
    auto g = plugin_common::grpc_unary(e, "/" + method, plugin_common::proto_string_field(1, api), left_until(deadline));
    if (api == "v1") a.seconds = g.seconds;  // the latency is the first answer's, whatever it says
    auto fields = answered(g, method, a);
    if (fields) {
      a.runtime_name = text_field(*fields, 2), a.runtime_api_version = text_field(*fields, 4), a.cri_api = api;
      a.version = text_field(*fields, 3);
      return;
    }
    if (a.grpc_status != 12 || Clock::now() >= deadline) return;  // only UNIMPLEMENTED is worth the older API
  }
  a.error = "neither CRI v1 nor v1alpha2 is served: " + a.error;
}

// containerd's own Version service (request google.protobuf.Empty; answer:
// 1 version, 2 revision), then its CRI plugin, which a containerd installed
// for Docker often has disabled. The row's status is the first call's.
void ask_containerd(const Endpoint& e, Clock::time_point deadline, RuntimeAnswer& a) {
  const std::string method = "containerd.services.version.v1.Version/Version";
  auto g = plugin_common::grpc_unary(e, "/" + method, "", left_until(deadline));
  a.seconds = g.seconds;
  auto fields = answered(g, method, a);
  if (!fields) return;
  a.version = text_field(*fields, 1), a.revision = text_field(*fields, 2);
  if (Clock::now() >= deadline) {
    a.cri_error = "no time was left within probe_timeout_ms to ask its CRI";
    return;
  }
  RuntimeAnswer cri;
  ask_cri(e, deadline, cri);
  a.runtime_name = cri.runtime_name, a.runtime_api_version = cri.runtime_api_version, a.cri_api = cri.cri_api;
  if (cri.status != "ok") a.cri_error = cri.error;
}

void ask_docker(const Endpoint& e, std::chrono::milliseconds timeout, RuntimeAnswer& a) {
  ProbeResult p = plugin_common::http_get(e, "localhost", "/version", timeout, 1 << 20);
  a.status = p.status, a.error = p.error, a.seconds = p.seconds;
  std::string why;
  auto h = p.status == "ok" ? plugin_common::parse_http_response(p.response, &why) : std::nullopt;
  if (p.status == "ok" && !h) a.status = "error", a.error = why;
  if (!h || h->status != 200) return;
  json::error_code ec;
  json::value v = json::parse(h->body, ec);
  if (!ec && v.is_object() && v.as_object().contains("Version") && v.at("Version").is_string())
    a.version = std::string(v.at("Version").as_string());
}

void runtime_row(const RuntimeSocket& rs, const std::string& real_path, const ServiceSettings& s, ks::BatchWriter& out) {
  Endpoint e;
  e.unix_path = real_path;
  const auto timeout = std::chrono::milliseconds(s.probe_timeout_ms);
  const auto deadline = Clock::now() + timeout;  // every call of the row shares it
  RuntimeAnswer a;
  if (rs.ask == Ask::Containerd) ask_containerd(e, deadline, a);
  else if (rs.ask == Ask::DockerHttp) ask_docker(e, timeout, a);
  else ask_cri(e, deadline, a);
  auto r = out.row();
  r.field("runtime", rs.runtime).field("socket", rs.path).field("status", a.status);
  if (a.status == "ok") r.null("error");
  else r.field("error", a.error);
  r.field("seconds", a.seconds);
  auto text = [&](const char* name, const std::optional<std::string>& v) {
    if (v) r.field(name, *v);
    else r.null(name);
  };
  text("version", a.version), text("revision", a.revision), text("runtime_name", a.runtime_name);
  text("runtime_api_version", a.runtime_api_version), text("cri_api", a.cri_api), text("cri_error", a.cri_error);
  if (a.grpc_status) r.field("grpc_status", *a.grpc_status);
  else r.null("grpc_status");
}

void runtimes(const ServiceSettings& s, const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  for (const auto& rs : kRuntimeSockets) {
    // /var/run is a symlink to /run on every current distribution: resolve() follows it inside root.
    std::string host_path;
    try {
      host_path = fs.resolve(rs.path);
    } catch (const std::exception&) {
      continue;
    }
    struct stat st{};
    if (::lstat(fs.at(host_path).c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    runtime_row(rs, fs.at(host_path), s, out);
  }
}

}  // namespace

std::optional<CpuTimes> parse_proc_stat_cpu(std::string_view text) {
  auto f = plugin_common::fields(text.substr(0, text.find('\n')));
  if (f.size() < 9 || f[0] != "cpu") return std::nullopt;
  CpuTimes c;
  int64_t* slots[] = {&c.user, &c.nice, &c.system, &c.idle, &c.iowait, &c.irq, &c.softirq, &c.steal};
  for (size_t i = 0; i < 8; ++i) {
    auto v = plugin_common::parse_int(f[i + 1]);
    if (!v) return std::nullopt;
    *slots[i] = *v;
  }
  return c;
}

namespace {

void cpu(const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  int err = 0;
  auto stat = fs.read("/proc/stat", &err);
  if (!stat) throw std::runtime_error("node.cpu: cannot read " + fs.at("/proc/stat") + ": " + std::strerror(err));
  auto times = parse_proc_stat_cpu(*stat);
  if (!times) throw std::runtime_error("node.cpu: " + fs.at("/proc/stat") + ":1: expected 'cpu USER NICE SYSTEM IDLE IOWAIT IRQ SOFTIRQ STEAL ...'");
  int64_t cpus = 0, running = -1, blocked = -1;
  plugin_common::for_each_line(*stat, [&](std::string_view line, size_t) {
    auto f = plugin_common::fields(line);
    if (f.empty()) return;
    if (f[0].size() > 3 && f[0].substr(0, 3) == "cpu") ++cpus;
    if (f.size() == 2 && f[0] == "procs_running") running = plugin_common::parse_int(f[1]).value_or(-1);
    if (f.size() == 2 && f[0] == "procs_blocked") blocked = plugin_common::parse_int(f[1]).value_or(-1);
  });
  auto load = fs.read_line("/proc/loadavg");
  auto lf = load ? plugin_common::fields(*load) : std::vector<std::string_view>{};
  std::optional<double> l1, l5, l15;
  if (lf.size() >= 3) l1 = plugin_common::parse_real(lf[0]), l5 = plugin_common::parse_real(lf[1]), l15 = plugin_common::parse_real(lf[2]);
  if (!l1 || !l5 || !l15) throw std::runtime_error("node.cpu: " + fs.at("/proc/loadavg") + ":1: expected 'LOAD1 LOAD5 LOAD15 ...'");
  auto r = out.row();
  r.field("cpus", cpus).field("load1", *l1).field("load5", *l5).field("load15", *l15);
  if (cpus > 0) r.field("load5_per_cpu", *l5 / static_cast<double>(cpus));
  else r.null("load5_per_cpu");
  const double total = static_cast<double>(times->total());
  r.field("steal_percent", total > 0 ? 100.0 * static_cast<double>(times->steal) / total : 0.0);
  r.field("iowait_percent", total > 0 ? 100.0 * static_cast<double>(times->iowait) / total : 0.0);
  if (running >= 0) r.field("procs_running", running);
  else r.null("procs_running");
  if (blocked >= 0) r.field("procs_blocked", blocked);
  else r.null("procs_blocked");
}

}  // namespace

namespace {

// "0x1a" (ioerr_cnt is hexadecimal) or a decimal number.
std::optional<int64_t> sys_number(const plugin_common::HostFs& fs, const std::string& path) {
  auto line = fs.read_line(path);
  if (!line) return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(line->c_str(), &end, 0);
  if (line->empty() || *end) return std::nullopt;
  return v;
}

void block_devices(const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  const std::string dir = fs.at("/sys/block");
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw ks::Unavailable("not mounted", dir + ": " + std::strerror(errno) + " (is the host's /sys visible under root?)");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    const std::string base = "/sys/block/" + n;
    auto r = out.row();
    r.field("name", n);
    auto size = sys_number(fs, base + "/size");
    if (size) r.field("size_bytes", *size * 512);
    else r.null("size_bytes");
    r.field("read_only", sys_number(fs, base + "/ro").value_or(0) != 0);
    r.field("removable", sys_number(fs, base + "/removable").value_or(0) != 0);
    auto state = fs.read_line(base + "/device/state");
    if (state) r.field("state", *state);
    else r.null("state");
    auto errs = sys_number(fs, base + "/device/ioerr_cnt"), done = sys_number(fs, base + "/device/iodone_cnt");
    if (errs) r.field("io_errors", *errs);
    else r.null("io_errors");
    if (done) r.field("io_requests", *done);
    else r.null("io_requests");
  }
}

}  // namespace

void service_rows(const std::string& table, const ServiceSettings& s, const plugin_common::HostFs& fs, ks::BatchWriter& out) {
  if (table == "node.kubelet_health") kubelet(s, out);
  else if (table == "node.container_runtimes") runtimes(s, fs, out);
  else if (table == "node.block_devices") block_devices(fs, out);
  else cpu(fs, out);
}

}  // namespace node
