#include "capture.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "common/text.h"

namespace network_ebpf {

uint32_t netns_inode(const std::string& name, const std::string& netns_dir) {
  if (name.empty() || name == "." || name == "..")
    throw std::runtime_error("net.drops: netns must name a namespace as `ip netns` lists it, got '" + name + "'");
  const std::string path = name.front() == '/' ? name : netns_dir + "/" + name;
  if (name.front() != '/' && name.find('/') != std::string::npos)
    throw std::runtime_error("net.drops: netns must be a name under " + netns_dir + " or an absolute path, got '" + name + "'");
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error("net.drops: network namespace '" + name + "' cannot be opened (" + path + "): " + std::strerror(errno));
  return static_cast<uint32_t>(st.st_ino);
}

std::shared_ptr<const Window> WindowCache::get(const std::string& table, const Settings& s,
                                               std::chrono::milliseconds duration, const std::string& netns,
                                               const std::function<bool()>& stop) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (last_ && now - last_end_ < kFresh && last_->capture.options.duration == duration && last_->netns_name == netns &&
      last_read_by_.insert(table).second)
    return last_;
  auto w = std::make_shared<Window>();
  w->reasons = read_drop_reasons(s.btf);
  w->netns_name = netns;
  TraceOptions o;
  o.duration = duration;
  o.netns_inode = netns.empty() ? 0 : netns_inode(netns, s.netns_dir);
  o.consumed_reason = w->reasons.consumed;
  o.max_keys = s.max_keys;
  o.max_stacks = s.max_stacks;
  o.btf_path = s.btf;
  o.direct_packet_loads = !s.probe_read_only;
  w->capture = trace_drops(o, stop);
  const auto& drops = w->capture.drops;
  for (size_t i = 0; i < drops.size(); ++i) w->by_packets.push_back(i);
  std::stable_sort(w->by_packets.begin(), w->by_packets.end(),
                   [&](size_t a, size_t b) { return drops[a].value.packets > drops[b].value.packets; });
  if (stop()) return w;  // cut short: never serve it to another scan
  last_ = w;
  last_read_by_ = {table};
  last_end_ = std::chrono::steady_clock::now();
  return w;
}

}  // namespace network_ebpf
