#include "kallsyms.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/host_fs.h"
#include "common/text.h"

namespace network_ebpf {

Kallsyms::Kallsyms(const std::string& path) {
  plugin_common::HostFs fs("/");
  int err = 0;
  auto text = fs.read(path, &err);
  if (!text) throw std::runtime_error("cannot read " + path + ": " + std::string(std::strerror(err)));
  plugin_common::for_each_line(*text, [&](std::string_view line, size_t) {
    auto f = plugin_common::fields(line);
    if (f.size() < 3 || f[1].size() != 1 || std::string_view("tTwW").find(f[1][0]) == std::string_view::npos) return;
    uint64_t addr = 0;
    auto [p, ec] = std::from_chars(f[0].data(), f[0].data() + f[0].size(), addr, 16);
    if (ec != std::errc() || addr == 0) return;
    std::string name(f[2]);
    if (f.size() > 3) name += " " + std::string(f[3]);
    symbols_.push_back({addr, std::move(name)});
  });
  std::sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
}

const Kallsyms::Symbol* Kallsyms::covering(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (it == symbols_.begin()) return nullptr;
  return &*std::prev(it);
}

std::string Kallsyms::function(uint64_t address) const {
  const Symbol* s = covering(address);
  if (!s) return "";
  return s->name.substr(0, s->name.find(' '));
}

std::string Kallsyms::symbolize(uint64_t address) const {
  const Symbol* s = covering(address);
  if (!s) return "";
  char off[24];
  std::snprintf(off, sizeof off, "+0x%llx", static_cast<unsigned long long>(address - s->address));
  size_t space = s->name.find(' ');
  if (space == std::string::npos) return s->name + off;
  return s->name.substr(0, space) + off + s->name.substr(space);
}

}  // namespace network_ebpf
