// Alibaba Cloud: the JSON the `aliyun` CLI prints for each OpenAPI call (the
// response object, lists wrapped as {"Instances": {"Instance": [...]}}):
// ECS DescribeInstances and DescribeSecurityGroupAttribute (one file per
// group), VPC DescribeVpcs, DescribeVSwitches, DescribeRouteTableList and
// DescribeRouteEntryList, SLB DescribeLoadBalancerAttribute and
// DescribeHealthStatus (one file per load balancer, named after its ID).
#include <algorithm>
#include <map>

#include "providers.h"

namespace cloud {

// Named, not anonymous: each provider file has its own instances(), vpcs()...
namespace aliyun {

constexpr const char* kProvider = "aliyun";

void instance_row(Rows& rows, const Fields& i) {
  Fields vpc = sub(i, "VpcAttributes");
  std::string id = i.text("InstanceId"), region = i.text("RegionId");
  std::vector<std::string> ips = texts_in(vpc, "PrivateIpAddress", "IpAddress");
  each_in(i, "NetworkInterfaces", "NetworkInterface", [&](const Fields& nic) {
    each_in(nic, "PrivateIpSets", "PrivateIpSet", [&](const Fields& a) {
      std::string ip = a.text("PrivateIpAddress");
      if (std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(ip);
    });
  });
  std::vector<std::string> public_ips = texts_in(i, "PublicIpAddress", "IpAddress");
  if (!sub(i, "EipAddress").text("IpAddress").empty()) public_ips.push_back(sub(i, "EipAddress").text("IpAddress"));
  auto memory = i.integer("Memory");
  add_row(rows, [&](ks::JsonWriter& w) {
    w.field("provider", kProvider).field("instance_id", id);
    text_or_null(w, "name", i.text("InstanceName"));
    text_or_null(w, "hostname", i.text("HostName"));
    // As Alibaba Cloud's cloud controller manager writes node.spec.providerID
    // (some clusters prefix it with alicloud://).
    w.field("provider_id", region + "." + id);
    w.field("state", lower(i.text("Status")));
    text_or_null(w, "instance_type", i.text("InstanceType"));
    int_or_null(w, "vcpus", i.integer("Cpu"));
    int_or_null(w, "memory_mib", memory);
    text_or_null(w, "region", region);
    text_or_null(w, "zone", i.text("ZoneId"));
    text_or_null(w, "vpc_id", vpc.text("VpcId"));
    text_or_null(w, "subnet_id", vpc.text("VSwitchId"));
    text_or_null(w, "private_ip", ips.empty() ? std::string() : ips.front());
    texts_field(w, "private_ips", ips);
    texts_field(w, "node_keys", node_keys(id, ips));
    texts_field(w, "public_ips", public_ips);
    texts_field(w, "security_group_ids", texts_in(i, "SecurityGroupIds", "SecurityGroupId"));
    text_or_null(w, "charge_type", i.text("InstanceChargeType"));
    // Only a subscription (PrePaid) ends; pay-as-you-go instances carry a
    // far-future ExpiredTime that means nothing.
    text_or_null(w, "expires_at", i.text("InstanceChargeType") == "PrePaid" ? time_at(i, "ExpiredTime") : "");
    text_or_null(w, "launched_at", time_at(i, "CreationTime"));
    tags_field(w, i, "Tags", true);
  });
}

Rows instances(const CallDir& dir) {
  Rows rows;
  for (const auto& out : dir.load("DescribeInstances", "aliyun ecs DescribeInstances"))
    each_in(root_of(out), "Instances", "Instance", [&](const Fields& i) { instance_row(rows, i); });
  return rows;
}

// "80/80" -> {80, 80}; "-1/-1" (every port) -> {0, 65535}.
std::pair<std::optional<int64_t>, std::optional<int64_t>> port_range(const Fields& p) {
  std::string r = p.text("PortRange");
  size_t slash = r.find('/');
  if (r.empty()) return {std::nullopt, std::nullopt};
  try {
    size_t used_a = 0, used_b = 0;
    int64_t a = std::stoll(r.substr(0, slash), &used_a), b = std::stoll(r.substr(slash + 1), &used_b);
    if (slash == std::string::npos || used_a != slash || used_b != r.size() - slash - 1) throw std::invalid_argument(r);
    if (a < 0 || b < 0) return {0, 65535};
    return {a, b};
  } catch (const std::exception&) {
    throw std::runtime_error(p.at("PortRange") + ": expected FROM/TO such as \"6443/6443\", got \"" + r + "\"");
  }
}

void permission_row(Rows& rows, const std::string& group, const Fields& p) {
  std::string direction = lower(p.text("Direction")), protocol = lower(p.text("IpProtocol"));
  bool in = direction != "egress";
  bool ported = protocol == "tcp" || protocol == "udp" || protocol == "all";
  // Not a structured binding: lambdas may not capture those before C++20 (clang < 16).
  std::pair<std::optional<int64_t>, std::optional<int64_t>> ports = port_range(p);
  std::optional<int64_t> &from = ports.first, &to = ports.second;
  if (protocol == "all") from = 0, to = 65535;
  std::string cidr = p.text(in ? "SourceCidrIp" : "DestCidrIp");
  if (cidr.empty()) cidr = p.text(in ? "Ipv6SourceCidrIp" : "Ipv6DestCidrIp");
  add_row(rows, [&](ks::JsonWriter& w) {
    w.field("provider", kProvider).field("group_id", group).field("direction", direction).field("protocol", protocol);
    int_or_null(w, "port_from", ported ? from : std::nullopt);
    int_or_null(w, "port_to", ported ? to : std::nullopt);
    text_or_null(w, "peer_cidr", cidr);
    text_or_null(w, "peer_group_id", p.text(in ? "SourceGroupId" : "DestGroupId"));
    text_or_null(w, "peer_prefix_list", p.text(in ? "SourcePrefixListId" : "DestPrefixListId"));
    int_or_null(w, "priority", int_or_text(p, "Priority"));
    text_or_null(w, "policy", lower(p.text("Policy").empty() ? "accept" : p.text("Policy")));
    text_or_null(w, "description", p.text("Description"));
  });
}

Rows security_groups(const CallDir& dir, bool rules) {
  Rows rows;
  for (const auto& out : dir.load("DescribeSecurityGroupAttribute", "aliyun ecs DescribeSecurityGroupAttribute --SecurityGroupId ID")) {
    Fields g = root_of(out);
    std::string id = g.text("SecurityGroupId");
    int64_t ingress = 0, egress = 0;
    each_in(g, "Permissions", "Permission", [&](const Fields& p) {
      if (rules) permission_row(rows, id, p);
      ++(lower(p.text("Direction")) == "egress" ? egress : ingress);
    });
    if (rules) continue;
    add_row(rows, [&](ks::JsonWriter& w) {
      w.field("provider", kProvider).field("group_id", id);
      text_or_null(w, "name", g.text("SecurityGroupName"));
      text_or_null(w, "vpc_id", g.text("VpcId"));
      text_or_null(w, "description", g.text("Description"));
      // Accept (the default): instances in the group reach each other on every port.
      text_or_null(w, "inner_access_policy", lower(g.text("InnerAccessPolicy")));
      w.field("ingress_permissions", ingress).field("egress_permissions", egress);
      w.object("tags");
    });
  }
  return rows;
}

Rows route_tables(const CallDir& dir) {
  Rows rows;
  for (const auto& out : dir.load("DescribeRouteTableList", "aliyun vpc DescribeRouteTableList"))
    each_in(root_of(out), "RouterTableList", "RouterTableListType", [&](const Fields& t) {
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("route_table_id", t.text("RouteTableId"));
        text_or_null(w, "vpc_id", t.text("VpcId"));
        text_or_null(w, "name", t.text("RouteTableName"));
        w.field("main", t.text("RouteTableType") == "System");  // the VPC's system table serves vSwitches without their own
        texts_field(w, "subnet_ids", texts_in(t, "VSwitchIds", "VSwitchId"));
        text_or_null(w, "router_id", t.text("RouterId"));
      });
    });
  return rows;
}

// Which VPC each route table belongs to, when DescribeRouteTableList was saved too.
std::map<std::string, std::string> table_vpcs(const CallDir& dir) {
  std::map<std::string, std::string> out;
  if (!dir.has("DescribeRouteTableList")) return out;
  for (const auto& f : dir.load("DescribeRouteTableList", "aliyun vpc DescribeRouteTableList"))
    each_in(root_of(f), "RouterTableList", "RouterTableListType",
            [&](const Fields& t) { out[t.text("RouteTableId")] = t.text("VpcId"); });
  return out;
}

Rows routes(const CallDir& dir) {
  std::map<std::string, std::string> vpc_of = table_vpcs(dir);
  Rows rows;
  for (const auto& out : dir.load("DescribeRouteEntryList", "aliyun vpc DescribeRouteEntryList --RouteTableId ID"))
    each_in(root_of(out), "RouteEntrys", "RouteEntry", [&](const Fields& r) {
      std::string type = r.text("NextHopType"), target = r.text("InstanceId");
      each_in(r, "NextHops", "NextHop", [&](const Fields& h) {
        if (type.empty()) type = h.text("NextHopType"), target = h.text("NextHopId");
      });
      std::string state = lower(r.text("Status"));
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("route_table_id", r.text("RouteTableId"));
        text_or_null(w, "vpc_id", vpc_of[r.text("RouteTableId")]);
        text_or_null(w, "destination", r.text("DestinationCidrBlock"));
        text_or_null(w, "target_type", lower(type));
        text_or_null(w, "target_id", target);
        text_or_null(w, "state", state == "available" ? "active" : state);
        text_or_null(w, "origin", r.text("Type"));
      });
    });
  return rows;
}

Rows vpcs(const CallDir& dir) {
  Rows rows;
  for (const auto& out : dir.load("DescribeVpcs", "aliyun vpc DescribeVpcs"))
    each_in(root_of(out), "Vpcs", "Vpc", [&](const Fields& v) {
      std::vector<std::string> cidrs{v.text("CidrBlock")};
      for (auto& c : texts_in(v, "SecondaryCidrBlocks", "SecondaryCidrBlock")) cidrs.push_back(c);
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("vpc_id", v.text("VpcId"));
        text_or_null(w, "name", v.text("VpcName"));
        text_or_null(w, "cidr_block", v.text("CidrBlock"));
        texts_field(w, "cidr_blocks", cidrs);
        text_or_null(w, "state", lower(v.text("Status")));
        w.field("is_default", v.boolean("IsDefault").value_or(false));
        text_or_null(w, "region", v.text("RegionId"));
      });
    });
  return rows;
}

Rows vswitches(const CallDir& dir) {
  Rows rows;
  for (const auto& out : dir.load("DescribeVSwitches", "aliyun vpc DescribeVSwitches"))
    each_in(root_of(out), "VSwitches", "VSwitch", [&](const Fields& s) {
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("subnet_id", s.text("VSwitchId"));
        text_or_null(w, "name", s.text("VSwitchName"));
        text_or_null(w, "vpc_id", s.text("VpcId"));
        text_or_null(w, "cidr_block", s.text("CidrBlock"));
        text_or_null(w, "zone", s.text("ZoneId"));
        text_or_null(w, "state", lower(s.text("Status")));
        int_or_null(w, "available_ips", s.integer("AvailableIpAddressCount"));
      });
    });
  return rows;
}

}  // namespace aliyun

// Defined in aliyun_slb.cpp.
Rows aliyun_load_balancers(const CallDir& dir);

Rows aliyun_rows(const CallDir& dir, std::string_view table) {
  if (table == "cloud.instances") return aliyun::instances(dir);
  if (table == "cloud.security_groups") return aliyun::security_groups(dir, false);
  if (table == "cloud.security_group_rules") return aliyun::security_groups(dir, true);
  if (table == "cloud.route_tables") return aliyun::route_tables(dir);
  if (table == "cloud.routes") return aliyun::routes(dir);
  if (table == "cloud.vpcs") return aliyun::vpcs(dir);
  if (table == "cloud.subnets") return aliyun::vswitches(dir);
  if (table == "cloud.load_balancers") return aliyun_load_balancers(dir);
  throw std::runtime_error("cloud has no table " + std::string(table));
}

}  // namespace cloud
