// libFuzzer target: any bytes as an adapter's input file (--with TOOL=FILE),
// read through the plugin's own ABI exactly as the host reads it: create the
// plugin with {"input": FILE}, scan every table it declares, close. Built
// once per adapter (FUZZ_INPUT_NAME is the file name its tool writes).
// Property: every scan ends with rows or an error; never a crash, a hang or
// a sanitizer report.
#include <kinspect/abi.h>

#include <boost/json/parse.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
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

// One input file per fuzzing process, rewritten for each input.
const std::string& input_path() {
  static const std::string path = "/tmp/kinspect-fuzz-" + std::to_string(::getpid()) + "-" FUZZ_INPUT_NAME;
  return path;
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
  for (int i = 0; i < 100000; ++i) {
    ki_rc rc = api->scan_next(p, scan, &batch);
    if (rc != KI_OK) break;
  }
  api->scan_close(p, scan);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::FILE* f = std::fopen(input_path().c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  const ki_plugin_api* api = ki_plugin_entry(KI_ABI_MAJOR, KI_ABI_MINOR);
  std::string config = "{\"input\":\"" + input_path() + "\"}";
  ki_rc rc = KI_OK;
  ki_plugin_t* p = api->create(&kHost, config.c_str(), &rc);
  if (p && rc == KI_OK)
    for (const auto& t : tables_of(api, p)) scan_all(api, p, t);
  if (p) api->destroy(p);
  return 0;
}
