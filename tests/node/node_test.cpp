// The node plugin (plugins/node): parsers on text; every table on the fake
// host root tests/data/node/healthy (exact rows) and on this machine; every
// host check of checks/node-host.kcql on a copy of that root with one problem
// planted (and silent on the healthy root); and `kinspect run --profile node`
// as a user runs it.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>

#include <boost/json.hpp>

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "core/kcql/check.h"
#include "core/plugin/registry.h"
#include "fake_servers.h"
#include "parse.h"
#include "systemd_test_support.h"
#include "tests/common/plugin_rows.h"
#include "tests/common/run_command.h"

namespace fs = std::filesystem;
namespace json = boost::json;
namespace kcql = kinspect::kcql;
using kinspect::testing::run_command;
using kinspect::testing::sh_quote;

namespace {

const std::string kHealthy = std::string(NODE_DATA_DIR) + "/healthy";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// The node plugin in this process, reading `root`.
std::unique_ptr<kinspect::PluginRegistry> node_registry(const std::string& root) {
  auto reg = std::make_unique<kinspect::PluginRegistry>();
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  json::object cfg;
  cfg["root"] = root;
  o.config["node"] = json::serialize(cfg);
  auto problems = reg->load(o);
  for (const auto& p : problems) ADD_FAILURE() << p.format();
  return reg;
}

std::vector<json::object> rows(kinspect::PluginRegistry& reg, const std::string& table,
                               std::vector<json::value> args = {}) {
  return kinspect::testing::plugin_rows(reg, table, std::move(args));
}

std::string scan_error(kinspect::PluginRegistry& reg, const std::string& table, std::vector<json::value> args = {}) {
  auto st = reg.scan_table(kinspect::ScanSpec{table, std::move(args), {}},
                           [](std::string_view) { return kinspect::Status::Ok(); }, nullptr);
  return st.ok() ? "" : st.error().message();
}

const json::object* find_row(const std::vector<json::object>& rs, const char* key, const json::value& v) {
  for (const auto& r : rs)
    if (r.contains(key) && r.at(key) == v) return &r;
  return nullptr;
}

// A writable copy of the healthy root, on a tmpfs of its own when this
// process may mount one (root), so statvfs() numbers do not depend on the
// disk the tests run on. Removed (and unmounted) on destruction.
class RootCopy {
 public:
  RootCopy() {
    char tmpl[] = "/tmp/kinspect-node-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=64m") == 0;
    fs::copy(kHealthy, dir_, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  ~RootCopy() {
    for (auto it = inner_.rbegin(); it != inner_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& path() const { return dir_; }
  bool on_tmpfs() const { return mounted_; }
  void put(const std::string& rel, const std::string& text) { write(fs::path(dir_) / rel, text); }
  void remove(const std::string& rel) { fs::remove_all(fs::path(dir_) / rel); }
  // Mounts a small tmpfs at <root>/rel (false when not permitted).
  bool mount_tmpfs(const std::string& rel, const std::string& options) {
    std::string target = dir_ + "/" + rel;
    fs::create_directories(target);
    if (::mount("tmpfs", target.c_str(), "tmpfs", 0, options.c_str()) != 0) return false;
    inner_.push_back(target);
    return true;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::vector<std::string> inner_;
};

}  // namespace

// ---------------------------------------------------------------- parsers

TEST(NodeParse, MountinfoUnescapesAndSkipsMalformedLines) {
  const std::string file = kHealthy + "/proc/1/mountinfo";
  node::Warnings w;
  auto ms = node::parse_mountinfo(slurp(file), file, w);
  ASSERT_EQ(ms.size(), 8u);
  EXPECT_EQ(w.count, 1u);
  ASSERT_EQ(w.first.size(), 1u);
  EXPECT_EQ(w.first[0].rfind(file + ":8: expected 'ID PARENT", 0), 0u) << w.first[0];
  EXPECT_EQ(ms[0].mount_point, "/");
  EXPECT_EQ(ms[0].fstype, "ext4");
  EXPECT_EQ(ms[0].source, "/dev/sda1");
  EXPECT_EQ(ms[0].options, (std::vector<std::string>{"rw", "relatime"}));
  EXPECT_EQ(ms[0].optional_fields, (std::vector<std::string>{"shared:1"}));
  EXPECT_EQ(ms[0].super_options, (std::vector<std::string>{"rw", "errors=remount-ro"}));
  EXPECT_EQ(ms[5].root, "/var/lib/kubelet");
  EXPECT_EQ(ms[6].mount_point, "/mnt/shared data");
  EXPECT_EQ(ms[6].source, "10.0.0.5:/exports/data");
  EXPECT_EQ(ms[7].mount_point, "/boot/efi");
}

TEST(NodeParse, ProcStatFindsTheLastParenthesis) {
  auto s = node::parse_proc_stat("4242 (we(ird) (name)) S 1 4242 4242 0 -1 4194560 10 0 0 0 5 2 0 0 20 0 7 0 999 1000 250 1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->comm, "we(ird) (name)");
  EXPECT_EQ(s->state, "S");
  EXPECT_EQ(s->ppid, 1);
  EXPECT_EQ(s->threads, 7);
  EXPECT_EQ(s->start_ticks, 999);
  EXPECT_EQ(s->rss_pages, 250);
  EXPECT_FALSE(node::parse_proc_stat("1501 (half a stat line").has_value());
  EXPECT_FALSE(node::parse_proc_stat("x (a) S 1").has_value());
}

TEST(NodeParse, SmallFormats) {
  node::Warnings w;
  auto os = node::parse_os_release("ID=debian\nPRETTY_NAME=\"Debian \\\"12\\\"\"\n# comment\nVERSION_ID='12'\nbroken\n", "os-release", w);
  EXPECT_EQ(os["ID"], "debian");
  EXPECT_EQ(os["PRETTY_NAME"], "Debian \"12\"");
  EXPECT_EQ(os["VERSION_ID"], "12");
  EXPECT_EQ(w.count, 1u);
  EXPECT_EQ(w.first.at(0), "os-release:5: expected KEY=value");
  EXPECT_EQ(node::count_cpu_list("0-3,8,10-11\n"), 7);
  EXPECT_FALSE(node::count_cpu_list("3-1").has_value());
  EXPECT_EQ(node::kernel_major_minor("6.1.0-18-amd64"), std::make_pair(int64_t{6}, int64_t{1}));
  EXPECT_EQ(node::kernel_major_minor("4.19"), std::make_pair(int64_t{4}, int64_t{19}));
  EXPECT_FALSE(node::kernel_major_minor("garbage").has_value());
  EXPECT_EQ(node::unescape_octal("a\\040b\\134c\\011"), "a b\\c\t");
  EXPECT_TRUE(node::valid_utf8("caf\xc3\xa9"));
  EXPECT_FALSE(node::valid_utf8("caf\xc3"));
  EXPECT_FALSE(node::valid_utf8("\xc0\xaf"));  // overlong '/'
  EXPECT_FALSE(node::valid_utf8("\xed\xa0\x80"));  // a surrogate
  node::Warnings sw;
  auto swaps = node::parse_swaps("Filename Type Size Used Priority\n/swap.img file 2097148 1024 -2\n/dev/x partition x 0 1\n", "swaps", sw);
  ASSERT_EQ(swaps.size(), 1u);
  EXPECT_EQ(swaps[0].filename, "/swap.img");
  EXPECT_EQ(swaps[0].size_kib, 2097148);
  EXPECT_EQ(swaps[0].priority, -2);
  EXPECT_EQ(sw.count, 1u);
  EXPECT_EQ(sw.summary(), "1 malformed line skipped: swaps:3: size, used or priority is not a number");
}

// ---------------------------------------------------------------- tables on the fixture root

class FixtureRoot : public ::testing::Test {
 protected:
  void SetUp() override { reg_ = node_registry(kHealthy); }
  std::unique_ptr<kinspect::PluginRegistry> reg_;
};

TEST_F(FixtureRoot, HostRow) {
  ::unsetenv("NODE_NAME");  // the node's name is then the host name's lower case
  auto rs = rows(*reg_, "node.host");
  ASSERT_EQ(rs.size(), 1u);
  json::object want = json::parse(R"J({
    "hostname":"worker-1","node_name":"worker-1","kernel_release":"6.1.0-18-amd64",
    "kernel_version":"#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)","kernel_major":6,"kernel_minor":1,
    "os_name":"Debian GNU/Linux 12 (bookworm)","os_id":"debian","os_version_id":"12","arch":"x86_64","cpus":4,
    "memory_total_bytes":16706478080,"uptime_seconds":351234.56,"boot_id":"5f1c2a8e-4b7d-4c2e-9a61-0d3b9e7f4a12",
    "cgroup_version":2,"cgroup_mode":"unified","loadable_modules":true,"kubernetes_node":true,
    "clock_synchronized":null,"clock_max_error_us":null})J").as_object();
  want["root"] = kHealthy;
  EXPECT_EQ(rs[0], want) << json::serialize(rs[0]);
}

TEST_F(FixtureRoot, MountsWithUsageOnlyWhereSafe) {
  auto rs = rows(*reg_, "node.mounts");
  ASSERT_EQ(rs.size(), 8u);
  std::vector<std::string> points;
  for (const auto& r : rs) points.emplace_back(r.at("mount_point").as_string());
  EXPECT_EQ(points, (std::vector<std::string>{"/", "/proc", "/sys", "/sys/fs/cgroup", "/run", "/var/lib/kubelet",
                                              "/mnt/shared data", "/boot/efi"}));
  const auto& rootfs = rs[0];
  EXPECT_EQ(rootfs.at("stat_status"), "ok");
  EXPECT_GT(rootfs.at("size_bytes").as_int64(), 0);
  EXPECT_EQ(rootfs.at("read_only"), false);
  EXPECT_EQ(rootfs.at("options"), json::parse(R"(["rw","relatime"])"));
  EXPECT_EQ(rootfs.at("propagation"), json::parse(R"(["shared:1"])"));
  // /proc is a pseudo filesystem and the NFS mount could hang: not statvfs'ed.
  EXPECT_EQ(rs[1].at("stat_status"), "skipped: pseudo filesystem: no meaningful size");
  EXPECT_TRUE(rs[1].at("size_bytes").is_null());
  EXPECT_EQ(rs[6].at("fstype"), "nfs4");
  EXPECT_EQ(rs[6].at("stat_status"), "skipped: network filesystem: statvfs can hang while the server is unreachable");
  EXPECT_TRUE(rs[6].at("used_percent").is_null());
}

TEST_F(FixtureRoot, SysctlHasTheListedKeysThatExist) {
  auto rs = rows(*reg_, "node.sysctl");
  std::map<std::string, json::object> by;
  for (const auto& r : rs) by[std::string(r.at("name").as_string())] = r;
  EXPECT_EQ(rs.size(), 27u);  // every listed key but the three neigh.default.gc_thresh* and net.core.netdev_max_backlog
  EXPECT_EQ(by["net.ipv4.ip_forward"], json::parse(R"({"name":"net.ipv4.ip_forward","value":"1","value_int":1})"));
  EXPECT_EQ(by["net.ipv4.ip_local_port_range"],
            json::parse(R"({"name":"net.ipv4.ip_local_port_range","value":"32768 60999","value_int":null})"));
  EXPECT_EQ(by["fs.file-max"].at("value_int"), 9223372036854775807LL);
  EXPECT_FALSE(by.count("net.ipv4.neigh.default.gc_thresh1"));
  auto tree = rows(*reg_, "node.sysctl_tree", {json::value("net.bridge")});
  ASSERT_EQ(tree.size(), 2u);
  EXPECT_EQ(tree[0].at("name"), "net.bridge.bridge-nf-call-ip6tables");
  EXPECT_EQ(tree[1].at("name"), "net.bridge.bridge-nf-call-iptables");
  EXPECT_TRUE(rows(*reg_, "node.sysctl_tree", {json::value("no.such.prefix")}).empty());
  EXPECT_NE(scan_error(*reg_, "node.sysctl_tree", {json::value("../../etc")}).find("may hold only letters"), std::string::npos);
}

TEST_F(FixtureRoot, KernelModulesLoadedAndBuiltin) {
  auto rs = rows(*reg_, "node.kernel_modules");
  std::vector<std::string> names;
  for (const auto& r : rs) names.emplace_back(r.at("name").as_string());
  // broken_module's size is not a number: skipped. modules.builtin's
  // not-a-module-path likewise; dm-mod becomes dm_mod.
  EXPECT_EQ(names, (std::vector<std::string>{"br_netfilter", "bridge", "stp", "llc", "overlay", "nf_conntrack", "ip_vs",
                                             "xt_conntrack", "ext4", "dm_mod", "tcp_cubic"}));
  EXPECT_EQ(rs[1], json::parse(R"({"name":"bridge","builtin":false,"size":311296,"refcount":1,"used_by":["br_netfilter"],"state":"Live"})"));
  EXPECT_EQ(rs[9], json::parse(R"({"name":"dm_mod","builtin":true,"size":null,"refcount":null,"used_by":[],"state":"builtin"})"));
  auto fss = rows(*reg_, "node.filesystems");
  ASSERT_EQ(fss.size(), 8u);
  EXPECT_NE(find_row(fss, "name", json::value("overlay")), nullptr);
  EXPECT_EQ(*find_row(fss, "name", json::value("ext4")), json::parse(R"({"name":"ext4","nodev":false})"));
}

TEST_F(FixtureRoot, MemoryPressureLimitsAndCounters) {
  auto mem = rows(*reg_, "node.meminfo");
  ASSERT_EQ(mem.size(), 9u);  // "this line is not meminfo" skipped
  EXPECT_EQ(mem[2], json::parse(R"({"name":"MemAvailable","value":11876540,"unit":"kB","bytes":12161576960})"));
  EXPECT_EQ(mem[7], json::parse(R"({"name":"HugePages_Total","value":0,"unit":null,"bytes":null})"));
  EXPECT_TRUE(rows(*reg_, "node.swaps").empty());
  auto psi = rows(*reg_, "node.pressure");
  ASSERT_EQ(psi.size(), 6u);  // memory's third line is cut short: skipped
  EXPECT_EQ(psi[2].at("resource"), "memory");
  EXPECT_EQ(psi[2].at("kind"), "some");
  // The SDK writes 0.0 as 0, so compare the averages as numbers.
  EXPECT_DOUBLE_EQ(psi[2].at("avg10").to_number<double>(), 0.0);
  EXPECT_DOUBLE_EQ(psi[2].at("avg60").to_number<double>(), 0.12);
  EXPECT_DOUBLE_EQ(psi[2].at("avg300").to_number<double>(), 0.05);
  EXPECT_EQ(psi[2].at("total_us"), 4567890);
  auto ct = rows(*reg_, "node.conntrack");
  ASSERT_EQ(ct.size(), 1u);
  EXPECT_EQ(ct[0].at("count"), 1843);
  EXPECT_EQ(ct[0].at("max"), 262144);
  EXPECT_NEAR(ct[0].at("used_percent").as_double(), 1843 * 100.0 / 262144, 1e-9);
  auto fh = rows(*reg_, "node.file_handles");
  ASSERT_EQ(fh.size(), 1u);
  EXPECT_EQ(fh[0].at("allocated"), 4320);
  EXPECT_EQ(fh[0].at("max"), 9223372036854775807LL);
}

TEST_F(FixtureRoot, Processes) {
  auto ps = rows(*reg_, "node.processes");
  std::vector<int64_t> pids;
  for (const auto& p : ps) pids.push_back(p.at("pid").as_int64());
  EXPECT_EQ(pids, (std::vector<int64_t>{1, 2, 640, 812, 1500}));  // 1501's stat is cut short
  const auto* kubelet = find_row(ps, "comm", json::value("kubelet"));
  ASSERT_NE(kubelet, nullptr);
  EXPECT_EQ(kubelet->at("cmdline"), json::parse(R"(["/usr/bin/kubelet","--config=/var/lib/kubelet/config.yaml",
      "--kubeconfig=/etc/kubernetes/kubelet.conf","--container-runtime-endpoint=unix:///run/containerd/containerd.sock"])"));
  EXPECT_EQ(kubelet->at("threads"), 16);
  EXPECT_EQ(kubelet->at("rss_bytes"), 25600 * ::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(find_row(ps, "pid", json::value(2))->at("cmdline"), json::array());
  EXPECT_EQ(find_row(ps, "pid", json::value(1500))->at("comm"), "tmux: server");
}

TEST_F(FixtureRoot, FileReadsInsideRootAndWithholdsSecrets) {
  auto f = rows(*reg_, "node.file", {json::value("/var/lib/kubelet/config.yaml")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].at("node"), "worker-1");
  EXPECT_EQ(f[0].at("exists"), true);
  EXPECT_EQ(f[0].at("type"), "file");
  // Git keeps no permissions but the executable bit: expect what the
  // checkout actually has.
  auto mode_of = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", unsigned(st.st_mode & 07777));
    return std::string(buf);
  };
  EXPECT_EQ(f[0].at("mode_octal"), json::value(mode_of(kHealthy + "/var/lib/kubelet/config.yaml")));
  EXPECT_EQ(f[0].at("content"), json::value(slurp(kHealthy + "/var/lib/kubelet/config.yaml")));
  EXPECT_EQ(f[0].at("mount_point"), "/var/lib/kubelet");
  EXPECT_EQ(f[0].at("read_only"), false);

  // An absolute symlink with ".." past the top stays inside root.
  auto esc = rows(*reg_, "node.file", {json::value("/etc/kubernetes/escape")});
  ASSERT_EQ(esc.size(), 1u);
  EXPECT_EQ(esc[0].at("resolved_path"), "/etc/hostname");
  EXPECT_EQ(esc[0].at("content"), "worker-1\n");
  EXPECT_EQ(esc[0].at("mount_point"), "/");

  auto key = rows(*reg_, "node.file", {json::value("/var/lib/kubelet/pki/kubelet-client.key")});
  EXPECT_EQ(key[0].at("mode_octal"), json::value(mode_of(kHealthy + "/var/lib/kubelet/pki/kubelet-client.key")));
  EXPECT_TRUE(key[0].at("content").is_null());
  EXPECT_EQ(key[0].at("content_note"), "contains a private key");
  auto proc = rows(*reg_, "node.file", {json::value("/proc/1/cmdline")});
  EXPECT_TRUE(proc[0].at("content").is_null());
  EXPECT_NE(std::string(proc[0].at("content_note").as_string()).find("not read"), std::string::npos);
  auto dir = rows(*reg_, "node.file", {json::value("/var/lib/kubelet/")});
  EXPECT_EQ(dir[0].at("type"), "directory");
  EXPECT_EQ(dir[0].at("content_note"), "not a regular file");
  auto missing = rows(*reg_, "node.file", {json::value("/etc/nothing/here")});
  EXPECT_EQ(missing[0].at("exists"), false);
  EXPECT_EQ(missing[0].at("content_note"), "does not exist");
  EXPECT_NE(scan_error(*reg_, "node.file", {json::value("etc/hostname")}).find("is not absolute"), std::string::npos);
}

TEST(NodeSettings, BadSettingsNameTheSetting) {
  for (auto [cfg, want] : std::vector<std::pair<std::string, std::string>>{
           {R"({"root":"relative"})", "setting root must be an absolute path"},
           {R"({"root":"/no/such/dir"})", "setting root: /no/such/dir is not a directory"},
           {R"({"max_file_bytes":-1})", "max_file_bytes must be a non-negative integer"}}) {
    std::string why = kinspect::testing::settings_refusal(std::string(PLUGIN_DIR) + "/node.so", "node", cfg);
    EXPECT_NE(why.find(want), std::string::npos) << why;
  }
}

// A misspelt key is the host's to refuse (it knows every plugin's declared
// settings and suggests the right one): the plugin declares its own.
// The name findings give the node: the setting, else $NODE_NAME (the
// DaemonSet's downward API), else the host name in lower case.
TEST(NodeSettings, NodeNameFromTheSettingThenTheEnvironmentThenTheHostName) {
  auto node_name = [](const json::object& settings) {
    kinspect::PluginRegistry reg;
    kinspect::RegistryOptions o;
    o.files = {std::string(PLUGIN_DIR) + "/node.so"};
    json::object cfg = settings;
    cfg["root"] = kHealthy;
    o.config["node"] = json::serialize(cfg);
    EXPECT_TRUE(reg.load(o).empty());
    auto rs = rows(reg, "node.host");
    return rs.size() == 1 ? json::serialize(rs[0].at("node_name")) : std::string("no row");
  };
  ::setenv("NODE_NAME", "ip-10-0-3-17.ec2.internal", 1);
  EXPECT_EQ(node_name({{"node_name", "worker-1.example"}}), "\"worker-1.example\"");
  EXPECT_EQ(node_name({}), "\"ip-10-0-3-17.ec2.internal\"");
  ::unsetenv("NODE_NAME");
  EXPECT_EQ(node_name({}), "\"worker-1\"");
}

TEST(NodeSettings, DeclaresItsSettingsForTheHostToCheck) {
  kinspect::PluginRegistry reg;
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  ASSERT_TRUE(reg.load(o).empty());
  const auto& d = reg.plugin("node")->description();
  ASSERT_TRUE(d.declares_settings);
  std::vector<std::string> names;
  for (const auto& s : d.settings) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"root", "max_file_bytes", "node_name", "kmsg_path", "kmsg_boot_time",
                                             "kernel_log_max_bytes", "npd_config_dir", "kubelet_healthz_url",
                                             "probe_timeout_ms", "systemd_bus", "systemd_units"}));
}

TEST(NodeSettings, MaxFileBytesTruncatesContent) {
  kinspect::PluginRegistry reg;
  kinspect::RegistryOptions o;
  o.files = {std::string(PLUGIN_DIR) + "/node.so"};
  o.config["node"] = R"({"root":")" + kHealthy + R"(","max_file_bytes":10})";
  ASSERT_TRUE(reg.load(o).empty());
  auto f = rows(reg, "node.file", {json::value("/var/lib/kubelet/config.yaml")});
  EXPECT_EQ(f[0].at("content"), "apiVersion");
  EXPECT_EQ(f[0].at("content_truncated"), true);
}

// ---------------------------------------------------------------- this machine

TEST(RealHost, ReadsThisMachine) {
  auto reg = node_registry("/");
  auto host = rows(*reg, "node.host");
  ASSERT_EQ(host.size(), 1u);
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  EXPECT_EQ(host[0].at("hostname"), json::value(name));
  EXPECT_GT(host[0].at("cpus").as_int64(), 0);
  EXPECT_GT(host[0].at("memory_total_bytes").as_int64(), 0);
  EXPECT_TRUE(host[0].at("clock_synchronized").is_bool()) << "adjtimex() answers for root /";

  auto mounts = rows(*reg, "node.mounts");
  const auto* rootfs = find_row(mounts, "mount_point", json::value("/"));
  ASSERT_NE(rootfs, nullptr);
  EXPECT_EQ(rootfs->at("stat_status"), "ok");
  EXPECT_GT(rootfs->at("size_bytes").as_int64(), 0);
  EXPECT_NE(find_row(mounts, "mount_point", json::value("/proc")), nullptr);

  auto mods = rows(*reg, "node.kernel_modules");
  if (mods.empty())
    EXPECT_EQ(host[0].at("loadable_modules"), false) << "no modules, so the kernel must lack loadable-module support";
  else
    EXPECT_TRUE(host[0].at("loadable_modules").as_bool() || mods[0].at("builtin").as_bool());

  auto mem = rows(*reg, "node.meminfo");
  ASSERT_NE(find_row(mem, "name", json::value("MemTotal")), nullptr);
  EXPECT_EQ(find_row(mem, "name", json::value("MemTotal"))->at("bytes"), host[0].at("memory_total_bytes"));

  auto ps = rows(*reg, "node.processes");
  const auto* me = find_row(ps, "pid", json::value(static_cast<int64_t>(::getpid())));
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(me->at("comm"), "node_tests");

  auto sysctl = rows(*reg, "node.sysctl");
  const auto* pid_max = find_row(sysctl, "name", json::value("kernel.pid_max"));
  ASSERT_NE(pid_max, nullptr);
  EXPECT_EQ(pid_max->at("value"), json::value(std::string(node::trim(slurp("/proc/sys/kernel/pid_max")))));

  auto env = rows(*reg, "node.file", {json::value("/proc/self/environ")});
  EXPECT_TRUE(env[0].at("content").is_null()) << "environ holds secrets; it must never be returned";
}

// ---------------------------------------------------------------- checks on planted roots

namespace {

const std::vector<kcql::CheckDef>& host_checks() {
  static std::vector<kcql::CheckDef> all = [] {
    auto loaded = kcql::load_checks(std::string(KINSPECT_SOURCE_DIR) + "/checks/node-host.kcql");
    if (!loaded) throw std::runtime_error(loaded.error().format());
    return std::move(loaded).value();
  }();
  return all;
}

std::vector<kcql::Finding> run(const kcql::CheckDef& c, kinspect::PluginRegistry& reg) {
  auto bound = kcql::bind_check(c, reg, {});
  EXPECT_TRUE(bound.ok()) << c.id << ": " << (bound.ok() ? "" : bound.error().format());
  if (!bound) return {};
  auto got = kcql::run_check(*bound, reg, {});
  EXPECT_TRUE(got.ok()) << c.id << ": " << (got.ok() ? "" : got.error().format());
  return got.ok() ? *got : std::vector<kcql::Finding>{};
}

std::string replace_line(std::string text, const std::string& starts, const std::string& with) {
  size_t at = text.find(starts);
  if (at == std::string::npos) throw std::runtime_error("no line starting " + starts);
  size_t end = text.find('\n', at);
  return text.replace(at, end - at, with);
}

struct Plant {
  std::function<bool(RootCopy&)> apply;  // false: cannot be planted here (reason in `skip`)
  std::string expect;                    // a substring of the finding's message
  std::string skip = "";
};

std::map<std::string, Plant> plants() {
  const std::string mountinfo = slurp(kHealthy + "/proc/1/mountinfo");
  auto set = [](std::string rel, std::string text) { return [=](RootCopy& r) { r.put(rel, text); return true; }; };
  std::map<std::string, Plant> p;
  p["host-swap-enabled"] = {set("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swap.img\tfile\t4194300\t0\t-2\n"),
                            "swap /swap.img (4096 MiB, file) is on, but /var/lib/kubelet/config.yaml does not set failSwapOn: false"};
  p["host-ip-forward-disabled"] = {set("proc/sys/net/ipv4/ip_forward", "0\n"), "net.ipv4.ip_forward is 0"};
  p["host-br-netfilter-missing"] = {[](RootCopy& r) {
                                      r.put("proc/modules", replace_line(slurp(r.path() + "/proc/modules"), "br_netfilter ", ""));
                                      r.remove("proc/sys/net/bridge");
                                      return true;
                                    },
                                    "br_netfilter is neither loaded nor built in on worker-1"};
  p["host-bridge-nf-call-disabled"] = {set("proc/sys/net/bridge/bridge-nf-call-ip6tables", "0\n"),
                                       "net.bridge.bridge-nf-call-ip6tables is 0"};
  p["host-overlay-unavailable"] = {[](RootCopy& r) {
                                     r.put("proc/modules", replace_line(slurp(r.path() + "/proc/modules"), "overlay ", ""));
                                     r.put("proc/filesystems", replace_line(slurp(r.path() + "/proc/filesystems"), "nodev\toverlay", ""));
                                     return true;
                                   },
                                   "the overlay filesystem is neither registered"};
  // Usage is measured, not planted in a file: a small tmpfs is filled for real.
  p["host-filesystem-usage-high"] = {[=](RootCopy& r) {
                                       if (!r.mount_tmpfs("var/lib/containerd", "size=1m")) return false;
                                       r.put("var/lib/containerd/blob", std::string(950 * 1024, 'x'));
                                       r.put("proc/1/mountinfo", mountinfo + "40 21 0:99 / /var/lib/containerd rw,relatime shared:50 - tmpfs tmpfs rw,size=1024k\n");
                                       return true;
                                     },
                                     "/var/lib/containerd (tmpfs on tmpfs) is 9", "mounting a tmpfs needs CAP_SYS_ADMIN"};
  p["host-inodes-usage-high"] = {[=](RootCopy& r) {
                                   if (!r.mount_tmpfs("var/lib/containerd", "size=1m,nr_inodes=40")) return false;
                                   for (int i = 0; i < 37; ++i) r.put("var/lib/containerd/f" + std::to_string(i), "");
                                   r.put("proc/1/mountinfo", mountinfo + "40 21 0:99 / /var/lib/containerd rw,relatime shared:50 - tmpfs tmpfs rw,size=1024k,nr_inodes=40\n");
                                   return true;
                                 },
                                 "/var/lib/containerd (tmpfs) has used", "mounting a tmpfs needs CAP_SYS_ADMIN"};
  p["host-root-read-only"] = {set("proc/1/mountinfo", replace_line(mountinfo, "21 1 8:1", "21 1 8:1 / / ro,relatime shared:1 - ext4 /dev/sda1 ro,errors=remount-ro")),
                              "/ (ext4 on /dev/sda1) is mounted read-only on worker-1"};
  p["host-kubelet-dir-read-only"] = {set("proc/1/mountinfo", replace_line(mountinfo, "26 21 8:1", "26 21 8:1 /var/lib/kubelet /var/lib/kubelet ro,relatime shared:1 - ext4 /dev/sda1 rw")),
                                     "/var/lib/kubelet is on /var/lib/kubelet, which is mounted read-only"};
  p["host-conntrack-table-full"] = {set("proc/sys/net/netfilter/nf_conntrack_count", "250000\n"),
                                    "the conntrack table holds 250000 of 262144 entries (95%"};
  p["host-file-handles-high"] = {set("proc/sys/fs/file-nr", "950000\t0\t1000000\n"), "950000 of 1000000 file handles are in use (95%"};
  p["host-memory-available-low"] = {[](RootCopy& r) {
                                      r.put("proc/meminfo", replace_line(slurp(r.path() + "/proc/meminfo"), "MemAvailable:", "MemAvailable:     815746 kB"));
                                      return true;
                                    },
                                    "memory is available (5%, threshold 10%)"};
  p["host-pressure-stall-high"] = {set("proc/pressure/io", "some avg10=61.00 avg60=48.30 avg300=20.00 total=98765432\nfull avg10=40.00 avg60=30.00 avg300=10.00 total=4567\n"),
                                   "tasks were stalled on io 48% of the last minute"};
  // The clock comes from adjtimex(), which describes the running kernel, so
  // it is NULL for any root but "/" and cannot be planted in a root; its
  // catalog fixture (tests/data/checks/host-clock-not-synchronized.yaml) and
  // RealHost cover it.
  p["host-clock-not-synchronized"] = {[](RootCopy&) { return false; }, "", "the clock is read from the running kernel, not from root"};
  p["host-cgroup-v1"] = {[](RootCopy& r) {
                           r.remove("sys/fs/cgroup/cgroup.controllers");
                           r.put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
                           return true;
                         },
                         "worker-1 runs cgroup v1 (legacy hierarchy)"};
  p["host-kernel-too-old"] = {set("proc/sys/kernel/osrelease", "4.18.0-553.el8_10.x86_64\n"),
                              "worker-1 runs kernel 4.18.0-553.el8_10.x86_64, older than 4.19"};
  p["host-pid-max-low"] = {set("proc/sys/kernel/pid_max", "32768\n"), "kernel.pid_max is 32768, below 65536"};
  p["host-inotify-limits-low"] = {set("proc/sys/fs/inotify/max_user_instances", "128\n"), "fs.inotify.max_user_instances is 128, below 512"};
  p["host-kubelet-not-running"] = {[](RootCopy& r) { r.remove("proc/812"); return true; },
                                   "worker-1 has /var/lib/kubelet but no kubelet process"};
  p["host-container-runtime-not-running"] = {[](RootCopy& r) { r.remove("proc/640"); return true; },
                                             "worker-1 has /var/lib/kubelet but no container runtime process"};
  return p;
}

}  // namespace

TEST(HostChecks, SilentOnTheHealthyRoot) {
  RootCopy root;
  auto reg = node_registry(root.path());
  ASSERT_GE(host_checks().size(), 15u);
  for (const auto& c : host_checks()) {
    auto got = run(c, *reg);
    EXPECT_TRUE(got.empty()) << c.id << " fires on the healthy root: " << (got.empty() ? "" : got[0].message);
  }
}

class PlantedRoot : public ::testing::TestWithParam<std::string> {};

TEST_P(PlantedRoot, CheckFiresOnItsProblem) {
  const kcql::CheckDef* check = nullptr;
  for (const auto& c : host_checks())
    if (c.id == GetParam()) check = &c;
  ASSERT_NE(check, nullptr);
  auto all = plants();
  ASSERT_TRUE(all.count(check->id)) << "no planted problem for " << check->id << " in tests/node/node_test.cpp";
  const Plant& plant = all.at(check->id);
  RootCopy root;
  if (!plant.apply(root)) GTEST_SKIP() << plant.skip;
  auto reg = node_registry(root.path());
  auto got = run(*check, *reg);
  ASSERT_EQ(got.size(), 1u) << check->id;
  EXPECT_NE(got[0].message.find(plant.expect), std::string::npos) << got[0].message;
  // And only this check fires: the plant is specific to its problem.
  for (const auto& other : host_checks()) {
    if (other.id == check->id) continue;
    auto extra = run(other, *reg);
    EXPECT_TRUE(extra.empty()) << other.id << " also fires on the root planted for " << check->id << ": "
                               << (extra.empty() ? "" : extra[0].message);
  }
}

INSTANTIATE_TEST_SUITE_P(Checks, PlantedRoot, ::testing::ValuesIn([] {
                           std::vector<std::string> ids;
                           for (const auto& c : host_checks()) ids.push_back(c.id);
                           return ids;
                         }()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// ---------------------------------------------------------------- the command line

TEST(NodeProfileCli, RunsAgainstARootAsAUserWould) {
  RootCopy root;
  // The fixture host is a node: its kubelet answers healthz (on loopback),
  // and systemd (a fake, on its own socket where systemd has it) runs the
  // kubelet and containerd.
  auto kubelet = node_test::FakeServer::tcp(node_test::http_answer(200, "ok"));
  fs::create_directories(root.path() + "/run/systemd/system");
  node_test::Child systemd = node_test::start_fake_systemd(
      {"--listen", root.path() + "/run/systemd/private"},
      {"kubelet.service=loaded,active,running,enabled,0,0,0,success,812",
       "containerd.service=loaded,active,running,enabled,0,0,0,success,640"});
  ASSERT_TRUE(systemd.ready()) << systemd.error();
  const std::string base = std::string(KINSPECT_BIN) + " run --profile node --plugin-dir " + PLUGIN_DIR +
                           " --set node.root=" + sh_quote(root.path()) +
                           " --set node.kubelet_healthz_url=" + kubelet.url("/healthz") + " --format json";
  for (const char* extra : {"", " --no-isolation"}) {
    SCOPED_TRACE(extra);
    auto healthy = run_command(base + extra);
    ASSERT_EQ(healthy.exit_code, 0) << healthy.err;
    json::value rep = json::parse(healthy.out);
    EXPECT_EQ(rep.at("profile"), "node");
    EXPECT_EQ(rep.at("cluster").at("type"), "host");
    EXPECT_EQ(rep.at("cluster").at("name"), "worker-1");
    EXPECT_NE(json::serialize(rep.at("cluster").at("detected")).find("host run on worker-1"), std::string::npos);
    size_t checks = 0;
    for (const auto& c : rep.at("checks").as_array()) {
      ++checks;
      EXPECT_EQ(c.at("status"), "pass") << c.at("id") << ": " << json::serialize(c);
    }
    EXPECT_GE(checks, 15u);
    for (const auto& t : rep.at("tables").as_array()) EXPECT_EQ(t.at("plugin"), "node") << json::serialize(t);
  }
  root.put("proc/sys/net/ipv4/ip_forward", "0\n");
  auto bad = run_command(base);
  EXPECT_EQ(bad.exit_code, 1) << "a critical finding fails the run: " << bad.err;
  json::value rep = json::parse(bad.out);
  std::string fired;
  for (const auto& c : rep.at("checks").as_array())
    if (c.at("status") == "fail") fired += std::string(c.at("id").as_string()) + " ";
  EXPECT_EQ(fired, "host-ip-forward-disabled ");
  // Under --fail-on none the same findings do not fail the run.
  EXPECT_EQ(run_command(base + " --fail-on none").exit_code, 0);
}

TEST(NodeProfileCli, ABadRootIsAUsageError) {
  auto r = run_command(std::string(KINSPECT_BIN) + " run --profile node --plugin-dir " + PLUGIN_DIR +
                       " --set node.root=/no/such/root --format json");
  EXPECT_NE(r.err.find("setting root: /no/such/root is not a directory"), std::string::npos) << r.err;
  // A plugin the run was given that cannot start stops the run: no report
  // whose checks could look passed.
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// ---------------------------------------------------------------- docs/node.md

TEST(NodeDocs, ExampleQueriesRunAndEveryTableIsDocumented) {
  const std::string doc = slurp(std::string(KINSPECT_SOURCE_DIR) + "/docs/node.md");
  size_t start = doc.find("```kcql-node\n");
  ASSERT_NE(start, std::string::npos) << "docs/node.md has no ```kcql-node block";
  start += 13;
  size_t end = doc.find("```", start);
  auto reg = node_registry(kHealthy);
  size_t ran = 0;
  for (size_t pos = start; pos < end;) {
    size_t nl = doc.find('\n', pos);
    std::string q = doc.substr(pos, nl - pos);
    pos = nl + 1;
    if (q.empty()) continue;
    SCOPED_TRACE(q);
    auto parsed = kcql::parse_query(q, "docs/node.md");
    ASSERT_TRUE(parsed.ok()) << parsed.error().format();
    auto plan = kcql::bind_query(*parsed, *reg);
    ASSERT_TRUE(plan.ok()) << plan.error().format();
    auto rs = kcql::execute(*plan, *reg);
    EXPECT_TRUE(rs.ok()) << rs.error().format();
    ++ran;
  }
  EXPECT_GE(ran, 10u);
  for (const auto& t : reg->names()) EXPECT_NE(doc.find("### `" + t), std::string::npos) << t << " is not in docs/node.md";
}
