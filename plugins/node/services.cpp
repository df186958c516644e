#include "services.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/probe.h"
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
       "for an answer within probe_timeout_ms: dockerd and CRI-O over HTTP (GET /version, /info), containerd "
       "and cri-dockerd over gRPC's HTTP/2 (the server's SETTINGS frame). A socket that accepts and never answers "
       "is a timeout. No row for a runtime whose socket is absent.",
       {{"runtime", T::Text, "containerd, cri-o, docker or cri-dockerd"},
        {"socket", T::Text, "The socket's path on the host"},
        {"status", T::Text, "ok, timeout, refused or error"},
        {"error", T::Text, "Why it did not answer"},
        {"seconds", T::Real, "How long the answer took"},
        {"version", T::Text, "The runtime's version where its answer says it (dockerd)"}},
       {},
       {"SELECT runtime, status, seconds, version FROM node.container_runtimes"}},
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

// The runtimes kinspect knows, in the order they are looked for.
struct RuntimeSocket {
  const char* runtime;
  const char* path;
  const char* protocol;  // http:<target> or h2
};
const RuntimeSocket kRuntimeSockets[] = {
    {"containerd", "/run/containerd/containerd.sock", "h2"},
    {"cri-o", "/run/crio/crio.sock", "http:/info"},
    {"docker", "/run/docker.sock", "http:/version"},
    {"cri-dockerd", "/run/cri-dockerd.sock", "h2"},
};

// gRPC speaks HTTP/2: the client's connection preface and an empty SETTINGS
// frame; a live server answers with its own SETTINGS frame (RFC 9113 3.4).
const std::string kH2Preface = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\0\0\0\4\0\0\0\0\0", 9);

void runtime_row(const RuntimeSocket& rs, const std::string& real_path, const ServiceSettings& s, ks::BatchWriter& out) {
  Endpoint e;
  e.unix_path = real_path;
  const auto timeout = std::chrono::milliseconds(s.probe_timeout_ms);
  ProbeResult p;
  std::optional<std::string> version;
  const std::string proto = rs.protocol;
  if (proto == "h2") {
    p = plugin_common::probe(e, kH2Preface, timeout, 4096, [](std::string_view got) { return got.size() >= 9; });
    if (p.status == "ok" && (p.response.size() < 9 || p.response[3] != '\x04'))
      p.status = "error", p.error = "the answer is not an HTTP/2 SETTINGS frame: not a gRPC server";
  } else {
    p = plugin_common::http_get(e, "localhost", proto.substr(5), timeout, 1 << 20);
    std::string why;
    auto h = p.status == "ok" ? plugin_common::parse_http_response(p.response, &why) : std::nullopt;
    if (p.status == "ok" && !h) p.status = "error", p.error = why;
    if (h && h->status == 200 && rs.runtime == std::string("docker")) {
      json::error_code ec;
      json::value v = json::parse(h->body, ec);
      if (!ec && v.is_object() && v.as_object().contains("Version") && v.at("Version").is_string())
        version = std::string(v.at("Version").as_string());
    }
  }
  auto r = out.row();
  r.field("runtime", rs.runtime).field("socket", rs.path).field("status", p.status);
  if (p.status == "ok") r.null("error");
  else r.field("error", p.error);
  r.field("seconds", p.seconds);
  if (version) r.field("version", *version);
  else r.null("version");
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
