// node: facts about one Linux host, read from /proc, /sys and /etc under the
// `root` setting ("/" = this machine; "/host" in a DaemonSet that mounts the
// node's root there). Every table is small (one host), so each scan produces
// its rows in one batch. See docs/node.md.
#include <kinspect/sdk.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <functional>
#include <map>
#include <cstdlib>
#include <cstring>
#include <set>

#include "common/host_fs.h"
#include "common/node_name.h"
#include "common/time.h"
#include "kernel_tables.h"
#include "parse.h"
#include "certs.h"
#include "kube_binaries.h"
#include "kubelet_config.h"
#include "services.h"
#include "systemd_units.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace {

using T = ks::Type;

constexpr int64_t kDefaultMaxFileBytes = 1 << 20;

// The sysctl keys checks need (node.sysctl). A key the kernel does not have
// (module not loaded, older kernel) is simply absent from the table.
const char* const kSysctlKeys[] = {
    "net.ipv4.ip_forward",
    "net.ipv6.conf.all.forwarding",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-ip6tables",
    "net.ipv4.conf.all.rp_filter",
    "net.ipv4.conf.default.rp_filter",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.neigh.default.gc_thresh1",
    "net.ipv4.neigh.default.gc_thresh2",
    "net.ipv4.neigh.default.gc_thresh3",
    "net.core.somaxconn",
    "net.core.netdev_max_backlog",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_count",
    "net.netfilter.nf_conntrack_buckets",
    "vm.swappiness",
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "vm.max_map_count",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.pid_max",
    "kernel.threads-max",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "fs.inotify.max_user_watches",
    "fs.inotify.max_user_instances",
    "fs.file-max",
    "fs.nr_open",
    "user.max_user_namespaces",
};

std::string sysctl_path(std::string_view name) {
  std::string p = "/proc/sys/";
  for (char c : name) p += c == '.' ? '/' : c;
  return p;
}

// Why statvfs() is not called on a mount, or "" to call it. statvfs() on a
// network or FUSE filesystem blocks for as long as its server (or daemon) does
// not answer, so one dead NFS server would hang the whole scan; on autofs it
// triggers the automount; pseudo filesystems have no meaningful size.
std::string statvfs_skip_reason(const std::string& fstype) {
  static const std::set<std::string> network = {"nfs",  "nfs4",  "cifs", "smb3",   "smbfs", "ceph", "glusterfs",
                                                "afs",  "9p",    "lustre", "gpfs", "beegfs", "ncpfs", "coda",
                                                "davfs", "sshfs", "ocfs2", "gfs2"};
  static const std::set<std::string> pseudo = {
      "proc",     "sysfs",   "cgroup",   "cgroup2",   "devpts",     "mqueue", "debugfs", "tracefs",
      "securityfs", "pstore", "bpf",     "configfs",  "fusectl",    "binfmt_misc", "hugetlbfs", "rpc_pipefs",
      "nsfs",     "efivarfs", "selinuxfs", "nfsd",    "ramfs",      "autofs"};
  if (fstype == "autofs") return "automount point: statvfs would trigger the mount";
  if (network.count(fstype)) return "network filesystem: statvfs can hang while the server is unreachable";
  if (fstype == "fuse" || fstype == "fuseblk" || fstype.rfind("fuse.", 0) == 0)
    return "FUSE filesystem: statvfs can hang while its daemon does not answer";
  if (pseudo.count(fstype)) return "pseudo filesystem: no meaningful size";
  return "";
}

std::string errno_text(int e) { return std::strerror(e); }

double percent(double part, double whole) { return whole > 0 ? part * 100.0 / whole : 0.0; }

class NodeDriver : public ks::Plugin {
 public:
  NodeDriver(const ks::Host& host, std::string_view config) : host_(host), fs_("/") {
    json::error_code ec;
    json::value cfg = json::parse(config, ec);
    if (ec || !cfg.is_object()) throw std::runtime_error("node: settings must be a JSON object, got: " + std::string(config));
    std::string root = "/";
    node::KernelLogSettings kernel_settings;
    for (const auto& kv : cfg.as_object()) {
      const std::string key(kv.key());
      if (node::KernelLogTables::take_setting(key, kv.value(), kernel_settings)) continue;
      if (node::take_service_setting(key, kv.value(), services_)) continue;
      if (node::take_systemd_setting(key, kv.value(), systemd_)) continue;
      if (key == "root") {
        if (!kv.value().is_string() || kv.value().as_string().empty() || kv.value().as_string()[0] != '/')
          throw std::runtime_error("node: setting root must be an absolute path such as \"/host\", got " +
                                   json::serialize(kv.value()));
        root = std::string(kv.value().as_string());
      } else if (key == "max_file_bytes") {
        if (!kv.value().is_int64() || kv.value().as_int64() < 0)
          throw std::runtime_error("node: setting max_file_bytes must be a non-negative integer, got " +
                                   json::serialize(kv.value()));
        max_file_bytes_ = kv.value().as_int64();
      } else if (key == "node_name") {
        if (!kv.value().is_string()) throw std::runtime_error("node: setting node_name must be text, got " + json::serialize(kv.value()));
        node_name_ = std::string(kv.value().as_string());
      }  // any other key: the host refuses it against settings() with a did-you-mean
    }
    struct stat st;
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw std::runtime_error("node: setting root: " + root + " is not a directory (--set node.root=DIR names the host's root)");
    fs_ = plugin_common::HostFs(root);
    kernel_ = std::make_unique<node::KernelLogTables>(host_, fs_, std::move(kernel_settings));
  }

  std::vector<ks::SettingSpec> settings() const override {
    std::vector<ks::SettingSpec> s = {
        {"root", ks::Type::Text, "\"/\"", "the host's root: \"/\" for this machine, \"/host\" in a DaemonSet"},
        {"max_file_bytes", ks::Type::Integer, "1048576", "the most node.file() reads of one file"},
        {"node_name", ks::Type::Text, "\"\"",
         "the node's name in the cluster, when it is not the host name (kubelet --hostname-override); \"\" takes "
         "$NODE_NAME (a DaemonSet sets it from spec.nodeName), else the host name in lower case"}};
    for (auto& k : node::KernelLogTables::settings()) s.push_back(std::move(k));
    for (auto& k : node::service_settings()) s.push_back(std::move(k));
    for (auto& k : node::systemd_settings()) s.push_back(std::move(k));
    return s;
  }
  std::vector<ks::TableSpec> tables() const override;
  std::vector<ks::TableSpec> host_tables() const;
  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override;

 private:
  // Logs the skipped lines of one file, if any.
  void report(const node::Warnings& w, std::string_view table) const {
    if (w.count) host_.warn(std::string(table) + ": " + w.summary());
  }
  // Reads a file a table cannot do without; the error names the file.
  std::string must_read(std::string_view table, std::string_view path) const {
    int err = 0;
    auto text = fs_.read(path, &err);
    if (!text) throw std::runtime_error(std::string(table) + ": cannot read " + fs_.at(path) + ": " + errno_text(err));
    return *text;
  }
  std::string hostname() const;
  std::string node_name() const;
  std::vector<node::Mount> mounts(std::string_view table, std::string* file = nullptr) const;

  void host(ks::BatchWriter& out) const;
  void mounts_table(bool want_usage, ks::BatchWriter& out) const;
  void sysctl(ks::BatchWriter& out) const;
  void sysctl_tree(std::string_view prefix, ks::BatchWriter& out) const;
  void modules(ks::BatchWriter& out) const;
  void filesystems(ks::BatchWriter& out) const;
  void meminfo(ks::BatchWriter& out) const;
  void swaps(ks::BatchWriter& out) const;
  void pressure(ks::BatchWriter& out) const;
  void conntrack(ks::BatchWriter& out) const;
  void file_handles(ks::BatchWriter& out) const;
  void processes(bool want_cmdline, bool want_uid, ks::BatchWriter& out) const;
  void file(std::string_view path, ks::BatchWriter& out) const;

  ks::Host host_;
  plugin_common::HostFs fs_;
  int64_t max_file_bytes_ = kDefaultMaxFileBytes;
  std::string node_name_;  // the setting node_name
  std::unique_ptr<node::KernelLogTables> kernel_;
  node::ServiceSettings services_;
  node::SystemdSettings systemd_;
};

std::vector<ks::TableSpec> NodeDriver::tables() const {
  auto all = host_tables();
  for (auto& t : node::KernelLogTables::tables()) all.push_back(std::move(t));
  for (auto& t : node::service_tables()) all.push_back(std::move(t));
  all.push_back(node::certificates_table());
  all.push_back(node::kubelet_config_table());
  all.push_back(node::kubernetes_binaries_table());
  all.push_back(node::systemd_units_table());
  return all;
}

std::vector<ks::TableSpec> NodeDriver::host_tables() const {
  return {
      {"node.host",
       "One row about the inspected host: identity, kernel, OS, CPUs, memory, uptime, cgroup version, clock.",
       {{"hostname", T::Text, "Host name (<root>/proc/sys/kernel/hostname, else <root>/etc/hostname, else uname())"},
        {"node_name", T::Text,
         "The node's name in the cluster: the setting node_name, else $NODE_NAME, else hostname in lower case (what "
         "the kubelet registers unless --hostname-override); findings about the node name it"},
        {"kernel_release", T::Text, "Kernel release, e.g. \"6.1.0-18-amd64\" (proc/sys/kernel/osrelease)"},
        {"kernel_version", T::Text, "Kernel build string, e.g. \"#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1\""},
        {"kernel_major", T::Integer, "Major number of kernel_release (6)"},
        {"kernel_minor", T::Integer, "Minor number of kernel_release (1)"},
        {"os_name", T::Text, "PRETTY_NAME of <root>/etc/os-release (or usr/lib/os-release)"},
        {"os_id", T::Text, "ID of os-release, e.g. \"debian\""},
        {"os_version_id", T::Text, "VERSION_ID of os-release, e.g. \"12\""},
        {"arch", T::Text, "Machine architecture (proc/sys/kernel/arch, else uname()), e.g. \"x86_64\""},
        {"cpus", T::Integer, "Online CPUs (sys/devices/system/cpu/online, else processors in proc/cpuinfo)"},
        {"memory_total_bytes", T::Integer, "MemTotal of proc/meminfo, in bytes"},
        {"uptime_seconds", T::Real, "Seconds since boot (proc/uptime)"},
        {"boot_id", T::Text, "Random id of this boot (proc/sys/kernel/random/boot_id)"},
        {"cgroup_version", T::Integer,
         "2 when sys/fs/cgroup/cgroup.controllers exists (unified hierarchy), 1 when sys/fs/cgroup holds v1 "
         "controllers, NULL when no cgroup filesystem is visible"},
        {"cgroup_mode", T::Text, "unified (v2 only), hybrid (v1 controllers plus a v2 tree at sys/fs/cgroup/unified), legacy (v1 only), or NULL"},
        {"loadable_modules", T::Boolean,
         "Whether the kernel supports loadable modules (proc/modules exists); false means every driver is built in"},
        {"kubernetes_node", T::Boolean, "Whether the host looks like a Kubernetes node: <root>/var/lib/kubelet exists"},
        {"clock_synchronized", T::Boolean,
         "Whether the kernel clock is synchronised (adjtimex(): not TIME_ERROR and STA_UNSYNC clear); NULL unless "
         "root is \"/\", since a mounted root says nothing about the kernel reading it"},
        {"clock_max_error_us", T::Integer, "The kernel's maximum clock error estimate in microseconds (adjtimex()); NULL unless root is \"/\""},
        {"root", T::Text, "The root setting the facts were read under"}},
       {},
       {"SELECT hostname, kernel_release, os_name, cgroup_version, clock_synchronized FROM node.host"}},
      {"node.mounts",
       "Mounted filesystems as the host's init process sees them (<root>/proc/1/mountinfo, else proc/self/mountinfo), "
       "with space and inode usage from statvfs(). Network, FUSE, autofs and pseudo filesystems are not statvfs'ed "
       "(their usage columns are NULL and stat_status says why): a dead NFS server must not hang the scan.",
       {{"mount_id", T::Integer, "Mount id (mountinfo field 1)"},
        {"parent_id", T::Integer, "Parent mount id"},
        {"major_minor", T::Text, "Device number \"major:minor\"; bind mounts of one filesystem share it"},
        {"root", T::Text, "The directory of the filesystem mounted here (\"/\" unless a bind mount of a subtree)"},
        {"mount_point", T::Text, "Where it is mounted, as the host sees it, e.g. \"/var/lib/kubelet\""},
        {"fstype", T::Text, "Filesystem type: ext4, xfs, overlay, tmpfs, nfs4..."},
        {"source", T::Text, "Mount source: a device (\"/dev/sda1\"), server:path, or a name"},
        {"options", T::Json, "Per-mount options, an array: [\"rw\",\"nosuid\",\"relatime\"]"},
        {"super_options", T::Json, "Per-filesystem (superblock) options, an array"},
        {"propagation", T::Json, "Optional fields: [\"shared:1\"], [\"master:3\"], [] for private"},
        {"read_only", T::Boolean, "Whether the mount is read-only (\"ro\" in options)"},
        {"size_bytes", T::Integer, "Filesystem size (statvfs f_blocks * f_frsize); NULL when not statvfs'ed"},
        {"used_bytes", T::Integer, "Used space ((f_blocks - f_bfree) * f_frsize)"},
        {"available_bytes", T::Integer, "Space available to unprivileged users (f_bavail * f_frsize)"},
        {"used_percent", T::Real, "used / (used + available) * 100, as df computes it (reserved blocks count as full)"},
        {"inodes_total", T::Integer, "Inodes (f_files); 0 on filesystems without a fixed inode table (btrfs, xfs may be dynamic)"},
        {"inodes_used", T::Integer, "Inodes in use (f_files - f_ffree)"},
        {"inodes_free", T::Integer, "Free inodes (f_ffree)"},
        {"inodes_used_percent", T::Real, "inodes_used / inodes_total * 100; NULL when inodes_total is 0"},
        {"stat_status", T::Text, "\"ok\", \"skipped: <why>\" or \"error: <errno text>\" for the statvfs() call"}},
       {},
       {"SELECT mount_point, fstype, used_percent FROM node.mounts WHERE used_percent > 85 ORDER BY used_percent DESC",
        "SELECT mount_point, read_only FROM node.mounts WHERE mount_point IN ('/', '/var/lib/kubelet')"}},
      {"node.sysctl",
       "Kernel parameters Kubernetes cares about (a fixed list, see docs/node.md), from <root>/proc/sys. A key the "
       "kernel does not have (e.g. net.bridge.* before br_netfilter is loaded) has no row.",
       {{"name", T::Text, "Dotted name, e.g. \"net.ipv4.ip_forward\""},
        {"value", T::Text, "The value, whitespace runs collapsed to one space (\"32768 60999\")"},
        {"value_int", T::Integer, "The value as an integer when it is one integer, else NULL"}},
       {},
       {"SELECT name, value FROM node.sysctl WHERE name = 'net.ipv4.ip_forward'"}},
      {"node.sysctl_tree",
       "Every readable kernel parameter below a prefix (a walk of <root>/proc/sys/<prefix>), for keys node.sysctl "
       "does not list. Write-only keys are left out.",
       {{"name", T::Text, "Dotted name"},
        {"value", T::Text, "The value, whitespace runs collapsed to one space"},
        {"value_int", T::Integer, "The value as an integer when it is one integer, else NULL"}},
       {{"prefix", T::Text, "Dotted prefix, e.g. \"net.ipv4.conf.all\" or \"vm\"", true}},
       {"SELECT name, value FROM node.sysctl_tree('net.ipv4.conf.all') WHERE name LIKE '%rp_filter'"}},
      {"node.kernel_modules",
       "Kernel modules: loaded ones (<root>/proc/modules) and built-in ones (<root>/lib/modules/<release>/modules.builtin). "
       "On a kernel without loadable-module support proc/modules is absent (node.host.loadable_modules is false).",
       {{"name", T::Text, "Module name as the kernel spells it (underscores): \"br_netfilter\""},
        {"builtin", T::Boolean, "true for a module built into the kernel (modules.builtin), false for a loaded one"},
        {"size", T::Integer, "Memory size in bytes (NULL for built-in modules)"},
        {"refcount", T::Integer, "Use count (NULL for built-in modules)"},
        {"used_by", T::Json, "Modules that depend on it, an array"},
        {"state", T::Text, "Live, Loading or Unloading; \"builtin\" for built-in modules"}},
       {},
       {"SELECT name, builtin FROM node.kernel_modules WHERE name IN ('br_netfilter', 'overlay', 'nf_conntrack')"}},
      {"node.filesystems",
       "Filesystem types the kernel supports right now (<root>/proc/filesystems), built in or from a loaded module.",
       {{"name", T::Text, "Filesystem type, e.g. \"overlay\""},
        {"nodev", T::Boolean, "Whether it needs no block device (tmpfs, overlay, proc)"}},
       {},
       {"SELECT name FROM node.filesystems WHERE name = 'overlay'"}},
      {"node.meminfo",
       "<root>/proc/meminfo, one row per line.",
       {{"name", T::Text, "Field name, e.g. \"MemAvailable\""},
        {"value", T::Integer, "The number as written (kB for most fields)"},
        {"unit", T::Text, "\"kB\", or NULL for counts such as HugePages_Total"},
        {"bytes", T::Integer, "value * 1024 when unit is kB, else NULL"}},
       {},
       {"SELECT bytes FROM node.meminfo WHERE name = 'MemAvailable'"}},
      {"node.swaps",
       "Active swap areas (<root>/proc/swaps); no rows when swap is off.",
       {{"filename", T::Text, "Swap file or device"},
        {"type", T::Text, "file or partition"},
        {"size_bytes", T::Integer, "Size in bytes"},
        {"used_bytes", T::Integer, "Used, in bytes"},
        {"priority", T::Integer, "Priority"}},
       {},
       {"SELECT filename, size_bytes FROM node.swaps"}},
      {"node.pressure",
       "Pressure stall information (<root>/proc/pressure/{cpu,memory,io,irq}): the share of time tasks were stalled "
       "waiting for the resource. No rows when the kernel has PSI disabled.",
       {{"resource", T::Text, "cpu, memory, io or irq"},
        {"kind", T::Text, "some (at least one task stalled) or full (all non-idle tasks stalled)"},
        {"avg10", T::Real, "Percent of the last 10 seconds"},
        {"avg60", T::Real, "Percent of the last 60 seconds"},
        {"avg300", T::Real, "Percent of the last 300 seconds"},
        {"total_us", T::Integer, "Total stall time since boot, microseconds"}},
       {},
       {"SELECT resource, kind, avg60 FROM node.pressure WHERE avg60 > 10"}},
      {"node.conntrack",
       "The netfilter connection-tracking table's fill (<root>/proc/sys/net/netfilter); no row when nf_conntrack is not loaded.",
       {{"count", T::Integer, "Tracked connections (nf_conntrack_count)"},
        {"max", T::Integer, "Table size limit (nf_conntrack_max); new connections are dropped beyond it"},
        {"buckets", T::Integer, "Hash buckets (nf_conntrack_buckets)"},
        {"used_percent", T::Real, "count / max * 100"}},
       {},
       {"SELECT count, max, used_percent FROM node.conntrack"}},
      {"node.file_handles",
       "System-wide open file handles (<root>/proc/sys/fs/file-nr), one row.",
       {{"allocated", T::Integer, "Allocated file handles"},
        {"unused", T::Integer, "Allocated but unused (always 0 since Linux 2.6)"},
        {"max", T::Integer, "The limit, fs.file-max"},
        {"used_percent", T::Real, "(allocated - unused) / max * 100"}},
       {},
       {"SELECT allocated, max, used_percent FROM node.file_handles"}},
      {"node.processes",
       "Processes in <root>/proc (the host's when the host's /proc is visible there, e.g. hostPID or a mounted root). "
       "Never reads environ or memory: only stat and cmdline.",
       {{"pid", T::Integer, "Process id"},
        {"ppid", T::Integer, "Parent process id"},
        {"comm", T::Text, "Command name (at most 15 characters), e.g. \"kubelet\""},
        {"state", T::Text, "R running, S sleeping, D disk sleep, Z zombie, T stopped, I idle..."},
        {"cmdline", T::Json, "Arguments, an array (empty for kernel threads)"},
        {"uid", T::Integer, "Owner uid of the process"},
        {"threads", T::Integer, "Number of threads"},
        {"rss_bytes", T::Integer, "Resident memory in bytes"}},
       {},
       {"SELECT pid, cmdline FROM node.processes WHERE comm = 'kubelet'"}},
      {"node.file",
       "One file on the host: metadata, the filesystem it is on, and its text content (up to max_file_bytes, 1 MiB "
       "by default). The path is resolved inside root as if root were \"/\" (symlinks followed, \"..\" stops at root), "
       "so nothing outside root is read. Content is withheld (NULL, content_note says why) for files under /proc, "
       "for private keys, kubeconfigs with client keys or tokens and shadow password files, for anything but "
       "regular files, and for text that is not UTF-8.",
       {{"node", T::Text, "Host name (as node.host.hostname)"},
        {"path", T::Text, "The path asked for"},
        {"resolved_path", T::Text, "The path after following symlinks, as the host sees it"},
        {"exists", T::Boolean, "Whether the resolved path exists"},
        {"type", T::Text, "file, directory, symlink (dangling), fifo, socket, char, block; NULL if missing"},
        {"mode", T::Integer, "Permission bits including setuid/setgid/sticky (0644 is 420)"},
        {"mode_octal", T::Text, "The same as four octal digits, \"0644\""},
        {"uid", T::Integer, "Owner uid"},
        {"gid", T::Integer, "Owner gid"},
        {"size", T::Integer, "Size in bytes"},
        {"mtime", T::Timestamp, "Last modification, RFC 3339 UTC"},
        {"content", T::Text, "The file's text (a regular file only), up to max_file_bytes; NULL when withheld"},
        {"content_truncated", T::Boolean, "Whether the file is longer than the content returned"},
        {"content_note", T::Text, "Why content is NULL, if it is"},
        {"mount_point", T::Text, "Mount point of the filesystem holding the path (longest match in the host's mountinfo)"},
        {"read_only", T::Boolean, "Whether that mount is read-only, as the host mounted it"}},
       {{"path", T::Text, "Absolute path on the host, e.g. \"/var/lib/kubelet/config.yaml\"", true}},
       {"SELECT f.exists, f.mode_octal, yaml_decode(f.content).cgroupDriver FROM node.file('/var/lib/kubelet/config.yaml') f"}},
  };
}

std::unique_ptr<ks::Scan> NodeDriver::scan(const ks::ScanContext& ctx) {
  const std::string table(ctx.table());
  if (node::KernelLogTables::serves(table)) return kernel_->scan(table);
  if (table == "node.kubelet_config")
    return ks::rows([this](ks::BatchWriter& out) { node::kubelet_config_rows(fs_, out); });
  if (table == "node.kubernetes_binaries")
    return ks::rows([this](ks::BatchWriter& out) { node::kubernetes_binary_rows(fs_, out); });
  if (table == "node.certificates")
    return ks::rows([this](ks::BatchWriter& out) { node::certificate_rows(fs_, out); });
  if (table == "node.systemd_units")
    return ks::rows([this](ks::BatchWriter& out) {
      node::systemd_unit_rows(systemd_, services_.probe_timeout_ms, fs_, out);
    });
  if (node::serves_service_table(table))
    return ks::rows([this, table](ks::BatchWriter& out) { node::service_rows(table, services_, fs_, out); });
  // Table-function arguments are copied now: the request dies with this call.
  std::string arg = ctx.arg_count() > 0 && ctx.arg(0).is_text() ? std::string(ctx.arg(0).text()) : std::string();
  if ((table == "node.file" || table == "node.sysctl_tree") && (ctx.arg_count() != 1 || !ctx.arg(0).is_text()))
    throw std::runtime_error(table + " takes one text argument");
  // Projection: only the expensive columns are worth checking for.
  const bool want_usage = ctx.wants("size_bytes") || ctx.wants("used_bytes") || ctx.wants("available_bytes") ||
                          ctx.wants("used_percent") || ctx.wants("inodes_total") || ctx.wants("inodes_used") ||
                          ctx.wants("inodes_free") || ctx.wants("inodes_used_percent") || ctx.wants("stat_status");
  const bool want_cmdline = ctx.wants("cmdline");
  const bool want_uid = ctx.wants("uid");
  return ks::rows([this, table, arg, want_usage, want_cmdline, want_uid](ks::BatchWriter& out) {
    if (table == "node.host") host(out);
    else if (table == "node.mounts") mounts_table(want_usage, out);
    else if (table == "node.sysctl") sysctl(out);
    else if (table == "node.sysctl_tree") sysctl_tree(arg, out);
    else if (table == "node.kernel_modules") modules(out);
    else if (table == "node.filesystems") filesystems(out);
    else if (table == "node.meminfo") meminfo(out);
    else if (table == "node.swaps") swaps(out);
    else if (table == "node.pressure") pressure(out);
    else if (table == "node.conntrack") conntrack(out);
    else if (table == "node.file_handles") file_handles(out);
    else if (table == "node.processes") processes(want_cmdline, want_uid, out);
    else if (table == "node.file") file(arg, out);
    else throw std::runtime_error("node has no table " + table);
  });
}

// ---------------------------------------------------------------- helpers

void field_or_null(ks::JsonWriter& r, std::string_view key, const std::optional<std::string>& v) {
  if (v) r.field(key, *v);
  else r.null(key);
}
template <class N>
void field_or_null(ks::JsonWriter& r, std::string_view key, const std::optional<N>& v) {
  if (v) r.field(key, *v);
  else r.null(key);
}

// "32768\t60999\n" -> "32768 60999".
std::string collapse_whitespace(std::string_view v) {
  std::string out;
  for (auto f : node::fields(node::trim(v))) out += (out.empty() ? "" : " ") + std::string(f);
  return out;
}

void sysctl_row(ks::BatchWriter& out, const std::string& name, std::string_view raw) {
  std::string value = collapse_whitespace(raw);
  auto r = out.row();
  r.field("name", name).field("value", value);
  field_or_null(r, "value_int", node::parse_int(value));
}

// The name the cluster knows the node by: the setting, else the rule the
// adapters share (plugins/common/node_name.h) over the host's own name.
std::string NodeDriver::node_name() const {
  if (!node_name_.empty()) return node_name_;
  return plugin_common::node_name_from(hostname());
}

std::string NodeDriver::hostname() const {
  for (const char* p : {"/proc/sys/kernel/hostname", "/etc/hostname"})
    if (auto h = fs_.read_line(p); h && !h->empty()) return *h;
  struct utsname u;
  if (fs_.is_real_root() && ::uname(&u) == 0) return u.nodename;
  return "";
}

std::vector<node::Mount> NodeDriver::mounts(std::string_view table, std::string* file) const {
  // PID 1's view is the host's own mount namespace even when kinspect runs in
  // a container with the host's /proc; our own view is the fallback (non-root
  // users may not read PID 1's).
  int err1 = 0, err2 = 0;
  for (const char* p : {"/proc/1/mountinfo", "/proc/self/mountinfo"}) {
    int& err = p[6] == '1' ? err1 : err2;
    auto text = fs_.read(p, &err);
    if (!text) continue;
    node::Warnings w;
    auto ms = node::parse_mountinfo(*text, fs_.at(p), w);
    report(w, table);
    if (file) *file = fs_.at(p);
    return ms;
  }
  throw std::runtime_error(std::string(table) + ": cannot read " + fs_.at("/proc/1/mountinfo") + " (" + errno_text(err1) +
                           ") nor " + fs_.at("/proc/self/mountinfo") + " (" + errno_text(err2) + ")");
}

// ---------------------------------------------------------------- tables

void NodeDriver::host(ks::BatchWriter& out) const {
  node::Warnings w;
  struct utsname u{};
  const bool have_uname = ::uname(&u) == 0;
  auto r = out.row();
  r.field("hostname", hostname());
  std::string name = node_name();
  field_or_null(r, "node_name", name.empty() ? std::nullopt : std::optional<std::string>(name));

  std::optional<std::string> release = fs_.read_line("/proc/sys/kernel/osrelease");
  std::optional<std::string> version = fs_.read_line("/proc/sys/kernel/version");
  if (!release && fs_.is_real_root() && have_uname) release = u.release;
  if (!version && fs_.is_real_root() && have_uname) version = u.version;
  field_or_null(r, "kernel_release", release);
  field_or_null(r, "kernel_version", version);
  auto mm = release ? node::kernel_major_minor(*release) : std::nullopt;
  field_or_null(r, "kernel_major", mm ? std::optional<int64_t>(mm->first) : std::nullopt);
  field_or_null(r, "kernel_minor", mm ? std::optional<int64_t>(mm->second) : std::nullopt);

  std::map<std::string, std::string> os;
  for (const char* p : {"/etc/os-release", "/usr/lib/os-release"}) {
    std::string resolved;
    try {
      resolved = fs_.resolve(p);
    } catch (const std::exception&) {
      continue;  // a symlink loop: try the other file
    }
    if (auto text = fs_.read(resolved)) {
      os = node::parse_os_release(*text, fs_.at(resolved), w);
      break;
    }
  }
  auto os_field = [&](const char* key) -> std::optional<std::string> {
    auto it = os.find(key);
    return it == os.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  field_or_null(r, "os_name", os_field("PRETTY_NAME"));
  field_or_null(r, "os_id", os_field("ID"));
  field_or_null(r, "os_version_id", os_field("VERSION_ID"));

  std::optional<std::string> arch = fs_.read_line("/proc/sys/kernel/arch");
  if (!arch && have_uname) arch = u.machine;  // the kernel reading a mounted root is the host's kernel
  field_or_null(r, "arch", arch);

  std::optional<int64_t> cpus;
  if (auto online = fs_.read_line("/sys/devices/system/cpu/online")) cpus = node::count_cpu_list(*online);
  if (!cpus) {
    if (auto info = fs_.read("/proc/cpuinfo")) {
      int64_t n = 0;
      for (size_t pos = 0; (pos = info->find("processor", pos)) != std::string::npos; pos += 9)
        if (pos == 0 || (*info)[pos - 1] == '\n') ++n;
      if (n > 0) cpus = n;
    }
  }
  field_or_null(r, "cpus", cpus);

  std::optional<int64_t> mem_total;
  if (auto text = fs_.read("/proc/meminfo")) {
    node::Warnings mw;  // node.meminfo reports its own malformed lines
    for (const auto& m : node::parse_meminfo(*text, fs_.at("/proc/meminfo"), mw))
      if (m.name == "MemTotal") mem_total = m.unit == "kB" ? m.value * 1024 : m.value;
  }
  field_or_null(r, "memory_total_bytes", mem_total);

  std::optional<double> uptime;
  if (auto line = fs_.read_line("/proc/uptime")) {
    auto f = node::fields(*line);
    if (!f.empty()) uptime = node::parse_real(f[0]);
    if (!uptime) w.add(fs_.at("/proc/uptime"), 1, "expected 'UPTIME IDLE' in seconds");
  }
  field_or_null(r, "uptime_seconds", uptime);
  field_or_null(r, "boot_id", fs_.read_line("/proc/sys/kernel/random/boot_id"));

  std::optional<int64_t> cg_version;
  std::optional<std::string> cg_mode;
  if (fs_.exists("/sys/fs/cgroup/cgroup.controllers")) {
    cg_version = 2, cg_mode = "unified";
  } else if (DIR* d = ::opendir(fs_.at("/sys/fs/cgroup").c_str())) {
    bool any = false;
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) any = true;
    ::closedir(d);
    if (any) {
      cg_version = 1;
      cg_mode = fs_.exists("/sys/fs/cgroup/unified/cgroup.controllers") ? "hybrid" : "legacy";
    }
  }
  field_or_null(r, "cgroup_version", cg_version);
  field_or_null(r, "cgroup_mode", cg_mode);
  r.field("loadable_modules", fs_.exists("/proc/modules"));
  bool kubelet_dir = false;
  try {
    kubelet_dir = fs_.exists(fs_.resolve("/var/lib/kubelet"));
  } catch (const std::exception&) {
  }
  r.field("kubernetes_node", kubelet_dir);

  // adjtimex() with modes 0 only reads the kernel's NTP state. It describes
  // the kernel we run on, which is the inspected host's only when root is "/".
  if (fs_.is_real_root()) {
    struct timex tx{};
    int state = ::adjtimex(&tx);
    if (state == -1) {
      r.null("clock_synchronized").null("clock_max_error_us");
    } else {
      r.field("clock_synchronized", state != TIME_ERROR && !(tx.status & STA_UNSYNC));
      r.field("clock_max_error_us", static_cast<int64_t>(tx.maxerror));
    }
  } else {
    r.null("clock_synchronized").null("clock_max_error_us");
  }
  r.field("root", fs_.root());
  report(w, "node.host");
}

void NodeDriver::mounts_table(bool want_usage, ks::BatchWriter& out) const {
  for (const auto& m : mounts("node.mounts")) {
    auto r = out.row();
    r.field("mount_id", m.mount_id)
        .field("parent_id", m.parent_id)
        .field("major_minor", m.major_minor)
        .field("root", m.root)
        .field("mount_point", m.mount_point)
        .field("fstype", m.fstype)
        .field("source", m.source);
    {
      auto a = r.array("options");
      for (const auto& o : m.options) a.value(o);
    }
    {
      auto a = r.array("super_options");
      for (const auto& o : m.super_options) a.value(o);
    }
    {
      auto a = r.array("propagation");
      for (const auto& o : m.optional_fields) a.value(o);
    }
    r.field("read_only", std::find(m.options.begin(), m.options.end(), "ro") != m.options.end());
    std::string status;
    struct statvfs sv{};
    if (!want_usage) {
      status = "skipped: not asked for";
    } else if (std::string why = statvfs_skip_reason(m.fstype); !why.empty()) {
      status = "skipped: " + why;
    } else if (::statvfs(fs_.at(m.mount_point).c_str(), &sv) != 0) {
      status = "error: " + errno_text(errno);
    } else {
      status = "ok";
    }
    if (status == "ok") {
      const int64_t frsize = sv.f_frsize ? static_cast<int64_t>(sv.f_frsize) : static_cast<int64_t>(sv.f_bsize);
      const int64_t size = static_cast<int64_t>(sv.f_blocks) * frsize;
      const int64_t used = static_cast<int64_t>(sv.f_blocks - sv.f_bfree) * frsize;
      const int64_t avail = static_cast<int64_t>(sv.f_bavail) * frsize;
      r.field("size_bytes", size).field("used_bytes", used).field("available_bytes", avail);
      r.field("used_percent", percent(static_cast<double>(used), static_cast<double>(used + avail)));
      const int64_t inodes = static_cast<int64_t>(sv.f_files), ifree = static_cast<int64_t>(sv.f_ffree);
      r.field("inodes_total", inodes).field("inodes_used", inodes - ifree).field("inodes_free", ifree);
      if (inodes > 0) r.field("inodes_used_percent", percent(static_cast<double>(inodes - ifree), static_cast<double>(inodes)));
      else r.null("inodes_used_percent");
    } else {
      for (const char* k : {"size_bytes", "used_bytes", "available_bytes", "used_percent", "inodes_total", "inodes_used",
                            "inodes_free", "inodes_used_percent"})
        r.null(k);
    }
    r.field("stat_status", status);
  }
}

void NodeDriver::sysctl(ks::BatchWriter& out) const {
  struct stat st;
  if (::stat(fs_.at("/proc/sys").c_str(), &st) != 0)
    throw std::runtime_error("node.sysctl: cannot read " + fs_.at("/proc/sys") + ": " + errno_text(errno) +
                             " (is the host's /proc visible under root?)");
  for (const char* key : kSysctlKeys) {
    auto text = fs_.read(sysctl_path(key), nullptr, 64 * 1024);
    if (text) sysctl_row(out, key, *text);  // absent or unreadable keys have no row
  }
}

void NodeDriver::sysctl_tree(std::string_view prefix, ks::BatchWriter& out) const {
  for (char c : prefix)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      throw std::runtime_error("node.sysctl_tree: prefix '" + std::string(prefix) +
                               "' may hold only letters, digits, '.', '_' and '-'");
  const std::string top = fs_.at(sysctl_path(prefix));
  struct stat st;
  if (::stat(top.c_str(), &st) != 0) return;  // no such subtree: no rows
  const dev_t dev = st.st_dev;
  size_t budget = 200000;  // the whole of /proc/sys is some thousands of keys
  // Walks depth-first in name order; `name` is the dotted key so far.
  std::function<void(const std::string&, const std::string&)> walk = [&](const std::string& path, const std::string& name) {
    struct stat s;
    if (::lstat(path.c_str(), &s) != 0 || budget == 0) return;
    --budget;
    if (S_ISDIR(s.st_mode)) {
      // Another filesystem below /proc/sys (binfmt_misc, often an automount) is not walked into.
      if (s.st_dev != dev) return;
      DIR* d = ::opendir(path.c_str());
      if (!d) return;
      std::vector<std::string> names;
      while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
      ::closedir(d);
      std::sort(names.begin(), names.end());
      for (const auto& n : names) {
        // sysctl(8) writes a dot inside a component (eth0.100) as a slash.
        std::string part = n;
        std::replace(part.begin(), part.end(), '.', '/');
        walk(path + "/" + n, name.empty() ? part : name + "." + part);
      }
    } else if (S_ISREG(s.st_mode) && (s.st_mode & S_IRUSR)) {
      // Write-only keys (vm.compact_memory, net.ipv4.route.flush) have no read bit.
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0) return;
      auto text = plugin_common::read_fd(fd, 64 * 1024, nullptr, nullptr);
      ::close(fd);
      if (text) sysctl_row(out, name, *text);
    }
  };
  walk(top, std::string(prefix));
}

void NodeDriver::modules(ks::BatchWriter& out) const {
  node::Warnings w;
  std::set<std::string> loaded;
  int err = 0;
  if (auto text = fs_.read("/proc/modules", &err)) {
    for (const auto& m : node::parse_modules(*text, fs_.at("/proc/modules"), w)) {
      loaded.insert(m.name);
      auto r = out.row();
      r.field("name", m.name).field("builtin", false).field("size", m.size).field("refcount", m.refcount);
      {
        auto a = r.array("used_by");
        for (const auto& u : m.used_by) a.value(u);
      }
      r.field("state", m.state);
    }
  } else if (err != ENOENT) {
    throw std::runtime_error("node.kernel_modules: cannot read " + fs_.at("/proc/modules") + ": " + errno_text(err));
  }
  // ENOENT: the kernel has no loadable-module support; built-in ones below still count.
  if (auto release = fs_.read_line("/proc/sys/kernel/osrelease")) {
    for (std::string dir : {"/lib/modules/", "/usr/lib/modules/"}) {
      std::string path;
      try {
        path = fs_.resolve(dir + *release + "/modules.builtin");
      } catch (const std::exception&) {
        continue;
      }
      auto text = fs_.read(path);
      if (!text) continue;
      for (const auto& name : node::parse_modules_builtin(*text, fs_.at(path), w)) {
        if (!loaded.insert(name).second) continue;
        out.row()
            .field("name", name)
            .field("builtin", true)
            .null("size")
            .null("refcount")
            .raw("used_by", "[]")
            .field("state", "builtin");
      }
      break;
    }
  }
  report(w, "node.kernel_modules");
}

void NodeDriver::filesystems(ks::BatchWriter& out) const {
  const std::string file = fs_.at("/proc/filesystems");
  std::string text = must_read("node.filesystems", "/proc/filesystems");
  node::Warnings w;
  size_t n = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++n;
    auto f = node::fields(line);
    if (f.empty()) continue;
    if (f.size() == 1 && f[0] != "nodev") out.row().field("name", f[0]).field("nodev", false);
    else if (f.size() == 2 && f[0] == "nodev") out.row().field("name", f[1]).field("nodev", true);
    else w.add(file, n, "expected '[nodev] NAME'");
  }
  report(w, "node.filesystems");
}

void NodeDriver::meminfo(ks::BatchWriter& out) const {
  node::Warnings w;
  for (const auto& m : node::parse_meminfo(must_read("node.meminfo", "/proc/meminfo"), fs_.at("/proc/meminfo"), w)) {
    auto r = out.row();
    r.field("name", m.name).field("value", m.value);
    if (m.unit.empty()) r.null("unit").null("bytes");
    else r.field("unit", m.unit);
    if (m.unit == "kB") r.field("bytes", m.value * 1024);
    else if (!m.unit.empty()) r.null("bytes");
  }
  report(w, "node.meminfo");
}

void NodeDriver::swaps(ks::BatchWriter& out) const {
  int err = 0;
  auto text = fs_.read("/proc/swaps", &err);
  if (!text) {
    if (err == ENOENT) return;  // a kernel built without swap support
    throw std::runtime_error("node.swaps: cannot read " + fs_.at("/proc/swaps") + ": " + errno_text(err));
  }
  node::Warnings w;
  for (const auto& s : node::parse_swaps(*text, fs_.at("/proc/swaps"), w))
    out.row()
        .field("filename", s.filename)
        .field("type", s.type)
        .field("size_bytes", s.size_kib * 1024)
        .field("used_bytes", s.used_kib * 1024)
        .field("priority", s.priority);
  report(w, "node.swaps");
}

void NodeDriver::pressure(ks::BatchWriter& out) const {
  node::Warnings w;
  for (const char* res : {"cpu", "memory", "io", "irq"}) {
    const std::string path = std::string("/proc/pressure/") + res;
    int err = 0;
    auto text = fs_.read(path, &err);
    // Missing (no CONFIG_PSI, or irq before 6.1) or EOPNOTSUPP (booted with psi=0): no rows.
    if (!text) continue;
    for (const auto& p : node::parse_pressure(*text, fs_.at(path), w))
      out.row()
          .field("resource", res)
          .field("kind", p.kind)
          .field("avg10", p.avg10)
          .field("avg60", p.avg60)
          .field("avg300", p.avg300)
          .field("total_us", p.total_us);
  }
  report(w, "node.pressure");
}

void NodeDriver::conntrack(ks::BatchWriter& out) const {
  auto read_int = [&](const char* key) -> std::optional<int64_t> {
    auto line = fs_.read_line(sysctl_path(key));
    if (!line) return std::nullopt;
    auto v = node::parse_int(*line);
    if (!v) throw std::runtime_error("node.conntrack: " + fs_.at(sysctl_path(key)) + ": not a number: '" + *line + "'");
    return v;
  };
  auto max = read_int("net.netfilter.nf_conntrack_max");
  auto count = read_int("net.netfilter.nf_conntrack_count");
  if (!max || !count) return;  // nf_conntrack is not loaded
  auto r = out.row();
  r.field("count", *count).field("max", *max);
  field_or_null(r, "buckets", read_int("net.netfilter.nf_conntrack_buckets"));
  if (*max > 0) r.field("used_percent", percent(static_cast<double>(*count), static_cast<double>(*max)));
  else r.null("used_percent");
}

void NodeDriver::file_handles(ks::BatchWriter& out) const {
  std::string text = must_read("node.file_handles", "/proc/sys/fs/file-nr");
  auto f = node::fields(node::trim(text));
  std::optional<int64_t> a, u, m;
  if (f.size() == 3) a = node::parse_int(f[0]), u = node::parse_int(f[1]), m = node::parse_int(f[2]);
  if (!a || !u || !m)
    throw std::runtime_error("node.file_handles: " + fs_.at("/proc/sys/fs/file-nr") +
                             ":1: expected 'ALLOCATED UNUSED MAX', got '" + std::string(node::trim(text)) + "'");
  auto r = out.row();
  r.field("allocated", *a).field("unused", *u).field("max", *m);
  if (*m > 0) r.field("used_percent", percent(static_cast<double>(*a - *u), static_cast<double>(*m)));
  else r.null("used_percent");
}

void NodeDriver::processes(bool want_cmdline, bool want_uid, ks::BatchWriter& out) const {
  const std::string proc = fs_.at("/proc");
  DIR* d = ::opendir(proc.c_str());
  if (!d) throw std::runtime_error("node.processes: cannot read " + proc + ": " + errno_text(errno));
  std::vector<int64_t> pids;
  while (dirent* e = ::readdir(d))
    if (auto pid = node::parse_int(e->d_name); pid && *pid > 0) pids.push_back(*pid);
  ::closedir(d);
  std::sort(pids.begin(), pids.end());
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  node::Warnings w;
  for (int64_t pid : pids) {
    const std::string dir = "/proc/" + std::to_string(pid);
    auto stat_text = fs_.read(dir + "/stat", nullptr, 64 * 1024);
    if (!stat_text) continue;  // exited since the directory was listed
    auto st = node::parse_proc_stat(*stat_text);
    if (!st) {
      w.add(fs_.at(dir + "/stat"), 1, "expected 'PID (COMM) STATE PPID ...' with at least 24 fields");
      continue;
    }
    auto r = out.row();
    r.field("pid", st->pid).field("ppid", st->ppid).field("comm", st->comm).field("state", st->state);
    if (want_cmdline) {
      auto a = r.array("cmdline");
      if (auto cmd = fs_.read(dir + "/cmdline", nullptr, 256 * 1024)) {
        // A trailing NUL ends the last argument; it does not start another.
        std::string_view c = *cmd;
        if (!c.empty() && c.back() == '\0') c.remove_suffix(1);
        if (!c.empty())
          for (auto& arg : node::parse_cmdline(c)) a.value(node::valid_utf8(arg) ? arg : std::string("<not UTF-8>"));
      }
    }
    if (want_uid) {
      struct stat s;
      if (::stat(fs_.at(dir).c_str(), &s) == 0) r.field("uid", static_cast<int64_t>(s.st_uid));
      else r.null("uid");
    }
    r.field("threads", st->threads).field("rss_bytes", st->rss_pages * page);
  }
  report(w, "node.processes");
}

// Why the content of a file is not returned, or "" to return it. Decided on
// the host path and then on the text, before it leaves the plugin.
std::string withheld_by_path(const std::string& p) {
  if (p == "/proc" || p.rfind("/proc/", 0) == 0)
    return "files under /proc are not read (environ, mem and the like hold secrets); use the node.* tables";
  for (const char* s : {"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-"})
    if (p == s) return "shadow password file";
  return "";
}
std::string withheld_by_text(std::string_view t) {
  if (t.find("PRIVATE KEY-----") != std::string_view::npos) return "contains a private key";
  if (t.find("client-key-data") != std::string_view::npos) return "kubeconfig with a client key";
  if (t.find("kind: Config") != std::string_view::npos &&
      (t.find(" token:") != std::string_view::npos || t.find(" password:") != std::string_view::npos))
    return "kubeconfig with a token or password";
  if (!node::valid_utf8(t)) return "not UTF-8 text";
  return "";
}

const char* type_of(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "char";
  if (S_ISBLK(m)) return "block";
  return "other";
}

void NodeDriver::file(std::string_view path, ks::BatchWriter& out) const {
  std::string resolved;
  try {
    resolved = fs_.resolve(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("node.file('" + std::string(path) + "'): " + e.what());
  }
  auto r = out.row();
  r.field("node", hostname()).field("path", path).field("resolved_path", resolved);
  const std::string real = fs_.at(resolved);
  struct stat st;
  if (::lstat(real.c_str(), &st) != 0) {
    const std::string why = errno == ENOENT ? "does not exist" : errno_text(errno);
    r.field("exists", false);
    for (const char* k : {"type", "mode", "mode_octal", "uid", "gid", "size", "mtime", "content"}) r.null(k);
    r.field("content_truncated", false).field("content_note", why);
  } else {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    r.field("exists", true)
        .field("type", type_of(st.st_mode))
        .field("mode", static_cast<int64_t>(st.st_mode & 07777))
        .field("mode_octal", octal)
        .field("uid", static_cast<int64_t>(st.st_uid))
        .field("gid", static_cast<int64_t>(st.st_gid))
        .field("size", static_cast<int64_t>(st.st_size))
        .field("mtime", plugin_common::rfc3339(st.st_mtime));
    std::string note = S_ISREG(st.st_mode) ? withheld_by_path(resolved) : std::string("not a regular file");
    std::optional<std::string> content;
    bool truncated = false;
    if (note.empty()) {
      // O_NOFOLLOW and the inode comparison: the path was resolved above, and
      // must still be the same regular file when it is opened.
      int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      struct stat fst;
      if (fd < 0) {
        note = errno_text(errno);
      } else if (::fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
        note = "changed while being read";
      } else {
        int err = 0;
        content = plugin_common::read_fd(fd, static_cast<size_t>(max_file_bytes_), &truncated, &err);
        if (!content) note = errno_text(err);
      }
      if (fd >= 0) ::close(fd);
    }
    if (content && truncated) {
      // Do not cut a UTF-8 sequence in half at the cap.
      size_t back = 0;
      while (back < 3 && back < content->size() &&
             (static_cast<unsigned char>((*content)[content->size() - 1 - back]) & 0xC0) == 0x80)
        ++back;
      if (back < content->size() && (static_cast<unsigned char>((*content)[content->size() - 1 - back]) & 0xC0) == 0xC0)
        content->resize(content->size() - 1 - back);
    }
    if (content) {
      note = withheld_by_text(*content);
      if (!note.empty()) content.reset();
    }
    field_or_null(r, "content", content);
    r.field("content_truncated", truncated && content.has_value());
    if (note.empty()) r.null("content_note");
    else r.field("content_note", note);
  }
  // The mount holding the path, as the host mounted it: a read-only bind of
  // the host into a container must not make every host path look read-only.
  std::vector<node::Mount> ms;
  try {
    ms = mounts("node.file");
  } catch (const std::exception&) {
  }
  const node::Mount* best = nullptr;
  for (const auto& m : ms) {
    const std::string& mp = m.mount_point;
    bool covers = mp == "/" || resolved == mp || (resolved.rfind(mp, 0) == 0 && resolved[mp.size()] == '/');
    // A later mount on the same point hides the earlier one, so >= keeps the last.
    if (covers && (!best || mp.size() >= best->mount_point.size())) best = &m;
  }
  if (best) {
    r.field("mount_point", best->mount_point);
    r.field("read_only", std::find(best->options.begin(), best->options.end(), "ro") != best->options.end());
  } else {
    r.null("mount_point").null("read_only");
  }
}

}  // namespace

KINSPECT_PLUGIN(NodeDriver, "node", "1.0.0",
                "Facts about one Linux host from /proc, /sys and /etc (set root to read a host mounted elsewhere)",
                KI_KIND_DRIVER)
