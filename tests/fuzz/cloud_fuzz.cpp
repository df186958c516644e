// libFuzzer target: any bytes as the saved output of every call the cloud
// plugin reads for one provider (FUZZ_PROVIDER: aws or aliyun), read through
// the plugin's own ABI exactly as the host reads it: the bytes are written as
// each call's file in a scratch folder, the plugin is created with that
// folder as its <provider>_dir, and every table is scanned. Property: every
// scan ends with rows, an error or "not provided"; never a crash, a hang or
// a sanitizer report.
#include <kinspect/abi.h>

#include <boost/json/parse.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

extern "C" const ki_plugin_api* ki_plugin_entry(uint16_t, uint16_t);

namespace {

void host_log(ki_host_t*, uint32_t, const char*, const char*) {}
ki_bool host_cancelled(ki_host_ctx_t*) { return 0; }
ki_rc host_table_open(ki_host_ctx_t*, const ki_scan_request*, ki_host_cursor_t**) { return KI_UNSUPPORTED; }
ki_rc host_table_next(ki_host_cursor_t*, ki_host_buf*) { return KI_EOF; }
void host_table_close(ki_host_cursor_t*) {}
const char* host_last_error(ki_host_ctx_t*) { return "unsupported"; }

const ki_host_api kHost{sizeof(ki_host_api), KI_ABI_MAJOR, KI_ABI_MINOR, nullptr, host_log, host_cancelled,
                        host_table_open, host_table_next, host_table_close, host_last_error};

// The files one provider's calls are saved as (docs/cloud.md); the per-group
// and per-balancer ones under the IDs of the seed corpus.
const std::vector<std::string>& call_files() {
  static const std::vector<std::string> aws = {
      "describe-instances.json", "describe-security-groups.json", "describe-route-tables.json", "describe-vpcs.json",
      "describe-subnets.json", "describe-load-balancers.json", "describe-listeners.json",
      "describe-target-health-example-apiserver.json"};
  static const std::vector<std::string> aliyun = {
      "DescribeInstances.json", "DescribeSecurityGroupAttribute-sg-1.json", "DescribeRouteTableList.json",
      "DescribeRouteEntryList.json", "DescribeVpcs.json", "DescribeVSwitches.json",
      "DescribeLoadBalancerAttribute-lb-bp1o94dp5i6earr9g0001.json", "DescribeHealthStatus-lb-bp1o94dp5i6earr9g0001.json"};
  return std::string(FUZZ_PROVIDER) == "aws" ? aws : aliyun;
}

// Never destroyed, so the exit handler that removes it can still read it.
const std::string& scratch_dir() {
  static const std::string* dir = [] {
    auto* d = new std::string("/tmp/kinspect-fuzz-cloud-" FUZZ_PROVIDER "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

std::vector<std::string> tables_of(const ki_plugin_api* api, ki_plugin_t* p) {
  std::vector<std::string> out;
  boost::json::value d = boost::json::parse(api->describe(p));
  for (const auto& t : d.at("tables").as_array()) out.emplace_back(t.at("name").as_string());
  return out;
}

void scan_all(const ki_plugin_api* api, ki_plugin_t* p, const std::string& table) {
  ki_scan_request req{};
  req.struct_size = sizeof req;
  req.table = table.c_str();
  ki_scan_t* scan = nullptr;
  if (api->scan_open(p, &req, &scan) != KI_OK) return;
  ki_plugin_buf batch{};
  for (int i = 0; i < 100000; ++i)
    if (api->scan_next(p, scan, &batch) != KI_OK) break;
  api->scan_close(p, scan);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const auto& name : call_files()) {
    std::FILE* f = std::fopen((scratch_dir() + "/" + name).c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  const ki_plugin_api* api = ki_plugin_entry(KI_ABI_MAJOR, KI_ABI_MINOR);
  std::string config = "{\"" FUZZ_PROVIDER "_dir\":\"" + scratch_dir() + "\"}";
  ki_rc rc = KI_OK;
  ki_plugin_t* p = api->create(&kHost, config.c_str(), &rc);
  if (p && rc == KI_OK)
    for (const auto& t : tables_of(api, p)) scan_all(api, p, t);
  if (p) api->destroy(p);
  return 0;
}
