// libFuzzer target: any bytes through the streaming YAML -> JSON reader
// (plugins/kube-apiserver/yaml_json.cpp), as a snapshot file is read.
// Property: it ends (alias bombs are refused by the budget) with JSON that
// Boost.JSON accepts, or with a std::exception; never a crash or a hang.
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "plugins/kube-apiserver/yaml_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  // Small reads, so that lines and items cross buffer boundaries.
  kapi::YamlReader reader(
      [&](char* buf, size_t n) {
        size_t k = std::min({n, in.size() - pos, size_t(97)});
        std::memcpy(buf, in.data() + pos, k);
        pos += k;
        return k;
      },
      "fuzz.yaml");
  std::string json;
  try {
    while (reader.next(json)) {
      boost::system::error_code ec;
      boost::json::parse(json, ec);
      if (ec) std::abort();  // the converter wrote something that is not JSON
    }
  } catch (const std::exception&) {
  }
  return 0;
}
