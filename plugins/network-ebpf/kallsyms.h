// Kernel text addresses to "function+0xoffset" through /proc/kallsyms, for
// the drop location and the frames of drop stacks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace network_ebpf {

class Kallsyms {
 public:
  // Reads `path` (normally /proc/kallsyms). Text symbols only (t/T/w/W).
  // Throws std::runtime_error naming the file when it cannot be read. When
  // kptr_restrict hides the addresses (all zero) every lookup gives "".
  explicit Kallsyms(const std::string& path);
  // "nf_hook_slow+0x8f", with " [module]" for a module's symbol; "" when no
  // symbol covers the address or addresses are hidden.
  std::string symbolize(uint64_t address) const;
  // The function name alone ("nf_hook_slow"), "" as above.
  std::string function(uint64_t address) const;
  size_t size() const { return symbols_.size(); }

 private:
  struct Symbol {
    uint64_t address;
    std::string name;  // with " [module]" when from a module
  };
  const Symbol* covering(uint64_t address) const;
  std::vector<Symbol> symbols_;
};

}  // namespace network_ebpf
