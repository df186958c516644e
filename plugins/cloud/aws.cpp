// AWS: the JSON `aws ec2 ...` and `aws elbv2 ...` print (the API's response
// with its top-level list: Reservations, SecurityGroups, RouteTables, Vpcs,
// Subnets, LoadBalancers, Listeners, TargetHealthDescriptions). docs/cloud.md
// names the file each call is saved as.
#include <map>

#include "providers.h"

namespace cloud {

// Named, not anonymous: each provider file has its own instances(), vpcs()...
namespace aws {

constexpr const char* kProvider = "aws";

void instance_row(Rows& rows, const Fields& i) {
  Fields placement = sub(i, "Placement"), cpu = sub(i, "CpuOptions");
  std::string zone = placement.text("AvailabilityZone"), id = i.text("InstanceId");
  std::vector<std::string> ips, public_ips, groups;
  each(i, "NetworkInterfaces", [&](const Fields& nic) {
    each(nic, "PrivateIpAddresses", [&](const Fields& a) { ips.push_back(a.text("PrivateIpAddress")); });
  });
  if (ips.empty() && !i.text("PrivateIpAddress").empty()) ips.push_back(i.text("PrivateIpAddress"));
  if (!i.text("PublicIpAddress").empty()) public_ips.push_back(i.text("PublicIpAddress"));
  each(i, "SecurityGroups", [&](const Fields& g) { groups.push_back(g.text("GroupId")); });
  auto cores = cpu.integer("CoreCount"), threads = cpu.integer("ThreadsPerCore");
  add_row(rows, [&](ks::JsonWriter& w) {
    w.field("provider", kProvider).field("instance_id", id);
    text_or_null(w, "name", tag_value(i, "Tags", "Name"));
    text_or_null(w, "hostname", i.text("PrivateDnsName"));
    // As the AWS cloud provider writes node.spec.providerID.
    w.field("provider_id", "aws:///" + zone + "/" + id);
    w.field("state", lower(sub(i, "State").text("Name")));
    text_or_null(w, "instance_type", i.text("InstanceType"));
    int_or_null(w, "vcpus", cores ? std::optional<int64_t>(*cores * threads.value_or(1)) : std::nullopt);
    w.null("memory_mib");
    text_or_null(w, "region", zone.empty() ? "" : zone.substr(0, zone.size() - 1));
    text_or_null(w, "zone", zone);
    text_or_null(w, "vpc_id", i.text("VpcId"));
    text_or_null(w, "subnet_id", i.text("SubnetId"));
    text_or_null(w, "private_ip", i.text("PrivateIpAddress"));
    texts_field(w, "private_ips", ips);
    texts_field(w, "node_keys", node_keys(id, ips));
    texts_field(w, "public_ips", public_ips);
    texts_field(w, "security_group_ids", groups);
    w.field("charge_type", i.text("InstanceLifecycle").empty() ? "on-demand" : i.text("InstanceLifecycle"));
    w.null("expires_at");
    text_or_null(w, "launched_at", time_at(i, "LaunchTime"));
    tags_field(w, i, "Tags", false);
  });
}

Rows instances(const CallDir& dir) {
  Rows rows;
  for (const auto& out : dir.load("describe-instances", "aws ec2 describe-instances"))
    each(root_of(out), "Reservations", [&](const Fields& r) { each(r, "Instances", [&](const Fields& i) { instance_row(rows, i); }); });
  return rows;
}

std::string protocol_name(const std::string& p) {
  if (p == "-1") return "all";
  if (p == "6") return "tcp";
  if (p == "17") return "udp";
  if (p == "1") return "icmp";
  return lower(p);
}

// One row per peer of one IpPermission.
void permission_rows(Rows& rows, const std::string& group, const char* direction, const Fields& p) {
  std::string protocol = protocol_name(p.text("IpProtocol"));
  bool ported = protocol == "tcp" || protocol == "udp" || protocol == "all";
  auto from = p.integer("FromPort"), to = p.integer("ToPort");
  if (protocol == "all" || (ported && (!from || *from < 0))) from = 0, to = 65535;
  auto peer = [&](const char* cidr, const char* peer_group, const char* prefix_list, const std::string& doc) {
    add_row(rows, [&](ks::JsonWriter& w) {
      w.field("provider", kProvider).field("group_id", group).field("direction", direction).field("protocol", protocol);
      int_or_null(w, "port_from", ported ? from : std::nullopt);
      int_or_null(w, "port_to", ported ? to : std::nullopt);
      text_or_null(w, "peer_cidr", cidr);
      text_or_null(w, "peer_group_id", peer_group);
      text_or_null(w, "peer_prefix_list", prefix_list);
      w.null("priority").field("policy", "accept");  // security groups only allow
      text_or_null(w, "description", doc);
    });
  };
  each(p, "IpRanges", [&](const Fields& r) { peer(r.text("CidrIp").c_str(), "", "", r.text("Description")); });
  each(p, "Ipv6Ranges", [&](const Fields& r) { peer(r.text("CidrIpv6").c_str(), "", "", r.text("Description")); });
  each(p, "UserIdGroupPairs", [&](const Fields& r) { peer("", r.text("GroupId").c_str(), "", r.text("Description")); });
  each(p, "PrefixListIds", [&](const Fields& r) { peer("", "", r.text("PrefixListId").c_str(), r.text("Description")); });
}

Rows security_groups(const CallDir& dir, bool rules) {
  Rows rows;
  for (const auto& out : dir.load("describe-security-groups", "aws ec2 describe-security-groups"))
    each(root_of(out), "SecurityGroups", [&](const Fields& g) {
      std::string id = g.text("GroupId");
      if (rules) {
        each(g, "IpPermissions", [&](const Fields& p) { permission_rows(rows, id, "ingress", p); });
        each(g, "IpPermissionsEgress", [&](const Fields& p) { permission_rows(rows, id, "egress", p); });
        return;
      }
      const json::array* in = g.array("IpPermissions");
      const json::array* eg = g.array("IpPermissionsEgress");
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("group_id", id);
        text_or_null(w, "name", g.text("GroupName"));
        text_or_null(w, "vpc_id", g.text("VpcId"));
        text_or_null(w, "description", g.text("Description"));
        w.null("inner_access_policy");
        w.field("ingress_permissions", static_cast<int64_t>(in ? in->size() : 0));
        w.field("egress_permissions", static_cast<int64_t>(eg ? eg->size() : 0));
        tags_field(w, g, "Tags", false);
      });
    });
  return rows;
}

// What a route sends to: the first target the route names.
std::pair<std::string, std::string> route_target(const Fields& r) {
  static const std::pair<const char*, const char*> kTargets[] = {
      {"InstanceId", "instance"},           {"NetworkInterfaceId", "network-interface"},
      {"NatGatewayId", "nat-gateway"},      {"TransitGatewayId", "transit-gateway"},
      {"VpcPeeringConnectionId", "vpc-peering"}, {"EgressOnlyInternetGatewayId", "egress-only-gateway"},
      {"LocalGatewayId", "local-gateway"},  {"CarrierGatewayId", "carrier-gateway"},
      {"GatewayId", "gateway"}};
  for (auto [key, type] : kTargets) {
    std::string id = r.text(key);
    if (!id.empty()) return {id == "local" ? "local" : type, id};
  }
  return {"", ""};
}

void route_rows(Rows& rows, const Fields& t) {
  std::string table = t.text("RouteTableId"), vpc = t.text("VpcId");
  each(t, "Routes", [&](const Fields& r) {
    // Not a structured binding: lambdas may not capture those before C++20 (clang < 16).
    std::pair<std::string, std::string> hop = route_target(r);
    const std::string &type = hop.first, &target = hop.second;
    std::string dest = r.text("DestinationCidrBlock");
    if (dest.empty()) dest = r.text("DestinationIpv6CidrBlock");
    if (dest.empty()) dest = r.text("DestinationPrefixListId");
    add_row(rows, [&](ks::JsonWriter& w) {
      w.field("provider", kProvider).field("route_table_id", table);
      text_or_null(w, "vpc_id", vpc);
      text_or_null(w, "destination", dest);
      text_or_null(w, "target_type", type);
      text_or_null(w, "target_id", target);
      text_or_null(w, "state", lower(r.text("State")));
      text_or_null(w, "origin", r.text("Origin"));
    });
  });
}

Rows route_tables(const CallDir& dir, bool routes) {
  Rows rows;
  for (const auto& out : dir.load("describe-route-tables", "aws ec2 describe-route-tables"))
    each(root_of(out), "RouteTables", [&](const Fields& t) {
      if (routes) return route_rows(rows, t);
      bool main = false;
      std::vector<std::string> subnets;
      each(t, "Associations", [&](const Fields& a) {
        if (a.boolean("Main").value_or(false)) main = true;
        if (!a.text("SubnetId").empty()) subnets.push_back(a.text("SubnetId"));
      });
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("route_table_id", t.text("RouteTableId"));
        text_or_null(w, "vpc_id", t.text("VpcId"));
        text_or_null(w, "name", tag_value(t, "Tags", "Name"));
        w.field("main", main);
        texts_field(w, "subnet_ids", subnets);
        w.null("router_id");
      });
    });
  return rows;
}

Rows vpcs(const CallDir& dir) {
  Rows rows;
  for (const auto& out : dir.load("describe-vpcs", "aws ec2 describe-vpcs"))
    each(root_of(out), "Vpcs", [&](const Fields& v) {
      std::vector<std::string> cidrs;
      each(v, "CidrBlockAssociationSet", [&](const Fields& a) {
        std::string state = sub(a, "CidrBlockState").text("State");
        if (state.empty() || state == "associated") cidrs.push_back(a.text("CidrBlock"));
      });
      if (cidrs.empty() && !v.text("CidrBlock").empty()) cidrs.push_back(v.text("CidrBlock"));
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("vpc_id", v.text("VpcId"));
        text_or_null(w, "name", tag_value(v, "Tags", "Name"));
        text_or_null(w, "cidr_block", v.text("CidrBlock"));
        texts_field(w, "cidr_blocks", cidrs);
        text_or_null(w, "state", lower(v.text("State")));
        w.field("is_default", v.boolean("IsDefault").value_or(false));
        w.null("region");
      });
    });
  return rows;
}

Rows subnets(const CallDir& dir) {
  Rows rows;
  for (const auto& out : dir.load("describe-subnets", "aws ec2 describe-subnets"))
    each(root_of(out), "Subnets", [&](const Fields& s) {
      add_row(rows, [&](ks::JsonWriter& w) {
        w.field("provider", kProvider).field("subnet_id", s.text("SubnetId"));
        text_or_null(w, "name", tag_value(s, "Tags", "Name"));
        text_or_null(w, "vpc_id", s.text("VpcId"));
        text_or_null(w, "cidr_block", s.text("CidrBlock"));
        text_or_null(w, "zone", s.text("AvailabilityZone"));
        text_or_null(w, "state", lower(s.text("State")));
        int_or_null(w, "available_ips", s.integer("AvailableIpAddressCount"));
      });
    });
  return rows;
}

}  // namespace aws

// Defined in aws_elb.cpp.
Rows aws_load_balancers(const CallDir& dir);

Rows aws_rows(const CallDir& dir, std::string_view table) {
  if (table == "cloud.instances") return aws::instances(dir);
  if (table == "cloud.security_groups") return aws::security_groups(dir, false);
  if (table == "cloud.security_group_rules") return aws::security_groups(dir, true);
  if (table == "cloud.route_tables") return aws::route_tables(dir, false);
  if (table == "cloud.routes") return aws::route_tables(dir, true);
  if (table == "cloud.vpcs") return aws::vpcs(dir);
  if (table == "cloud.subnets") return aws::subnets(dir);
  if (table == "cloud.load_balancers") return aws_load_balancers(dir);
  throw std::runtime_error("cloud has no table " + std::string(table));
}

}  // namespace cloud
