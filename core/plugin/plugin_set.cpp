#include "core/plugin/plugin_set.h"

namespace kinspect {

PluginSet::PluginSet(RegistryOptions options) : options_(std::move(options)) {
  options_.isolate = true;
  current_ = std::make_shared<PluginRegistry>();
}

std::shared_ptr<PluginRegistry> PluginSet::snapshot() const {
  std::lock_guard<std::mutex> lock(swap_mutex_);
  return current_;
}

uint64_t PluginSet::generation() const {
  std::lock_guard<std::mutex> lock(swap_mutex_);
  return generation_;
}

void PluginSet::set_options(RegistryOptions options) {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  options_ = std::move(options);
  options_.isolate = true;
}

std::vector<LoadProblem> PluginSet::reload() {
  std::lock_guard<std::mutex> reloading(reload_mutex_);
  std::shared_ptr<PluginRegistry> before = snapshot();
  auto next = std::make_shared<PluginRegistry>();
  std::vector<LoadProblem> problems = next->load(options_, before.get());
  {
    std::lock_guard<std::mutex> lock(swap_mutex_);
    current_ = std::move(next);
    ++generation_;
  }
  // `before` goes here; its plugins live on in the new registry or in the
  // runs that still hold it.
  return problems;
}

}  // namespace kinspect
