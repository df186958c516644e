// network: the network state of one Linux host (or of one network namespace
// on it) as net.* tables: links, addresses, routes, rules and neighbours
// through rtnetlink; sysctls, sockets, conntrack and IPVS from /proc;
// resolv.conf; iptables, ip6tables and nftables rulesets from their save
// tools (or saved dumps). See docs/network.md.
#include <kinspect/sdk.hpp>

#include <boost/json.hpp>

#include <sys/stat.h>

#include <stdexcept>

#include "common/host_fs.h"
#include "reader.h"
#include "tables.h"

namespace ks = kinspect::sdk;
namespace json = boost::json;

namespace network {

namespace {

std::string text_setting(const json::key_value_pair& kv) {
  if (!kv.value().is_string() || kv.value().as_string().empty())
    throw std::runtime_error("network: setting " + std::string(kv.key()) + " must be a non-empty string, got " +
                             json::serialize(kv.value()));
  return std::string(kv.value().as_string());
}

Settings parse_settings(std::string_view config) {
  json::error_code ec;
  json::value cfg = json::parse(config, ec);
  if (ec || !cfg.is_object()) throw std::runtime_error("network: settings must be a JSON object, got: " + std::string(config));
  Settings s;
  for (const auto& kv : cfg.as_object()) {
    const std::string key(kv.key());
    if (key == "netns") s.netns = text_setting(kv);
    else if (key == "root") s.root = text_setting(kv);
    else if (key == "iptables_save") s.iptables_save = text_setting(kv);
    else if (key == "ip6tables_save") s.ip6tables_save = text_setting(kv);
    else if (key == "nft_json") s.nft_json = text_setting(kv);
    else if (key == "ip_vs") s.ip_vs = text_setting(kv);
    // any other key: the host refuses it against settings() with a did-you-mean
  }
  if (s.root.front() != '/') throw std::runtime_error("network: setting root must be an absolute path such as \"/host\", got " + s.root);
  struct stat st;
  if (::stat(s.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw std::runtime_error("network: root " + s.root + " is not a directory");
  if (s.netns.find('/') != std::string::npos || s.netns == "." || s.netns == "..")
    throw std::runtime_error("network: setting netns must be a name under /var/run/netns (as `ip netns` shows), got " + s.netns);
  return s;
}

class NetworkDriver : public ks::Plugin {
 public:
  NetworkDriver(const ks::Host& host, std::string_view config) : host_(host), settings_(parse_settings(config)) {}

  std::vector<ks::SettingSpec> settings() const override {
    using T = ks::Type;
    return {{"netns", T::Text, "null", "read this named network namespace (as `ip netns` lists it) instead of ours"},
            {"root", T::Text, "\"/\"", "the host's root, \"/host\" in a DaemonSet that mounts it there"},
            {"iptables_save", T::Text, "null", "read this saved `iptables-save -c` output instead of running it"},
            {"ip6tables_save", T::Text, "null", "read this saved `ip6tables-save -c` output instead of running it"},
            {"nft_json", T::Text, "null", "read this saved `nft -j list ruleset` output instead of running it"},
            {"ip_vs", T::Text, "null", "read this saved /proc/net/ip_vs instead of the live one"}};
  }

  std::vector<ks::TableSpec> tables() const override { return table_specs(); }

  std::unique_ptr<ks::Scan> scan(const ks::ScanContext& ctx) override {
    return make_scan(ctx, settings_, host_, cache_);
  }

 private:
  ks::Host host_;
  Settings settings_;
  DumpCache cache_;
};

}  // namespace

}  // namespace network

KINSPECT_PLUGIN(network::NetworkDriver, "network", "1.0.0",
                "Network state of a Linux host or namespace: links, routes, neighbours, sysctls, sockets, iptables and "
                "nftables rules (set netns to read a named network namespace, root for a host mounted elsewhere)",
                KI_KIND_DRIVER)
