// cloud: what a cloud provider says about the cluster's machines and network,
// as cloud.* tables read from the saved JSON output of the provider's own
// CLI or API calls (one folder per provider: cloud.aws_dir, cloud.aliyun_dir).
// Nothing is fetched from the cloud: the operator saves the calls with
// credentials kinspect never sees. See docs/cloud.md.
#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <optional>
#include <stdexcept>

#include "adapter.h"
#include "providers.h"
#include "tables.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace cloud {

namespace {

struct Settings {
  std::string aws_dir, aliyun_dir;
  int64_t max_file_bytes = kDefaultMaxFileBytes;
};

Settings parse_settings(std::string_view config) {
  json::error_code ec;
  json::value cfg = json::parse(config.empty() ? std::string_view("{}") : config, ec);
  if (ec || !cfg.is_object()) throw std::runtime_error("cloud: settings must be a JSON object, got: " + std::string(config));
  Settings s;
  for (const auto& [key, v] : cfg.as_object()) {
    if (key == "aws_dir" || key == "aliyun_dir") {
      if (!v.is_string() || v.as_string().empty())
        throw std::runtime_error("cloud: setting " + std::string(key) + " must be a folder, got " + json::serialize(v));
      (key == "aws_dir" ? s.aws_dir : s.aliyun_dir) = v.as_string();
    } else if (key == "max_file_bytes") {
      if (!v.is_int64() || v.as_int64() <= 0)
        throw std::runtime_error("cloud: setting max_file_bytes must be a positive integer, got " + json::serialize(v));
      s.max_file_bytes = v.as_int64();
    }  // any other key: the host refuses it against settings() with a did-you-mean
  }
  return s;
}

class CloudDriver : public ks::Plugin {
 public:
  // A folder that is not there is a mistake in the command line: the plugin
  // does not start, and the run says so (exit 2).
  CloudDriver(const ks::Host&, std::string_view config) : settings_(parse_settings(config)) {
    if (!settings_.aws_dir.empty()) aws_.emplace("cloud.aws_dir", settings_.aws_dir, settings_.max_file_bytes);
    if (!settings_.aliyun_dir.empty()) aliyun_.emplace("cloud.aliyun_dir", settings_.aliyun_dir, settings_.max_file_bytes);
  }

  std::vector<ks::SettingSpec> settings() const override {
    using T = ks::Type;
    return {{"aws_dir", T::Text, "null", "a folder of saved `aws ec2 ...`/`aws elbv2 ...` outputs, named as docs/cloud.md lists"},
            {"aliyun_dir", T::Text, "null", "a folder of saved Alibaba Cloud `aliyun ecs|vpc|slb ...` outputs, named as docs/cloud.md lists"},
            {"max_file_bytes", T::Integer, "268435456", "the most bytes read from one saved output"}};
  }

  std::vector<ks::TableSpec> tables() const override { return table_specs(); }

  // Every provider given must have the table's calls saved, else the table is
  // unavailable: rows of one provider would read as "the other has none".
  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override {
    std::string table(ctx.table());
    if (!aws_ && !aliyun_)
      throw ks::Unavailable("not provided", "no saved cloud API outputs: pass --set cloud.aws_dir=DIR or --set cloud.aliyun_dir=DIR (docs/cloud.md)");
    Rows rows;
    if (aws_) rows = aws_rows(*aws_, table);
    if (aliyun_)
      for (auto& r : aliyun_rows(*aliyun_, table)) rows.push_back(std::move(r));
    return kinspect::adapters::scan_rows(std::move(rows));
  }

 private:
  Settings settings_;
  std::optional<CallDir> aws_, aliyun_;
};

}  // namespace

}  // namespace cloud

KINSPECT_PLUGIN(cloud::CloudDriver, "cloud", "1.0.0",
                "Cloud machines and networks from saved provider API outputs: instances, security groups and rules, VPCs, "
                "subnets, route tables, load balancers (AWS: set aws_dir; Alibaba Cloud: set aliyun_dir)",
                KI_KIND_DRIVER)
