// The cloud plugin's tables: names, columns and their meaning, in one place
// (docs/cloud.md describes the same). Every table has the same columns for
// AWS and Alibaba Cloud; `provider` says whose a row is.
#include "tables.h"

namespace cloud {

namespace {

using T = ks::Type;

const ks::ColumnSpec kProviderColumn{"provider", T::Text, "aws or aliyun"};

ks::TableSpec instances() {
  return {"cloud.instances",
          "Virtual machines: AWS EC2 instances (describe-instances), Alibaba Cloud ECS instances (DescribeInstances).",
          {kProviderColumn,
           {"instance_id", T::Text, "i-0abc... (AWS), i-bp1... (Alibaba Cloud)"},
           {"name", T::Text, "The Name tag (AWS) or InstanceName"},
           {"hostname", T::Text, "PrivateDnsName (AWS) or HostName"},
           {"provider_id", T::Text, "As the provider's cloud controller writes node.spec.providerID: aws:///ZONE/ID, or REGION.ID for Alibaba Cloud (clusters may prefix alicloud://)"},
           {"state", T::Text, "Lower case: pending, running, stopping, stopped, shutting-down, terminated (AWS); pending, starting, running, stopping, stopped (Alibaba Cloud)"},
           {"instance_type", T::Text, "m5.large, ecs.g7.xlarge..."},
           {"vcpus", T::Integer, "vCPUs: CoreCount x ThreadsPerCore (AWS), Cpu (Alibaba Cloud)"},
           {"memory_mib", T::Integer, "Memory in MiB (Alibaba Cloud's Memory); NULL for AWS, whose describe-instances does not say"},
           {"region", T::Text, "Region"},
           {"zone", T::Text, "Availability zone"},
           {"vpc_id", T::Text, "VPC"},
           {"subnet_id", T::Text, "Subnet (AWS) or vSwitch (Alibaba Cloud)"},
           {"private_ip", T::Text, "Primary private IPv4 address"},
           {"private_ips", T::Json, "Every private address of every interface, an array"},
           {"node_keys", T::Json, "What a k8s.nodes row is matched by: the instance ID (node.spec.providerID ends with it) and every private address (a node without a provider ID by its InternalIP); join with UNNEST(i.node_keys) AS k ... ON k = coalesce(regex_extract(n.spec.providerID, '[/.](i-[0-9a-z]+)$'), n.status.addresses[type = 'InternalIP'].address)"},
           {"public_ips", T::Json, "Public and elastic addresses, an array"},
           {"security_group_ids", T::Json, "The instance's security groups, an array of IDs"},
           {"charge_type", T::Text, "on-demand or spot (AWS InstanceLifecycle); PrePaid (subscription) or PostPaid (Alibaba Cloud)"},
           {"expires_at", T::Timestamp, "When a subscription (PrePaid) instance is released (Alibaba Cloud ExpiredTime); NULL when it does not expire"},
           {"launched_at", T::Timestamp, "LaunchTime (AWS) or CreationTime"},
           {"tags", T::Json, "Tags as an object"}},
          {},
          {"SELECT provider, instance_id, state, instance_type, private_ip FROM cloud.instances",
           "SELECT n.metadata.name, i.instance_id, i.state FROM cloud.instances i, UNNEST(i.node_keys) AS k JOIN k8s.nodes n ON k = coalesce(regex_extract(n.spec.providerID, '[/.](i-[0-9a-z]+)$'), n.status.addresses[type = 'InternalIP'].address)"}};
}

ks::TableSpec security_groups() {
  return {"cloud.security_groups",
          "Security groups (AWS describe-security-groups, Alibaba Cloud DescribeSecurityGroupAttribute).",
          {kProviderColumn,
           {"group_id", T::Text, "sg-..."},
           {"name", T::Text, "Group name"},
           {"vpc_id", T::Text, "VPC"},
           {"description", T::Text, "Description"},
           {"inner_access_policy", T::Text, "Alibaba Cloud: accept (members reach each other on every port, the default) or drop; NULL for AWS, where only rules allow"},
           {"ingress_permissions", T::Integer, "Inbound permissions (AWS IpPermissions, Alibaba Cloud rules)"},
           {"egress_permissions", T::Integer, "Outbound permissions"},
           {"tags", T::Json, "Tags as an object"}},
          {},
          {"SELECT group_id, name, vpc_id FROM cloud.security_groups"}};
}

ks::TableSpec security_group_rules() {
  return {"cloud.security_group_rules",
          "Security group rules, one row per peer (an AWS permission naming two CIDRs is two rows).",
          {kProviderColumn,
           {"group_id", T::Text, "The group the rule belongs to"},
           {"direction", T::Text, "ingress or egress"},
           {"protocol", T::Text, "tcp, udp, icmp, all, ... (lower case; AWS -1 is all)"},
           {"port_from", T::Integer, "First port (0 for every port); NULL for protocols without ports"},
           {"port_to", T::Integer, "Last port (65535 for every port)"},
           {"peer_cidr", T::Text, "The source (ingress) or destination (egress) IPv4 or IPv6 CIDR, else NULL"},
           {"peer_group_id", T::Text, "The source or destination security group, else NULL"},
           {"peer_prefix_list", T::Text, "The prefix list, else NULL"},
           {"priority", T::Integer, "Alibaba Cloud priority, 1 (first) to 100; NULL for AWS"},
           {"policy", T::Text, "accept or drop (AWS rules always accept)"},
           {"description", T::Text, "Description"}},
          {},
          {"SELECT group_id, protocol, port_from, port_to, peer_cidr, peer_group_id FROM cloud.security_group_rules WHERE direction = 'ingress' AND port_from <= 6443 AND port_to >= 6443"}};
}

ks::TableSpec route_tables() {
  return {"cloud.route_tables",
          "VPC route tables (AWS describe-route-tables, Alibaba Cloud DescribeRouteTableList).",
          {kProviderColumn,
           {"route_table_id", T::Text, "rtb-... / vtb-..."},
           {"vpc_id", T::Text, "VPC"},
           {"name", T::Text, "Name"},
           {"main", T::Boolean, "The VPC's main (AWS) or system (Alibaba Cloud) table, used by subnets without their own"},
           {"subnet_ids", T::Json, "Subnets or vSwitches explicitly associated, an array"},
           {"router_id", T::Text, "Alibaba Cloud vRouter; NULL for AWS"}},
          {},
          {"SELECT route_table_id, vpc_id, main FROM cloud.route_tables"}};
}

ks::TableSpec routes() {
  return {"cloud.routes",
          "Routes of the VPC route tables (AWS describe-route-tables, Alibaba Cloud DescribeRouteEntryList).",
          {kProviderColumn,
           {"route_table_id", T::Text, "The table"},
           {"vpc_id", T::Text, "The table's VPC (Alibaba Cloud: from DescribeRouteTableList when saved, else NULL)"},
           {"destination", T::Text, "Destination CIDR (or AWS prefix list)"},
           {"target_type", T::Text, "instance, network-interface, gateway, local, nat-gateway, ... (AWS); instance, havip, routerinterface, ... (Alibaba Cloud NextHopType, lower case)"},
           {"target_id", T::Text, "The next hop's ID (an instance ID for instance routes)"},
           {"state", T::Text, "active or blackhole (AWS); active (Alibaba Cloud Available), pending, modifying"},
           {"origin", T::Text, "CreateRouteTable/CreateRoute/EnableVgwRoutePropagation (AWS); System/Custom/BGP (Alibaba Cloud)"}},
          {},
          {"SELECT route_table_id, destination, target_type, target_id FROM cloud.routes WHERE target_type = 'instance'"}};
}

ks::TableSpec vpcs() {
  return {"cloud.vpcs",
          "VPCs (AWS describe-vpcs, Alibaba Cloud DescribeVpcs).",
          {kProviderColumn,
           {"vpc_id", T::Text, "vpc-..."},
           {"name", T::Text, "Name"},
           {"cidr_block", T::Text, "Primary IPv4 CIDR"},
           {"cidr_blocks", T::Json, "Every associated IPv4 CIDR (primary and secondary), an array"},
           {"state", T::Text, "available, pending (lower case)"},
           {"is_default", T::Boolean, "The region's default VPC"},
           {"region", T::Text, "Region (Alibaba Cloud); NULL for AWS"}},
          {},
          {"SELECT vpc_id, cidr_blocks, state FROM cloud.vpcs"}};
}

ks::TableSpec subnets() {
  return {"cloud.subnets",
          "Subnets (AWS describe-subnets) and vSwitches (Alibaba Cloud DescribeVSwitches).",
          {kProviderColumn,
           {"subnet_id", T::Text, "subnet-... / vsw-..."},
           {"name", T::Text, "Name"},
           {"vpc_id", T::Text, "VPC"},
           {"cidr_block", T::Text, "IPv4 CIDR"},
           {"zone", T::Text, "Availability zone"},
           {"state", T::Text, "available, pending (lower case)"},
           {"available_ips", T::Integer, "Free addresses"}},
          {},
          {"SELECT subnet_id, vpc_id, cidr_block, available_ips FROM cloud.subnets"}};
}

ks::TableSpec load_balancers() {
  return {"cloud.load_balancers",
          "Load balancers with their listeners and backends' health (AWS elbv2 describe-load-balancers, describe-listeners, "
          "describe-target-health; Alibaba Cloud SLB DescribeLoadBalancerAttribute, DescribeHealthStatus).",
          {kProviderColumn,
           {"lb_id", T::Text, "ARN (AWS) or LoadBalancerId"},
           {"name", T::Text, "Name"},
           {"type", T::Text, "application, network, gateway (AWS); slb"},
           {"scheme", T::Text, "internet-facing or internal (AWS); internet or intranet (Alibaba Cloud AddressType)"},
           {"address", T::Text, "DNS name (AWS) or IP address"},
           {"vpc_id", T::Text, "VPC"},
           {"state", T::Text, "active, provisioning, active_impaired, failed (AWS); active, inactive, locked (Alibaba Cloud)"},
           {"listeners", T::Json, "Listeners, an array of {port, protocol, target_groups}"},
           {"backends", T::Json, "Backends per listener, an array of {instance_id, port, listener_port, target_group, health, reason}; health is healthy, unhealthy, initial, unused, draining, unavailable (Alibaba Cloud normal and abnormal read as healthy and unhealthy), NULL for a server no listener checks"}},
          {},
          {"SELECT name, state, listeners[*].port FROM cloud.load_balancers",
           "SELECT l.name, b.instance_id, b.health FROM cloud.load_balancers l, UNNEST(l.backends) AS b WHERE b.health != 'healthy'"}};
}

}  // namespace

std::vector<ks::TableSpec> table_specs() {
  return {instances(), security_groups(), security_group_rules(), route_tables(), routes(), vpcs(), subnets(), load_balancers()};
}

}  // namespace cloud
