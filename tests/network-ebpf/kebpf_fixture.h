// The drop tracer's test world: two network namespaces joined by a veth pair
// (kebpf-<pid>-a 10.78.0.1 <-> kebpf-<pid>-b 10.78.0.2), an iptables DROP
// planted in "a" on 9999/udp and 9998/tcp, strict rp_filter in "a", and a
// static neighbour in "b" so spoofed-source sends need no ARP. Traffic goes
// only between these namespaces; they are removed when the fixture dies,
// also when a test fails.
#pragma once

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/common/run_command.h"

namespace kebpf_test {

using kinspect::testing::run_command;

// Why this machine cannot run the tracer's tests, or "".
inline std::string missing_prerequisite() {
  if (::geteuid() != 0) return "loading BPF programs and creating namespaces needs root";
  struct stat st{};
  if (::stat("/sys/kernel/btf/vmlinux", &st) != 0) return "the kernel has no BTF (/sys/kernel/btf/vmlinux)";
  for (const char* tool : {"ip", "iptables", "python3", "bpftool", "setpriv"})
    if (run_command(std::string("command -v ") + tool).exit_code != 0)
      return std::string(tool) + " is not installed (scripts/setup installs it)";
  return "";
}

inline bool sh(const std::string& cmd) {
  auto r = run_command(cmd);
  if (r.exit_code != 0) ADD_FAILURE() << cmd << ": exit " << r.exit_code << ": " << r.err;
  return r.exit_code == 0;
}

class TwoNamespaces {
 public:
  TwoNamespaces()
      : a_("kebpf-" + std::to_string(::getpid()) + "-a"), b_("kebpf-" + std::to_string(::getpid()) + "-b") {
    ok_ = sh("ip netns add " + a_) && sh("ip netns add " + b_) && plant();
  }
  ~TwoNamespaces() {
    run_command("ip netns del " + a_);
    run_command("ip netns del " + b_);
  }
  bool ok() const { return ok_; }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }
  std::string in_a() const { return "ip netns exec " + a_ + " "; }
  std::string in_b() const { return "ip netns exec " + b_ + " "; }
  uint32_t inode_a() const {
    struct stat st{};
    return ::stat(("/var/run/netns/" + a_).c_str(), &st) == 0 ? static_cast<uint32_t>(st.st_ino) : 0;
  }
  // Runs tests/network-ebpf/traffic.py in namespace b with `args`.
  bool send(const std::string& args) const { return sh(in_b() + "python3 " + std::string(TRAFFIC_PY) + " " + args); }

 private:
  bool plant() {
    const std::string A = "ip -n " + a_ + " ", B = "ip -n " + b_ + " ";
    return sh(A + "link set lo up") && sh(B + "link set lo up") &&
           sh(A + "link add kebpf-va type veth peer name kebpf-vb netns " + b_) &&
           sh(A + "addr add 10.78.0.1/24 dev kebpf-va") && sh(B + "addr add 10.78.0.2/24 dev kebpf-vb") &&
           sh(B + "addr add 10.79.0.5/32 dev lo") && sh(A + "link set kebpf-va up") && sh(B + "link set kebpf-vb up") &&
           sh(in_a() + "sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.kebpf-va.rp_filter=1") &&
           sh("mac=$(" + A + "-o link show kebpf-va | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2) && " + B +
              "neigh replace 10.78.0.1 lladdr $mac dev kebpf-vb nud permanent") &&
           add_rules();
  }

 public:
  bool add_rules() const {
    return sh(in_a() + "iptables -A INPUT -p udp --dport 9999 -j DROP") &&
           sh(in_a() + "iptables -A INPUT -p tcp --dport 9998 -j DROP");
  }
  bool remove_rules() const {
    return sh(in_a() + "iptables -D INPUT -p udp --dport 9999 -j DROP") &&
           sh(in_a() + "iptables -D INPUT -p tcp --dport 9998 -j DROP");
  }

 private:
  std::string a_, b_;
  bool ok_ = false;
};

// Names of the tracer's BPF programs and maps the kernel holds now, one per
// line ("prog kinspect_kfree_", "map drops"...), from bpftool.
inline std::string tracer_objects() {
  auto r = run_command(
      "{ bpftool prog list; bpftool map list; } | grep -oE '(name kinspect_kfree_[a-z_]*|name (drops|stacks|counters|runs|drops_bp\\.rodata)) ' | sort");
  return r.out;
}

}  // namespace kebpf_test
