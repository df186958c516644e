// libFuzzer target: any bytes as a kubeconfig file, through kubectl's
// resolution rules (plugins/kube-apiserver/kubeconfig.cpp): contexts,
// clusters, users, exec settings. Property: a Connection or a
// std::exception, never a crash. Nothing is run or connected to.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "plugins/kube-apiserver/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/kinspect-kubeconfig-fuzz-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  kapi::ResolveOptions o;
  o.kubeconfig = path;
  o.service_account_dir = "/nonexistent";
  try {
    kapi::resolve_connection(o, nullptr);
  } catch (const std::exception&) {
  }
  return 0;
}
