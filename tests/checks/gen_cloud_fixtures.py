#!/usr/bin/env python3
"""Writes tests/data/checks/cloud-*.yaml: the fixtures of checks/network/cloud.kcql.

Usage: python3 tests/checks/gen_cloud_fixtures.py   (from the repository root)

Each check gets a fire and a silent case per provider (AWS, Alibaba Cloud)
where its concept applies. Every case starts from a small healthy cluster of
that provider (one control-plane node, two workers, their instances, groups,
VPC, subnets, routes and the API server's load balancer, as the cloud plugin
writes its rows) and changes one thing. Expected messages live in EXPECT
below; KINSPECT_CHECKS_PRINT=1 build/tests/checks/checks_tests prints what a
check finds.
"""
import copy, json, os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "checks")


def instance(provider, iid, ip, groups, zone, vpc, subnet, itype="m5.large", vcpus=2, charge="on-demand", expires=None):
    pid = f"aws:///{zone}/{iid}" if provider == "aws" else f"cn-hangzhou.{iid}"
    return {"provider": provider, "instance_id": iid, "name": None, "hostname": None, "provider_id": pid, "state": "running",
            "instance_type": itype, "vcpus": vcpus, "memory_mib": None, "region": zone[:-1] if provider == "aws" else "cn-hangzhou",
            "zone": zone, "vpc_id": vpc, "subnet_id": subnet, "private_ip": ip, "private_ips": [ip], "node_keys": [iid, ip],
            "public_ips": [], "security_group_ids": groups, "charge_type": charge, "expires_at": expires,
            "launched_at": "2025-11-02T08:15:30Z", "tags": {}}


def rule(provider, group, proto, frm, to, cidr=None, peer=None, direction="ingress", prio=None, policy="accept"):
    return {"provider": provider, "group_id": group, "direction": direction, "protocol": proto, "port_from": frm, "port_to": to,
            "peer_cidr": cidr, "peer_group_id": peer, "peer_prefix_list": None, "priority": prio, "policy": policy, "description": None}


def node(name, ip, pod, provider_id, cp=False):
    labels = {"kubernetes.io/hostname": name}
    if cp:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {"metadata": {"name": name, "labels": labels}, "spec": {"podCIDR": pod, "providerID": provider_id},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def apiserver_pod(service_cidr):
    return {"metadata": {"name": "kube-apiserver-cp-1", "namespace": "kube-system", "labels": {"component": "kube-apiserver"}},
            "spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", "--secure-port=6443",
                                                                           "--service-cluster-ip-range=" + service_cidr]}]}}


def aws():
    vpc, sn = "vpc-0a1b2c3d", "subnet-0c0ffee1"
    ids = {"cp-1": "i-0aaa000000000001", "w-1": "i-0bbb000000000001", "w-2": "i-0bbb000000000002"}
    ips = {"cp-1": "10.0.0.11", "w-1": "10.0.1.21", "w-2": "10.0.1.22"}
    pods = {"cp-1": "10.244.0.0/24", "w-1": "10.244.1.0/24", "w-2": "10.244.2.0/24"}
    grp = {"cp-1": ["sg-0cp"], "w-1": ["sg-0wk"], "w-2": ["sg-0wk"]}
    t = {}
    t["cloud.instances"] = [instance("aws", ids[n], ips[n], grp[n], "us-east-1a", vpc, sn) for n in ids]
    t["cloud.security_groups"] = [
        {"provider": "aws", "group_id": g, "name": g, "vpc_id": vpc, "description": None, "inner_access_policy": None,
         "ingress_permissions": 3, "egress_permissions": 1, "tags": {}} for g in ("sg-0cp", "sg-0wk")]
    t["cloud.security_group_rules"] = [
        rule("aws", "sg-0cp", "tcp", 6443, 6443, peer="sg-0cp"), rule("aws", "sg-0cp", "tcp", 6443, 6443, peer="sg-0wk"),
        rule("aws", "sg-0cp", "tcp", 10250, 10250, peer="sg-0cp"), rule("aws", "sg-0cp", "udp", 8472, 8472, cidr="10.0.0.0/16"),
        rule("aws", "sg-0wk", "tcp", 10250, 10250, peer="sg-0cp"), rule("aws", "sg-0wk", "udp", 8472, 8472, peer="sg-0cp"),
        rule("aws", "sg-0wk", "udp", 8472, 8472, peer="sg-0wk"),
        rule("aws", "sg-0cp", "all", 0, 65535, cidr="0.0.0.0/0", direction="egress"),
        rule("aws", "sg-0wk", "all", 0, 65535, cidr="0.0.0.0/0", direction="egress")]
    t["cloud.route_tables"] = [{"provider": "aws", "route_table_id": "rtb-0e1e", "vpc_id": vpc, "name": None, "main": True,
                                "subnet_ids": [], "router_id": None}]
    t["cloud.routes"] = [{"provider": "aws", "route_table_id": "rtb-0e1e", "vpc_id": vpc, "destination": "10.0.0.0/16",
                          "target_type": "local", "target_id": "local", "state": "active", "origin": "CreateRouteTable"}] + [
        {"provider": "aws", "route_table_id": "rtb-0e1e", "vpc_id": vpc, "destination": pods[n], "target_type": "instance",
         "target_id": ids[n], "state": "active", "origin": "CreateRoute"} for n in ids]
    t["cloud.vpcs"] = [{"provider": "aws", "vpc_id": vpc, "name": None, "cidr_block": "10.0.0.0/16", "cidr_blocks": ["10.0.0.0/16"],
                        "state": "available", "is_default": False, "region": None}]
    t["cloud.subnets"] = [{"provider": "aws", "subnet_id": sn, "name": None, "vpc_id": vpc, "cidr_block": "10.0.0.0/20",
                           "zone": "us-east-1a", "state": "available", "available_ips": 4000}]
    t["cloud.load_balancers"] = [{"provider": "aws", "lb_id": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/example-apiserver/50dc",
                                  "name": "example-apiserver", "type": "network", "scheme": "internal", "address": "example-apiserver.elb.amazonaws.com",
                                  "vpc_id": vpc, "state": "active",
                                  "listeners": [{"port": 6443, "protocol": "TCP", "target_groups": ["example-apiserver"]}],
                                  "backends": [{"instance_id": ids["cp-1"], "port": 6443, "listener_port": 6443, "target_group": "example-apiserver",
                                                "health": "healthy", "reason": None}]}]
    t["k8s.nodes"] = [node(n, ips[n], pods[n], f"aws:///us-east-1a/{ids[n]}", cp=(n == "cp-1")) for n in ids]
    t["k8s.pods"] = [apiserver_pod("10.96.0.0/12")]
    return t


def aliyun():
    vpc, sn = "vpc-bp1opxu1", "vsw-bp1s5fnv"
    ids = {"cp-1": "i-bp1c000000000001", "w-1": "i-bp1w000000000001", "w-2": "i-bp1w000000000002"}
    ips = {"cp-1": "192.168.0.10", "w-1": "192.168.1.20", "w-2": "192.168.1.21"}
    pods = {"cp-1": "172.20.0.0/25", "w-1": "172.20.0.128/25", "w-2": "172.20.1.0/25"}
    t = {}
    t["cloud.instances"] = [instance("aliyun", ids[n], ips[n], ["sg-bp1gxw6b"], "cn-hangzhou-i", vpc, sn, itype="ecs.g7.xlarge",
                                     vcpus=4, charge="PrePaid", expires="2026-06-30T16:00:00Z") for n in ids]
    t["cloud.security_groups"] = [{"provider": "aliyun", "group_id": "sg-bp1gxw6b", "name": "ack", "vpc_id": vpc, "description": None,
                                   "inner_access_policy": "accept", "ingress_permissions": 3, "egress_permissions": 1, "tags": {}}]
    t["cloud.security_group_rules"] = [
        rule("aliyun", "sg-bp1gxw6b", "tcp", 6443, 6443, cidr="192.168.0.0/16", prio=1),
        rule("aliyun", "sg-bp1gxw6b", "tcp", 10250, 10250, cidr="192.168.0.0/16", prio=1),
        rule("aliyun", "sg-bp1gxw6b", "all", 0, 65535, cidr="172.20.0.0/16", prio=1),
        rule("aliyun", "sg-bp1gxw6b", "all", 0, 65535, cidr="0.0.0.0/0", direction="egress", prio=100)]
    t["cloud.route_tables"] = [{"provider": "aliyun", "route_table_id": "vtb-bp145q7g", "vpc_id": vpc, "name": None, "main": True,
                                "subnet_ids": [sn], "router_id": "vrt-bp1lhl0t"}]
    t["cloud.routes"] = [{"provider": "aliyun", "route_table_id": "vtb-bp145q7g", "vpc_id": vpc, "destination": "192.168.0.0/24",
                          "target_type": "local", "target_id": None, "state": "active", "origin": "System"}] + [
        {"provider": "aliyun", "route_table_id": "vtb-bp145q7g", "vpc_id": vpc, "destination": pods[n], "target_type": "instance",
         "target_id": ids[n], "state": "active", "origin": "Custom"} for n in ids]
    t["cloud.vpcs"] = [{"provider": "aliyun", "vpc_id": vpc, "name": "ack-vpc", "cidr_block": "192.168.0.0/16",
                        "cidr_blocks": ["192.168.0.0/16"], "state": "available", "is_default": False, "region": "cn-hangzhou"}]
    t["cloud.subnets"] = [{"provider": "aliyun", "subnet_id": sn, "name": "ack", "vpc_id": vpc, "cidr_block": "192.168.0.0/20",
                           "zone": "cn-hangzhou-i", "state": "available", "available_ips": 4000}]
    t["cloud.load_balancers"] = [{"provider": "aliyun", "lb_id": "lb-bp1o94dp", "name": "ack-apiserver", "type": "slb", "scheme": "intranet",
                                  "address": "192.168.0.100", "vpc_id": vpc, "state": "active",
                                  "listeners": [{"port": 6443, "protocol": "tcp", "target_groups": []}],
                                  "backends": [{"instance_id": ids["cp-1"], "port": 6443, "listener_port": 6443, "target_group": None,
                                                "health": "healthy", "reason": None}]}]
    t["k8s.nodes"] = [node(n, ips[n], pods[n], f"cn-hangzhou.{ids[n]}", cp=(n == "cp-1")) for n in ids]
    t["k8s.pods"] = [apiserver_pod("172.21.0.0/20")]
    return t


BASE = {"aws": aws, "aliyun": aliyun}


def find(rows, key, value):
    return next(r for r in rows if r[key] == value)


def inst(t, i):
    return t["cloud.instances"][i]


# ---------------------------------------------------------------- changes per check: (provider, fire change, silent change)
def remove_w2_instance(t):
    t["cloud.instances"] = t["cloud.instances"][:2]


def w2_in_new_group(t, aws_side):
    w2 = inst(t, 2)
    new = "sg-0new" if aws_side else "sg-bp1fg655"
    w2["security_group_ids"] = [new]
    t["cloud.security_groups"].append(dict(t["cloud.security_groups"][0], group_id=new, name="nodes-added-later"))
    t["cloud.security_group_rules"].append(rule(w2["provider"], new, "tcp", 22, 22, cidr="10.0.0.0/8"))


def set_in(t, table, idx, **kv):
    t[table][idx].update(kv)


def aliyun_rules(*rules):
    """Adds Alibaba Cloud rules to the ack group: (protocol, port, cidr, priority, policy)."""
    def change(t):
        for proto, port, cidr, prio, policy in rules:
            t["cloud.security_group_rules"].append(rule("aliyun", "sg-bp1gxw6b", proto, port, port, cidr=cidr, prio=prio, policy=policy))
    return change


CASES = {
    "cloud-node-instance-missing": {
        "aws": (remove_w2_instance, lambda t: None),
        "aliyun": (remove_w2_instance, lambda t: t["k8s.nodes"].append(node("gce-1", "10.9.9.9", None, "gce://p/z/gce-1"))),
    },
    "cloud-node-instance-not-running": {
        "aws": (lambda t: set_in(t, "cloud.instances", 2, state="stopped"), lambda t: None),
        "aliyun": (lambda t: set_in(t, "cloud.instances", 2, state="stopped"), lambda t: None),
    },
    "cloud-node-instance-expiring": {
        # AWS instances do not expire: no fire case.
        "aws": (None, lambda t: None),
        "aliyun": (lambda t: set_in(t, "cloud.instances", 1, expires_at="2026-01-03T16:00:00Z"),
                   lambda t: set_in(t, "cloud.instances", 1, expires_at="2026-01-20T16:00:00Z")),
    },
    "cloud-node-instance-type-unsupported": {
        "aws": (lambda t: set_in(t, "cloud.instances", 1, instance_type="t3.micro", vcpus=2),
                lambda t: set_in(t, "cloud.instances", 1, instance_type="t3.large", vcpus=2)),
        "aliyun": (lambda t: set_in(t, "cloud.instances", 1, instance_type="ecs.g6.large", vcpus=1),
                   lambda t: set_in(t, "cloud.instances", 1, instance_type="ecs.g6.large", vcpus=2)),
    },
    "cloud-node-vpc-missing": {
        "aws": (lambda t: t.update({"cloud.vpcs": []}), lambda t: None),
        "aliyun": (lambda t: set_in(t, "cloud.vpcs", 0, state="pending"), lambda t: None),
    },
    "cloud-node-subnet-missing": {
        "aws": (lambda t: set_in(t, "cloud.subnets", 0, subnet_id="subnet-0other"), lambda t: None),
        "aliyun": (lambda t: set_in(t, "cloud.subnets", 0, state="pending"), lambda t: None),
    },
    "cloud-apiserver-lb-listener-missing": {
        "aws": (lambda t: set_in(t, "cloud.load_balancers", 0, listeners=[{"port": 443, "protocol": "TLS", "target_groups": ["example-apiserver"]}]),
                lambda t: t["cloud.load_balancers"].append(dict(t["cloud.load_balancers"][0], name="ingress", listeners=[{"port": 443, "protocol": "TCP", "target_groups": []}]))),
        "aliyun": (lambda t: set_in(t, "cloud.load_balancers", 0, listeners=[]), lambda t: None),
    },
    "cloud-apiserver-lb-not-active": {
        "aws": (lambda t: set_in(t, "cloud.load_balancers", 0, state="failed"), lambda t: None),
        "aliyun": (lambda t: set_in(t, "cloud.load_balancers", 0, state="locked"),
                   lambda t: t["cloud.load_balancers"].append(dict(t["cloud.load_balancers"][0], name="old", state="inactive", listeners=[{"port": 80, "protocol": "tcp", "target_groups": []}]))),
    },
    "cloud-apiserver-lb-backend-unhealthy": {
        "aws": (lambda t: t["cloud.load_balancers"][0]["backends"][0].update(health="unhealthy", reason="Target.FailedHealthChecks"),
                lambda t: t["cloud.load_balancers"][0]["backends"].append({"instance_id": "i-0old", "port": 6443, "listener_port": 6443, "target_group": "example-apiserver", "health": None, "reason": None})),
        "aliyun": (lambda t: t["cloud.load_balancers"][0]["backends"][0].update(health="unhealthy"), lambda t: None),
    },
    "cloud-apiserver-lb-control-plane-missing": {
        "aws": (lambda t: set_in(t, "cloud.load_balancers", 0, backends=[]), lambda t: None),
        "aliyun": (lambda t: t["cloud.load_balancers"][0]["backends"][0].update(instance_id="i-bp1replaced"), lambda t: None),
    },
    # Alibaba Cloud drop rules: one that outranks (or ties) the accepting rule
    # fires; one of lower priority (a higher number) than it stays silent.
    "cloud-node-not-allowed-to-apiserver": {
        "aws": (lambda t: w2_in_new_group(t, True), lambda t: None),
        "aliyun": (lambda t: set_in(t, "cloud.security_group_rules", 0, peer_cidr="192.168.0.0/24"),
                   lambda t: set_in(t, "cloud.security_group_rules", 0, peer_cidr="192.168.0.0/23")),
        "aliyun-drop": (aliyun_rules(("tcp", 6443, "192.168.1.21/32", 1, "drop")),
                        aliyun_rules(("tcp", 6443, "192.168.1.21/32", 50, "drop"))),
    },
    "cloud-sg-kubelet-closed-to-control-plane": {
        "aws": (lambda t: w2_in_new_group(t, True), lambda t: None),
        "aliyun": (lambda t: w2_in_new_group(t, False), lambda t: t["cloud.security_group_rules"].pop(1)),
        "aliyun-drop": (aliyun_rules(("tcp", 10250, "192.168.0.10/32", 1, "drop")),
                        aliyun_rules(("tcp", 10250, "192.168.0.10/32", 2, "drop"))),
    },
    "cloud-sg-cni-port-closed-between-nodes": {
        "aws": (lambda t: t["cloud.security_group_rules"].pop(6), lambda t: None),
        "aliyun": (lambda t: w2_in_new_group(t, False), lambda t: None),
        # The group's inner access accept is overridden by any matching drop rule.
        "aliyun-drop": (aliyun_rules(("udp", 8472, "192.168.1.20/32", 100, "drop")),
                        aliyun_rules(("udp", 8472, "192.168.1.20/32", 100, "drop"), ("udp", 8472, "192.168.0.0/16", 1, "accept"))),
    },
    "cloud-pod-cidr-route-missing": {
        "aws": (lambda t: t["cloud.routes"].pop(3),
                lambda t: t.update({"cloud.routes": t["cloud.routes"][:1]})),
        "aliyun": (lambda t: set_in(t, "cloud.routes", 3, state="pending"), lambda t: None),
    },
    "cloud-vpc-overlaps-pod-cidr": {
        "aws": (lambda t: t["k8s.nodes"][1]["spec"].update(podCIDR="10.0.128.0/24"), lambda t: None),
        "aliyun": (lambda t: t["k8s.nodes"][1]["spec"].update(podCIDR="192.168.100.0/25"), lambda t: None),
    },
    "cloud-vpc-overlaps-service-cidr": {
        "aws": (lambda t: t.update({"k8s.pods": [apiserver_pod("10.0.0.0/12")]}), lambda t: None),
        "aliyun": (lambda t: t.update({"k8s.pods": [apiserver_pod("192.168.0.0/20")]}), lambda t: None),
    },
}

EXPECT = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cloud_fixture_expect.json")))


def case(provider, change, label):
    t = BASE[provider]()
    change(t)
    return {"base": "none", "add": t}


def write(check, cases):
    fire, silent = [], []
    for label in ("aws", "aliyun", "aliyun-drop"):
        if label not in cases:
            continue
        provider = label.split("-")[0]
        fire_change, silent_change = cases[label]
        if fire_change:
            c = case(provider, fire_change, "fire")
            c["expect"] = EXPECT.get(check, {}).get(label, ["TODO"])
            fire.append(c)
        silent.append(case(provider, silent_change, "silent"))
    path = os.path.join(OUT, check + ".yaml")
    with open(path, "w") as f:
        f.write(f"# Fixture of check {check} (checks/network/cloud.kcql): cloud plugin rows and k8s.nodes,\n")
        f.write("# a fire and a silent case per provider (AWS first; then Alibaba Cloud drop rules where they matter).\n")
        f.write("# Written by tests/checks/gen_cloud_fixtures.py.\n")
        # JSON is YAML: one row per line, so a case reads table by table.
        for key, cases in (("fire", fire), ("silent", silent)):
            f.write(f"{key}:\n")
            for c in cases:
                f.write("- base: none\n")
                if "expect" in c:
                    f.write("  expect:\n")
                    for m in c["expect"]:
                        f.write("  - " + json.dumps(m, ensure_ascii=False) + "\n")
                f.write("  add:\n")
                for table, rows in c["add"].items():
                    f.write(f"    {table}:" + (" []\n" if not rows else "\n"))
                    for r in rows:
                        f.write("    - " + json.dumps(r, ensure_ascii=False) + "\n")


for check, cases in CASES.items():
    write(check, cases)
